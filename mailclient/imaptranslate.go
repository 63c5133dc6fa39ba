package mailclient

import (
	"slices"
	"strings"

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

// flagsOf translates IMAP flags; system flags are matched ignoring case, \Recent is dropped.
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
			f.Keywords = append(f.Keywords, string(x))
		}
	}
	slices.Sort(f.Keywords)
	return f
}

// messageOf translates a fetched message's UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE
// and BODYSTRUCTURE into a stored message.
func messageOf(b *imapclient.FetchMessageBuffer) *data.Message {
	m := &data.Message{UID: uint32(b.UID), Date: b.InternalDate, Size: b.RFC822Size, Flags: flagsOf(b.Flags)}
	if env := b.Envelope; env != nil {
		m.Subject = cleanText(env.Subject)
		m.SentDate = env.Date
		if len(env.From) > 0 {
			m.FromName, m.FromAddr = cleanText(env.From[0].Name), env.From[0].Addr()
		}
		m.To = addressList(append(slices.Clip(env.To), env.Cc...))
		m.MessageID = env.MessageID
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
