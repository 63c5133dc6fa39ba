package data

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCertPinKeepsIssuerAndValidity: a pin saved with the certificate's issuer and validity
// reads them back; saving the host's pin again replaces them; a row written before migration
// 0016 (no such columns then) reads as not recorded.
func TestCertPinKeepsIssuerAndValidity(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	fp := strings.Repeat("ab", 32)
	from, to := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.SaveCertPin(ctx, &CertPin{Host: "Mail.Example.test", Port: 993, SHA256: fp, Subject: "CN=mail.example.test",
		Issuer: "CN=Example CA", NotBefore: from, NotAfter: to}); err != nil {
		t.Fatal(err)
	}
	p, err := s.CertPin(ctx, "mail.example.test", 993)
	if err != nil || p.Issuer != "CN=Example CA" || !p.NotBefore.Equal(from) || !p.NotAfter.Equal(to) || p.Subject != "CN=mail.example.test" {
		t.Fatalf("read back: %+v, %v", p, err)
	}
	if list, err := s.CertPins(ctx); err != nil || len(list) != 1 || list[0].Issuer != "CN=Example CA" || !list[0].NotAfter.Equal(to) {
		t.Fatalf("listed: %+v, %v", list, err)
	}
	if err := s.SaveCertPin(ctx, &CertPin{Host: "mail.example.test", Port: 993, SHA256: strings.Repeat("cd", 32)}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.CertPin(ctx, "mail.example.test", 993); err != nil || p.Issuer != "" || !p.NotBefore.IsZero() || !p.NotAfter.IsZero() {
		t.Fatalf("replaced by a pin without details: %+v, %v", p, err)
	}

	// As a pin saved by a Mailroom before 0016 was left: only the columns it knew.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO cert_pins (host, port, sha256, subject, decided_by, decided_at)
		VALUES ('old.example.test', 465, ?, 'CN=old', 'ann', '2024-05-06T07:08:09Z')`, fp); err != nil {
		t.Fatal(err)
	}
	if p, err := s.CertPin(ctx, "old.example.test", 465); err != nil || p.Subject != "CN=old" || p.Issuer != "" || !p.NotBefore.IsZero() || !p.NotAfter.IsZero() {
		t.Fatalf("a pin from before: %+v, %v", p, err)
	}
}
