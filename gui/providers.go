package gui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// providersStore is what the Email providers screen reads.
type providersStore interface {
	List(ctx context.Context) ([]*data.Provider, error)
	Get(ctx context.Context, id int64) (*data.Provider, error)
	NameTaken(ctx context.Context, name string, id int64) (bool, error)
	IsListPublisher(ctx context.Context) bool
}

// providersView is the "Email providers" grid.
type providersView struct {
	ui        *UI
	store     providersStore
	rows      *providerRows
	table     *gridTable
	filter    *escEntry
	add       *widget.Button
	open      *widget.Button
	copy      *widget.Button
	delete    *widget.Button
	importBtn *widget.Button
	exportBtn *widget.Button
	status    *widget.Label
	banner    *widget.Label
	empty     fyne.CanvasObject
	content   fyne.CanvasObject

	selected int64 // provider id of the selected row, 0 for none
	logos    *logoCache
}

func newProvidersView(u *UI) *providersView {
	v := &providersView{ui: u, store: u.store, rows: newProviderRows(nil)}
	v.logos = newLogoCache(u, func() { v.table.Refresh() })
	v.filter = newEscEntry(nil, nil)
	v.filter.SetPlaceHolder("Filter by name, host or domain")
	v.filter.OnChanged = func(q string) {
		v.rows.filter(q)
		v.refresh()
	}
	v.add = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), nil)
	v.add.OnTapped = v.showAddMenu
	v.open = widget.NewButtonWithIcon("Open", theme.DocumentIcon(), v.openSelected)
	v.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), v.copySelected)
	v.delete = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), v.deleteSelected)
	v.importBtn = widget.NewButtonWithIcon("Import…", theme.DownloadIcon(), nil)
	v.importBtn.OnTapped = func() { v.showImportMenu(v.importBtn) }
	v.exportBtn = widget.NewButtonWithIcon("Export…", theme.UploadIcon(), v.showExportMenu)
	v.status = widget.NewLabel("")
	v.banner = newBanner()

	v.table = newGridTable(v.size, v.createCell, v.updateCell)
	v.table.CreateHeader = func() fyne.CanvasObject { return widget.NewButton("", nil) }
	v.table.UpdateHeader = v.updateHeader
	v.table.OnSelected = func(id widget.TableCellID) { v.selectRow(id.Row) }
	v.table.onEnter = v.openSelected
	for col, w := range []float32{44, 170, 210, 255, 155, 75} {
		v.table.SetColumnWidth(col, w)
	}
	v.table.SetRowHeight(0, 40)

	v.empty = v.emptyState()
	toolbar := container.NewBorder(nil, nil,
		container.NewHBox(v.add, v.open, v.copy, v.delete), container.NewHBox(v.importBtn, v.exportBtn), v.filter)
	v.content = container.NewBorder(container.NewVBox(v.banner, toolbar), v.status, nil, nil,
		container.NewStack(v.table, v.empty))
	v.updateButtons()
	return v
}

func (v *providersView) size() (int, int) { return v.rows.len(), colCount }

func (v *providersView) createCell() fyne.CanvasObject {
	return newGridCell(func(id widget.TableCellID) { v.table.Select(id) },
		func(id widget.TableCellID) {
			v.table.Select(id)
			v.openSelected()
		})
}

func (v *providersView) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	c := o.(*gridCell)
	c.id = id
	p := v.rows.at(id.Row)
	if p == nil {
		c.setText("")
		return
	}
	if id.Col == colLogo {
		c.setImage(v.logo(p))
		return
	}
	c.setText(cellText(p, id.Col))
	c.label.TextStyle.Bold = id.Col == colName
}

func (v *providersView) updateHeader(id widget.TableCellID, o fyne.CanvasObject) {
	b := o.(*widget.Button)
	b.Importance = widget.LowImportance
	title := columnTitles[id.Col]
	if id.Col == v.rows.sortBy {
		if v.rows.desc {
			title += " ▼"
		} else {
			title += " ▲"
		}
	}
	b.SetText(title)
	col := id.Col
	b.OnTapped = func() {
		v.rows.sortColumn(col)
		v.refresh()
	}
}

// logo returns the thumbnail of p, or nil while it loads or when there is none.
func (v *providersView) logo(p *data.Provider) fyne.Resource {
	if p.Logo == nil {
		return nil
	}
	return v.logos.get(p.ID)
}

// load reads the providers from the store and shows them, keeping filter and selection.
func (v *providersView) load() {
	var rows *providerRows
	var publisher bool
	sortBy, desc := v.rows.sortBy, v.rows.desc
	v.ui.background(func(ctx context.Context) error {
		list, err := v.store.List(ctx)
		publisher = v.store.IsListPublisher(ctx)
		if err == nil {
			rows = sortedProviderRows(list, sortBy, desc)
		}
		return err
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Email providers", v.ui.explain("read the providers", err))
			return
		}
		v.ui.isListPublisher = publisher
		v.show(rows)
	})
}

// show puts rows, sorted off the UI goroutine, in the grid, keeping the filter and selection.
func (v *providersView) show(rows *providerRows) {
	sortBy, desc := v.rows.sortBy, v.rows.desc // a column clicked while they were read
	v.rows = rows
	if rows.sortBy != sortBy || rows.desc != desc {
		rows.sortBy, rows.desc = sortBy, desc
		rows.resort()
	}
	v.rows.filter(v.filter.Text)
	v.logos.reset()
	v.noteShared(rows.all)
	v.refresh()
}

func (v *providersView) refresh() {
	if v.rows.len() == 0 && len(v.rows.all) == 0 {
		v.empty.Show()
		v.table.Hide()
	} else {
		v.empty.Hide()
		v.table.Show()
	}
	if row := v.rows.rowOf(v.selected); row < 0 {
		v.selected = 0
		v.table.UnselectAll()
	}
	switch n, all := v.rows.len(), len(v.rows.all); {
	case n == all:
		v.status.SetText(plural(n, "provider"))
	default:
		v.status.SetText(fmt.Sprintf("%d of %s shown", n, plural(all, "provider")))
	}
	if note := lookalikeNote(v.rows.shown()); note != "" {
		v.status.SetText(v.status.Text + " · " + note)
	}
	v.updateButtons()
	v.table.Refresh()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (v *providersView) selectRow(row int) {
	if p := v.rows.at(row); p != nil {
		v.selected = p.ID
	}
	v.updateButtons()
}

func (v *providersView) updateButtons() {
	setEnabled(v.open, v.selected != 0)
	setEnabled(v.copy, v.selected != 0)
	p := v.rows.at(v.rows.rowOf(v.selected))
	setEnabled(v.delete, p != nil && (p.ManagedBy == "" || v.ui.isListPublisher))
	setEnabled(v.exportBtn, len(v.rows.all) > 0)
}

func setEnabled(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// noteShared says, above the grid, which providers come from the shared list and so open
// read-only, or, for one of the list's publishers, that changes to them go out with a publish.
func (v *providersView) noteShared(list []*data.Provider) {
	shared, source := 0, ""
	for _, p := range list {
		if p.ManagedBy != "" {
			shared, source = shared+1, p.ManagedBy
		}
	}
	if shared == 0 {
		v.banner.Hide()
		return
	}
	what := fmt.Sprintf("%s of %d come", plural(shared, "provider"), len(list))
	if shared == len(list) {
		what = "All providers come"
	}
	how := " and can be changed only by its publishers (Settings)."
	if v.ui.isListPublisher {
		how = ". You are one of its publishers: your changes reach colleagues when you publish the list (Settings)."
	}
	v.banner.SetText(what + " from the shared provider list at " + source + how)
	v.banner.Importance = widget.MediumImportance
	v.banner.Show()
}

// newBanner makes the line above the grid that says where shared providers come from.
func newBanner() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	l.Hide()
	return l
}

func (v *providersView) emptyState() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("No email providers yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	text := widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	text.Wrapping = fyne.TextWrapWord
	addFirst := widget.NewButtonWithIcon("Add a provider", theme.ContentAddIcon(), func() { v.ui.openCard(nil) })
	addFirst.Importance = widget.HighImportance
	importFirst := widget.NewButtonWithIcon("Import providers…", theme.DownloadIcon(), nil)
	importFirst.OnTapped = func() { v.showImportMenu(importFirst) }
	buttons := container.NewHBox(addFirst, importFirst)
	box := container.NewVBox(title, text, container.NewCenter(buttons))
	text.SetText("Email providers hold the server settings that people's mailboxes use. Add the providers your people use, with their domains, so that typing an address finds its settings.")
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(480, 180), box))
}

// showAddMenu offers the kinds of provider that can be added; IMAP / SMTP is the one kind today.
func (v *providersView) showAddMenu() {
	showMenuBelow(v.ui.win, fyne.NewMenu("", fyne.NewMenuItem("IMAP / SMTP", func() { v.ui.openCard(nil) })), v.add)
}

func (v *providersView) openSelected() {
	if v.selected == 0 {
		return
	}
	v.ui.openProvider(v.selected)
}

// copySelected opens a new card filled from the selected provider, with a free name and no
// domains (a domain belongs to one provider only).
func (v *providersView) copySelected() {
	if v.selected == 0 {
		return
	}
	id := v.selected
	var p *data.Provider
	v.ui.background(func(ctx context.Context) error {
		var err error
		if p, err = v.store.Get(ctx, id); err != nil {
			return err
		}
		p.Name = data.CopyName(p.Name, func(name string) bool {
			taken, err := v.store.NameTaken(ctx, name, 0)
			return err != nil || taken
		})
		p.ID, p.Version, p.Domains, p.ExternalID = 0, 0, nil, ""
		return nil
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Copy provider", v.ui.explain("copy the provider", err))
			return
		}
		v.ui.openCard(p)
	})
}

func (v *providersView) deleteSelected() {
	p := v.rows.at(v.rows.rowOf(v.selected))
	if p == nil {
		return
	}
	msg := fmt.Sprintf("Delete the provider “%s”", p.Name)
	if n := len(p.Domains); n > 0 {
		msg += fmt.Sprintf(" and its %s", plural(n, "domain"))
	}
	dialog.NewConfirm("Delete provider", msg+"?", func(ok bool) {
		if ok {
			v.ui.deleteProvider(p.ID)
		}
	}, v.ui.win).Show()
}

// deleteProvider removes provider id and reloads the lists.
func (u *UI) deleteProvider(id int64) {
	u.background(func(ctx context.Context) error {
		if err := u.store.Delete(ctx, id); err != nil {
			return err
		}
		// Its OAuth 2.0 client secret, if it had one; a keyring that fails here only leaves
		// an entry that no provider names.
		if err := u.secrets.Delete(ctx, data.ClientSecretRef(id)); err != nil {
			u.log.Warn("delete client secret", "provider", id, "err", err)
		}
		return nil
	}, func(err error) {
		if err != nil {
			showError(u.win, "Delete provider", u.explain("delete the provider", err))
		}
		u.reload()
	})
}

// openProvider opens the card of provider id.
func (u *UI) openProvider(id int64) {
	var p *data.Provider
	u.background(func(ctx context.Context) error {
		var err error
		p, err = u.store.Get(ctx, id)
		return err
	}, func(err error) {
		if err != nil {
			showError(u.win, "Email provider", u.explain("open the provider", err))
			u.reload()
			return
		}
		u.openCard(p)
	})
}
