package data

import (
	"context"
	"database/sql"
	"fmt"
)

// SavePersonalProvider stores p as settings for the acting user's own mailbox of address:
// not on the provider list, with no domains, named after its provider and address. Anyone
// may do it: it changes nothing for other users. p gets its ID; it fails with a
// *ValidationError for bad settings.
func (s *Store) SavePersonalProvider(ctx context.Context, p *Provider, address string) error {
	p.Domains, p.ExternalID, p.ManagedBy, p.ID, p.Version = nil, "", "", 0, 0
	p.Name = CleanName(p.Name + " for " + address)
	if r := []rune(p.Name); len(r) > MaxNameLen {
		p.Name = CleanName(string(r[:MaxNameLen]))
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	saved := *p
	err := s.tx(ctx, func(tx *sql.Tx) error {
		saved.Name = uniqueName(tx, saved.Name)
		now := s.stamp()
		res, err := tx.Exec(`INSERT INTO providers (name, name_key, imap_enabled, imap_host, imap_port, imap_security,
			smtp_enabled, smtp_host, smtp_port, smtp_security, smtp_timeout, login_rule, logo, updated_by, updated_at,
			created_by, created_at, version, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)`,
			saved.Name, nameKey(saved.Name), saved.IMAPEnabled, saved.IMAP.Host, saved.IMAP.Port, saved.IMAP.Security,
			saved.SMTPEnabled, saved.SMTP.Host, saved.SMTP.Port, saved.SMTP.Security, saved.SMTPTimeout, saved.LoginRule,
			nullBlob(saved.Logo), s.user, now, s.user, now, s.user)
		if err != nil {
			return fmt.Errorf("insert personal provider: %w", err)
		}
		saved.ID, _ = res.LastInsertId()
		saved.Version, saved.CreatedBy, saved.UpdatedBy = 1, s.user, s.user
		saved.CreatedAt, saved.UpdatedAt = parseStamp(now), parseStamp(now)
		return writeOAuth(tx, &saved)
	}, changed(KindProviders|KindDomains))
	if err != nil {
		return err
	}
	*p = saved
	return nil
}

// uniqueName returns name, or name with a number added, so that no provider has it.
func uniqueName(tx *sql.Tx, name string) string {
	taken := func(c string) bool {
		var n int
		tx.QueryRow(`SELECT count(*) FROM providers WHERE name_key = ?`, nameKey(c)).Scan(&n)
		return n > 0
	}
	if !taken(name) {
		return name
	}
	return CopyName(name, taken)
}

// DeletePersonalProvider removes the acting user's own provider id once no mailbox uses it;
// a provider of the list, or one still in use, is left alone.
func (s *Store) DeletePersonalProvider(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return deleteUnusedPersonal(tx, id, s.user) }, changed(KindProviders|KindDomains))
}

func deleteUnusedPersonal(tx *sql.Tx, id int64, owner string) error {
	_, err := tx.Exec(`DELETE FROM providers WHERE id = ? AND owner = ?
		AND NOT EXISTS (SELECT 1 FROM mailboxes WHERE provider_id = ?)`, id, owner, id)
	if err != nil {
		return fmt.Errorf("delete personal provider %d: %w", id, err)
	}
	return nil
}
