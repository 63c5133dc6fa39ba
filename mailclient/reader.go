package mailclient

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decodes every charset go-message meets
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"
)

// Limits that keep reading one message bounded in memory whatever it holds.
const (
	MaxBodySize = 32 << 20 // bytes of a message fetched and cached; the rest is cut off
	MaxTextSize = 1 << 20  // bytes of text shown; longer text is cut off
	maxParts    = 1000     // MIME parts looked at
)

// Attachment is a file carried by a message.
type Attachment struct {
	Index       int    // its position among the message's attachments, for AttachmentData
	Name        string // as the sender named it, decoded; may be unsafe as a file name (see SafeFileName)
	ContentType string
	Size        int64 // decoded bytes
}

// Reading is a message made readable: its headers decoded, its text chosen and cleaned.
type Reading struct {
	Subject     string
	From        string // "Name <address>, ..."
	To          string
	Cc          string
	Date        time.Time // zero when missing or unreadable
	Text        string    // plain text: the text/plain part, else the HTML reduced to text
	FromHTML    bool      // Text was reduced from HTML: no scripts, no styles, no remote content
	Truncated   bool      // the message or its text was longer than the limits and was cut
	Attachments []Attachment
}

// ParseMessage reads a raw message (RFC 5322, MIME) as a reader shows it: charsets decoded
// to UTF-8, text/plain preferred, HTML-only mail reduced to readable text, attachments
// listed. A broken message gives whatever could be read; it never fails and never panics,
// and reads at most MaxBodySize bytes of raw and MaxTextSize of text.
func ParseMessage(raw []byte) *Reading {
	rd := &Reading{}
	if len(raw) > MaxBodySize {
		raw, rd.Truncated = raw[:MaxBodySize], true
	}
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		rd.Text = cleanBody(string(raw))
		return rd
	}
	_ = err // an unknown charset or transfer encoding still yields an entity
	readHeaders(rd, mail.Header{Header: e.Header})
	var plain, htmlText string
	var havePlain, haveHTML bool
	walkParts(e, func(part *message.Entity, isAttachment bool) {
		mt, params, _ := part.Header.ContentType()
		switch {
		case isAttachment:
			rd.Attachments = append(rd.Attachments, Attachment{Index: len(rd.Attachments), Name: partName(part, params),
				ContentType: mt, Size: drain(part.Body)})
		case mt == "text/plain" && !havePlain:
			plain, havePlain = readText(part.Body, rd), true
		case mt == "text/html" && !haveHTML:
			htmlText, haveHTML = HTMLToText(readText(part.Body, rd)), true
		default:
			drain(part.Body)
		}
	})
	rd.Text = cleanBody(plain)
	if strings.TrimSpace(rd.Text) == "" && haveHTML {
		rd.Text, rd.FromHTML = cleanBody(htmlText), true
	}
	return rd
}

// readHeaders fills the header fields of rd; a header that cannot be decoded is shown as sent.
func readHeaders(rd *Reading, h mail.Header) {
	if s, err := h.Subject(); err == nil {
		rd.Subject = cleanText(s)
	} else {
		rd.Subject = cleanText(h.Get("Subject"))
	}
	rd.From = headerAddresses(h, "From")
	rd.To = headerAddresses(h, "To")
	rd.Cc = headerAddresses(h, "Cc")
	if d, err := h.Date(); err == nil {
		rd.Date = d
	}
}

func headerAddresses(h mail.Header, key string) string {
	list, err := h.AddressList(key)
	if err != nil || len(list) == 0 {
		v, _ := h.Text(key)
		return cleanText(v)
	}
	parts := make([]string, 0, len(list))
	for _, a := range list {
		if a.Name != "" {
			parts = append(parts, cleanText(a.Name)+" <"+a.Address+">")
		} else {
			parts = append(parts, a.Address)
		}
	}
	return strings.Join(parts, ", ")
}

// walkParts calls fn for each leaf part of e in order, at most maxParts of them, saying
// whether it is an attachment. A broken structure ends the walk where it breaks.
func walkParts(e *message.Entity, fn func(part *message.Entity, isAttachment bool)) {
	n := 0
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		mr := e.MultipartReader()
		if mr == nil {
			if n++; n <= maxParts {
				fn(e, isAttachmentPart(e))
			}
			return
		}
		if depth > 20 {
			return
		}
		for n < maxParts {
			p, err := mr.NextPart()
			if err != nil || p == nil {
				return
			}
			walk(p, depth+1)
		}
	}
	walk(e, 0)
}

func isAttachmentPart(e *message.Entity) bool {
	disp, params, _ := e.Header.ContentDisposition()
	mt, ctParams, _ := e.Header.ContentType()
	switch {
	case strings.EqualFold(disp, "attachment"):
		return true
	case strings.EqualFold(disp, "inline"):
		return !strings.HasPrefix(mt, "text/") && !strings.HasPrefix(mt, "multipart/")
	case mt == "" || strings.HasPrefix(mt, "text/"):
		return false
	}
	return params["filename"] != "" || ctParams["name"] != "" || !strings.HasPrefix(mt, "multipart/")
}

// partName returns an attachment's file name, decoded; "" when it has none.
func partName(e *message.Entity, ctParams map[string]string) string {
	_, params, _ := e.Header.ContentDisposition()
	name := params["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	if dec, err := (&mime.WordDecoder{CharsetReader: message.CharsetReader}).DecodeHeader(name); err == nil {
		name = dec
	}
	return name
}

// readText reads at most MaxTextSize bytes of a decoded text part.
func readText(r io.Reader, rd *Reading) string {
	b, _ := io.ReadAll(io.LimitReader(r, MaxTextSize+1))
	if len(b) > MaxTextSize {
		b, rd.Truncated = b[:MaxTextSize], true
		drain(r)
	}
	return string(b)
}

// drain reads r to its end and returns how many bytes it held; a broken encoding ends it early.
func drain(r io.Reader) int64 {
	n, _ := io.Copy(io.Discard, r)
	return n
}

// cleanBody makes text safe to show: valid UTF-8, Unix line ends, no control characters
// other than tab and newline, at most MaxTextSize bytes.
func cleanBody(s string) string {
	if len(s) > MaxTextSize {
		s = s[:MaxTextSize]
	}
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

// HTMLToText reduces an HTML document to readable plain text: the text of the body with
// line breaks at block elements, each link as its text followed by its target ("text <url>",
// the target alone when it is the text), images replaced by their alt text.
// Scripts, styles and everything else that could run or load remote content are dropped.
func HTMLToText(doc string) string {
	z := html.NewTokenizer(strings.NewReader(doc))
	var b strings.Builder
	skip := 0 // depth inside script, style, head, ...
	var link struct {
		href  string // target of the open <a>, "" when none or not worth showing
		start int    // where its text begins in b
	}
	for b.Len() < MaxTextSize {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyLines(b.String())
		case html.TextToken:
			if skip == 0 {
				raw := z.Raw()
				if len(raw) > 0 && unicode.IsSpace(rune(raw[0])) && b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strings.Join(strings.Fields(string(z.Text())), " "))
				if len(raw) > 1 && unicode.IsSpace(rune(raw[len(raw)-1])) {
					b.WriteByte(' ')
				}
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if hiddenTags[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			if tag == "a" {
				if tt == html.StartTagToken && hasAttr {
					link.href, link.start = linkTarget(attr(z, "href")), b.Len()
				} else if tt == html.EndTagToken && link.href != "" {
					writeTarget(&b, b.String()[link.start:], link.href)
					link.href = ""
				}
			}
			if tag == "img" && hasAttr && tt != html.EndTagToken {
				if alt := attr(z, "alt"); alt != "" {
					b.WriteString("[" + alt + "]")
				}
			}
			if blockTags[tag] || tag == "br" {
				b.WriteByte('\n')
			}
		}
	}
	return tidyLines(b.String())
}

// linkTarget is href when it is worth showing beside a link's text: a web, mail or file-transfer
// address. Relative links (no base to resolve them against), page anchors and scripts give "".
func linkTarget(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp", "mailto":
		return href
	}
	return ""
}

// writeTarget puts " <href>" after a link whose text is text, unless the text already says it
// (the URL itself, or the address of a mailto: link); a link without text becomes the target.
func writeTarget(b *strings.Builder, text, href string) {
	text = strings.TrimSpace(text)
	shown := href
	if len(href) > 7 && strings.EqualFold(href[:7], "mailto:") {
		shown = href[7:]
	}
	switch {
	case text == href || text == shown || strings.TrimSuffix(href, "/") == text:
	case text == "":
		b.WriteString("<" + href + ">")
	default:
		b.WriteString(" <" + href + ">")
	}
}

var hiddenTags = map[string]bool{"script": true, "style": true, "head": true, "title": true, "noscript": true,
	"template": true, "iframe": true, "object": true, "svg": true}

var blockTags = map[string]bool{"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "li": true, "tr": true, "table": true, "blockquote": true, "pre": true, "hr": true, "ul": true, "ol": true}

func attr(z *html.Tokenizer, key string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return strings.TrimSpace(string(v))
		}
		if !more {
			return ""
		}
	}
}

// tidyLines trims each line and keeps at most one empty line in a row.
func tidyLines(s string) string {
	var out []string
	blank := true
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" && blank {
			continue
		}
		blank = l == ""
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// ErrNoAttachment is returned by AttachmentData for an index the message does not have.
var ErrNoAttachment = errors.New("no such attachment")

// AttachmentData returns the content of attachment index of raw (as ParseMessage numbered
// it), decoded from its transfer encoding and otherwise as the sender attached it (no charset
// is converted). It fails with ErrNoAttachment.
func AttachmentData(raw []byte, index int) ([]byte, error) {
	var b bytes.Buffer
	if _, err := copyAttachment(bytes.NewReader(raw), index, &b); err != nil {
		if errors.Is(err, ErrNoAttachment) {
			return nil, ErrNoAttachment
		}
		return nil, err
	}
	return b.Bytes(), nil
}

// maxFileName is the longest file name SafeFileName returns, in bytes.
const maxFileName = 200

// SafeFileName returns name as a file name that is safe to create in a chosen folder: no
// path separators or "..", no control or reserved characters, not a device name on Windows,
// not empty and not hidden. A name with nothing left becomes "attachment".
func SafeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	for strings.Contains(name, "..") {
		name = strings.ReplaceAll(name, "..", ".")
	}
	name = strings.Trim(strings.Join(strings.Fields(name), " "), ". ")
	if name == "" {
		return "attachment"
	}
	if base, _, _ := strings.Cut(strings.ToUpper(name), "."); windowsDevices[base] {
		name = "_" + name
	}
	return truncateName(name)
}

var windowsDevices = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true}

// truncateName shortens name to maxFileName bytes on a character boundary, keeping a short
// extension.
func truncateName(name string) string {
	if len(name) <= maxFileName {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
		name, ext = name[:i], name[i:]
	}
	cut := maxFileName - len(ext)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + ext
}
