package data

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MailboxState is what the last connection test or sync said about a mailbox.
type MailboxState string

// The states of a mailbox.
const (
	MailboxNew   MailboxState = "new"   // never tested since it was saved
	MailboxOK    MailboxState = "ok"    // the last test or sync succeeded
	MailboxError MailboxState = "error" // the last test or sync failed; LastError says why
	// MailboxSignIn: the authorization server refused the mailbox's OAuth 2.0 refresh token
	// (revoked or expired); the person must sign in again. LastError says so.
	MailboxSignIn MailboxState = "signin"
)

// stored returns the state column's value of st and the sign_in_needed flag.
func (st MailboxState) stored() (MailboxState, bool) {
	if st == MailboxSignIn {
		return MailboxError, true
	}
	return st, false
}

// Mailbox limits.
const (
	MaxSenderNameLen = 200   // characters
	MaxSignatureLen  = 10000 // characters
	MaxLoginLen      = 320   // characters
)

// Field names used in mailbox validation errors.
const (
	FieldAddress    = "address"
	FieldSenderName = "sender_name"
	FieldProvider   = "provider"
	FieldLogin      = "login"
	FieldSignature  = "signature"
)

// Mailbox is one of a user's personal mailboxes. Its password lives in the OS keyring under
// KeyringRef (see Secrets), never in the database.
type Mailbox struct {
	ID           int64
	Owner        string // the user it belongs to; set by the store
	Address      string // local part as entered, domain in stored (ASCII) form
	SenderName   string // shown to recipients; "" for none
	ProviderID   int64
	ProviderName string // read only, filled by the store
	Login        string
	Signature    string
	LoadFrom     time.Time // first day whose mail is downloaded; zero for all mail
	KeyringRef   string    // set by the store on first save
	IsDefault    bool
	State        MailboxState
	LastError    string // the plain sentence of the last failure
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Normalize checks every field of m and puts the address in stored form. It returns a
// *ValidationError naming each bad field.
func (m *Mailbox) Normalize() error {
	v := &ValidationError{}
	if local, domain, err := SplitAddress(m.Address); err != nil {
		v.add(FieldAddress, err.Error())
	} else {
		m.Address = local + "@" + domain
	}
	m.SenderName = CleanName(m.SenderName) // bidi controls would turn the name around in the recipient's reader
	if n := utf8.RuneCountInString(m.SenderName); n > MaxSenderNameLen {
		v.add(FieldSenderName, fmt.Sprintf("The name is %d characters long; at most %d are allowed", n, MaxSenderNameLen))
	}
	if m.ProviderID <= 0 {
		v.add(FieldProvider, "Choose the email provider")
	}
	m.Login = strings.TrimSpace(m.Login)
	switch n := utf8.RuneCountInString(m.Login); {
	case n == 0:
		v.add(FieldLogin, "Enter the login")
	case n > MaxLoginLen:
		v.add(FieldLogin, fmt.Sprintf("The login is longer than %d characters", MaxLoginLen))
	case strings.ContainsAny(m.Login, "\r\n\x00"):
		v.add(FieldLogin, "The login cannot contain line breaks")
	}
	if n := utf8.RuneCountInString(m.Signature); n > MaxSignatureLen {
		v.add(FieldSignature, fmt.Sprintf("The signature is %d characters long; at most %d are allowed", n, MaxSignatureLen))
	}
	if m.State == "" {
		m.State = MailboxNew
	}
	if !m.LoadFrom.IsZero() {
		y, mo, d := m.LoadFrom.Date()
		m.LoadFrom = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	}
	return v.orNil()
}

const mailboxColumns = `m.id, m.owner, m.address, m.sender_name, m.provider_id, p.name, m.login, m.signature,
	m.load_from, m.keyring_ref, m.is_default, m.state, m.last_error, m.created_at, m.updated_at, m.sign_in_needed`

const mailboxFrom = ` FROM mailboxes m JOIN providers p ON p.id = m.provider_id `

func scanMailbox(sc scanner) (*Mailbox, error) {
	m := &Mailbox{}
	var loadFrom sql.NullString
	var created, updated string
	var signIn bool
	if err := sc.Scan(&m.ID, &m.Owner, &m.Address, &m.SenderName, &m.ProviderID, &m.ProviderName, &m.Login,
		&m.Signature, &loadFrom, &m.KeyringRef, &m.IsDefault, &m.State, &m.LastError, &created, &updated, &signIn); err != nil {
		return nil, err
	}
	if signIn {
		m.State = MailboxSignIn
	}
	if loadFrom.Valid {
		m.LoadFrom, _ = time.Parse(time.DateOnly, loadFrom.String)
	}
	m.CreatedAt, m.UpdatedAt = parseStamp(created), parseStamp(updated)
	return m, nil
}

// Mailboxes returns the acting user's mailboxes, the default first, then by address.
func (s *Store) Mailboxes(ctx context.Context) ([]*Mailbox, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+mailboxColumns+mailboxFrom+
		`WHERE m.owner = ? ORDER BY m.is_default DESC, lower(m.address)`, s.user)
	if err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	defer rows.Close()
	var out []*Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list mailboxes: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Mailbox returns the acting user's mailbox id, or ErrNotFound (also for another user's).
func (s *Store) Mailbox(ctx context.Context, id int64) (*Mailbox, error) {
	m, err := scanMailbox(s.r.QueryRowContext(ctx, `SELECT `+mailboxColumns+mailboxFrom+
		`WHERE m.id = ? AND m.owner = ?`, id, s.user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("mailbox %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get mailbox %d: %w", id, err)
	}
	return m, nil
}

// MailboxByAddress returns the acting user's mailbox with address, ignoring case, or ErrNotFound.
func (s *Store) MailboxByAddress(ctx context.Context, address string) (*Mailbox, error) {
	a := strings.TrimSpace(address)
	if local, domain, err := SplitAddress(a); err == nil {
		a = local + "@" + domain
	}
	m, err := scanMailbox(s.r.QueryRowContext(ctx, `SELECT `+mailboxColumns+mailboxFrom+
		`WHERE m.owner = ? AND lower(m.address) = lower(?)`, s.user, a))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("mailbox %s: %w", address, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get mailbox %s: %w", address, err)
	}
	return m, nil
}

// SaveMailbox validates m and writes it as the acting user's: a new mailbox when m.ID is 0
// (given a fresh KeyringRef unless it has one), else an update of one the user owns. The
// user's first mailbox becomes the default; a mailbox saved with IsDefault takes the default
// from the others. It fails with a *ValidationError (an address the user already has, an
// unknown provider) or ErrNotFound; on any error nothing changes. On success m holds the
// stored values.
func (s *Store) SaveMailbox(ctx context.Context, m *Mailbox) error {
	if err := m.Normalize(); err != nil {
		return err
	}
	saved := *m
	saved.Owner = s.user
	if saved.ID == 0 && saved.KeyringRef == "" {
		ref, err := newKeyringRef(saved.Address)
		if err != nil {
			return err
		}
		saved.KeyringRef = ref
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if saved.ID != 0 {
			if err := s.ownMailbox(tx, saved.ID); err != nil {
				return err
			}
		}
		if err := checkMailbox(tx, &saved); err != nil {
			return err
		}
		if err := s.defaultFirst(tx, &saved); err != nil {
			return err
		}
		if err := s.writeMailbox(tx, &saved); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT name FROM providers WHERE id = ?`, saved.ProviderID).Scan(&saved.ProviderName)
	}, changed(KindMailboxes))
	if err != nil {
		return err
	}
	*m = saved
	return nil
}

// checkMailbox fails with a ValidationError when m's provider is unknown or its address is
// already one of the owner's other mailboxes.
func checkMailbox(tx *sql.Tx, m *Mailbox) error {
	v := &ValidationError{}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM providers WHERE id = ?`, m.ProviderID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		v.add(FieldProvider, "The chosen provider no longer exists; choose another")
	}
	if err := tx.QueryRow(`SELECT count(*) FROM mailboxes WHERE owner = ? AND lower(address) = lower(?) AND id <> ?`,
		m.Owner, m.Address, m.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		v.add(FieldAddress, fmt.Sprintf("You already have the mailbox %s", m.Address))
	}
	return v.orNil()
}

// defaultFirst makes m the default when the owner has no other mailbox, and clears the other
// default when m is to be it, so the one-default index holds after the write.
func (s *Store) defaultFirst(tx *sql.Tx, m *Mailbox) error {
	var others int
	if err := tx.QueryRow(`SELECT count(*) FROM mailboxes WHERE owner = ? AND id <> ? AND is_default = 1`,
		m.Owner, m.ID).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		m.IsDefault = true
		return nil
	}
	if !m.IsDefault {
		return nil
	}
	_, err := tx.Exec(`UPDATE mailboxes SET is_default = 0 WHERE owner = ? AND id <> ?`, m.Owner, m.ID)
	return err
}

func (s *Store) writeMailbox(tx *sql.Tx, m *Mailbox) error {
	now := s.stamp()
	var loadFrom any
	if !m.LoadFrom.IsZero() {
		loadFrom = m.LoadFrom.Format(time.DateOnly)
	}
	state, signIn := m.State.stored()
	args := []any{m.Address, m.SenderName, m.ProviderID, m.Login, m.Signature, loadFrom, m.IsDefault, state, m.LastError, now, signIn}
	if m.ID == 0 {
		res, err := tx.Exec(`INSERT INTO mailboxes (address, sender_name, provider_id, login, signature, load_from,
			is_default, state, last_error, updated_at, sign_in_needed, owner, keyring_ref, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			append(args, m.Owner, m.KeyringRef, now)...)
		if err != nil {
			return fmt.Errorf("insert mailbox: %w", err)
		}
		m.ID, _ = res.LastInsertId()
		m.CreatedAt = parseStamp(now)
	} else {
		var created string
		err := tx.QueryRow(`UPDATE mailboxes SET address=?, sender_name=?, provider_id=?, login=?, signature=?, load_from=?,
			is_default=?, state=?, last_error=?, updated_at=?, sign_in_needed=? WHERE id = ? AND owner = ? RETURNING keyring_ref, created_at`,
			append(args, m.ID, m.Owner)...).Scan(&m.KeyringRef, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("mailbox %d: %w", m.ID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update mailbox %d: %w", m.ID, err)
		}
		m.CreatedAt = parseStamp(created)
	}
	m.UpdatedAt = parseStamp(now)
	return nil
}

// newKeyringRef returns a keyring entry name for a new mailbox: the address, for people who
// look at their keyring, and a random part, so a mailbox removed and added again, or the same
// address of two users, never shares an entry.
func newKeyringRef(address string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keyring reference: %w", err)
	}
	return address + "#" + hex.EncodeToString(b), nil
}

// SetDefaultMailbox makes the acting user's mailbox id their default. It fails with ErrNotFound.
func (s *Store) SetDefaultMailbox(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.ownMailbox(tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE mailboxes SET is_default = 0 WHERE owner = ? AND id <> ?`, s.user, id); err != nil {
			return fmt.Errorf("set default mailbox: %w", err)
		}
		_, err := tx.Exec(`UPDATE mailboxes SET is_default = 1, updated_at = ? WHERE id = ?`, s.stamp(), id)
		return err
	}, changed(KindMailboxes))
}

// SetMailboxState records the outcome of a test or sync of the acting user's mailbox id:
// lastError is the plain sentence shown to the person ("" when state is MailboxOK).
// It fails with ErrNotFound.
func (s *Store) SetMailboxState(ctx context.Context, id int64, state MailboxState, lastError string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, signIn := state.stored()
		res, err := tx.Exec(`UPDATE mailboxes SET state = ?, last_error = ?, sign_in_needed = ?, updated_at = ? WHERE id = ? AND owner = ?`,
			st, lastError, signIn, s.stamp(), id, s.user)
		if err != nil {
			return fmt.Errorf("set state of mailbox %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("mailbox %d: %w", id, ErrNotFound)
		}
		return nil
	}, changed(KindMailboxes))
}

// DeleteMailbox removes the acting user's mailbox id and returns it, so the caller can delete
// its keyring entry. When it was the default, the user's oldest remaining mailbox becomes the
// default. It fails with ErrNotFound.
func (s *Store) DeleteMailbox(ctx context.Context, id int64) (*Mailbox, error) {
	var gone *Mailbox
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := scanMailbox(tx.QueryRow(`SELECT `+mailboxColumns+mailboxFrom+`WHERE m.id = ? AND m.owner = ?`, id, s.user))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("mailbox %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("delete mailbox %d: %w", id, err)
		}
		if _, err := tx.Exec(`DELETE FROM mailboxes WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete mailbox %d: %w", id, err)
		}
		if err := deleteUnusedPersonal(tx, m.ProviderID, s.user); err != nil {
			return err
		}
		if m.IsDefault {
			if _, err := tx.Exec(`UPDATE mailboxes SET is_default = 1 WHERE id =
				(SELECT min(id) FROM mailboxes WHERE owner = ?)`, s.user); err != nil {
				return fmt.Errorf("move default mailbox: %w", err)
			}
		}
		gone = m
		return nil
	}, changed(KindMailboxes|KindFolders|KindMessages))
	return gone, err
}

// MailboxesUsingProvider returns how many mailboxes, of any user, take their servers from
// provider id; such a provider cannot be deleted.
func (s *Store) MailboxesUsingProvider(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM mailboxes WHERE provider_id = ?`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("mailboxes of provider %d: %w", id, err)
	}
	return n, nil
}

func (s *Store) ownMailbox(tx *sql.Tx, id int64) error {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM mailboxes WHERE id = ? AND owner = ?`, id, s.user).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("mailbox %d: %w", id, ErrNotFound)
	}
	return nil
}
