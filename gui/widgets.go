package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

func newFormLayout() fyne.Layout      { return layout.NewFormLayout() }
func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// domainEditor edits the list of a provider's domains: each with a remove button, and an
// entry to add one. Domains are checked as they are added and kept in stored form.
type domainEditor struct {
	domains  []string
	rows     *fyne.Container
	entry    *escEntry // with its window's Escape and shortcuts
	add      *widget.Button
	err      *widget.Label
	readOnly bool
	onChange func()
	refuse   func(domain string) string           // why a domain may not be added, "" when it may; nil for none
	hint     func(typed string, err error) string // the message for a domain that is not one; nil for err's
	content  fyne.CanvasObject
}

func newDomainEditor(onChange, onEscape func(), keys shortcuts) *domainEditor {
	d := &domainEditor{onChange: onChange, rows: container.NewVBox()}
	d.entry = newEscEntry(onEscape, keys)
	d.entry.SetPlaceHolder("Add a domain: the part after @ in its addresses")
	d.entry.OnSubmitted = func(string) { d.addTyped() }
	d.entry.OnChanged = func(string) { d.showErr("") }
	d.add = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), d.addTyped)
	d.err = newErrorLabel()
	d.content = container.NewVBox(d.rows, container.NewBorder(nil, nil, nil, d.add, d.entry), d.err)
	return d
}

func (d *domainEditor) set(domains []string) {
	d.domains = append([]string(nil), domains...)
	d.rebuild()
}

func (d *domainEditor) list() []string { return append([]string(nil), d.domains...) }

func (d *domainEditor) setReadOnly(ro bool) {
	d.readOnly = ro
	setEnabled(d.entry, !ro)
	setEnabled(d.add, !ro)
	d.rebuild()
}

func (d *domainEditor) showErr(msg string) {
	d.err.SetText(msg)
	d.err.Hidden = msg == ""
	d.err.Refresh()
}

// addTyped adds the domain in the entry, or says beside it why it cannot be.
func (d *domainEditor) addTyped() {
	if d.readOnly {
		return
	}
	n, err := data.NormalizeDomain(d.entry.Text)
	if err != nil {
		msg := err.Error()
		if d.hint != nil {
			msg = d.hint(d.entry.Text, err)
		}
		d.showErr(msg)
		return
	}
	for _, have := range d.domains {
		if have == n {
			d.showErr(data.DisplayDomain(n) + " is in the list already")
			return
		}
	}
	if d.refuse != nil {
		if why := d.refuse(n); why != "" {
			d.showErr(why)
			return
		}
	}
	d.domains = append(d.domains, n)
	d.entry.SetText("")
	d.rebuild()
	d.onChange()
}

func (d *domainEditor) remove(domain string) {
	for i, have := range d.domains {
		if have == domain {
			d.domains = append(d.domains[:i], d.domains[i+1:]...)
			break
		}
	}
	d.rebuild()
	d.onChange()
}

func (d *domainEditor) rebuild() {
	d.rows.RemoveAll()
	for _, dom := range d.domains {
		dom := dom
		rm := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() { d.remove(dom) })
		rm.Importance = widget.LowImportance
		setEnabled(rm, !d.readOnly)
		row := fyne.CanvasObject(widget.NewLabel(data.DisplayDomain(dom)))
		if data.Lookalike(dom) != "" {
			warn := newLookalikeLabel()
			showLookalike(warn, dom)
			row = container.NewVBox(row, warn)
		}
		d.rows.Add(container.NewBorder(nil, nil, nil, rm, row))
	}
	d.rows.Refresh()
}

// shortcuts are a window's keyboard shortcuts. Fyne hands a shortcut to the focused widget
// and not to the window when an entry has the focus, so each entry of the window asks them too.
type shortcuts map[desktop.CustomShortcut]func()

// install makes the shortcuts work while no entry has the focus.
func (s shortcuts) install(c fyne.Canvas) {
	for k, f := range s {
		k, f := k, f
		c.AddShortcut(&k, func(fyne.Shortcut) { f() })
	}
}

// run runs the shortcut sc, reporting whether there is one.
func (s shortcuts) run(sc fyne.Shortcut) bool {
	cs, ok := sc.(*desktop.CustomShortcut)
	if !ok {
		return false
	}
	f, ok := s[*cs]
	if ok {
		f()
	}
	return ok
}

// ctrl is the shortcut of key with Ctrl (Cmd on macOS).
func ctrl(key fyne.KeyName) desktop.CustomShortcut {
	return desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

// escEntry is the entry of every window: Escape (which Fyne gives only to the focused
// widget) closes the window, and the window's shortcuts and function keys (F5) work while it
// has the focus: those the entry does not use itself go on to the window's canvas.
type escEntry struct {
	widget.Entry
	onEscape func()
	keys     shortcuts
}

func newEscEntry(onEscape func(), keys shortcuts) *escEntry {
	e := &escEntry{onEscape: onEscape, keys: keys}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey runs onEscape for Escape, hands function keys to the window and edits as an
// entry does otherwise.
func (e *escEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	if functionKey(k.Name) {
		if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil && c.OnTypedKey() != nil {
			c.OnTypedKey()(k)
		}
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut runs the entry's own shortcuts (copy, paste, a word left, …) and hands the
// others to the window, where the window's shortcuts (Ctrl+N, Ctrl+F, …) are.
func (e *escEntry) TypedShortcut(s fyne.Shortcut) {
	if e.keys.run(s) {
		return
	}
	if !entryShortcut(s) {
		if c, ok := fyne.CurrentApp().Driver().CanvasForObject(e).(fyne.Shortcutable); ok {
			c.TypedShortcut(s)
		}
		return
	}
	e.Entry.TypedShortcut(s)
}

// entryShortcut tells whether an entry uses shortcut s: the clipboard, undo and select all,
// and moving or deleting by words or lines (an arrow, Home, End, Backspace or Delete with a
// modifier).
func entryShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return true
	}
	switch cs.KeyName {
	case fyne.KeyLeft, fyne.KeyRight, fyne.KeyUp, fyne.KeyDown, fyne.KeyHome, fyne.KeyEnd, fyne.KeyBackspace, fyne.KeyDelete:
		return true
	}
	return false
}

func functionKey(k fyne.KeyName) bool {
	switch k {
	case fyne.KeyF1, fyne.KeyF2, fyne.KeyF3, fyne.KeyF4, fyne.KeyF5, fyne.KeyF6, fyne.KeyF7, fyne.KeyF8,
		fyne.KeyF9, fyne.KeyF10, fyne.KeyF11, fyne.KeyF12:
		return true
	}
	return false
}

// keyList is a widget.List whose keys without modifiers (F5, Delete) run the window's
// actions: Fyne gives such keys only to the focused widget.
type keyList struct {
	widget.List
	keys map[fyne.KeyName]func()
}

func newKeyList(keys map[fyne.KeyName]func(), length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *keyList {
	l := &keyList{keys: keys}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey runs the key's action, or moves as a list does.
func (l *keyList) TypedKey(e *fyne.KeyEvent) {
	if f, ok := l.keys[e.Name]; ok {
		f()
		return
	}
	l.List.TypedKey(e)
}

// FocusGained draws no focus mark: the arrow keys move the selection, which is the mark.
func (l *keyList) FocusGained() {}

// FocusLost has no focus mark to take away.
func (l *keyList) FocusLost() {}

// keyTree is a widget.Tree with the window's keys, as keyList.
type keyTree struct {
	widget.Tree
	keys map[fyne.KeyName]func()
}

func newKeyTree(keys map[fyne.KeyName]func(), children func(widget.TreeNodeID) []widget.TreeNodeID, branch func(widget.TreeNodeID) bool,
	create func(bool) fyne.CanvasObject, update func(widget.TreeNodeID, bool, fyne.CanvasObject)) *keyTree {
	t := &keyTree{keys: keys}
	t.ChildUIDs, t.IsBranch, t.CreateNode, t.UpdateNode = children, branch, create, update
	t.ExtendBaseWidget(t)
	return t
}

// TypedKey runs the key's action, or moves as a tree does.
func (t *keyTree) TypedKey(e *fyne.KeyEvent) {
	if f, ok := t.keys[e.Name]; ok {
		f()
		return
	}
	t.Tree.TypedKey(e)
}

// fieldErrors are the error labels shown beside the fields of a form, by field name.
type fieldErrors map[string]*widget.Label

// label returns the error label of field, made (hidden) the first time.
func (e fieldErrors) label(field string) *widget.Label {
	if l, ok := e[field]; ok {
		return l
	}
	l := newErrorLabel()
	e[field] = l
	return l
}

// beside puts o above the error label of field.
func (e fieldErrors) beside(o fyne.CanvasObject, field string) fyne.CanvasObject {
	return container.NewVBox(o, e.label(field))
}

// set shows msg beside field; "" hides it.
func (e fieldErrors) set(field, msg string) {
	l := e.label(field)
	l.SetText(msg)
	l.Hidden = msg == ""
	l.Refresh()
}

// showAll shows each message of msgs beside its field and clears every other field.
func (e fieldErrors) showAll(msgs map[string]string) {
	for field := range msgs {
		e.label(field)
	}
	for field := range e {
		e.set(field, msgs[field])
	}
}

// newErrorLabel is a hidden label for a plain sentence on what is wrong.
func newErrorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// canvasBackground is a rectangle in the theme's background colour, to lay over what is behind.
func canvasBackground() fyne.CanvasObject {
	return canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
}
