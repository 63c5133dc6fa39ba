package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailroom/data"
)

func TestSendCommand(t *testing.T) {
	m := loadMailEnv(t)
	db := testServersDB(t, m)
	do := func(stdin string, args ...string) (int, string, string) {
		return cli(stdin, append([]string{"--db", db}, args...)...)
	}
	imapFP, smtpFP := certFingerprint(t, m, m.imaps, false), certFingerprint(t, m, m.submission, true)
	if code, out, errOut := do(m.pass+"\n", "mailbox", "add", m.user, "--name", "Ann", "--password-stdin",
		"--trust-cert", imapFP, "--trust-cert", smtpFP); code != 0 {
		t.Fatalf("add: %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() { do("", "mailbox", "remove", m.user) })
	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("attached"), 0o600)

	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"bad address", []string{"--to", "bob", "--subject", "x"}, 2, "--to: “bob”: This is not an email address"},
		{"no recipient", []string{"--subject", "x"}, 2, "--to: Add at least one recipient"},
		{"no subject flag", []string{"--to", "bob@example.test"}, 2, "give a --subject"},
		{"missing attachment", []string{"--to", "bob@example.test", "--subject", "x", "--attach", file + ".gone"}, 2,
			"“notes.txt.gone” is no longer at"},
		{"refused", []string{"--to", "rejected@example.test", "--subject", "x"}, 1, "refused these recipients: rejected@example.test"},
		{"sent", []string{"--to", "bob@example.test", "--cc", "Ann <" + m.user + ">", "--subject", "From the CLI", "--attach", file}, 0, "Sent <"},
	}
	for _, tt := range tests {
		code, out, errOut := do("Hello from the command line.\n", append([]string{"send", "--from", m.user}, tt.args...)...)
		if code != tt.code || !strings.Contains(out+errOut, tt.says) {
			t.Errorf("%s: %d %q %q, want %d saying %q", tt.name, code, out, errOut, tt.code, tt.says)
		}
	}
	s, _ := data.Open(db, currentUser())
	defer s.Close()
	items, err := s.OutboxItems(context.Background())
	if err != nil || len(items) != 2 || items[0].State != data.OutboxFailed || items[1].State != data.OutboxSent ||
		items[1].SentCopy != data.SentCopyDone {
		for _, it := range items {
			t.Logf("outbox: %s, copy %q: %s", it.State, it.SentCopy, it.LastError)
		}
		t.Fatalf("outbox has %d messages, %v", len(items), err)
	}
}
