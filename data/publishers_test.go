package data

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// withKey gives s a signing key of its own and returns the public half.
func withKey(t *testing.T, s *Store) string {
	t.Helper()
	key := newTestKey()
	if err := s.SetSigningKey(context.Background(), key, "test-ref"); err != nil {
		t.Fatalf("SetSigningKey: %v", err)
	}
	return key
}

func publisherKeys(t *testing.T, list []Publisher) []string {
	t.Helper()
	var out []string
	for _, p := range list {
		out = append(out, p.Name+"="+p.PublicKey[:8])
	}
	return out
}

func TestNormalizePublicKey(t *testing.T) {
	key := newTestKey()
	for _, in := range []string{key, " " + key + "\n", "untrusted comment: minisign public key: 1234\n" + key + "\n"} {
		if got, err := NormalizePublicKey(in); err != nil || got != key {
			t.Errorf("NormalizePublicKey(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "RWQ", key[:40], key + "A", "hello world", key + " " + key} {
		if _, err := NormalizePublicKey(in); err == nil {
			t.Errorf("NormalizePublicKey(%q) accepted", in)
		}
	}
	if f := KeyFingerprint(key); len(f) != 39 || f != KeyFingerprint("untrusted comment: x\n"+key) {
		t.Errorf("KeyFingerprint = %q", f)
	}
	if KeyFingerprint(key) == KeyFingerprint(newTestKey()) {
		t.Error("two keys have one fingerprint")
	}
}

func TestSigningKeyIsSetOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.SigningKey(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SigningKey before: %v", err)
	}
	key := withKey(t, s)
	if err := s.SetSigningKey(ctx, newTestKey(), "other"); !errors.Is(err, ErrConflict) {
		t.Fatalf("second SetSigningKey: %v, want ErrConflict", err)
	}
	k, err := s.SigningKey(ctx)
	if err != nil || k.PublicKey != key || k.KeyringRef != "test-ref" {
		t.Fatalf("SigningKey = %+v, %v", k, err)
	}
}

func TestGrantAndRevokePublishers(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	colleague := newTestKey()
	if _, err := s.GrantPublisher(ctx, colleague, "Bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("grant without a signing key: %v, want ErrNotFound", err)
	}
	own := withKey(t, s)
	var ve *ValidationError
	if _, err := s.GrantPublisher(ctx, "RWQnot-a-key", ""); !errors.As(err, &ve) || ve.For(FieldPublicKey) == "" || ve.For(FieldPublisherName) == "" {
		t.Fatalf("grant of a bad key: %v, want errors on key and name", err)
	}
	if list, _ := s.Publishers(ctx); len(list) != 0 {
		t.Fatalf("a refused grant changed the set: %+v", list)
	}
	if _, err := s.GrantPublisher(ctx, colleague, "Bob"); err != nil {
		t.Fatal(err)
	}
	got := publisherKeys(t, must(s.Publishers(ctx)))
	if len(got) != 2 || got[0] != "Bob="+colleague[:8] || got[1] != "ann="+own[:8] {
		t.Fatalf("publishers after the first grant = %v, want Bob and ann (the own key, added first)", got)
	}
	if err := s.RevokePublisher(ctx, own); !errors.Is(err, ErrSelfRevoke) {
		t.Fatalf("revoking oneself: %v, want ErrSelfRevoke", err)
	}
	if err := s.RevokePublisher(ctx, newTestKey()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking a stranger: %v, want ErrNotFound", err)
	}
	if err := s.RevokePublisher(ctx, colleague); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokePublisher(ctx, own); !errors.Is(err, ErrLastPublisher) {
		t.Fatalf("revoking the last publisher: %v, want ErrLastPublisher", err)
	}
	if got := publisherKeys(t, must(s.Publishers(ctx))); len(got) != 1 || got[0] != "ann="+own[:8] {
		t.Fatalf("publishers = %v", got)
	}
}

func TestPlanPublishNumbersAboveEverySeenList(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	withKey(t, s)
	plan, err := s.PlanPublish(ctx, 0)
	if err != nil || plan.Sequence != 1 || len(plan.Publishers) != 1 {
		t.Fatalf("first plan = %+v, %v", plan, err)
	}
	if err := s.RecordPublished(ctx, 1, "/srv/list", time.Now()); err != nil {
		t.Fatal(err)
	}
	if plan, _ := s.PlanPublish(ctx, 0); plan.Sequence != 2 {
		t.Fatalf("after publishing 1, next = %d", plan.Sequence)
	}
	if plan, _ := s.PlanPublish(ctx, 7); plan.Sequence != 8 {
		t.Fatalf("with number 7 in the folder, next = %d", plan.Sequence)
	}
}

func TestAcceptedCopiesMustBeSignedByTrustedAndNewer(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	p := sourceProvider("Alpha", "alpha.example", "alpha.example")
	apply(t, s, p) // number 1
	before := dump(t, s)

	stranger := nextCopy(t, s)
	stranger.SignedBy = newTestKey()
	old := nextCopy(t, s)
	old.Sequence = 1 // number 1 again, another index
	if _, err := s.ApplySubscription(ctx, testSource, stranger, nil); !errors.Is(err, ErrNotTrusted) {
		t.Fatalf("copy by a stranger: %v, want ErrNotTrusted", err)
	}
	if _, err := s.ApplySubscription(ctx, testSource, old, nil); !errors.Is(err, ErrReplayed) {
		t.Fatalf("copy with the same number and another index: %v, want ErrReplayed", err)
	}
	if got := dump(t, s); got != before {
		t.Fatalf("a refused copy changed the store:\n%s\nwant\n%s", got, before)
	}
	same := nextCopy(t, s)
	same.Sequence, same.IndexSHA256 = 1, "index 1"
	if ch, err := s.ApplySubscription(ctx, testSource, same, []*Provider{p}); err != nil || ch.Changed() {
		t.Fatalf("the same copy again: %+v, %v; want accepted, unchanged", ch, err)
	}

	// A copy naming a new publisher: from then on that publisher is trusted, and the one who
	// is left out is not.
	successor := newTestKey()
	handover := nextCopy(t, s)
	handover.Publishers = []Publisher{{Name: "Bob", PublicKey: successor}}
	if _, err := s.ApplySubscription(ctx, testSource, handover, []*Provider{p}); err != nil {
		t.Fatal(err)
	}
	if got := publisherKeys(t, must(s.ListPublishers(ctx))); len(got) != 1 || got[0] != "Bob="+successor[:8] {
		t.Fatalf("trusted after the handover = %v", got)
	}
	if _, err := s.ApplySubscription(ctx, testSource, nextCopy(t, s), []*Provider{p}); !errors.Is(err, ErrNotTrusted) {
		t.Fatalf("copy by the revoked publisher: %v, want ErrNotTrusted", err)
	}
	byBob := nextCopy(t, s)
	byBob.SignedBy, byBob.Publishers = successor, handover.Publishers
	if _, err := s.ApplySubscription(ctx, testSource, byBob, []*Provider{p}); err != nil {
		t.Fatalf("copy by the new publisher: %v", err)
	}
}

func TestListPublisherMayChangeTheListsProviders(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"))
	list, _ := s.List(ctx)
	alpha := list[0]
	alpha.IMAP.Port = 143
	if err := s.Save(ctx, alpha); !errors.Is(err, ErrManaged) {
		t.Fatalf("a subscriber's change: %v, want ErrManaged", err)
	}
	// This database's key becomes one of the list's publishers.
	own := withKey(t, s)
	grant := nextCopy(t, s)
	grant.Publishers = append(grant.Publishers, Publisher{Name: "Bea", PublicKey: own})
	if _, err := s.ApplySubscription(ctx, testSource, grant, []*Provider{sourceProvider("Alpha", "alpha.example", "alpha.example")}); err != nil {
		t.Fatal(err)
	}
	alpha, _ = s.Get(ctx, alpha.ID)
	alpha.IMAP.Port = 143
	if err := s.Save(ctx, alpha); err != nil {
		t.Fatalf("a publisher's change: %v", err)
	}
	plan, err := s.PlanPublish(ctx, 0)
	if err != nil || plan.Sequence != 3 || len(plan.Publishers) != 2 {
		t.Fatalf("a list publisher's plan = %+v, %v; want number 3 and both publishers", plan, err)
	}
}

func TestMigrationKeepsTheOwnersThingsAndDropsGrants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	db := rawDB(t, path)
	if err := migrateTo(db, 8); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (name, first_seen) VALUES ('ann', '2025-01-01'), ('bob', '2025-01-02')`,
		`INSERT INTO grants (user_name, operation, granted_by, granted_at) VALUES ('ann', 'manage_providers', 'ann', '2025-01-01'),
			('bob', 'manage_providers', 'ann', '2025-01-03')`,
		`INSERT INTO providers (name, name_key, imap_enabled, imap_host, imap_port, imap_security, smtp_enabled, smtp_host,
			smtp_port, smtp_security, smtp_timeout, login_rule, created_by, created_at, updated_by, updated_at)
			VALUES ('Office', 'office', 1, 'imap.office.example', 993, 'ssl', 1, 'smtp.office.example', 465, 'ssl', 40,
			'address', 'bob', '2025-01-03', 'bob', '2025-01-03')`,
		`INSERT INTO mailboxes (owner, address, provider_id, login, keyring_ref, created_at, updated_at)
			VALUES ('ann', 'ann@office.example', 1, 'ann@office.example', 'ref-ann', '2025-01-04', '2025-01-04')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	ann := openStore(t, path, "ann")
	ctx := context.Background()
	var n int
	if err := ann.r.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'grants'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("grants table left: %d, %v", n, err)
	}
	boxes, err := ann.Mailboxes(ctx)
	if err != nil || len(boxes) != 1 {
		t.Fatalf("ann's mailboxes = %v, %v", boxes, err)
	}
	p, err := ann.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.IMAP.Port = 143
	if err := ann.Save(ctx, p); err != nil {
		t.Fatalf("the owner changing a provider bob made: %v", err)
	}
	// An old subscription has no key: it stays, and its refresh is refused until the person
	// subscribes again with the publisher's key.
	if pubs, err := ann.Publishers(ctx); err != nil || len(pubs) != 0 {
		t.Fatalf("publishers after migration = %v, %v", pubs, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
