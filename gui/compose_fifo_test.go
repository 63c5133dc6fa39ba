//go:build unix

package gui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// TestComposeAttachmentErrorsBesideTheField: a FIFO is refused when attached, without
// blocking, and the file dialog does not offer it; a file gone by the time Send is pressed
// is named beside the attachments, and nothing is queued.
func TestComposeAttachmentErrorsBesideTheField(t *testing.T) {
	srv := testenv.Load(t)
	u, s := senderUI(t, srv)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if (regularFiles{}).Matches(storage.NewFileURI(fifo)) {
		t.Errorf("the file dialog offers a FIFO")
	}
	file := filepath.Join(dir, "report.pdf")
	os.WriteFile(file, []byte("%PDF"), 0o600)
	if !(regularFiles{}).Matches(storage.NewFileURI(file)) {
		t.Errorf("the file dialog does not offer a file")
	}
	w := openCompose(t, u, data.Composition{To: "bob@example.test", Subject: "report"})
	act(u, func() { w.addAttachment(fifo) })
	if l := w.errs[mailclient.FieldAttachments]; !l.Visible() || !strings.Contains(l.Text, "“pipe” is a folder, a pipe or a device") {
		t.Errorf("beside the attachments: %q", l.Text)
	}
	act(u, func() { w.addAttachment(file) })
	os.Remove(file)
	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()
	if l := w.errs[mailclient.FieldAttachments]; !l.Visible() || !strings.Contains(l.Text, "“report.pdf” is no longer at") {
		t.Errorf("beside the attachments after Send: %q", l.Text)
	}
	if items, _ := s.OutboxItems(context.Background()); len(items) != 0 {
		t.Errorf("%d messages queued with a missing attachment", len(items))
	}
}
