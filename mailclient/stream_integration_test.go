package mailclient

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// bigSize is the attachment of the large-message tests: 45 MB, in a message of about 61.6 MB.
const bigSize = 45_000_000

// TestSaveLargeMessageAgainstDovecot APPENDs a 61.6 MB message with a 45 MB attachment to
// Dovecot, opens it (the cache keeps its first 32 MiB, the reader says it is cut), then saves
// it whole, its attachment alone (BODY[2]) and both at once: each is byte-exact and the heap
// grows by less than 32 MB while it is saved.
func TestSaveLargeMessageAgainstDovecot(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	ctx := context.Background()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "big.eml")
	wantMsg, wantAtt := testenv.BigMessage(t, src, "Large", bigSize)
	e.srv.Append(t, e.user, e.folder, src)
	e.sync(t)
	page, _ := e.store.MessagePage(ctx, e.storedFolder(t).ID, data.Cursor{}, 10)
	if len(page) != 1 || page[0].Size < 60_000_000 {
		t.Fatalf("stored %+v", page)
	}
	id := page[0].ID
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	var rd *Reading
	var err error
	opened := testenv.HeapGrowth(func() { rd, err = mail.OpenMessage(ctx, id) })
	if err != nil {
		t.Fatal(err)
	}
	// The baseline: opening reads the first 32 MiB into memory, as the reader shows them.
	t.Logf("OpenMessage (the reader's capped copy): heap grew by %.1f MB", float64(opened)/(1<<20))
	if !rd.Truncated || len(rd.Attachments) != 1 || rd.Attachments[0].Name != testenv.BigAttachmentName {
		t.Fatalf("reading: truncated %v, attachments %+v", rd.Truncated, rd.Attachments)
	}
	check := func(what, path string, want [32]byte, grew uint64) {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		h := sha256.New()
		n, _ := io.Copy(h, f)
		if [32]byte(h.Sum(nil)) != want {
			t.Errorf("%s: %d bytes, not what was sent", what, n)
		}
		if grew >= 32<<20 {
			t.Errorf("%s: the heap grew by %d MB", what, grew>>20)
		}
		t.Logf("%s: %d bytes, heap grew by %.1f MB", what, n, float64(grew)/(1<<20))
	}
	// The attachment alone is fetched as its section, BODY[2], not as the whole message.
	var part *section
	if err := mail.withFolder(ctx, e.storedFolder(t), func(ic *imapConn) error {
		part, err = attachmentPart(ic, &target{msg: page[0]}, rd.Attachments[0])
		return err
	}); err != nil || len(part.path) != 1 || part.path[0] != 2 {
		t.Fatalf("the attachment's section: %+v, %v", part, err)
	}
	emlPath, attPath := filepath.Join(tmp, "saved.eml"), filepath.Join(tmp, "saved.bin")
	grew := testenv.HeapGrowth(func() {
		f, _ := os.Create(emlPath)
		if _, err = mail.SaveMessage(ctx, id, f); err != nil {
			t.Error(err)
		}
		f.Close()
	})
	check("SaveMessage", emlPath, wantMsg, grew)
	grew = testenv.HeapGrowth(func() {
		f, _ := os.Create(attPath)
		if _, err = mail.SaveAttachment(ctx, id, rd.Attachments[0], f); err != nil {
			t.Error(err)
		}
		f.Close()
	})
	check("SaveAttachment", attPath, wantAtt, grew)
	folder := &AttachmentFolder{Dir: filepath.Join(tmp, "all")}
	both := filepath.Join(tmp, "both.eml")
	grew = testenv.HeapGrowth(func() {
		f, _ := os.Create(both)
		if err = mail.SaveAll(ctx, id, f, folder.Create); err != nil {
			t.Error(err)
		}
		f.Close()
	})
	check("SaveAll, message", both, wantMsg, grew)
	if len(folder.Paths) != 1 || filepath.Base(folder.Paths[0]) != testenv.BigAttachmentName {
		t.Fatalf("SaveAll wrote %q", folder.Paths)
	}
	check("SaveAll, attachment", folder.Paths[0], wantAtt, grew)
	// A forward's attachment is the whole file too.
	paths, err := mail.SaveAttachmentsForForward(ctx, id, filepath.Join(tmp, "fwd"))
	if err != nil || len(paths) != 1 {
		t.Fatalf("forward: %q, %v", paths, err)
	}
	check("forward", paths[0], wantAtt, 0)
}
