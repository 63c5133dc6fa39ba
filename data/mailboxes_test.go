package data

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mailboxStore opens a new database as "ann" holding one provider for example.net; it returns
// the store and the provider's id.
func mailboxStore(t *testing.T) (*Store, int64) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "mailroom.db"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p := NewProvider()
	p.Name = "Example"
	p.IMAP.Host, p.SMTP.Host = "imap.example.net", "smtp.example.net"
	p.Domains = []string{"example.net"}
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return s, p.ID
}

func saveMailbox(t *testing.T, s *Store, m *Mailbox) *Mailbox {
	t.Helper()
	if err := s.SaveMailbox(context.Background(), m); err != nil {
		t.Fatalf("SaveMailbox(%s): %v", m.Address, err)
	}
	return m
}

func TestSaveMailboxRefusesBadInput(t *testing.T) {
	s, pid := mailboxStore(t)
	saveMailbox(t, s, &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann"})
	tests := []struct {
		name  string
		m     Mailbox
		field string
		says  string
	}{
		{"no address", Mailbox{ProviderID: pid, Login: "x"}, FieldAddress, "Enter an email address"},
		{"two @", Mailbox{Address: "a@b@example.net", ProviderID: pid, Login: "x"}, FieldAddress, "exactly one @"},
		{"taken, other case", Mailbox{Address: "ANN@Example.NET", ProviderID: pid, Login: "x"}, FieldAddress, "already have"},
		{"no provider", Mailbox{Address: "bob@example.net", Login: "x"}, FieldProvider, "Choose"},
		{"unknown provider", Mailbox{Address: "bob@example.net", ProviderID: pid + 99, Login: "x"}, FieldProvider, "no longer exists"},
		{"no login", Mailbox{Address: "bob@example.net", ProviderID: pid, Login: "  "}, FieldLogin, "Enter the login"},
		{"login with newline", Mailbox{Address: "bob@example.net", ProviderID: pid, Login: "a\r\nb"}, FieldLogin, "line breaks"},
		{"long sender name", Mailbox{Address: "bob@example.net", ProviderID: pid, Login: "x",
			SenderName: strings.Repeat("n", MaxSenderNameLen+1)}, FieldSenderName, "at most"},
		{"long signature", Mailbox{Address: "bob@example.net", ProviderID: pid, Login: "x",
			Signature: strings.Repeat("s", MaxSignatureLen+1)}, FieldSignature, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			err := s.SaveMailbox(context.Background(), &m)
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("SaveMailbox = %v, want a *ValidationError", err)
			}
			if msg := v.For(tt.field); !strings.Contains(msg, tt.says) {
				t.Errorf("field %s says %q, want it to contain %q (all: %v)", tt.field, msg, tt.says, err)
			}
			if m.ID != 0 {
				t.Errorf("refused mailbox got id %d", m.ID)
			}
		})
	}
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 {
		t.Errorf("%d mailboxes stored, want 1", len(list))
	}
}

func TestSaveMailboxStoresAndReadsBack(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	from := time.Date(2024, 3, 5, 17, 30, 0, 0, time.FixedZone("x", 3600))
	m := saveMailbox(t, s, &Mailbox{Address: " Ann.Smith@EXAMPLE.net ", SenderName: "  Ann   Smith ", ProviderID: pid,
		Login: " ann ", Signature: "-- \nAnn", LoadFrom: from})
	if m.Address != "Ann.Smith@example.net" || m.SenderName != "Ann Smith" || m.Login != "ann" {
		t.Errorf("normalized to %q %q %q", m.Address, m.SenderName, m.Login)
	}
	if m.Owner != "ann" || m.ProviderName != "Example" || m.State != MailboxNew || !m.IsDefault {
		t.Errorf("stored %+v", m)
	}
	if !strings.HasPrefix(m.KeyringRef, "Ann.Smith@example.net#") || len(m.KeyringRef) < len("Ann.Smith@example.net#")+16 {
		t.Errorf("keyring ref %q", m.KeyringRef)
	}
	got, err := s.Mailbox(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LoadFrom.Format(time.DateOnly) != "2024-03-05" || got.Signature != "-- \nAnn" || got.KeyringRef != m.KeyringRef {
		t.Errorf("read back %+v", got)
	}
	byAddr, err := s.MailboxByAddress(ctx, "ann.smith@Example.Net")
	if err != nil || byAddr.ID != m.ID {
		t.Errorf("MailboxByAddress = %v, %v", byAddr, err)
	}

	got.SenderName, got.LoadFrom = "Ann S.", time.Time{}
	saveMailbox(t, s, got)
	again, _ := s.Mailbox(ctx, m.ID)
	if again.SenderName != "Ann S." || !again.LoadFrom.IsZero() || again.KeyringRef != m.KeyringRef {
		t.Errorf("after update %+v", again)
	}
}

func TestMailboxesBelongToTheirOwner(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	mine := saveMailbox(t, s, &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann"})
	bob, err := Open(s.Path(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()

	// Bob may have the same address: uniqueness is per owner.
	his := &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann"}
	if err := bob.SaveMailbox(ctx, his); err != nil {
		t.Fatal(err)
	}
	if his.KeyringRef == mine.KeyringRef {
		t.Error("two users share a keyring entry")
	}
	if list, _ := bob.Mailboxes(ctx); len(list) != 1 || list[0].ID != his.ID || !list[0].IsDefault {
		t.Errorf("bob sees %+v", list)
	}
	if _, err := bob.Mailbox(ctx, mine.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob reads ann's mailbox: %v", err)
	}
	if _, err := bob.DeleteMailbox(ctx, mine.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob deletes ann's mailbox: %v", err)
	}
	if err := bob.SetMailboxState(ctx, mine.ID, MailboxError, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob sets state of ann's mailbox: %v", err)
	}
	stolen := *mine
	stolen.Login = "bob"
	if err := bob.SaveMailbox(ctx, &stolen); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob updates ann's mailbox: %v", err)
	}
	if got, _ := s.Mailbox(ctx, mine.ID); got.Login != "ann" {
		t.Errorf("ann's mailbox changed: %+v", got)
	}
}

func TestOneDefaultMailboxPerOwner(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	a := saveMailbox(t, s, &Mailbox{Address: "a@example.net", ProviderID: pid, Login: "a"})
	b := saveMailbox(t, s, &Mailbox{Address: "b@example.net", ProviderID: pid, Login: "b"})
	c := saveMailbox(t, s, &Mailbox{Address: "c@example.net", ProviderID: pid, Login: "c", IsDefault: true})
	defaults := func() string {
		t.Helper()
		list, err := s.Mailboxes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var d []string
		for _, m := range list {
			if m.IsDefault {
				d = append(d, m.Address)
			}
		}
		return strings.Join(d, " ")
	}
	if b.IsDefault {
		t.Error("second mailbox became the default")
	}
	if got := defaults(); got != "c@example.net" {
		t.Fatalf("defaults %q, want the one saved with IsDefault", got)
	}
	if err := s.SetDefaultMailbox(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := defaults(); got != "a@example.net" {
		t.Fatalf("defaults after SetDefaultMailbox %q", got)
	}
	// The only default cannot be switched off by saving it without the flag.
	a.IsDefault = false
	saveMailbox(t, s, a)
	if got := defaults(); got != "a@example.net" || !a.IsDefault {
		t.Fatalf("defaults after clearing the flag %q", got)
	}
	if gone, err := s.DeleteMailbox(ctx, a.ID); err != nil || gone.KeyringRef != a.KeyringRef {
		t.Fatalf("DeleteMailbox = %+v, %v", gone, err)
	}
	if got := defaults(); got != "b@example.net" {
		t.Fatalf("after deleting the default, defaults %q, want the oldest remaining", got)
	}
	if list, _ := s.Mailboxes(ctx); list[0].ID != b.ID {
		t.Errorf("the default is not listed first: %+v", list)
	}
	_ = c
	if err := s.SetDefaultMailbox(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetDefaultMailbox(missing) = %v", err)
	}
}

func TestMailboxStateAndProviderInUse(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	m := saveMailbox(t, s, &Mailbox{Address: "a@example.net", ProviderID: pid, Login: "a"})
	if err := s.SetMailboxState(ctx, m.ID, MailboxError, "The server refused the password."); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Mailbox(ctx, m.ID)
	if got.State != MailboxError || got.LastError != "The server refused the password." {
		t.Errorf("state %q %q", got.State, got.LastError)
	}
	if n, err := s.MailboxesUsingProvider(ctx, pid); n != 1 || err != nil {
		t.Errorf("MailboxesUsingProvider = %d, %v", n, err)
	}
	if err := s.Delete(ctx, pid); err == nil {
		t.Error("a provider in use was deleted")
	}
	if _, err := s.Mailbox(ctx, m.ID); err != nil {
		t.Errorf("mailbox lost with its provider: %v", err)
	}
}

func TestCertPins(t *testing.T) {
	s, _ := mailboxStore(t)
	ctx := context.Background()
	fp := strings.Repeat("ab", 32)
	colons := strings.ToUpper(strings.Join(strings.SplitAfterN(strings.Repeat("ab:", 32), ":", 32), ""))
	if _, err := s.CertPin(ctx, "mail.example.net", 993); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CertPin on empty store = %v", err)
	}
	p := &CertPin{Host: "Mail.Example.NET", Port: 993, SHA256: strings.TrimSuffix(colons, ":"), Subject: "CN=mail"}
	if err := s.SaveCertPin(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.Host != "mail.example.net" || p.SHA256 != fp || p.DecidedBy != "ann" || p.DecidedAt.IsZero() {
		t.Errorf("saved %+v", p)
	}
	got, err := s.CertPin(ctx, "mail.example.net", 993)
	if err != nil || got.SHA256 != fp || got.Subject != "CN=mail" {
		t.Fatalf("CertPin = %+v, %v", got, err)
	}
	if _, err := s.CertPin(ctx, "mail.example.net", 465); !errors.Is(err, ErrNotFound) {
		t.Errorf("pin of another port: %v", err)
	}
	p2 := &CertPin{Host: "mail.example.net", Port: 993, SHA256: strings.Repeat("cd", 32)}
	if err := s.SaveCertPin(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.CertPins(ctx); len(list) != 1 || list[0].SHA256 != p2.SHA256 {
		t.Errorf("after replacing, pins %+v", list)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
		err := s.SaveCertPin(ctx, &CertPin{Host: "h.example", Port: 1, SHA256: bad})
		var v *ValidationError
		if !errors.As(err, &v) || v.For("sha256") == "" {
			t.Errorf("SaveCertPin(%q) = %v, want a sha256 field error", bad, err)
		}
	}
	if err := s.DeleteCertPin(ctx, "mail.example.net", 993); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCertPin(ctx, "mail.example.net", 993); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteCertPin = %v", err)
	}
}
