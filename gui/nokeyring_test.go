package gui

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mailroom/internal/testenv"
)

// Without a Secret Service the new-mailbox window says so and, when the person agrees, keeps
// the password in memory for this session only: the mailbox works, nothing is written in clear.
// It runs in a child process whose D-Bus address leads nowhere, since a D-Bus connection,
// once made, is shared by the whole process.
func TestNoKeyringOffersSessionOnlyPassword(t *testing.T) {
	srv := testenv.Load(t)
	if os.Getenv("MAILROOM_TEST_NO_KEYRING") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoKeyringOffersSessionOnlyPassword$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "MAILROOM_TEST_NO_KEYRING=1", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestNoKeyringOffersSessionOnlyPassword") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	path := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, path, "ann")
	testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	pinServer(t, s, srv, srv.IMAPSAddr)
	pinServer(t, s, srv, srv.SMTPSAddr)
	u := newTestUI(t, s)
	w := openMailboxUI(u, nil)
	password := srv.Users["ann@example.test"]
	act(u, func() {
		w.address.SetText("ann@example.test")
		w.password.SetText(password)
	})
	u.jobs.Wait() // the provider lookup
	act(u, func() { w.submit() })
	u.jobs.Wait()
	if msg := dialogText(t, w.win); !strings.Contains(msg, "keyring is not available") || !strings.Contains(msg, "never written to disk") {
		t.Fatalf("dialog = %q (result %q)", msg, w.result.Text)
	}
	if list, _ := s.Mailboxes(context.Background()); len(list) != 0 {
		t.Fatal("a mailbox was kept before the person chose")
	}
	act(u, func() { confirmIn(t, w.win) }) // "Keep for this session"
	u.jobs.Wait()
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 {
		t.Fatalf("mailboxes = %d", len(list))
	}
	if got, err := u.secrets.Get(context.Background(), list[0].KeyringRef); got != password || err != nil {
		t.Errorf("session password: %v", err)
	}
	s.Close()
	for _, f := range []string{path, path + "-wal"} {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(password)) {
			t.Errorf("the password is in %s", f)
		}
	}
}
