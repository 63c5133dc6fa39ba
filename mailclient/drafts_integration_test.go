package mailclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"mailroom/data"
)

// TestKeepDraftReplacesItsCopyInDovecot saves one draft twice: Dovecot's Drafts folder then
// holds one copy, the second, marked \Draft.
func TestKeepDraftReplacesItsCopyInDovecot(t *testing.T) {
	f := newSendFixture(t, f0SMTP(t), data.SecuritySSL, 10, false, "")
	ctx := context.Background()
	pinLeaf(t, f, f.srv.IMAPSAddr)
	mail := f.mail(t)
	d := &data.Draft{Composition: data.Composition{MailboxID: f.ann.ID, To: "Bob <bob@example.test>, bob@", Subject: "Plans",
		Body: "first version"}}
	if err := f.store.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := mail.KeepDraft(ctx, d); err != nil {
		t.Fatalf("first save: %v", err)
	}
	d.Body = "second version"
	if err := f.store.SaveDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := mail.KeepDraft(ctx, d); err != nil {
		t.Fatalf("second save: %v", err)
	}
	copies := f.find(t, "ann@example.test", "Drafts", DraftMessageID(d, f.ann.Address), 0)
	if len(copies) != 1 {
		t.Fatalf("%d copies of the draft in Drafts, want 1", len(copies))
	}
	raw := string(copies[0].raw)
	if !strings.Contains(raw, "second version") || !strings.Contains(raw, "Subject: Plans") || !strings.Contains(raw, "bob@example.test") {
		t.Errorf("the copy is not the last save:\n%s", raw)
	}
	if !slices.Contains(copies[0].flags, imap.FlagDraft) {
		t.Errorf("flags %v, want \\Draft", copies[0].flags)
	}
	if err := mail.DropDraft(ctx, d); err != nil {
		t.Fatalf("drop after sending: %v", err)
	}
	if left := f.find(t, "ann@example.test", "Drafts", DraftMessageID(d, f.ann.Address), 0); len(left) != 0 {
		t.Errorf("%d copies left in Drafts after the draft was sent", len(left))
	}
	none := &data.Draft{ID: 99, Composition: data.Composition{Body: "no mailbox yet"}}
	if err := mail.KeepDraft(ctx, none); err != nil {
		t.Errorf("a draft without a mailbox: %v", err)
	}
}

// mail returns a Mail over the fixture's store and passwords, closed when the test ends.
func (f *sendFixture) mail(t *testing.T) *Mail {
	secrets := &memSecrets{m: map[string]string{}}
	for ref, pw := range f.pw {
		secrets.m[ref] = pw
	}
	m := &Mail{Store: f.store, Secrets: secrets}
	t.Cleanup(m.Close)
	return m
}

// f0SMTP is the SMTP address the fixture's provider names; drafts never use it.
func f0SMTP(t *testing.T) string { srv, _, _, _ := realServers(t); return srv.SMTPSAddr }

// pinLeaf pins the certificate the server at addr presents, as a person who trusted it would.
func pinLeaf(t *testing.T, f *sendFixture, addr string) {
	t.Helper()
	e := ep(t, addr, data.SecuritySSL)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: f.trust.Roots, ServerName: "mail.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
	if err := f.store.SaveCertPin(context.Background(), &data.CertPin{Host: e.Host, Port: e.Port, SHA256: hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}
}
