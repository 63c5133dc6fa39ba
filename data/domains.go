package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// DomainEntry is one row of the "Email providers domains" lookup.
type DomainEntry struct {
	Domain       string // stored (ASCII) form
	ProviderID   int64
	ProviderName string
}

// Domains returns every domain with its provider, ordered by domain.
func (s *Store) Domains(ctx context.Context) ([]DomainEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.domain, d.provider_id, p.name
		FROM provider_domains d JOIN providers p ON p.id = d.provider_id ORDER BY d.domain`)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	defer rows.Close()
	var out []DomainEntry
	for rows.Next() {
		var e DomainEntry
		if err := rows.Scan(&e.Domain, &e.ProviderID, &e.ProviderName); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetDomain makes domain belong to provider providerID, replacing the entry old ("" to add).
// A domain another provider owns is refused with a *ValidationError that names that provider;
// it also fails with ErrManaged (either provider comes from a subscription) or
// ErrNotFound. The provider's version changes, so a card open elsewhere cannot silently
// undo this.
func (s *Store) SetDomain(ctx context.Context, old, domain string, providerID int64) error {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return &ValidationError{Fields: []*FieldError{{Field: FieldDomains, Msg: err.Error()}}}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := domainFree(tx, d, old); err != nil {
			return err
		}
		if err := checkDomainUnmanaged(tx, old, providerID); err != nil {
			return err
		}
		if old != "" {
			if err := s.removeDomain(tx, old); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT INTO provider_domains (domain, provider_id) VALUES (?, ?)`, d, providerID); err != nil {
			if isForeignKey(err) {
				return fmt.Errorf("provider %d: %w", providerID, ErrNotFound)
			}
			return fmt.Errorf("add domain %s: %w", d, err)
		}
		return s.touch(tx, providerID)
	}, changed(KindDomains|KindProviders))
}

// domainFree fails with a ValidationError when d is taken by an entry other than old.
func domainFree(tx *sql.Tx, d, old string) error {
	var owner string
	err := tx.QueryRow(`SELECT p.name FROM provider_domains d JOIN providers p ON p.id = d.provider_id
		WHERE d.domain = ? AND d.domain <> ?`, d, old).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &ValidationError{Fields: []*FieldError{{Field: FieldDomains,
		Msg: fmt.Sprintf("%s already belongs to %q", DisplayDomain(d), owner)}}}
}

// removeDomain deletes domain d and marks its provider changed by the acting user.
func (s *Store) removeDomain(tx *sql.Tx, d string) error {
	var pid int64
	err := tx.QueryRow(`DELETE FROM provider_domains WHERE domain = ? RETURNING provider_id`, d).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("domain %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete domain %s: %w", d, err)
	}
	return s.touch(tx, pid)
}

func (s *Store) touch(tx *sql.Tx, providerID int64) error {
	_, err := tx.Exec(`UPDATE providers SET version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?`,
		s.user, s.stamp(), providerID)
	return err
}

// DeleteDomain removes domain d from its provider. It fails with ErrManaged or
// ErrNotFound.
func (s *Store) DeleteDomain(ctx context.Context, d string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkDomainUnmanaged(tx, d, 0); err != nil {
			return err
		}
		return s.removeDomain(tx, d)
	}, changed(KindDomains|KindProviders))
}

// Resolution is what an email address tells about its mailbox settings.
type Resolution struct {
	Provider *Provider
	Domain   string // the domain that matched: the address's own or a parent
	Login    string // by the provider's login rule; "" when it is entered manually
}

// ResolveProvider finds the provider of address by its domain, else by the nearest parent
// domain (mail.corp.example finds corp.example), and computes the login by the provider's
// rule. It fails with a plain-words error for a malformed address and ErrNotFound when no
// provider has the domain.
func (s *Store) ResolveProvider(ctx context.Context, address string) (*Resolution, error) {
	local, domain, err := SplitAddress(address)
	if err != nil {
		return nil, err
	}
	var candidates []string // the domain, then each parent: mail.corp.example, corp.example
	for d := domain; strings.Contains(d, "."); d = d[strings.Index(d, ".")+1:] {
		candidates = append(candidates, d)
	}
	load := func(d string) (*Provider, error) { return scanFullProvider(s.byDomainStmt.QueryRowContext(ctx, d)) }
	p, d, err := s.resolved.first(ctx, candidates, load)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", domain, err)
	}
	if p != nil {
		return &Resolution{Provider: p, Domain: d, Login: p.LoginRule.Login(local + "@" + domain)}, nil
	}
	return nil, fmt.Errorf("no provider for %s: %w", DisplayDomain(domain), ErrNotFound)
}

func isForeignKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}
