package gui

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// testProvider saves a provider for example.test whose servers are the given addresses.
func testProvider(t *testing.T, s *data.Store, imapAddr, smtpAddr string) *data.Provider {
	t.Helper()
	p := data.NewProvider()
	p.Name, p.Domains = "Example Test", []string{"example.test"}
	p.IMAP.Host, p.IMAP.Port = splitHostPort(t, imapAddr)
	p.SMTP.Host, p.SMTP.Port = splitHostPort(t, smtpAddr)
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func TestNewMailboxRefusesBadAddressesAndAsksForUnknownProvider(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	testProvider(t, s, "127.0.0.1:993", "127.0.0.1:465")
	u := newTestUI(t, s)
	w := openMailboxUI(u, nil)
	for _, bad := range []string{"ann", "ann@", "@example.test", "ann@@example.test", "ann @example.test", strings.Repeat("a", 300) + "@example.test"} {
		act(u, func() { w.address.SetText(bad) })
		u.jobs.Wait()
		w.password.SetText("secret")
		test.Tap(w.save)
		u.jobs.Wait()
		if l := w.errs[data.FieldAddress]; !l.Visible() || l.Text == "" {
			t.Errorf("address %q: no error beside the field", bad)
		}
	}
	act(u, func() { w.address.SetText("ann@unknown.test") })
	u.jobs.Wait()
	if !w.providerHint.Visible() || !strings.Contains(w.providerHint.Text, "No settings were found for unknown.test") || !w.providerPick.Visible() {
		t.Errorf("unknown domain: hint %q shown=%v", w.providerHint.Text, w.providerHint.Visible())
	}
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait()
	if w.providerName.Text != "Example Test" || w.login.Text != "ann@example.test" || !w.login.Disabled() {
		t.Errorf("provider %q login %q disabled=%v", w.providerName.Text, w.login.Text, w.login.Disabled())
	}
	w.password.SetText("")
	test.Tap(w.save)
	u.jobs.Wait()
	if l := w.errs[fieldPassword]; !l.Visible() {
		t.Error("an empty password was not refused")
	}
	if list, _ := s.Mailboxes(context.Background()); len(list) != 0 {
		t.Fatalf("bad input saved %d mailboxes", len(list))
	}
}

// TestNewMailboxAgainstDovecotAndPostfix is the single user's journey: the provider is found,
// the self-signed test certificate is trusted after its fingerprint is shown, the test passes
// and the password lands in the keyring, not the database.
func TestNewMailboxAgainstDovecotAndPostfix(t *testing.T) {
	srv := testenv.Load(t)
	dir := t.TempDir()
	s := openStore(t, filepath.Join(dir, "m.db"), "ann")
	testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	u := newTestUI(t, s)

	bob := openMailboxUI(u, nil)
	act(u, func() { bob.address.SetText("bob@example.test") }) // at once, not typed: each prefix would start a search
	u.jobs.Wait()
	test.Type(bob.password, "wrong-password")
	bob.proposed = nil
	test.Tap(bob.save)
	u.jobs.Wait()
	if len(bob.untrusted) == 0 {
		t.Fatalf("the test CA should not be trusted by default: %q", bob.result.Text)
	}
	test.Tap(bob.trust)
	u.jobs.Wait()
	if !strings.Contains(bob.result.Text, "did not accept the login or password") || !bob.saveAnyway.Visible() {
		t.Errorf("wrong password: result %q, save anyway shown %v", bob.result.Text, bob.saveAnyway.Visible())
	}
	bob.dirty = false
	bob.close()

	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@example.test") }) // at once, not typed: each prefix would start a search
	u.jobs.Wait()
	test.Type(w.password, srv.Users["ann@example.test"])
	test.Type(w.sender, "Ann Example")
	test.Tap(w.save)
	u.jobs.Wait()
	if !w.trust.Visible() || !strings.Contains(w.certInfo.Text, "SHA-256 fingerprint") {
		t.Fatalf("untrusted certificate not offered: %q / %q", w.result.Text, w.certInfo.Text)
	}
	if list, _ := s.Mailboxes(context.Background()); len(list) != 0 {
		t.Fatal("a mailbox whose certificate is not trusted was saved")
	}
	test.Tap(w.trust) // goes on saving, as the person asked
	u.jobs.Wait()
	if list, _ := s.Mailboxes(context.Background()); len(list) != 1 {
		t.Fatalf("not saved: %q", w.result.Text)
	}
	quiet(t, u) // its first sync starts by itself
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 || list[0].SenderName != "Ann Example" || list[0].State != data.MailboxOK {
		t.Fatalf("mailboxes = %+v", list)
	}
	pw, err := u.secrets.Get(context.Background(), list[0].KeyringRef)
	if err != nil || pw != srv.Users["ann@example.test"] {
		t.Errorf("keyring password = %q, %v", pw, err)
	}
	host, port := splitHostPort(t, srv.IMAPSAddr)
	if _, err := s.CertPin(context.Background(), host, port); err != nil {
		t.Errorf("the trusted certificate was not pinned: %v", err)
	}
	if u.mailboxes.rows.Length() != 1 {
		t.Errorf("Mailboxes list shows %d rows", u.mailboxes.rows.Length())
	}

	// Edit: a new sender name, the saved password kept; Save tests again with it.
	e := openMailboxUI(u, list[0])
	u.jobs.Wait()
	if !e.address.Disabled() || e.password.Text != "" {
		t.Errorf("edit window: address editable %v, password shown %q", !e.address.Disabled(), e.password.Text)
	}
	e.sender.SetText("Ann E.")
	test.Tap(e.save)
	u.jobs.Wait()
	again, _ := s.Mailboxes(context.Background())
	if again[0].SenderName != "Ann E." || again[0].State != data.MailboxOK || again[0].KeyringRef != list[0].KeyringRef {
		t.Errorf("after editing: %+v (%q)", again[0], e.result.Text)
	}

	quiet(t, u)
	u.mailboxes.selected = list[0].ID
	u.mailboxes.updateButtons()
	test.Tap(u.mailboxes.remove)
	confirmTop(t, u)
	u.jobs.Wait()
	if _, err := u.secrets.Get(context.Background(), list[0].KeyringRef); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("password still in the keyring after removing the mailbox: %v", err)
	}
}
