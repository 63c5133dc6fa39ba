package gui

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"mailroom/internal/testenv"
)

// "Keep messages on this computer" is on for a new mailbox, and unticking it in the mailbox
// window is saved with the mailbox and shown the next time the window opens.
func TestKeepMessagesBoxAgainstDovecot(t *testing.T) {
	srv := testenv.Load(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	u := newTestUI(t, s)
	ctx := context.Background()

	w := openMailboxUI(u, nil)
	u.jobs.Wait()
	act(u, func() {
		if !w.keep.Checked {
			t.Error("Keep messages on this computer is off for a new mailbox")
		}
		w.address.SetText("ann@example.test")
	})
	u.jobs.Wait() // the provider lookup, off the UI goroutine
	act(u, func() {
		test.Type(w.password, srv.Users["ann@example.test"])
		test.Tap(w.save)
	})
	u.jobs.Wait()
	act(u, func() { test.Tap(w.trust) })
	u.jobs.Wait()
	list, _ := s.Mailboxes(ctx)
	if len(list) != 1 {
		t.Fatalf("not saved: %q", w.result.Text)
	}
	saved := list[0]
	if keep, err := s.KeepMessages(ctx, saved.ID); err != nil || !keep {
		t.Errorf("saved keep = %v, %v; want on", keep, err)
	}

	e := openMailboxUI(u, saved)
	u.jobs.Wait()
	act(u, func() {
		if !e.keep.Checked {
			t.Error("the edit window shows keep off")
		}
		test.Tap(e.keep)
		test.Tap(e.save)
	})
	u.jobs.Wait()
	if keep, err := s.KeepMessages(ctx, saved.ID); err != nil || keep {
		t.Errorf("after unticking: keep = %v, %v (%q); want off", keep, err, e.result.Text)
	}
	again := openMailboxUI(u, saved)
	u.jobs.Wait()
	act(u, func() {
		if again.keep.Checked {
			t.Error("the window opened again shows keep on")
		}
	})
}
