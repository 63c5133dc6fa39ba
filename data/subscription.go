package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrManaged is returned when a change is asked of a provider that comes from the provider
// list this database subscribes to: such a provider changes only when the list is refreshed.
var ErrManaged = errors.New("the provider comes from a subscribed provider list")

// FieldSource names a subscription's source in validation errors.
const FieldSource = "source"

// Subscription is the provider list this database follows, and how its last refresh went.
type Subscription struct {
	Source        string // an https URL of an index.txt, or an absolute folder path
	SubscribedBy  string
	SubscribedAt  time.Time
	LastAttemptAt time.Time // zero before the first refresh
	LastGoodAt    time.Time // when the list was last applied; zero when never
	LastError     string    // why the last refresh failed; "" when it worked
	Sequence      int64     // the number of the copy accepted last; 0 before the first
	SignedAt      time.Time // when its publisher signed that copy
}

// IsURL reports whether the source is an https URL rather than a folder.
func (s *Subscription) IsURL() bool { return IsURLSource(s.Source) }

// IsURLSource reports whether source names an https URL rather than a folder.
func IsURLSource(source string) bool { return strings.HasPrefix(strings.ToLower(source), "https://") }

// NormalizeSource checks a subscription source: an https URL with a host, or an absolute
// folder path (cleaned). The error says in plain words what is wrong.
func NormalizeSource(source string) (string, error) {
	src := strings.TrimSpace(source)
	switch {
	case src == "":
		return "", fmt.Errorf("Enter an https address or a folder")
	case strings.Contains(src, "://"):
		u, err := url.Parse(src)
		if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil {
			return "", fmt.Errorf("Only https addresses are accepted, as in https://intranet.example/mail/index.txt")
		}
		u.Scheme = "https"
		return u.String(), nil
	case !filepath.IsAbs(src):
		return "", fmt.Errorf("Enter the folder's full path, as in /mnt/share/providers")
	}
	return filepath.Clean(src), nil
}

// Subscription returns the provider list this database follows. It fails with ErrNotFound
// when there is none.
func (s *Store) Subscription(ctx context.Context) (*Subscription, error) {
	var sub Subscription
	var at, attempt, good, signed string
	err := s.r.QueryRowContext(ctx, `SELECT source, subscribed_by, subscribed_at, last_attempt_at, last_good_at, last_error,
		sequence, signed_at FROM provider_subscription WHERE id = 1`).Scan(&sub.Source, &sub.SubscribedBy, &at, &attempt, &good,
		&sub.LastError, &sub.Sequence, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("provider list subscription: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read provider list subscription: %w", err)
	}
	sub.SubscribedAt, sub.LastAttemptAt, sub.LastGoodAt = parseStamp(at), parseStamp(attempt), parseStamp(good)
	sub.SignedAt = parseStamp(signed)
	return &sub, nil
}

// Subscribe makes this database follow the provider list at source (see NormalizeSource),
// trusting only copies signed by publicKey (a minisign public key, see NormalizePublicKey)
// until a copy it signed names the publishers to trust next. It replaces any other
// subscription, whose providers stay as ordinary providers; subscribing again to the same
// source keeps the number of the copy accepted last, so an older copy is still refused.
// Nothing is fetched: the caller refreshes next. It fails with a *ValidationError on
// FieldSource or FieldPublicKey.
func (s *Store) Subscribe(ctx context.Context, source, publicKey string) (*Subscription, error) {
	v := &ValidationError{}
	src, err := NormalizeSource(source)
	if err != nil {
		v.add(FieldSource, err.Error())
	}
	key, err := NormalizePublicKey(publicKey)
	if err != nil {
		v.add(FieldPublicKey, err.Error())
	}
	if err := v.orNil(); err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE providers SET managed_by = NULL WHERE managed_by IS NOT NULL AND managed_by <> ?`, src); err != nil {
			return fmt.Errorf("release providers of the previous list: %w", err)
		}
		_, err := tx.Exec(`INSERT INTO provider_subscription (id, source, subscribed_by, subscribed_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET source = excluded.source, subscribed_by = excluded.subscribed_by,
			subscribed_at = excluded.subscribed_at, last_attempt_at = '', last_good_at = '', last_error = '',
			sequence = 0, signed_at = '', index_sha256 = ''
			WHERE source <> excluded.source`, src, s.user, s.stamp())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM list_publishers`); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO list_publishers (public_key, name) VALUES (?, '')`, key)
		return err
	}, changed(KindSubscription|KindPublishers))
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", src, err)
	}
	return s.Subscription(ctx)
}

// Unsubscribe stops following the provider list; its providers stay as ordinary providers
// that may be changed here, and its publishers are no longer trusted. It returns how many
// were released and fails with ErrNotFound when there is no subscription.
func (s *Store) Unsubscribe(ctx context.Context) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM provider_subscription WHERE id = 1`)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM list_publishers`); err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("provider list subscription: %w", ErrNotFound)
		}
		res, err = tx.Exec(`UPDATE providers SET managed_by = NULL WHERE managed_by IS NOT NULL`)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	}, changed(KindSubscription|KindPublishers|KindProviders|KindDomains))
	if err != nil {
		return 0, fmt.Errorf("unsubscribe: %w", err)
	}
	return int(n), nil
}

// RecordRefreshFailure notes that refreshing the list at source failed with reason (one plain
// sentence); the providers stay as the last good refresh left them. It fails with ErrNotFound
// when the database no longer subscribes to source.
func (s *Store) RecordRefreshFailure(ctx context.Context, source, reason string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE provider_subscription SET last_attempt_at = ?, last_error = ? WHERE id = 1 AND source = ?`,
			s.stamp(), reason, source)
		if err != nil {
			return fmt.Errorf("record refresh failure: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("subscription to %s: %w", source, ErrNotFound)
		}
		return nil
	}, changed(KindSubscription))
}

// SubscriptionChanges says what one refresh did, by provider name.
type SubscriptionChanges struct {
	Added     []string
	Updated   []string
	Unchanged []string
	Removed   []string
	Released  []string // gone from the list but kept, as ordinary providers, for the mailboxes using them
}

// Changed reports whether the refresh changed any provider.
func (c *SubscriptionChanges) Changed() bool {
	return len(c.Added)+len(c.Updated)+len(c.Removed)+len(c.Released) > 0
}

// ApplySubscription makes the providers managed by source exactly list, in one transaction:
// each is matched by its ExternalID (which must be set and unique in list) to a provider of
// the list, else adopted from an ordinary provider with that external id or exactly its
// domains, else added; providers of the list missing from it are deleted, or released when
// mailboxes use them. Updated providers keep their logo and send timeout. The copy must be
// signed by a publisher trusted now and newer than the last accepted one (see SignedCopy);
// its publishers are trusted from then on. It fails with ErrNotFound when the database does
// not subscribe to source, ErrNotTrusted, ErrReplayed, or a *ValidationError (a name or
// domain of an ordinary provider among them); then nothing changes.
func (s *Store) ApplySubscription(ctx context.Context, source string, signed *SignedCopy, list []*Provider) (*SubscriptionChanges, error) {
	incoming, err := normalizeList(list)
	if err != nil {
		return nil, err
	}
	ch := &SubscriptionChanges{}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := subscribedTo(tx, source); err != nil {
			return err
		}
		if err := acceptCopy(tx, signed); err != nil {
			return err
		}
		targets, err := s.matchManaged(tx, source, incoming)
		if err != nil {
			return err
		}
		if err := s.dropUnlisted(tx, source, targets, ch); err != nil {
			return err
		}
		if err := vacate(tx, targets); err != nil {
			return err
		}
		for i, p := range incoming {
			if err := s.placeManaged(tx, source, p, targets[i], ch); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`UPDATE provider_subscription SET last_attempt_at = ?, last_good_at = ?, last_error = '' WHERE id = 1`,
			s.stamp(), s.stamp())
		return err
	}, changed(KindSubscription|KindPublishers|KindProviders|KindDomains))
	if err != nil {
		return nil, fmt.Errorf("apply provider list %s: %w", source, err)
	}
	return ch, nil
}

// normalizeList validates copies of list; each needs its own external id.
func normalizeList(list []*Provider) ([]*Provider, error) {
	out := make([]*Provider, 0, len(list))
	seen := map[string]bool{}
	for _, p := range list {
		c := *p
		c.ID, c.Version, c.ManagedBy = 0, 0, ""
		if err := c.Normalize(); err != nil {
			return nil, fmt.Errorf("provider %q: %w", c.Name, err)
		}
		slices.Sort(c.Domains) // the order stored providers' domains are compared in
		c.ExternalID = strings.TrimSpace(c.ExternalID)
		if c.ExternalID == "" || seen[c.ExternalID] {
			return nil, &ValidationError{Fields: []*FieldError{{Field: FieldExternalID,
				Msg: fmt.Sprintf("%q needs an external id of its own in the list", c.Name)}}}
		}
		seen[c.ExternalID] = true
		out = append(out, &c)
	}
	return out, nil
}

func subscribedTo(tx *sql.Tx, source string) error {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM provider_subscription WHERE id = 1 AND source = ?`, source).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("subscription to %s: %w", source, ErrNotFound)
	}
	return nil
}

// matchManaged returns, for each incoming provider, the stored provider it replaces (nil for a
// new one): one of source's by external id, else an ordinary one by external id or domains.
func (s *Store) matchManaged(tx *sql.Tx, source string, incoming []*Provider) ([]*Provider, error) {
	targets := make([]*Provider, len(incoming))
	taken := map[int64]bool{}
	for i, p := range incoming {
		var id int64
		err := tx.QueryRow(`SELECT id FROM providers WHERE external_id = ? AND (managed_by IS NULL OR managed_by = ?)`,
			p.ExternalID, source).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			id, err = sameDomains(tx, source, p.Domains)
		}
		if err != nil {
			return nil, err
		}
		if id == 0 || taken[id] {
			continue
		}
		taken[id] = true
		if targets[i], err = getTx(tx, id); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// sameDomains returns the ordinary or source's provider whose domains are exactly domains, or 0.
func sameDomains(tx *sql.Tx, source string, domains []string) (int64, error) {
	if len(domains) == 0 {
		return 0, nil
	}
	var id int64
	err := tx.QueryRow(`SELECT p.id FROM provider_domains d JOIN providers p ON p.id = d.provider_id
		WHERE d.domain = ? AND (p.managed_by IS NULL OR p.managed_by = ?)`, domains[0], source).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	have, err := domainsTx(tx, id)
	if err != nil || !slices.Equal(have, domains) {
		return 0, err
	}
	return id, nil
}

// getTx reads provider id with logo and sorted domains inside tx.
func getTx(tx *sql.Tx, id int64) (*Provider, error) {
	var logo []byte
	p, err := scanProvider(tx.QueryRow(`SELECT `+providerColumns+`, p.logo FROM providers p WHERE p.id = ?`, id), &logo)
	if err != nil {
		return nil, fmt.Errorf("get provider %d: %w", id, err)
	}
	p.Logo = logo
	p.Domains, err = domainsTx(tx, id)
	return p, err
}

func domainsTx(tx *sql.Tx, id int64) ([]string, error) {
	rows, err := tx.Query(`SELECT domain FROM provider_domains WHERE provider_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out, rows.Err()
}

// dropUnlisted deletes source's providers that are not targets, releasing those that
// mailboxes use (a mailbox must not lose its servers).
func (s *Store) dropUnlisted(tx *sql.Tx, source string, targets []*Provider, ch *SubscriptionChanges) error {
	keep := map[int64]bool{}
	for _, t := range targets {
		if t != nil {
			keep[t.ID] = true
		}
	}
	rows, err := tx.Query(`SELECT p.id, p.name, (SELECT count(*) FROM mailboxes m WHERE m.provider_id = p.id)
		FROM providers p WHERE p.managed_by = ? ORDER BY p.name_key`, source)
	if err != nil {
		return err
	}
	type row struct {
		id    int64
		name  string
		inUse int
	}
	var drop []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.inUse); err != nil {
			rows.Close()
			return err
		}
		if !keep[r.id] {
			drop = append(drop, r)
		}
	}
	rows.Close()
	for _, r := range drop {
		q, list := `DELETE FROM providers WHERE id = ?`, &ch.Removed
		if r.inUse > 0 {
			q, list = `UPDATE providers SET managed_by = NULL, version = version + 1 WHERE id = ?`, &ch.Released
		}
		if _, err := tx.Exec(q, r.id); err != nil {
			return fmt.Errorf("drop provider %d: %w", r.id, err)
		}
		*list = append(*list, r.name)
	}
	return rows.Err()
}

// vacate frees the names and domains of the targets, so that the list may move a name or a
// domain from one of its providers to another. A name key never starts with a space.
func vacate(tx *sql.Tx, targets []*Provider) error {
	for _, t := range targets {
		if t == nil {
			continue
		}
		if _, err := tx.Exec(`UPDATE providers SET name_key = ' ' || id WHERE id = ?`, t.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM provider_domains WHERE provider_id = ?`, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// placeManaged writes incoming provider p over old (nil: a new provider) as one of source's.
func (s *Store) placeManaged(tx *sql.Tx, source string, p, old *Provider, ch *SubscriptionChanges) error {
	if old != nil {
		p.ID, p.Version, p.Logo, p.SMTPTimeout = old.ID, old.Version, old.Logo, old.SMTPTimeout
	}
	if err := checkUnique(tx, p); err != nil {
		return fmt.Errorf("provider %q: %w", p.Name, err)
	}
	if err := checkExternalID(tx, p); err != nil {
		return fmt.Errorf("provider %q: %w", p.Name, err)
	}
	switch {
	case old == nil:
		ch.Added = append(ch.Added, p.Name)
	case old.ManagedBy == source && sameSettings(old, p):
		ch.Unchanged = append(ch.Unchanged, p.Name)
		if _, err := tx.Exec(`UPDATE providers SET name_key = ? WHERE id = ?`, nameKey(p.Name), p.ID); err != nil {
			return err
		}
		return replaceDomains(tx, p.ID, p.Domains)
	default:
		ch.Updated = append(ch.Updated, p.Name)
	}
	if err := s.writeProvider(tx, p); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE providers SET managed_by = ? WHERE id = ?`, source, p.ID); err != nil {
		return err
	}
	return replaceDomains(tx, p.ID, p.Domains)
}

// sameSettings reports whether p and q say the same things a provider list can say.
func sameSettings(p, q *Provider) bool {
	return p.Name == q.Name && p.ExternalID == q.ExternalID && p.LoginRule == q.LoginRule &&
		p.IMAPEnabled == q.IMAPEnabled && p.IMAP == q.IMAP && p.SMTPEnabled == q.SMTPEnabled && p.SMTP == q.SMTP &&
		slices.Equal(p.Domains, q.Domains) && SameSignIn(p, q)
}

// checkUnmanaged fails with ErrManaged when provider id comes from a subscribed list, unless
// this database is a publisher of that list: a publisher changes the list's providers here
// and publishes them.
func checkUnmanaged(tx *sql.Tx, id int64) error {
	if id == 0 {
		return nil
	}
	if publisher, err := isListPublisher(context.Background(), tx); err != nil || publisher {
		return err
	}
	var name string
	err := tx.QueryRow(`SELECT name FROM providers WHERE id = ? AND managed_by IS NOT NULL`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("provider %q: %w", name, ErrManaged)
}

// checkDomainUnmanaged fails with ErrManaged when domain d ("" for none) or provider id (0
// for none) belongs to a subscribed list.
func checkDomainUnmanaged(tx *sql.Tx, d string, id int64) error {
	if d != "" {
		var owner int64
		err := tx.QueryRow(`SELECT provider_id FROM provider_domains WHERE domain = ?`, d).Scan(&owner)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := checkUnmanaged(tx, owner); err != nil {
			return err
		}
	}
	return checkUnmanaged(tx, id)
}
