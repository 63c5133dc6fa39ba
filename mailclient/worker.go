package mailclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"mailroom/data"
)

// Worker timing: a connection left unused this long is logged out (servers drop idle ones
// after about 30 minutes anyway); reconnecting after a failure waits from minBackoff,
// doubling, up to maxBackoff; a queued action is claimed for actionHold at a time.
const (
	idleLogout = 10 * time.Minute
	minBackoff = time.Second
	maxBackoff = time.Minute
	actionHold = 2 * time.Minute
)

// ErrQueued is wrapped in the error of an action made while the server could not be
// reached: the cache already shows it, and it is applied when the server answers again.
var ErrQueued = errors.New("the change is kept and made on the server when it can be reached")

// worker owns the one command connection of one mailbox (aerc's worker model): it runs the
// requests of Mail one at a time on it and applies the mailbox's queued actions in order,
// connecting when there is work, selecting only when the folder changes, and after a
// failure reconnecting by itself with a capped backoff.
type worker struct {
	mail  *Mail
	boxID int64
	ctx   context.Context
	stop  context.CancelFunc
	ended chan struct{}
	reqs  chan *request
	kick  chan struct{} // an action was queued

	// Owned by run's goroutine.
	ic       *imapConn
	unquiet  func() // gives reads their timeout back while a command runs (see deadlineConn.quiet)
	selected *data.Folder
	backoff  time.Duration
	retryAt  time.Time // no connection attempt for the queue before then

	mu       sync.Mutex
	waiters  map[int64][]chan error // action id -> whoever waits for its outcome
	outcomes map[int64]error        // outcomes nobody waited for yet
}

// request is work to run on the worker's connection with folder selected (none when nil).
type request struct {
	ctx    context.Context
	folder *data.Folder
	fn     func(ic *imapConn) error
	// retry: fn may run again on a fresh connection when the reused one turns out dead.
	retry bool
	done  chan error
}

func newWorker(parent context.Context, a *Mail, boxID int64) *worker {
	ctx, stop := context.WithCancel(parent)
	w := &worker{mail: a, boxID: boxID, ctx: ctx, stop: stop, ended: make(chan struct{}), reqs: make(chan *request),
		kick: make(chan struct{}, 1), waiters: map[int64][]chan error{}, outcomes: map[int64]error{}}
	go w.run()
	return w
}

// run serves requests and the queue until the worker's context ends, then logs out.
func (w *worker) run() {
	defer close(w.ended)
	defer w.stop()
	defer w.disconnect()
	idle := time.NewTimer(idleLogout)
	defer idle.Stop()
	for {
		w.drain()
		w.await(idle)
		if w.ctx.Err() != nil {
			return
		}
	}
}

// await waits for a request (and serves it), an action, the retry time, or idleness.
func (w *worker) await(idle *time.Timer) {
	var retry <-chan time.Time
	if !w.retryAt.IsZero() {
		t := time.NewTimer(time.Until(w.retryAt))
		defer t.Stop()
		retry = t.C
	}
	idle.Reset(idleLogout)
	select {
	case <-w.ctx.Done():
	case r := <-w.reqs:
		r.done <- w.serve(r)
	case <-w.kick:
		w.retryAt = time.Time{} // a new action: try at once
	case <-retry:
		w.retryAt = time.Time{}
	case <-idle.C:
		w.disconnect()
	}
}

// drain applies queued actions until none is left or the server cannot be reached; a
// request waiting meanwhile goes first.
func (w *worker) drain() {
	for w.retryAt.IsZero() && w.ctx.Err() == nil {
		select {
		case r := <-w.reqs:
			r.done <- w.serve(r)
			continue
		default:
		}
		a, err := w.mail.Store.ClaimAction(w.ctx, w.boxID, actionHold)
		if errors.Is(err, data.ErrNotFound) {
			return
		}
		if err != nil { // ErrActionBusy: another worker holds the oldest; look again later
			w.mail.logf("claim queued action", "mailbox", w.boxID, "err", err)
			w.later()
			w.tellAll(fmt.Errorf("%w: %w", ErrQueued, err))
			return
		}
		w.settle(a, w.apply(a))
	}
}

// later schedules the next attempt after the backoff, which doubles up to maxBackoff.
func (w *worker) later() {
	w.backoff = min(max(w.backoff*2, minBackoff), maxBackoff)
	w.retryAt = time.Now().Add(w.backoff)
}

// serve runs one request, reconnecting once when fn may run again and the connection it
// reused had died unnoticed.
func (w *worker) serve(r *request) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	fresh, err := w.connect(r.ctx)
	if err != nil {
		return canceledOr(r.ctx, err)
	}
	err = w.on(r.ctx, r.folder, r.fn)
	if err != nil && w.ic == nil && !fresh && r.retry && r.ctx.Err() == nil {
		if _, err = w.connect(r.ctx); err != nil {
			return canceledOr(r.ctx, err)
		}
		err = w.on(r.ctx, r.folder, r.fn)
	}
	return canceledOr(r.ctx, err)
}

// on runs fn with folder selected; a broken connection is dropped (w.ic becomes nil).
// Cancelling ctx ends the connection, which is the only way to stop an IMAP command.
func (w *worker) on(ctx context.Context, folder *data.Folder, fn func(ic *imapConn) error) error {
	ic := w.ic
	w.unquiet()
	stop := context.AfterFunc(ctx, func() { ic.conn.Close() })
	err := func() error {
		if folder != nil {
			if err := w.selectFolder(folder); err != nil {
				return err
			}
		}
		return fn(ic)
	}()
	stop()
	if err != nil {
		err = ic.failed("", err)
	}
	if w.broken() {
		w.drop()
		return err
	}
	w.unquiet = ic.conn.quiet()
	return err
}

// selectFolder selects f unless it is selected already; a folder whose UIDVALIDITY is not
// the cached one fails with ErrFolderChanged.
func (w *worker) selectFolder(f *data.Folder) error {
	if w.selected == nil || w.selected.ID != f.ID {
		w.selected = nil
		sel, err := w.ic.Select(f.Name, nil).Wait()
		if err != nil {
			return wrapIMAP("SELECT "+f.Name, err)
		}
		w.selected = &data.Folder{FolderInfo: f.FolderInfo, ID: f.ID, UIDValidity: sel.UIDValidity}
	}
	if w.selected.UIDValidity != f.UIDValidity {
		return fmt.Errorf("%s: %w", f.Name, ErrFolderChanged)
	}
	return nil
}

// broken reports whether the connection can no longer carry commands.
func (w *worker) broken() bool {
	if w.ic == nil {
		return true
	}
	select {
	case <-w.ic.Closed():
		return true
	default:
	}
	return w.ic.conn.lost.Load() || w.ic.conn.timedOut() || w.ic.conn.fault.Load() != nil
}

// connect makes sure there is a live connection, reporting whether it is a new one.
func (w *worker) connect(ctx context.Context) (fresh bool, err error) {
	if w.ic != nil && !w.broken() {
		return false, nil
	}
	w.drop()
	box, err := w.mail.Store.Mailbox(ctx, w.boxID)
	if err != nil {
		return false, err
	}
	var ic *imapConn
	err = retryRefused(w.mail.Secrets, box, func() error {
		s, password, err := mailboxSettings(ctx, w.mail.Store, w.mail.Secrets, box)
		if err != nil {
			return err
		}
		// The connection lives as long as the worker, not as the request that opened it.
		ic, err = dialIMAP(w.ctx, s, password, nil)
		return err
	})
	if err != nil {
		return false, err
	}
	w.ic, w.selected = ic, nil
	w.unquiet = ic.conn.quiet()
	return true, nil
}

// drop forgets a broken connection without the courtesy of a logout.
func (w *worker) drop() {
	if w.ic != nil {
		w.ic.Client.Close()
		w.ic.stop()
		w.ic.conn.Close()
	}
	w.ic, w.selected, w.unquiet = nil, nil, func() {}
}

// disconnect logs out.
func (w *worker) disconnect() {
	if w.ic != nil {
		w.unquiet()
		w.ic.close()
	}
	w.ic, w.selected, w.unquiet = nil, nil, func() {}
}

// do runs fn on the worker's connection with folder selected (none when nil), waiting for
// its turn; it fails with ctx's error when ctx ends first.
func (w *worker) do(ctx context.Context, folder *data.Folder, retry bool, fn func(ic *imapConn) error) error {
	r := &request{ctx: ctx, folder: folder, fn: fn, retry: retry, done: make(chan error, 1)}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.ended:
		return fmt.Errorf("mailbox %d: %w", w.boxID, context.Canceled)
	}
	return <-r.done
}

// doSelecting is do for work that selects a folder of its own choosing, by its name on the
// server (Drafts, Sent): the worker forgets which folder is selected, so the next request
// selects its own again.
func (w *worker) doSelecting(ctx context.Context, retry bool, fn func(ic *imapConn) error) error {
	return w.do(ctx, nil, retry, func(ic *imapConn) error {
		w.selected = nil // fn runs on run's goroutine, which owns it
		return fn(ic)
	})
}

// poke tells the worker an action was queued.
func (w *worker) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// wait returns the outcome of queued action id: nil once applied, the refusal when the
// server refused it for good (the cache is put back), or an error wrapping ErrQueued when
// the server cannot be reached now (it stays queued). It returns ctx's error when ctx ends
// first; the action stays queued then too.
func (w *worker) wait(ctx context.Context, id int64) error {
	ch := make(chan error, 1)
	w.mu.Lock()
	if err, ok := w.outcomes[id]; ok {
		delete(w.outcomes, id)
		w.mu.Unlock()
		return err
	}
	w.waiters[id] = append(w.waiters[id], ch)
	w.mu.Unlock()
	if a, err := w.mail.Store.Action(ctx, id); errors.Is(err, data.ErrNotFound) || (err == nil && a.State == data.ActionDone) {
		w.forget(id, ch) // settled already, and its outcome went to someone else who waited
		return nil
	}
	w.poke()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
	case <-w.ended:
	}
	w.forget(id, ch)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("mailbox %d closed: %w", w.boxID, ErrQueued)
}

// forget stops ch waiting for action id.
func (w *worker) forget(id int64, ch chan error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiters[id] = slices.DeleteFunc(w.waiters[id], func(c chan error) bool { return c == ch })
	if len(w.waiters[id]) == 0 {
		delete(w.waiters, id)
	}
}

// tell hands the outcome of action id to whoever waits for it.
func (w *worker) tell(id int64, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if chs := w.waiters[id]; len(chs) > 0 {
		delete(w.waiters, id)
		for _, ch := range chs {
			ch <- err
		}
		return
	}
	if len(w.outcomes) > 1000 { // outcomes nobody came for: queued by an earlier run
		clear(w.outcomes)
	}
	w.outcomes[id] = err
}

// tellAll hands err to everyone waiting for an action of this mailbox: the server cannot be
// reached, so none of them will be applied before the next attempt.
func (w *worker) tellAll(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, chs := range w.waiters {
		for _, ch := range chs {
			ch <- err
		}
		delete(w.waiters, id)
	}
}
