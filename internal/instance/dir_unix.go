//go:build !windows

package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
)

// Dir is the folder, private to this user, that holds the locks and sockets:
// $XDG_RUNTIME_DIR/mailroom where the session has one, else a mailroom-UID folder in the
// temporary folder (per user on macOS already).
func Dir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && runtime.GOOS != "darwin" {
		return filepath.Join(d, "mailroom")
	}
	return filepath.Join(os.TempDir(), "mailroom-"+strconv.Itoa(os.Getuid()))
}

// privateDir makes dir, readable by this user only, and refuses one that someone else owns
// or others may write to: they could plant a socket there.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make instance folder: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check instance folder: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("instance folder %s is not private to this user", dir)
	}
	return nil
}

// lockFile takes an exclusive lock on f without waiting; ErrRunning when another holds it.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrRunning
	}
	if err != nil {
		return fmt.Errorf("lock instance file: %w", err)
	}
	return nil
}
