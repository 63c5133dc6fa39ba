package mailclient

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"mailroom/data"
)

// MaxMailtoLength is the longest mailto: link Mailroom reads (a long body included).
const MaxMailtoLength = 256 << 10

// MailtoError says why a mailto: link cannot be used; Reason is one plain sentence.
type MailtoError struct {
	Reason string
}

func (e *MailtoError) Error() string { return "mailto link: " + e.Reason }

// IsMailto reports whether arg is a mailto: link (the scheme is case-insensitive).
func IsMailto(arg string) bool {
	return len(arg) >= 7 && strings.EqualFold(arg[:7], "mailto:")
}

// ParseMailto reads a mailto: link (RFC 6068) into a message to compose: the addresses
// before ? and in to=, cc=, bcc= (each may list several, separated by commas), subject= and
// body= (line breaks as %0D%0A), and in-reply-to=. Header fields it does not know, and
// those a link must not set (from=, attach=, …), are ignored. The addresses are decoded but
// not judged: the compose window names a bad one beside its field.
//
// It returns a *MailtoError, and nothing else, when the link is malformed: not a mailto:
// link, a bad %-escape, text that is not UTF-8, a line break or other control character in
// an address, subject or in-reply-to (that would inject header lines), a field given twice
// that can hold only one value, or a link longer than MaxMailtoLength.
func ParseMailto(link string) (data.Composition, error) {
	c, err := parseMailto(link)
	if err != nil {
		return data.Composition{}, err // nothing half
	}
	return c, nil
}

func parseMailto(link string) (data.Composition, error) {
	var c data.Composition
	switch {
	case !IsMailto(link):
		return c, &MailtoError{"It is not a mailto: link."}
	case len(link) > MaxMailtoLength:
		return c, &MailtoError{fmt.Sprintf("It is longer than %d KB.", MaxMailtoLength>>10)}
	case strings.Contains(link, "#"):
		return c, &MailtoError{"It contains a # that is not encoded as %23."}
	}
	path, query, _ := strings.Cut(link[len("mailto:"):], "?")
	to, err := mailtoValue("address", path, true)
	if err != nil {
		return c, err
	}
	var tos, ccs, bccs []string
	tos = appendList(tos, to)
	seen := map[string]bool{}
	for _, field := range strings.Split(query, "&") {
		if field == "" {
			continue
		}
		rawName, rawValue, ok := strings.Cut(field, "=")
		if !ok {
			return c, &MailtoError{fmt.Sprintf("The part “%s” has no = and value.", shorten(field))}
		}
		name, err := mailtoValue("field name", rawName, true)
		if err != nil {
			return c, err
		}
		name = strings.ToLower(name)
		header := name != "body"
		value, err := mailtoValue(name, rawValue, header)
		if err != nil {
			return c, err
		}
		switch name {
		case "to":
			tos = appendList(tos, value)
		case "cc":
			ccs = appendList(ccs, value)
		case "bcc":
			bccs = appendList(bccs, value)
		case "subject", "body", "in-reply-to":
			if seen[name] {
				return c, &MailtoError{fmt.Sprintf("It gives the %s twice.", name)}
			}
			seen[name] = true
			switch name {
			case "subject":
				c.Subject = value
			case "body":
				c.Body = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(value)
			default:
				if c.InReplyTo, err = mailtoMessageID(value); err != nil {
					return c, err
				}
			}
		}
	}
	c.To, c.Cc, c.Bcc = strings.Join(tos, ", "), strings.Join(ccs, ", "), strings.Join(bccs, ", ")
	return c, nil
}

// mailtoValue undoes the %-escapes of one part of a link. A header value (header true) may
// hold no control character at all; the body may hold tabs and line breaks.
func mailtoValue(name, raw string, header bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != '%' {
			b.WriteByte(raw[i])
			continue
		}
		if i+2 >= len(raw) || unhex(raw[i+1]) < 0 || unhex(raw[i+2]) < 0 {
			return "", &MailtoError{fmt.Sprintf("The %s has a %% that is not followed by two hexadecimal digits.", name)}
		}
		b.WriteByte(byte(unhex(raw[i+1])<<4 | unhex(raw[i+2])))
		i += 2
	}
	s := b.String()
	if !utf8.ValidString(s) {
		return "", &MailtoError{fmt.Sprintf("The %s is not valid UTF-8 text.", name)}
	}
	for _, r := range s {
		if r == 0x7f || (r < 0x20 && (header || (r != '\t' && r != '\n' && r != '\r'))) {
			if r == '\r' || r == '\n' {
				return "", &MailtoError{fmt.Sprintf("The %s contains a line break, which a link may put only in the body.", name)}
			}
			return "", &MailtoError{fmt.Sprintf("The %s contains a control character.", name)}
		}
	}
	return s, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// appendList adds the addresses of a comma-separated list, skipping empty ones.
func appendList(list []string, value string) []string {
	for _, a := range splitList(value) {
		if a = strings.TrimSpace(a); a != "" {
			list = append(list, a)
		}
	}
	return list
}

// mailtoMessageID checks the in-reply-to of a link: one <id@host>.
func mailtoMessageID(v string) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) < 3 || v[0] != '<' || v[len(v)-1] != '>' || strings.ContainsAny(v[1:len(v)-1], "<> \t") || !strings.Contains(v, "@") {
		return "", &MailtoError{"Its in-reply-to is not a message ID such as <id@example.com>."}
	}
	return v, nil
}

// shorten keeps a quoted piece of a link short enough for a message.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
