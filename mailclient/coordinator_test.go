package mailclient

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"mailroom/data"
)

func TestCappedBackoff(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute}, {5, 5 * time.Minute}, {50, 5 * time.Minute}} {
		if got := CappedBackoff(30*time.Second, 5*time.Minute, tt.failures); got != tt.want {
			t.Errorf("CappedBackoff(30s, 5m, %d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

// events records what a coordinator tells.
type events struct {
	mu   sync.Mutex
	all  []SyncEvent
	note chan SyncEvent
}

func listen(c *Coordinator) *events {
	e := &events{note: make(chan SyncEvent, 1000)}
	c.Listen(func(ev SyncEvent) {
		e.mu.Lock()
		e.all = append(e.all, ev)
		e.mu.Unlock()
		e.note <- ev
	})
	return e
}

// await returns the next event that satisfies ok, waiting generously.
func (e *events) await(t *testing.T, what string, ok func(SyncEvent) bool) SyncEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-e.note:
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event: %s", what)
		}
	}
}

func (e *events) count(kind EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func is(kind EventKind) func(SyncEvent) bool { return func(e SyncEvent) bool { return e.Kind == kind } }

// A second request for a sync that is under way joins it: one sync runs, both get its result.
func TestCoordinatorJoinsARequestedSync(t *testing.T) {
	srv := newMemIMAP(t)
	store, secrets, box := mailboxOn(t, srv.addr, srv.cert)
	ctx := context.Background()
	c := NewCoordinator(store, secrets, CoordinatorOptions{})
	if _, err := c.Sync(ctx, box, ""); err != nil {
		t.Fatal(err)
	}
	inbox := inboxOf(t, store, box)
	// Another Mailroom (another Store on the file) syncs the Inbox: this one's sync waits.
	other, err := data.Open(store.Path(), "ann")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lease, err := other.AcquireFolderLease(ctx, inbox.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "Hello")
	ev := listen(c)
	type result struct {
		sums []FolderSummary
		err  error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() { s, err := c.Sync(ctx, box, ""); first <- result{s, err} }()
	ev.await(t, "the sync waits for the other Mailroom", is(SyncWaiting))
	joined := c.request(box, "", true)
	go func() { <-joined.done; second <- result{joined.sums, joined.err} }()
	if err := lease.Release(); err != nil {
		t.Fatal(err)
	}
	a, b := <-first, <-second
	if a.err != nil || b.err != nil {
		t.Fatalf("syncs: %v, %v", a.err, b.err)
	}
	if len(a.sums) == 0 || len(b.sums) != len(a.sums) || a.sums[0] != b.sums[0] {
		t.Errorf("the two requests got different results: %+v / %+v", a.sums, b.sums)
	}
	if n := ev.count(SyncStarted); n != 1 {
		t.Errorf("%d syncs started for two requests, want 1", n)
	}
	if n := ev.count(MailArrived); n != 1 {
		t.Errorf("%d MailArrived events for one sync, want 1", n)
	}
}

// Run syncs each mailbox once at start, then watches its Inbox: the Inbox is never synced by
// two at once (nothing waits), and new mail is told once, with its count. A mailbox another
// process adds is synced within seconds once it is ready (no longer "new").
func TestCoordinatorRunSyncsOnceThenWatches(t *testing.T) {
	srv := newMemIMAP(t)
	store, secrets, box := mailboxOn(t, srv.addr, srv.cert)
	if err := store.SetMailboxState(context.Background(), box.ID, data.MailboxOK, ""); err != nil { // as SaveNewMailbox leaves it
		t.Fatal(err)
	}
	srv.deliver(t, "Old")
	c := NewCoordinator(store, secrets, CoordinatorOptions{Interval: time.Hour, Watch: true,
		WatchOptions: WatchOptions{Idle: time.Second}})
	ev := listen(c)
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-ended; !errors.Is(err, context.Canceled) {
			t.Errorf("Run ended with %v", err)
		}
	}()
	start := ev.await(t, "the start-up sync ends", is(SyncEnded))
	if start.Err != nil || start.Mailbox.ID != box.ID {
		t.Fatalf("start-up sync: %+v", start)
	}
	srv.deliver(t, "New one")
	srv.deliver(t, "New two")
	got := 0
	for got < 2 {
		n := ev.await(t, "new mail", is(MailArrived)).New
		got += n.Inbox.New
		if len(n.Latest) != n.Inbox.New {
			t.Errorf("MailArrived lists %d of %d new", len(n.Latest), n.Inbox.New)
		}
	}
	if n := ev.count(SyncWaiting); n != 0 {
		t.Errorf("a sync waited for another %d times: the Inbox was synced by two at once", n)
	}
	if n := ev.count(SyncStarted); n != 1 {
		t.Errorf("%d coordinator syncs, want the start-up one", n)
	}

	other, err := data.Open(store.Path(), "ann") // `mailroom mailbox add` meanwhile
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	added := &data.Mailbox{Address: "second@example.test", ProviderID: box.ProviderID, Login: testUser, State: data.MailboxOK}
	if err := other.SaveMailbox(context.Background(), added); err != nil {
		t.Fatal(err)
	}
	ev.await(t, "the added mailbox is synced", func(e SyncEvent) bool { return e.Kind == SyncEnded && e.Mailbox.ID == added.ID })
}

func inboxOf(t *testing.T, store *data.Store, m *data.Mailbox) *data.Folder {
	t.Helper()
	fs, err := store.Folders(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Role == data.RoleInbox || isInbox(f.Name) {
			return f
		}
	}
	t.Fatal("no Inbox")
	return nil
}

// With Bodies, a sync that did not fail is followed by the download of the bodies the
// mailbox keeps on this computer (on by default), so search finds words in every message,
// not only the ones opened; a sync asking for the mailbox's turn meanwhile still runs.
func TestCoordinatorDownloadsKeptBodiesAfterASync(t *testing.T) {
	srv := newMemIMAP(t)
	store, secrets, box := mailboxOn(t, srv.addr, srv.cert)
	ctx := context.Background()
	for _, s := range []string{"First", "Second", "Third"} {
		srv.deliver(t, s)
	}
	c := NewCoordinator(store, secrets, CoordinatorOptions{Bodies: true})
	defer c.Stop()
	if _, err := c.Sync(ctx, box, ""); err != nil {
		t.Fatal(err)
	}
	inbox := inboxOf(t, store, box)
	cachedAll := func() bool {
		page, err := store.MessagePage(ctx, inbox.ID, data.Cursor{}, 10)
		if err != nil || len(page) != 3 {
			t.Fatalf("the Inbox: %d messages, %v", len(page), err)
		}
		for _, m := range page {
			if cached, _, err := store.MessageBodyState(ctx, m.ID); err != nil || !cached {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !cachedAll(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bodies were never downloaded after the sync")
		}
	}
	srv.deliver(t, "Fourth")
	if _, err := c.Sync(ctx, box, ""); err != nil { // takes the turn from a download, if one runs
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		page, err := store.MessagePage(ctx, inbox.ID, data.Cursor{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range page {
			if cached, _, _ := store.MessageBodyState(ctx, m.ID); cached {
				n++
			}
		}
		if len(page) == 4 && n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the second sync %d messages, %d bodies cached", len(page), n)
		}
	}
}
