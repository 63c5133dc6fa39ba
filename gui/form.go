package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// formWindow is what the windows with a form share (the provider card, the mailbox window,
// compose): each field with its error label beside it, whether anything was changed since it
// was filled or saved, the window's keys in every entry, and the question before closing
// with changes that are not saved.
type formWindow struct {
	win   fyne.Window
	errs  fieldErrors
	dirty bool      // something was changed and not saved
	keys  shortcuts // the window's shortcuts, which its entries run too
}

// newFormWindow opens a (hidden) window titled title with keys.
func newFormWindow(a fyne.App, title string, keys shortcuts) formWindow {
	return formWindow{win: a.NewWindow(title), errs: fieldErrors{}, keys: keys}
}

// field puts o above the error label of field name.
func (f *formWindow) field(o fyne.CanvasObject, name string) fyne.CanvasObject {
	return f.errs.beside(o, name)
}

// setError shows msg beside field; "" hides it.
func (f *formWindow) setError(field, msg string) { f.errs.set(field, msg) }

// changed marks the form changed and clears the error shown beside field.
func (f *formWindow) changed(field string) {
	f.dirty = true
	f.setError(field, "")
}

// formEntry makes an entry of the window: Escape in it runs onEscape, and the window's
// shortcuts work while it has the focus.
func (f *formWindow) formEntry(onEscape func()) *escEntry { return newEscEntry(onEscape, f.keys) }

// closeQuestion is what askBeforeClosing asks.
type closeQuestion struct {
	title, message string
	discard        string // the button that closes without saving
	save           string // a button that saves first, then closes; "" for none
	onSave         func(then func())
}

// askBeforeClosing closes the window at once when nothing was changed; otherwise it asks q
// first: "Keep editing", q.discard and, when q.save is set, q.save (which saves, then closes).
func (f *formWindow) askBeforeClosing(q closeQuestion, onClosed func()) {
	closeNow := func() {
		f.dirty = false
		onClosed()
		f.win.Close()
	}
	if !f.dirty {
		closeNow()
		return
	}
	text := widget.NewLabel(q.message)
	d := dialog.NewCustomWithoutButtons(q.title, text, f.win)
	keep := widget.NewButton("Keep editing", d.Hide)
	discard := widget.NewButton(q.discard, func() { d.Hide(); closeNow() })
	buttons := []fyne.CanvasObject{keep, discard}
	if q.save != "" {
		save := widget.NewButton(q.save, func() { d.Hide(); q.onSave(closeNow) })
		save.Importance = widget.HighImportance
		buttons = append(buttons, save)
	} else {
		discard.Importance = widget.HighImportance
	}
	d.SetButtons(buttons)
	d.Show()
}
