package gui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// labelTexts returns the texts of the visible labels under o.
func labelTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// A domain with a Cyrillic letter among Latin ones is shown in ASCII form with a warning in
// the card, the grid, the domains list and the new-mailbox window.
func TestLookalikeDomainIsShownInASCIIWithAWarning(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)
	fillCard(c, "Gmail", "imap.example.com", "smtp.example.com")
	act(u, func() { test.Type(c.domains.entry, "gmаil.com") }) // a Cyrillic а
	u.jobs.Wait()
	test.Tap(c.domains.add)
	rows := strings.Join(labelTexts(c.domains.rows), "\n")
	if !strings.Contains(rows, "xn--gmil-63d.com\n⚠ xn--gmil-63d.com may imitate another domain") || strings.Contains(rows, "gmаil") {
		t.Errorf("card's domain rows:\n%s", rows)
	}
	test.Tap(c.save)
	u.jobs.Wait()

	p := u.providers.rows.at(0)
	if got := cellText(p, colDomains); got != "1 ⚠" {
		t.Errorf("grid's domains cell = %q", got)
	}
	if got := u.providers.status.Text; !strings.Contains(got, "⚠ Gmail has a domain that may imitate another: xn--gmil-63d.com") {
		t.Errorf("grid's status line = %q", got)
	}
	if got := domainCellText(p.Domains[0]); got != "⚠ xn--gmil-63d.com (lookalike)" {
		t.Errorf("domains list cell = %q", got)
	}

	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@gmаil.com") })
	u.jobs.Wait()
	if !w.domainWarning.Visible() || !strings.Contains(w.domainWarning.Text, "xn--gmil-63d.com may imitate another domain: it mixes Latin and Cyrillic letters") {
		t.Errorf("new-mailbox warning %q shown=%v", w.domainWarning.Text, w.domainWarning.Visible())
	}
	act(u, func() { w.address.SetText("ann@gmail.com") })
	u.jobs.Wait()
	if w.domainWarning.Visible() {
		t.Errorf("warning %q stays for gmail.com", w.domainWarning.Text)
	}
	if _, err := s.ResolveProvider(context.Background(), "ann@gmаil.com"); err != nil {
		t.Errorf("the lookalike domain is still the provider's: %v", err)
	}
}
