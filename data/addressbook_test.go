package data

import (
	"context"
	"testing"
)

// TestAddressBookCountsSendersAndSentRecipientsMostUsedFirst reads the addresses of cached
// mail and sent messages from a real database, without the user's own.
func TestAddressBookCountsSendersAndSentRecipientsMostUsedFirst(t *testing.T) {
	s, m, inbox := folderStore(t)
	ctx := context.Background()
	if err := s.SaveFolders(ctx, m.ID, []FolderInfo{
		{Name: "INBOX", Role: RoleInbox, Selectable: true, Delimiter: "/"},
		{Name: "Sent", Role: RoleSent, Selectable: true, Delimiter: "/"},
	}); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Folders(ctx, m.ID)
	var sent *Folder
	for _, f := range fs {
		if f.Role == RoleSent {
			sent = f
		}
	}
	in := []*Message{
		{UID: 1, Date: day0, FromName: "Bob Builder", FromAddr: "bob@example.net", To: "Ann <ann@example.net>"},
		{UID: 2, Date: day0, FromName: "Bob Builder", FromAddr: "bob@example.net", To: "Ann <ann@example.net>"},
		{UID: 3, Date: day0, FromName: "Carol", FromAddr: "Carol@Example.net", To: "ann@example.net"},
	}
	if err := s.StoreMessages(ctx, inbox.ID, in, 3); err != nil {
		t.Fatal(err)
	}
	out := []*Message{
		{UID: 1, Date: day0, FromAddr: "ann@example.net", To: "Dave Dale <dave@example.org>, bob@example.net"},
		{UID: 2, Date: day0, FromAddr: "ann@example.net", To: `"Dale, Dave" <dave@example.org>, bad@@x`},
		{UID: 3, Date: day0, FromAddr: "ann@example.net", To: "dave@example.org"},
	}
	if err := s.StoreMessages(ctx, sent.ID, out, 3); err != nil {
		t.Fatal(err)
	}
	book, err := s.AddressBook(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]AddressUse{}
	for _, u := range book {
		got[u.Address] = u
	}
	if len(book) != 3 || book[0].Address != "bob@example.net" && book[0].Address != "dave@example.org" {
		t.Fatalf("book = %+v", book)
	}
	if got["bob@example.net"].Uses != 3 || got["bob@example.net"].Name != "Bob Builder" {
		t.Errorf("bob = %+v", got["bob@example.net"])
	}
	if got["dave@example.org"].Uses != 3 || got["carol@example.net"].Uses != 1 {
		t.Errorf("dave = %+v, carol = %+v", got["dave@example.org"], got["carol@example.net"])
	}
	if _, ok := got["ann@example.net"]; ok {
		t.Error("the user's own address is offered")
	}
	if top, _ := s.AddressBook(ctx, 1); len(top) != 1 || top[0].Uses != 3 {
		t.Errorf("limit 1 = %+v", top)
	}
}
