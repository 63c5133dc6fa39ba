package gui

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// TestUnknownDomainOffersServerFieldsAndSavingSaysSo is a new user whose domain nobody knows:
// the window offers the server fields itself, the servers typed there (the real Dovecot and
// Postfix) pass the test, and saving says so and keeps the steps in view.
func TestUnknownDomainOffersServerFieldsAndSavingSaysSo(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s) // no provider serves example.test, and discovery finds nothing
	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait()
	if !w.servers.content.Visible() || !strings.Contains(w.providerHint.Text, "Enter the servers by hand") {
		t.Fatalf("no server fields for an unknown domain: hint %q, fields shown %v", w.providerHint.Text, w.servers.content.Visible())
	}
	if w.login.Disabled() || w.login.Text != "ann@example.test" {
		t.Errorf("login %q disabled %v: it must be typed when no provider says how it is made", w.login.Text, w.login.Disabled())
	}

	// A bad host is named beside its field, and nothing is tested.
	test.Type(w.servers.imapHost, "imap example")
	test.Type(w.password, srv.Users["ann@example.test"])
	test.Tap(w.save)
	u.jobs.Wait()
	if l := w.errs[data.FieldIMAPHost]; l == nil || !l.Visible() {
		t.Fatalf("a host with a space was not refused beside its field (%q)", w.result.Text)
	}

	ih, ip := splitHostPort(t, srv.IMAPSAddr)
	sh, sp := splitHostPort(t, srv.SMTPSAddr)
	w.servers.imapHost.SetText(ih)
	w.servers.imapPort.SetText(strconv.Itoa(ip))
	test.Type(w.servers.smtpHost, sh)
	w.servers.smtpPort.SetText(strconv.Itoa(sp))
	test.Tap(w.save)
	u.jobs.Wait()
	if !w.trust.Visible() {
		t.Fatalf("expected the untrusted test certificate: %q", w.result.Text)
	}
	test.Tap(w.trust)
	u.jobs.Wait()

	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 || list[0].State != data.MailboxOK {
		t.Fatalf("mailboxes %+v; result %q", list, w.result.Text)
	}
	own, err := s.Get(context.Background(), list[0].ProviderID)
	if err != nil || own.IMAP.Address() != srv.IMAPSAddr || own.SMTP.Address() != srv.SMTPSAddr {
		t.Fatalf("the mailbox's typed settings: %+v, %v", own, err)
	}
	if listed, _ := s.List(context.Background()); len(listed) != 0 {
		t.Errorf("settings typed for one mailbox appeared on the provider list: %d", len(listed))
	}
	defer mailclient.RemoveMailbox(context.Background(), s, u.secrets, list[0].ID)

	// Saving said so, and the steps of the test stay in view.
	if !strings.Contains(w.result.Text, "Saved") || !strings.Contains(w.result.Text, "both servers work") {
		t.Errorf("after saving the result says %q", w.result.Text)
	}
	if len(w.steps.lines) == 0 || w.steps.in.Hidden {
		t.Error("the test's steps were taken away on saving")
	}
	if w.closeBtn.Text != "Close" || !strings.Contains(w.win.Title(), "ann@example.test") {
		t.Errorf("after saving: button %q, title %q", w.closeBtn.Text, w.win.Title())
	}

	// Saving again updates the same mailbox with the same settings: nothing is added.
	w.sender.SetText("Ann")
	test.Tap(w.save)
	u.jobs.Wait()
	again, _ := s.Mailboxes(context.Background())
	if len(again) != 1 || again[0].SenderName != "Ann" || again[0].ProviderID != own.ID {
		t.Errorf("saving twice: %+v (%q)", again, w.result.Text)
	}
}

// TestMailboxStateShowsTheWholeReason: a long reason is cut in the Mailboxes list, and a
// hover lays all of it over the line; a click shows it with what to do and the buttons to do it.
func TestMailboxStateShowsTheWholeReason(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	p := testProvider(t, s, "127.0.0.1:993", "127.0.0.1:465")
	m := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	reason := "The server did not accept the login or password. Check the password (and the login) and try again; " +
		"if it is right, your provider may want an app password for Mailroom."
	if err := s.SetMailboxState(context.Background(), m.ID, data.MailboxError, reason); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	u.win.Resize(fyne.NewSize(900, 500))
	u.tabs.SelectIndex(1)
	u.jobs.Wait()
	state := findReason(t, u.win.Canvas().Content())
	if state == nil || state.label.Text != "Not working: "+reason {
		t.Fatalf("no state line with the reason: %+v", state)
	}
	if full := state.label.MinSize().Width; full > state.Size().Width {
		t.Logf("state cut: needs %v, has %v", full, state.Size().Width)
	}

	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(state)
	test.MoveMouse(u.win.Canvas(), pos.Add(fyne.NewPos(5, 5)))
	card, ok := u.win.Canvas().Overlays().Top().(*hoverCard)
	if !ok || card.text.Text != "Not working: "+reason {
		t.Fatalf("hovering the cut reason does not show all of it: %v", u.win.Canvas().Overlays().Top())
	}
	test.Tap(card)
	msg := dialogText(t, u.win)
	if !strings.Contains(msg, reason) || !strings.Contains(msg, "Test it again") {
		t.Errorf("the click shows %q", msg)
	}
	if u.mailboxes.current() == nil || u.mailboxes.current().ID != m.ID {
		t.Error("clicking the state did not select its mailbox")
	}
}

// findReason returns the first reasonLabel under o.
func findReason(t *testing.T, o fyne.CanvasObject) *reasonLabel {
	switch w := o.(type) {
	case *reasonLabel:
		if w.Visible() && w.label.Text != "" {
			return w
		}
	case *fyne.Container:
		if !w.Visible() {
			return nil
		}
		for _, c := range w.Objects {
			if r := findReason(t, c); r != nil {
				return r
			}
		}
	case fyne.Widget:
		if !w.Visible() {
			return nil
		}
		for _, c := range test.TempWidgetRenderer(t, w).Objects() {
			if r := findReason(t, c); r != nil {
				return r
			}
		}
	}
	return nil
}

// openMailboxUI opens the mailbox window as the UI goroutine would (see act): the window
// starts reading the provider list at once, and the test driver applies that meanwhile.
func openMailboxUI(u *UI, m *data.Mailbox) (w *mailboxWindow) {
	act(u, func() { w = u.openMailbox(m) })
	return w
}

// TestSaveAnywayKeepsTheCertificateTrustedInTheTest: a test that fails on the password after
// the person trusted the server's certificate is saved anyway with that trust kept, so the
// mailbox does not fail again on the certificate.
func TestSaveAnywayKeepsTheCertificateTrustedInTheTest(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	u := newTestUI(t, s)
	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait()
	act(u, func() { w.password.SetText("wrong-password"); w.submit() })
	u.jobs.Wait()
	act(u, func() { test.Tap(w.trust) })
	u.jobs.Wait()
	if !w.saveAnyway.Visible() {
		t.Fatalf("no Save anyway after a refused password: %q", w.result.Text)
	}
	act(u, func() { test.Tap(w.saveAnyway) })
	u.jobs.Wait()
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 || list[0].State != data.MailboxError {
		t.Fatalf("mailboxes %+v (%q)", list, w.result.Text)
	}
	defer mailclient.RemoveMailbox(context.Background(), s, u.secrets, list[0].ID)
	for _, addr := range []string{srv.IMAPSAddr, srv.SMTPSAddr} {
		host, port := splitHostPort(t, addr)
		if _, err := s.CertPin(context.Background(), host, port); err != nil {
			t.Errorf("the certificate trusted for %s was not kept: %v", addr, err)
		}
	}
	if !strings.Contains(w.result.Text, "Saved, though the test failed") {
		t.Errorf("result %q", w.result.Text)
	}
}
