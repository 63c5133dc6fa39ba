//go:build unix

package mailclient

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mailroom/data"
)

// hangGuard is how long a check that must not block may take before the test calls it hung.
const hangGuard = 30 * time.Second

// TestFIFOAttachmentIsRefusedWithoutBlocking: opening a FIFO for reading waits for a writer,
// forever when none comes; it is refused before it is opened.
func TestFIFOAttachmentIsRefusedWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		c := data.Composition{From: "ann@example.com", To: "bob@example.com", Subject: "s", Attachments: []string{fifo}}
		_, err := CheckComposition(&c, false)
		done <- err
	}()
	select {
	case err := <-done:
		var v *data.ValidationError
		if !errors.As(err, &v) || !strings.Contains(v.For(FieldAttachments), "“pipe.txt” is a folder, a pipe or a device") {
			t.Errorf("CheckComposition with a FIFO: %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("CheckComposition hangs on a FIFO attachment")
	}
	go func() { done <- CheckAttachment("/dev/zero") }()
	if err := <-done; !errors.Is(err, errNotRegular) {
		t.Errorf("CheckAttachment(/dev/zero) = %v", err)
	}
}
