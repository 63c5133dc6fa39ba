package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CertPin records a person's decision to trust one server certificate that fails normal
// verification: the SHA-256 fingerprint of the leaf certificate a host presents on a port.
type CertPin struct {
	Host      string // stored form, see NormalizeHost
	Port      int
	SHA256    string    // lowercase hex, 64 digits
	Subject   string    // the certificate's subject, for people reading the list
	Issuer    string    // who issued it; "" when not recorded (pins saved before Mailroom kept it)
	NotBefore time.Time // when it becomes valid; zero when not recorded
	NotAfter  time.Time // when it expires; zero when not recorded
	DecidedBy string    // set by the store
	DecidedAt time.Time
}

// NormalizeFingerprint returns a SHA-256 fingerprint typed or pasted by a person in stored
// form (64 lowercase hex digits); colons and spaces between the digits are accepted.
func NormalizeFingerprint(s string) (string, error) {
	f := strings.ToLower(strings.NewReplacer(":", "", " ", "", "\t", "").Replace(strings.TrimSpace(s)))
	f = strings.TrimPrefix(f, "sha256/")
	if len(f) != 64 || strings.Trim(f, "0123456789abcdef") != "" {
		return "", fmt.Errorf("A SHA-256 fingerprint is 64 hexadecimal digits (0-9, a-f), optionally separated by colons")
	}
	return f, nil
}

// CertPin returns the pin recorded for host and port, or ErrNotFound.
func (s *Store) CertPin(ctx context.Context, host string, port int) (*CertPin, error) {
	h, err := NormalizeHost(host)
	if err != nil {
		return nil, fmt.Errorf("pin %s:%d: %w", host, port, ErrNotFound)
	}
	p, err := scanPin(s.r.QueryRowContext(ctx, `SELECT `+pinColumns+` FROM cert_pins WHERE host = ? AND port = ?`, h, port))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pin %s:%d: %w", h, port, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get pin %s:%d: %w", h, port, err)
	}
	return p, nil
}

const pinColumns = `host, port, sha256, subject, issuer, not_before, not_after, decided_by, decided_at`

// scanPin reads a row of pinColumns.
func scanPin(row interface{ Scan(...any) error }) (*CertPin, error) {
	p := &CertPin{}
	var notBefore, notAfter, at string
	if err := row.Scan(&p.Host, &p.Port, &p.SHA256, &p.Subject, &p.Issuer, &notBefore, &notAfter, &p.DecidedBy, &at); err != nil {
		return nil, err
	}
	p.NotBefore, p.NotAfter, p.DecidedAt = pinTime(notBefore), pinTime(notAfter), parseStamp(at)
	return p, nil
}

// pinTime reads a validity time of a pin: zero for ” (not recorded).
func pinTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// pinTimeText is t as stored: ” for zero.
func pinTimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// CertPins returns every recorded pin, by host and port.
func (s *Store) CertPins(ctx context.Context) ([]*CertPin, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pinColumns+` FROM cert_pins ORDER BY host, port`)
	if err != nil {
		return nil, fmt.Errorf("list pins: %w", err)
	}
	defer rows.Close()
	var out []*CertPin
	for rows.Next() {
		p, err := scanPin(rows)
		if err != nil {
			return nil, fmt.Errorf("list pins: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SaveCertPin records that the acting user trusts the certificate p describes for p.Host and
// p.Port (with its subject, issuer and validity, when given), replacing any earlier pin of
// that host and port. It fails with a *ValidationError.
// On success p holds the stored values.
func (s *Store) SaveCertPin(ctx context.Context, p *CertPin) error {
	saved := *p
	v := &ValidationError{}
	var err error
	if saved.Host, err = NormalizeHost(p.Host); err != nil {
		v.add("host", err.Error())
	}
	if p.Port < 1 || p.Port > 65535 {
		v.add("port", "The port must be from 1 to 65535")
	}
	if saved.SHA256, err = NormalizeFingerprint(p.SHA256); err != nil {
		v.add("sha256", err.Error())
	}
	if err := v.orNil(); err != nil {
		return err
	}
	saved.DecidedBy, saved.DecidedAt = s.user, parseStamp(s.stamp())
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO cert_pins (`+pinColumns+`) VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT (host, port) DO UPDATE SET sha256 = excluded.sha256, subject = excluded.subject,
			issuer = excluded.issuer, not_before = excluded.not_before, not_after = excluded.not_after,
			decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
			saved.Host, saved.Port, saved.SHA256, saved.Subject, saved.Issuer, pinTimeText(saved.NotBefore), pinTimeText(saved.NotAfter),
			saved.DecidedBy, saved.DecidedAt.Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return fmt.Errorf("save pin %s:%d: %w", saved.Host, saved.Port, err)
	}
	*p = saved
	return nil
}

// DeleteCertPin forgets the pin of host and port, so its certificate is verified normally
// again. It fails with ErrNotFound.
func (s *Store) DeleteCertPin(ctx context.Context, host string, port int) error {
	h, err := NormalizeHost(host)
	if err != nil {
		return fmt.Errorf("pin %s:%d: %w", host, port, ErrNotFound)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM cert_pins WHERE host = ? AND port = ?`, h, port)
		if err != nil {
			return fmt.Errorf("delete pin %s:%d: %w", h, port, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("pin %s:%d: %w", h, port, ErrNotFound)
		}
		return nil
	})
}
