package mailclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// SyncStore is what syncing a mailbox needs of the database; *data.Store has it. Errors are
// those documented on data.Store.
type SyncStore interface {
	PinSource
	Get(ctx context.Context, id int64) (*data.Provider, error)
	SetMailboxState(ctx context.Context, id int64, state data.MailboxState, lastError string) error
	Folders(ctx context.Context, mailboxID int64) ([]*data.Folder, error)
	SaveFolders(ctx context.Context, mailboxID int64, list []data.FolderInfo) error
	ResetFolder(ctx context.Context, id int64, uidValidity uint32) error
	StoreMessages(ctx context.Context, folderID int64, msgs []*data.Message, fetchedUID uint32) error
	UpdateFlags(ctx context.Context, folderID int64, ups []data.FlagUpdate) error
	MessageUIDs(ctx context.Context, folderID int64) ([]uint32, error)
	MessageCount(ctx context.Context, folderID int64) (int, error)
	RemoveMessages(ctx context.Context, folderID int64, uids []uint32) error
	SetFolderSynced(ctx context.Context, id int64, uidNext uint32, highestModSeq uint64) error
	Folder(ctx context.Context, id int64) (*data.Folder, error)
	AcquireFolderLease(ctx context.Context, folderID int64, waiting func(owner string)) (*data.FolderLease, error)
	MarkFoldersUnchanged(ctx context.Context, list []data.FolderUnchanged) error
	FoldersLoadedFrom(ctx context.Context, mailboxID int64) (map[int64]time.Time, error)
	SetFolderLoadedFrom(ctx context.Context, id int64, from time.Time) error
	DropMessagesBefore(ctx context.Context, id int64, before time.Time) (int, error)
}

// DefaultBatch is how many new messages one FETCH asks for and one transaction stores.
const DefaultBatch = 500

// SyncOptions tune one sync.
type SyncOptions struct {
	// Folder limits the sync to the folder of that name ("" for every folder); INBOX in any case.
	Folder string
	// Progress, when not nil, is told for each folder when it starts (0 of 0) and after each
	// stored batch of new messages how many of them are stored. Its calls never overlap and
	// it must not block for long.
	Progress func(folder string, done, total int)
	// Batch is how many new messages are fetched and stored at once; 0 for DefaultBatch.
	Batch int
	// Waiting, when not nil, is told when a folder's sync waits for another sync of it (of
	// this process or another) to end, and who that is.
	Waiting func(folder, owner string)
}

// FolderSummary says what one sync changed in one folder.
type FolderSummary struct {
	Folder  string
	New     int  // messages added
	Changed int  // messages whose flags the server reported changed
	Removed int  // messages expunged on the server
	Reset   bool // UIDVALIDITY changed: the folder's cache was dropped and fetched again
}

// ErrNoSuchFolder is returned when SyncOptions.Folder names no folder of the mailbox.
var ErrNoSuchFolder = errors.New("no such folder")

// SyncMailbox brings the stored folders and messages of mailbox m in step with its IMAP
// server, connecting as the connection test does (same TLS trust and pins) with the saved
// password. Per folder it asks only for what changed since the last sync: new messages
// (from m.LoadFrom on, in batches each stored in one transaction), changed flags (with
// CONDSTORE only those changed since the last HIGHESTMODSEQ) and expunged messages; a
// changed UIDVALIDITY drops the folder's cache and fetches it again. Cancelling ctx stops it
// at once, leaving a consistent cache that the next sync continues from.
//
// Unless cancelled, the outcome is recorded as the mailbox's state. It returns what changed
// per folder, and on failure an error Explain turns into a sentence (see also OutcomeOf).
func SyncMailbox(ctx context.Context, store SyncStore, secrets SecretStore, m *data.Mailbox, opt SyncOptions) ([]FolderSummary, error) {
	var sums []FolderSummary
	connected := false
	err := retryRefused(secrets, m, func() error {
		settings, password, err := mailboxSettings(ctx, store, secrets, m)
		if connected = err == nil; !connected {
			return err
		}
		sums, err = syncSettings(ctx, store, settings, password, m, opt)
		return err
	})
	if !connected && !recorded(err) {
		return nil, err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sums, err
	}
	state, msg := StateOf(err)
	if serr := store.SetMailboxState(context.WithoutCancel(ctx), m.ID, state, msg); serr != nil {
		return sums, errors.Join(err, fmt.Errorf("record state of %s: %w", m.Address, serr))
	}
	return sums, err
}

// settingsStore is what mailboxSettings needs of the database.
type settingsStore interface {
	PinSource
	Get(ctx context.Context, id int64) (*data.Provider, error)
}

// mailboxSettings returns the IMAP settings and saved password of m, with the pins of store.
func mailboxSettings(ctx context.Context, store settingsStore, secrets SecretStore, m *data.Mailbox) (Settings, string, error) {
	p, err := store.Get(ctx, m.ProviderID)
	if err != nil {
		return Settings{}, "", fmt.Errorf("read provider of %s: %w", m.Address, err)
	}
	s := SettingsFor(p, m.Login, &Trust{Pins: store})
	if s.IMAP == nil {
		return Settings{}, "", fmt.Errorf("%s: %w", m.Address, ErrIMAPDisabled)
	}
	password, err := mailboxSecret(ctx, secrets, p, m)
	if err != nil {
		return Settings{}, "", err
	}
	return s, password, nil
}

// syncSettings is SyncMailbox with the settings and password already known.
func syncSettings(ctx context.Context, store SyncStore, s Settings, password string, m *data.Mailbox, opt SyncOptions) ([]FolderSummary, error) {
	sy := newSyncer(ctx, store, m, opt)
	ic, err := dialIMAP(ctx, s, password, sy.handler())
	if err != nil {
		return nil, canceledOr(ctx, err)
	}
	defer ic.close()
	sy.ic = ic
	sums, err := sy.run()
	return sums, canceledOr(ctx, ic.failed("Sync", err))
}

// newSyncer returns a syncer without its connection, which is dialled with its handler.
func newSyncer(ctx context.Context, store SyncStore, m *data.Mailbox, opt SyncOptions) *syncer {
	if opt.Batch <= 0 {
		opt.Batch = DefaultBatch
	}
	return &syncer{ctx: ctx, store: store, m: m, opt: opt}
}

// handler counts the expunges the server announces; the other unilateral data a sync
// ignores (each folder's SELECT reads the counts again).
func (sy *syncer) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{Expunge: func(uint32) { sy.expunges.Add(1) }}
}

// canceledOr returns ctx's error when it ended (a closed connection's error means nothing
// then), else err.
func canceledOr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("sync: %w", ctx.Err())
	}
	return err
}

// syncer runs one sync over one connection.
type syncer struct {
	ctx   context.Context
	ic    *imapConn
	store SyncStore
	m     *data.Mailbox
	opt   SyncOptions
	// expunges counts the EXPUNGE responses announced on the connection: the server's view
	// of the selected folder changed after its SELECT.
	expunges atomic.Int64
	// status is what LIST-STATUS said of each folder, by name; nil without it.
	status map[string]*imap.StatusData
	// loaded is the "Load emails from" date each folder was filled from, by id.
	loaded map[int64]time.Time
}

func (sy *syncer) run() ([]FolderSummary, error) {
	folders, err := sy.folders()
	if err != nil {
		return nil, err
	}
	var sums []FolderSummary
	var same []data.FolderUnchanged
	for _, f := range folders {
		if u, ok := sy.unchanged(f); ok {
			sy.progress(f.Name, 0, 0)
			sums, same = append(sums, FolderSummary{Folder: f.Name}), append(same, u)
			continue
		}
		sum, err := sy.folder(f)
		if err != nil {
			return sums, fmt.Errorf("sync %s: %w", f.Name, err)
		}
		sums = append(sums, sum)
	}
	return sums, sy.store.MarkFoldersUnchanged(sy.ctx, same)
}

// unchanged reports whether LIST-STATUS showed that f has not changed since its last
// complete sync, so that it need not even be selected: with CONDSTORE an unchanged
// HIGHESTMODSEQ proves that no message came, changed or went (RFC 7162 makes an expunge
// raise it too), and the same UIDVALIDITY and UIDNEXT that the UIDs still mean the same.
func (sy *syncer) unchanged(f *data.Folder) (data.FolderUnchanged, bool) {
	st := sy.status[f.Name]
	if st == nil || f.UIDNext == 0 || !sy.loaded[f.ID].Equal(sy.m.LoadFrom) || st.HighestModSeq == 0 || st.HighestModSeq != f.HighestModSeq ||
		uint32(st.UIDNext) != f.UIDNext || st.UIDValidity != f.UIDValidity {
		return data.FolderUnchanged{}, false
	}
	return data.FolderUnchanged{ID: f.ID, UIDValidity: f.UIDValidity, UIDNext: f.UIDNext, HighestModSeq: f.HighestModSeq}, true
}

// folders lists the server's folders with their roles, stores them, and returns the
// selectable ones to sync.
func (sy *syncer) folders() ([]*data.Folder, error) {
	// With CONDSTORE, STATUS (after the LIST) tells which folders changed at all: the
	// others are not selected (see statusExceptInbox).
	opts := &imap.ListOptions{ReturnSpecialUse: sy.ic.has(imap.CapSpecialUse)}
	if !opts.ReturnSpecialUse && opts.ReturnStatus == nil {
		opts = nil
	}
	list, err := listFolders(sy.ic.Client, opts)
	if err != nil {
		return nil, wrapIMAP("LIST", err)
	}
	infos := make([]data.FolderInfo, 0, len(list))
	for _, l := range list {
		infos = append(infos, folderInfo(l))
	}
	if err := sy.store.SaveFolders(sy.ctx, sy.m.ID, infos); err != nil {
		return nil, err
	}
	stored, err := sy.store.Folders(sy.ctx, sy.m.ID)
	if err != nil {
		return nil, err
	}
	if sy.loaded, err = sy.store.FoldersLoadedFrom(sy.ctx, sy.m.ID); err != nil {
		return nil, err
	}
	var out []*data.Folder
	for _, f := range stored {
		if f.Selectable && (sy.opt.Folder == "" || f.Name == sy.opt.Folder ||
			f.Role == data.RoleInbox && strings.EqualFold(sy.opt.Folder, "INBOX")) {
			out = append(out, f)
		}
	}
	if sy.opt.Folder != "" && len(out) == 0 {
		return nil, fmt.Errorf("%q: %w", sy.opt.Folder, ErrNoSuchFolder)
	}
	if sy.ic.has(imap.CapCondStore) {
		if err := sy.statusExceptInbox(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// folderStatusItems are what tells whether a folder changed since its last sync.
var folderStatusItems = &imap.StatusOptions{UIDNext: true, UIDValidity: true, HighestModSeq: true}

// maxStatusFolders is the most folders whose STATUS is asked for one by one (all sent at
// once, answered in one round trip); beyond it LIST-STATUS asks for all of them.
const maxStatusFolders = 200

// statusExceptInbox asks, with STATUS commands sent all at once, whether the folders of
// out other than the Inbox changed, as LIST-STATUS would, and notes the answers in
// sy.status. The Inbox is left out: it is selected in any case (its SELECT tells the same),
// and Dovecot reads a folder's new messages from disk each time it is opened without being
// selected, so a STATUS and then a SELECT of an Inbox with new mail cost it that twice.
// Beyond maxStatusFolders it asks LIST-STATUS instead, when the server has it.
func (sy *syncer) statusExceptInbox(out []*data.Folder) error {
	if len(out) > maxStatusFolders {
		if !sy.ic.has(imap.CapListStatus) {
			return nil
		}
		list, err := listFolders(sy.ic.Client, &imap.ListOptions{ReturnStatus: folderStatusItems})
		if err != nil {
			return wrapIMAP("LIST", err)
		}
		for _, l := range list {
			sy.noteStatus(l.Mailbox, l.Status)
		}
		return nil
	}
	cmds := make([]*imapclient.StatusCommand, 0, len(out))
	for _, f := range out {
		if f.Role != data.RoleInbox {
			cmds = append(cmds, sy.ic.Status(f.Name, folderStatusItems))
		}
	}
	var first error
	for _, c := range cmds {
		st, err := c.Wait()
		if err != nil {
			// A folder the server will not tell about is selected, as without STATUS.
			var ie *imap.Error
			if !errors.As(err, &ie) && first == nil {
				first = wrapIMAP("STATUS", err)
			}
			continue
		}
		sy.noteStatus(st.Mailbox, st)
	}
	return first
}

// noteStatus keeps what the server said of folder name (nil: nothing).
func (sy *syncer) noteStatus(name string, st *imap.StatusData) {
	if st == nil {
		return
	}
	if sy.status == nil {
		sy.status = map[string]*imap.StatusData{}
	}
	sy.status[name] = st
}

func (sy *syncer) progress(folder string, done, total int) {
	if sy.opt.Progress != nil {
		sy.opt.Progress(folder, done, total)
	}
}

// folder syncs one folder while it holds the folder's lease (see holdFolder).
func (sy *syncer) folder(f *data.Folder) (FolderSummary, error) {
	lease, fresh, err := sy.holdFolder(f)
	if err != nil {
		return FolderSummary{Folder: f.Name}, err
	}
	outer := sy.ctx
	sy.ctx = lease.Context()
	sum, err := sy.syncFolder(fresh)
	sy.ctx = outer
	return sum, sy.releaseFolder(lease, err)
}

// syncFolder syncs one folder: SELECT, then flags and expunges of the stored messages, then
// new messages, then the new UIDNEXT and HIGHESTMODSEQ.
func (sy *syncer) syncFolder(f *data.Folder) (FolderSummary, error) {
	sum := FolderSummary{Folder: f.Name}
	sy.progress(f.Name, 0, 0)
	condStore := sy.ic.has(imap.CapCondStore)
	sy.expunges.Store(0)
	sel, err := sy.ic.Select(f.Name, &imap.SelectOptions{ReadOnly: true, CondStore: condStore}).Wait()
	if err != nil {
		return sum, wrapIMAP("SELECT", err)
	}
	if sel.UIDValidity != f.UIDValidity {
		if err := sy.store.ResetFolder(sy.ctx, f.ID, sel.UIDValidity); err != nil {
			return sum, err
		}
		sum.Reset = f.UIDValidity != 0
		f.FetchedUID, f.UIDNext, f.HighestModSeq = 0, 0, 0
	}
	if err := sy.loadFromMoved(f, &sum); err != nil {
		return sum, err
	}
	modSeq := sel.HighestModSeq
	if !condStore {
		modSeq = 0
	}
	// With CONDSTORE an unchanged HIGHESTMODSEQ proves nothing changed at all: no new
	// message, no flag, no expunge (RFC 7162 makes an expunge raise it too).
	unchanged := f.FetchedUID > 0 && modSeq != 0 && modSeq == f.HighestModSeq && uint32(sel.UIDNext) == f.UIDNext
	if unchanged {
		return sum, sy.store.SetFolderSynced(sy.ctx, f.ID, uint32(sel.UIDNext), modSeq)
	}
	var fresh []uint32 // UIDs above FetchedUID, searched before the expunge check needs them
	searched := uint32(sel.UIDNext) != f.UIDNext || f.UIDNext == 0
	if searched {
		if fresh, err = sy.newUIDs(f); err != nil {
			return sum, err
		}
	}
	if f.FetchedUID > 0 {
		if sum.Changed, err = sy.flags(f, modSeq); err != nil {
			return sum, err
		}
		arrived, known := arrivedBefore(fresh, searched, f.FetchedUID, uint32(sel.UIDNext))
		if sum.Removed, err = sy.expunged(f, sel.NumMessages, arrived, known); err != nil {
			return sum, err
		}
	}
	if searched {
		n, err := sy.newMessages(f, fresh, uint32(sel.UIDNext))
		if sum.New += n; err != nil {
			return sum, err
		}
	}
	if !sy.loaded[f.ID].Equal(sy.m.LoadFrom) { // a folder filled for the first time
		if err := sy.store.SetFolderLoadedFrom(sy.ctx, f.ID, sy.m.LoadFrom); err != nil {
			return sum, err
		}
	}
	return sum, sy.store.SetFolderSynced(sy.ctx, f.ID, uint32(sel.UIDNext), modSeq)
}

// loadFromMoved brings the cache of f, synced before, to the mailbox's "Load emails from"
// date when it moved since f was filled: a later date drops the older messages from the
// cache (never from the server); an earlier one fetches the older messages the server has
// and the cache lacks.
func (sy *syncer) loadFromMoved(f *data.Folder, sum *FolderSummary) error {
	had, want := sy.loaded[f.ID], sy.m.LoadFrom
	if f.UIDNext == 0 || had.Equal(want) {
		return nil
	}
	if !want.IsZero() && (had.IsZero() || want.After(had)) {
		n, err := sy.store.DropMessagesBefore(sy.ctx, f.ID, want)
		sum.Removed += n
		if err == nil {
			sy.loaded[f.ID] = want
		}
		return err
	}
	if f.FetchedUID > 0 {
		criteria := &imap.SearchCriteria{UID: []imap.UIDSet{uidRange(1, imap.UID(f.FetchedUID))}, Since: want}
		server, err := sy.search(criteria)
		if err != nil {
			return err
		}
		local, err := sy.store.MessageUIDs(sy.ctx, f.ID)
		if err != nil {
			return err
		}
		older := absent(server, local)
		n, err := sy.fetchNew(f, older) // stored below FetchedUID: it stays as it is
		if sum.New += n; err != nil {
			return err
		}
	}
	if err := sy.store.SetFolderLoadedFrom(sy.ctx, f.ID, want); err != nil {
		return err
	}
	sy.loaded[f.ID] = want
	return nil
}

// absent returns the UIDs of server, ascending, that are not in local (ascending).
func absent(server imap.UIDSet, local []uint32) []uint32 {
	nums, _ := server.Nums()
	var out []uint32
	for _, u := range nums {
		if _, found := slices.BinarySearch(local, uint32(u)); !found {
			out = append(out, uint32(u))
		}
	}
	slices.Sort(out)
	return out
}

// arrivedBefore returns how many of the server's messages at SELECT lie above fetchedUID:
// those of fresh below uidNext (later ones arrived after the SELECT). known is false when
// that cannot be told: the UIDs above fetchedUID were not searched and the stored ones do
// not reach UIDNEXT.
func arrivedBefore(fresh []uint32, searched bool, fetchedUID, uidNext uint32) (n uint32, known bool) {
	if !searched {
		return 0, fetchedUID+1 >= uidNext
	}
	for _, u := range fresh {
		if u > fetchedUID && u < uidNext {
			n++
		}
	}
	return n, true
}

// flags fetches the flags of the stored messages (with CONDSTORE only those changed since
// the last sync) and stores them; it returns how many were reported.
func (sy *syncer) flags(f *data.Folder, modSeq uint64) (int, error) {
	if modSeq != 0 && modSeq == f.HighestModSeq {
		return 0, nil
	}
	opts := &imap.FetchOptions{UID: true, Flags: true}
	if modSeq != 0 && f.HighestModSeq != 0 {
		opts.ChangedSince = f.HighestModSeq
	}
	var set imap.UIDSet
	set.AddRange(1, imap.UID(f.FetchedUID))
	cmd := sy.ic.Fetch(set, opts)
	var ups []data.FlagUpdate
	n := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		b, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return n, wrapIMAP("FETCH FLAGS", err)
		}
		if uint32(b.UID) > f.FetchedUID || b.UID == 0 {
			continue
		}
		ups = append(ups, data.FlagUpdate{UID: uint32(b.UID), Flags: flagsOf(b.Flags)})
		if len(ups) == 5000 {
			if err := sy.store.UpdateFlags(sy.ctx, f.ID, ups); err != nil {
				cmd.Close()
				return n, err
			}
			n, ups = n+len(ups), ups[:0]
		}
	}
	if err := cmd.Close(); err != nil {
		return n, wrapIMAP("FETCH FLAGS", err)
	}
	return n + len(ups), sy.store.UpdateFlags(sy.ctx, f.ID, ups)
}

// expunged removes the stored messages the server no longer has; it returns how many.
//
// numMessages is the folder's count at SELECT and arrived how many of those lie above
// FetchedUID (when known). Every message up to FetchedUID is stored unless LoadFrom left
// some out, so the server's messages up to FetchedUID are a subset of the stored ones, and
// equal counts prove they are the same: nothing was expunged, and neither the stored UIDs
// nor the server's need be read. An expunge announced since the SELECT spoils the count.
func (sy *syncer) expunged(f *data.Folder, numMessages, arrived uint32, known bool) (int, error) {
	if known && sy.m.LoadFrom.IsZero() && arrived <= numMessages {
		stored, err := sy.store.MessageCount(sy.ctx, f.ID)
		if err != nil {
			return 0, err
		}
		if uint32(stored) == numMessages-arrived && sy.expunges.Load() == 0 {
			return 0, nil
		}
	}
	local, err := sy.store.MessageUIDs(sy.ctx, f.ID)
	if err != nil {
		return 0, err
	}
	if len(local) == 0 {
		return 0, nil
	}
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{uidRange(1, imap.UID(f.FetchedUID))}}
	server, err := sy.search(criteria)
	if err != nil {
		return 0, err
	}
	gone := missing(local, server)
	if len(gone) == 0 {
		return 0, nil
	}
	return len(gone), sy.store.RemoveMessages(sy.ctx, f.ID, gone)
}

// missing returns the members of local (ascending) that are not in server.
func missing(local []uint32, server imap.UIDSet) []uint32 {
	var out []uint32
	for _, u := range local {
		if !server.Contains(imap.UID(u)) {
			out = append(out, u)
		}
	}
	return out
}

func uidRange(from, to imap.UID) imap.UIDSet {
	var s imap.UIDSet
	s.AddRange(from, to)
	return s
}

// search runs UID SEARCH, asking for a compact answer where ESEARCH is offered.
func (sy *syncer) search(criteria *imap.SearchCriteria) (imap.UIDSet, error) {
	var opts *imap.SearchOptions
	if sy.ic.has(imap.CapESearch) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	res, err := sy.ic.UIDSearch(criteria, opts).Wait()
	if err != nil {
		return nil, wrapIMAP("SEARCH", err)
	}
	set, _ := res.All.(imap.UIDSet)
	return set, nil
}

// newUIDs returns the UIDs above the stored ones, from the mailbox's LoadFrom date on,
// ascending.
func (sy *syncer) newUIDs(f *data.Folder) ([]uint32, error) {
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{uidRange(imap.UID(f.FetchedUID+1), 0)}}
	if !sy.m.LoadFrom.IsZero() {
		criteria.Since = sy.m.LoadFrom
	}
	set, err := sy.search(criteria)
	if err != nil {
		return nil, err
	}
	all, _ := set.Nums()
	uids := make([]uint32, 0, len(all))
	for _, u := range all {
		if uint32(u) > f.FetchedUID { // "n:*" also matches the last message when n is above it
			uids = append(uids, uint32(u))
		}
	}
	slices.Sort(uids)
	return uids, nil
}

// newMessages fetches and stores the messages uids (from newUIDs), a batch per FETCH and
// per transaction, then records that no UID below uidNext is left to fetch; it returns how
// many it stored.
func (sy *syncer) newMessages(f *data.Folder, uids []uint32, uidNext uint32) (int, error) {
	n, err := sy.fetchNew(f, uids)
	if err != nil {
		return n, err
	}
	// Messages the date left out need not be searched again.
	if uidNext > 0 {
		err = sy.store.StoreMessages(sy.ctx, f.ID, nil, uidNext-1)
	}
	return n, err
}

// batch is a fetched batch of new messages on its way to the database.
type batch struct {
	msgs []*data.Message
	upTo uint32
}

// fetchNew fetches uids in batches while a writer stores the previous ones, so the network
// and the database work at the same time; progress is reported as batches are stored.
func (sy *syncer) fetchNew(f *data.Folder, uids []uint32) (int, error) {
	total := len(uids)
	sy.progress(f.Name, 0, total)
	if total == 0 {
		return 0, nil
	}
	// A few batches (each at most maxBatchBytes, usually far less) may wait for the writer,
	// so that a slow commit does not stop the reading, and with it the server.
	writes := make(chan batch, 4)
	written := make(chan error, 1)
	stored := 0
	go func() {
		var err error
		for b := range writes {
			if err == nil {
				err = sy.store.StoreMessages(sy.ctx, f.ID, b.msgs, b.upTo)
				if err == nil {
					stored += len(b.msgs)
					sy.progress(f.Name, stored, total)
				}
			}
		}
		written <- err
	}()
	ferr := sy.fetchBatches(uids, writes)
	close(writes)
	werr := <-written
	if ferr != nil {
		return stored, ferr
	}
	return stored, werr
}

var newMessageItems = &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
	BodyStructure: &imap.FetchItemBodyStructure{Extended: true}}

// maxBatchBytes bounds the text of one batch of rows: a batch whose messages carry large
// header fields is stored in parts, so a few batches in memory stay a few megabytes.
const maxBatchBytes = 8 << 20

// fetchBatches fetches uids a batch per FETCH, translating each message as it arrives, and
// hands the rows to writes; a batch is recorded as fetched up to its last UID once whole,
// in order. The FETCH of the next batch is sent before the answer to the current one ends,
// so the server streams batch after batch without waiting for a round trip between them.
// Each command in flight has its own reader: a server may interleave the answers of
// pipelined commands, and go-imap hands each message only to the command that asked for it.
func (sy *syncer) fetchBatches(uids []uint32, writes chan<- batch) error {
	chunks := slices.Collect(slices.Chunk(uids, sy.opt.Batch))
	next := sy.startBatch(chunks[0], writes)
	for i := range chunks {
		cur := next
		if next = nil; i+1 < len(chunks) {
			next = sy.startBatch(chunks[i+1], writes)
		}
		err := cur.wait(sy.ctx, writes)
		if err != nil {
			if next != nil { // its reader ends with the answer (or the closed connection)
				next.wait(sy.ctx, nil)
			}
			return err
		}
	}
	return nil
}

// batchFetch is one FETCH in flight, read by its own goroutine.
type batchFetch struct {
	done chan batchResult
}

type batchResult struct {
	last batch // the rows after any sent early, with the chunk's last UID
	err  error
}

// startBatch sends the FETCH of chunk and reads its answer in the background: rows beyond
// maxBatchBytes go to writes at once (stored, not yet recorded as fetched); the rest, with
// the chunk's last UID, wait for wait.
func (sy *syncer) startBatch(chunk []uint32, writes chan<- batch) *batchFetch {
	var set imap.UIDSet
	for _, u := range chunk { // contiguous UIDs merge into ranges: 1:500, not 1,2,3,…
		set.AddNum(imap.UID(u))
	}
	cmd := sy.ic.Fetch(set, newMessageItems)
	f := &batchFetch{done: make(chan batchResult, 1)}
	go func() {
		msgs, err := sy.readBatch(cmd, len(chunk), writes)
		f.done <- batchResult{last: batch{msgs: msgs, upTo: chunk[len(chunk)-1]}, err: err}
	}()
	return f
}

// wait waits for f's answer and hands its last rows to writes (when not nil).
func (f *batchFetch) wait(ctx context.Context, writes chan<- batch) error {
	r := <-f.done
	if r.err != nil || writes == nil {
		return r.err
	}
	select {
	case writes <- r.last:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readBatch reads the answer to cmd, a FETCH of n messages, and returns its rows; when they
// grow beyond maxBatchBytes they are sent to writes in parts.
func (sy *syncer) readBatch(cmd *imapclient.FetchCommand, n int, writes chan<- batch) ([]*data.Message, error) {
	msgs, size := make([]*data.Message, 0, n), 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		b, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return nil, wrapIMAP("FETCH", err)
		}
		if b.UID == 0 {
			continue
		}
		m := messageOf(b)
		msgs, size = append(msgs, m), size+rowSize(m)
		if size > maxBatchBytes { // stored, but not yet recorded as fetched
			select {
			case writes <- batch{msgs: msgs}:
			case <-sy.ctx.Done():
				cmd.Close()
				return nil, sy.ctx.Err()
			}
			msgs, size = make([]*data.Message, 0, n), 0
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, wrapIMAP("FETCH", err)
	}
	return msgs, nil
}
