package gui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestMailtoLinkOpensAFilledComposeWindowTitledBySubject(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	var opened []*composeWindow
	act(u, func() {
		opened = u.openLinks([]string{"mailto:bob@example.test,not-an-address?cc=c@example.test&bcc=d@example.test&subject=Hello%20there&body=Hi%0D%0ABob"})
	})
	u.jobs.Wait()
	if len(opened) != 1 {
		t.Fatalf("%d compose windows opened, want 1", len(opened))
	}
	w := opened[0]
	if w.win.Title() != "Hello there" {
		t.Errorf("title = %q, want the subject", w.win.Title())
	}
	if w.to.Text != "bob@example.test, not-an-address" || w.cc.Text != "c@example.test" || w.bcc.Text != "d@example.test" ||
		w.subject.Text != "Hello there" || w.body.Text != "Hi\nBob" {
		t.Errorf("fields = to %q, cc %q, bcc %q, subject %q, body %q", w.to.Text, w.cc.Text, w.bcc.Text, w.subject.Text, w.body.Text)
	}
	if l := w.errs["to"]; !l.Visible() || !strings.Contains(l.Text, "“not-an-address”") {
		t.Errorf("the bad address of the link is not named beside To: %q", l.Text)
	}

	act(u, func() { w.subject.SetText("") })
	if w.win.Title() != "New message" {
		t.Errorf("title with no subject = %q", w.win.Title())
	}
	act(u, func() { test.Type(w.subject, "Lunch") })
	if w.win.Title() != "Lunch" {
		t.Errorf("title after typing a subject = %q", w.win.Title())
	}
}

func TestMalformedMailtoLinkIsExplainedAndOpensNothing(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	before := len(u.app.Driver().AllWindows())
	act(u, func() { u.Open([]string{"mailto:bob@example.test?subject=Hi%0D%0ABcc:%20eve@example.test"}) })
	u.jobs.Wait()
	if n := len(u.app.Driver().AllWindows()); n != before {
		t.Fatalf("%d windows after a malformed link, want %d", n, before)
	}
	if text := dialogText(t, u.win); !strings.Contains(text, "line break") {
		t.Fatalf("the main window says %q, want why the link cannot be used", text)
	}
}
