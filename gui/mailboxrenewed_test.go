package gui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// TestRenewedCertificateIsComparedAndTrustedOnlyOnRequest: Dovecot and Postfix present a
// certificate other than the one pinned for them (as after a renewal). The window shows the
// old and the new side by side, keeps the old pin until the person trusts the new one, and
// then replaces it.
func TestRenewedCertificateIsComparedAndTrustedOnlyOnRequest(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	oldSum := sha256.Sum256([]byte("the certificate these servers had last year"))
	old := hex.EncodeToString(oldSum[:])
	// IMAP's pin was saved with its issuer and validity; SMTP's, older, with neither.
	host, port := splitHostPort(t, srv.IMAPSAddr)
	if err := s.SaveCertPin(context.Background(), &data.CertPin{Host: host, Port: port, SHA256: old, Subject: "CN=mail.example.test (last year)",
		Issuer: "CN=Last Year's CA", NotBefore: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	olderSum := sha256.Sum256([]byte("the certificate the SMTP server had before"))
	older := hex.EncodeToString(olderSum[:])
	host, port = splitHostPort(t, srv.SMTPSAddr)
	if err := s.SaveCertPin(context.Background(), &data.CertPin{Host: host, Port: port, SHA256: older}); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait()
	act(u, func() { w.password.SetText(srv.Users["ann@example.test"]); w.submit() })
	u.jobs.Wait()

	msg := dialogText(t, w.win)
	for _, want := range []string{"Trusted before", "Presented now", mailclient.FormatFingerprint(old), mailclient.FormatFingerprint(older),
		"CN=mail.example.test (last year)", "Issued by: CN=Mailroom Test CA", "Valid: ",
		"Issued by: CN=Last Year's CA", "Valid: 2025-01-02 to 2026-01-02", // the pin saved with them
		"Subject: not recorded", "Issued by: not recorded", "Valid: not recorded"} { // the one saved before
		if !strings.Contains(msg, want) {
			t.Errorf("the comparison lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "Trusted before"); n != 2 {
		t.Errorf("%d comparisons, want one per old certificate:\n%s", n, msg)
	}
	if !w.trust.Visible() || w.trust.Text != "Trust the new certificate" || !strings.Contains(w.result.Text, "has changed") {
		t.Fatalf("trust %v %q, result %q", w.trust.Visible(), w.trust.Text, w.result.Text)
	}
	host, port = splitHostPort(t, srv.IMAPSAddr)
	if p, _ := s.CertPin(context.Background(), host, port); p.SHA256 != old {
		t.Fatal("the pin changed before the person decided")
	}
	if list, _ := s.Mailboxes(context.Background()); len(list) != 0 {
		t.Fatal("a mailbox whose certificate changed was saved")
	}

	act(u, func() { confirmIn(t, w.win) }) // "Trust the new certificate"
	u.jobs.Wait()
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 || list[0].State != data.MailboxOK {
		t.Fatalf("after trusting the new certificate: %+v, %q", list, w.result.Text)
	}
	defer mailclient.RemoveMailbox(context.Background(), s, u.secrets, list[0].ID)
	for _, addr := range []string{srv.IMAPSAddr, srv.SMTPSAddr} {
		host, port := splitHostPort(t, addr)
		p, err := s.CertPin(context.Background(), host, port)
		if err != nil || p.SHA256 == old || p.SHA256 == older {
			t.Errorf("pin of %s not replaced: %+v, %v", addr, p, err)
			continue
		}
		// The new pin keeps what the next renewal's comparison shows of it.
		if !strings.HasPrefix(p.Issuer, "CN=Mailroom Test CA") || p.NotBefore.IsZero() || !p.NotAfter.After(p.NotBefore) || p.Subject == "" {
			t.Errorf("pin of %s saved without its details: %+v", addr, p)
		}
	}
}
