package mailclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
)

// OriginalOf reads what replying to or forwarding a raw message needs: its threading headers,
// its people, and its subject, date and text as the reader shows them. A broken message gives
// what could be read.
func OriginalOf(raw []byte) *Original {
	rd := ParseMessage(raw)
	o := &Original{Subject: rd.Subject, Date: rd.Date, Body: rd.Text}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return o
	}
	h := msg.Header
	o.MessageID = strings.TrimSpace(h.Get("Message-Id"))
	o.InReplyTo = strings.TrimSpace(h.Get("In-Reply-To"))
	o.References = strings.Fields(h.Get("References"))
	o.From = addressesOf(h, "From")
	o.ReplyTo = addressesOf(h, "Reply-To")
	o.To = addressesOf(h, "To")
	o.Cc = addressesOf(h, "Cc")
	return o
}

// addressesOf returns the addresses of header key; nil when it is missing or unreadable.
func addressesOf(h mail.Header, key string) []Address {
	list, err := h.AddressList(key)
	if err != nil {
		return nil
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		out = append(out, Address{Name: a.Name, Addr: a.Address})
	}
	return out
}

// SaveAttachmentsForForward writes the attachments of message id into dir (created, owner
// only) under safe file names, streamed as SaveAll streams them, and returns their paths for a
// forward to attach. On failure it removes what it wrote.
func (a *Mail) SaveAttachmentsForForward(ctx context.Context, id int64, dir string) ([]string, error) {
	f := &AttachmentFolder{Dir: dir}
	if err := a.SaveAll(ctx, id, nil, f.Create); err != nil {
		f.Remove()
		return nil, fmt.Errorf("forward attachments: %w", err)
	}
	return f.Paths, nil
}

// AttachmentFolder writes attachments as files of one folder, under safe and distinct names
// ("2-name" after "name"), never replacing a file that is there.
type AttachmentFolder struct {
	Dir   string
	Paths []string // the files created, in order
}

// Create creates the file for att, and the folder (owner only) when it is missing; the file
// is readable by its owner only. It fails when the folder or the file cannot be made.
func (f *AttachmentFolder) Create(att Attachment) (io.WriteCloser, error) {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("attachment folder: %w", err)
	}
	base := SafeFileName(att.Name)
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%d-%s", i, base)
		}
		p := filepath.Join(f.Dir, name)
		file, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", name, err)
		}
		f.Paths = append(f.Paths, p)
		return file, nil
	}
}

// Remove deletes the files Create made, after a failure.
func (f *AttachmentFolder) Remove() {
	for _, p := range f.Paths {
		os.Remove(p)
	}
	f.Paths = nil
}
