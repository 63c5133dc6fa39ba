package data

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// LeaseTTL is how long a folder's sync lease lasts unless renewed; the holder renews it
// every LeaseTTL/3, so only a process that died (or stopped for that long) loses it.
const LeaseTTL = 30 * time.Second

// leasePoll is how often a sync waiting for a folder's lease looks again.
const leasePoll = 200 * time.Millisecond

// ErrLeaseLost is the cause of a FolderLease's context ending because the lease could not
// be renewed: it expired and another sync took the folder.
var ErrLeaseLost = errors.New("another sync took over the folder")

// FolderLease is one sync's hold on one folder (see Store.AcquireFolderLease).
type FolderLease struct {
	s        *Store
	folderID int64
	token    string
	ctx      context.Context
	cancel   context.CancelCauseFunc
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// AcquireFolderLease takes the sync lease of folder folderID, first waiting while another
// sync (of this process or another) holds it: until that sync releases it, or its lease
// expires because nobody renews it. waiting, when not nil, is called once if it must wait,
// with who holds the lease. The lease is renewed in the background until Release. It fails
// with ctx's error when ctx ends while waiting, or the store's.
func (s *Store) AcquireFolderLease(ctx context.Context, folderID int64, waiting func(owner string)) (*FolderLease, error) {
	token, err := leaseToken()
	if err != nil {
		return nil, err
	}
	told := false
	for {
		owner, err := s.tryLease(ctx, folderID, token)
		if err != nil {
			return nil, fmt.Errorf("take sync lease of folder %d: %w", folderID, err)
		}
		if owner == "" {
			break
		}
		if !told && waiting != nil {
			waiting(owner)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(leasePoll):
		}
	}
	l := &FolderLease{s: s, folderID: folderID, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancelCause(ctx)
	go l.renew()
	return l, nil
}

func leaseToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lease token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// tryLease takes the lease for token when it is free or expired; otherwise it returns who
// holds it.
func (s *Store) tryLease(ctx context.Context, folderID int64, token string) (string, error) {
	var owner string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		var expires int64
		err := tx.QueryRow(`SELECT owner, expires_at FROM sync_leases WHERE folder_id = ?`, folderID).Scan(&owner, &expires)
		if err == nil && expires > now {
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		owner = ""
		_, err = tx.Exec(`INSERT INTO sync_leases (folder_id, holder, owner, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (folder_id) DO UPDATE SET holder = excluded.holder, owner = excluded.owner,
			expires_at = excluded.expires_at`, folderID, token, s.leaseOwner(), now+s.ttl.Milliseconds())
		return err
	})
	return owner, err
}

func (s *Store) leaseOwner() string {
	return fmt.Sprintf("process %d of %s", os.Getpid(), s.user)
}

// renew extends the lease every third of its time until Release; when the lease is gone (another
// sync took it after it expired, or the folder was removed) it ends the lease's context
// with ErrLeaseLost.
func (l *FolderLease) renew() {
	defer close(l.done)
	t := time.NewTicker(l.s.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		ok, err := l.extend()
		if err == nil && !ok {
			l.cancel(ErrLeaseLost)
			return
		}
		// A failed write (the database busy for longer than its timeout) is tried again at
		// the next tick, well before the lease expires.
	}
}

func (l *FolderLease) extend() (bool, error) {
	var ok bool
	err := l.s.tx(l.ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE sync_leases SET expires_at = ? WHERE folder_id = ? AND holder = ?`,
			l.s.now().UnixMilli()+l.s.ttl.Milliseconds(), l.folderID, l.token)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// Context returns a context that ends with the one given to AcquireFolderLease, at Release,
// or with cause ErrLeaseLost (see context.Cause) when the lease was lost: a sync does its
// work under it, so that it stops writing once another sync holds the folder.
func (l *FolderLease) Context() context.Context { return l.ctx }

// Lost reports whether the lease was lost before Release.
func (l *FolderLease) Lost() bool { return errors.Is(context.Cause(l.ctx), ErrLeaseLost) }

// Release gives the lease up, so that a waiting sync may take the folder at once; it may be
// called more than once. It returns the store's error, and nil when the lease was lost.
func (l *FolderLease) Release() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.cancel(nil)
		err = l.s.tx(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`DELETE FROM sync_leases WHERE folder_id = ? AND holder = ?`, l.folderID, l.token)
			return err
		})
		if err != nil {
			err = fmt.Errorf("release sync lease of folder %d: %w", l.folderID, err)
		}
	})
	return err
}
