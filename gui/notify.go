package gui

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"

	"mailroom/data"
	"mailroom/mailclient"
)

// notify raises a desktop notification; clicking it runs open on the UI goroutine where the
// desktop says so (freedesktop notifications on Linux, see notify_linux.go). Elsewhere it is
// Fyne's notification, which Fyne 2.7 gives no click action on any platform.
func (u *UI) notify(title, text string, open func()) {
	if open != nil && u.clicks != nil && u.clicks.send(u.app.UniqueID(), title, text, func() { u.onUI(open) }) {
		return
	}
	u.app.SendNotification(fyne.NewNotification(title, text))
}

// showMessage brings the main window forward with message m open in its folder.
func (u *UI) showMessage(m *data.Message) {
	u.raise()
	u.tabs.SelectIndex(0)
	u.mail.tree.Select("f" + strconv.FormatInt(m.FolderID, 10))
	u.mail.open(m)
}

// announce raises one desktop notification for the new Inbox mail one sync brought ("12 new
// messages in ann@…"), naming the newest; a click opens it where the desktop allows.
func (u *UI) announce(n mailclient.NewMail) {
	if n.Inbox.New == 0 {
		return
	}
	text := fmt.Sprintf("%s in %s", plural(n.Inbox.New, "new message"), n.Mailbox.Address)
	var open func()
	if len(n.Latest) > 0 {
		latest := n.Latest[0]
		text += ": " + orDash(latest.From(), "(no sender)") + " — " + orDash(latest.Subject, "(no subject)")
		open = func() { u.showMessage(latest) }
	}
	u.notify("New mail", text, open)
}
