package mailclient

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

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
		return fmt.Sprintf("“%s” is a folder or a device, not a file; only files can be attached.", name)
	}
	return fmt.Sprintf("The attachment “%s” cannot be read (%v). Attach it again, or remove it.", name, e.Err)
}

var errNotRegular = errors.New("not a regular file")

// CheckAttachment returns an *AttachmentError when path is not a regular file that can be
// opened for reading.
func CheckAttachment(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &AttachmentError{Path: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &AttachmentError{Path: path, Err: err}
	}
	if !st.Mode().IsRegular() {
		return &AttachmentError{Path: path, Err: errNotRegular}
	}
	return nil
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

// BuildMessage writes o as a MIME message: UTF-8 text, encoded headers, Message-ID, Date,
// threading headers and the attachments, which are read from disk only when the message is
// written (WriteTo), never held in memory whole. Bcc goes to no header.
func BuildMessage(o *OutMessage) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	m.FromMailAddress(&mail.Address{Name: o.From.Name, Address: o.From.Addr})
	if len(o.To) > 0 {
		m.ToMailAddress(mailAddresses(o.To)...)
	}
	if len(o.Cc) > 0 {
		m.CcMailAddress(mailAddresses(o.Cc)...)
	}
	m.Subject(o.Subject)
	m.SetMessageIDWithValue(strings.Trim(o.MessageID, "<>"))
	m.SetDateWithValue(o.Date)
	if o.InReplyTo != "" {
		m.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, o.InReplyTo)
	}
	if len(o.References) > 0 {
		m.SetGenHeaderPreformatted(gomail.HeaderReferences, strings.Join(o.References, "\r\n "))
	}
	m.SetUserAgent("Mailroom")
	m.SetBodyString(gomail.TypeTextPlain, o.Body)
	for _, p := range o.Attachments {
		if err := CheckAttachment(p); err != nil {
			return nil, err
		}
		var opts []gomail.FileOption
		if ct := mime.TypeByExtension(filepath.Ext(p)); ct != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(ct)))
		}
		m.AttachFile(p, opts...)
	}
	return m, nil
}

func mailAddresses(as []Address) []*mail.Address {
	out := make([]*mail.Address, len(as))
	for i, a := range as {
		out[i] = &mail.Address{Name: a.Name, Address: a.Addr}
	}
	return out
}

// MessageSize returns how many bytes m takes once written, reading its attachments (from
// disk, a buffer at a time) to count them. It fails when an attachment cannot be read.
func MessageSize(m *gomail.Msg) (int64, error) {
	var c countingWriter
	if _, err := m.WriteTo(&c); err != nil {
		return 0, fmt.Errorf("measure message: %w", attachmentCause(err))
	}
	return c.n, nil
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// attachmentCause returns an *AttachmentError for a write that failed on opening or reading
// an attachment, and err itself otherwise.
func attachmentCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &AttachmentError{Path: pe.Path, Err: pe.Err}
	}
	return err
}
