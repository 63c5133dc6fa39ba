package data

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestQueryMessagesAcrossFolders(t *testing.T) {
	s, box, inbox := folderStore(t)
	ctx := context.Background()
	folders, _ := s.Folders(ctx, box.ID)
	trash := folders[1]
	s.now = func() time.Time { return day0.Add(30 * 24 * time.Hour) }
	msgs := []*Message{
		{UID: 1, Date: day0.Add(9 * time.Hour), SentDate: day0, Subject: "written first, arrived last"},
		{UID: 2, Date: day0.Add(time.Hour), Subject: "no Date header"},
		{UID: 3, Date: day0.Add(2 * time.Hour), SentDate: day0.AddDate(80, 0, 0), Subject: "dated in the future"},
		{UID: 4, Date: day0.Add(3 * time.Hour), SentDate: day0.Add(3 * time.Hour), Subject: "deleted", Flags: Flags{Deleted: true}},
	}
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreMessages(ctx, trash.ID, []*Message{{UID: 1, Date: day0.Add(5 * time.Hour), SentDate: day0.Add(4 * time.Hour), Subject: "in trash"}}, 1); err != nil {
		t.Fatal(err)
	}
	query := func(q MessageQuery) []string {
		t.Helper()
		list, err := s.QueryMessages(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			out = append(out, m.Folder+": "+m.Subject)
			if m.Mailbox != box.Address {
				t.Errorf("mailbox %q", m.Mailbox)
			}
		}
		return out
	}
	all := query(MessageQuery{})
	if want := []string{"Trash: in trash", "INBOX: dated in the future", "INBOX: no Date header", "INBOX: written first, arrived last"}; !reflect.DeepEqual(all, want) {
		t.Errorf("order %q, want %q", all, want)
	}
	if got := query(MessageQuery{Folder: "inbox", Limit: 1}); !reflect.DeepEqual(got, []string{"INBOX: dated in the future"}) {
		t.Errorf("INBOX, limit 1: %q", got)
	}
	if got := query(MessageQuery{MailboxID: box.ID, Search: "ARRIVED"}); !reflect.DeepEqual(got, []string{"INBOX: written first, arrived last"}) {
		t.Errorf("search: %q", got)
	}
	if got := query(MessageQuery{Search: "--"}); got != nil {
		t.Errorf("a search without words found %q", got)
	}
	if got := query(MessageQuery{MailboxID: box.ID + 1}); got != nil {
		t.Errorf("another mailbox id: %q", got)
	}
	// Another user of the same database sees none of ann's messages.
	bob := openStore(t, s.path, "bob")
	if list, err := bob.QueryMessages(ctx, MessageQuery{}); err != nil || len(list) != 0 {
		t.Errorf("bob sees %d of ann's messages, %v", len(list), err)
	}
	id := mustID(t, s, inbox.ID, 1)
	if cached, _, err := s.MessageBodyState(ctx, id); cached || err != nil {
		t.Errorf("no body: cached %v, %v", cached, err)
	}
	s.SaveMessageBody(ctx, id, []byte("x"), true, "")
	if cached, truncated, err := s.MessageBodyState(ctx, id); !cached || !truncated || err != nil {
		t.Errorf("cut body: %v %v %v", cached, truncated, err)
	}
}
