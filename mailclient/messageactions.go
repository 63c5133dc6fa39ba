package mailclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"mailroom/data"
)

// MessageStore is what reading and changing messages needs of the database; *data.Store has
// it. Errors are those documented on data.Store.
type MessageStore interface {
	SyncStore
	Mailbox(ctx context.Context, id int64) (*data.Mailbox, error)
	Folder(ctx context.Context, id int64) (*data.Folder, error)
	Message(ctx context.Context, id int64) (*data.Message, error)
	SetFlags(ctx context.Context, id int64, f data.Flags) error
	MessageBody(ctx context.Context, id int64) ([]byte, bool, error)
	MessageBodyState(ctx context.Context, id int64) (cached, truncated bool, err error)
	SaveMessageBody(ctx context.Context, id int64, raw []byte, truncated bool, text string) error
	ActionQueue
}

// ActionQueue is the persistent queue of message actions; *data.Store has it (see its
// methods for what each does and returns).
type ActionQueue interface {
	QueueAction(ctx context.Context, a *data.Action) error
	QueueFolderSeen(ctx context.Context, folderID int64) (*data.Action, error)
	ClaimAction(ctx context.Context, mailboxID int64, hold time.Duration) (*data.Action, error)
	CompleteAction(ctx context.Context, id int64, destUIDValidity, destUID uint32) error
	FailAction(ctx context.Context, id int64, reason string) (*data.Action, error)
	DeferAction(ctx context.Context, id int64, reason string) error
	CancelAction(ctx context.Context, id int64) (bool, error)
	LastDelete(ctx context.Context, messageID int64) (*data.Action, error)
	MailboxesWithActions(ctx context.Context) ([]int64, error)
	Action(ctx context.Context, id int64) (*data.Action, error)
}

// Errors of message actions; Explain turns each into a sentence.
var (
	// ErrFolderChanged: the server renumbered the folder since the last sync (UIDVALIDITY).
	ErrFolderChanged = errors.New("the folder changed on the server since the last sync")
	// ErrNoTrash: the mailbox has no folder marked as Trash to move deleted messages to.
	ErrNoTrash = errors.New("the mailbox has no Trash folder")
	// ErrMessageGone: the server no longer has the message.
	ErrMessageGone = errors.New("the message is no longer on the server")
	// ErrOtherMailbox: a message can be moved only to a folder of its own mailbox.
	ErrOtherMailbox = errors.New("the folder belongs to another mailbox")
	// ErrCannotUndo: the delete was made on a server that did not say where it put the
	// message, or was a delete for good.
	ErrCannotUndo = errors.New("the delete can no longer be undone")
)

// Mail reads and changes the messages of the stored mailboxes. Each mailbox has one worker
// with one long-lived IMAP connection (made as the connection test makes it, with the saved
// password and pins) that opens messages and applies the actions of the mailbox's queue.
// Actions show in the cache at once and wait in the queue, across restarts, until the
// server has applied them. The zero value with Store and Secrets set is ready; Close ends it.
type Mail struct {
	Store   MessageStore
	Secrets SecretStore
	// Changed, when not nil, is called after a message's stored row changed (an action
	// applied it at once, or reverted it when the server refused), so a list can redraw it.
	Changed func(id int64)
	// FolderChanged, when not nil, is called after an action changed many messages of a
	// folder in the cache (Mark all read, or its revert).
	FolderChanged func(folderID int64)
	// Failed, when not nil, is told of a queued action the server refused for good, after
	// the cache was put back, with why. It is called on a worker's goroutine.
	Failed func(a *data.Action, err error)
	// Log, when not nil, gets what the workers could not do, with the whole error chain.
	Log *slog.Logger

	mu      sync.Mutex
	life    context.Context
	end     context.CancelFunc
	workers map[int64]*worker // mailbox id -> its worker
}

func (a *Mail) changed(id int64) {
	if a.Changed != nil && id != 0 {
		a.Changed(id)
	}
}

func (a *Mail) logf(msg string, args ...any) {
	if a.Log != nil {
		a.Log.Warn(msg, args...)
	}
}

// workerOf returns the worker of mailbox id, starting it the first time.
func (a *Mail) workerOf(id int64) *worker {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workers == nil {
		a.workers = map[int64]*worker{}
		a.life, a.end = context.WithCancel(context.Background())
	}
	w := a.workers[id]
	if w == nil {
		w = newWorker(a.life, a, id)
		a.workers[id] = w
	}
	return w
}

// Resume starts the worker of every mailbox with actions left in the queue (by a Mailroom
// that was killed, or that stopped while the server could not be reached), so they are
// applied now. It fails with the store's error.
func (a *Mail) Resume(ctx context.Context) error {
	ids, err := a.Store.MailboxesWithActions(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a.workerOf(id).poke()
	}
	return nil
}

// Close ends every worker, logging its connection out; actions not yet applied stay queued
// for the next Resume or action. Mail can be used again after.
func (a *Mail) Close() {
	a.mu.Lock()
	ws, end := a.workers, a.end
	a.workers = nil
	a.mu.Unlock()
	if end != nil {
		end()
	}
	for _, w := range ws {
		<-w.ended
	}
}

// withFolder runs fn on the command connection of folder f's mailbox with f selected, in
// turn with the mailbox's other requests and actions; fn must not keep ic. It fails with
// ErrFolderChanged when the server's UIDVALIDITY of f is not the cached one, with ctx's
// error when ctx ends (which closes the connection), or with fn's. fn runs once: a
// connection found dead is not retried, as fn may have written part of its output.
func (a *Mail) withFolder(ctx context.Context, f *data.Folder, fn func(ic *imapConn) error) error {
	return a.workerOf(f.MailboxID).do(ctx, f, false, fn)
}

// target is a message with its folder, loaded for an action.
type target struct {
	msg    *data.Message
	folder *data.Folder
}

func (a *Mail) load(ctx context.Context, id int64) (*target, error) {
	msg, err := a.Store.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	f, err := a.Store.Folder(ctx, msg.FolderID)
	if err != nil {
		return nil, err
	}
	return &target{msg: msg, folder: f}, nil
}

// OpenMessage returns message id made readable. The first time, it fetches the body
// (BODY.PEEK[], at most MaxBodySize bytes) on the mailbox's connection, caches it for
// reading offline and for search, and marks the message read (\Seen) here and through the
// queue on the server. An unread message whose body is cached is marked read too. When only
// marking it read fails (or waits for the server: ErrQueued), the Reading is returned with
// the error.
func (a *Mail) OpenMessage(ctx context.Context, id int64) (*Reading, error) {
	t, err := a.load(ctx, id)
	if err != nil {
		return nil, err
	}
	raw, truncated, err := a.Store.MessageBody(ctx, id)
	if errors.Is(err, data.ErrNotFound) {
		raw, truncated, err = a.fetchBody(ctx, t)
	}
	if err != nil {
		return nil, err
	}
	rd := ParseMessage(raw)
	rd.Truncated = rd.Truncated || truncated
	if !t.msg.Flags.Seen {
		return rd, a.SetSeen(ctx, id, true)
	}
	return rd, nil
}

func (a *Mail) fetchBody(ctx context.Context, t *target) (raw []byte, truncated bool, err error) {
	err = a.workerOf(t.folder.MailboxID).do(ctx, t.folder, true, func(ic *imapConn) error {
		section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: MaxBodySize}}
		defer ic.guard.expectBody(t.msg.Size)()
		bufs, err := ic.Fetch(imap.UIDSetNum(imap.UID(t.msg.UID)), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return wrapIMAP("FETCH BODY", err)
		}
		if len(bufs) == 0 || len(bufs[0].BodySection) == 0 {
			return ErrMessageGone
		}
		raw = bufs[0].BodySection[0].Bytes
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	truncated = t.msg.Size > MaxBodySize
	rd := ParseMessage(raw)
	if err := a.Store.SaveMessageBody(ctx, t.msg.ID, raw, truncated, rd.Subject+"\n"+rd.Text); err != nil {
		return nil, false, err
	}
	return raw, truncated, nil
}

// SetSeen marks message id read or unread: here at once, then on the server through the
// queue. It returns nil once the server applied it; the server's refusal (the change is
// undone here); or an error wrapping ErrQueued when the server cannot be reached now (the
// change stays, and is made when it answers).
func (a *Mail) SetSeen(ctx context.Context, id int64, seen bool) error {
	return a.queue(ctx, &data.Action{MessageID: id, Kind: data.ActionSeen, Value: seen})
}

// SetFlagged flags or unflags message id, as SetSeen does.
func (a *Mail) SetFlagged(ctx context.Context, id int64, flagged bool) error {
	return a.queue(ctx, &data.Action{MessageID: id, Kind: data.ActionFlagged, Value: flagged})
}

// Delete moves message id to the mailbox's Trash (with MOVE where the server offers it,
// else COPY, \Deleted and EXPUNGE); a message already in Trash is deleted for good. It
// disappears from the list at once and comes back when the server refuses; Restore undoes
// it. It fails with ErrNoTrash when the mailbox has no Trash folder; otherwise as SetSeen.
func (a *Mail) Delete(ctx context.Context, id int64) error {
	t, err := a.load(ctx, id)
	if err != nil {
		return err
	}
	trash, err := a.roleFolder(ctx, t.folder.MailboxID, data.RoleTrash)
	if err != nil {
		return err
	}
	if t.folder.ID == trash.ID {
		return a.queue(ctx, &data.Action{MessageID: id, Kind: data.ActionExpunge, IsDelete: true})
	}
	return a.queue(ctx, &data.Action{MessageID: id, Kind: data.ActionMove, TargetID: trash.ID, IsDelete: true})
}

// Move moves message id to folder folderID of its mailbox: it leaves its list at once and
// shows in the other folder once the server has moved it. It fails with ErrOtherMailbox
// for a folder of another mailbox; otherwise as SetSeen.
func (a *Mail) Move(ctx context.Context, id, folderID int64) error {
	t, err := a.load(ctx, id)
	if err != nil {
		return err
	}
	to, err := a.Store.Folder(ctx, folderID)
	if err != nil {
		return err
	}
	if to.MailboxID != t.folder.MailboxID {
		return fmt.Errorf("move message %d to %s: %w", id, to.Name, ErrOtherMailbox)
	}
	if to.ID == t.folder.ID {
		return nil
	}
	return a.queue(ctx, &data.Action{MessageID: id, Kind: data.ActionMove, TargetID: to.ID})
}

// MarkFolderRead marks every unread message of folder folderID read: here at once, then on
// the server with one STORE over their UIDs. Errors as SetSeen.
func (a *Mail) MarkFolderRead(ctx context.Context, folderID int64) error {
	act, err := a.Store.QueueFolderSeen(ctx, folderID)
	if err != nil || act == nil {
		return err
	}
	a.folderChanged(folderID)
	return a.workerOf(act.MailboxID).wait(ctx, act.ID)
}

func (a *Mail) folderChanged(id int64) {
	if a.FolderChanged != nil {
		a.FolderChanged(id)
	}
}

// Restore undoes the Delete of message id: a delete still waiting in the queue is taken
// back (the message is back in its list at once); one already made is undone by moving the
// message from Trash back to its folder. It fails with data.ErrNothingToUndo when the
// message was not deleted here, ErrCannotUndo when the delete was for good or the server
// did not say where it put the message; otherwise as SetSeen.
func (a *Mail) Restore(ctx context.Context, id int64) error {
	del, err := a.Store.LastDelete(ctx, id)
	if err != nil {
		return err
	}
	if del.State == data.ActionPending {
		ok, err := a.Store.CancelAction(ctx, del.ID)
		if err != nil {
			return err
		}
		if ok {
			a.changed(id)
			return nil
		}
	}
	if del.State != data.ActionDone { // being applied: undo what it did once it is done
		if err := a.workerOf(del.MailboxID).wait(ctx, del.ID); err != nil && !errors.Is(err, ErrQueued) {
			return nil // refused: the message is back already
		}
		if del, err = a.Store.LastDelete(ctx, id); err != nil {
			return err
		}
		if del.State != data.ActionDone {
			return fmt.Errorf("restore message %d: %w", id, ErrQueued)
		}
	}
	if del.Kind != data.ActionMove {
		return fmt.Errorf("restore message %d: %w", id, ErrCannotUndo)
	}
	back := &data.Action{Kind: data.ActionMove, TargetID: del.FolderID, Undoes: del.ID}
	if msg, err := a.Store.Message(ctx, id); err == nil && msg.FolderID == del.TargetID {
		back.MessageID = id
	} else if del.DestUID != 0 {
		back.FolderID, back.UIDs = del.TargetID, fmt.Sprint(del.DestUID)
	} else {
		return fmt.Errorf("restore message %d: %w", id, ErrCannotUndo)
	}
	return a.queue(ctx, back)
}

// queue records act in the cache and the queue, and waits for the server's outcome.
func (a *Mail) queue(ctx context.Context, act *data.Action) error {
	if err := a.Store.QueueAction(ctx, act); err != nil {
		return err
	}
	a.changed(act.MessageID)
	return a.workerOf(act.MailboxID).wait(ctx, act.ID)
}

// roleFolder returns the folder of mailbox mailboxID with role; ErrNoTrash when none.
func (a *Mail) roleFolder(ctx context.Context, mailboxID int64, role data.FolderRole) (*data.Folder, error) {
	fs, err := a.Store.Folders(ctx, mailboxID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Role == role {
			return f, nil
		}
	}
	return nil, ErrNoTrash
}

// Append stores raw, a whole message, as a new message of folder folderID (a draft, a copy
// of one sent) with flags, on the mailbox's connection in turn with its other work, and
// returns its UID when the server says (UIDPLUS), else 0. It is not queued: it fails, with
// the server's refusal or the connection's error, when the server cannot take it now.
func (a *Mail) Append(ctx context.Context, folderID int64, flags data.Flags, raw []byte) (uint32, error) {
	f, err := a.Store.Folder(ctx, folderID)
	if err != nil {
		return 0, err
	}
	var uid uint32
	err = a.workerOf(f.MailboxID).do(ctx, nil, false, func(ic *imapConn) error {
		cmd := ic.Append(f.Name, int64(len(raw)), &imap.AppendOptions{Flags: imapFlags(flags)})
		if _, err := cmd.Write(raw); err != nil {
			cmd.Close()
			return wrapIMAP("APPEND", err)
		}
		if err := cmd.Close(); err != nil {
			return wrapIMAP("APPEND", err)
		}
		res, err := cmd.Wait()
		if err != nil {
			return wrapIMAP("APPEND", err)
		}
		uid = uint32(res.UID)
		return nil
	})
	return uid, err
}

// imapFlags translates the system flags of f for the server.
func imapFlags(f data.Flags) []imap.Flag {
	var out []imap.Flag
	for _, x := range []struct {
		on   bool
		flag imap.Flag
	}{{f.Seen, imap.FlagSeen}, {f.Flagged, imap.FlagFlagged}, {f.Answered, imap.FlagAnswered}, {f.Draft, imap.FlagDraft}} {
		if x.on {
			out = append(out, x.flag)
		}
	}
	return out
}
