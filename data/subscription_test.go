package data

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"aead.dev/minisign"
)

const testSource = "https://intranet.example/mail/index.txt"

// testKey is the key the test lists are "signed" with: data checks who signed a copy and its
// number; the signature itself is checked by mailclient before.
var testKey = newTestKey()

func newTestKey() string {
	pub, _, err := minisign.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	return pub.String()
}

func subscribed(t *testing.T) *Store {
	t.Helper()
	s := sourceStore(t)
	if _, err := s.Subscribe(context.Background(), testSource, testKey); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return s
}

// nextCopy returns the copy after the one s accepted last, signed by testKey.
func nextCopy(t *testing.T, s *Store) *SignedCopy {
	t.Helper()
	sub, err := s.Subscription(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &SignedCopy{Sequence: sub.Sequence + 1, SignedBy: testKey, IndexSHA256: fmt.Sprint("index ", sub.Sequence+1),
		Publishers: []Publisher{{Name: "Ann", PublicKey: testKey}}}
}

func apply(t *testing.T, s *Store, list ...*Provider) *SubscriptionChanges {
	t.Helper()
	ch, err := s.ApplySubscription(context.Background(), testSource, nextCopy(t, s), list)
	if err != nil {
		t.Fatalf("ApplySubscription: %v", err)
	}
	return ch
}

func names(t *testing.T, s *Store) []string {
	t.Helper()
	list, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list {
		out = append(out, p.Name+"|"+p.ManagedBy)
	}
	return out
}

func TestNormalizeSource(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{" https://intranet.example/index.txt ", "https://intranet.example/index.txt", true},
		{"HTTPS://intranet.example/x", "https://intranet.example/x", true},
		{"http://intranet.example/index.txt", "", false},
		{"https:///index.txt", "", false},
		{"https://user:pw@intranet.example/index.txt", "", false},
		{"/mnt/share/providers/", "/mnt/share/providers", true},
		{"share/providers", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeSource(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeSource(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSubscribeNeedsSourceAndKey(t *testing.T) {
	s := sourceStore(t)
	ctx := context.Background()
	var ve *ValidationError
	if _, err := s.Subscribe(ctx, "http://x.example/", "RWQnotakey"); !errors.As(err, &ve) || ve.For(FieldSource) == "" || ve.For(FieldPublicKey) == "" {
		t.Fatalf("Subscribe(http, bad key): %v, want validation errors on the source and the key", err)
	}
	if _, err := s.Subscription(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Subscription before subscribing: %v", err)
	}
	sub, err := s.Subscribe(ctx, testSource, "untrusted comment: minisign public key\n"+testKey+"\n")
	if err != nil || sub.Source != testSource || sub.SubscribedBy != "ann" || !sub.LastGoodAt.IsZero() || sub.Sequence != 0 {
		t.Fatalf("Subscribe = %+v, %v", sub, err)
	}
	list, err := s.ListPublishers(ctx)
	if err != nil || len(list) != 1 || list[0].PublicKey != testKey {
		t.Fatalf("ListPublishers after subscribing = %+v, %v", list, err)
	}
	if _, err := s.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListPublishers(ctx); len(list) != 0 {
		t.Fatalf("ListPublishers after unsubscribing = %+v", list)
	}
}

func TestApplySubscriptionAddsUpdatesRemoves(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	ch := apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"), sourceProvider("Beta", "beta.example", "beta.example"))
	if !slices.Equal(ch.Added, []string{"Alpha", "Beta"}) || ch.Changed() == false {
		t.Fatalf("first refresh %+v", ch)
	}
	want := []string{"Alpha|" + testSource, "Beta|" + testSource}
	if got := names(t, s); !slices.Equal(got, want) {
		t.Fatalf("providers %v, want %v", got, want)
	}
	alpha, _ := s.ProviderByExternalID(ctx, "alpha.example")

	// Alpha renamed and its domain moved to a new provider; Beta gone; Gamma new.
	renamed := sourceProvider("Alpha Mail", "alpha.example", "alpha2.example")
	moved := sourceProvider("Gamma", "gamma.example", "alpha.example")
	ch = apply(t, s, renamed, moved)
	if !slices.Equal(ch.Updated, []string{"Alpha Mail"}) || !slices.Equal(ch.Added, []string{"Gamma"}) ||
		!slices.Equal(ch.Removed, []string{"Beta"}) {
		t.Fatalf("second refresh %+v", ch)
	}
	got, err := s.Get(ctx, alpha.ID)
	if err != nil || got.Name != "Alpha Mail" || !slices.Equal(got.Domains, []string{"alpha2.example"}) {
		t.Fatalf("Alpha after refresh %+v, %v", got, err)
	}
	ch = apply(t, s, renamed, moved)
	if ch.Changed() || len(ch.Unchanged) != 2 {
		t.Fatalf("same list again %+v", ch)
	}
	again, _ := s.Get(ctx, alpha.ID)
	if again.Version != got.Version {
		t.Errorf("an unchanged provider's version moved from %d to %d", got.Version, again.Version)
	}
	sub, _ := s.Subscription(ctx)
	if sub.LastGoodAt.IsZero() || sub.LastError != "" {
		t.Errorf("subscription after refresh %+v", sub)
	}
}

func TestApplySubscriptionIsAllOrNothing(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"))
	local := sourceProvider("Local", "", "local.example")
	if err := s.Save(ctx, local); err != nil {
		t.Fatal(err)
	}
	before := names(t, s)
	tests := []struct {
		name string
		list []*Provider
	}{
		{"a domain of an ordinary provider", []*Provider{sourceProvider("Beta", "beta.example", "beta.example"),
			func() *Provider {
				p := sourceProvider("Gamma", "gamma.example", "gamma.example")
				p.Domains = append(p.Domains, "local.example")
				return p
			}()}},
		{"the name of an ordinary provider", []*Provider{sourceProvider("Beta", "beta.example", "beta.example"), sourceProvider("local", "l.example", "l.example")}},
		{"two with one id", []*Provider{sourceProvider("Beta", "x.example", "beta.example"), sourceProvider("Gamma", "x.example", "gamma.example")}},
		{"no id", []*Provider{sourceProvider("Beta", "", "beta.example")}},
		{"invalid settings", []*Provider{func() *Provider {
			p := sourceProvider("Beta", "beta.example", "beta.example")
			p.IMAP.Port = 0
			return p
		}()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.ApplySubscription(ctx, testSource, nextCopy(t, s), tt.list); err == nil {
				t.Fatal("ApplySubscription succeeded")
			}
			if got := names(t, s); !slices.Equal(got, before) {
				t.Fatalf("providers %v, want them unchanged %v", got, before)
			}
		})
	}
	if _, err := s.ApplySubscription(ctx, "/other/folder", nextCopy(t, s), nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("another source: %v, want ErrNotFound", err)
	}
}

func TestApplySubscriptionAdoptsAndReleases(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	byHand := sourceProvider("Alpha by hand", "", "alpha.example")
	if err := s.Save(ctx, byHand); err != nil {
		t.Fatal(err)
	}
	ch := apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"), sourceProvider("Beta", "beta.example", "beta.example"))
	if !slices.Equal(ch.Updated, []string{"Alpha"}) {
		t.Fatalf("the provider with the same domains was not adopted: %+v", ch)
	}
	beta, _ := s.ProviderByExternalID(ctx, "beta.example")
	if err := s.SaveMailbox(ctx, &Mailbox{Address: "ann@beta.example", ProviderID: beta.ID, Login: "ann"}); err != nil {
		t.Fatal(err)
	}
	ch = apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"))
	if !slices.Equal(ch.Released, []string{"Beta"}) {
		t.Fatalf("a provider in use was not released: %+v", ch)
	}
	if got := names(t, s); !slices.Equal(got, []string{"Alpha|" + testSource, "Beta|"}) {
		t.Fatalf("providers %v", got)
	}
	n, err := s.Unsubscribe(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Unsubscribe = %d, %v", n, err)
	}
	if got := names(t, s); !slices.Equal(got, []string{"Alpha|", "Beta|"}) {
		t.Fatalf("after unsubscribing %v", got)
	}
}

func TestManagedProvidersRefuseDirectEdits(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"))
	p, err := s.ProviderByExternalID(ctx, "alpha.example")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fn   func() error
	}{
		{"save", func() error { q := *p; q.Name = "Changed"; return s.Save(ctx, &q) }},
		{"delete", func() error { return s.Delete(ctx, p.ID) }},
		{"add a domain", func() error { return s.SetDomain(ctx, "", "more.example", p.ID) }},
		{"rename a domain", func() error { return s.SetDomain(ctx, "alpha.example", "other.example", p.ID) }},
		{"delete a domain", func() error { return s.DeleteDomain(ctx, "alpha.example") }},
	}
	for _, tt := range tests {
		if err := tt.fn(); !errors.Is(err, ErrManaged) {
			t.Errorf("%s: %v, want ErrManaged", tt.name, err)
		}
	}
	got, _ := s.Get(ctx, p.ID)
	if got.Version != p.Version || got.Name != "Alpha" || !slices.Equal(got.Domains, []string{"alpha.example"}) {
		t.Errorf("managed provider changed: %+v", got)
	}
}

func TestRecordRefreshFailureKeepsLastGood(t *testing.T) {
	s := subscribed(t)
	ctx := context.Background()
	apply(t, s, sourceProvider("Alpha", "alpha.example", "alpha.example"))
	good, _ := s.Subscription(ctx)
	if err := s.RecordRefreshFailure(ctx, testSource, "The list cannot be reached."); err != nil {
		t.Fatal(err)
	}
	sub, _ := s.Subscription(ctx)
	if sub.LastError != "The list cannot be reached." || !sub.LastGoodAt.Equal(good.LastGoodAt) || sub.LastAttemptAt.Before(good.LastAttemptAt) {
		t.Errorf("after a failure %+v", sub)
	}
	if got := names(t, s); !slices.Equal(got, []string{"Alpha|" + testSource}) {
		t.Errorf("providers %v", got)
	}
	if err := s.RecordRefreshFailure(ctx, filepath.Join("/", "elsewhere"), "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("failure of another source: %v", err)
	}
}

func TestProviderByDomains(t *testing.T) {
	s := sourceStore(t)
	ctx := context.Background()
	p := sourceProvider("Alpha", "", "b.example")
	p.Domains = append(p.Domains, "a.example")
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domains []string
		found   bool
	}{
		{[]string{"b.example", "a.example"}, true},
		{[]string{"a.example", "b.example"}, true},
		{[]string{"a.example"}, false},
		{[]string{"a.example", "b.example", "c.example"}, false},
		{nil, false},
	} {
		got, err := s.ProviderByDomains(ctx, tt.domains)
		if tt.found != (err == nil) || tt.found && got.ID != p.ID || !tt.found && !errors.Is(err, ErrNotFound) {
			t.Errorf("ProviderByDomains(%v) = %v, %v", tt.domains, got, err)
		}
	}
}
