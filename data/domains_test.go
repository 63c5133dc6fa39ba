package data

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// owners returns each domain with the name of its provider.
func owners(t *testing.T, s *Store) map[string]string {
	t.Helper()
	entries, err := s.Domains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e.Domain] = e.ProviderName
	}
	return out
}

func version(t *testing.T, s *Store, id int64) int64 {
	t.Helper()
	p, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Version
}

func TestSetDomainAddEditMove(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	gmail := mustSave(t, s, testProvider("Gmail", "gmail.com"))
	aol := mustSave(t, s, testProvider("AOL", "aol.com"))

	if err := s.SetDomain(ctx, "", " GoogleMail.COM. ", gmail.ID); err != nil {
		t.Fatalf("add: %v", err)
	}
	want := map[string]string{"gmail.com": "Gmail", "googlemail.com": "Gmail", "aol.com": "AOL"}
	if got := owners(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after add: %v", got)
	}

	if err := s.SetDomain(ctx, "googlemail.com", "bücher.de", gmail.ID); err != nil {
		t.Fatalf("edit: %v", err)
	}
	want = map[string]string{"gmail.com": "Gmail", "xn--bcher-kva.de": "Gmail", "aol.com": "AOL"}
	if got := owners(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after edit: %v", got)
	}

	gv, av := version(t, s, gmail.ID), version(t, s, aol.ID)
	if err := s.SetDomain(ctx, "xn--bcher-kva.de", "bücher.de", aol.ID); err != nil {
		t.Fatalf("move: %v", err)
	}
	want = map[string]string{"gmail.com": "Gmail", "xn--bcher-kva.de": "AOL", "aol.com": "AOL"}
	if got := owners(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after move: %v", got)
	}
	if version(t, s, gmail.ID) <= gv || version(t, s, aol.ID) <= av {
		t.Error("a move must change the version of both providers")
	}
	got, _ := s.Get(ctx, aol.ID)
	if !reflect.DeepEqual(got.Domains, []string{"aol.com", "xn--bcher-kva.de"}) {
		t.Errorf("AOL's card lists %q", got.Domains)
	}
}

func TestSetDomainRefusals(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		old, d   string
		provider string // "" for a provider that does not exist
		check    func(t *testing.T, err error)
	}{
		{"another provider's domain", "", "GMAIL.com", "AOL", func(t *testing.T, err error) {
			wantFieldError(t, err, FieldDomains, `"Gmail"`)
		}},
		{"rename onto another provider's domain", "aol.com", "gmail.com", "AOL", func(t *testing.T, err error) {
			wantFieldError(t, err, FieldDomains, `"Gmail"`)
		}},
		{"malformed", "", "gmail", "AOL", func(t *testing.T, err error) {
			wantFieldError(t, err, FieldDomains, "")
		}},
		{"address instead of domain", "", "ann@aol.com", "AOL", func(t *testing.T, err error) {
			wantFieldError(t, err, FieldDomains, "")
		}},
		{"missing provider", "", "new.example", "", func(t *testing.T, err error) {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%v, want ErrNotFound", err)
			}
		}},
		{"move to a missing provider", "aol.com", "aol.com", "", func(t *testing.T, err error) {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%v, want ErrNotFound", err)
			}
		}},
		{"edit of a domain nobody has", "nobody.example", "new.example", "AOL", func(t *testing.T, err error) {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%v, want ErrNotFound", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ids := map[string]int64{"": 9999}
			ids["Gmail"] = mustSave(t, s, testProvider("Gmail", "gmail.com")).ID
			ids["AOL"] = mustSave(t, s, testProvider("AOL", "aol.com")).ID
			before := dump(t, s)
			err := s.SetDomain(ctx, tc.old, tc.d, ids[tc.provider])
			if err == nil {
				t.Fatal("SetDomain succeeded")
			}
			tc.check(t, err)
			if after := dump(t, s); after != before {
				t.Errorf("refused SetDomain changed the database:\n%s\nthen\n%s", before, after)
			}
		})
	}
}

func TestDeleteDomain(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/mailroom.db"
	ann := openStore(t, path, "ann")
	bob := openStore(t, path, "bob")
	p := mustSave(t, ann, testProvider("Gmail", "gmail.com", "googlemail.com"))

	bob.now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	if err := bob.DeleteDomain(ctx, "googlemail.com"); err != nil {
		t.Fatal(err)
	}
	got, _ := ann.Get(ctx, p.ID)
	if !reflect.DeepEqual(got.Domains, []string{"gmail.com"}) {
		t.Errorf("domains after delete %q", got.Domains)
	}
	if got.Version != p.Version+1 {
		t.Errorf("version %d after delete, want %d", got.Version, p.Version+1)
	}
	if got.UpdatedBy != "bob" || got.UpdatedAt.Year() != 2030 {
		t.Errorf("updated by %s at %s; want bob in 2030: the card shows who changed it last", got.UpdatedBy, got.UpdatedAt)
	}
	if err := ann.DeleteDomain(ctx, "googlemail.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := ann.ResolveProvider(ctx, "ann@googlemail.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("resolve a deleted domain: %v, want ErrNotFound", err)
	}
}

// A card opened before a domain change must not silently undo it when saved.
func TestDomainChangeMakesOpenCardStale(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(s *Store, id, other int64) error
	}{
		{"add", func(s *Store, id, _ int64) error { return s.SetDomain(ctx, "", "new.example", id) }},
		{"edit", func(s *Store, id, _ int64) error { return s.SetDomain(ctx, "gmail.com", "gmail.example", id) }},
		{"move away", func(s *Store, _, other int64) error { return s.SetDomain(ctx, "gmail.com", "gmail.com", other) }},
		{"move here", func(s *Store, id, _ int64) error { return s.SetDomain(ctx, "aol.com", "aol.com", id) }},
		{"delete", func(s *Store, _, _ int64) error { return s.DeleteDomain(ctx, "gmail.com") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			id := mustSave(t, s, testProvider("Gmail", "gmail.com", "googlemail.com")).ID
			other := mustSave(t, s, testProvider("AOL", "aol.com")).ID
			card, _ := s.Get(ctx, id)
			if err := tc.change(s, id, other); err != nil {
				t.Fatal(err)
			}
			before := dump(t, s)
			card.SMTPTimeout = 90
			if err := s.Save(ctx, card); !errors.Is(err, ErrConflict) {
				t.Fatalf("save of the card opened before: %v, want ErrConflict", err)
			}
			if after := dump(t, s); after != before {
				t.Errorf("refused save changed the database")
			}
		})
	}
}

func TestResolveProvider(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	save := func(name string, rule LoginRule, domains ...string) int64 {
		p := testProvider(name, domains...)
		p.LoginRule = rule
		return mustSave(t, s, p).ID
	}
	aol := save("AOL", LoginLocalPart, "aol.com")
	gmail := save("Gmail", LoginAddress, "gmail.com")
	corp := save("Corp", LoginManual, "corp.example")
	deep := save("Deep", LoginAddress, "deep.corp.example")
	save("Unrelated", LoginAddress, "example.test", "other.example")
	books := save("Books", LoginAddress, "bücher.de")

	for _, tc := range []struct {
		address string
		id      int64
		domain  string
		login   string
	}{
		{"ann@aol.com", aol, "aol.com", "ann"},
		{"ann@gmail.com", gmail, "gmail.com", "ann@gmail.com"},
		{"ann@corp.example", corp, "corp.example", ""},
		{"ann@mail.corp.example", corp, "corp.example", ""},
		{"ann@a.b.mail.corp.example", corp, "corp.example", ""},
		{"ann@deep.corp.example", deep, "deep.corp.example", "ann@deep.corp.example"},
		{"ann@mail.deep.corp.example", deep, "deep.corp.example", "ann@mail.deep.corp.example"},
		{"  ann@aol.com ", aol, "aol.com", "ann"},
		{"Ann.Lee@AOL.COM", aol, "aol.com", "Ann.Lee"},
		{"ann@GMAIL.COM.", gmail, "gmail.com", "ann@gmail.com"},
		{"ann@BÜCHER.de", books, "xn--bcher-kva.de", "ann@xn--bcher-kva.de"},
		{"ann@mail.xn--bcher-kva.de", books, "xn--bcher-kva.de", "ann@mail.xn--bcher-kva.de"},
	} {
		r, err := s.ResolveProvider(ctx, tc.address)
		if err != nil {
			t.Errorf("ResolveProvider(%q): %v", tc.address, err)
			continue
		}
		if r.Provider.ID != tc.id || r.Domain != tc.domain || r.Login != tc.login {
			t.Errorf("ResolveProvider(%q) = provider %q, domain %q, login %q; want %d, %q, %q",
				tc.address, r.Provider.Name, r.Domain, r.Login, tc.id, tc.domain, tc.login)
		}
	}

	r, err := s.ResolveProvider(ctx, "ann@gmail.com")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Provider.Domains, []string{"gmail.com"}) || r.Provider.IMAP.Host != "imap.example.net" {
		t.Errorf("resolved provider is not complete: %+v", r.Provider)
	}

	for _, address := range []string{"ann@unknown.org", "ann@nocorp.example", "ann@corp.example.org"} {
		if r, err := s.ResolveProvider(ctx, address); !errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveProvider(%q) = %+v, %v; want ErrNotFound", address, r, err)
		}
	}
}

func TestResolveProviderRefusesMalformedAddress(t *testing.T) {
	s := newStore(t)
	mustSave(t, s, testProvider("AOL", "aol.com"))
	for _, address := range []string{
		"", "ann", "ann@", "@aol.com", "ann@@aol.com", "ann @aol.com", "ann@aol .com", "<ann@aol.com>",
		"ann@aol", "ann@aol..com", "ann@-aol.com",
		strings.Repeat("a", 292) + "@aol.com",
	} {
		r, err := s.ResolveProvider(context.Background(), address)
		if err == nil {
			t.Errorf("ResolveProvider(%.20q…) = %+v, want an error", address, r)
		} else if errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveProvider(%.20q…): %v; a malformed address is not a missing provider", address, err)
		}
	}
}

func TestLoginRule(t *testing.T) {
	for _, tc := range []struct {
		rule          LoginRule
		address, want string
	}{
		{LoginManual, "ann@aol.com", ""},
		{LoginLocalPart, "ann@aol.com", "ann"},
		{LoginLocalPart, `"ann@home"@aol.com`, `"ann@home"`},
		{LoginAddress, " ann@aol.com ", "ann@aol.com"},
	} {
		if got := tc.rule.Login(tc.address); got != tc.want {
			t.Errorf("%s.Login(%q) = %q, want %q", tc.rule, tc.address, got, tc.want)
		}
	}
}
