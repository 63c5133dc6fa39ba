package data

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// folderStore returns a store with one mailbox of "ann" and its folders INBOX and Trash.
func folderStore(t *testing.T) (*Store, *Mailbox, *Folder) {
	t.Helper()
	s, pid := mailboxStore(t)
	m := saveMailbox(t, s, &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann"})
	ctx := context.Background()
	err := s.SaveFolders(ctx, m.ID, []FolderInfo{
		{Name: "INBOX", Role: RoleInbox, Selectable: true, Delimiter: "/"},
		{Name: "Trash", Role: RoleTrash, Selectable: true, Delimiter: "/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil || len(fs) != 2 || fs[0].Name != "INBOX" {
		t.Fatalf("Folders = %v, %v", fs, err)
	}
	return s, m, fs[0]
}

var day0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// testMessages returns n messages with UIDs 1..n, two per minute, so that dates repeat.
func testMessages(n int) []*Message {
	out := make([]*Message, n)
	for i := range out {
		uid := uint32(i + 1)
		out[i] = &Message{UID: uid, Date: day0.Add(time.Duration(i/2) * time.Minute), Size: int64(100 + i),
			Subject: fmt.Sprintf("Message %d", uid), FromName: "Bob", FromAddr: "bob@example.net",
			To: "Ann <ann@example.net>", Flags: Flags{Seen: i%3 == 0, Keywords: []string{"$Label1"}}}
	}
	return out
}

func uids(ms []*Message) []uint32 {
	out := make([]uint32, len(ms))
	for i, m := range ms {
		out[i] = m.UID
	}
	return out
}

func TestMessagePagesWalkTheWholeFolderNewestFirst(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	if err := s.StoreMessages(ctx, inbox.ID, testMessages(25), 25); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 7, 25, 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var got []uint32
			var cur Cursor
			for {
				page, err := s.MessagePage(ctx, inbox.ID, cur, size)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, uids(page)...)
				if len(page) < size {
					break
				}
				cur = page[len(page)-1].Cursor()
			}
			want := make([]uint32, 25)
			for i := range want {
				want[i] = uint32(25 - i)
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages of %d give %v", size, got)
			}
		})
	}
}

func TestStoreMessagesRecordsProgressAndReadsBack(t *testing.T) {
	s, m, inbox := folderStore(t)
	ctx := context.Background()
	msgs := testMessages(3)
	msgs[1].SentDate = day0.Add(-time.Hour)
	msgs[1].HasAttachment = true
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 3); err != nil {
		t.Fatal(err)
	}
	// Stored again (an interrupted sync repeats a batch): flags change, nothing doubles.
	msgs[1].Flags = Flags{Flagged: true, Answered: true}
	if err := s.StoreMessages(ctx, inbox.ID, msgs[1:2], 2); err != nil {
		t.Fatal(err)
	}
	f, err := s.Folder(ctx, inbox.ID)
	if err != nil || f.FetchedUID != 3 || f.Total != 3 || f.Unread != 2 || f.MailboxID != m.ID {
		t.Fatalf("Folder = %+v, %v", f, err)
	}
	page, err := s.MessagePage(ctx, inbox.ID, Cursor{}, 10)
	if err != nil || len(page) != 3 {
		t.Fatalf("page = %v, %v", page, err)
	}
	got := page[2] // its Date header is older than the other two messages
	if got.UID != 2 || !got.SentDate.Equal(msgs[1].SentDate) || !got.Date.Equal(msgs[1].Date) || !got.HasAttachment ||
		got.Flags.Seen || !got.Flags.Flagged || !got.Flags.Answered || got.From() != "Bob" || got.To != "Ann <ann@example.net>" {
		t.Errorf("message 2 = %+v", got)
	}
	one, err := s.Message(ctx, got.ID)
	if err != nil || one.Subject != "Message 2" {
		t.Errorf("Message = %+v, %v", one, err)
	}
}

func TestFlagsExpungesAndReset(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	if err := s.StoreMessages(ctx, inbox.ID, testMessages(5), 5); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFlags(ctx, inbox.ID, []FlagUpdate{{UID: 2, Flags: Flags{Seen: true}}, {UID: 99, Flags: Flags{}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMessages(ctx, inbox.ID, []uint32{1, 4}); err != nil {
		t.Fatal(err)
	}
	got, err := s.MessageUIDs(ctx, inbox.ID)
	if err != nil || !slices.Equal(got, []uint32{2, 3, 5}) {
		t.Fatalf("UIDs = %v, %v", got, err)
	}
	page, _ := s.MessagePage(ctx, inbox.ID, Cursor{}, 0)
	if page[2].UID != 2 || !page[2].Flags.Seen || len(page[2].Flags.Keywords) != 0 {
		t.Errorf("message 2 = %+v", page[2])
	}
	// Marked deleted: gone from the list at once, still stored.
	if err := s.SetFlags(ctx, page[0].ID, Flags{Deleted: true}); err != nil {
		t.Fatal(err)
	}
	if page, _ := s.MessagePage(ctx, inbox.ID, Cursor{}, 0); len(page) != 2 {
		t.Errorf("a deleted message is listed: %v", uids(page))
	}
	if err := s.SetFlags(ctx, 12345, Flags{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetFlags of a missing message = %v", err)
	}
	if err := s.ResetFolder(ctx, inbox.ID, 777); err != nil {
		t.Fatal(err)
	}
	f, _ := s.Folder(ctx, inbox.ID)
	if f.UIDValidity != 777 || f.FetchedUID != 0 || f.Total != 0 {
		t.Errorf("after reset %+v", f)
	}
	if hits, _ := s.SearchMessages(ctx, inbox.ID, "message", Cursor{}, 10); len(hits) != 0 {
		t.Errorf("the index still finds %v", uids(hits))
	}
}

func TestSaveFoldersKeepsStateAndDropsUnlisted(t *testing.T) {
	s, m, inbox := folderStore(t)
	ctx := context.Background()
	if err := s.StoreMessages(ctx, inbox.ID, testMessages(2), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFolderSynced(ctx, inbox.ID, 3, 42); err != nil {
		t.Fatal(err)
	}
	err := s.SaveFolders(ctx, m.ID, []FolderInfo{
		{Name: "INBOX", Role: RoleInbox, Selectable: true},
		{Name: "Archive/2024", Role: RoleArchive, Selectable: true},
		{Name: "Archive", Selectable: false},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"INBOX", "Archive/2024", "Archive"}) {
		t.Errorf("folders %v", names)
	}
	if fs[0].UIDNext != 3 || fs[0].HighestModSeq != 42 || fs[0].Total != 2 || fs[0].SyncedAt.IsZero() {
		t.Errorf("INBOX lost its state: %+v", fs[0])
	}
	if fs[2].Selectable {
		t.Error("Archive is selectable")
	}
	if err := s.SaveFolders(ctx, 999, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("SaveFolders of a missing mailbox = %v", err)
	}
	// Another user sees nothing of ann's.
	bob := openStore(t, s.Path(), "bob")
	if fs, _ := bob.Folders(ctx, m.ID); len(fs) != 0 {
		t.Errorf("bob sees %d folders", len(fs))
	}
	if page, _ := bob.MessagePage(ctx, inbox.ID, Cursor{}, 10); len(page) != 0 {
		t.Errorf("bob sees %d messages", len(page))
	}
}

func TestSearchMessages(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	msgs := testMessages(4)
	msgs[0].Subject, msgs[1].Subject = "Café au lait", "Quarterly report"
	msgs[2].FromName, msgs[2].FromAddr = "Zoë Müller", "zoe@example.org"
	msgs[3].To = "Accounting <books@example.com>"
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMessageBody(ctx, mustID(t, s, inbox.ID, 2), []byte("raw"), false, "The invoice is attached"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []uint32
	}{
		{"cafe", []uint32{1}},
		{"CAFÉ", []uint32{1}},
		{"quart", []uint32{2}},
		{"invoice", []uint32{2}},
		{"report invoice", []uint32{2}},
		{"report nothing", nil},
		{"muller", []uint32{3}},
		{"example.org", []uint32{3}},
		{"books", []uint32{4}},
		{"message", []uint32{4, 3}},
		{`"AND" OR NOT (* ^`, nil},
		{"  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := s.SearchMessages(ctx, inbox.ID, tt.query, Cursor{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(uids(got), tt.want) {
				t.Errorf("found %v, want %v", uids(got), tt.want)
			}
		})
	}
	raw, truncated, err := s.MessageBody(ctx, mustID(t, s, inbox.ID, 2))
	if string(raw) != "raw" || truncated || err != nil {
		t.Errorf("MessageBody = %q, %v, %v", raw, truncated, err)
	}
	if _, _, err := s.MessageBody(ctx, mustID(t, s, inbox.ID, 1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("MessageBody of an unfetched body = %v", err)
	}
}

func TestMatchExpression(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", `"hello*"`},
		{"hello world", `"hello*" "world*"`},
		{`a"b OR c*`, `"a*" "b*" "OR*" "c*"`},
		{"ann@example.net", `"ann*" "example*" "net*"`},
		{"!!", ""},
	}
	for _, tt := range tests {
		if got := MatchExpression(tt.in); got != tt.want {
			t.Errorf("MatchExpression(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func mustID(t *testing.T, s *Store, folderID int64, uid uint32) int64 {
	t.Helper()
	page, err := s.MessagePage(context.Background(), folderID, Cursor{}, MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page {
		if m.UID == uid {
			return m.ID
		}
	}
	t.Fatalf("no message %d", uid)
	return 0
}

// TestSearchPagesMatchEveryDensity pages through searches of words as common as every
// message and as rare as none, in a folder whose dates do not follow the order messages were
// stored in, with some marked deleted and the same words in another folder: each walk must
// list exactly the matching messages, newest first, once each.
func TestSearchPagesMatchEveryDensity(t *testing.T) {
	s, m, inbox := folderStore(t)
	ctx := context.Background()
	fs, _ := s.Folders(ctx, m.ID)
	trash := fs[1]
	const n = 600
	msgs := make([]*Message, n)
	for i := range msgs {
		uid := uint32(i + 1)
		// Dates jump back and forth against the UIDs, and pairs share a date.
		minute := (i * 7919) % n / 2
		subject := "common"
		if i%10 == 0 {
			subject += " tenth"
		}
		if i%97 == 0 {
			subject += " rare"
		}
		msgs[i] = &Message{UID: uid, Date: day0.Add(time.Duration(minute) * time.Minute), Subject: subject,
			Flags: Flags{Deleted: i%13 == 0}}
	}
	if err := s.StoreMessages(ctx, inbox.ID, msgs, n); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreMessages(ctx, trash.ID, testMessagesWithSubject(50, "common tenth rare"), 50); err != nil {
		t.Fatal(err)
	}
	want := func(word string) []uint32 {
		var match []*Message
		for _, m := range msgs {
			if !m.Flags.Deleted && strings.Contains(m.Subject, word) {
				match = append(match, m)
			}
		}
		slices.SortFunc(match, func(a, b *Message) int {
			if c := b.Date.Compare(a.Date); c != 0 {
				return c
			}
			return cmp.Compare(b.UID, a.UID)
		})
		return uids(match)
	}
	tests := []struct {
		word  string
		limit int
	}{
		{"common", 7}, {"common", 100}, {"common", 1000},
		{"tenth", 3}, {"tenth", 50},
		{"rare", 1}, {"rare", 4},
		{"absent", 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s by %d", tt.word, tt.limit), func(t *testing.T) {
			var got []uint32
			for cur := (Cursor{}); ; {
				page, err := s.SearchMessages(ctx, inbox.ID, tt.word, cur, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > tt.limit {
					t.Fatalf("page of %d rows, limit %d", len(page), tt.limit)
				}
				got = append(got, uids(page)...)
				if len(page) < tt.limit {
					break
				}
				cur = page[len(page)-1].Cursor()
			}
			if w := want(tt.word); !slices.Equal(got, w) {
				t.Errorf("found %d: %v\nwant %d: %v", len(got), got, len(w), w)
			}
		})
	}
}

func testMessagesWithSubject(n int, subject string) []*Message {
	out := testMessages(n)
	for _, m := range out {
		m.Subject = subject
	}
	return out
}
