package mailclient

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const threadMessage = "Message-ID: <two@example.test>\r\n" +
	"In-Reply-To: <one@example.test>\r\n" +
	"References: <zero@example.test> <one@example.test>\r\n" +
	"From: =?UTF-8?Q?J=C3=BCrgen?= <jurgen@example.test>\r\n" +
	"Reply-To: list@example.test\r\n" +
	"To: ann@example.test, Bob <bob@example.test>\r\n" +
	"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n" +
	"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello all\r\n" +
	"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../notes.txt\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n"

func TestOriginalOfReadsThreadAndPeople(t *testing.T) {
	o := OriginalOf([]byte(threadMessage))
	if o.MessageID != "<two@example.test>" || o.InReplyTo != "<one@example.test>" || len(o.References) != 2 {
		t.Errorf("threading: %q %q %v", o.MessageID, o.InReplyTo, o.References)
	}
	if len(o.From) != 1 || o.From[0].Name != "Jürgen" || len(o.ReplyTo) != 1 || len(o.To) != 2 {
		t.Errorf("people: from %v reply-to %v to %v", o.From, o.ReplyTo, o.To)
	}
	if o.Subject != "Grüße" || !strings.Contains(o.Body, "Hello all") {
		t.Errorf("subject %q body %q", o.Subject, o.Body)
	}
	c := Reply(o, Address{Addr: "ann@example.test"}, []string{"ann@example.test"}, true)
	if c.Subject != "Re: Grüße" || c.InReplyTo != "<two@example.test>" || !strings.Contains(c.To, "list@example.test") {
		t.Errorf("reply: %+v", c)
	}
	if broken := OriginalOf([]byte("not a message at all")); broken == nil {
		t.Error("a broken message gave nothing")
	}
}

func TestSaveAttachmentsForForwardUsesSafeNames(t *testing.T) {
	mail, id := cachedMessage(t, []byte(threadMessage), false)
	dir := filepath.Join(t.TempDir(), "fwd")
	paths, err := mail.SaveAttachmentsForForward(context.Background(), id, dir)
	if err != nil || len(paths) != 1 {
		t.Fatalf("paths %v, %v", paths, err)
	}
	if filepath.Dir(paths[0]) != dir {
		t.Errorf("%s is outside %s", paths[0], dir)
	}
	if b, _ := os.ReadFile(paths[0]); string(b) != "hello" {
		t.Errorf("content %q", b)
	}
}
