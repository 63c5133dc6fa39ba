package data

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func spoolText(t *testing.T, s *Store, name string) string {
	t.Helper()
	f, err := s.OpenSpool(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSpoolWrittenWholeOwnerOnlyAndRemovedWithTheMessage(t *testing.T) {
	s, it := outboxStore(t)
	ctx := context.Background()
	name, size, err := s.WriteSpool(func(w io.Writer) error { _, err := io.WriteString(w, "Subject: x\r\n\r\nbody\r\n"); return err })
	if err != nil || size != 20 {
		t.Fatalf("WriteSpool = %q %d %v", name, size, err)
	}
	for _, p := range []string{s.SpoolDir(), filepath.Join(s.SpoolDir(), name)} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v, mode %v; want readable by its owner only", p, err, st.Mode())
		}
	}
	if got := spoolText(t, s, name); got != "Subject: x\r\n\r\nbody\r\n" {
		t.Errorf("read back %q", got)
	}
	// A write that fails leaves nothing behind.
	if _, _, err := s.WriteSpool(func(w io.Writer) error { io.WriteString(w, "half"); return errors.New("disk full") }); err == nil {
		t.Fatal("a failed write was accepted")
	}
	if entries, _ := os.ReadDir(s.SpoolDir()); len(entries) != 1 {
		t.Errorf("spool folder holds %d files, want 1", len(entries))
	}

	// Queued with it, the file goes when the message is sent without a copy to make.
	sent := &OutboxItem{Composition: it.Composition, MessageID: "<m2@example.net>", Date: time.Now(), Spool: name}
	if err := s.Enqueue(ctx, sent, 0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OutboxItem(ctx, sent.ID); got.Spool != name {
		t.Fatalf("stored spool %q, want %q", got.Spool, name)
	}
	for {
		c, err := s.ClaimOutbox(ctx, "host/1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == sent.ID {
			break
		}
		s.FailOutbox(ctx, c.ID, "not this one")
	}
	if err := s.MarkOutboxSent(ctx, sent.ID, SentCopyPending); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenSpool(name); err != nil {
		t.Fatalf("the snapshot went before the Sent copy was made: %v", err)
	}
	if err := s.ClaimSentCopy(ctx, sent.ID, "host/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SentCopyResult(ctx, sent.ID, SentCopyDone, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenSpool(name); !errors.Is(err, ErrNotFound) {
		t.Errorf("snapshot of a sent message kept: %v", err)
	}
	got, _ := s.OutboxItem(ctx, sent.ID)
	if got.Spool != "" || got.CopyAttempts != 1 {
		t.Errorf("after the copy: spool %q, copy attempts %d", got.Spool, got.CopyAttempts)
	}

	// Deleting a failed message deletes its file.
	name2, _, _ := s.WriteSpool(func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if err := s.ResendOutbox(ctx, it.ID, &it.Composition, name2); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOutbox(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenSpool(name2); !errors.Is(err, ErrNotFound) {
		t.Errorf("snapshot of a deleted message kept: %v", err)
	}
	if _, err := s.OpenSpool("../mailroom.db"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenSpool outside the folder: %v", err)
	}
}

func TestCleanSpoolRemovesOnlyOldFilesNoMessageNames(t *testing.T) {
	s, it := outboxStore(t)
	ctx := context.Background()
	write := func() string {
		n, _, err := s.WriteSpool(func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	kept, orphan, young := write(), write(), write()
	half := filepath.Join(s.SpoolDir(), strings.TrimSuffix(write(), ".eml"))
	os.Rename(half+".eml", half)
	other := filepath.Join(s.SpoolDir(), "notes.txt")
	os.WriteFile(other, nil, 0o600)
	queued := &OutboxItem{Composition: it.Composition, MessageID: "<m3@example.net>", Date: time.Now(), Spool: kept}
	if err := s.Enqueue(ctx, queued, 0); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, n := range []string{kept, orphan} {
		os.Chtimes(filepath.Join(s.SpoolDir(), n), old, old)
	}
	os.Chtimes(half, old, old)
	os.Chtimes(other, old, old)
	n, err := s.CleanSpool(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("CleanSpool = %d %v, want 2", n, err)
	}
	for name, want := range map[string]bool{kept: true, orphan: false, young: true, filepath.Base(half): false, "notes.txt": true} {
		_, err := os.Stat(filepath.Join(s.SpoolDir(), name))
		if (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}
