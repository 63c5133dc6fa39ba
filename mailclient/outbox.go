package mailclient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
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
	ResendOutbox(ctx context.Context, id int64, c *data.Composition, spool string) error
	RecoverOutbox(ctx context.Context, alive func(claimer string) bool, reason string) (int, error)
	MarkOutboxDataEnded(ctx context.Context, id int64) error
	WriteSpool(write func(io.Writer) error) (name string, size int64, err error)
	OpenSpool(name string) (*os.File, error)
	RemoveSpool(name string) error
	CleanSpool(ctx context.Context, before time.Time) (int, error)
	ScheduleOutboxNow(ctx context.Context, now time.Time) (int, error)
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
	// Mail, when not nil, makes the Sent copies on the command connection of each
	// mailbox's worker (with the mailbox's pins; Roots is for sending) instead of on a
	// connection of their own: the process's one Mail, so sending logs in to IMAP no more.
	Mail *Mail
}

// DefaultBackoff waits 30 seconds after the first temporary failure, doubling up to 30 minutes.
func DefaultBackoff(attempts int) time.Duration {
	return CappedBackoff(30*time.Second, 30*time.Minute, max(attempts, 1))
}

// StoppedReason is the LastError of a message whose sending was cancelled before its end
// reached the server: nothing was delivered, and it is sent the next time the outbox runs.
const StoppedReason = "Sending was stopped before the message left; it is sent the next time Mailroom sends mail."

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
	return &Outbox{store: store, secrets: withTokens(secrets), opts: opts, claimer: host + "/" + strconv.Itoa(os.Getpid()),
		wake: make(chan struct{}, 1)}
}

// Queue checks c (see CheckComposition) and puts it in the outbox from mailbox c.MailboxID,
// with a new Message-ID and the date now, deleting draft draftID (0 for none) at the same
// moment; Run sends it. The message is written whole, attachments included, when it is
// queued (see snapshot): a file changed or deleted afterwards changes nothing. It fails with a
// *data.ValidationError (an attachment that cannot be read now is one, for FieldAttachments),
// ErrEmptySubject (unless allowEmptySubject), or data.ErrNotFound for an unknown mailbox or draft.
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
	if it.Spool, err = o.snapshot(out, it.MessageID, it.Date); err != nil {
		return nil, err
	}
	if err := o.store.Enqueue(ctx, it, draftID); err != nil {
		o.store.RemoveSpool(it.Spool)
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
	spool := ""
	if c != nil {
		out, err := CheckComposition(c, allowEmptySubject)
		if err != nil {
			return err
		}
		it, err := o.store.OutboxItem(ctx, id)
		if err != nil {
			return fmt.Errorf("resend: %w", err)
		}
		if spool, err = o.snapshot(out, it.MessageID, it.Date); err != nil {
			return err
		}
	}
	if err := o.store.ResendOutbox(ctx, id, c, spool); err != nil {
		o.store.RemoveSpool(spool)
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

// snapshot writes the message out is (with id and date) to the spool, whole, as it will go
// out, and returns the spool file's name. The attachments are read a buffer at a time. An
// attachment that cannot be read fails it with a *data.ValidationError for FieldAttachments.
func (o *Outbox) snapshot(out *OutMessage, id string, date time.Time) (string, error) {
	out.MessageID, out.Date = id, date
	msg, err := BuildMessage(out)
	if err == nil {
		var name string
		name, _, err = o.store.WriteSpool(func(w io.Writer) error { _, err := msg.WriteTo(w); return err })
		if err == nil {
			return name, nil
		}
	}
	var ae *AttachmentError
	if errors.As(attachmentCause(err), &ae) {
		return "", &data.ValidationError{Fields: []*data.FieldError{{Field: FieldAttachments, Msg: ae.sentence()}}}
	}
	return "", fmt.Errorf("queue: %w", err)
}

// spoolAge is how old a spool file no message names must be before Recover removes it: a
// younger one may be about to be queued by another Mailroom.
const spoolAge = time.Hour

// Recover deals with the messages a stopped Mailroom was sending: one it stopped before the
// end of the message reached the server is queued again (nobody can have it); the others
// become interrupted, so the person checks Sent before sending them again. It returns how
// many became interrupted, and removes snapshots no message needs. Run calls it first.
func (o *Outbox) Recover(ctx context.Context) (int, error) {
	n, err := o.store.RecoverOutbox(ctx, o.alive, InterruptedReason)
	if err != nil {
		return 0, fmt.Errorf("recover outbox: %w", err)
	}
	if _, err := o.store.CleanSpool(ctx, o.opts.Now().Add(-spoolAge)); err != nil {
		o.opts.Log.Warn("outbox: clean spool", "err", err)
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

// SendNow sends every queued message now, also those pausing after a temporary failure,
// then the Sent copies still to be made, as SendDue does.
func (o *Outbox) SendNow(ctx context.Context) error {
	if _, err := o.store.ScheduleOutboxNow(ctx, o.opts.Now()); err != nil {
		return err
	}
	return o.SendDue(ctx)
}

// Hurry makes every waiting message due now, without the pause after a failure, and wakes Run
// to send them: "Send now" in the window, where Run keeps sending. It returns how many wait.
func (o *Outbox) Hurry(ctx context.Context) (int, error) {
	n, err := o.store.ScheduleOutboxNow(ctx, o.opts.Now())
	if err != nil {
		return 0, err
	}
	o.Wake()
	return n, nil
}

// prepared is a message ready to go: its settings, password and MIME form.
type prepared struct {
	settings SendSettings
	password string
	out      *OutMessage
	msg      io.WriterTo
	size     int64
	box      *data.Mailbox
}

// ErrSnapshotMissing: the file keeping a queued message as it goes out was removed from
// Mailroom's data folder.
var ErrSnapshotMissing = errors.New("the queued message's file is missing")

// prepare reads what sending it needs: its settings, password, recipients and its snapshot.
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
	c := it.Composition
	if it.Spool != "" {
		c.Attachments = nil // in the snapshot; the files themselves may be gone
	}
	out, err := CheckComposition(&c, true)
	if err != nil {
		return nil, err
	}
	out.MessageID, out.Date, out.Attachments = it.MessageID, it.Date, it.Attachments
	msg, size, err := o.message(it, out)
	if err != nil {
		return nil, err
	}
	s := SendSettingsFor(p, mb.Login, &Trust{Roots: o.opts.Roots, Pins: o.store})
	if o.opts.Progress != nil {
		s.Progress = func(sent, total int64) { o.opts.Progress(it.ID, sent, total) }
	}
	s.DataEnding = func() error { return o.store.MarkOutboxDataEnded(context.WithoutCancel(ctx), it.ID) }
	return &prepared{settings: s, password: password, out: out, msg: msg, size: size, box: mb}, nil
}

// message returns what goes out for it, and its size: its snapshot, or, for a message queued
// before Mailroom kept snapshots, the message built from out with the attachments as they are now.
func (o *Outbox) message(it *data.OutboxItem, out *OutMessage) (io.WriterTo, int64, error) {
	if it.Spool == "" {
		msg, err := BuildMessage(out)
		if err != nil {
			return nil, 0, err
		}
		size, err := MessageSize(msg)
		return msg, size, err
	}
	f, err := o.store.OpenSpool(it.Spool)
	if errors.Is(err, data.ErrNotFound) {
		return nil, 0, fmt.Errorf("outbox message %d: %w", it.ID, ErrSnapshotMissing)
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("outbox message %d: %w", it.ID, err)
	}
	return snapshotFile{store: o.store, name: it.Spool}, st.Size(), nil
}

// snapshotFile is a queued message's spool file, written from its start on every WriteTo.
type snapshotFile struct {
	store OutboxStore
	name  string
}

// WriteTo copies the file to w a buffer at a time.
func (f snapshotFile) WriteTo(w io.Writer) (int64, error) {
	file, err := f.store.OpenSpool(f.name)
	if errors.Is(err, data.ErrNotFound) {
		return 0, ErrSnapshotMissing
	}
	if err != nil {
		return 0, err
	}
	defer file.Close()
	return io.Copy(w, onlyReader{file})
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
	case ctx.Err() != nil:
		o.opts.Log.Info("send: stopped", "id", it.ID, "err", err)
		serr = o.store.RetryOutbox(bg, it.ID, o.opts.Now(), StoppedReason)
	case Temporary(err):
		o.opts.Log.Info("send: will retry", "id", it.ID, "attempt", it.Attempts, "err", err)
		serr = o.store.RetryOutbox(bg, it.ID, o.opts.Now().Add(o.opts.Backoff(it.Attempts)), ExplainWaiting(err))
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
	lookFirst := ""
	if cur, err := o.store.OutboxItem(bg, it.ID); err != nil {
		return err
	} else if cur.CopyAttempts > 1 {
		lookFirst = it.MessageID // an earlier attempt may have appended it before it stopped
	}
	var err error
	if p == nil {
		p, err = o.prepare(ctx, it)
	}
	if err == nil {
		var already bool
		if o.opts.Mail != nil {
			already, err = o.opts.Mail.AppendSent(ctx, it.MailboxID, p.msg, p.size, it.Date, it.MessageID, lookFirst != "")
		} else {
			already, err = AppendSent(ctx, p.settings.Settings, p.password, p.msg, p.size, it.Date, lookFirst)
		}
		if already {
			o.opts.Log.Info("send: the Sent copy was there already", "id", it.ID)
		}
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
