package mailclient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mailroom/data"
)

// OutboxStore is what the outbox needs of the database; *data.Store has it. Errors are those
// documented on data.Store.
type OutboxStore interface {
	PinSource
	Get(ctx context.Context, id int64) (*data.Provider, error)
	Mailbox(ctx context.Context, id int64) (*data.Mailbox, error)
	OutboxItem(ctx context.Context, id int64) (*data.OutboxItem, error)
	Enqueue(ctx context.Context, it *data.OutboxItem, draftID int64) error
	ClaimOutbox(ctx context.Context, claimer string, now time.Time) (*data.OutboxItem, error)
	NextOutboxAttempt(ctx context.Context) (time.Time, bool, error)
	RetryOutbox(ctx context.Context, id int64, next time.Time, reason string) error
	FailOutbox(ctx context.Context, id int64, reason string) error
	InterruptOutbox(ctx context.Context, id int64, reason string) error
	MarkOutboxSent(ctx context.Context, id int64, copy data.SentCopy) error
	ClaimSentCopy(ctx context.Context, id int64, claimer string) error
	SentCopyResult(ctx context.Context, id int64, copy data.SentCopy, reason string) error
	PendingSentCopies(ctx context.Context) ([]*data.OutboxItem, error)
	ResendOutbox(ctx context.Context, id int64, c *data.Composition) error
	RecoverOutbox(ctx context.Context, alive func(claimer string) bool, reason string) (int, error)
}

// PasswordSource gives the password of a mailbox; *data.Secrets has it.
type PasswordSource interface {
	Get(ctx context.Context, ref string) (string, error)
}

// OutboxOptions tune an Outbox; the zero value is what Mailroom uses.
type OutboxOptions struct {
	Roots *x509.CertPool // the roots certificates verify against; nil for the system's
	// Backoff returns how long to wait before trying again after attempts temporary
	// failures; nil for DefaultBackoff.
	Backoff func(attempts int) time.Duration
	// OnChange, when not nil, receives a message each time its state changes (queued,
	// sending, sent, failed, interrupted, its Sent copy done). It is called from the goroutine
	// doing the work and must not block for long.
	OnChange func(*data.OutboxItem)
	// Progress, when not nil, receives the bytes of message id handed to the server so far.
	Progress func(id int64, sent, total int64)
	Log      *slog.Logger // nil for slog.Default()
	Now      func() time.Time
}

// DefaultBackoff waits 30 seconds after the first temporary failure, doubling up to 30 minutes.
func DefaultBackoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < 30*time.Minute; i++ {
		d *= 2
	}
	return min(d, 30*time.Minute)
}

// InterruptedReason is the LastError of a message Mailroom stopped sending midway.
const InterruptedReason = "Mailroom stopped while sending this message, so it may or may not have been sent. " +
	"Check your Sent folder and the recipients, then send it again or delete it."

// Outbox sends the queued messages of the store's user, retrying temporary failures with
// backoff and keeping every message until its server accepted it. Its methods are safe for
// concurrent use; Run is the loop the application keeps going.
type Outbox struct {
	store   OutboxStore
	secrets PasswordSource
	opts    OutboxOptions
	claimer string // host/pid: who claims messages, so a dead claimer can be recognised
	wake    chan struct{}
}

// NewOutbox returns the outbox of store's user, reading passwords from secrets.
func NewOutbox(store OutboxStore, secrets PasswordSource, opts OutboxOptions) *Outbox {
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	host, _ := os.Hostname()
	return &Outbox{store: store, secrets: secrets, opts: opts, claimer: host + "/" + strconv.Itoa(os.Getpid()),
		wake: make(chan struct{}, 1)}
}

// Queue checks c (see CheckComposition) and puts it in the outbox from mailbox c.MailboxID,
// with a new Message-ID and the date now, deleting draft draftID (0 for none) at the same
// moment; Run sends it. It fails with a *data.ValidationError, ErrEmptySubject (unless
// allowEmptySubject), or data.ErrNotFound for an unknown mailbox or draft.
func (o *Outbox) Queue(ctx context.Context, c data.Composition, draftID int64, allowEmptySubject bool) (*data.OutboxItem, error) {
	m, err := o.store.Mailbox(ctx, c.MailboxID)
	if err != nil {
		return nil, fmt.Errorf("queue: mailbox: %w", err)
	}
	if strings.TrimSpace(c.From) == "" {
		c.From = Address{Name: m.SenderName, Addr: m.Address}.Display()
	}
	out, err := CheckComposition(&c, allowEmptySubject)
	if err != nil {
		return nil, err
	}
	it := &data.OutboxItem{Composition: c, MessageID: NewMessageID(out.From.Addr), Date: o.opts.Now()}
	if err := o.store.Enqueue(ctx, it, draftID); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	o.changed(ctx, it.ID)
	o.Wake()
	return it, nil
}

// Resend queues a failed or interrupted message again; c, when not nil, is its corrected
// text and addresses, checked like Queue's. It fails like Queue, or with data.ErrNotFound
// when id is neither failed nor interrupted.
func (o *Outbox) Resend(ctx context.Context, id int64, c *data.Composition, allowEmptySubject bool) error {
	if c != nil {
		if _, err := CheckComposition(c, allowEmptySubject); err != nil {
			return err
		}
	}
	if err := o.store.ResendOutbox(ctx, id, c); err != nil {
		return fmt.Errorf("resend: %w", err)
	}
	o.changed(ctx, id)
	o.Wake()
	return nil
}

// Wake makes Run look at the queue now instead of at the next due time.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Recover marks the messages a stopped Mailroom was sending as interrupted, so the person
// checks Sent before sending them again; it returns how many. Run calls it first.
func (o *Outbox) Recover(ctx context.Context) (int, error) {
	n, err := o.store.RecoverOutbox(ctx, o.alive, InterruptedReason)
	if err != nil {
		return 0, fmt.Errorf("recover outbox: %w", err)
	}
	return n, nil
}

// alive reports whether the process that claimed a message may still be sending it. A
// claimer on another host, or one whose state cannot be known, counts as alive.
func (o *Outbox) alive(claimer string) bool {
	if claimer == o.claimer {
		return true
	}
	host, pidText, ok := strings.Cut(claimer, "/")
	pid, err := strconv.Atoi(pidText)
	if me, _ := os.Hostname(); !ok || err != nil || host != me {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return !(errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH))
}

// Run recovers interrupted messages, then sends every due message, sleeping until the next
// is due or Queue, Resend or Wake is called, until ctx ends. It returns ctx's error, or the
// database's when it fails.
func (o *Outbox) Run(ctx context.Context) error {
	if _, err := o.Recover(ctx); err != nil {
		return err
	}
	for {
		if err := o.SendDue(ctx); err != nil && ctx.Err() == nil {
			o.opts.Log.Warn("outbox", "err", err)
		}
		wait := time.Hour
		if at, ok, err := o.store.NextOutboxAttempt(ctx); err == nil && ok {
			wait = max(at.Sub(o.opts.Now()), 0)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// SendDue sends every message due now, one after the other, then appends the Sent copies
// still to be made. A message's failure is recorded on it, not returned; the error is the
// database's.
func (o *Outbox) SendDue(ctx context.Context) error {
	for ctx.Err() == nil {
		it, err := o.store.ClaimOutbox(ctx, o.claimer, o.opts.Now())
		if errors.Is(err, data.ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		o.notify(it)
		if err := o.send(ctx, it); err != nil {
			return err
		}
	}
	copies, err := o.store.PendingSentCopies(ctx)
	if err != nil {
		return err
	}
	for _, it := range copies {
		if ctx.Err() != nil {
			break
		}
		if err := o.copyToSent(ctx, it, nil); err != nil {
			return err
		}
	}
	return nil
}

// prepared is a message ready to go: its settings, password and MIME form.
type prepared struct {
	settings SendSettings
	password string
	out      *OutMessage
	msg      *Message
	size     int64
	box      *data.Mailbox
}

// prepare reads what sending it needs and builds its message.
func (o *Outbox) prepare(ctx context.Context, it *data.OutboxItem) (*prepared, error) {
	mb, err := o.store.Mailbox(ctx, it.MailboxID)
	if err != nil {
		return nil, fmt.Errorf("mailbox of outbox message %d: %w", it.ID, err)
	}
	p, err := o.store.Get(ctx, mb.ProviderID)
	if err != nil {
		return nil, fmt.Errorf("provider of %s: %w", mb.Address, err)
	}
	password, err := mailboxSecret(ctx, o.secrets, p, mb)
	if err != nil {
		return nil, err
	}
	out, err := CheckComposition(&it.Composition, true)
	if err != nil {
		return nil, err
	}
	out.MessageID, out.Date = it.MessageID, it.Date
	msg, err := BuildMessage(out)
	if err != nil {
		return nil, err
	}
	size, err := MessageSize(msg)
	if err != nil {
		return nil, err
	}
	s := SendSettingsFor(p, mb.Login, &Trust{Roots: o.opts.Roots, Pins: o.store})
	if o.opts.Progress != nil {
		s.Progress = func(sent, total int64) { o.opts.Progress(it.ID, sent, total) }
	}
	return &prepared{settings: s, password: password, out: out, msg: msg, size: size, box: mb}, nil
}

// send sends a claimed message and records the outcome; it returns only the database's errors.
func (o *Outbox) send(ctx context.Context, it *data.OutboxItem) error {
	p, err := o.prepare(ctx, it)
	if err == nil {
		err = Send(ctx, p.settings, p.password, p.out, p.msg, p.size)
		forgetRefused(o.secrets, p.box, err)
	}
	bg := context.WithoutCancel(ctx)
	var serr error
	switch {
	case err == nil:
		copy := data.SentCopySkipped
		if p.settings.SaveCopy {
			copy = data.SentCopyPending
		}
		if serr = o.store.MarkOutboxSent(bg, it.ID, copy); serr == nil && copy == data.SentCopyPending {
			o.changed(bg, it.ID)
			return o.copyToSent(ctx, it, p)
		}
	case errors.Is(err, ErrOutcomeUnknown):
		o.opts.Log.Warn("send: outcome unknown", "id", it.ID, "err", err)
		serr = o.store.InterruptOutbox(bg, it.ID, Explain(err))
	case Temporary(err):
		o.opts.Log.Info("send: will retry", "id", it.ID, "attempt", it.Attempts, "err", err)
		serr = o.store.RetryOutbox(bg, it.ID, o.opts.Now().Add(o.opts.Backoff(it.Attempts)), Explain(err))
	default:
		o.opts.Log.Warn("send: refused", "id", it.ID, "err", err)
		serr = o.store.FailOutbox(bg, it.ID, Explain(err))
	}
	o.changed(bg, it.ID)
	return serr
}

// copyToSent appends the Sent copy of sent message it, unless another Mailroom does; p is
// its prepared form when at hand. A failure is recorded on the message and tried again on
// the next SendDue.
func (o *Outbox) copyToSent(ctx context.Context, it *data.OutboxItem, p *prepared) error {
	bg := context.WithoutCancel(ctx)
	if err := o.store.ClaimSentCopy(bg, it.ID, o.claimer); errors.Is(err, data.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	var err error
	if p == nil {
		p, err = o.prepare(ctx, it)
	}
	if err == nil {
		err = AppendSent(ctx, p.settings.Settings, p.password, p.msg, p.size, it.Date)
	}
	result, reason := data.SentCopyDone, ""
	if err != nil {
		o.opts.Log.Warn("send: Sent copy", "id", it.ID, "err", err)
		result, reason = data.SentCopyPending, "Sent, but the copy for your Sent folder was not saved yet: "+Explain(err)
	}
	serr := o.store.SentCopyResult(bg, it.ID, result, reason)
	o.changed(bg, it.ID)
	return serr
}

// changed tells OnChange the current state of message id.
func (o *Outbox) changed(ctx context.Context, id int64) {
	if o.opts.OnChange == nil {
		return
	}
	if it, err := o.store.OutboxItem(ctx, id); err == nil {
		o.notify(it)
	}
}

func (o *Outbox) notify(it *data.OutboxItem) {
	if o.opts.OnChange != nil {
		o.opts.OnChange(it)
	}
}
