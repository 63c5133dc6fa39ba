package mailclient

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"mailroom/data"
)

// cachedMessage stores raw as the one cached message of a mailbox, its body cut short when
// truncated says so, and returns a Mail over that store with the message's id. Nothing is on
// a server: what a test saves must come from the cache.
func cachedMessage(t *testing.T, raw []byte, truncated bool) (*Mail, int64) {
	t.Helper()
	ctx := context.Background()
	s, err := data.Open(filepath.Join(t.TempDir(), "mailroom.db"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Nowhere", "127.0.0.1", "127.0.0.1"
	p.IMAP.Port = 1
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	box := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, box); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFolders(ctx, box.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Folders(ctx, box.ID)
	if err := s.StoreMessages(ctx, fs[0].ID, []*data.Message{{UID: 1, Size: int64(len(raw)), Subject: "cached"}}, 1); err != nil {
		t.Fatal(err)
	}
	page, _ := s.MessagePage(ctx, fs[0].ID, data.Cursor{}, 10)
	if err := s.SaveMessageBody(ctx, page[0].ID, raw, truncated, ""); err != nil {
		t.Fatal(err)
	}
	return &Mail{Store: s, Secrets: &memSecrets{m: map[string]string{}}}, page[0].ID
}

// The attachments a save finds are the reader's, in the reader's order, for every test message.
func TestEachAttachmentListsWhatTheReaderLists(t *testing.T) {
	files, _ := os.ReadDir(filepath.Join("testdata", "messages"))
	for _, f := range files {
		raw := readTestMessage(t, f.Name())
		var want, got []string
		for _, a := range ParseMessage(raw).Attachments {
			want = append(want, a.Name+" "+a.ContentType)
		}
		eachAttachment(bytes.NewReader(raw), func(a Attachment, body io.Reader) error {
			got = append(got, a.Name+" "+a.ContentType)
			return nil
		})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: attachments %q, the reader lists %q", f.Name(), got, want)
		}
		if n := CountAttachments(raw); n != len(want) {
			t.Errorf("%s: CountAttachments %d, want %d", f.Name(), n, len(want))
		}
	}
}

// An attachment is saved as it was attached: decoded from base64 or quoted-printable, and a
// text file in Latin-1 stays Latin-1 (go-message alone would convert it to UTF-8).
func TestSavedAttachmentIsWhatWasAttached(t *testing.T) {
	latin1 := []byte("caf\xe9 cr\xe8me\r\n")
	raw := "From: a@example.test\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee the files\r\n" +
		"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=menu.txt\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 cr=E8me=0D=0A\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\nA/8=\r\n" +
		"--b--\r\n"
	mail, id := cachedMessage(t, []byte(raw), false)
	rd := ParseMessage([]byte(raw))
	if len(rd.Attachments) != 2 {
		t.Fatalf("attachments %+v", rd.Attachments)
	}
	for i, want := range [][]byte{latin1, {0, 1, 2, 3, 0xff}} {
		var b bytes.Buffer
		n, err := mail.SaveAttachment(context.Background(), id, rd.Attachments[i], &b)
		if err != nil || !bytes.Equal(b.Bytes(), want) || n != int64(len(want)) {
			t.Errorf("attachment %d: %q (%d), %v; want %q", i, b.Bytes(), n, err, want)
		}
	}
	var eml bytes.Buffer
	if _, err := mail.SaveMessage(context.Background(), id, &eml); err != nil || eml.String() != raw {
		t.Errorf("message saved as %q, %v", eml.String(), err)
	}
	// SaveAll: the message once, each attachment beside it.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "menu.txt"), []byte("mine"), 0o600) // never replaced
	folder := &AttachmentFolder{Dir: dir}
	eml.Reset()
	if err := mail.SaveAll(context.Background(), id, &eml, folder.Create); err != nil || eml.String() != raw {
		t.Fatalf("SaveAll: %v, message %q", err, eml.String())
	}
	if got := []string{filepath.Base(folder.Paths[0]), filepath.Base(folder.Paths[1])}; !reflect.DeepEqual(got, []string{"2-menu.txt", "x.bin"}) {
		t.Errorf("files %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "menu.txt")); string(b) != "mine" {
		t.Errorf("a file that was there became %q", b)
	}
	if b, _ := os.ReadFile(folder.Paths[0]); !bytes.Equal(b, latin1) {
		t.Errorf("menu.txt saved as %q", b)
	}
}

// A message cut short in the cache is not saved from the cache: the server is asked (here it
// cannot be reached, so saving fails instead of writing a part of the message).
func TestTruncatedCacheIsNotSaved(t *testing.T) {
	mail, id := cachedMessage(t, readTestMessage(t, "attachments.eml"), true)
	var b bytes.Buffer
	if _, err := mail.SaveMessage(context.Background(), id, &b); err == nil || b.Len() > 0 {
		t.Errorf("saved %d bytes of a truncated message, err %v", b.Len(), err)
	}
}

func TestTransferDecoderLeavesUnknownEncodings(t *testing.T) {
	var h message.Header
	h.Set("Content-Transfer-Encoding", "x-uuencode")
	b, _ := io.ReadAll(transferDecoder(h, strings.NewReader("begin 644 f\n")))
	if string(b) != "begin 644 f\n" {
		t.Errorf("%q", b)
	}
}
