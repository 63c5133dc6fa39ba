package gui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// The Export menu of the button at the window's right edge opens leftwards, whole, ending at
// the button's right edge, instead of running past the window's edge.
func TestExportMenuFitsInTheWindow(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	saveProvider(t, s, "Example Mail")
	u := newTestUI(t, s)
	u.showProviders()
	act(u, u.providers.showExportMenu)
	var menu *widget.PopUpMenu
	for _, o := range overlayObjects(t, u.win) {
		if m, ok := o.(*widget.PopUpMenu); ok {
			menu = m
		}
	}
	if menu == nil {
		t.Fatal("no Export menu opened")
	}
	btn := fyne.CurrentApp().Driver().AbsolutePositionForObject(u.providers.exportBtn).X + u.providers.exportBtn.Size().Width
	right := menu.Position().X + menu.MinSize().Width
	if width := u.win.Canvas().Size().Width; right > width || right > btn+1 {
		t.Fatalf("the menu ends at x=%.0f, past the button (%.0f) or the window's edge (%.0f)", right, btn, width)
	}
}

// The folder choosers say what they are for, not Fyne's "Open".
func TestFolderDialogsSayWhatTheyAreFor(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	act(u, func() { u.providers.chooseExportFolder(nil) })
	text := dialogText(t, u.win)
	if !strings.Contains(text, "Export providers to a folder") {
		t.Errorf("the export dialog says %q", text)
	}
	if !hasButton(t, u.win, "Export here") || hasButton(t, u.win, "Open") {
		t.Error("the export dialog's button should say Export here, not Open")
	}
}

func hasButton(t *testing.T, win fyne.Window, text string) bool {
	for _, o := range overlayObjects(t, win) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return true
		}
	}
	return false
}

// The import report breaks its lines between words, never inside one.
func TestImportReportWrapsBetweenWords(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	lines := []string{
		"office-mail.xml: added Office Mail, the provider of the whole office and of its branches abroad",
		"    warning: the incoming server does not use encryption, so passwords would travel readable by anyone on the way",
	}
	act(u, func() { showReport(u.win, "Import providers", "1 file read: 1 added.", lines) })
	words := map[string]bool{}
	for _, l := range lines {
		for _, w := range strings.Fields(l) {
			words[w] = true
		}
	}
	rows := 0
	for _, o := range overlayObjects(t, u.win) {
		txt, ok := o.(*canvas.Text)
		if !ok || !strings.Contains(strings.Join(lines, " "), strings.TrimSpace(txt.Text)) || strings.TrimSpace(txt.Text) == "" {
			continue
		}
		rows++
		for _, w := range strings.Fields(txt.Text) {
			if !words[w] {
				t.Errorf("the report breaks inside a word: row %q ends or starts with %q", txt.Text, w)
			}
		}
	}
	if rows <= len(lines) {
		t.Fatalf("the report's %d lines show as %d rows: they should wrap in a 720 wide dialog", len(lines), rows)
	}
}

// Provider names sort as people read them: "Český" between "Alpha" and "Zeta", not after "Z".
func TestProvidersSortAsPeopleReadNames(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	for _, n := range []string{"Zeta Mail", "Český Mail", "Alpha Mail", "dora Mail"} {
		saveProvider(t, s, n)
	}
	u := newTestUI(t, s)
	var got []string
	for _, p := range u.providers.rows.shown() {
		got = append(got, p.Name)
	}
	if want := "Alpha Mail, Český Mail, dora Mail, Zeta Mail"; strings.Join(got, ", ") != want {
		t.Fatalf("providers in the order %s, want %s", strings.Join(got, ", "), want)
	}
	var domains []string
	for _, e := range u.domains.view {
		domains = append(domains, data.DisplayDomain(e.Domain))
	}
	if want := "alpha.example, český.example, dora.example, zeta.example"; strings.Join(domains, ", ") != want {
		t.Fatalf("domains in the order %s, want %s", strings.Join(domains, ", "), want)
	}
}

// saveProvider saves a provider named name, with one domain: its first word, lowercase.
func saveProvider(t *testing.T, s *data.Store, name string) {
	t.Helper()
	p := data.NewProvider()
	first := strings.ToLower(strings.Fields(name)[0])
	p.Name, p.IMAP.Host, p.SMTP.Host = name, "imap.example.test", "smtp.example.test"
	p.Domains = []string{first + ".example"}
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}
