package mailclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"mailroom/data"
)

// applied is what applying one queued action came to.
type applied struct {
	err   error
	final bool // err is the server's refusal (or the folder changed): trying again will not help
	// where a move put the message (COPYUID), when the server said
	destValidity, destUID uint32
}

// apply makes queued action a on the server. Applying it twice does what applying it once
// does: flags are set, not toggled; a UID that is no longer in its folder (moved or
// expunged already, maybe by this action before its answer was lost) moves nothing; and the
// UIDs are used only while the folder's UIDVALIDITY is the one they were taken under.
func (w *worker) apply(a *data.Action) applied {
	from, err := w.mail.Store.Folder(w.ctx, a.FolderID)
	if err != nil {
		return applied{err: err, final: errors.Is(err, data.ErrNotFound)}
	}
	if from.UIDValidity != a.UIDValidity {
		return applied{err: fmt.Errorf("%s: %w", from.Name, ErrFolderChanged), final: true}
	}
	var to *data.Folder
	if a.Kind == data.ActionMove {
		if to, err = w.mail.Store.Folder(w.ctx, a.TargetID); err != nil {
			return applied{err: err, final: errors.Is(err, data.ErrNotFound)}
		}
	}
	set := uidSetOf(a.UIDs)
	var o applied
	again := a.Attempts > 0 // it may have been carried out before its answer was lost
	run := func(ic *imapConn) error {
		if again && (a.Kind == data.ActionMove || a.Kind == data.ActionExpunge) {
			var err error
			if set, err = stillThere(ic, set); err != nil || len(set) == 0 {
				return err
			}
		}
		switch a.Kind {
		case data.ActionSeen:
			return storeFlag(ic, set, imap.FlagSeen, a.Value)
		case data.ActionFlagged:
			return storeFlag(ic, set, imap.FlagFlagged, a.Value)
		case data.ActionMove:
			var err error
			o.destValidity, o.destUID, err = moveUIDs(ic, set, to.Name)
			return err
		case data.ActionExpunge:
			return expungeUIDs(ic, set)
		}
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	fresh, err := w.connect(w.ctx)
	if err != nil {
		return applied{err: err}
	}
	err = w.on(w.ctx, from, run)
	if err != nil && w.ic == nil && !fresh && w.ctx.Err() == nil { // the connection had died unnoticed
		if _, err = w.connect(w.ctx); err != nil {
			return applied{err: err}
		}
		again = true
		err = w.on(w.ctx, from, run)
	}
	o.err = err
	var se *ServerError
	o.final = err != nil && w.ic != nil && (errors.As(err, &se) || errors.Is(err, ErrFolderChanged))
	return o
}

// settle records the outcome of action a and tells whoever waits for it.
func (w *worker) settle(a *data.Action, o applied) {
	ctx := context.WithoutCancel(w.ctx)
	switch {
	case o.err == nil:
		w.backoff = 0
		if err := w.mail.Store.CompleteAction(ctx, a.ID, o.destValidity, o.destUID); err != nil {
			w.mail.logf("record applied action", "action", a.ID, "err", err)
		}
		w.changedBy(a)
		w.tell(a.ID, nil)
	case o.final:
		if _, err := w.mail.Store.FailAction(ctx, a.ID, o.err.Error()); err != nil {
			w.mail.logf("put back refused action", "action", a.ID, "err", err)
		}
		w.mail.logf("the server refused an action", "action", a.ID, "kind", a.Kind, "err", o.err)
		w.changedBy(a)
		if w.mail.Failed != nil {
			w.mail.Failed(a, o.err)
		}
		w.tell(a.ID, o.err)
	default:
		if err := w.mail.Store.DeferAction(ctx, a.ID, o.err.Error()); err != nil {
			w.mail.logf("requeue action", "action", a.ID, "err", err)
		}
		if w.ctx.Err() == nil {
			w.mail.logf("action waits for the server", "action", a.ID, "kind", a.Kind, "err", o.err)
			w.later()
		}
		w.tellAll(fmt.Errorf("%w: %w", ErrQueued, o.err)) // the later ones wait too
	}
}

// changedBy tells the listeners which cached rows action a changed.
func (w *worker) changedBy(a *data.Action) {
	if a.MessageID != 0 {
		w.mail.changed(a.MessageID)
	} else {
		w.mail.folderChanged(a.FolderID)
	}
}

// stillThere returns the UIDs of set still in the selected folder. A move or expunge sent
// again asks first, as some servers answer a MOVE of nothing with a COPYUID the client
// cannot read.
func stillThere(ic *imapConn, set imap.UIDSet) (imap.UIDSet, error) {
	msgs, err := ic.Fetch(set, &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		return nil, wrapIMAP("FETCH UID", err)
	}
	var out imap.UIDSet
	for _, m := range msgs {
		out.AddNum(m.UID)
	}
	return out, nil
}

// uidSetOf turns a stored UID set into go-imap's.
func uidSetOf(text string) imap.UIDSet {
	var set imap.UIDSet
	for _, r := range data.UIDRanges(text) {
		set.AddRange(imap.UID(r[0]), imap.UID(r[1]))
	}
	return set
}

// storeFlag sets (on) or clears flag on the messages of set.
func storeFlag(ic *imapConn, set imap.UIDSet, flag imap.Flag, on bool) error {
	op := imap.StoreFlagsAdd
	if !on {
		op = imap.StoreFlagsDel
	}
	if err := ic.Store(set, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{flag}}, nil).Close(); err != nil {
		return wrapIMAP("STORE", err)
	}
	return nil
}

// moveUIDs moves the messages of set to folder: MOVE where offered, else COPY, \Deleted,
// EXPUNGE. It returns where the first one went when the server says (UIDPLUS).
func moveUIDs(ic *imapConn, set imap.UIDSet, folder string) (validity, uid uint32, err error) {
	if ic.has(imap.CapMove) {
		md, err := ic.Move(set, folder).Wait()
		if err != nil {
			return 0, 0, wrapIMAP("MOVE", err)
		}
		if dest, ok := md.DestUIDs.(imap.UIDSet); ok && len(dest) > 0 {
			validity, uid = md.UIDValidity, uint32(dest[0].Start)
		}
		return validity, uid, nil
	}
	cd, err := ic.Copy(set, folder).Wait()
	if err != nil {
		return 0, 0, wrapIMAP("COPY", err)
	}
	if len(cd.DestUIDs) > 0 {
		validity, uid = cd.UIDValidity, uint32(cd.DestUIDs[0].Start)
	}
	return validity, uid, expungeUIDs(ic, set)
}

// expungeUIDs sets \Deleted on the messages of set and expunges them: only them with
// UIDPLUS, else every message of the folder marked deleted, as other clients expect
// EXPUNGE to do.
func expungeUIDs(ic *imapConn, set imap.UIDSet) error {
	if err := storeFlag(ic, set, imap.FlagDeleted, true); err != nil {
		return err
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
