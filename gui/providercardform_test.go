package gui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"mailroom/data"
)

// TestCardNamesTakenDomainAsTypedCountsTrulyAndSavesWithCtrlSAnywhere covers the provider card's
// form: a domain another provider has is named as it is typed (and not added), the count beside
// Save follows the fields as they are fixed, and Ctrl+S saves from the Domains field too.
func TestCardNamesTakenDomainAsTypedCountsTrulyAndSavesWithCtrlSAnywhere(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	gmail := data.NewProvider()
	gmail.Name, gmail.IMAP.Host, gmail.SMTP.Host, gmail.Domains = "Gmail", "imap.gmail.com", "smtp.gmail.com", []string{"gmail.com"}
	if err := s.Save(context.Background(), gmail); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	c := u.openCard(nil)

	act(u, func() { test.Type(c.domains.entry, "GMAIL.com") })
	u.jobs.Wait()
	if !c.domains.err.Visible() || !strings.Contains(c.domains.err.Text, "gmail.com already belongs to Gmail") {
		t.Errorf("as typed: %q", c.domains.err.Text)
	}
	test.Tap(c.domains.add)
	if len(c.domains.list()) != 0 || !strings.Contains(c.domains.err.Text, "already belongs to Gmail") {
		t.Errorf("a taken domain was added: %v (%q)", c.domains.list(), c.domains.err.Text)
	}
	c.domains.entry.SetText("")

	fillCard(c, "Office", "imap office", "smtp office")
	test.Tap(c.save)
	u.jobs.Wait()
	if !strings.Contains(c.summary.Text, "2 fields") {
		t.Fatalf("summary %q, want 2 fields", c.summary.Text)
	}
	c.imap.host.SetText("imap.office.test")
	if c.summary.Text != "Fix the field marked in red, then save again." {
		t.Errorf("after fixing one of two: %q", c.summary.Text)
	}
	c.smtp.host.SetText("smtp.office.test")
	if c.summary.Text != "" {
		t.Errorf("after fixing both: %q", c.summary.Text)
	}

	act(u, func() { test.Type(c.domains.entry, "office.test") })
	u.jobs.Wait()
	test.Tap(c.domains.add)
	c.win.Canvas().Focus(c.domains.entry)
	c.domains.entry.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
	u.jobs.Wait()
	r, err := s.ResolveProvider(context.Background(), "ann@office.test")
	if err != nil || r.Provider.Name != "Office" {
		t.Fatalf("Ctrl+S in the Domains field did not save: %v, %v", r, err)
	}
}

// TestCardDomainHintsSuggestOnlyFreeDomains: a message about what is not a domain suggests a
// domain only when the card could take it: not gmail.com, which Gmail has.
func TestCardDomainHintsSuggestOnlyFreeDomains(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	gmail := data.NewProvider()
	gmail.Name, gmail.IMAP.Host, gmail.SMTP.Host, gmail.Domains = "Gmail", "imap.gmail.com", "smtp.gmail.com", []string{"gmail.com"}
	if err := s.Save(context.Background(), gmail); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	c := u.openCard(nil)
	for typed, want := range map[string]string{
		"gmail":           `"gmail" is not a domain (gmail.com already belongs to Gmail).`,
		"office":          `"office" is not a full domain: it needs a dot, as in office.com`,
		"ann@office.test": "Enter only the domain, the part after @: office.test",
		"ann@gmail.com":   `"ann@gmail.com" is not a domain (gmail.com already belongs to Gmail).`,
		"":                "Type a domain: the part after @ in the addresses of this provider.",
	} {
		act(u, func() { c.domains.entry.SetText(typed) })
		u.jobs.Wait()
		act(u, func() { test.Tap(c.domains.add) })
		if c.domains.err.Text != want {
			t.Errorf("%q: hint %q, want %q", typed, c.domains.err.Text, want)
		}
		if strings.Contains(c.domains.err.Text, "as in gmail.com") || strings.Contains(c.domains.err.Text, "for example gmail.com") {
			t.Errorf("%q: the hint suggests a domain Gmail has: %q", typed, c.domains.err.Text)
		}
	}
}
