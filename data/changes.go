package data

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Kind is one kind of data the store announces changes of; kinds combine with |.
type Kind uint16

// The kinds of data a Change names.
const (
	KindProviders    Kind = 1 << iota // providers, their logos and settings
	KindDomains                       // provider domains
	KindUsers                         // the people who have opened this database
	KindMailboxes                     // mailboxes: added, edited, removed, their state, the default one
	KindFolders                       // a mailbox's folders and their sync state
	KindMessages                      // cached messages of some folders (Change.Folder says which)
	KindOutbox                        // messages on their way out
	KindDrafts                        // saved drafts
	KindPublishers                    // publishers of the provider list, the signing key, publications
	KindSubscription                  // the subscribed provider list

	// KindAll is every kind.
	KindAll = KindProviders | KindDomains | KindUsers | KindMailboxes | KindFolders | KindMessages |
		KindOutbox | KindDrafts | KindPublishers | KindSubscription
)

// Change is what one or more commits changed. Several commits close together arrive as one
// Change naming all they changed.
type Change struct {
	// Kinds is the set of kinds that changed.
	Kinds Kind
	// External is set when another process (or another Store on the same file) committed:
	// the store cannot tell what it changed, so Kinds is then KindAll and every folder's
	// messages count as changed.
	External bool

	anyFolder bool               // with KindMessages: any folder's messages may have changed
	folders   map[int64]struct{} // with KindMessages: these folders' messages changed
}

// Has reports whether any of kinds changed.
func (c Change) Has(kinds Kind) bool { return c.Kinds&kinds != 0 }

// Folder reports whether the cached messages of folder id may have changed.
func (c Change) Folder(id int64) bool {
	if !c.Has(KindMessages) {
		return false
	}
	if c.anyFolder {
		return true
	}
	_, ok := c.folders[id]
	return ok
}

// Folders returns the folders whose messages changed, in order, and false when any folder's
// may have (External, or a change the store could not place).
func (c Change) Folders() ([]int64, bool) {
	if c.anyFolder {
		return nil, false
	}
	ids := make([]int64, 0, len(c.folders))
	for id := range c.folders {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, true
}

// merge returns c with what d changed added.
func (c Change) merge(d Change) Change {
	out := Change{Kinds: c.Kinds | d.Kinds, External: c.External || d.External, anyFolder: c.anyFolder || d.anyFolder}
	if !out.anyFolder && len(c.folders)+len(d.folders) > 0 {
		out.folders = make(map[int64]struct{}, len(c.folders)+len(d.folders))
		for id := range c.folders {
			out.folders[id] = struct{}{}
		}
		for id := range d.folders {
			out.folders[id] = struct{}{}
		}
	}
	return out
}

// only returns the part of c that concerns kinds.
func (c Change) only(kinds Kind) Change {
	out := c
	out.Kinds &= kinds
	if !out.Has(KindMessages) {
		out.anyFolder, out.folders = false, nil
	}
	return out
}

// changed is a Change of kinds (messages of no particular folder: use messagesOf for those).
func changed(kinds Kind) Change {
	return Change{Kinds: kinds, anyFolder: kinds&KindMessages != 0}
}

// messagesOf is a change of the cached messages of the folders ids.
func messagesOf(ids ...int64) Change {
	c := Change{Kinds: KindMessages, folders: make(map[int64]struct{}, len(ids))}
	for _, id := range ids {
		c.folders[id] = struct{}{}
	}
	return c
}

// Timing of change notifications.
const (
	// changeGap is the least time between two Changes sent to one subscriber: commits closer
	// together (a sync's batches) arrive as one.
	changeGap = 200 * time.Millisecond
	// pollEvery is how often the store looks for commits by other processes while anyone
	// listens: one PRAGMA on an idle connection.
	pollEvery = time.Second
)

// Changes returns a channel on which the store tells what changed among kinds, after each
// commit of this Store and, within about a second, after commits of other processes on the
// same database; and a function that ends the subscription (the channel is then closed).
// Bursts of commits arrive as one Change, so a subscriber that reloads on each keeps up.
// The channel is also closed when the store is closed.
func (s *Store) Changes(kinds Kind) (<-chan Change, func()) {
	return s.notes.subscribe(kinds)
}

// announce tells the subscribers that this process committed c.
func (s *Store) announce(c Change) { s.notes.publish(c) }

// notifier passes the store's changes on to its subscribers, and looks for those of other
// processes while anyone listens.
type notifier struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	polling bool
	closed  bool
	done    chan struct{} // closed by close: the poller ends

	watch  *versionWatch
	writer *sql.DB // the one writer connection, whose data_version only others' commits move
	wrote  int64   // the writer's data_version last read
	gen    uint64  // watch's generation last looked at
}

type subscriber struct {
	kinds   Kind
	out     chan Change
	wake    chan struct{} // a change is pending
	stop    chan struct{}
	mu      sync.Mutex
	pending *Change
}

func newNotifier(ctx context.Context, watch *versionWatch, writer *sql.DB) (*notifier, error) {
	n := &notifier{subs: map[*subscriber]struct{}{}, done: make(chan struct{}), watch: watch, writer: writer}
	var err error
	if n.gen, err = watch.generation(ctx); err != nil {
		return nil, err
	}
	if err := writer.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&n.wrote); err != nil {
		return nil, fmt.Errorf("data version: %w", err)
	}
	return n, nil
}

func (n *notifier) subscribe(kinds Kind) (<-chan Change, func()) {
	sub := &subscriber{kinds: kinds, out: make(chan Change), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		close(sub.out)
		return sub.out, func() {}
	}
	n.subs[sub] = struct{}{}
	if !n.polling {
		n.polling = true
		go n.poll()
	}
	n.mu.Unlock()
	go sub.deliver()
	return sub.out, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if _, ok := n.subs[sub]; ok { // else ended already, by this or by close
			delete(n.subs, sub)
			close(sub.stop)
		}
	}
}

func (n *notifier) publish(c Change) {
	if n == nil || c.Kinds == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for sub := range n.subs {
		sub.add(c)
	}
}

// close ends every subscription and the poller.
func (n *notifier) close() {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.closed = true
	close(n.done)
	for sub := range n.subs {
		close(sub.stop)
		delete(n.subs, sub)
	}
}

// poll looks for other processes' commits every pollEvery until the store closes.
func (n *notifier) poll() {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
		}
		if n.external() {
			n.publish(Change{Kinds: KindAll, External: true, anyFolder: true})
		}
	}
}

// external reports whether another connection than this store's writer committed since the
// last look. The watch's connection sees every commit without waiting for the writer; only
// when it saw one is the writer asked, whose data_version moves for others' commits alone.
func (n *notifier) external() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gen, err := n.watch.generation(ctx)
	if err != nil || gen == n.gen {
		return false
	}
	n.gen = gen
	var v int64
	if err := n.writer.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return false
	}
	moved := v != n.wrote
	n.wrote = v
	return moved
}

func (sub *subscriber) add(c Change) {
	c = c.only(sub.kinds)
	if c.Kinds == 0 {
		return
	}
	sub.mu.Lock()
	if sub.pending == nil {
		sub.pending = &c
	} else {
		merged := sub.pending.merge(c)
		sub.pending = &merged
	}
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// deliver sends pending changes, at most one every changeGap, until the subscription ends.
func (sub *subscriber) deliver() {
	defer close(sub.out)
	var last time.Time
	for {
		select {
		case <-sub.stop:
			return
		case <-sub.wake:
		}
		if wait := changeGap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-sub.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		sub.mu.Lock()
		c := sub.pending
		sub.pending = nil
		sub.mu.Unlock()
		if c == nil {
			continue
		}
		select {
		case <-sub.stop:
			return
		case sub.out <- *c:
			last = time.Now()
		}
	}
}

// versionWatch reads SQLite's data_version on a connection of its own: it moves whenever
// anything commits to the database, from this process or another. The resolve cache drops
// itself when it moves; the notifier then asks whether another process was the cause.
type versionWatch struct {
	mu      sync.Mutex
	conn    *sql.Conn
	version int64
	gen     uint64 // counts the moves seen
}

func newVersionWatch(ctx context.Context, db *sql.DB) (*versionWatch, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("version watch: %w", err)
	}
	return &versionWatch{conn: conn, version: -1}, nil
}

// generation reads data_version now and returns how many times it was seen to move: a
// different number than before means something committed in between.
func (w *versionWatch) generation(ctx context.Context) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var v int64
	if err := w.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("data version: %w", err)
	}
	if v != w.version {
		w.version = v
		w.gen++
	}
	return w.gen, nil
}

func (w *versionWatch) close() {
	if w != nil && w.conn != nil {
		w.conn.Close()
	}
}
