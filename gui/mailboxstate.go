package gui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// reasonLabel is a one-line label, cut with an ellipsis where it does not fit, whose whole
// text a person can still read: hovering lays the whole text, wrapped, over the line, and a
// click shows it in a dialog (or runs onTap). The Mailboxes state and the Mail status line
// use it for reasons that are longer than their place.
type reasonLabel struct {
	widget.BaseWidget
	label *widget.Label
	win   fyne.Window
	title string // of the dialog
	onTap func() // instead of the dialog, when set
	card  *hoverCard
}

// newReasonLabel wraps l, which is shown cut to one line, in win; title names the dialog a
// click opens.
func newReasonLabel(l *widget.Label, win fyne.Window, title string) *reasonLabel {
	l.Truncation = fyne.TextTruncateEllipsis
	l.Wrapping = fyne.TextWrapOff
	r := &reasonLabel{label: l, win: win, title: title}
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer shows the label.
func (r *reasonLabel) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.label) }

// Tapped shows the whole text.
func (r *reasonLabel) Tapped(*fyne.PointEvent) {
	r.hideCard()
	if r.label.Text == "" {
		return
	}
	if r.onTap != nil {
		r.onTap()
		return
	}
	showWhole(r.win, r.title, r.label.Text)
}

// Cursor is a pointer: the line can be clicked.
func (r *reasonLabel) Cursor() desktop.Cursor { return desktop.PointerCursor }

// MouseIn lays the whole text over the line when it does not fit.
func (r *reasonLabel) MouseIn(*desktop.MouseEvent) {
	if r.label.Text == "" || r.card != nil {
		return
	}
	full := widget.NewLabel(r.label.Text)
	if full.MinSize().Width <= r.Size().Width {
		return // nothing is cut
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if c == nil {
		return
	}
	r.card = newHoverCard(r.label.Text, r.label.Importance, func() { r.card = nil }, r.Tapped)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(r)
	r.card.place(c, pos, r.Size())
}

// MouseMoved does nothing; the card follows the mouse out.
func (r *reasonLabel) MouseMoved(*desktop.MouseEvent) {}

// MouseOut closes the card unless the mouse went onto it (it lies over the line, so the
// next move usually does; the card then closes itself when the mouse leaves it).
func (r *reasonLabel) MouseOut() {
	c := r.card
	if c == nil {
		return
	}
	time.AfterFunc(hoverGrace, func() {
		fyne.Do(func() {
			if !c.entered {
				c.close()
			}
		})
	})
}

// hoverGrace is how long the card waits for the mouse that left its line.
const hoverGrace = 150 * time.Millisecond

func (r *reasonLabel) hideCard() {
	if r.card != nil {
		r.card.close()
	}
}

// showWhole shows text, whole and wrapped, in a dialog over win.
func showWhole(win fyne.Window, title, text string) {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	d := newSizedInfo(title, l, win)
	d.Show()
}

// hoverCard is the whole text of a reasonLabel, laid over it while the mouse is on it.
type hoverCard struct {
	widget.BaseWidget
	text     *widget.Label
	canvas   fyne.Canvas
	onClosed func()
	onTap    func(*fyne.PointEvent)
	entered  bool // the mouse has been on the card
}

func newHoverCard(text string, imp widget.Importance, onClosed func(), onTap func(*fyne.PointEvent)) *hoverCard {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	h := &hoverCard{text: l, onClosed: onClosed, onTap: onTap}
	h.ExtendBaseWidget(h)
	return h
}

// place lays the card over the line at pos of size in c, as wide as the line (at least 420),
// as tall as the wrapped text, kept inside the window.
func (h *hoverCard) place(c fyne.Canvas, pos fyne.Position, line fyne.Size) {
	h.canvas = c
	width := max(line.Width, 420)
	width = min(width, c.Size().Width)
	h.text.Resize(fyne.NewSize(width, 0))
	size := fyne.NewSize(width, h.text.MinSize().Height)
	h.Resize(size)
	pos.X = max(0, min(pos.X, c.Size().Width-size.Width))
	pos.Y = max(0, min(pos.Y, c.Size().Height-size.Height))
	h.Move(pos)
	c.Overlays().Add(h)
}

func (h *hoverCard) close() {
	if h.canvas != nil {
		h.canvas.Overlays().Remove(h)
		h.canvas = nil
		h.onClosed()
	}
}

// CreateRenderer draws the text on the background with a border.
func (h *hoverCard) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	bg.StrokeWidth = 1
	return widget.NewSimpleRenderer(container.NewStack(bg, h.text))
}

// Tapped closes the card and does what a click on the line does.
func (h *hoverCard) Tapped(e *fyne.PointEvent) {
	h.close()
	h.onTap(e)
}

// MouseIn notes that the mouse is on the card, which now stays until the mouse leaves it.
func (h *hoverCard) MouseIn(*desktop.MouseEvent) { h.entered = true }

// MouseMoved does nothing.
func (h *hoverCard) MouseMoved(*desktop.MouseEvent) {}

// MouseOut closes the card.
func (h *hoverCard) MouseOut() { h.close() }

// newSizedInfo is a dialog over win showing content, wide enough for a paragraph.
func newSizedInfo(title string, content fyne.CanvasObject, win fyne.Window, buttons ...fyne.CanvasObject) dialog.Dialog {
	if len(buttons) == 0 {
		d := dialog.NewCustom(title, "Close", content, win)
		d.Resize(fyne.NewSize(560, content.MinSize().Height+110))
		return d
	}
	d := dialog.NewCustomWithoutButtons(title, content, win)
	closeBtn := widget.NewButton("Close", d.Hide)
	d.SetButtons(append([]fyne.CanvasObject{closeBtn}, buttons...))
	d.Resize(fyne.NewSize(560, content.MinSize().Height+110))
	return d
}

// stateHelp is what to do about a mailbox in state, after its reason.
func stateHelp(m *data.Mailbox) string {
	switch m.State {
	case data.MailboxError:
		return "Test it again to see each step, or edit it to change its settings or password."
	case data.MailboxSignIn:
		return "Sign in again with your browser; the mail Mailroom keeps for it stays meanwhile."
	case data.MailboxOK:
		return "Its last test and sync worked."
	}
	return "Test it to check its settings."
}

// showState shows m's whole state and what to do about it, with the buttons that do it.
func (v *mailboxesView) showState(m *data.Mailbox) {
	l := widget.NewLabel(stateText(m) + "\n\n" + stateHelp(m))
	l.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	act := func(title string, f func()) *widget.Button {
		return widget.NewButton(title, func() { d.Hide(); f() })
	}
	var buttons []fyne.CanvasObject
	switch m.State {
	case data.MailboxSignIn:
		b := act("Sign in again", v.signInSelected)
		b.Importance = widget.HighImportance
		buttons = append(buttons, b)
	case data.MailboxOK:
	default:
		buttons = append(buttons, act("Edit", v.editSelected))
		b := act("Test again", v.testSelected)
		b.Importance = widget.HighImportance
		buttons = append(buttons, b)
	}
	d = newSizedInfo(m.Address, l, v.ui.win, buttons...)
	d.Show()
}
