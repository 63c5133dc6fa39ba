//go:build !windows

package instance

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRefusesAFolderOthersMayWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Claim(dir, filepath.Join(t.TempDir(), "mail.db")); err == nil || errors.Is(err, ErrRunning) {
		t.Fatalf("Claim in a folder everyone may write: %v, want a refusal", err)
	}
}
