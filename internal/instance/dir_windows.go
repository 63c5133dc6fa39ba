package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// Dir is the folder, private to this user, that holds the locks and sockets: Mailroom's
// folder in the user's local application data (%LocalAppData%\Mailroom\run).
func Dir() string {
	base := os.Getenv("LocalAppData")
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "Mailroom", "run")
}

// privateDir makes dir; below the user's profile only that user may open it.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make instance folder: %w", err)
	}
	return nil
}

// lockFile takes an exclusive lock on f without waiting; ErrRunning when another holds it.
func lockFile(f *os.File) error {
	var ol windows.Overlapped
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return ErrRunning
	}
	if err != nil {
		return fmt.Errorf("lock instance file: %w", err)
	}
	return nil
}
