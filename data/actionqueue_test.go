package data

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestUIDSetTextRoundTrips(t *testing.T) {
	tests := []struct {
		uids []uint32
		text string
	}{
		{nil, ""},
		{[]uint32{7}, "7"},
		{[]uint32{1, 2, 3, 7, 9, 10}, "1:3,7,9:10"},
	}
	for _, tt := range tests {
		if got := UIDSetText(tt.uids); got != tt.text {
			t.Errorf("UIDSetText(%v) = %q, want %q", tt.uids, got, tt.text)
		}
		var back []uint32
		for _, r := range UIDRanges(tt.text) {
			for u := r[0]; u <= r[1]; u++ {
				back = append(back, u)
			}
		}
		if !reflect.DeepEqual(back, tt.uids) {
			t.Errorf("UIDRanges(%q) = %v", tt.text, back)
		}
	}
	if got := UIDRanges("5:3,x,8"); !reflect.DeepEqual(got, [][2]uint32{{3, 5}, {8, 8}}) {
		t.Errorf("UIDRanges of a reversed range and junk = %v", got)
	}
}

// queueEnv is a store with one mailbox, an Inbox of three messages and a Trash.
func queueEnv(t *testing.T) (*Store, int64, *Folder, *Folder, []*Message) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "m.db"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	p := NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Q", "imap.example.test", "smtp.example.test"
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	m := &Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFolders(ctx, m.ID, []FolderInfo{{Name: "INBOX", Role: RoleInbox, Selectable: true}, {Name: "Trash", Role: RoleTrash, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Folders(ctx, m.ID)
	inbox, trash := fs[0], fs[1]
	for _, f := range fs {
		if err := s.ResetFolder(ctx, f.ID, 42); err != nil {
			t.Fatal(err)
		}
	}
	var msgs []*Message
	for uid := uint32(1); uid <= 3; uid++ {
		msgs = append(msgs, &Message{UID: uid, Date: time.Unix(int64(uid)*1000, 0), Subject: "m"})
	}
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 3); err != nil {
		t.Fatal(err)
	}
	page, _ := s.MessagePage(ctx, inbox.ID, Cursor{}, 10)
	return s, m.ID, inbox, trash, page
}

// A queued action shows in the cache at once; a failed one is put back; a claim that runs
// out (its process was killed) makes the action claimable again; a done delete moves the
// row to Trash and is kept for Undo.
func TestActionQueueShowsClaimsAndSettles(t *testing.T) {
	s, box, inbox, trash, page := queueEnv(t)
	ctx := context.Background()
	flag := &Action{MessageID: page[0].ID, Kind: ActionFlagged, Value: true}
	if err := s.QueueAction(ctx, flag); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(ctx, page[0].ID); !m.Flags.Flagged || flag.UIDValidity != 42 || flag.UIDs != "3" || flag.MailboxID != box {
		t.Fatalf("queued %+v, cached %+v", flag, m.Flags)
	}
	del := &Action{MessageID: page[1].ID, Kind: ActionMove, TargetID: trash.ID, IsDelete: true}
	if err := s.QueueAction(ctx, del); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.MessagePage(ctx, inbox.ID, Cursor{}, 10); len(list) != 2 {
		t.Errorf("the deleted message is still listed: %d", len(list))
	}

	s.now = func() time.Time { return time.Now().Add(-time.Hour) } // a claim long run out
	a, err := s.ClaimAction(ctx, box, time.Minute)
	s.now = time.Now
	if err != nil || a.ID != flag.ID {
		t.Fatalf("claimed %+v, %v", a, err)
	}
	if a, err = s.ClaimAction(ctx, box, time.Minute); err != nil || a.ID != flag.ID {
		t.Fatalf("an expired claim was not taken again: %+v, %v", a, err)
	}
	if _, err := s.ClaimAction(ctx, box, time.Minute); !errors.Is(err, ErrActionBusy) {
		t.Fatalf("the delete after a claimed flag: %v, want ErrActionBusy", err)
	}
	if a, err := s.FailAction(ctx, flag.ID, "refused"); err != nil || a == nil {
		t.Fatal(a, err)
	}
	if m, _ := s.Message(ctx, page[0].ID); m.Flags.Flagged {
		t.Error("a failed flag stayed in the cache")
	}

	if a, err = s.ClaimAction(ctx, box, time.Minute); err != nil || a.ID != del.ID {
		t.Fatalf("claimed %+v, %v", a, err)
	}
	if ok, _ := s.CancelAction(ctx, del.ID); ok {
		t.Error("a delete being applied was cancelled")
	}
	if err := s.CompleteAction(ctx, del.ID, 42, 17); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Message(ctx, page[1].ID); err != nil || m.FolderID != trash.ID || m.UID != 17 || m.Flags.Deleted {
		t.Fatalf("the deleted row: %+v, %v", m, err)
	}
	if last, err := s.LastDelete(ctx, page[1].ID); err != nil || last.State != ActionDone || last.DestUID != 17 {
		t.Fatalf("last delete %+v, %v", last, err)
	}
	if _, err := s.ClaimAction(ctx, box, time.Minute); !errors.Is(err, ErrNotFound) {
		t.Errorf("claim of an empty queue: %v", err)
	}

	seen, err := s.QueueFolderSeen(ctx, inbox.ID)
	if err != nil || seen == nil || seen.UIDs != "1,3" {
		t.Fatalf("mark all read queued %+v, %v", seen, err)
	}
	if f, _ := s.Folder(ctx, inbox.ID); f.Unread != 0 {
		t.Errorf("%d unread after mark all read", f.Unread)
	}
	if ok, err := s.CancelAction(ctx, seen.ID); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if f, _ := s.Folder(ctx, inbox.ID); f.Unread != 2 {
		t.Errorf("%d unread after taking it back, want 2", f.Unread)
	}
}

// A sync that reports the server's flags before a queued change reached it leaves the
// change in the cache, and a queued delete stays out of the list.
func TestSyncKeepsQueuedChanges(t *testing.T) {
	s, _, inbox, trash, page := queueEnv(t)
	ctx := context.Background()
	if err := s.QueueAction(ctx, &Action{MessageID: page[0].ID, Kind: ActionSeen, Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueAction(ctx, &Action{MessageID: page[1].ID, Kind: ActionMove, TargetID: trash.ID, IsDelete: true}); err != nil {
		t.Fatal(err)
	}
	old := []FlagUpdate{{UID: page[0].UID}, {UID: page[1].UID}, {UID: page[2].UID, Flags: Flags{Flagged: true}}}
	if err := s.UpdateFlags(ctx, inbox.ID, old); err != nil {
		t.Fatal(err)
	}
	again := []*Message{{UID: page[0].UID, Date: page[0].Date}, {UID: page[1].UID, Date: page[1].Date}}
	if err := s.StoreMessages(ctx, inbox.ID, again, 3); err != nil {
		t.Fatal(err)
	}
	list, _ := s.MessagePage(ctx, inbox.ID, Cursor{}, 10)
	if len(list) != 2 || !list[0].Flags.Seen || !list[1].Flags.Flagged {
		t.Fatalf("after the sync: %+v / %+v", list[0].Flags, list[len(list)-1].Flags)
	}
}
