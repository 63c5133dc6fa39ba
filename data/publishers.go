package data

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"aead.dev/minisign"
)

// Fields of a publisher, named in validation errors.
const (
	FieldPublicKey     = "public_key"
	FieldPublisherName = "publisher_name"
)

// MaxPublisherName is the longest publisher name, in characters.
const MaxPublisherName = 100

// Reasons a change of the publisher set, a publish or a refresh is refused.
var (
	// ErrNotPublisher: this database's key is not among the publishers of the list it would change.
	ErrNotPublisher = errors.New("you are not a publisher of the provider list")
	// ErrLastPublisher: the list must keep at least one publisher.
	ErrLastPublisher = errors.New("the last publisher cannot be removed")
	// ErrSelfRevoke: a publisher is removed by another publisher, never by themselves.
	ErrSelfRevoke = errors.New("a publisher cannot revoke their own key")
	// ErrNotTrusted: a copy of the list is not signed by a publisher trusted now.
	ErrNotTrusted = errors.New("not signed by a publisher of the list")
	// ErrReplayed: a copy of the list is not newer than the one accepted last.
	ErrReplayed = errors.New("older than the copy in use")
)

// Publisher is someone who may sign the office's provider list.
type Publisher struct {
	Name      string
	PublicKey string    // minisign public key in base64 (see NormalizePublicKey)
	AddedBy   string    // "" for publishers read from a subscribed list
	AddedAt   time.Time // zero for publishers read from a subscribed list
}

// Fingerprint returns the publisher key's fingerprint (see KeyFingerprint).
func (p Publisher) Fingerprint() string { return KeyFingerprint(p.PublicKey) }

// NormalizePublicKey accepts a minisign public key as minisign writes it (the .pub file with
// its comment line, or only its second line) and returns the base64 line. The error says in
// plain words what is wrong.
func NormalizePublicKey(text string) (string, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return "", fmt.Errorf("Paste the publisher's public key: the line that starts with RW, from mailroom providers key")
	}
	if strings.HasPrefix(t, "untrusted comment:") {
		if _, rest, ok := strings.Cut(t, "\n"); ok {
			t = strings.TrimSpace(rest)
		}
	}
	var k minisign.PublicKey
	if strings.ContainsAny(t, " \t\r\n") || k.UnmarshalText([]byte(t)) != nil {
		return "", fmt.Errorf("This is not a minisign public key: it is one line of 56 characters that starts with RW")
	}
	return k.String(), nil
}

// ParsePublicKey returns the minisign key of a key NormalizePublicKey accepts.
func ParsePublicKey(text string) (minisign.PublicKey, error) {
	var k minisign.PublicKey
	t, err := NormalizePublicKey(text)
	if err == nil {
		err = k.UnmarshalText([]byte(t))
	}
	if err != nil {
		return k, fmt.Errorf("public key: %w", err)
	}
	return k, nil
}

// KeyFingerprint returns what people compare to be sure of a key: the first 128 bits of the
// SHA-256 of the base64 key, in eight groups of four hex digits. A key that is not one gives "".
func KeyFingerprint(publicKey string) string {
	t, err := NormalizePublicKey(publicKey)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(t))
	h := strings.ToUpper(hex.EncodeToString(sum[:16]))
	groups := make([]string, 0, 8)
	for i := 0; i < len(h); i += 4 {
		groups = append(groups, h[i:i+4])
	}
	return strings.Join(groups, " ")
}

func normalizePublisher(p Publisher) (Publisher, error) {
	v := &ValidationError{}
	key, err := NormalizePublicKey(p.PublicKey)
	if err != nil {
		v.add(FieldPublicKey, err.Error())
	}
	p.PublicKey = key
	p.Name = CleanName(p.Name)
	switch {
	case p.Name == "":
		v.add(FieldPublisherName, "Enter the publisher's name, as colleagues know them")
	case len([]rune(p.Name)) > MaxPublisherName || strings.ContainsAny(p.Name, "\r\n"):
		v.add(FieldPublisherName, fmt.Sprintf("The name is one line of at most %d characters", MaxPublisherName))
	}
	return p, v.orNil()
}

// SigningKey is this database's own key for signing the provider list. Only the public half
// is in the database; the secret half is in the OS keyring under KeyringRef.
type SigningKey struct {
	PublicKey  string
	KeyringRef string
	CreatedAt  time.Time
}

// SigningKey returns this database's signing key; ErrNotFound when it has none yet.
func (s *Store) SigningKey(ctx context.Context) (*SigningKey, error) {
	var k SigningKey
	var at string
	err := s.r.QueryRowContext(ctx, `SELECT public_key, keyring_ref, created_at FROM signing_key WHERE id = 1`).
		Scan(&k.PublicKey, &k.KeyringRef, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("signing key: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	k.CreatedAt = parseStamp(at)
	return &k, nil
}

// SetSigningKey records this database's signing key, whose secret half the caller has put in
// the keyring under ref. It fails with ErrConflict when the database has a key already (the
// list's subscribers trust that one), or a *ValidationError for a bad key.
func (s *Store) SetSigningKey(ctx context.Context, publicKey, ref string) error {
	key, err := NormalizePublicKey(publicKey)
	if err != nil {
		return &ValidationError{Fields: []*FieldError{{Field: FieldPublicKey, Msg: err.Error()}}}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT OR IGNORE INTO signing_key (id, public_key, keyring_ref, created_at) VALUES (1, ?, ?, ?)`,
			key, ref, s.stamp())
		if err != nil {
			return fmt.Errorf("record signing key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("signing key: %w", ErrConflict)
		}
		return nil
	}, changed(KindPublishers))
}

// Publishers returns the publishers of the list this database publishes, by name: those the
// next publish names. Before the first publish or grant it is empty.
func (s *Store) Publishers(ctx context.Context) ([]Publisher, error) {
	return queryPublishers(ctx, s.r, `SELECT name, public_key, added_by, added_at FROM publishers ORDER BY name, public_key`)
}

// ListPublishers returns the publishers of the subscribed list trusted now, by name: the key
// given when subscribing, then those of each accepted copy. Empty without a subscription.
func (s *Store) ListPublishers(ctx context.Context) ([]Publisher, error) {
	return queryPublishers(ctx, s.r, `SELECT name, public_key, '', '' FROM list_publishers
		WHERE EXISTS (SELECT 1 FROM provider_subscription) ORDER BY name, public_key`)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryPublishers(ctx context.Context, q querier, query string) ([]Publisher, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read publishers: %w", err)
	}
	defer rows.Close()
	var out []Publisher
	for rows.Next() {
		var p Publisher
		var at string
		if err := rows.Scan(&p.Name, &p.PublicKey, &p.AddedBy, &at); err != nil {
			return nil, err
		}
		p.AddedAt = parseStamp(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ownKey returns this database's public key, or "" when it has none yet.
func ownKey(tx *sql.Tx) (string, error) {
	var k string
	err := tx.QueryRow(`SELECT public_key FROM signing_key WHERE id = 1`).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return k, err
}

// seedPublishers fills an empty publisher set: a publisher of the subscribed list starts from
// that list's publishers, anyone else from their own key alone. It returns the own key.
func (s *Store) seedPublishers(tx *sql.Tx) (string, error) {
	own, err := ownKey(tx)
	if err != nil {
		return "", err
	}
	if own == "" {
		return "", fmt.Errorf("publishers: no signing key yet: %w", ErrNotFound)
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM publishers`).Scan(&n); err != nil || n > 0 {
		return own, err
	}
	if onList, err := isListPublisher(context.Background(), tx); err != nil {
		return "", err
	} else if onList {
		_, err = tx.Exec(`INSERT INTO publishers (public_key, name, added_by, added_at)
			SELECT public_key, CASE WHEN name <> '' THEN name WHEN public_key = ? THEN ? ELSE 'Publisher' END, ?, ?
			FROM list_publishers`, own, s.user, s.user, s.stamp())
		return own, err
	}
	_, err = tx.Exec(`INSERT INTO publishers (public_key, name, added_by, added_at) VALUES (?, ?, ?, ?)`, own, s.user, s.user, s.stamp())
	return own, err
}

// isListPublisher reports whether this database subscribes to a list whose trusted publishers
// include its own key: then it may change the list's providers too, to publish them.
func isListPublisher(ctx context.Context, q rowQuerier) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM list_publishers l JOIN signing_key k ON k.public_key = l.public_key
		WHERE EXISTS (SELECT 1 FROM provider_subscription)`).Scan(&n)
	return n > 0, err
}

// rowQuerier is what isListPublisher reads through: a transaction, or the store's reader.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// requirePublisher seeds the set and fails with ErrNotPublisher unless the own key is in it
// and, when this database subscribes to a list, among that list's trusted publishers too: a
// subscriber who is not one would only publish a list nobody accepts over the office's.
func (s *Store) requirePublisher(tx *sql.Tx) (string, error) {
	own, err := s.seedPublishers(tx)
	if err != nil {
		return "", err
	}
	var mine, subscribed int
	if err := tx.QueryRow(`SELECT (SELECT count(*) FROM publishers WHERE public_key = ?),
		(SELECT count(*) FROM provider_subscription)`, own).Scan(&mine, &subscribed); err != nil {
		return "", err
	}
	onList, err := isListPublisher(context.Background(), tx)
	if err != nil {
		return "", err
	}
	if mine == 0 || subscribed > 0 && !onList {
		return "", ErrNotPublisher
	}
	return own, nil
}

// GrantPublisher adds a publisher (or renames one) to the list this database publishes; the
// next publish names them, and from then on subscribers accept lists they sign. The own key
// must exist (ErrNotFound) and be a publisher (ErrNotPublisher); a bad key or name gives a
// *ValidationError on FieldPublicKey or FieldPublisherName.
func (s *Store) GrantPublisher(ctx context.Context, publicKey, name string) (*Publisher, error) {
	p, err := normalizePublisher(Publisher{PublicKey: publicKey, Name: name, AddedBy: s.user})
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.requirePublisher(tx); err != nil {
			return err
		}
		p.AddedAt = parseStamp(s.stamp())
		_, err := tx.Exec(`INSERT INTO publishers (public_key, name, added_by, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (public_key) DO UPDATE SET name = excluded.name`, p.PublicKey, p.Name, p.AddedBy, s.stamp())
		return err
	}, changed(KindPublishers))
	if err != nil {
		return nil, fmt.Errorf("grant publisher: %w", err)
	}
	return &p, nil
}

// RevokePublisher removes a publisher from the list this database publishes; the next publish
// leaves them out, and from then on subscribers refuse lists they sign. It fails with
// ErrNotPublisher, ErrNotFound (not a publisher), ErrLastPublisher, ErrSelfRevoke, or a
// *ValidationError for a key that is not one.
func (s *Store) RevokePublisher(ctx context.Context, publicKey string) error {
	key, err := NormalizePublicKey(publicKey)
	if err != nil {
		return &ValidationError{Fields: []*FieldError{{Field: FieldPublicKey, Msg: err.Error()}}}
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		own, err := s.requirePublisher(tx)
		if err != nil {
			return err
		}
		var n, others int
		if err := tx.QueryRow(`SELECT count(*), count(*) FILTER (WHERE public_key <> ?) FROM publishers`, key).Scan(&n, &others); err != nil {
			return err
		}
		switch {
		case n == others:
			return fmt.Errorf("publisher %s: %w", KeyFingerprint(key), ErrNotFound)
		case others == 0:
			return ErrLastPublisher
		case key == own:
			return ErrSelfRevoke
		}
		_, err = tx.Exec(`DELETE FROM publishers WHERE public_key = ?`, key)
		return err
	}, changed(KindPublishers))
	if err != nil {
		return fmt.Errorf("revoke publisher: %w", err)
	}
	return nil
}

// PublishPlan is what the next publish signs: its sequence number and publishers.
type PublishPlan struct {
	Sequence   int64
	Publishers []Publisher
	SigningKey string // the own public key
}

// PlanPublish returns the next list's sequence number (above every one this database has
// published or accepted, and above found, the number of a valid list already in the target
// folder, 0 for none) and its publishers. The own key must exist (ErrNotFound) and be a
// publisher (ErrNotPublisher).
func (s *Store) PlanPublish(ctx context.Context, found int64) (*PublishPlan, error) {
	plan := &PublishPlan{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		own, err := s.requirePublisher(tx)
		if err != nil {
			return err
		}
		var last int64
		err = tx.QueryRow(`SELECT max(coalesce((SELECT sequence FROM publishing), 0),
			coalesce((SELECT sequence FROM provider_subscription), 0))`).Scan(&last)
		if err != nil {
			return err
		}
		plan.Sequence, plan.SigningKey = max(last, found)+1, own
		return nil
	}, changed(KindPublishers))
	if err != nil {
		return nil, fmt.Errorf("plan publish: %w", err)
	}
	plan.Publishers, err = s.Publishers(ctx)
	return plan, err
}

// Publication is the last list this database published.
type Publication struct {
	Sequence    int64
	Dir         string
	PublishedAt time.Time
}

// RecordPublished notes that the list numbered seq was published in dir at at.
func (s *Store) RecordPublished(ctx context.Context, seq int64, dir string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO publishing (id, sequence, dir, published_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET sequence = max(sequence, excluded.sequence), dir = excluded.dir,
			published_at = excluded.published_at`, seq, dir, stampOf(at))
		if err != nil {
			return fmt.Errorf("record publish: %w", err)
		}
		return nil
	}, changed(KindPublishers))
}

// LastPublication returns the last list this database published; ErrNotFound before the first.
func (s *Store) LastPublication(ctx context.Context) (*Publication, error) {
	var p Publication
	var at string
	err := s.r.QueryRowContext(ctx, `SELECT sequence, dir, published_at FROM publishing WHERE id = 1`).Scan(&p.Sequence, &p.Dir, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("last publication: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read last publication: %w", err)
	}
	p.PublishedAt = parseStamp(at)
	return &p, nil
}

// SignedCopy is what a verified copy of the subscribed list says about itself.
type SignedCopy struct {
	Sequence    int64
	SignedAt    time.Time
	SignedBy    string // the public key that signed it
	IndexSHA256 string
	Publishers  []Publisher // the publisher set it names
}

// acceptCopy checks, inside ApplySubscription's transaction, that c is signed by a publisher
// trusted now (ErrNotTrusted) and newer than the last accepted copy, or that very copy
// again (ErrReplayed), then makes its publishers the trusted set. A publisher set this
// database publishes follows the list unless it was changed since (a grant not yet published).
func acceptCopy(tx *sql.Tx, c *SignedCopy) error {
	var trusted int
	if err := tx.QueryRow(`SELECT count(*) FROM list_publishers WHERE public_key = ?`, c.SignedBy).Scan(&trusted); err != nil {
		return err
	}
	if trusted == 0 {
		return ErrNotTrusted
	}
	var seq int64
	var hash string
	if err := tx.QueryRow(`SELECT sequence, index_sha256 FROM provider_subscription WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return err
	}
	if c.Sequence < seq || c.Sequence == seq && c.IndexSHA256 != hash {
		return fmt.Errorf("list number %d, the copy in use is number %d: %w", c.Sequence, seq, ErrReplayed)
	}
	incoming := make([]Publisher, 0, len(c.Publishers))
	for _, p := range c.Publishers {
		n, err := normalizePublisher(p)
		if err != nil {
			return fmt.Errorf("publisher %q: %w", p.Name, err)
		}
		incoming = append(incoming, n)
	}
	if len(incoming) == 0 {
		return fmt.Errorf("the list names no publisher: %w", ErrNotTrusted)
	}
	follow, err := publishersFollowList(tx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM list_publishers`); err != nil {
		return err
	}
	for _, p := range incoming {
		if _, err := tx.Exec(`INSERT OR REPLACE INTO list_publishers (public_key, name) VALUES (?, ?)`, p.PublicKey, p.Name); err != nil {
			return err
		}
	}
	if follow {
		if _, err := tx.Exec(`DELETE FROM publishers`); err != nil {
			return err
		}
	}
	_, err = tx.Exec(`UPDATE provider_subscription SET sequence = ?, signed_at = ?, index_sha256 = ? WHERE id = 1`,
		c.Sequence, stampOf(c.SignedAt), c.IndexSHA256)
	return err
}

// publishersFollowList reports whether the publisher set this database publishes is the
// trusted set of its list unchanged (then it is emptied, to be seeded again from the new one).
func publishersFollowList(tx *sql.Tx) (bool, error) {
	keys := func(q string) ([]string, error) {
		rows, err := tx.Query(q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return nil, err
			}
			out = append(out, k)
		}
		return out, rows.Err()
	}
	mine, err := keys(`SELECT public_key FROM publishers ORDER BY public_key`)
	if err != nil {
		return false, err
	}
	list, err := keys(`SELECT public_key FROM list_publishers ORDER BY public_key`)
	return len(mine) > 0 && slices.Equal(mine, list), err
}

// IsListPublisher reports whether this database subscribes to a list and its own key is
// among that list's trusted publishers: then it may change the list's providers, to publish
// them. A failed read counts as no.
func (s *Store) IsListPublisher(ctx context.Context) bool {
	ok, err := isListPublisher(ctx, s.r)
	return err == nil && ok
}
