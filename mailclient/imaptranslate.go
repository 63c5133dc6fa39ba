package mailclient

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// folderInfo translates one LIST answer into a folder and its role.
func folderInfo(l *imap.ListData) data.FolderInfo {
	fi := data.FolderInfo{Name: l.Mailbox, Selectable: true}
	if l.Delim != 0 {
		fi.Delimiter = string(l.Delim)
	}
	if strings.EqualFold(l.Mailbox, "INBOX") {
		fi.Role = data.RoleInbox
	}
	for _, a := range l.Attrs {
		switch imap.MailboxAttr(strings.ToLower(string(a))) {
		case "\\noselect", "\\nonexistent":
			fi.Selectable = false
		case "\\sent":
			fi.Role = data.RoleSent
		case "\\drafts":
			fi.Role = data.RoleDrafts
		case "\\trash":
			fi.Role = data.RoleTrash
		case "\\junk":
			fi.Role = data.RoleJunk
		case "\\archive":
			fi.Role = data.RoleArchive
		}
	}
	return fi
}

// Limits on what one stored message holds, whatever the server sent: header fields are
// kilobytes, and a list of recipients is read by people.
const (
	MaxHeaderField = 64 << 10 // bytes of a subject, name, address, recipient list or Message-ID
	MaxAddresses   = 1000     // recipients (To and Cc) kept
	maxKeywords    = 100      // keywords of one message kept
	maxKeyword     = 200      // bytes of a keyword; a longer one is left out
)

// capText returns s cut to at most n bytes, at a character's boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n // s[i] is the first byte cut off: when it continues a character, cut before that
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// rowSize is about how many bytes of text message m holds.
func rowSize(m *data.Message) int {
	n := len(m.Subject) + len(m.FromName) + len(m.FromAddr) + len(m.To) + len(m.MessageID) + 100
	for _, k := range m.Flags.Keywords {
		n += len(k) + 1
	}
	return n
}

// flagsOf translates IMAP flags; system flags are matched ignoring case, \Recent is dropped;
// at most maxKeywords keywords are kept.
func flagsOf(fl []imap.Flag) data.Flags {
	var f data.Flags
	for _, x := range fl {
		switch strings.ToLower(string(x)) {
		case `\seen`:
			f.Seen = true
		case `\flagged`:
			f.Flagged = true
		case `\answered`:
			f.Answered = true
		case `\deleted`:
			f.Deleted = true
		case `\draft`:
			f.Draft = true
		case `\recent`:
		default:
			if len(f.Keywords) < maxKeywords && len(x) <= maxKeyword {
				f.Keywords = append(f.Keywords, string(x))
			}
		}
	}
	slices.Sort(f.Keywords)
	return f
}

// messageOf translates a fetched message's UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE
// and BODYSTRUCTURE into a stored message, each text at most MaxHeaderField bytes and the
// recipients at most MaxAddresses.
func messageOf(b *imapclient.FetchMessageBuffer) *data.Message {
	m := &data.Message{UID: uint32(b.UID), Date: b.InternalDate, Size: b.RFC822Size, Flags: flagsOf(b.Flags)}
	if env := b.Envelope; env != nil {
		m.Subject = capText(cleanText(env.Subject), MaxHeaderField)
		m.SentDate = env.Date
		if len(env.From) > 0 {
			m.FromName = capText(cleanText(env.From[0].Name), MaxHeaderField)
			m.FromAddr = capText(cleanText(env.From[0].Addr()), MaxHeaderField)
		}
		to := append(slices.Clip(env.To), env.Cc...)
		m.To = capText(addressList(to[:min(len(to), MaxAddresses)]), MaxHeaderField)
		m.MessageID = capText(cleanText(env.MessageID), MaxHeaderField)
	}
	if b.BodyStructure != nil {
		m.HasAttachment = hasAttachment(b.BodyStructure)
	}
	return m
}

// addressList writes addresses as people read them: "Name <addr>, addr".
func addressList(as []imap.Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		switch name, addr := cleanText(a.Name), a.Addr(); {
		case a.IsGroupStart() || a.IsGroupEnd():
		case name != "" && addr != "":
			parts = append(parts, name+" <"+addr+">")
		case addr != "":
			parts = append(parts, addr)
		case name != "":
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, ", ")
}

// cleanText makes a header value safe to show on one line: control characters become spaces,
// runs of space collapse.
func cleanText(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)), " ")
}

// hasAttachment reports whether a message with body structure bs carries a file: a part
// marked as an attachment, or a named part that is neither text nor shown inline.
func hasAttachment(bs imap.BodyStructure) bool {
	found := false
	bs.Walk(func(_ []int, part imap.BodyStructure) bool {
		sp, ok := part.(*imap.BodyStructureSinglePart)
		if !ok || found {
			return !found
		}
		disp := ""
		if d := sp.Disposition(); d != nil {
			disp = strings.ToLower(d.Value)
		}
		switch {
		case disp == "attachment":
			found = true
		case disp == "inline":
		case sp.Filename() != "" && !strings.EqualFold(sp.Type, "text"):
			found = true
		}
		return false
	})
	return found
}
