package gui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// domainsStore is what the Provider domains screen reads and changes.
type domainsStore interface {
	Domains(ctx context.Context) ([]data.DomainEntry, error)
	SetDomain(ctx context.Context, old, domain string, providerID int64) error
	DeleteDomain(ctx context.Context, domain string) error
	List(ctx context.Context) ([]*data.Provider, error)
}

// domainsView is the "Provider domains" lookup: which domain belongs to which provider.
type domainsView struct {
	ui      *UI
	store   domainsStore
	all     []data.DomainEntry
	view    []data.DomainEntry
	table   *gridTable
	filter  *escEntry
	add     *widget.Button
	edit    *widget.Button
	delete  *widget.Button
	status  *widget.Label
	content fyne.CanvasObject

	selected string // domain of the selected row
}

func newDomainsView(u *UI) *domainsView {
	v := &domainsView{ui: u, store: u.store}
	v.filter = newEscEntry(nil, nil)
	v.filter.SetPlaceHolder("Filter by domain or provider")
	v.filter.OnChanged = func(string) { v.applyFilter() }
	v.add = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() { v.showEditor(data.DomainEntry{}) })
	v.edit = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), v.editSelected)
	v.delete = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), v.deleteSelected)
	v.status = widget.NewLabel("")
	v.table = newGridTable(func() (int, int) { return len(v.view), 2 },
		func() fyne.CanvasObject {
			return newGridCell(func(id widget.TableCellID) { v.table.Select(id) },
				func(id widget.TableCellID) { v.table.Select(id); v.editSelected() })
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			c := o.(*gridCell)
			c.id = id
			if id.Row >= len(v.view) {
				c.setText("")
				return
			}
			e := v.view[id.Row]
			if id.Col == 0 {
				c.setText(domainCellText(e.Domain))
			} else {
				c.setText(e.ProviderName)
			}
		})
	v.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		o.(*widget.Label).SetText([]string{"Domain", "Provider"}[id.Col])
	}
	v.table.OnSelected = func(id widget.TableCellID) {
		if id.Row < len(v.view) {
			v.selected = v.view[id.Row].Domain
		}
		v.updateButtons()
	}
	v.table.onEnter = v.editSelected
	v.table.SetColumnWidth(0, 320)
	v.table.SetColumnWidth(1, 320)
	toolbar := container.NewBorder(nil, nil, container.NewHBox(v.add, v.edit, v.delete), nil, v.filter)
	v.content = container.NewBorder(toolbar, v.status, nil, nil, v.table)
	v.updateButtons()
	return v
}

func (v *domainsView) load() {
	var list []data.DomainEntry
	v.ui.background(func(ctx context.Context) error {
		var err error
		if list, err = v.store.Domains(ctx); err == nil {
			sortDomains(list)
		}
		return err
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Provider domains", v.ui.explain("read the domains", err))
			return
		}
		v.all = list
		v.applyFilter()
	})
}

// sortDomains orders list by domain as it is shown (an internationalized domain in its own
// letters, not its xn-- form), in the order people read them.
func sortDomains(list []data.DomainEntry) {
	shown := make([]string, len(list))
	for i, e := range list {
		shown[i] = data.DisplayDomain(e.Domain)
	}
	keys := collationKeys(shown)
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([]data.DomainEntry, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
	}
	copy(list, sorted)
}

func (v *domainsView) applyFilter() {
	q := strings.ToLower(strings.TrimSpace(v.filter.Text))
	v.view = v.view[:0]
	for _, e := range v.all {
		if q == "" || strings.Contains(e.Domain, q) || strings.Contains(data.DisplayDomain(e.Domain), q) ||
			strings.Contains(strings.ToLower(e.ProviderName), q) {
			v.view = append(v.view, e)
		}
	}
	found := false
	for _, e := range v.view {
		found = found || e.Domain == v.selected
	}
	if !found {
		v.selected = ""
		v.table.UnselectAll()
	}
	if len(v.view) == len(v.all) {
		v.status.SetText(plural(len(v.all), "domain"))
	} else {
		v.status.SetText(fmt.Sprintf("%d of %s shown", len(v.view), plural(len(v.all), "domain")))
	}
	v.updateButtons()
	v.table.Refresh()
}

func (v *domainsView) updateButtons() {
	setEnabled(v.edit, v.selected != "")
	setEnabled(v.delete, v.selected != "")
}

func (v *domainsView) editSelected() {
	for _, e := range v.view {
		if e.Domain == v.selected {
			v.showEditor(e)
		}
	}
}

func (v *domainsView) deleteSelected() {
	d := v.selected
	if d == "" {
		return
	}
	dialog.NewConfirm("Delete domain", fmt.Sprintf("Remove %s from its provider?", data.DisplayDomain(d)), func(ok bool) {
		if !ok {
			return
		}
		v.ui.background(func(ctx context.Context) error { return v.store.DeleteDomain(ctx, d) }, func(err error) {
			if err != nil {
				showError(v.ui.win, "Delete domain", v.ui.explain("delete the domain", err))
			}
			v.ui.reload()
		})
	}, v.ui.win).Show()
}

// showEditor asks for a domain and its provider; e.Domain is "" to add a new one.
// The dialog stays open, with the reason beside the field, until the domain is accepted.
func (v *domainsView) showEditor(e data.DomainEntry) *domainDialog {
	d := &domainDialog{view: v, old: e.Domain}
	d.domain = widget.NewEntry()
	d.domain.SetPlaceHolder("example.com")
	d.domain.SetText(data.DisplayDomain(e.Domain))
	d.err = newErrorLabel()
	providers, _ := v.store.List(context.Background())
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = p.Name
	}
	d.providers = providers
	d.provider = widget.NewSelect(names, nil)
	d.provider.PlaceHolder = "Choose a provider"
	if e.ProviderName != "" {
		d.provider.SetSelected(e.ProviderName)
	}
	title := "Add domain"
	if e.Domain != "" {
		title = "Edit domain"
	}
	ok := widget.NewButton("Save", d.submit)
	ok.Importance = widget.HighImportance
	form := container.New(newFormLayout(), widget.NewLabel("Domain"), d.domain, widget.NewLabel("Provider"), d.provider)
	d.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, d.err), v.ui.win)
	d.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", d.dlg.Hide), ok})
	d.domain.OnSubmitted = func(string) { d.submit() }
	d.dlg.Resize(fyne.NewSize(480, 220))
	d.dlg.Show()
	v.ui.win.Canvas().Focus(d.domain)
	return d
}

// domainDialog is the add/edit dialog of the domains lookup.
type domainDialog struct {
	view      *domainsView
	old       string
	domain    *widget.Entry
	provider  *widget.Select
	providers []*data.Provider
	err       *widget.Label
	dlg       *dialog.CustomDialog
}

func (d *domainDialog) showErr(msg string) {
	d.err.SetText(msg)
	d.err.Hidden = msg == ""
	d.err.Refresh()
}

func (d *domainDialog) submit() {
	i := d.provider.SelectedIndex()
	if i < 0 {
		d.showErr("Choose the provider this domain belongs to")
		return
	}
	if _, err := data.NormalizeDomain(d.domain.Text); err != nil {
		d.showErr(err.Error())
		return
	}
	domain, old, pid := d.domain.Text, d.old, d.providers[i].ID
	u := d.view.ui
	u.background(func(ctx context.Context) error { return d.view.store.SetDomain(ctx, old, domain, pid) }, func(err error) {
		var v *data.ValidationError
		switch {
		case errors.As(err, &v):
			d.showErr(v.Fields[0].Msg)
		case err != nil:
			d.showErr(u.explain("save the domain", err))
		default:
			d.dlg.Hide()
			u.reload()
		}
	})
}
