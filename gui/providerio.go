package gui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// showImportMenu offers, below anchor, to import clientConfig files from one file or a folder.
func (v *providersView) showImportMenu(anchor fyne.CanvasObject) {
	menu := fyne.NewMenu("",
		fyne.NewMenuItem("From a file…", func() {
			d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
				if err == nil && r != nil {
					r.Close()
					v.ui.importProviders([]string{r.URI().Path()})
				}
			}, v.ui.win)
			d.SetTitleText("Import providers from a file")
			d.SetConfirmText("Import")
			d.Resize(fyne.NewSize(800, 560))
			d.Show()
		}),
		fyne.NewMenuItem("From a folder…", func() {
			folderDialog("Import providers from a folder", "Import", v.ui.win, func(dir string) {
				v.ui.importProviders([]string{dir})
			}).Show()
		}))
	showMenuBelow(v.ui.win, menu, anchor)
}

// showExportMenu offers to export the selected provider or the whole list to a folder.
func (v *providersView) showExportMenu() {
	selected := v.rows.at(v.rows.rowOf(v.selected))
	all := fyne.NewMenuItem("All providers…", func() { v.chooseExportFolder(v.rows.ordered()) })
	one := fyne.NewMenuItem("The selected provider…", func() { v.chooseExportFolder([]*data.Provider{selected}) })
	one.Disabled = selected == nil
	showMenuBelow(v.ui.win, fyne.NewMenu("", one, all), v.exportBtn)
}

func (v *providersView) chooseExportFolder(list []*data.Provider) {
	folderDialog("Export providers to a folder", "Export here", v.ui.win, func(dir string) {
		v.ui.exportProviders(list, dir)
	}).Show()
}

// folderDialog asks for a folder in a dialog titled for what the folder is for, with confirm on
// its button (Fyne titles every file dialog "Open"), and gives chosen the folder's path.
func folderDialog(title, confirm string, win fyne.Window, chosen func(dir string)) *dialog.FileDialog {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			chosen(u.Path())
		}
	}, win)
	d.SetTitleText(title)
	d.SetConfirmText(confirm)
	d.Resize(fyne.NewSize(800, 560))
	return d
}

func showMenuBelow(w fyne.Window, menu *fyne.Menu, o fyne.CanvasObject) {
	c := w.Canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Add(fyne.NewPos(0, o.Size().Height))
	pop := widget.NewPopUpMenu(menu, c)
	if width := pop.MinSize().Width; pos.X+width > c.Size().Width {
		pos.X = fyne.Max(0, fyne.Min(pos.X+o.Size().Width, c.Size().Width)-width)
	}
	pop.ShowAtPosition(pos)
}

// progressDialog shows a progress bar with counts and a Cancel button.
type progressDialog struct {
	bar    *widget.ProgressBar
	label  *widget.Label
	dlg    *dialog.CustomDialog
	cancel context.CancelFunc
}

func newProgressDialog(title, what string, win fyne.Window, cancel context.CancelFunc) *progressDialog {
	p := &progressDialog{bar: widget.NewProgressBar(), label: widget.NewLabel(what), cancel: cancel}
	p.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(p.label, p.bar), win)
	p.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", cancel)})
	p.dlg.Resize(fyne.NewSize(420, 160))
	p.dlg.Show()
	return p
}

func (p *progressDialog) update(done, total int) {
	if total > 0 {
		p.bar.Max = float64(total)
		p.bar.SetValue(float64(done))
	}
}

// withProgress runs work with a cancellable context behind a progress dialog, then apply.
func (u *UI) withProgress(title, what string, work func(ctx context.Context, progress func(done, total int)) error, apply func(error)) {
	ctx, cancel := context.WithCancel(context.Background())
	p := newProgressDialog(title, what, u.win, cancel)
	u.background(func(context.Context) error {
		defer cancel()
		return work(ctx, func(done, total int) { u.onUI(func() { p.update(done, total) }) })
	}, func(err error) {
		p.dlg.Hide()
		apply(err)
	})
}

// importProviders imports clientConfig files and folders and shows what happened to each file.
func (u *UI) importProviders(paths []string) {
	var report *mailclient.ImportReport
	u.withProgress("Import providers", "Reading provider files…", func(ctx context.Context, progress func(int, int)) error {
		var err error
		report, err = mailclient.ImportProviders(ctx, u.store, paths, progress)
		return err
	}, func(err error) {
		u.reload()
		lines := []string{}
		if report != nil {
			for _, f := range report.Files {
				lines = append(lines, f.Line())
				for _, w := range f.Warnings {
					lines = append(lines, "    warning: "+w)
				}
			}
		}
		summary := "Nothing was found to import."
		if report != nil && len(report.Files) > 0 {
			summary = report.Summary() + "."
		}
		if err != nil {
			u.log.Error("import providers", "err", err)
			summary = mailclient.ProblemMessage(err) + " " + summary
		}
		showReport(u.win, "Import providers", summary, lines)
	})
}

// exportProviders writes list as clientConfig files into dir and shows the outcome.
func (u *UI) exportProviders(list []*data.Provider, dir string) {
	var report *mailclient.ExportReport
	u.withProgress("Export providers", "Writing provider files…", func(ctx context.Context, progress func(int, int)) error {
		var err error
		report, err = mailclient.ExportProviders(ctx, list, dir, progress)
		return err
	}, func(err error) {
		var lines []string
		written := 0
		if report != nil {
			for _, f := range report.Files {
				if f.Err != nil {
					lines = append(lines, fmt.Sprintf("%s: not written: %v", f.Provider, f.Err))
					continue
				}
				written++
				lines = append(lines, fmt.Sprintf("%s: %s", f.Provider, f.Path))
				for _, w := range f.Warnings {
					lines = append(lines, "    warning: "+w)
				}
			}
		}
		summary := fmt.Sprintf("%s written to %s.", plural(written, "file"), dir)
		if err != nil {
			u.log.Error("export providers", "err", err)
			summary = "The export stopped: " + mailclient.ProblemMessage(err) + " " + summary
		}
		showReport(u.win, "Export providers", summary, lines)
	})
}

// showReport shows a summary sentence above a scrollable list of lines.
func showReport(win fyne.Window, title, summary string, lines []string) {
	head := widget.NewLabel(summary)
	head.Wrapping = fyne.TextWrapWord
	body := widget.NewLabel(strings.Join(lines, "\n"))
	body.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(body)
	scroll.SetMinSize(fyne.NewSize(640, 320))
	d := dialog.NewCustom(title, "Close", container.NewBorder(head, nil, nil, nil, scroll), win)
	d.Resize(fyne.NewSize(720, 480))
	d.Show()
}
