package mailclient

import (
	"context"
	"errors"
	"fmt"

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
}

// Errors of message actions; Explain turns each into a sentence.
var (
	// ErrFolderChanged: the server renumbered the folder since the last sync (UIDVALIDITY).
	ErrFolderChanged = errors.New("the folder changed on the server since the last sync")
	// ErrNoTrash: the mailbox has no folder marked as Trash to move deleted messages to.
	ErrNoTrash = errors.New("the mailbox has no Trash folder")
	// ErrMessageGone: the server no longer has the message.
	ErrMessageGone = errors.New("the message is no longer on the server")
)

// Mail reads and changes the messages of the stored mailboxes. Each action connects to the
// server the way the connection test does, with the saved password and pins.
type Mail struct {
	Store   MessageStore
	Secrets SecretStore
	// Changed, when not nil, is called after a message's stored row changed (an action
	// applied it at once, or reverted it when the server refused), so a list can redraw it.
	Changed func(id int64)
}

func (a *Mail) changed(id int64) {
	if a.Changed != nil {
		a.Changed(id)
	}
}

// target is a message with its folder and mailbox, loaded for an action.
type target struct {
	msg    *data.Message
	folder *data.Folder
	box    *data.Mailbox
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
	box, err := a.Store.Mailbox(ctx, f.MailboxID)
	if err != nil {
		return nil, err
	}
	return &target{msg: msg, folder: f, box: box}, nil
}

// withFolder connects for t's mailbox, selects t's folder (read-write) and runs fn.
func (a *Mail) withFolder(ctx context.Context, t *target, fn func(ic *imapConn) error) error {
	s, password, err := mailboxSettings(ctx, a.Store, a.Secrets, t.box)
	if err != nil {
		return err
	}
	ic, err := dialIMAP(ctx, s, password, nil)
	if err != nil {
		return canceledOr(ctx, err)
	}
	defer ic.close()
	sel, err := ic.Select(t.folder.Name, nil).Wait()
	if err != nil {
		return canceledOr(ctx, ic.failed("Select "+t.folder.Name, wrapIMAP("SELECT", err)))
	}
	if sel.UIDValidity != t.folder.UIDValidity {
		return fmt.Errorf("%s: %w", t.folder.Name, ErrFolderChanged)
	}
	return canceledOr(ctx, ic.failed(t.folder.Name, fn(ic)))
}

// OpenMessage returns message id made readable. The first time, it fetches the body
// (BODY.PEEK[], at most MaxBodySize bytes), caches it for reading offline and for search,
// and marks the message read (\Seen) on the server and here. An unread message whose body
// is cached is marked read too. When only marking it read fails, the Reading is returned
// with the error.
func (a *Mail) OpenMessage(ctx context.Context, id int64) (*Reading, error) {
	t, err := a.load(ctx, id)
	if err != nil {
		return nil, err
	}
	raw, truncated, err := a.Store.MessageBody(ctx, id)
	if errors.Is(err, data.ErrNotFound) {
		return a.fetchBody(ctx, t)
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

func (a *Mail) fetchBody(ctx context.Context, t *target) (*Reading, error) {
	var rd *Reading
	var seenErr error
	err := a.withFolder(ctx, t, func(ic *imapConn) error {
		section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: MaxBodySize}}
		defer ic.guard.expectBody(t.msg.Size)()
		bufs, err := ic.Fetch(imap.UIDSetNum(imap.UID(t.msg.UID)), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return wrapIMAP("FETCH BODY", err)
		}
		if len(bufs) == 0 || len(bufs[0].BodySection) == 0 {
			return ErrMessageGone
		}
		raw := bufs[0].BodySection[0].Bytes
		truncated := t.msg.Size > MaxBodySize
		rd = ParseMessage(raw)
		rd.Truncated = rd.Truncated || truncated
		if err := a.Store.SaveMessageBody(ctx, t.msg.ID, raw, truncated, rd.Subject+"\n"+rd.Text); err != nil {
			return err
		}
		if !t.msg.Flags.Seen {
			seenErr = a.storeFlag(ctx, ic, t, imap.FlagSeen, true)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rd, seenErr
}

// SetSeen marks message id read or unread: here at once, then on the server; when the
// server refuses, the change is undone here and the error returned.
func (a *Mail) SetSeen(ctx context.Context, id int64, seen bool) error {
	return a.setFlag(ctx, id, imap.FlagSeen, seen)
}

// SetFlagged flags or unflags message id, as SetSeen does.
func (a *Mail) SetFlagged(ctx context.Context, id int64, flagged bool) error {
	return a.setFlag(ctx, id, imap.FlagFlagged, flagged)
}

func (a *Mail) setFlag(ctx context.Context, id int64, flag imap.Flag, on bool) error {
	t, err := a.load(ctx, id)
	if err != nil {
		return err
	}
	return a.withFolder(ctx, t, func(ic *imapConn) error { return a.storeFlag(ctx, ic, t, flag, on) })
}

// storeFlag applies flag locally, then on the server, reverting locally on failure.
func (a *Mail) storeFlag(ctx context.Context, ic *imapConn, t *target, flag imap.Flag, on bool) error {
	old := t.msg.Flags
	next := old
	switch flag {
	case imap.FlagSeen:
		next.Seen = on
	case imap.FlagFlagged:
		next.Flagged = on
	}
	if err := a.Store.SetFlags(ctx, t.msg.ID, next); err != nil {
		return err
	}
	a.changed(t.msg.ID)
	op := imap.StoreFlagsAdd
	if !on {
		op = imap.StoreFlagsDel
	}
	err := ic.Store(imap.UIDSetNum(imap.UID(t.msg.UID)), &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{flag}}, nil).Close()
	if err != nil {
		return a.revert(ctx, t, old, wrapIMAP("STORE", err))
	}
	t.msg.Flags = next
	return nil
}

// revert puts back the flags of t's message after the server refused a change.
func (a *Mail) revert(ctx context.Context, t *target, old data.Flags, cause error) error {
	if err := a.Store.SetFlags(context.WithoutCancel(ctx), t.msg.ID, old); err != nil {
		return errors.Join(cause, err)
	}
	a.changed(t.msg.ID)
	return cause
}

// Delete moves message id to the mailbox's Trash (with MOVE where the server offers it,
// else COPY, \Deleted and EXPUNGE); a message already in Trash is deleted for good. It
// disappears from the list at once and comes back when the server refuses. It fails with
// ErrNoTrash when the mailbox has no Trash folder.
func (a *Mail) Delete(ctx context.Context, id int64) error {
	t, err := a.load(ctx, id)
	if err != nil {
		return err
	}
	trash, err := a.trashOf(ctx, t.box.ID)
	if err != nil {
		return err
	}
	old := t.msg.Flags
	gone := old
	gone.Deleted = true
	if err := a.Store.SetFlags(ctx, id, gone); err != nil {
		return err
	}
	a.changed(id)
	err = a.withFolder(ctx, t, func(ic *imapConn) error {
		if t.folder.ID == trash.ID {
			return expungeUID(ic, t.msg.UID)
		}
		return moveUID(ic, t.msg.UID, trash.Name)
	})
	if err != nil {
		return a.revert(ctx, t, old, err)
	}
	if err := a.Store.RemoveMessages(ctx, t.folder.ID, []uint32{t.msg.UID}); err != nil {
		return err
	}
	a.changed(id)
	return nil
}

func (a *Mail) trashOf(ctx context.Context, mailboxID int64) (*data.Folder, error) {
	fs, err := a.Store.Folders(ctx, mailboxID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.Role == data.RoleTrash {
			return f, nil
		}
	}
	return nil, ErrNoTrash
}

// moveUID moves one message to folder: MOVE where offered, else COPY, \Deleted, EXPUNGE.
func moveUID(ic *imapConn, uid uint32, folder string) error {
	set := imap.UIDSetNum(imap.UID(uid))
	if ic.has(imap.CapMove) {
		if _, err := ic.Move(set, folder).Wait(); err != nil {
			return wrapIMAP("MOVE", err)
		}
		return nil
	}
	if _, err := ic.Copy(set, folder).Wait(); err != nil {
		return wrapIMAP("COPY", err)
	}
	return expungeUID(ic, uid)
}

// expungeUID sets \Deleted on one message and expunges it: only it with UIDPLUS, else every
// message of the folder marked deleted, as other clients expect EXPUNGE to do.
func expungeUID(ic *imapConn, uid uint32) error {
	set := imap.UIDSetNum(imap.UID(uid))
	if err := ic.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return wrapIMAP("STORE", err)
	}
	var err error
	if ic.has(imap.CapUIDPlus) {
		err = ic.UIDExpunge(set).Close()
	} else {
		err = ic.Expunge().Close()
	}
	if err != nil {
		return wrapIMAP("EXPUNGE", err)
	}
	return nil
}
