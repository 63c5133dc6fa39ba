package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailroom/data"
)

// damagedMailDatabase writes a database with a provider, a mailbox and 2,000 cached
// messages, then breaks the root page of the messages table.
func damagedMailDatabase(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := data.Open(path, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host, p.Domains = "Example", "imap.example.net", "smtp.example.net", []string{"example.net"}
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	m := &data.Mailbox{Address: "ann@example.net", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFolders(ctx, m.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Folders(ctx, m.ID)
	var msgs []*data.Message
	for uid := uint32(1); uid <= 2000; uid++ {
		msgs = append(msgs, &data.Message{UID: uid, Subject: strings.Repeat("subject ", 5), FromAddr: "bob@example.org"})
	}
	if err := s.StoreMessages(ctx, fs[0].ID, msgs, 2000); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	var root, size int64
	db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'messages'`).Scan(&root)
	db.QueryRow(`PRAGMA page_size`).Scan(&size)
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0x42}, (root-1)*size); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRepairRebuildsADatabaseDamagedInItsMailOnly(t *testing.T) {
	path := damagedMailDatabase(t)
	code, _, stderr := runCLI(t, "--db", path, "providers", "list")
	if code != 1 || !strings.Contains(stderr, "only in its copy of your mail") || !strings.Contains(stderr, "mailroom --db "+path+" repair") {
		t.Fatalf("providers list on the damaged file: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "--db", path, "repair")
	if code != 0 || !strings.Contains(stdout, "kept as "+path+data.DamagedSuffix) {
		t.Fatalf("repair: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "--db", path, "providers", "list")
	if code != 0 || !strings.Contains(stdout, "Example") {
		t.Errorf("providers list after the repair: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, "--db", path, "mailbox", "list")
	if code != 0 || !strings.Contains(stdout, "ann@example.net") {
		t.Errorf("mailbox list after the repair: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "--db", path, "repair"); code != 0 || !strings.Contains(stdout, "nothing to repair") {
		t.Errorf("second repair: exit %d, %q", code, stdout)
	}
}
