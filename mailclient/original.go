package mailclient

import (
	"bytes"
	"fmt"
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

// SaveAttachmentsForForward writes the attachments of a raw message into dir (created, owner
// only) under safe file names, and returns their paths for a forward to attach.
func SaveAttachmentsForForward(raw []byte, dir string) ([]string, error) {
	atts := ParseMessage(raw).Attachments
	if len(atts) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("forward attachments: %w", err)
	}
	var paths []string
	used := map[string]bool{}
	for _, a := range atts {
		b, err := AttachmentData(raw, a.Index)
		if err != nil {
			return nil, fmt.Errorf("forward attachment %d: %w", a.Index, err)
		}
		name := SafeFileName(a.Name)
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%d-%s", i, SafeFileName(a.Name))
		}
		used[name] = true
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, fmt.Errorf("forward attachment %s: %w", name, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
