package mailclient

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"mailroom/data"
)

// CoordinatorStore is what the coordinator needs of the database; *data.Store has it.
// Errors are those documented on data.Store.
type CoordinatorStore interface {
	WatchStore
	BodyStore
	Mailboxes(ctx context.Context) ([]*data.Mailbox, error)
	Mailbox(ctx context.Context, id int64) (*data.Mailbox, error)
	Changes(kinds data.Kind) (<-chan data.Change, func())
}

// EventKind says what a SyncEvent tells.
type EventKind int

// The kinds of SyncEvent.
const (
	SyncStarted  EventKind = iota // a sync of Mailbox began; Folder "" is every folder
	SyncProgress                  // Folder: Done of Total new messages stored
	SyncWaiting                   // Folder is being synced by another Mailroom, Owner; this one waits
	SyncEnded                     // Err nil: done; errors.Is context.Canceled: cancelled; else failed
	MailArrived                   // a sync brought new Inbox mail: New (one event per sync, never per batch)
	WatchFailed                   // the Inbox watcher (IDLE) of Mailbox failed with Err and tries again in RetryIn
	WatchStopped                  // the Inbox watcher ended for good with Err (ErrNoIdle: the schedule polls instead)
)

// SyncEvent is what the coordinator tells its listeners (the window, the command line).
type SyncEvent struct {
	Kind        EventKind
	Mailbox     *data.Mailbox
	Folder      string
	Done, Total int
	Owner       string
	Err         error
	RetryIn     time.Duration
	Summaries   []FolderSummary // SyncEnded: what each folder's sync did
	New         NewMail         // MailArrived
}

// CoordinatorOptions tune a Coordinator.
type CoordinatorOptions struct {
	// Interval is how often every mailbox is synced while Run runs; 0 syncs only on request
	// (and a mailbox once when it is added). SetInterval changes it.
	Interval time.Duration
	// Watch keeps an IDLE watcher on each Inbox while Run runs, so new mail shows as it comes.
	Watch bool
	// RetryFirst is the wait before the next scheduled sync after a failed one; it doubles
	// with each failure in a row, up to Interval. 0 for 30 seconds.
	RetryFirst time.Duration
	// WatchOptions are passed on to WatchInbox (its callbacks are the coordinator's).
	WatchOptions WatchOptions
	// Bodies downloads, after each sync of a mailbox that did not fail, the bodies of the
	// messages it keeps on this computer (DownloadBodies) in the mailbox's turn; a sync of
	// that mailbox asking for the turn stops the download, which goes on after it.
	Bodies bool
	// Mail, when not nil, is the process's Mail: the body downloads go through its mailbox
	// workers' connections instead of connections of their own.
	Mail *Mail
	Log  *slog.Logger // nil for slog.Default()
}

// Coordinator owns every sync of this process: one sync per mailbox at a time (so one per
// folder), a request for a sync that is waiting or running joining it; the schedule and its
// backoff; the IDLE watchers of the Inboxes; and it tells listeners of progress and events.
// Its methods are safe for concurrent use.
type Coordinator struct {
	store   CoordinatorStore
	secrets SecretStore
	opt     CoordinatorOptions
	log     *slog.Logger

	mu        sync.Mutex
	interval  time.Duration
	listeners map[int]func(SyncEvent)
	nextID    int
	queued    map[runKey]*syncRun // requested, waiting for the mailbox's turn
	running   map[runKey]*syncRun
	turns     map[int64]chan struct{} // one token per mailbox: held by the sync under way
	bodies    map[int64]*bodyRun      // mailbox id -> its body download, waiting or under way
	runCtx    context.Context         // every sync's; Cancel ends it and makes another
	cancelAll context.CancelFunc
	failures  int       // scheduled rounds failed in a row
	lastRound time.Time // when the last round of every mailbox ended
	wg        sync.WaitGroup
}

type runKey struct {
	mailbox int64
	folder  string
}

// syncRun is one sync, which every request for it while it waits or runs shares.
type syncRun struct {
	done chan struct{}
	sums []FolderSummary
	err  error
}

// NewCoordinator returns a coordinator of the syncs of store's mailboxes; call Run for the
// schedule and the watchers, or Sync and SyncAll alone (the command line).
func NewCoordinator(store CoordinatorStore, secrets SecretStore, opt CoordinatorOptions) *Coordinator {
	if opt.RetryFirst <= 0 {
		opt.RetryFirst = 30 * time.Second
	}
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Coordinator{store: store, secrets: secrets, opt: opt, log: log, interval: opt.Interval,
		listeners: map[int]func(SyncEvent){}, queued: map[runKey]*syncRun{}, running: map[runKey]*syncRun{},
		turns: map[int64]chan struct{}{}, bodies: map[int64]*bodyRun{}, runCtx: ctx, cancelAll: cancel}
}

// Listen calls fn with every event from now on, from the coordinator's goroutines (one
// event at a time per sync; fn must not block for long), until the returned function is called.
func (c *Coordinator) Listen(fn func(SyncEvent)) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID++
	c.listeners[id] = fn
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.listeners, id)
	}
}

func (c *Coordinator) emit(e SyncEvent) {
	c.mu.Lock()
	fns := make([]func(SyncEvent), 0, len(c.listeners))
	for _, fn := range c.listeners {
		fns = append(fns, fn)
	}
	c.mu.Unlock()
	for _, fn := range fns {
		fn(e)
	}
}

// SetInterval changes how often the schedule syncs; 0 for only on request.
func (c *Coordinator) SetInterval(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interval = d
}

// Busy reports whether a sync is waiting or running.
func (c *Coordinator) Busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queued)+len(c.running) > 0
}

// Cancel stops every sync waiting or running; each ends with context.Canceled.
func (c *Coordinator) Cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelAll()
	c.runCtx, c.cancelAll = context.WithCancel(context.Background())
}

// Stop cancels every sync waiting or running and returns once they have ended (the command
// line, on Ctrl-C: each sync then keeps what it stored).
func (c *Coordinator) Stop() {
	c.Cancel()
	c.wg.Wait()
}

// Sync syncs folder of mailbox m ("" for every folder) as SyncMailbox does, and returns
// what it did. A sync of the same folder that is waiting or running is joined rather than
// started again; syncs of one mailbox run one after the other. ctx ends only this caller's
// wait: the sync goes on for those who joined it (Cancel stops it).
func (c *Coordinator) Sync(ctx context.Context, m *data.Mailbox, folder string) ([]FolderSummary, error) {
	r := c.request(m, folder, true)
	select {
	case <-r.done:
		return r.sums, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SyncSent syncs the Sent folder of mailbox id, so that a message just sent shows there. It
// returns nil, syncing nothing, when the mailbox has no Sent folder yet.
func (c *Coordinator) SyncSent(ctx context.Context, id int64) error {
	m, err := c.store.Mailbox(ctx, id)
	if err != nil {
		return err
	}
	fs, err := c.store.Folders(ctx, id)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Role == data.RoleSent {
			_, err := c.Sync(ctx, m, f.Name)
			return err
		}
	}
	return nil
}

// SyncAll syncs every mailbox, side by side, and returns the errors of those that failed,
// joined (nil when all succeeded).
func (c *Coordinator) SyncAll(ctx context.Context) error {
	boxes, err := c.store.Mailboxes(ctx)
	if err != nil {
		return err
	}
	errs := make([]error, len(boxes))
	var wg sync.WaitGroup
	for i, m := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Sync(ctx, m, ""); err != nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// request returns the sync of folder of m waiting for its turn, or (with joinRunning) the one
// running, or starts a new one.
func (c *Coordinator) request(m *data.Mailbox, folder string, joinRunning bool) *syncRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := runKey{m.ID, folder}
	if isInbox(folder) {
		key.folder = watchInboxFolder
	}
	if r := c.queued[key]; r != nil {
		return r
	}
	if r := c.running[key]; r != nil && joinRunning {
		return r
	}
	r := &syncRun{done: make(chan struct{})}
	c.queued[key] = r
	c.wg.Add(1)
	go c.execute(c.runCtx, key, m, folder, r)
	return r
}

// turn waits for mailbox id's turn and returns the function that gives it back.
func (c *Coordinator) turn(ctx context.Context, id int64) (func(), error) {
	c.mu.Lock()
	t := c.turns[id]
	if t == nil {
		t = make(chan struct{}, 1)
		c.turns[id] = t
	}
	c.mu.Unlock()
	select {
	case t <- struct{}{}:
		return func() { <-t }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Coordinator) execute(ctx context.Context, key runKey, m *data.Mailbox, folder string, r *syncRun) {
	defer c.wg.Done()
	c.stopBodies(m.ID)
	release, err := c.turn(ctx, m.ID)
	c.mu.Lock()
	delete(c.queued, key)
	if err == nil {
		c.running[key] = r
	}
	c.mu.Unlock()
	if err != nil {
		r.err = err
		close(r.done)
		c.emit(SyncEvent{Kind: SyncEnded, Mailbox: m, Folder: folder, Err: err})
		return
	}
	c.emit(SyncEvent{Kind: SyncStarted, Mailbox: m, Folder: folder})
	before := c.inboxState(ctx, m)
	r.sums, r.err = SyncMailbox(ctx, c.store, c.secrets, m, SyncOptions{Folder: folder,
		Progress: func(f string, done, total int) {
			c.emit(SyncEvent{Kind: SyncProgress, Mailbox: m, Folder: f, Done: done, Total: total})
		},
		Waiting: func(f, owner string) { c.emit(SyncEvent{Kind: SyncWaiting, Mailbox: m, Folder: f, Owner: owner}) },
	})
	release()
	c.mu.Lock()
	delete(c.running, key)
	c.mu.Unlock()
	if r.err != nil && !errors.Is(r.err, context.Canceled) {
		c.log.Warn("sync", "mailbox", m.Address, "folder", folder, "err", r.err)
	}
	c.emit(SyncEvent{Kind: SyncEnded, Mailbox: m, Folder: folder, Err: r.err, Summaries: r.sums})
	if r.err == nil && c.opt.Bodies {
		c.startBodies(ctx, m)
	}
	for _, s := range r.sums {
		if isInbox(s.Folder) && s.New > 0 && before != nil {
			c.arrived(ctx, m, before, s)
		}
	}
	close(r.done) // after the events: who waited has been told all of them
}

func isInbox(name string) bool { return strings.EqualFold(name, watchInboxFolder) }

// inboxState returns m's stored Inbox before a sync, nil when it has none yet (a first sync
// announces nothing: it is not new mail but the mailbox's history).
func (c *Coordinator) inboxState(ctx context.Context, m *data.Mailbox) *data.Folder {
	fs, err := c.store.Folders(ctx, m.ID)
	if err != nil {
		return nil
	}
	for _, f := range fs {
		if f.Role == data.RoleInbox || isInbox(f.Name) {
			return f
		}
	}
	return nil
}

// arrived tells listeners of the new Inbox mail one sync brought, once.
func (c *Coordinator) arrived(ctx context.Context, m *data.Mailbox, inbox *data.Folder, sum FolderSummary) {
	nm, err := newMail(ctx, c.store, m, inbox.ID, inbox.FetchedUID, sum)
	if err != nil {
		c.log.Warn("read new mail", "mailbox", m.Address, "err", err)
		return
	}
	c.emit(SyncEvent{Kind: MailArrived, Mailbox: m, Folder: sum.Folder, New: nm})
}

// Run keeps the mailboxes in step until ctx ends: each mailbox is synced once at start
// (when Interval is not 0) and at once when it is added (by this process or another; once
// SaveNewMailbox has made it ready, no longer data.MailboxNew), then
// every Interval, sooner after a failure (CappedBackoff from RetryFirst up to Interval); its
// Inbox watcher starts after its first sync. It returns when ctx ends and every sync and
// watcher it started has stopped.
func (c *Coordinator) Run(ctx context.Context) error {
	changes, stop := c.store.Changes(data.KindMailboxes)
	defer stop()
	watchers := map[int64]context.CancelFunc{}
	var wg sync.WaitGroup
	defer func() {
		for _, cancel := range watchers {
			cancel()
		}
		c.Cancel()
		wg.Wait()
		c.wg.Wait()
	}()
	known := map[int64]bool{}
	first := true
	follow := func() {
		boxes, err := c.store.Mailboxes(ctx)
		if err != nil {
			c.log.Warn("read mailboxes", "err", err)
			return
		}
		keep := map[int64]bool{}
		for _, m := range boxes {
			keep[m.ID] = true
			if known[m.ID] || !first && m.State == data.MailboxNew { // just added: its password and pins are still being saved
				continue
			}
			known[m.ID] = true
			sync := !first || c.currentInterval() > 0
			wctx, cancel := context.WithCancel(ctx)
			watchers[m.ID] = cancel
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.start(wctx, m, sync)
			}()
		}
		for id, cancel := range watchers {
			if !keep[id] {
				cancel()
				delete(watchers, id)
				delete(known, id)
			}
		}
		if first {
			first = false
			c.mu.Lock()
			c.lastRound = time.Now()
			c.mu.Unlock()
		}
	}
	follow()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-changes:
			if !ok {
				return errors.New("the store was closed")
			}
			follow()
		case <-tick.C:
			c.onSchedule(ctx, &wg)
		}
	}
}

func (c *Coordinator) currentInterval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interval
}

// start syncs mailbox m once (when sync), then watches its Inbox until ctx ends.
func (c *Coordinator) start(ctx context.Context, m *data.Mailbox, sync bool) {
	if sync {
		_, err := c.Sync(ctx, m, "") // a failure is an event; the watcher starts all the same
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			c.mu.Lock()
			c.failures = max(c.failures, 1) // the schedule tries again after the first backoff
			c.mu.Unlock()
		}
	}
	if c.opt.Watch {
		c.watch(ctx, m)
	}
}

// onSchedule starts a round of every mailbox when the interval (or the backoff after a
// failure) has passed since the last one.
func (c *Coordinator) onSchedule(ctx context.Context, wg *sync.WaitGroup) {
	c.mu.Lock()
	interval, failures, last := c.interval, c.failures, c.lastRound
	due := interval > 0 && len(c.queued)+len(c.running) == 0 && !last.IsZero()
	if due && failures > 0 {
		due = time.Since(last) >= min(CappedBackoff(c.opt.RetryFirst, interval, failures), interval)
	} else if due {
		due = time.Since(last) >= interval
	}
	if due {
		c.lastRound = time.Time{} // a round is under way
	}
	c.mu.Unlock()
	if !due {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := c.SyncAll(ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.lastRound = time.Now()
		if err != nil && !errors.Is(err, context.Canceled) {
			c.failures++
		} else {
			c.failures = 0
		}
	}()
}

// watch runs m's Inbox watcher until ctx ends or it stops for good. Its syncs take the
// mailbox's turn, so they never overlap another sync of the mailbox.
func (c *Coordinator) watch(ctx context.Context, m *data.Mailbox) {
	opt := c.opt.WatchOptions
	opt.Turn = func(ctx context.Context) (func(), error) {
		c.stopBodies(m.ID)
		return c.turn(ctx, m.ID)
	}
	opt.Failed = func(err error, retryIn time.Duration) {
		c.log.Info("inbox watcher", "mailbox", m.Address, "err", err)
		c.emit(SyncEvent{Kind: WatchFailed, Mailbox: m, Folder: watchInboxFolder, Err: err, RetryIn: retryIn})
	}
	err := WatchInbox(ctx, c.store, c.secrets, m, func(n NewMail) {
		c.emit(SyncEvent{Kind: MailArrived, Mailbox: m, Folder: watchInboxFolder, New: n})
	}, opt)
	if ctx.Err() == nil {
		if !errors.Is(err, ErrNoIdle) {
			c.log.Warn("inbox watcher stopped", "mailbox", m.Address, "err", err)
		}
		c.emit(SyncEvent{Kind: WatchStopped, Mailbox: m, Folder: watchInboxFolder, Err: err})
	}
}

// CappedBackoff is how long to wait after failures failures in a row: first, doubling with
// each further failure, never more than limit. It is 0 for no failure.
func CappedBackoff(first, limit time.Duration, failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := first
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// bodyRun is the body download of one mailbox.
type bodyRun struct{ cancel context.CancelFunc }

// startBodies starts the body download of mailbox m in its turn, unless one waits or runs.
func (c *Coordinator) startBodies(ctx context.Context, m *data.Mailbox) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bodies[m.ID] != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	b := &bodyRun{cancel: cancel}
	c.bodies[m.ID] = b
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		if release, err := c.turn(ctx, m.ID); err == nil {
			var n int
			if c.opt.Mail != nil {
				n, err = DownloadBodiesVia(ctx, c.opt.Mail, c.store, m, BodyOptions{})
			} else {
				n, err = DownloadBodies(ctx, c.store, c.secrets, m, BodyOptions{})
			}
			release()
			switch {
			case err != nil && ctx.Err() == nil:
				c.log.Warn("download messages to keep", "mailbox", m.Address, "err", err)
			case n > 0:
				c.log.Info("downloaded messages to keep", "mailbox", m.Address, "messages", n)
			}
		}
		c.mu.Lock()
		if c.bodies[m.ID] == b {
			delete(c.bodies, m.ID)
		}
		c.mu.Unlock()
	}()
}

// stopBodies stops the body download of mailbox id, so that a sync may have the turn; the
// next sync that does not fail starts it again where it stopped.
func (c *Coordinator) stopBodies(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.bodies[id]; b != nil {
		b.cancel()
		delete(c.bodies, id)
	}
}
