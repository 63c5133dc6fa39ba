//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCLIRefusesADatabaseThatIsNoRegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{os.DevNull, fifo} {
		code, _, stderr := runCLI(t, "--db", path, "providers", "list")
		if code != 1 || !strings.Contains(stderr, path+" is not a regular file") {
			t.Errorf("--db %s: exit %d, stderr %q", path, code, stderr)
		}
		if _, err := os.Lstat(path + "-journal"); err == nil {
			t.Errorf("%s-journal was created", path)
		}
	}
}
