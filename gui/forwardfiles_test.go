package gui

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRemoveUnneededKeepsWhatMessagesStillNeed(t *testing.T) {
	root := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	write := func(dir, name string, at time.Time) string {
		os.MkdirAll(filepath.Join(root, dir), 0o700)
		p := filepath.Join(root, dir, name)
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chtimes(p, at, at)
		return p
	}
	gone := write("1", "sent.pdf", old)
	kept := write("2", "draft.pdf", old)
	fresh := write("3", "new.pdf", time.Now())
	if err := removeUnneeded(root, map[string]bool{kept: true}, time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Error("an unneeded old copy stayed")
	}
	if _, err := os.Stat(filepath.Join(root, "1")); !os.IsNotExist(err) {
		t.Error("an emptied folder stayed")
	}
	for _, p := range []string{kept, fresh} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if err := removeUnneeded(filepath.Join(root, "missing"), nil, time.Now()); err != nil {
		t.Errorf("a missing folder: %v", err)
	}
}
