package mailclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// ErrNoIdle is returned by WatchInbox when the server does not offer IDLE, so it cannot tell
// of new mail as it arrives: sync on a schedule instead.
var ErrNoIdle = errors.New("the server does not announce new mail (no IDLE)")

// WatchStore is what watching the Inbox needs of the database; *data.Store has it. Errors
// are those documented on data.Store.
type WatchStore interface {
	SyncStore
	MessagePage(ctx context.Context, folderID int64, after data.Cursor, limit int) ([]*data.Message, error)
}

// NewMail is what one sync of the Inbox found arriving, for a notification.
type NewMail struct {
	Mailbox *data.Mailbox
	Inbox   FolderSummary // Inbox.New messages arrived
	// Latest are up to MaxLatest of the new messages, newest first.
	Latest []*data.Message
}

// MaxLatest is the most messages a NewMail lists.
const MaxLatest = 5

// Defaults of WatchOptions.
const (
	// DefaultIdle is how long one IDLE lasts before the watcher ends it and starts another:
	// well under the 29 minutes after which a server may log an idle client out, and short
	// enough that a connection a router dropped in silence is noticed.
	DefaultIdle     = 10 * time.Minute
	DefaultRetryMin = time.Second
	DefaultRetryMax = 5 * time.Minute
)

// idleReadSlack is how long past opt.Idle a read during IDLE may wait before it times out.
const idleReadSlack = time.Minute

const watchInboxFolder = "INBOX"

// WatchOptions tune WatchInbox; the zero value is the defaults.
type WatchOptions struct {
	// Idle is how long one IDLE lasts before it is ended and issued again; 0 for DefaultIdle.
	Idle time.Duration
	// RetryMin and RetryMax bound the wait before connecting again after a failure: it
	// starts at RetryMin, doubles with each failure in a row up to RetryMax, and starts over
	// once a connection has reached IDLE. 0 for DefaultRetryMin and DefaultRetryMax.
	RetryMin, RetryMax time.Duration
	// Changed, when not nil, is called after each sync of the Inbox that changed anything
	// (new, changed or removed messages), so a list can reload.
	Changed func(FolderSummary)
	// Failed, when not nil, is told of each failure the watcher will retry, and how long it
	// waits first. The log wants err; Explain(err) is for a status line.
	Failed func(err error, retryIn time.Duration)
	// Turn, when not nil, is called before each sync of the Inbox and returns once no other
	// sync of the mailbox runs, with the function that ends the watcher's turn (the
	// Coordinator's; see Coordinator.Sync).
	Turn func(ctx context.Context) (func(), error)
}

func (o WatchOptions) withDefaults() WatchOptions {
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	o.RetryMax = max(o.RetryMax, o.RetryMin)
	return o
}

// WatchInbox keeps one connection to mailbox m's server waiting in IDLE on the Inbox, and
// whenever the server announces a change there (new mail, flags, expunges) syncs the Inbox
// as SyncMailbox does and calls onNew with what arrived, if anything did. It syncs the
// Inbox once when it connects, re-issues IDLE every opt.Idle, and after a failure (the
// server restarted, the network went away) connects again after a wait that doubles up to
// opt.RetryMax. The calls of onNew and of opt's callbacks never overlap, and come from the
// goroutine that called WatchInbox; they must not block for long.
//
// It runs until ctx ends, then returns ctx's error (errors.Is context.Canceled). It returns
// at once an error wrapping ErrNoIdle when the server does not offer IDLE (sync on a
// schedule instead), and errors that retrying cannot mend: no saved password, IMAP
// disabled, login refused, an untrusted or changed certificate. Explain turns each into a
// sentence. It does not record the mailbox's state: SyncMailbox does that.
func WatchInbox(ctx context.Context, store WatchStore, secrets SecretStore, m *data.Mailbox, onNew func(NewMail), opt WatchOptions) error {
	opt = opt.withDefaults()
	wait, failures := opt.RetryMin, 0
	for {
		w := &watcher{ctx: ctx, store: store, m: m, onNew: onNew, opt: opt, poke: make(chan struct{}, 1)}
		err := w.run(secrets)
		if ctx.Err() != nil {
			return fmt.Errorf("watch %s: %w", m.Address, ctx.Err())
		}
		if permanent(err) {
			return fmt.Errorf("watch %s: %w", m.Address, err)
		}
		if w.idled {
			wait, failures = opt.RetryMin, 0
		}
		if opt.Failed != nil {
			opt.Failed(err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("watch %s: %w", m.Address, ctx.Err())
		case <-t.C:
		}
		failures++
		wait = CappedBackoff(opt.RetryMin, opt.RetryMax, failures+1)
	}
}

// permanent reports whether err is one that connecting again would only repeat.
func permanent(err error) bool {
	var ue *UntrustedCertError
	var pe *PinMismatchError
	for _, e := range []error{ErrNoIdle, ErrNoPassword, ErrIMAPDisabled, ErrAuthFailed, ErrStartTLSNotOffered,
		ErrLoginDisabled, ErrNoAuthMechanism, ErrNotTLS, ErrSignInAgain, ErrNoClientID} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.As(err, &ue) || errors.As(err, &pe)
}

// watcher is one connection of WatchInbox, from dial to failure.
type watcher struct {
	ctx   context.Context
	store WatchStore
	m     *data.Mailbox
	onNew func(NewMail)
	opt   WatchOptions
	sy    *syncer
	// poke is signalled (never blocking) when the server announces a change in the Inbox.
	poke  chan struct{}
	idled bool // IDLE was reached at least once
}

// handler passes the server's announcements on as pokes, counting expunges for the sync.
func (w *watcher) handler() *imapclient.UnilateralDataHandler {
	h := w.sy.handler()
	count := h.Expunge
	h.Expunge = func(seq uint32) { count(seq); w.signal() }
	h.Mailbox = func(d *imapclient.UnilateralDataMailbox) {
		if d.NumMessages != nil {
			w.signal()
		}
	}
	h.Fetch = func(msg *imapclient.FetchMessageData) {
		msg.Collect() // flags changed: read them off the wire; the sync asks again
		w.signal()
	}
	return h
}

// burstSettle is how long the watcher lets a burst of announcements (several messages
// delivered together) go on before it syncs, so that they make one sync and one NewMail.
const burstSettle = 300 * time.Millisecond

// settle waits until the server has announced nothing for burstSettle (at most ten times that).
func (w *watcher) settle() {
	limit := time.NewTimer(10 * burstSettle)
	defer limit.Stop()
	for {
		quiet := time.NewTimer(burstSettle)
		select {
		case <-w.poke:
			quiet.Stop()
			continue
		case <-quiet.C:
		case <-limit.C:
			quiet.Stop()
		case <-w.ctx.Done():
			quiet.Stop()
		}
		return
	}
}

func (w *watcher) signal() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// offersIdle reports whether a server with caps (after login) offers IDLE.
func offersIdle(caps imap.CapSet) bool {
	return caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
}

// run connects, syncs the Inbox, and alternates IDLE with syncs until something fails.
func (w *watcher) run(secrets SecretStore) (err error) {
	s, password, err := mailboxSettings(w.ctx, w.store, secrets, w.m)
	if err != nil {
		return err
	}
	w.sy = newSyncer(w.ctx, w.store, w.m, SyncOptions{Folder: watchInboxFolder})
	ic, err := dialIMAP(w.ctx, s, password, w.handler())
	if err != nil {
		return err
	}
	defer ic.close()
	defer func() { err = ic.failed("Watch the Inbox", err) }() // a server's fault, a timeout in force
	w.sy.ic = ic
	if !offersIdle(ic.caps) {
		return fmt.Errorf("%s: %w", s.IMAP.address(), ErrNoIdle)
	}
	folders, err := w.sy.folders()
	if err != nil {
		return err
	}
	inbox := folders[0]
	for {
		if err := w.sync(inbox); err != nil {
			return fmt.Errorf("sync %s: %w", inbox.Name, err)
		}
		if err := w.idle(ic); err != nil {
			return err
		}
		if inbox, err = w.reload(inbox.ID); err != nil {
			return err
		}
	}
}

// sync brings the Inbox up to date and tells of what arrived.
func (w *watcher) sync(inbox *data.Folder) error {
	if w.opt.Turn != nil {
		release, err := w.opt.Turn(w.ctx)
		if err != nil {
			return err
		}
		defer release()
		if inbox, err = w.reload(inbox.ID); err != nil { // another sync may have moved it on
			return err
		}
	}
	sum, err := w.sy.folder(inbox)
	if err != nil {
		return err
	}
	if sum.New+sum.Changed+sum.Removed > 0 && w.opt.Changed != nil {
		w.opt.Changed(sum)
	}
	if sum.New == 0 || w.onNew == nil {
		return nil
	}
	nm, err := newMail(w.ctx, w.store, w.m, inbox.ID, inbox.FetchedUID, sum)
	if err != nil {
		return err
	}
	w.onNew(nm)
	return nil
}

// newMail is what one sync of the Inbox (inboxID, fetched up to UID before it) brought:
// sum and the newest of the messages it added.
func newMail(ctx context.Context, store WatchStore, m *data.Mailbox, inboxID int64, before uint32, sum FolderSummary) (NewMail, error) {
	if sum.Reset {
		before = 0
	}
	page, err := store.MessagePage(ctx, inboxID, data.Cursor{}, MaxLatest*4)
	if err != nil {
		return NewMail{}, err
	}
	nm := NewMail{Mailbox: m, Inbox: sum}
	for _, msg := range page {
		if msg.UID > before && len(nm.Latest) < MaxLatest {
			nm.Latest = append(nm.Latest, msg)
		}
	}
	return nm, nil
}

// reload reads the Inbox's sync state again after a sync changed it.
func (w *watcher) reload(id int64) (*data.Folder, error) {
	fs, err := w.store.Folders(w.ctx, w.m.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.ID == id {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", watchInboxFolder, ErrNoSuchFolder)
}

// idle waits in IDLE until the server announces a change, opt.Idle passes, or the
// connection fails; it returns nil in the first two cases. While it waits, reads may take
// as long as the IDLE itself (plus slack) before they time out.
func (w *watcher) idle(ic *imapConn) error {
	// Some servers (go-imap's own) keep a change made during the sync until the next
	// command rather than sending it when IDLE starts: NOOP asks for it.
	if err := ic.Noop().Wait(); err != nil {
		return wrapIMAP("NOOP", err)
	}
	select { // announced during the sync: no need to wait
	case <-w.poke:
		return nil
	default:
	}
	ic.conn.setTimeout(w.opt.Idle + idleReadSlack)
	defer ic.conn.setTimeout(ic.timeout)
	cmd, err := ic.Idle()
	if err != nil {
		return wrapIMAP("IDLE", err)
	}
	w.idled = true
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	t := time.NewTimer(w.opt.Idle)
	defer t.Stop()
	select {
	case err := <-ended: // the connection ended under the IDLE
		if err == nil {
			err = errors.New("the server ended IDLE")
		}
		return wrapIMAP("IDLE", err)
	case <-w.poke:
		w.settle()
	case <-t.C:
	case <-w.ctx.Done():
	}
	if err := cmd.Close(); err != nil {
		return wrapIMAP("IDLE", err)
	}
	if err := <-ended; err != nil {
		return wrapIMAP("IDLE", err)
	}
	return w.ctx.Err()
}
