package mailclient

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gmail "github.com/emersion/go-message/mail"

	"mailroom/data"
)

// MaxRecipients is how many addresses (To, Cc and Bcc together) one message may have: more
// is a mistake or a mailing list, and most servers refuse it anyway.
const MaxRecipients = 500

// Field names of the validation errors of CheckComposition, so a compose window can show
// each message beside its field.
const (
	FieldFrom        = "from"
	FieldTo          = "to"
	FieldCc          = "cc"
	FieldBcc         = "bcc"
	FieldSubject     = "subject"
	FieldAttachments = "attachments"
)

// ErrEmptySubject is returned by CheckComposition when everything else is right but the
// subject is empty: the compose window asks whether to send it so, then checks again with
// allowEmptySubject.
var ErrEmptySubject = errors.New("the subject is empty")

// OutMessage is a checked message, ready to be written and sent.
type OutMessage struct {
	From        Address
	To, Cc, Bcc []Address
	Subject     string // one line
	Body        string
	Attachments []string // paths, read when the message is written
	InReplyTo   string
	References  []string
	MessageID   string // with its < >
	Date        time.Time
}

// Recipients returns every address the message goes to, To, Cc and Bcc, each once.
func (o *OutMessage) Recipients() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]Address{o.To, o.Cc, o.Bcc} {
		for _, a := range list {
			if k := strings.ToLower(a.Addr); !seen[k] {
				seen[k] = true
				out = append(out, a.Addr)
			}
		}
	}
	return out
}

// CheckComposition checks c as the person typed it and returns it as an OutMessage (without
// MessageID and Date). It fails with a *data.ValidationError holding one data.FieldError per
// problem (each bad address, each missing attachment, no recipient, too many), or, when
// only the subject is empty and allowEmptySubject is false, with ErrEmptySubject.
func CheckComposition(c *data.Composition, allowEmptySubject bool) (*OutMessage, error) {
	v := &data.ValidationError{}
	add := func(field, msg string) { v.Fields = append(v.Fields, &data.FieldError{Field: field, Msg: msg}) }
	o := &OutMessage{Subject: oneLine(c.Subject), Body: c.Body, InReplyTo: oneLine(c.InReplyTo),
		Attachments: c.Attachments}
	for _, r := range c.References {
		o.References = append(o.References, oneLine(r))
	}
	from, err := ParseAddress(c.From)
	if err != nil {
		add(FieldFrom, err.(*AddressError).Reason)
	}
	o.From = from
	for _, f := range []struct {
		field string
		typed string
		into  *[]Address
	}{{FieldTo, c.To, &o.To}, {FieldCc, c.Cc, &o.Cc}, {FieldBcc, c.Bcc, &o.Bcc}} {
		good, bad := ParseAddressList(f.typed)
		for _, e := range bad {
			add(f.field, fmt.Sprintf("“%s”: %s", e.Input, e.Reason))
		}
		*f.into = good
	}
	switch n := len(o.Recipients()); {
	case n == 0 && len(v.Fields) == 0:
		add(FieldTo, "Add at least one recipient.")
	case n > MaxRecipients:
		add(FieldTo, fmt.Sprintf("The message has %d recipients; at most %d are allowed in one message. "+
			"Send it in parts, or use a mailing list.", n, MaxRecipients))
	}
	for _, p := range c.Attachments {
		if err := CheckAttachment(p); err != nil {
			add(FieldAttachments, Explain(err))
		}
	}
	if len(v.Fields) > 0 {
		return nil, v
	}
	if o.Subject == "" && !allowEmptySubject {
		return nil, ErrEmptySubject
	}
	return o, nil
}

// AttachmentError is an attached file that cannot be read any more.
type AttachmentError struct {
	Path string
	Err  error
}

func (e *AttachmentError) Error() string { return fmt.Sprintf("attachment %s: %v", e.Path, e.Err) }

// Unwrap returns why the file cannot be read.
func (e *AttachmentError) Unwrap() error { return e.Err }

// sentence says what is wrong with the attachment, in plain words.
func (e *AttachmentError) sentence() string {
	name := filepath.Base(e.Path)
	switch {
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("The attachment “%s” is no longer at %s. Attach it again from where it is now, or remove it.", name, e.Path)
	case errors.Is(e.Err, fs.ErrPermission):
		return fmt.Sprintf("The attachment “%s” cannot be read: permission denied. Allow reading it, or remove it.", name)
	case errors.Is(e.Err, errNotRegular):
		return fmt.Sprintf("“%s” is a folder, a pipe or a device, not a file; only files can be attached.", name)
	}
	return fmt.Sprintf("The attachment “%s” cannot be read (%v). Attach it again, or remove it.", name, e.Err)
}

var errNotRegular = errors.New("not a regular file")

// CheckAttachment returns an *AttachmentError when path is not a regular file that can be
// opened for reading. It never blocks on a FIFO or a device.
func CheckAttachment(path string) error {
	f, err := openAttachment(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// openAttachment opens the regular file at path for reading, or fails with an
// *AttachmentError. The type is checked before opening, and the file opened without
// blocking and checked again, so neither a FIFO (whose open waits for a writer) nor a file
// swapped for one in between can hang the caller.
func openAttachment(path string) (*os.File, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, &AttachmentError{Path: path, Err: unwrapPath(err)}
	} else if !st.Mode().IsRegular() {
		return nil, &AttachmentError{Path: path, Err: errNotRegular}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, &AttachmentError{Path: path, Err: unwrapPath(err)}
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errNotRegular
		}
		return nil, &AttachmentError{Path: path, Err: err}
	}
	return f, nil
}

// unwrapPath returns the cause of a *fs.PathError, whose path the AttachmentError holds already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// NewMessageID returns a new, unique Message-ID, with its < >, in the domain of from.
func NewMessageID(from string) string {
	domain := "mailroom.invalid"
	if at := strings.LastIndex(from, "@"); at >= 0 && at < len(from)-1 {
		domain = strings.Trim(from[at+1:], "<> ")
	}
	b := make([]byte, 15)
	rand.Read(b) // never fails
	return "<" + strings.ToLower(base32.StdEncoding.EncodeToString(b)) + "@" + domain + ">"
}

// Message is a MIME message ready to be written, as often as needed (measured, sent, copied
// to Sent): every write gives the same bytes, its attachments read from disk a buffer at a
// time each time, never held in memory whole.
type Message struct {
	header   message.Header // the top-level header, boundary included
	body     string
	attached []string
}

// BuildMessage makes o a MIME message: UTF-8 text as quoted-printable, headers encoded
// (RFC 2047) and folded, Message-ID, Date, the threading headers and the attachments as
// base64 parts. Bcc goes to no header. It fails with an *AttachmentError when an attachment
// cannot be read now.
func BuildMessage(o *OutMessage) (*Message, error) {
	for _, p := range o.Attachments {
		if err := CheckAttachment(p); err != nil {
			return nil, err
		}
	}
	var h gmail.Header
	h.SetAddressList("From", mailAddresses([]Address{o.From}))
	if len(o.To) > 0 {
		h.SetAddressList("To", mailAddresses(o.To))
	}
	if len(o.Cc) > 0 {
		h.SetAddressList("Cc", mailAddresses(o.Cc))
	}
	h.SetSubject(o.Subject)
	h.SetDate(o.Date)
	h.SetMessageID(strings.Trim(o.MessageID, "<>"))
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{strings.Trim(o.InReplyTo, "<>")})
	}
	if len(o.References) > 0 {
		ids := make([]string, len(o.References))
		for i, r := range o.References {
			ids[i] = strings.Trim(r, "<>")
		}
		h.SetMsgIDList("References", ids)
	}
	h.Set("User-Agent", "Mailroom")
	if len(o.Attachments) == 0 {
		setText(&h.Header)
	} else {
		h.SetContentType("multipart/mixed", map[string]string{"boundary": newBoundary()})
	}
	return &Message{header: h.Header, body: o.Body, attached: o.Attachments}, nil
}

func setText(h *message.Header) {
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
}

func newBoundary() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails
	return "mailroom-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// WriteTo writes the message to w: the attachments are opened, encoded and copied a buffer
// at a time. A file that cannot be read fails the write with an *AttachmentError.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	mw, err := message.CreateWriter(cw, m.header)
	if err != nil {
		return cw.n, fmt.Errorf("write message: %w", err)
	}
	if len(m.attached) == 0 {
		if _, err := io.WriteString(mw, m.body); err != nil {
			return cw.n, err
		}
		return cw.n, mw.Close()
	}
	var th message.Header
	setText(&th)
	th.Set("Content-Disposition", "inline")
	pw, err := mw.CreatePart(th)
	if err != nil {
		return cw.n, err
	}
	if _, err := io.WriteString(pw, m.body); err != nil {
		return cw.n, err
	}
	if err := pw.Close(); err != nil {
		return cw.n, err
	}
	for _, p := range m.attached {
		if err := writeAttachment(mw, p); err != nil {
			return cw.n, err
		}
	}
	return cw.n, mw.Close()
}

// writeAttachment adds the file at path to mw as a base64 attachment part.
func writeAttachment(mw *message.Writer, path string) error {
	f, err := openAttachment(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var ah gmail.AttachmentHeader
	ct := mime.TypeByExtension(filepath.Ext(path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	ah.Set("Content-Type", ct)
	ah.SetFilename(filepath.Base(path))
	ah.Set("Content-Transfer-Encoding", "base64")
	pw, err := mw.CreatePart(ah.Header)
	if err != nil {
		return err
	}
	if _, err := io.Copy(pw, onlyReader{f}); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &AttachmentError{Path: path, Err: pe.Err}
		}
		return err
	}
	return pw.Close()
}

// onlyReader hides a file's WriterTo, so io.Copy goes through a small buffer.
type onlyReader struct{ io.Reader }

func mailAddresses(as []Address) []*gmail.Address {
	out := make([]*gmail.Address, len(as))
	for i, a := range as {
		out[i] = &gmail.Address{Name: a.Name, Address: a.Addr}
	}
	return out
}

// MessageSize returns how many bytes m takes once written, reading its attachments (from
// disk, a buffer at a time) to count them. It fails with an *AttachmentError when one
// cannot be read.
func MessageSize(m *Message) (int64, error) {
	n, err := m.WriteTo(io.Discard)
	if err != nil {
		return 0, fmt.Errorf("measure message: %w", attachmentCause(err))
	}
	return n, nil
}

// countingWriter counts what it passes on to w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// attachmentCause returns an *AttachmentError for a write that failed on opening or reading
// an attachment, and err itself otherwise.
func attachmentCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &AttachmentError{Path: pe.Path, Err: pe.Err}
	}
	return err
}
