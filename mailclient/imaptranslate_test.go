package mailclient

import (
	"reflect"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

func TestFolderInfo(t *testing.T) {
	tests := []struct {
		name string
		in   imap.ListData
		want data.FolderInfo
	}{
		{"inbox", imap.ListData{Mailbox: "INBOX", Delim: '/'}, data.FolderInfo{Name: "INBOX", Delimiter: "/", Role: data.RoleInbox, Selectable: true}},
		{"inbox lower case", imap.ListData{Mailbox: "inbox"}, data.FolderInfo{Name: "inbox", Role: data.RoleInbox, Selectable: true}},
		{"sent", imap.ListData{Mailbox: "Sent Items", Attrs: []imap.MailboxAttr{imap.MailboxAttrHasNoChildren, imap.MailboxAttrSent}, Delim: '.'},
			data.FolderInfo{Name: "Sent Items", Delimiter: ".", Role: data.RoleSent, Selectable: true}},
		{"drafts", imap.ListData{Mailbox: "Drafts", Attrs: []imap.MailboxAttr{imap.MailboxAttrDrafts}}, data.FolderInfo{Name: "Drafts", Role: data.RoleDrafts, Selectable: true}},
		{"trash, odd case", imap.ListData{Mailbox: "Deleted", Attrs: []imap.MailboxAttr{"\\TRASH"}}, data.FolderInfo{Name: "Deleted", Role: data.RoleTrash, Selectable: true}},
		{"junk", imap.ListData{Mailbox: "Spam", Attrs: []imap.MailboxAttr{imap.MailboxAttrJunk}}, data.FolderInfo{Name: "Spam", Role: data.RoleJunk, Selectable: true}},
		{"archive", imap.ListData{Mailbox: "Archive", Attrs: []imap.MailboxAttr{imap.MailboxAttrArchive}}, data.FolderInfo{Name: "Archive", Role: data.RoleArchive, Selectable: true}},
		{"noselect", imap.ListData{Mailbox: "Lists", Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}}, data.FolderInfo{Name: "Lists"}},
		{"nonexistent", imap.ListData{Mailbox: "Gone", Attrs: []imap.MailboxAttr{imap.MailboxAttrNonExistent}}, data.FolderInfo{Name: "Gone"}},
		{"plain, unicode", imap.ListData{Mailbox: "Rechnungen/Müller"}, data.FolderInfo{Name: "Rechnungen/Müller", Selectable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := folderInfo(&tt.in); got != tt.want {
				t.Errorf("folderInfo = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFlagsOf(t *testing.T) {
	tests := []struct {
		in   []imap.Flag
		want data.Flags
	}{
		{nil, data.Flags{}},
		{[]imap.Flag{imap.FlagSeen, imap.FlagFlagged}, data.Flags{Seen: true, Flagged: true}},
		{[]imap.Flag{"\\SEEN", "\\answered", "\\Draft", "\\Deleted", "\\Recent"}, data.Flags{Seen: true, Answered: true, Draft: true, Deleted: true}},
		{[]imap.Flag{"$Label1", imap.FlagForwarded, imap.FlagSeen}, data.Flags{Seen: true, Keywords: []string{"$Forwarded", "$Label1"}}},
	}
	for _, tt := range tests {
		if got := flagsOf(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("flagsOf(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func single(typ, sub, disp string, params map[string]string) *imap.BodyStructureSinglePart {
	p := &imap.BodyStructureSinglePart{Type: typ, Subtype: sub, Params: params}
	if disp != "" {
		p.Extended = &imap.BodyStructureSinglePartExt{Disposition: &imap.BodyStructureDisposition{Value: disp, Params: map[string]string{}}}
	}
	return p
}

func multi(sub string, children ...imap.BodyStructure) *imap.BodyStructureMultiPart {
	return &imap.BodyStructureMultiPart{Subtype: sub, Children: children}
}

func TestHasAttachment(t *testing.T) {
	tests := []struct {
		name string
		bs   imap.BodyStructure
		want bool
	}{
		{"plain", single("text", "plain", "", nil), false},
		{"alternative", multi("alternative", single("text", "plain", "", nil), single("text", "html", "", nil)), false},
		{"attached pdf", multi("mixed", single("text", "plain", "", nil), single("application", "pdf", "attachment", nil)), true},
		{"ATTACHMENT in capitals", multi("mixed", single("text", "plain", "", nil), single("text", "csv", "ATTACHMENT", nil)), true},
		{"named, no disposition", multi("mixed", single("text", "plain", "", nil), single("image", "png", "", map[string]string{"name": "a.png"})), true},
		{"inline image", multi("related", single("text", "html", "", nil), single("image", "png", "inline", map[string]string{"name": "logo.png"})), false},
		{"named text part", single("text", "plain", "", map[string]string{"name": "body.txt"}), false},
		{"nested", multi("mixed", multi("alternative", single("text", "plain", "", nil)), multi("mixed", single("audio", "ogg", "attachment", nil))), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasAttachment(tt.bs); got != tt.want {
				t.Errorf("hasAttachment = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMessageOf(t *testing.T) {
	date := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name string
		in   imapclient.FetchMessageBuffer
		want data.Message
	}{
		{"full", imapclient.FetchMessageBuffer{UID: 42, InternalDate: date, RFC822Size: 1234, Flags: []imap.Flag{imap.FlagSeen},
			Envelope: &imap.Envelope{Date: date.Add(-time.Hour), Subject: "Hello\r\n\tthere", MessageID: "x@y",
				From: []imap.Address{{Name: "Zoë", Mailbox: "zoe", Host: "example.org"}},
				To:   []imap.Address{{Name: "Ann", Mailbox: "ann", Host: "example.net"}, {Mailbox: "bob", Host: "example.net"}},
				Cc:   []imap.Address{{Name: "Carl", Mailbox: "carl", Host: "example.com"}}},
			BodyStructure: multi("mixed", single("text", "plain", "", nil), single("application", "zip", "attachment", nil))},
			data.Message{UID: 42, Date: date, SentDate: date.Add(-time.Hour), Size: 1234, Flags: data.Flags{Seen: true},
				Subject: "Hello there", FromName: "Zoë", FromAddr: "zoe@example.org", MessageID: "x@y",
				To: "Ann <ann@example.net>, bob@example.net, Carl <carl@example.com>", HasAttachment: true}},
		{"no envelope", imapclient.FetchMessageBuffer{UID: 1, InternalDate: date}, data.Message{UID: 1, Date: date}},
		{"group syntax", imapclient.FetchMessageBuffer{UID: 2, Envelope: &imap.Envelope{To: []imap.Address{{Mailbox: "undisclosed-recipients"}, {}}}},
			data.Message{UID: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messageOf(&tt.in)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("messageOf =\n%+v, want\n%+v", *got, tt.want)
			}
		})
	}
}
