package gui

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// tapButton taps the button of win's topmost dialog, or of container c when not nil, whose
// text starts with text.
func tapButton(t *testing.T, win fyne.Window, c *fyne.Container, text string) {
	t.Helper()
	objs := overlayObjects(t, win)
	if c != nil {
		objs = c.Objects
	}
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, text) {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no button %q", text)
}

func sumOf(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return [32]byte(h.Sum(nil))
}

// TestSaveLargeMessageFromTheReader APPENDs a 61.6 MB message with a 45 MB attachment to
// Dovecot and opens it in the reader, which shows its first 32 MiB and says so. Its attachment
// button and "Save as .eml", through the file dialog, save it byte-exact with the heap growing
// by less than 32 MB; Forward attaches the whole file.
func TestSaveLargeMessageFromTheReader(t *testing.T) {
	srv := testenv.Load(t)
	u, s := senderUI(t, srv)
	ctx := context.Background()
	tmp := t.TempDir()
	folder := fmt.Sprintf("Large%d", time.Now().UnixNano())
	src := filepath.Join(tmp, "big.eml")
	wantMsg, wantAtt := testenv.BigMessage(t, src, "Large from the GUI", 45_000_000)
	srv.Append(t, "ann@example.test", folder, src)
	box, _ := s.MailboxByAddress(ctx, "ann@example.test")
	if _, err := mailclient.SyncMailbox(ctx, s, data.NewSecrets(), box, mailclient.SyncOptions{Folder: folder}); err != nil {
		t.Fatal(err)
	}
	list, err := s.QueryMessages(ctx, data.MessageQuery{MailboxID: box.ID, Folder: folder})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d messages, %v", len(list), err)
	}
	m := list[0].Message
	act(u, func() { u.mail.open(m) })
	u.jobs.Wait()
	if !strings.Contains(u.mail.reader.body.Text, "too long to show whole") {
		t.Errorf("the reader does not say the text is cut: %q", u.mail.reader.body.Text)
	}
	out := filepath.Join(tmp, "saved")
	os.Mkdir(out, 0o700)
	u.app.Preferences().SetString("fyne:fileDialogLastFolder", storage.NewFileURI(out).String())
	save := func(button string) uint64 {
		return testenv.HeapGrowth(func() {
			act(u, func() { tapButton(t, u.win, u.mail.reader.atts, button) })
			act(u, func() { tapButton(t, u.win, nil, "Save") }) // the file dialog's
			u.jobs.Wait()
		})
	}
	for _, tc := range []struct {
		button, file string
		want         [32]byte
	}{{"Save " + testenv.BigAttachmentName, testenv.BigAttachmentName, wantAtt}, {"Save as .eml", "Large from the GUI.eml", wantMsg}} {
		grew := save(tc.button)
		path := filepath.Join(out, tc.file)
		if sumOf(t, path) != tc.want {
			t.Errorf("%s: %s is not what was sent", tc.button, path)
		}
		if grew >= 32<<20 {
			t.Errorf("%s: the heap grew by %d MB", tc.button, grew>>20)
		}
		if !strings.HasPrefix(u.mail.status.Text, "Saved ") {
			t.Errorf("%s: status %q", tc.button, u.mail.status.Text)
		}
		t.Logf("%s: heap grew by %.1f MB; %s", tc.button, float64(grew)/(1<<20), u.mail.status.Text)
	}
	act(u, func() { u.mail.answer(false, true) })
	u.jobs.Wait()
	if sumOf(t, filepath.Join(u.attachDir(m.ID), testenv.BigAttachmentName)) != wantAtt {
		t.Error("the forward's attachment is not the file sent")
	}
}

// A save cancelled midway, or failing, leaves no partial file and says what happened.
func TestSaveCancelledOrFailedLeavesNoFile(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	dir := t.TempDir()
	for _, cancel := range []bool{true, false} {
		path := filepath.Join(dir, fmt.Sprintf("cancel-%v.eml", cancel))
		w, err := storage.Writer(storage.NewFileURI(path))
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		act(u, func() {
			u.mail.saveTo(w, "Save message", "Big news", func(ctx context.Context, out io.Writer) (int64, error) {
				io.WriteString(out, "the first part")
				close(started)
				if !cancel {
					return 14, fmt.Errorf("fetch: %w", mailclient.ErrMessageGone)
				}
				<-ctx.Done()
				return 14, ctx.Err()
			})
		})
		<-started
		if cancel {
			act(u, func() { tapButton(t, u.win, nil, "Cancel") })
		}
		u.jobs.Wait()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("cancel %v: the partial file is there (%v)", cancel, err)
		}
		if cancel && u.mail.status.Text != "Saving Big news was cancelled; nothing was kept." {
			t.Errorf("status %q", u.mail.status.Text)
		}
		if !cancel && !strings.Contains(dialogText(t, u.win), "Big news could not be saved") {
			t.Errorf("dialog %q", dialogText(t, u.win))
		}
	}
}
