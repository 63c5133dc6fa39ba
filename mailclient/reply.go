package mailclient

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"mailroom/data"
)

// Original is what replying to or forwarding a message needs of it.
type Original struct {
	MessageID  string // with its < >
	InReplyTo  string
	References []string
	From       []Address
	ReplyTo    []Address // nil when the message has no Reply-To
	To, Cc     []Address
	Subject    string
	Date       time.Time
	Body       string // plain text
}

// maxReferences bounds the References of a reply: the thread's first message and the latest
// ones, so a long thread never makes a header too long.
const maxReferences = 20

var (
	replyPrefix   = regexp.MustCompile(`(?i)^\s*(re|aw|sv|vs|antw|ref|rif|odp|res)(\s*\[\d+\]|\s*\(\d+\))?\s*[:：]\s*`)
	forwardPrefix = regexp.MustCompile(`(?i)^\s*(fwd?|wg|tr|rv|enc|i)(\s*\[\d+\])?\s*[:：]\s*`)
)

// ReplySubject returns the subject of a reply to a message with subject s: "Re: " once,
// however many reply prefixes (Re:, RE[2]:, AW:, SV:, ...) s already has.
func ReplySubject(s string) string {
	return "Re: " + strip(oneLine(s), replyPrefix)
}

// ForwardSubject returns the subject of a forward of a message with subject s: "Fwd: " once,
// whatever forward prefixes (Fwd:, Fw:, WG:, TR:, ...) s already has.
func ForwardSubject(s string) string {
	return "Fwd: " + strip(oneLine(s), forwardPrefix)
}

func strip(s string, prefix *regexp.Regexp) string {
	for {
		loc := prefix.FindStringIndex(s)
		if loc == nil {
			return strings.TrimSpace(s)
		}
		s = s[loc[1]:]
	}
}

// Reply returns a draft answering orig from me: to its Reply-To (else its From); with all,
// also to its To and Cc, without me (any of mine) and without repeats. Its subject, quoted
// text and threading headers (In-Reply-To, References) are filled in.
func Reply(orig *Original, me Address, mine []string, all bool) data.Composition {
	to := orig.ReplyTo
	if len(to) == 0 {
		to = orig.From
	}
	var cc []Address
	if all {
		to = append(append([]Address{}, to...), orig.To...)
		cc = orig.Cc
	}
	mineSet := map[string]bool{strings.ToLower(me.Addr): true}
	for _, a := range mine {
		mineSet[strings.ToLower(a)] = true
	}
	seen := map[string]bool{}
	to, cc = others(to, mineSet, seen), others(cc, mineSet, seen)
	if len(to) == 0 && len(cc) == 0 {
		to = others(orig.To, map[string]bool{}, map[string]bool{}) // answering one's own message
	}
	return data.Composition{
		From:       me.Display(),
		To:         FormatAddressList(to),
		Cc:         FormatAddressList(cc),
		Subject:    ReplySubject(orig.Subject),
		Body:       "\n\n" + Attribution(orig) + "\n" + Quote(orig.Body),
		InReplyTo:  orig.MessageID,
		References: ReplyReferences(orig),
	}
}

// others returns as without the addresses in skip or already seen, marking the ones kept as seen.
func others(as []Address, skip, seen map[string]bool) []Address {
	var out []Address
	for _, a := range as {
		k := strings.ToLower(a.Addr)
		if skip[k] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	return out
}

// ReplyReferences returns the References of a reply to orig: its References (or, without
// them, its In-Reply-To) and its Message-ID, at most maxReferences, keeping the first.
func ReplyReferences(orig *Original) []string {
	refs := append([]string{}, orig.References...)
	if len(refs) == 0 && orig.InReplyTo != "" {
		refs = append(refs, orig.InReplyTo)
	}
	if orig.MessageID != "" {
		refs = append(refs, orig.MessageID)
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs
}

// Attribution returns the line above a quote: "On DATE, NAME wrote:".
func Attribution(orig *Original) string {
	who := "someone"
	if len(orig.From) > 0 {
		who = orig.From[0].Display()
	}
	if orig.Date.IsZero() {
		return who + " wrote:"
	}
	return fmt.Sprintf("On %s, %s wrote:", orig.Date.Format("Mon, 2 Jan 2006 at 15:04"), who)
}

// Quote returns text with every line quoted: "> " before a line, ">" before one already quoted.
func Quote(text string) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	for i, l := range lines {
		switch {
		case l == "":
			lines[i] = ">"
		case strings.HasPrefix(l, ">"):
			lines[i] = ">" + l
		default:
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Forward returns a draft forwarding orig from me, with its headers and text below the
// place for a note, and attachments: the files to send along (the original's attachments
// saved to disk by the caller, or any others).
func Forward(orig *Original, me Address, attachments []string) data.Composition {
	var b strings.Builder
	b.WriteString("\n\n-------- Forwarded message --------\n")
	if orig.Subject != "" {
		fmt.Fprintf(&b, "Subject: %s\n", oneLine(orig.Subject))
	}
	if !orig.Date.IsZero() {
		fmt.Fprintf(&b, "Date: %s\n", orig.Date.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	}
	if len(orig.From) > 0 {
		fmt.Fprintf(&b, "From: %s\n", FormatAddressList(orig.From))
	}
	if len(orig.To) > 0 {
		fmt.Fprintf(&b, "To: %s\n", FormatAddressList(orig.To))
	}
	if len(orig.Cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\n", FormatAddressList(orig.Cc))
	}
	b.WriteString("\n")
	b.WriteString(orig.Body)
	return data.Composition{
		From:        me.Display(),
		Subject:     ForwardSubject(orig.Subject),
		Body:        b.String(),
		Attachments: append([]string(nil), attachments...),
	}
}
