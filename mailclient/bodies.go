package mailclient

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"mailroom/data"
)

// BodyStore is what downloading message bodies needs of the database; *data.Store has it.
// Errors are those documented on data.Store.
type BodyStore interface {
	PinSource
	Get(ctx context.Context, id int64) (*data.Provider, error)
	Folders(ctx context.Context, mailboxID int64) ([]*data.Folder, error)
	KeepMessages(ctx context.Context, mailboxID int64) (bool, error)
	MissingBodies(ctx context.Context, folderID int64, from time.Time, after data.Cursor, limit int) ([]data.MissingBody, error)
	SaveMessageBodies(ctx context.Context, bodies []data.Body) error
}

// BodyOptions tune DownloadBodies.
type BodyOptions struct {
	// Pause is the rest between two batches, so that the download leaves the connection
	// and the server room for what the person does meanwhile; 0 for DefaultBodyPause.
	Pause time.Duration
	// Progress, when not nil, is told after each stored batch how many bodies are stored so
	// far in folder (of the ones missing when it started there). Its calls never overlap.
	Progress func(folder string, done int)
}

// DefaultBodyPause is the rest between two batches of DownloadBodies.
const DefaultBodyPause = 100 * time.Millisecond

// bodyBatch bounds one FETCH of bodies: at most this many messages, and no more bytes
// than bodyBatchBytes unless a single message is larger.
const (
	bodyBatch      = 50
	bodyBatchBytes = 4 << 20
)

// DownloadBodies downloads into the cache, where an opened message's body is kept, the
// bodies of mailbox m's messages from its "Load emails from" date on that are not cached
// yet, newest first, folder by folder, when m keeps messages on this computer (otherwise
// it does nothing): so that search finds words in every message and they read offline.
// Each batch (BODY.PEEK[], at most MaxBodySize bytes a message, nothing marked read) is
// stored in one transaction, so it is resumable: cancelling ctx stops it at once, and the
// next call continues with what is still missing. A folder renumbered on the server since
// the last sync (UIDVALIDITY) is left for the sync. Run it after SyncMailbox; it uses its
// own connection (DownloadBodiesVia uses a Mail's). It returns how many bodies it stored, and on failure an error Explain
// turns into a sentence.
func DownloadBodies(ctx context.Context, store BodyStore, secrets SecretStore, m *data.Mailbox, opt BodyOptions) (int, error) {
	return downloadBodies(ctx, &bodyDownload{store: store, m: m, opt: opt}, secrets)
}

// DownloadBodiesVia is DownloadBodies over mail's connection to m's server (the mailbox's
// worker, between the person's actions), so that keeping messages on this computer opens no
// connection of its own.
func DownloadBodiesVia(ctx context.Context, mail *Mail, store BodyStore, m *data.Mailbox, opt BodyOptions) (int, error) {
	return downloadBodies(ctx, &bodyDownload{store: store, m: m, opt: opt, via: mail.withFolder}, nil)
}

// downloadBodies is one run of DownloadBodies: the missing bodies of every synced folder of
// d's mailbox, when it keeps its messages on this computer.
func downloadBodies(ctx context.Context, d *bodyDownload, secrets SecretStore) (int, error) {
	keep, err := d.store.KeepMessages(ctx, d.m.ID)
	if err != nil || !keep {
		return 0, err
	}
	if d.opt.Pause <= 0 {
		d.opt.Pause = DefaultBodyPause
	}
	folders, err := d.store.Folders(ctx, d.m.ID)
	if err != nil {
		return 0, err
	}
	defer func() {
		if d.ic != nil {
			d.ic.close()
		}
	}()
	for _, f := range folders {
		if !f.Selectable || f.UIDNext == 0 {
			continue // never synced: no headers to add bodies to
		}
		if err := d.folder(ctx, secrets, f); err != nil {
			return d.stored, canceledOr(ctx, fmt.Errorf("download bodies of %s: %w", f.Name, err))
		}
	}
	return d.stored, nil
}

// bodyDownload is one run of DownloadBodies; it connects at the first folder with
// missing bodies.
type bodyDownload struct {
	store BodyStore
	m     *data.Mailbox
	opt   BodyOptions
	ic    *imapConn // the download's own connection, when it has no via
	// via, when not nil, runs fn on the mailbox's worker connection with folder f selected.
	via    func(ctx context.Context, f *data.Folder, fn func(ic *imapConn) error) error
	stored int
}

// folder downloads the missing bodies of f, a batch at a time, newest first.
func (d *bodyDownload) folder(ctx context.Context, secrets SecretStore, f *data.Folder) error {
	missing, err := d.store.MissingBodies(ctx, f.ID, d.m.LoadFrom, data.Cursor{}, bodyBatch)
	if err != nil || len(missing) == 0 {
		return err
	}
	fetch, err := d.fetcher(ctx, secrets, f)
	if err != nil || fetch == nil {
		return err
	}
	done := 0
	for len(missing) > 0 {
		missing = fitBatch(missing)
		n, err := fetch(missing)
		if err != nil {
			return err
		}
		d.stored, done = d.stored+n, done+n
		if d.opt.Progress != nil {
			d.opt.Progress(f.Name, done)
		}
		select {
		case <-time.After(d.opt.Pause):
		case <-ctx.Done():
			return ctx.Err()
		}
		next := missing[len(missing)-1].At // past the ones this batch took, found or not
		if missing, err = d.store.MissingBodies(ctx, f.ID, d.m.LoadFrom, next, bodyBatch); err != nil {
			return err
		}
	}
	return nil
}

// fetcher returns how batches of folder f are fetched: through the mailbox's worker when the
// download has one (its one connection, which checks f's UIDVALIDITY itself), else over a
// connection of the download's own, made at the first folder with missing bodies and f
// selected read-only on it; nil when f's UIDVALIDITY changed since its sync.
func (d *bodyDownload) fetcher(ctx context.Context, secrets SecretStore, f *data.Folder) (func([]data.MissingBody) (int, error), error) {
	if d.via != nil {
		// A batch on the worker's connection is not cut short when ctx ends (the download
		// giving the mailbox's turn to a sync): that would cost the worker its connection and
		// a new login. The download stops after the batch instead.
		return func(missing []data.MissingBody) (n int, err error) {
			err = d.via(context.WithoutCancel(ctx), f, func(ic *imapConn) error {
				n, err = d.batch(ctx, ic, missing)
				return err
			})
			return n, err
		}, nil
	}
	if d.ic == nil {
		s, password, err := mailboxSettings(ctx, d.store, secrets, d.m)
		if err != nil {
			return nil, err
		}
		if d.ic, err = dialIMAP(ctx, s, password, nil); err != nil {
			return nil, err
		}
	}
	sel, err := d.ic.Select(f.Name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, d.ic.failed("Select "+f.Name, wrapIMAP("SELECT", err))
	}
	if sel.UIDValidity != f.UIDValidity {
		return nil, nil
	}
	return func(missing []data.MissingBody) (int, error) {
		n, err := d.batch(ctx, d.ic, missing)
		if err != nil {
			return n, d.ic.failed(f.Name, err)
		}
		return n, nil
	}, nil
}

// fitBatch returns the first of missing whose bodies together stay within bodyBatchBytes
// (at least one), so that a batch in memory stays a few megabytes.
func fitBatch(missing []data.MissingBody) []data.MissingBody {
	var total int64
	for i, mb := range missing {
		if total += min(mb.Size, MaxBodySize); total > bodyBatchBytes && i > 0 {
			return missing[:i]
		}
	}
	return missing
}

// batch fetches the bodies of missing and stores them in one transaction; it returns how
// many it stored (a message expunged meanwhile has none).
func (d *bodyDownload) batch(ctx context.Context, ic *imapConn, missing []data.MissingBody) (int, error) {
	var set imap.UIDSet
	ids := map[imap.UID]data.MissingBody{}
	var largest int64
	for _, mb := range missing {
		set.AddNum(imap.UID(mb.UID))
		ids[imap.UID(mb.UID)] = mb
		largest = max(largest, mb.Size)
	}
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: MaxBodySize}}
	defer ic.guard.expectBody(largest)()
	cmd := ic.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	var bodies []data.Body
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		b, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return 0, wrapIMAP("FETCH BODY", err)
		}
		mb, ok := ids[b.UID]
		if !ok || len(b.BodySection) == 0 {
			continue
		}
		raw := b.BodySection[0].Bytes
		rd := ParseMessage(raw)
		bodies = append(bodies, data.Body{MessageID: mb.ID, Raw: raw, Truncated: mb.Size > MaxBodySize || rd.Truncated,
			Text: rd.Subject + "\n" + rd.Text})
	}
	if err := cmd.Close(); err != nil {
		return 0, wrapIMAP("FETCH BODY", err)
	}
	return len(bodies), d.store.SaveMessageBodies(ctx, bodies)
}
