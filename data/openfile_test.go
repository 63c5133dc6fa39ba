//go:build unix

package data

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.db")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	null := filepath.Join(dir, "null.db")
	if err := os.Symlink(os.DevNull, null); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, folder, null} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := Open(path, "ann")
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("Open: %v, want ErrNotRegular", err)
			}
			noSidecars(t, path)
			noSidecars(t, os.DevNull)
		})
	}
}

// TestOpenTellsUnreadableFromReadOnly runs as an unprivileged user, since root reads and
// writes every file: as root it runs itself again as nobody.
func TestOpenTellsUnreadableFromReadOnly(t *testing.T) {
	dir := os.Getenv("MAILROOM_TEST_UNREADABLE_DIR")
	if dir == "" && os.Geteuid() == 0 {
		runAsNobody(t, "TestOpenTellsUnreadableFromReadOnly")
		return
	}
	if dir == "" {
		dir = t.TempDir()
		makeProtectedFiles(t, dir)
	}
	for name, want := range map[string]error{"writeonly.db": ErrUnreadable, "readonly.db": ErrReadOnly} {
		path := filepath.Join(dir, name)
		s, err := Open(path, "ann")
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) accepted it", name)
		}
		if !errors.Is(err, want) {
			t.Errorf("Open(%s): %v, want %v", name, err, want)
		}
	}
}

// makeProtectedFiles writes a database only its owner may write and one nobody may read.
func makeProtectedFiles(t *testing.T, dir string) {
	for name, mode := range map[string]os.FileMode{"writeonly.db": 0o222, "readonly.db": 0o444} {
		path := filepath.Join(dir, name)
		s := openStore(t, path, "ann")
		s.Close()
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// runAsNobody runs test in a copy of this test binary as user nobody (65534), over
// databases made by root, and fails when it fails.
func runAsNobody(t *testing.T, test string) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	makeProtectedFiles(t, dir)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "data.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILROOM_TEST_UNREADABLE_DIR="+dir, "HOME="+dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}
