package data

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A second store on the same file (as another process) waits for a held lease, takes it as
// soon as it is released, and takes over one whose holder stopped renewing it.
func TestFolderLeaseWaitsThenTakesOverWhenReleasedOrExpired(t *testing.T) {
	a, _, inbox := folderStore(t)
	b := openStore(t, a.Path(), "ann")
	b.ttl = 30 * time.Millisecond // renewed every 10 ms, so that losing it shows at once
	ctx := context.Background()

	held, err := a.AcquireFolderLease(ctx, inbox.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// b waits: it is told who holds the folder, and gives up only when cancelled.
	waitCtx, cancel := context.WithCancel(ctx)
	var owner string
	_, err = b.AcquireFolderLease(waitCtx, inbox.ID, func(o string) { owner = o; cancel() })
	if !errors.Is(err, context.Canceled) || !strings.Contains(owner, "process") {
		t.Fatalf("second acquire while held: %v, told %q; want it to wait and be cancelled", err, owner)
	}

	// Released: b waits until then, and gets it.
	got := make(chan *FolderLease)
	go func() {
		l, err := b.AcquireFolderLease(ctx, inbox.ID, func(string) {
			if err := held.Release(); err != nil {
				t.Error(err)
			}
		})
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	second := <-got
	if second == nil {
		t.Fatal("no lease after release")
	}

	// Expired: a store whose clock is past the lease's end (the holder was killed and never
	// renewed) takes it, and the old holder learns that it lost it when it next renews.
	c := openStore(t, a.Path(), "ann")
	c.now = func() time.Time { return time.Now().Add(LeaseTTL + time.Minute) }
	third, err := c.AcquireFolderLease(ctx, inbox.ID, func(o string) { t.Errorf("waited for %s's expired lease", o) })
	if err != nil {
		t.Fatal(err)
	}
	<-second.Context().Done()
	if !second.Lost() || !errors.Is(context.Cause(second.Context()), ErrLeaseLost) {
		t.Errorf("the old holder's context ended with %v, want ErrLeaseLost", context.Cause(second.Context()))
	}
	if err := second.Release(); err != nil {
		t.Errorf("releasing a lost lease: %v", err)
	}
	// The lost holder's release left the new holder's lease alone.
	if owner, err := b.tryLease(ctx, inbox.ID, "someone else"); err != nil || owner == "" {
		t.Errorf("the old holder's release freed the new holder's lease (%q, %v)", owner, err)
	}
	third.Release()
}
