package mailclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Saving streams: a message or an attachment goes from the server (or the cache) to the
// writer a buffer at a time, byte for byte, whatever its size. Only a cached body that is
// whole is read from the cache; one cut at MaxBodySize, or none, is fetched again.

// SaveMessage writes message id to w whole, exactly as the server keeps it (BODY[]), and
// returns the bytes written. It fails with the store's errors, ErrMessageGone, or the
// connection's.
func (a *Mail) SaveMessage(ctx context.Context, id int64, w io.Writer) (int64, error) {
	t, raw, err := a.loadWhole(ctx, id)
	if err != nil {
		return 0, err
	}
	if raw != nil {
		n, err := w.Write(raw)
		return int64(n), err
	}
	cw := &countingWriter{w: w}
	err = a.streamSection(ctx, t, nil, func(r io.Reader) error {
		_, err := io.Copy(cw, r)
		return err
	})
	return cw.n, err
}

// SaveAttachment writes attachment att of message id (as its Reading listed it) to w,
// decoded from its transfer encoding and otherwise byte for byte, and returns the bytes
// written. From the server it fetches only that part (BODY[section]) when the part it finds
// there is the one listed, else the whole message once. It fails with ErrNoAttachment, the
// store's errors, ErrMessageGone, or the connection's.
func (a *Mail) SaveAttachment(ctx context.Context, id int64, att Attachment, w io.Writer) (int64, error) {
	t, raw, err := a.loadWhole(ctx, id)
	if err != nil {
		return 0, err
	}
	if raw != nil {
		return copyAttachment(bytes.NewReader(raw), att.Index, w)
	}
	var part *section
	err = a.withFolder(ctx, t.folder, func(ic *imapConn) error {
		var err error
		part, err = attachmentPart(ic, t, att)
		return err
	})
	if err != nil {
		return 0, err
	}
	var n int64
	err = a.streamSection(ctx, t, part.path, func(r io.Reader) error {
		if part.path == nil {
			n, err = copyAttachment(r, att.Index, w)
		} else {
			n, err = io.Copy(w, transferDecoder(part.header, r))
		}
		return err
	})
	return n, err
}

// SaveAll streams message id once and writes its attachments, each to the writer create
// returns for it (create gets the attachment as listed; a nil writer skips it), and, when eml
// is not nil, the whole message to eml. It fails with the first error of create, a writer,
// the store or the connection.
func (a *Mail) SaveAll(ctx context.Context, id int64, eml io.Writer, create func(Attachment) (io.WriteCloser, error)) error {
	t, raw, err := a.loadWhole(ctx, id)
	if err != nil {
		return err
	}
	save := func(r io.Reader) error {
		if eml != nil {
			r = io.TeeReader(r, eml)
		}
		err := eachAttachment(r, func(att Attachment, body io.Reader) error {
			wc, err := create(att)
			if err != nil || wc == nil {
				return err
			}
			_, err = io.Copy(wc, body)
			return errors.Join(err, wc.Close())
		})
		if err == nil && eml != nil {
			_, err = io.Copy(io.Discard, r) // the rest of the message, after its last part
		}
		return err
	}
	if raw != nil {
		return save(bytes.NewReader(raw))
	}
	return a.streamSection(ctx, t, nil, save)
}

// loadWhole loads message id for saving, with its cached body when that is whole; a nil
// body means the server has to send it.
func (a *Mail) loadWhole(ctx context.Context, id int64) (*target, []byte, error) {
	t, err := a.load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	cached, truncated, err := a.Store.MessageBodyState(ctx, id)
	if err != nil || !cached || truncated {
		return t, nil, err
	}
	raw, _, err := a.Store.MessageBody(ctx, id)
	return t, raw, err
}

// streamSection fetches section part (nil: the whole message) of t's message and hands it
// to fn as it arrives, undecoded. fn must read what it wants; the rest is read for it.
func (a *Mail) streamSection(ctx context.Context, t *target, part []int, fn func(io.Reader) error) error {
	return a.withFolder(ctx, t.folder, func(ic *imapConn) error {
		defer expectStream(ic.guard, t.msg.Size)()
		item := &imap.FetchItemBodySection{Peek: true, Part: part}
		cmd := ic.Fetch(imap.UIDSetNum(imap.UID(t.msg.UID)), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{item}})
		defer cmd.Close()
		found := false
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for it := msg.Next(); it != nil; it = msg.Next() {
				b, ok := it.(imapclient.FetchItemDataBodySection)
				if !ok || b.Literal == nil || found {
					continue
				}
				found = true
				if err := fn(b.Literal); err != nil {
					return err
				}
				if _, err := io.Copy(io.Discard, b.Literal); err != nil {
					return err
				}
			}
		}
		if err := cmd.Close(); err != nil {
			return wrapIMAP("FETCH BODY", err)
		}
		if !found {
			return ErrMessageGone
		}
		return nil
	})
}

// expectStream lets through a body of a message of size bytes, with expectBody's slack but
// not its MaxBodySize cap: a streamed body is never held in memory.
func expectStream(g *wireGuard, size int64) (done func()) {
	g.bodyMax.Store(max(MaxBodySize, size+size/4+8<<10))
	return func() { g.bodyMax.Store(0) }
}

// attachmentPart finds on the server the part that holds att: its BODYSTRUCTURE gives the
// leaves, their MIME headers say which are attachments, exactly as the reader decides. When
// what it finds is not what the reader listed (a broken structure the two read differently),
// it returns a section with a nil path: the whole message is to be read.
func attachmentPart(ic *imapConn, t *target, att Attachment) (*section, error) {
	uid := imap.UIDSetNum(imap.UID(t.msg.UID))
	bufs, err := ic.Fetch(uid, &imap.FetchOptions{UID: true, BodyStructure: &imap.FetchItemBodyStructure{}}).Collect()
	if err != nil {
		return nil, wrapIMAP("FETCH BODYSTRUCTURE", err)
	}
	if len(bufs) == 0 || bufs[0].BodyStructure == nil {
		return nil, ErrMessageGone
	}
	var items []*imap.FetchItemBodySection
	bufs[0].BodyStructure.Walk(func(path []int, part imap.BodyStructure) bool {
		if _, leaf := part.(*imap.BodyStructureSinglePart); leaf && len(items) < maxParts {
			if _, multi := bufs[0].BodyStructure.(*imap.BodyStructureMultiPart); multi {
				items = append(items, &imap.FetchItemBodySection{Peek: true, Part: path, Specifier: imap.PartSpecifierMIME})
			} else {
				items = append(items, &imap.FetchItemBodySection{Peek: true, Specifier: imap.PartSpecifierHeader})
			}
		}
		return len(path) <= 20
	})
	defer ic.guard.expectBody(t.msg.Size)()
	bufs, err = ic.Fetch(uid, &imap.FetchOptions{UID: true, BodySection: items}).Collect()
	if err != nil {
		return nil, wrapIMAP("FETCH MIME", err)
	}
	if len(bufs) == 0 {
		return nil, ErrMessageGone
	}
	n := 0
	for _, item := range items {
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(bufs[0].FindBodySection(item))))
		if err != nil {
			break
		}
		e, _ := message.New(message.Header{Header: h}, strings.NewReader(""))
		if !isAttachmentPart(e) {
			continue
		}
		if n++; n-1 != att.Index {
			continue
		}
		path := item.Part
		if len(path) == 0 {
			path = []int{1}
		}
		if mt, params, _ := e.Header.ContentType(); mt != att.ContentType || partName(e, params) != att.Name {
			break
		}
		return &section{path: path, header: e.Header}, nil
	}
	return &section{}, nil
}

// section is one leaf part of a message: its IMAP section number, its header, and its body
// as sent (not decoded).
type section struct {
	path       []int
	header     message.Header
	body       io.Reader
	attachment bool
}

// walkSections reads a message from r a part at a time and calls fn for each leaf part in
// order, as walkParts does (at most maxParts, nested at most 20 deep, ending where the
// structure breaks), with the part's body undecoded; fn reads what it wants of it. It
// returns fn's first error.
func walkSections(r io.Reader, fn func(*section) error) error {
	br := bufio.NewReader(io.LimitReader(r, 1<<20)) // the header, at most go-message's 1 MB
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil
	}
	// The body: what the header read left buffered, then the rest of r.
	body := io.MultiReader(io.LimitReader(br, int64(br.Buffered())), r)
	n := 0
	var walk func(h textproto.Header, body io.Reader, path []int, depth int) error
	walk = func(h textproto.Header, body io.Reader, path []int, depth int) error {
		mh := message.Header{Header: h}
		mt, params, _ := mh.ContentType()
		if !strings.HasPrefix(mt, "multipart/") {
			if n++; n > maxParts {
				return nil
			}
			if len(path) == 0 {
				path = []int{1}
			}
			e, _ := message.New(mh, strings.NewReader(""))
			return fn(&section{path: path, header: mh, body: body, attachment: isAttachmentPart(e)})
		}
		if depth > 20 {
			return nil
		}
		mr := textproto.NewMultipartReader(body, params["boundary"])
		for i := 1; n < maxParts; i++ {
			p, err := mr.NextPart()
			if err != nil || p == nil {
				return nil
			}
			if err := walk(p.Header, p, append(path[:len(path):len(path)], i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(h, body, nil, 0)
}

// errStop ends a walk that found what it looked for.
var errStop = errors.New("stop")

// eachAttachment calls fn with each attachment of the message read from r, as ParseMessage
// lists it (its Size left 0), and its content decoded from its transfer encoding.
func eachAttachment(r io.Reader, fn func(Attachment, io.Reader) error) error {
	i := 0
	return walkSections(r, func(s *section) error {
		if !s.attachment {
			return nil
		}
		e, _ := message.New(s.header, strings.NewReader(""))
		mt, params, _ := s.header.ContentType()
		att := Attachment{Index: i, Name: partName(e, params), ContentType: mt}
		i++
		return fn(att, transferDecoder(s.header, s.body))
	})
}

// copyAttachment writes attachment index of the message read from r to w, decoded from its
// transfer encoding. It fails with ErrNoAttachment.
func copyAttachment(r io.Reader, index int, w io.Writer) (int64, error) {
	var n int64
	found := false
	err := eachAttachment(r, func(att Attachment, body io.Reader) error {
		if att.Index != index {
			return nil
		}
		found = true
		var err error
		if n, err = io.Copy(w, body); err != nil {
			return err
		}
		return errStop
	})
	switch {
	case errors.Is(err, errStop):
		return n, nil
	case err != nil:
		return n, err
	case !found:
		return 0, fmt.Errorf("attachment %d: %w", index, ErrNoAttachment)
	}
	return n, nil
}

// CountAttachments returns how many attachments raw holds, as ParseMessage lists them,
// without decoding them.
func CountAttachments(raw []byte) int {
	n := 0
	walkSections(bytes.NewReader(raw), func(s *section) error {
		if s.attachment {
			n++
		}
		return nil
	})
	return n
}

// transferDecoder undoes a part's Content-Transfer-Encoding; an unknown one is left as sent,
// as go-message leaves it. Unlike go-message it never converts a charset: an attachment
// comes out as the sender attached it.
func transferDecoder(h message.Header, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, spaceDropper{r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// spaceDropper turns spaces and tabs into line ends, which the base64 decoder skips, as
// go-message does for base64 written with stray blanks.
type spaceDropper struct{ r io.Reader }

func (s spaceDropper) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	for i, b := range p[:n] {
		if b == ' ' || b == '\t' {
			p[i] = '\r'
		}
	}
	return n, err
}
