package gui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"mailroom/data"
)

// prefKeepRunning is the preference "Keep running in the background to receive mail".
const prefKeepRunning = "background.keep"

// trayHost is what Mailroom needs of a desktop with a system tray (fyne's desktop.App).
type trayHost interface {
	SetSystemTrayMenu(menu *fyne.Menu)
	SetSystemTrayIcon(icon fyne.Resource)
}

// background keeps Mailroom running with its main window closed: a system tray icon with
// the unread count, and Open, Compose, Quit.
type background struct {
	ui     *UI
	host   trayHost // nil where the app has no system tray
	shown  bool     // the tray icon is there (it cannot be taken away again before Mailroom ends)
	unread int
}

func newBackground(u *UI) *background {
	b := &background{ui: u}
	b.host, _ = u.app.(trayHost)
	return b
}

// keep reports whether closing the main window leaves Mailroom running in the background.
func (b *background) keep() bool {
	return b.host != nil && b.ui.app.Preferences().BoolWithFallback(prefKeepRunning, false)
}

// setKeep turns keeping Mailroom running in the background on or off, for now and later starts.
func (b *background) setKeep(on bool) {
	b.ui.app.Preferences().SetBool(prefKeepRunning, on)
	if on {
		b.show()
	}
}

// start shows the tray icon at start when the setting is on.
func (b *background) start() {
	if b.keep() {
		b.show()
	}
}

// show puts the tray icon up, or brings its menu and count up to date.
func (b *background) show() {
	if b.host == nil {
		return
	}
	b.shown = true
	b.host.SetSystemTrayMenu(b.menu())
	b.host.SetSystemTrayIcon(b.icon())
}

func (b *background) menu() *fyne.Menu {
	items := []*fyne.MenuItem{}
	if b.unread > 0 {
		count := fyne.NewMenuItem(plural(b.unread, "unread message")+" in the Inbox", nil)
		count.Disabled = true
		items = append(items, count, fyne.NewMenuItemSeparator())
	}
	quit := fyne.NewMenuItem("Quit", b.ui.quit)
	quit.IsQuit = true
	items = append(items,
		fyne.NewMenuItem("Open Mailroom", b.ui.raise),
		fyne.NewMenuItem("Compose", func() { b.ui.compose(data.Composition{}, 0) }),
		fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMenu("Mailroom", items...)
}

// setUnread shows n, the unread messages of every Inbox, in the tray.
func (b *background) setUnread(n int) {
	if n == b.unread {
		return
	}
	b.unread = n
	if b.shown {
		b.show()
	}
}

// icon is the app's icon with the unread count in a red badge in its corner.
func (b *background) icon() fyne.Resource {
	base := b.ui.app.Icon()
	if b.unread == 0 || base == nil {
		return base
	}
	img, err := badged(base.Content(), b.unread)
	if err != nil {
		b.ui.log.Warn("draw the tray icon's count", "err", err)
		return base
	}
	return fyne.NewStaticResource(fmt.Sprintf("mailroom-unread-%d.png", b.unread), img)
}

// badged draws n (99+ above 99) in a red badge over the PNG icon, returned as a 64 px PNG.
func badged(icon []byte, n int) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(icon))
	if err != nil {
		return nil, fmt.Errorf("decode icon: %w", err)
	}
	const size = 64
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	text := strconv.Itoa(n)
	if n > 99 {
		text = "99+"
	}
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil()
	bw, bh := w+10, 20
	badge := image.Rect(size-bw, 0, size, bh)
	red := &image.Uniform{color.RGBA{0xd9, 0x1e, 0x18, 0xff}}
	draw.Draw(dst, badge, red, image.Point{}, draw.Src)
	d := font.Drawer{Dst: dst, Src: image.White, Face: face,
		Dot: fixed.P(badge.Min.X+(bw-w)/2, badge.Min.Y+(bh+face.Ascent-face.Descent)/2)}
	d.DrawString(text)
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return nil, fmt.Errorf("encode tray icon: %w", err)
	}
	return out.Bytes(), nil
}

// unreadInboxes counts the unread messages of every mailbox's Inbox.
func unreadInboxes(folders map[int64][]*data.Folder) int {
	n := 0
	for _, list := range folders {
		for _, f := range list {
			if f.Role == data.RoleInbox {
				n += f.Unread
			}
		}
	}
	return n
}

// closeMain is what closing the main window does: hide it while Mailroom keeps running in the
// background (the tray icon brings it back, so does starting Mailroom again), else quit.
func (u *UI) closeMain() {
	if u.bg.keep() {
		u.bg.show()
		savePosition(u.win, u.app.Preferences())
		u.win.Hide()
		return
	}
	u.win.Close()
}

// quit ends Mailroom: the main window closes for good, whatever the background setting.
func (u *UI) quit() { u.win.Close() }

// backgroundSetting is the Settings check box "Keep running in the background to receive mail".
func backgroundSetting(u *UI) fyne.CanvasObject {
	check := widget.NewCheck("Keep running in the background to receive mail", u.bg.setKeep)
	check.Checked = u.bg.keep()
	note := widget.NewLabel("Closing the window then leaves Mailroom in the system tray, with the number of unread messages; " +
		"its menu opens the window again, writes a message or quits. Starting Mailroom again also brings the window back.")
	if u.bg.host == nil {
		check.Disable()
		note.SetText("This desktop offers Mailroom no system tray, so closing the window quits Mailroom.")
	}
	note.Wrapping = fyne.TextWrapWord
	return container.NewVBox(check, note)
}
