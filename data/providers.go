package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Security is how a connection to a mail server is protected.
type Security string

// The security choices of a provider card.
const (
	SecuritySSL      Security = "ssl"      // implicit TLS from the first byte
	SecurityStartTLS Security = "starttls" // plain connect, then a mandatory STARTTLS
	SecurityNone     Security = "none"     // not encrypted
)

// Title returns the words people see for s.
func (s Security) Title() string {
	switch s {
	case SecuritySSL:
		return "Use SSL"
	case SecurityStartTLS:
		return "STARTTLS"
	case SecurityNone:
		return "None (not encrypted)"
	}
	return string(s)
}

func (s Security) valid() bool {
	return s == SecuritySSL || s == SecurityStartTLS || s == SecurityNone
}

// LoginRule says how the login of a mailbox follows from its address.
type LoginRule string

// The login rules of a provider card.
const (
	LoginManual    LoginRule = "manual"    // the person enters it
	LoginLocalPart LoginRule = "localpart" // the part of the address before "@"
	LoginAddress   LoginRule = "address"   // the whole address
)

// Title returns the words people see for r.
func (r LoginRule) Title() string {
	switch r {
	case LoginManual:
		return "Enter login manually"
	case LoginLocalPart:
		return "Use user name as login"
	case LoginAddress:
		return "Use email address as login"
	}
	return string(r)
}

func (r LoginRule) valid() bool {
	return r == LoginManual || r == LoginLocalPart || r == LoginAddress
}

// Login returns the login for address under rule r; "" for LoginManual.
func (r LoginRule) Login(address string) string {
	a := strings.TrimSpace(address)
	switch r {
	case LoginLocalPart:
		if at := strings.LastIndex(a, "@"); at >= 0 {
			return a[:at]
		}
		return a
	case LoginAddress:
		return a
	}
	return ""
}

// Standard ports.
const (
	PortIMAPS      = 993
	PortIMAP       = 143
	PortSMTPS      = 465
	PortSubmission = 587
	PortSMTP       = 25
)

// StandardPort returns the usual port for incoming (imap true) or outgoing mail under sec.
func StandardPort(imap bool, sec Security) int {
	switch {
	case imap && sec == SecuritySSL:
		return PortIMAPS
	case imap:
		return PortIMAP
	case sec == SecuritySSL:
		return PortSMTPS
	}
	return PortSubmission
}

// Server is one mail server of a provider.
type Server struct {
	Host     string
	Port     int
	Security Security
}

// Address returns host:port, with brackets around an IPv6 host.
func (s Server) Address() string {
	if strings.Contains(s.Host, ":") {
		return fmt.Sprintf("[%s]:%d", s.Host, s.Port)
	}
	return fmt.Sprintf("%s:%d", s.Host, s.Port)
}

// Provider is an email provider card.
type Provider struct {
	ID          int64
	Name        string
	IMAPEnabled bool // "Download emails using protocol"
	IMAP        Server
	SMTPEnabled bool // "Allow sending emails"
	SMTP        Server
	SMTPTimeout int // seconds the send server may take to answer
	LoginRule   LoginRule
	Logo        []byte   // PNG thumbnail, at most 128 px; nil for none
	Domains     []string // stored form, see NormalizeDomain
	ExternalID  string   // the clientConfig emailProvider id it was imported from; "" for none
	ManagedBy   string   // the subscription source it comes from, read-only here; "" for none
	Version     int64    // changes with every save; Save refuses a stale one
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedBy   string
	UpdatedAt   time.Time

	// ServerSavesSent is "The server saves sent messages" (as Gmail does): Mailroom then does
	// not append its own copy of a sent message to the Sent folder, so it is never doubled.
	ServerSavesSent bool

	IMAPAuth AuthMethod // how incoming mail signs in; "" is AuthPassword
	SMTPAuth AuthMethod // how outgoing mail signs in; "" is AuthPassword
	OAuth    OAuth2     // the authorization server, used when either is AuthOAuth2
}

// NewProvider returns a card with the usual defaults: IMAP over SSL on 993, SMTP over SSL on
// 465 with a 40-second timeout, the whole address as login.
func NewProvider() *Provider {
	return &Provider{
		IMAPEnabled: true, IMAP: Server{Port: PortIMAPS, Security: SecuritySSL},
		SMTPEnabled: true, SMTP: Server{Port: PortSMTPS, Security: SecuritySSL},
		SMTPTimeout: DefaultTimeout, LoginRule: LoginAddress, IMAPAuth: AuthPassword, SMTPAuth: AuthPassword,
	}
}

// Field names used in validation errors.
const (
	FieldName        = "name"
	FieldIMAPHost    = "imap_host"
	FieldIMAPPort    = "imap_port"
	FieldIMAPSec     = "imap_security"
	FieldSMTPHost    = "smtp_host"
	FieldSMTPPort    = "smtp_port"
	FieldSMTPSec     = "smtp_security"
	FieldSMTPTimeout = "smtp_timeout"
	FieldProtocols   = "protocols"
	FieldLoginRule   = "login_rule"
	FieldDomains     = "domains"
	FieldLogo        = "logo"
)

// Normalize checks every field of p and puts names, hosts and domains in stored form.
// It returns a *ValidationError naming each bad field.
func (p *Provider) Normalize() error {
	v := &ValidationError{}
	p.Name = CleanName(p.Name)
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		v.add(FieldName, "Enter a name")
	case n > MaxNameLen:
		v.add(FieldName, fmt.Sprintf("The name is %d characters long; at most %d are allowed", n, MaxNameLen))
	}
	if !p.IMAPEnabled && !p.SMTPEnabled {
		v.add(FieldProtocols, "Turn on downloading, sending, or both")
	}
	normalizeServer(v, &p.IMAP, p.IMAPEnabled, FieldIMAPHost, FieldIMAPPort, FieldIMAPSec)
	normalizeServer(v, &p.SMTP, p.SMTPEnabled, FieldSMTPHost, FieldSMTPPort, FieldSMTPSec)
	if p.SMTPTimeout < MinTimeout || p.SMTPTimeout > MaxTimeout {
		v.add(FieldSMTPTimeout, fmt.Sprintf("The timeout must be from %d to %d seconds", MinTimeout, MaxTimeout))
	}
	if !p.LoginRule.valid() {
		v.add(FieldLoginRule, "Choose how the login is found")
	}
	normalizeOAuth(v, p)
	p.Domains = normalizeDomains(v, p.Domains)
	if len(p.Logo) > maxStoredLogo {
		v.add(FieldLogo, "The logo is too large")
	}
	return v.orNil()
}

func normalizeServer(v *ValidationError, s *Server, enabled bool, hostF, portF, secF string) {
	if !s.Security.valid() {
		v.add(secF, "Choose the security")
	}
	if !enabled && strings.TrimSpace(s.Host) == "" {
		return // an unused server may stay empty
	}
	h, err := NormalizeHost(s.Host)
	if err != nil {
		v.add(hostF, err.Error())
	} else {
		s.Host = h
	}
	if s.Port < 1 || s.Port > 65535 {
		v.add(portF, "The port must be from 1 to 65535")
	}
}

func normalizeDomains(v *ValidationError, in []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, d := range in {
		n, err := NormalizeDomain(d)
		if err != nil {
			v.add(FieldDomains, err.Error())
			continue
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	slices.Sort(out) // the order Get and List return them in
	return out
}

const providerColumns = `p.id, p.name, p.imap_enabled, p.imap_host, p.imap_port, p.imap_security,
	p.smtp_enabled, p.smtp_host, p.smtp_port, p.smtp_security, p.smtp_timeout, p.login_rule,
	p.version, p.created_by, p.created_at, p.updated_by, p.updated_at, p.external_id, p.managed_by,
	p.server_saves_sent` + oauthColumns

type scanner interface{ Scan(dest ...any) error }

func scanProvider(sc scanner, extra ...any) (*Provider, error) {
	p := &Provider{}
	var created, updated string
	var externalID, managedBy sql.NullString
	var scopes string
	dest := append([]any{&p.ID, &p.Name, &p.IMAPEnabled, &p.IMAP.Host, &p.IMAP.Port, &p.IMAP.Security,
		&p.SMTPEnabled, &p.SMTP.Host, &p.SMTP.Port, &p.SMTP.Security, &p.SMTPTimeout, &p.LoginRule,
		&p.Version, &p.CreatedBy, &created, &p.UpdatedBy, &updated, &externalID, &managedBy, &p.ServerSavesSent}, oauthDest(p, &scopes)...)
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	if scopes != "" {
		p.OAuth.Scopes = strings.Fields(scopes)
	}
	p.CreatedAt, p.UpdatedAt = parseStamp(created), parseStamp(updated)
	p.ExternalID, p.ManagedBy = externalID.String, managedBy.String
	return p, nil
}

// Get returns the provider with id, with its logo and domains, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (*Provider, error) {
	p, err := scanFullProvider(s.getStmt.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get provider %d: %w", id, err)
	}
	return p, nil
}

// fullProviderQuery reads one provider with its logo and domains in one statement, prepared
// once: compiling it costs SQLite more than running it. The domain filter is a subquery, not a
// JOIN, because SQLite recompiles a prepared JOIN on a bound value at every run.
const fullProviderQuery = `SELECT ` + providerColumns + `, p.logo,
	(SELECT group_concat(x.domain, ' ') FROM provider_domains x WHERE x.provider_id = p.id)
	FROM providers p WHERE p.id = `

// scanFullProvider reads a row of fullProviderQuery.
func scanFullProvider(sc scanner) (*Provider, error) {
	var logo []byte
	var domains sql.NullString
	p, err := scanProvider(sc, &logo, &domains)
	if err != nil {
		return nil, err
	}
	p.Logo = logo
	if domains.Valid {
		p.Domains = strings.Fields(domains.String)
		slices.Sort(p.Domains) // in Go: an ORDER BY would build a temporary b-tree per provider
	}
	return p, nil
}

// List returns every provider of the list ordered by name, with domains but without logos
// (see Logo); settings kept for one person's mailbox (SavePersonalProvider) are not listed.
func (s *Store) List(ctx context.Context) ([]*Provider, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+providerColumns+`,
		(SELECT group_concat(domain, ' ') FROM provider_domains d WHERE d.provider_id = p.id),
		p.logo IS NOT NULL
		FROM providers p WHERE p.owner IS NULL ORDER BY p.name_key`)
	if err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	defer rows.Close()
	var out []*Provider
	for rows.Next() {
		var domains sql.NullString
		var hasLogo bool
		p, err := scanProvider(rows, &domains, &hasLogo)
		if err != nil {
			return nil, fmt.Errorf("list providers: %w", err)
		}
		if domains.Valid {
			p.Domains = strings.Fields(domains.String)
			slices.Sort(p.Domains) // see scanFullProvider
		}
		if hasLogo {
			p.Logo = []byte{} // present, not loaded
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Logo returns the logo thumbnail of provider id; nil when it has none.
func (s *Store) Logo(ctx context.Context, id int64) ([]byte, error) {
	var logo []byte
	err := s.r.QueryRowContext(ctx, `SELECT logo FROM providers WHERE id = ?`, id).Scan(&logo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider %d: %w", id, ErrNotFound)
	}
	return logo, err
}

// Save validates p and writes it with its domains in one transaction: a new provider when
// p.ID is 0, else an update that fails with ErrConflict when p.Version is stale.
// It fails with a *ValidationError (a taken name or domain among them),
// ErrManaged, or ErrNotFound; on any error nothing changes. On success p holds the stored values.
func (s *Store) Save(ctx context.Context, p *Provider) error {
	if err := p.Normalize(); err != nil {
		return err
	}
	saved := *p
	if err := s.tx(ctx, func(tx *sql.Tx) error { return s.save(tx, &saved) }, changed(KindProviders|KindDomains)); err != nil {
		return err
	}
	*p = saved
	return nil
}

// save is Save's work inside transaction tx, on a normalized p.
func (s *Store) save(tx *sql.Tx, p *Provider) error {
	if err := checkFresh(tx, p); err != nil {
		return err
	}
	if err := checkUnmanaged(tx, p.ID); err != nil {
		return err
	}
	if err := checkUnique(tx, p); err != nil {
		return err
	}
	if err := checkExternalID(tx, p); err != nil {
		return err
	}
	if err := s.writeProvider(tx, p); err != nil {
		return err
	}
	return replaceDomains(tx, p.ID, p.Domains)
}

// checkFresh fails with ErrConflict or ErrNotFound when p was changed or deleted since it was
// read. It runs before checkUnique so that a stale card is reported as stale, not as clashing
// with a change it has not seen (a domain moved away from it meanwhile).
func checkFresh(tx *sql.Tx, p *Provider) error {
	if p.ID == 0 {
		return nil
	}
	var v int64
	err := tx.QueryRow(`SELECT version FROM providers WHERE id = ?`, p.ID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || err == nil && v != p.Version {
		return staleOrGone(tx, p.ID)
	}
	return err
}

// checkUnique fails with a ValidationError when p's name or one of its domains is another provider's.
func checkUnique(tx *sql.Tx, p *Provider) error {
	v := &ValidationError{}
	var other string
	err := tx.QueryRow(`SELECT name FROM providers WHERE name_key = ? AND id <> ?`, nameKey(p.Name), p.ID).Scan(&other)
	if err == nil {
		v.add(FieldName, fmt.Sprintf("Another provider is already called %q", other))
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, d := range p.Domains {
		err := tx.QueryRow(`SELECT p.name FROM provider_domains d JOIN providers p ON p.id = d.provider_id
			WHERE d.domain = ? AND d.provider_id <> ?`, d, p.ID).Scan(&other)
		if err == nil {
			v.add(FieldDomains, fmt.Sprintf("%s already belongs to %q", DisplayDomain(d), other))
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return v.orNil()
}

func (s *Store) writeProvider(tx *sql.Tx, p *Provider) error {
	now := s.stamp()
	args := []any{p.Name, nameKey(p.Name), p.IMAPEnabled, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security,
		p.SMTPEnabled, p.SMTP.Host, p.SMTP.Port, p.SMTP.Security, p.SMTPTimeout, p.LoginRule, nullBlob(p.Logo), s.user, now,
		nullText(p.ExternalID), p.ServerSavesSent}
	if p.ID == 0 {
		res, err := tx.Exec(`INSERT INTO providers (name, name_key, imap_enabled, imap_host, imap_port, imap_security,
			smtp_enabled, smtp_host, smtp_port, smtp_security, smtp_timeout, login_rule, logo, updated_by, updated_at,
			external_id, server_saves_sent, created_by, created_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)`, append(args, s.user, now)...)
		if err != nil {
			return fmt.Errorf("insert provider: %w", err)
		}
		p.ID, _ = res.LastInsertId()
		p.Version, p.CreatedBy, p.CreatedAt = 1, s.user, parseStamp(now)
	} else {
		res, err := tx.Exec(`UPDATE providers SET name=?, name_key=?, imap_enabled=?, imap_host=?, imap_port=?, imap_security=?,
			smtp_enabled=?, smtp_host=?, smtp_port=?, smtp_security=?, smtp_timeout=?, login_rule=?, logo=?, updated_by=?, updated_at=?,
			external_id=?, server_saves_sent=?, version = version + 1 WHERE id = ? AND version = ?`, append(args, p.ID, p.Version)...)
		if err != nil {
			return fmt.Errorf("update provider: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return staleOrGone(tx, p.ID)
		}
		p.Version++
	}
	p.UpdatedBy, p.UpdatedAt = s.user, parseStamp(now)
	return writeOAuth(tx, p)
}

func staleOrGone(tx *sql.Tx, id int64) error {
	var by string
	err := tx.QueryRow(`SELECT updated_by FROM providers WHERE id = ?`, id).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("provider %d was deleted: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("provider %d was changed by %s: %w", id, by, ErrConflict)
}

func nullBlob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func replaceDomains(tx *sql.Tx, id int64, domains []string) error {
	if _, err := tx.Exec(`DELETE FROM provider_domains WHERE provider_id = ?`, id); err != nil {
		return err
	}
	for _, d := range domains {
		if _, err := tx.Exec(`INSERT INTO provider_domains (domain, provider_id) VALUES (?, ?)`, d, id); err != nil {
			return fmt.Errorf("add domain %s: %w", d, err)
		}
	}
	return nil
}

// Delete removes provider id and its domains. It fails with ErrManaged,
// ErrInUse (mailboxes take their servers from it) or ErrNotFound.
func (s *Store) Delete(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkUnmanaged(tx, id); err != nil {
			return err
		}
		var users int
		if err := tx.QueryRow(`SELECT count(*) FROM mailboxes WHERE provider_id = ?`, id).Scan(&users); err != nil {
			return err
		}
		if users > 0 {
			return fmt.Errorf("%d mailboxes use provider %d: %w", users, id, ErrInUse)
		}
		res, err := tx.Exec(`DELETE FROM providers WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete provider %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("provider %d: %w", id, ErrNotFound)
		}
		return nil
	}, changed(KindProviders|KindDomains))
}

// CopyName returns a name for a copy of a provider called name, at most MaxNameLen long,
// for which taken returns false.
func CopyName(name string, taken func(string) bool) string {
	for i := 1; ; i++ {
		suffix := " (copy)"
		if i > 1 {
			suffix = fmt.Sprintf(" (copy %d)", i)
		}
		r := []rune(CleanName(name))
		if max := MaxNameLen - utf8.RuneCountInString(suffix); len(r) > max {
			r = r[:max]
		}
		// Cleaned again: the cut may end on a space, and Save would fold it into the suffix's.
		if c := CleanName(string(r)) + suffix; !taken(c) {
			return c
		}
	}
}

// NameTaken reports whether a provider other than id already has a name equal to name,
// ignoring case and spaces.
func (s *Store) NameTaken(ctx context.Context, name string, id int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM providers WHERE name_key = ? AND id <> ?`, nameKey(name), id).Scan(&n)
	return n > 0, err
}
