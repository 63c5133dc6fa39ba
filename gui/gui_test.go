package gui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// openStore opens a store on a temporary file as user; the first user of a file administers it.
func openStore(t *testing.T, path, user string) *data.Store {
	t.Helper()
	s, err := data.Open(path, user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestUI(t *testing.T, s *data.Store) *UI {
	t.Helper()
	return newTestUIWith(t, s, nil)
}

// newTestUIWith is newTestUI with tune (when not nil) applied before the window opens.
func newTestUIWith(t *testing.T, s *data.Store, tune func(*UI)) *UI {
	t.Helper()
	a := test.NewTempApp(t)
	u := New(a, s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.discoverer, u.typingPause, u.syncEvery, u.watchIdle = offlineDiscoverer(), 0, 0, false
	u.cacheDir = t.TempDir()
	if tune != nil {
		tune(u)
	}
	act(u, u.ShowMain)
	t.Cleanup(u.stopWorkers)
	u.jobs.Wait()
	return u
}

func fillCard(c *providerCard, name, imapHost, smtpHost string) {
	test.Type(c.name, name)
	test.Type(c.imap.host, imapHost)
	test.Type(c.smtp.host, smtpHost)
}

func TestAddProviderThroughCardShowsInGrid(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	if !u.providers.empty.Visible() {
		t.Fatal("an empty list should show what to do next")
	}
	c := u.openCard(nil)
	fillCard(c, "Example Mail", "imap.example.com", "smtp.example.com")
	act(u, func() { test.Type(c.domains.entry, "EXAMPLE.com.") })
	u.jobs.Wait()
	test.Tap(c.domains.add)
	act(u, func() { test.Type(c.domains.entry, "bücher.de") })
	u.jobs.Wait()
	test.Tap(c.domains.add)
	test.Tap(c.savesSent)
	test.Tap(c.save)
	u.jobs.Wait()

	if n := u.providers.rows.len(); n != 1 {
		t.Fatalf("grid rows = %d, want 1", n)
	}
	p := u.providers.rows.at(0)
	if got := cellText(p, colIncoming); got != "imap.example.com:993 · SSL" {
		t.Errorf("incoming cell = %q", got)
	}
	if got := cellText(p, colDomains); got != "2" {
		t.Errorf("domains cell = %q", got)
	}
	if u.providers.empty.Visible() {
		t.Error("the empty-list hint is still shown")
	}
	r, err := s.ResolveProvider(context.Background(), "ann@bücher.de")
	if err != nil || r.Provider.Name != "Example Mail" || !r.Provider.ServerSavesSent {
		t.Fatalf("resolve after save = %v, %v", r, err)
	}
}

func TestCardShowsValidationBesideFieldsAndSavesNothing(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)
	fillCard(c, strings.Repeat("x", 500), "imap gmail.com", "http://smtp.gmail.com")
	c.imap.port.SetText("abc")
	c.timeout.SetText("601")
	act(u, func() { test.Type(c.domains.entry, "gmail") })
	u.jobs.Wait()
	test.Tap(c.domains.add)
	test.Tap(c.save)
	u.jobs.Wait()

	for field, want := range map[string]string{
		data.FieldName:        "at most 100",
		data.FieldIMAPHost:    "cannot contain spaces",
		data.FieldSMTPHost:    "without",
		data.FieldIMAPPort:    "whole number",
		data.FieldSMTPTimeout: "from 1 to 600",
	} {
		l := c.errs[field]
		if l == nil || !l.Visible() || !strings.Contains(l.Text, want) {
			t.Errorf("error beside %s = %v, want it to mention %q", field, l, want)
		}
	}
	if !c.domains.err.Visible() || !strings.Contains(c.domains.err.Text, "needs a dot") {
		t.Errorf("domain error = %q", c.domains.err.Text)
	}
	if !strings.Contains(c.summary.Text, "fields marked in red") {
		t.Errorf("summary = %q", c.summary.Text)
	}
	if list, _ := s.List(context.Background()); len(list) != 0 {
		t.Fatalf("a refused card saved %d providers", len(list))
	}
	test.Type(c.imap.host, "x")
	if c.errs[data.FieldIMAPHost].Visible() {
		t.Error("editing a field should clear its error")
	}
}

func TestDuplicateNameAndTakenDomainAreShownBesideTheirFields(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	gmail := data.NewProvider()
	gmail.Name, gmail.IMAP.Host, gmail.SMTP.Host, gmail.Domains = "Gmail", "imap.gmail.com", "smtp.gmail.com", []string{"gmail.com"}
	if err := s.Save(context.Background(), gmail); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	c := u.openCard(nil)
	fillCard(c, "  gmail ", "imap.example.com", "smtp.example.com")
	c.domains.set([]string{"gmail.com"}) // in the list before the check as typed could say (imported, say): Save still refuses it
	test.Tap(c.save)
	u.jobs.Wait()
	if l := c.errs[data.FieldName]; !l.Visible() || !strings.Contains(l.Text, `"Gmail"`) {
		t.Errorf("name error = %q", l.Text)
	}
	if l := c.errs[data.FieldDomains]; !l.Visible() || !strings.Contains(l.Text, "gmail.com already belongs") {
		t.Errorf("domains error = %q", l.Text)
	}
	if list, _ := s.List(context.Background()); len(list) != 1 {
		t.Fatalf("providers = %d, want the one there was", len(list))
	}
}

func TestSecurityChangeMovesStandardPortOnly(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)
	c.imap.security.SetSelected(data.SecurityStartTLS.Title())
	if c.imap.port.Text != "143" {
		t.Errorf("IMAP port after STARTTLS = %s, want 143", c.imap.port.Text)
	}
	c.smtp.security.SetSelected(data.SecurityStartTLS.Title())
	if c.smtp.port.Text != "587" {
		t.Errorf("SMTP port after STARTTLS = %s, want 587", c.smtp.port.Text)
	}
	c.smtp.port.SetText("2525")
	c.smtp.security.SetSelected(data.SecuritySSL.Title())
	if c.smtp.port.Text != "2525" {
		t.Errorf("a custom port changed to %s", c.smtp.port.Text)
	}
	if c.imap.warning.Visible() {
		t.Error("warning shown for an encrypted connection")
	}
	c.imap.security.SetSelected(data.SecurityNone.Title())
	if !c.imap.warning.Visible() {
		t.Error("no warning that passwords would travel unencrypted")
	}
}

func TestBadLogoIsRefusedAndOldOneKept(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)

	good := filepath.Join(dir, "logo.png")
	writePNG(t, good, 300, 150)
	c.loadLogoFile(good)
	if c.logo == nil || c.errs[data.FieldLogo].Visible() {
		t.Fatalf("good logo refused: %q", c.errs[data.FieldLogo].Text)
	}
	kept := c.logo
	fake := filepath.Join(dir, "notes.png")
	os.WriteFile(fake, []byte("just some text, not an image"), 0o600)
	c.loadLogoFile(fake)
	if !bytes.Equal(c.logo, kept) {
		t.Error("a refused file replaced the logo")
	}
	if l := c.errs[data.FieldLogo]; !l.Visible() || !strings.Contains(l.Text, "not a PNG, JPEG or GIF") || !strings.Contains(l.Text, "previous logo is kept") {
		t.Errorf("logo error = %q", l.Text)
	}
	fillCard(c, "Logo Mail", "imap.logo.test", "smtp.logo.test")
	test.Tap(c.save)
	u.jobs.Wait()
	list, _ := s.List(context.Background())
	if len(list) != 1 {
		t.Fatalf("providers = %d", len(list))
	}
	stored, _ := s.Logo(context.Background(), list[0].ID)
	img, err := png.Decode(bytes.NewReader(stored))
	if err != nil || img.Bounds().Dx() != data.LogoThumbSide || img.Bounds().Dy() != data.LogoThumbSide/2 {
		t.Errorf("stored logo = %v, %v", img.Bounds(), err)
	}
}

func TestClosingWithUnsavedChangesAsksFirst(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)
	c.close()
	if c.win.Canvas().Overlays().Top() != nil {
		t.Error("an unchanged card asked before closing")
	}
	c = u.openCard(nil)
	test.Type(c.name, "Half typed")
	c.close()
	if c.win.Canvas().Overlays().Top() == nil {
		t.Error("a changed card closed without asking")
	}
}

func TestFilterMatchesNameHostAndDomain(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	for _, n := range []struct{ name, host, domain string }{
		{"Alpha", "imap.alpha.test", "alpha.test"},
		{"Beta", "mail.beta.test", "xn--bcher-kva.de"},
		{"Gamma", "imap.gamma.test", "gamma.test"},
	} {
		p := data.NewProvider()
		p.Name, p.IMAP.Host, p.SMTP.Host, p.Domains = n.name, n.host, n.host, []string{n.domain}
		if err := s.Save(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	u := newTestUI(t, s)
	for q, want := range map[string]int{"": 3, "ALPHA": 1, "mail.beta": 1, "bücher": 1, "test": 3, "zzz": 0} {
		u.providers.filter.SetText(q)
		if got := u.providers.rows.len(); got != want {
			t.Errorf("filter %q shows %d rows, want %d", q, got, want)
		}
	}
	u.providers.filter.SetText("")
	u.providers.rows.sortColumn(colName)
	if u.providers.rows.at(0).Name != "Gamma" {
		t.Errorf("sorting by name twice should reverse: first is %s", u.providers.rows.at(0).Name)
	}
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.NRGBA{R: 200, A: 255})
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func widgetCell(row, col int) widget.TableCellID { return widget.TableCellID{Row: row, Col: col} }

const exampleClientConfig = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <domain>example.org</domain>
    <displayName>Example Test Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>`

func TestImportThenExportFromTheGrid(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "m.db"), "ann")
	u := newTestUI(t, s)
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o700)
	os.WriteFile(filepath.Join(in, "example.test.xml"), []byte(exampleClientConfig), 0o600)
	os.WriteFile(filepath.Join(in, "broken.xml"), []byte("<clientConfig"), 0o600)

	u.importProviders([]string{in})
	u.jobs.Wait()
	if n := u.providers.rows.len(); n != 1 {
		t.Fatalf("grid rows after import = %d, want 1", n)
	}
	p := u.providers.rows.at(0)
	if p.Name != "Example Test Mail" || p.LoginRule != data.LoginLocalPart || cellText(p, colIncoming) != "imap.example.test:143 · STARTTLS" {
		t.Errorf("imported %+v", p)
	}
	report := dialogText(t, u.win)
	if !strings.Contains(report, "1 imported") || !strings.Contains(report, "broken.xml: skipped") {
		t.Errorf("import report = %q", report)
	}

	out := filepath.Join(dir, "out")
	u.exportProviders(u.providers.rows.all, out)
	u.jobs.Wait()
	files, _ := filepath.Glob(filepath.Join(out, "*.xml"))
	if len(files) != 1 {
		t.Fatalf("exported files = %v", files)
	}
	if b, _ := os.ReadFile(files[0]); !strings.Contains(string(b), "<hostname>imap.example.test</hostname>") {
		t.Errorf("exported file:\n%s", b)
	}
}

// overlayObjects returns every object in win's topmost overlay (a dialog).
func overlayObjects(t *testing.T, win fyne.Window) []fyne.CanvasObject {
	top := win.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		out = append(out, o)
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.TempWidgetRenderer(t, w).Objects() {
				walk(c)
			}
		}
	}
	walk(top)
	return out
}

// dialogText returns the text of every label in win's topmost overlay.
func dialogText(t *testing.T, win fyne.Window) string {
	var b strings.Builder
	for _, o := range overlayObjects(t, win) {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// confirmTop taps the confirming (high importance) button of the main window's topmost dialog.
func confirmTop(t *testing.T, u *UI) { confirmIn(t, u.win) }

// confirmIn taps the confirming (high importance) button of win's topmost dialog.
func confirmIn(t *testing.T, win fyne.Window) {
	t.Helper()
	for _, o := range overlayObjects(t, win) {
		if b, ok := o.(*widget.Button); ok && b.Importance == widget.HighImportance {
			test.Tap(b)
			return
		}
	}
	t.Fatal("no dialog with a confirming button is shown")
}

// act runs f as the UI goroutine would: the test driver's fyne.Do does not wait for the test's
// own actions, so background results are held back until f is done.
// openCompose opens a compose window the way the UI does, and stops its draft timer when the
// test ends, so that a pending autosave never runs into the next test.
func openCompose(t *testing.T, u *UI, c data.Composition) *composeWindow {
	var w *composeWindow
	act(u, func() { w = u.compose(c, 0) })
	t.Cleanup(func() {
		act(u, func() { w.closed = true }) // a draft timer that already fired then saves nothing
		w.stopTimer()
		u.jobs.Wait()
	})
	return w
}

func act(u *UI, f func()) {
	u.applyMu.Lock()
	defer u.applyMu.Unlock()
	f()
}

func TestSavingOverAnotherWindowsChangeSaysSoAndKeepsTheirs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	mine := openStore(t, path, "ann")
	theirs := openStore(t, path, "ann") // a second Mailroom window on the same database
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Office", "imap.office.test", "smtp.office.test"
	if err := mine.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, mine)
	got, _ := mine.Get(context.Background(), p.ID)
	c := u.openCard(got)

	q, _ := theirs.Get(context.Background(), p.ID)
	q.IMAP.Host = "imap.theirs.test"
	if err := theirs.Save(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	c.name.SetText("Office (mine)")
	test.Tap(c.save)
	u.jobs.Wait()
	if msg := dialogText(t, c.win); !strings.Contains(msg, "Someone changed this provider while you were editing it") {
		t.Errorf("dialog = %q", msg)
	}
	now, _ := mine.Get(context.Background(), p.ID)
	if now.Name != "Office" || now.IMAP.Host != "imap.theirs.test" {
		t.Errorf("stored %q %q: the other window's change must stay", now.Name, now.IMAP.Host)
	}
}

func TestCardRefusesPortsWithSpacesOrSigns(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)
	fillCard(c, "Example", "imap.example.com", "smtp.example.com")
	c.imap.port.SetText(" 993 ")
	c.smtp.port.SetText("+465")
	test.Tap(c.save)
	u.jobs.Wait()
	for _, field := range []string{data.FieldIMAPPort, data.FieldSMTPPort} {
		if l := c.errs[field]; l == nil || !l.Visible() || !strings.Contains(l.Text, "digits only") {
			t.Errorf("error beside %s = %v, want it to say digits only", field, l)
		}
	}
	if list, _ := s.List(context.Background()); len(list) != 0 {
		t.Fatalf("a card with a port %q saved %d providers", c.imap.port.Text, len(list))
	}
}
