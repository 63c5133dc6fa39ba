package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ProviderTx is the list of providers as seen inside one write transaction (see
// Store.InProviderTx): what it reads, no other writer (another window, another Mailroom
// process) can change before the transaction ends, so a check and the write it decides on
// see the same list. Its methods do what the Store's methods of the same names do.
type ProviderTx struct {
	s  *Store
	tx *sql.Tx
}

// InProviderTx runs fn in one write transaction over the providers, committed when fn
// returns nil and rolled back otherwise. When the database stays locked by another writer
// beyond the busy timeout, fn is run again from the start, up to three times in all; fn must
// therefore act on the database only through its ProviderTx. It returns fn's error.
func (s *Store) InProviderTx(ctx context.Context, fn func(*ProviderTx) error) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		err = s.tx(ctx, func(tx *sql.Tx) error { return fn(&ProviderTx{s: s, tx: tx}) }, changed(KindProviders|KindDomains))
		if !isBusy(err) {
			return err
		}
	}
	return err
}

// isBusy reports whether err is SQLite's "database is locked" after the busy timeout.
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// get returns provider id with its logo and domains, or ErrNotFound.
func (t *ProviderTx) get(ctx context.Context, id int64) (*Provider, error) {
	p, err := scanFullProvider(t.tx.QueryRowContext(ctx, fullProviderQuery+`?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get provider %d: %w", id, err)
	}
	return p, nil
}

// ProviderByExternalID returns the provider imported under external id id, or ErrNotFound.
func (t *ProviderTx) ProviderByExternalID(ctx context.Context, id string) (*Provider, error) {
	var pid int64
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM providers WHERE external_id = ?`, strings.TrimSpace(id)).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider with external id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find provider with external id %q: %w", id, err)
	}
	return t.get(ctx, pid)
}

// ProviderByDomains returns the provider whose domains are exactly domains, or ErrNotFound.
func (t *ProviderTx) ProviderByDomains(ctx context.Context, domains []string) (*Provider, error) {
	return providerByDomains(domains,
		func(domain string) *sql.Row {
			return t.tx.QueryRowContext(ctx, `SELECT provider_id FROM provider_domains WHERE domain = ?`, domain)
		},
		func(id int64) (*Provider, error) { return t.get(ctx, id) })
}

// NameTaken reports whether a provider other than id is called name, ignoring case and spaces.
func (t *ProviderTx) NameTaken(ctx context.Context, name string, id int64) (bool, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM providers WHERE name_key = ? AND id <> ?`, nameKey(name), id).Scan(&n)
	return n > 0, err
}

// Save validates p and writes it with its domains as Store.Save does, within the
// transaction: it is undone when the transaction is rolled back. On success p holds the
// stored values.
func (t *ProviderTx) Save(ctx context.Context, p *Provider) error {
	if err := p.Normalize(); err != nil {
		return err
	}
	saved := *p
	if err := t.s.save(t.tx, &saved); err != nil {
		return err
	}
	*p = saved
	return nil
}
