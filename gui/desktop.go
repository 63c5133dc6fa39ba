package gui

import (
	"errors"

	"fyne.io/fyne/v2/dialog"

	"mailroom/mailclient"
)

// Open brings the main window to the front and opens a compose window filled from each
// mailto: link in args (what a second start, or the desktop, hands over). A link that
// cannot be used is explained in a dialog and opens nothing. Call it on the UI goroutine.
func (u *UI) Open(args []string) {
	u.raise()
	u.openLinks(args)
}

// openLinks opens a compose window for each usable mailto: link and returns them.
func (u *UI) openLinks(args []string) []*composeWindow {
	var opened []*composeWindow
	for _, link := range args {
		c, err := mailclient.ParseMailto(link)
		var me *mailclient.MailtoError
		if errors.As(err, &me) {
			u.log.Warn("mailto link refused", "reason", me.Reason)
			dialog.NewInformation("This link cannot be opened", "The mailto: link cannot be used to write a message. "+me.Reason, u.win).Show()
			continue
		}
		opened = append(opened, u.compose(c, 0))
	}
	return opened
}

// raise shows the main window, even when it waits hidden in the background, and asks the
// desktop to bring it to the front.
func (u *UI) raise() {
	u.win.Show()
	u.win.RequestFocus()
}
