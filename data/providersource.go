package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// FieldExternalID names the external id in validation errors.
const FieldExternalID = "external_id"

// MaxExternalIDLen is the longest external id accepted, in characters.
const MaxExternalIDLen = 255

// ProviderByExternalID returns the provider imported under external id id, with its logo and
// domains. It fails with ErrNotFound when no provider has that id.
func (s *Store) ProviderByExternalID(ctx context.Context, id string) (*Provider, error) {
	var pid int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM providers WHERE external_id = ?`, strings.TrimSpace(id)).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider with external id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find provider with external id %q: %w", id, err)
	}
	return s.Get(ctx, pid)
}

// checkExternalID trims p's external id and fails with a ValidationError when it is too long
// or already another provider's (a copied card must not claim its original's source).
func checkExternalID(tx *sql.Tx, p *Provider) error {
	p.ExternalID = strings.TrimSpace(p.ExternalID)
	if p.ExternalID == "" {
		return nil
	}
	v := &ValidationError{}
	if n := utf8.RuneCountInString(p.ExternalID); n > MaxExternalIDLen {
		v.add(FieldExternalID, fmt.Sprintf("The external id is %d characters long; at most %d are allowed", n, MaxExternalIDLen))
		return v
	}
	var other string
	err := tx.QueryRow(`SELECT name FROM providers WHERE external_id = ? AND id <> ?`, p.ExternalID, p.ID).Scan(&other)
	if err == nil {
		v.add(FieldExternalID, fmt.Sprintf("%q was already imported from %s", other, p.ExternalID))
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return v.orNil()
}

// nullText stores "" as NULL, so that the UNIQUE index ignores providers without the value.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ProviderByDomains returns the provider whose domains are exactly domains (in any order,
// stored form), with its logo. It fails with ErrNotFound when no provider has that set.
func (s *Store) ProviderByDomains(ctx context.Context, domains []string) (*Provider, error) {
	return providerByDomains(domains,
		func(domain string) *sql.Row { return s.resolveStmt.QueryRowContext(ctx, domain) },
		func(id int64) (*Provider, error) { return s.Get(ctx, id) })
}

// providerByDomains finds the provider of domains[0] with owner (a query for the provider id
// of one domain), reads it with get, and returns it only when its domains are exactly domains.
func providerByDomains(domains []string, owner func(domain string) *sql.Row, get func(id int64) (*Provider, error)) (*Provider, error) {
	if len(domains) == 0 {
		return nil, fmt.Errorf("provider without domains: %w", ErrNotFound)
	}
	var pid int64
	err := owner(domains[0]).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider of %s: %w", domains[0], ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find provider of %s: %w", domains[0], err)
	}
	p, err := get(pid)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(p.Domains, slices.Sorted(slices.Values(domains))) {
		return nil, fmt.Errorf("provider with domains %s: %w", strings.Join(domains, " "), ErrNotFound)
	}
	return p, nil
}
