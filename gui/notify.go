package gui

import (
	"strconv"

	"fyne.io/fyne/v2"

	"mailroom/data"
)

// notify raises a desktop notification; clicking it runs open on the UI goroutine where the
// desktop says so (freedesktop notifications on Linux, see notify_linux.go). Elsewhere it is
// Fyne's notification, which Fyne 2.7 gives no click action on any platform.
func (u *UI) notify(title, text string, open func()) {
	if open != nil && u.clicks != nil && u.clicks.send(u.app.UniqueID(), title, text, func() { fyne.Do(open) }) {
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
