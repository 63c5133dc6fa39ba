package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
	entry    *widget.Entry
	add      *widget.Button
	err      *widget.Label
	readOnly bool
	onChange func()
	content  fyne.CanvasObject
}

func newDomainEditor(onChange func()) *domainEditor {
	d := &domainEditor{onChange: onChange, rows: container.NewVBox()}
	d.entry = widget.NewEntry()
	d.entry.SetPlaceHolder("Add a domain, for example example.com")
	d.entry.OnSubmitted = func(string) { d.addTyped() }
	d.entry.OnChanged = func(string) { d.showErr("") }
	d.add = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), d.addTyped)
	d.err = widget.NewLabel("")
	d.err.Importance = widget.DangerImportance
	d.err.Wrapping = fyne.TextWrapWord
	d.err.Hide()
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
		d.showErr(err.Error())
		return
	}
	for _, have := range d.domains {
		if have == n {
			d.showErr(data.DisplayDomain(n) + " is in the list already")
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
		d.rows.Add(container.NewBorder(nil, nil, nil, rm, widget.NewLabel(data.DisplayDomain(dom))))
	}
	d.rows.Refresh()
}

// escEntry is an entry that hands Escape to its window (to close it) instead of ignoring it:
// Fyne gives keys without modifiers to the focused widget only.
type escEntry struct {
	widget.Entry
	onEscape func()
}

func newEscEntry(onEscape func()) *escEntry {
	e := &escEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey runs onEscape for Escape and edits as an entry does otherwise.
func (e *escEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
