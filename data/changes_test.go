package data

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// nextChange waits (generously: machines are noisy) for the next Change on ch.
func nextChange(t *testing.T, ch <-chan Change) Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("no change was announced")
	}
	return Change{}
}

// waitFor reads changes from ch until one satisfies ok.
func waitFor(t *testing.T, ch <-chan Change, ok func(Change) bool) Change {
	t.Helper()
	for {
		if c := nextChange(t, ch); ok(c) {
			return c
		}
	}
}

// A commit is announced to those who follow its kind, with the folder of the messages it
// changed, and only to them.
func TestChangesAnnounceTheKindAfterCommit(t *testing.T) {
	s, m, inbox := folderStore(t)
	ctx := context.Background()
	msgs, stopMsgs := s.Changes(KindMessages)
	defer stopMsgs()
	boxes, stopBoxes := s.Changes(KindMailboxes)
	defer stopBoxes()

	if err := s.StoreMessages(ctx, inbox.ID, testMessages(3), 3); err != nil {
		t.Fatal(err)
	}
	c := nextChange(t, msgs)
	if !c.Folder(inbox.ID) || c.Has(KindMailboxes) || c.External {
		t.Errorf("after StoreMessages: %+v", c)
	}
	if ids, known := c.Folders(); !known || len(ids) != 1 || ids[0] != inbox.ID {
		t.Errorf("Folders() = %v, %v", ids, known)
	}
	if c.Folder(inbox.ID + 1) {
		t.Error("another folder's messages counted as changed")
	}

	if err := s.SetMailboxState(ctx, m.ID, MailboxError, "down"); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, boxes); !c.Has(KindMailboxes) || c.Has(KindMessages) {
		t.Errorf("after SetMailboxState: %+v", c)
	}

	page, err := s.MessagePage(ctx, inbox.ID, Cursor{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFlags(ctx, page[0].ID, Flags{Seen: true}); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, msgs); !c.Folder(inbox.ID) {
		t.Errorf("after SetFlags: %+v", c)
	}
	select {
	case c := <-boxes:
		t.Errorf("the mailboxes' subscriber was told of messages: %+v", c)
	default:
	}
}

// A burst of commits reaches a subscriber that was busy as one Change naming them all.
func TestChangesCoalesceBursts(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	ch, stop := s.Changes(KindAll)
	defer stop()
	all := testMessages(50)
	for i := 0; i < 50; i += 5 {
		if err := s.StoreMessages(ctx, inbox.ID, all[i:i+5], uint32(i+5)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveDraft(ctx, &Draft{Composition: Composition{Subject: "hi"}}); err != nil {
		t.Fatal(err)
	}
	// Nobody read while the eleven commits went in: at most the first came on its own.
	got := 0
	var merged Change
	for !merged.Has(KindDrafts) {
		merged = merged.merge(nextChange(t, ch))
		got++
	}
	if got > 2 || !merged.Folder(inbox.ID) {
		t.Errorf("%d changes for a burst of 11 commits; merged %+v", got, merged)
	}
}

// What another Store (another Mailroom process) commits on the same file is noticed, and
// marked as external; this store's own commits never are.
func TestChangesNoticeAnotherStoreOnTheSameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	a := openStore(t, path, "ann")
	ch, stop := a.Changes(KindMailboxes | KindUsers)
	defer stop()
	ctx := context.Background()

	p := mustSave(t, a, testProvider("Corp", "corp.example"))
	own := &Mailbox{Address: "ann@corp.example", ProviderID: p.ID, Login: "ann"}
	if err := a.SaveMailbox(ctx, own); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.External || !c.Has(KindMailboxes) {
		t.Errorf("own commit: %+v", c)
	}

	other := openStore(t, path, "ann") // the command line adding a mailbox while the window is open
	if err := other.SaveMailbox(ctx, &Mailbox{Address: "ann.two@corp.example", ProviderID: p.ID, Login: "ann.two"}); err != nil {
		t.Fatal(err)
	}
	c := waitFor(t, ch, func(c Change) bool { return c.External })
	if !c.Has(KindMailboxes) || !c.Has(KindUsers) {
		t.Errorf("external change: %+v", c)
	}
	boxes, err := a.Mailboxes(ctx)
	if err != nil || len(boxes) != 2 {
		t.Errorf("after the change was announced: %d mailboxes, %v", len(boxes), err)
	}

	// Own commits after that are again told as this store's.
	if err := a.SetDefaultMailbox(ctx, own.ID); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.External {
		t.Errorf("own commit after an external one: %+v", c)
	}
}

// Ending a subscription, or closing the store, closes its channel.
func TestChangesEndWithTheSubscriptionAndTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	ch, stop := s.Changes(KindAll)
	stop()
	stop() // twice is harmless
	for range ch {
	}
	ch2, stop2 := s.Changes(KindAll)
	s.Close()
	for range ch2 {
	}
	stop2()                          // after Close: harmless
	ch3, stop3 := s.Changes(KindAll) // after Close: ends at once
	defer stop3()
	for range ch3 {
	}
}
