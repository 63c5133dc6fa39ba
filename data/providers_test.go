package data

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSaveRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(p *Provider)
		field string
		says  string // a word the message must contain; "" for any message
		store bool   // only the store can tell (the name or domain is another provider's)
	}{
		{"empty name", func(p *Provider) { p.Name = "" }, FieldName, "", false},
		{"blank name", func(p *Provider) { p.Name = " \t " }, FieldName, "", false},
		{"500-character name", func(p *Provider) { p.Name = strings.Repeat("n", 500) }, FieldName, "500", false},
		{"101-character name", func(p *Provider) { p.Name = strings.Repeat("é", MaxNameLen+1) }, FieldName, "", false},
		{"name of another in other case and spaces", func(p *Provider) { p.Name = "  gmail " }, FieldName, "Gmail", true},
		{"IMAP host with a space", func(p *Provider) { p.IMAP.Host = "imap gmail.com" }, FieldIMAPHost, "", false},
		{"IMAP host as URL", func(p *Provider) { p.IMAP.Host = "http://imap.gmail.com" }, FieldIMAPHost, "http://", false},
		{"IMAP host with hyphen ends", func(p *Provider) { p.IMAP.Host = "-bad-.com" }, FieldIMAPHost, "", false},
		{"IMAP host with empty label", func(p *Provider) { p.IMAP.Host = "imap..example.com" }, FieldIMAPHost, "", false},
		{"IMAP host empty", func(p *Provider) { p.IMAP.Host = "" }, FieldIMAPHost, "", false},
		{"IMAP host with user", func(p *Provider) { p.IMAP.Host = "ann@imap.example.com" }, FieldIMAPHost, "", false},
		{"IMAP host label of 64", func(p *Provider) { p.IMAP.Host = strings.Repeat("a", 64) + ".com" }, FieldIMAPHost, "63", false},
		{"SMTP host with a space", func(p *Provider) { p.SMTP.Host = "smtp gmail.com" }, FieldSMTPHost, "", false},
		{"SMTP host as URL", func(p *Provider) { p.SMTP.Host = "smtp://smtp.gmail.com" }, FieldSMTPHost, "smtp://", false},
		{"IMAP port 0", func(p *Provider) { p.IMAP.Port = 0 }, FieldIMAPPort, "", false},
		{"IMAP port 70000", func(p *Provider) { p.IMAP.Port = 70000 }, FieldIMAPPort, "", false},
		{"SMTP port 0", func(p *Provider) { p.SMTP.Port = 0 }, FieldSMTPPort, "", false},
		{"SMTP port 70000", func(p *Provider) { p.SMTP.Port = 70000 }, FieldSMTPPort, "", false},
		{"IMAP security unknown", func(p *Provider) { p.IMAP.Security = "tls" }, FieldIMAPSec, "", false},
		{"SMTP security empty", func(p *Provider) { p.SMTP.Security = "" }, FieldSMTPSec, "", false},
		{"timeout -1", func(p *Provider) { p.SMTPTimeout = -1 }, FieldSMTPTimeout, "", false},
		{"timeout 0", func(p *Provider) { p.SMTPTimeout = 0 }, FieldSMTPTimeout, "", false},
		{"timeout 601", func(p *Provider) { p.SMTPTimeout = 601 }, FieldSMTPTimeout, "", false},
		{"both protocols off", func(p *Provider) { p.IMAPEnabled, p.SMTPEnabled = false, false }, FieldProtocols, "", false},
		{"login rule unknown", func(p *Provider) { p.LoginRule = "guess" }, FieldLoginRule, "", false},
		{"domain without dot", func(p *Provider) { p.Domains = []string{"gmail"} }, FieldDomains, "gmail", false},
		{"domain with @", func(p *Provider) { p.Domains = []string{"@gmail.com"} }, FieldDomains, "@", false},
		{"domain with empty label", func(p *Provider) { p.Domains = []string{"mail..com"} }, FieldDomains, "", false},
		{"domain with space", func(p *Provider) { p.Domains = []string{"gm ail.com"} }, FieldDomains, "", false},
		{"one bad among good domains", func(p *Provider) { p.Domains = []string{"good.example", "bad_one.example"} }, FieldDomains, "", false},
		{"domain of another provider", func(p *Provider) { p.Domains = []string{"new.example", "GMAIL.com"} }, FieldDomains, "Gmail", true},
		{"logo too large", func(p *Provider) { p.Logo = make([]byte, maxStoredLogo+1) }, FieldLogo, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			mustSave(t, s, testProvider("Gmail", "gmail.com", "googlemail.com"))
			before := dump(t, s)

			card := testProvider("New", "new.example")
			tc.edit(card)
			normErr := card.Normalize()
			if tc.store && normErr != nil {
				t.Fatalf("Normalize: %v, want it to pass: only the store knows", normErr)
			}
			if !tc.store {
				wantFieldError(t, normErr, tc.field, tc.says)
			}

			p := testProvider("New", "new.example")
			tc.edit(p)
			wantFieldError(t, s.Save(context.Background(), p), tc.field, tc.says)
			if p.ID != 0 || p.Version != 0 {
				t.Errorf("failed Save set ID %d, Version %d", p.ID, p.Version)
			}
			if after := dump(t, s); after != before {
				t.Errorf("failed Save changed the database:\n%s\nthen\n%s", before, after)
			}
		})
	}
}

// wantFieldError fails unless err is a *ValidationError with a message for field that contains says.
func wantFieldError(t *testing.T, err error, field, says string) {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error %v, want a *ValidationError for %s", err, field)
	}
	msg := v.For(field)
	if msg == "" {
		t.Fatalf("no message for %s in %v", field, v)
	}
	if !strings.Contains(msg, says) {
		t.Errorf("message for %s is %q; want it to mention %q", field, msg, says)
	}
}

func TestValidationErrorNamesEveryBadField(t *testing.T) {
	p := testProvider("", "gmail")
	p.IMAP.Port, p.SMTPTimeout = 0, 601
	err := p.Normalize()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("Normalize: %v", err)
	}
	for _, f := range []string{FieldName, FieldIMAPPort, FieldSMTPTimeout, FieldDomains} {
		if v.For(f) == "" {
			t.Errorf("no message for %s in %v", f, v.Fields)
		}
	}
	for _, f := range []string{FieldIMAPHost, FieldSMTPHost, FieldSMTPPort, FieldProtocols} {
		if v.For(f) != "" {
			t.Errorf("message for valid field %s: %q", f, v.For(f))
		}
	}
	if !strings.Contains(err.Error(), "and 3 more") {
		t.Errorf("Error() = %q; want it to count the other three", err)
	}
}

func TestSaveNormalizesInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(p *Provider)
		check func(t *testing.T, p *Provider)
	}{
		{"IPv4 host", func(p *Provider) { p.IMAP.Host = " 192.0.2.10 " }, func(t *testing.T, p *Provider) {
			if p.IMAP.Host != "192.0.2.10" || p.IMAP.Address() != "192.0.2.10:993" {
				t.Errorf("host %q, address %q", p.IMAP.Host, p.IMAP.Address())
			}
		}},
		{"IPv6 host in brackets", func(p *Provider) { p.IMAP.Host = "[::1]" }, func(t *testing.T, p *Provider) {
			if p.IMAP.Host != "::1" || p.IMAP.Address() != "[::1]:993" {
				t.Errorf("host %q, address %q", p.IMAP.Host, p.IMAP.Address())
			}
		}},
		{"IPv6 host bare", func(p *Provider) { p.SMTP.Host = "2001:DB8::25" }, func(t *testing.T, p *Provider) {
			if p.SMTP.Host != "2001:db8::25" || p.SMTP.Address() != "[2001:db8::25]:465" {
				t.Errorf("host %q, address %q", p.SMTP.Host, p.SMTP.Address())
			}
		}},
		{"host case and root dot", func(p *Provider) { p.IMAP.Host = "IMAP.Gmail.COM." }, func(t *testing.T, p *Provider) {
			if p.IMAP.Host != "imap.gmail.com" {
				t.Errorf("host %q", p.IMAP.Host)
			}
		}},
		{"international host", func(p *Provider) { p.IMAP.Host = "imap.bücher.de" }, func(t *testing.T, p *Provider) {
			if p.IMAP.Host != "imap.xn--bcher-kva.de" {
				t.Errorf("host %q", p.IMAP.Host)
			}
		}},
		{"name spacing", func(p *Provider) { p.Name = "  My \t  Mail " }, func(t *testing.T, p *Provider) {
			if p.Name != "My Mail" {
				t.Errorf("name %q", p.Name)
			}
		}},
		{"name of exactly MaxNameLen", func(p *Provider) { p.Name = strings.Repeat("é", MaxNameLen) }, func(t *testing.T, p *Provider) {
			if utf8.RuneCountInString(p.Name) != MaxNameLen {
				t.Errorf("name of %d characters", utf8.RuneCountInString(p.Name))
			}
		}},
		{"domain case and root dot", func(p *Provider) { p.Domains = []string{"GMAIL.COM."} }, func(t *testing.T, p *Provider) {
			if !reflect.DeepEqual(p.Domains, []string{"gmail.com"}) {
				t.Errorf("domains %q", p.Domains)
			}
		}},
		{"international domain", func(p *Provider) { p.Domains = []string{"bücher.de"} }, func(t *testing.T, p *Provider) {
			if !reflect.DeepEqual(p.Domains, []string{"xn--bcher-kva.de"}) || DisplayDomain(p.Domains[0]) != "bücher.de" {
				t.Errorf("domains %q", p.Domains)
			}
		}},
		{"repeated domain", func(p *Provider) { p.Domains = []string{"a.example", " A.Example. "} }, func(t *testing.T, p *Provider) {
			if !reflect.DeepEqual(p.Domains, []string{"a.example"}) {
				t.Errorf("domains %q", p.Domains)
			}
		}},
		{"unused send server may be empty", func(p *Provider) { p.SMTPEnabled, p.SMTP.Host, p.SMTP.Port = false, "", 0 }, func(t *testing.T, p *Provider) {
			if p.SMTPEnabled || p.SMTP.Host != "" {
				t.Errorf("send server %+v", p.SMTP)
			}
		}},
		{"timeout limits", func(p *Provider) { p.SMTPTimeout = MaxTimeout }, func(t *testing.T, p *Provider) {
			if p.SMTPTimeout != 600 {
				t.Errorf("timeout %d", p.SMTPTimeout)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			p := testProvider("Test", "test.example")
			tc.edit(p)
			mustSave(t, s, p)
			tc.check(t, p)
			got, err := s.Get(context.Background(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

func TestParsePort(t *testing.T) {
	for in, want := range map[string]int{"993": 993, "465": 465, "1": 1, "65535": 65535, "0993": 993} {
		if got, err := ParsePort(in); err != nil || got != want {
			t.Errorf("ParsePort(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "abc", "993.5", "0", "70000", "65536", "-1", "9 93", "0x3e1",
		" 993 ", "993 ", " 993", "+993", "\t993", "993\n", "９９３", "99999999999999999999"} {
		if got, err := ParsePort(in); err == nil {
			t.Errorf("ParsePort(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "port") {
			t.Errorf("ParsePort(%q) error %q does not say it is about the port", in, err)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]int{"40": 40, " 1 ": 1, "600": 600} {
		if got, err := ParseTimeout(in); err != nil || got != want {
			t.Errorf("ParseTimeout(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "4.5", "0", "-1", "601", "70000"} {
		if got, err := ParseTimeout(in); err == nil {
			t.Errorf("ParseTimeout(%q) = %d, want an error", in, got)
		}
	}
}

func TestSaveStampsAndGetReturnsIt(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/mailroom.db"
	ann := openStore(t, path, "ann")
	bob := openStore(t, path, "bob")
	created := time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC)
	ann.now = func() time.Time { return created }

	p := testProvider("AOL", "aol.com", "aim.com")
	p.IMAP = Server{Host: "imap.aol.com", Port: 143, Security: SecurityStartTLS}
	p.SMTP = Server{Host: "smtp.aol.com", Port: 587, Security: SecurityStartTLS}
	p.SMTPTimeout, p.LoginRule, p.Logo = 30, LoginLocalPart, []byte("\x89PNG fake")
	mustSave(t, ann, p)
	if p.ID == 0 || p.Version != 1 || p.CreatedBy != "ann" || p.UpdatedBy != "ann" ||
		!p.CreatedAt.Equal(created) || !p.UpdatedAt.Equal(created) {
		t.Fatalf("after insert: ID %d, Version %d, created %s %s, updated %s %s",
			p.ID, p.Version, p.CreatedBy, p.CreatedAt, p.UpdatedBy, p.UpdatedAt)
	}
	got, err := bob.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("Get returned\n%+v\nSave stored\n%+v", got, p)
	}

	updated := created.Add(time.Hour)
	bob.now = func() time.Time { return updated }
	got.SMTPTimeout = 45
	mustSave(t, bob, got)
	if got.Version != 2 || got.CreatedBy != "ann" || got.UpdatedBy != "bob" ||
		!got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(updated) {
		t.Fatalf("after update: Version %d, created %s %s, updated %s %s",
			got.Version, got.CreatedBy, got.CreatedAt, got.UpdatedBy, got.UpdatedAt)
	}
	again, _ := ann.Get(ctx, p.ID)
	if !reflect.DeepEqual(again, got) {
		t.Fatalf("Get after update returned\n%+v\nSave stored\n%+v", again, got)
	}

	p.Name = "AOL stale"
	if err := ann.Save(ctx, p); !errors.Is(err, ErrConflict) {
		t.Fatalf("save of version 1 after version 2: %v, want ErrConflict", err)
	} else if !strings.Contains(err.Error(), "bob") {
		t.Errorf("conflict %q does not name who changed it", err)
	}
}

func TestSaveReplacesDomains(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := mustSave(t, s, testProvider("Corp", "a.example", "b.example"))
	p.Domains = []string{"b.example", "c.example"}
	mustSave(t, s, p)
	got, _ := s.Get(ctx, p.ID)
	if !reflect.DeepEqual(got.Domains, []string{"b.example", "c.example"}) {
		t.Fatalf("domains %q", got.Domains)
	}
	// a.example is free again for another provider
	mustSave(t, s, testProvider("Other", "a.example"))
}

// failOnDomain makes inserting domain d fail inside SQLite, after Save has already written
// the provider's row and removed its old domains.
func failOnDomain(t *testing.T, s *Store, d string) {
	if _, err := s.w.Exec(`CREATE TRIGGER fail_domain BEFORE INSERT ON provider_domains
		WHEN NEW.domain = '` + d + `' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`); err != nil {
		t.Fatal(err)
	}
}

func TestSaveIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	old := mustSave(t, s, testProvider("Corp", "corp.example", "corp.test"))
	failOnDomain(t, s, "boom.example")
	before := dump(t, s)

	card, _ := s.Get(ctx, old.ID)
	card.Name, card.SMTPTimeout = "Corp renamed", 99
	card.Domains = []string{"new.example", "boom.example"}
	if err := s.Save(ctx, card); err == nil {
		t.Fatal("Save succeeded though a domain insert failed")
	}
	if card.Version != old.Version {
		t.Errorf("failed update changed the card's Version to %d", card.Version)
	}
	fresh := testProvider("Fresh", "fresh.example", "boom.example")
	if err := s.Save(ctx, fresh); err == nil {
		t.Fatal("Save of a new provider succeeded though a domain insert failed")
	}
	if fresh.ID != 0 {
		t.Errorf("failed insert set ID %d; a retry would then update a row that does not exist", fresh.ID)
	}
	if after := dump(t, s); after != before {
		t.Fatalf("failed Save left changes:\n%s\nthen\n%s", before, after)
	}
	got, _ := s.Get(ctx, old.ID)
	if got.Name != "Corp" || !reflect.DeepEqual(got.Domains, []string{"corp.example", "corp.test"}) {
		t.Errorf("old provider now %q with %q", got.Name, got.Domains)
	}
}

func TestListReturnsDomainsAndLogoPresence(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	with := testProvider("zeta Mail", "z2.example", "z1.example")
	with.Logo = []byte("\x89PNG fake")
	mustSave(t, s, with)
	mustSave(t, s, testProvider("Alpha"))
	mustSave(t, s, testProvider("beta", "b.example"))

	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{"Alpha", "beta", "zeta Mail"}) {
		t.Fatalf("List order %q; want by name ignoring case", names)
	}
	if list[0].Domains != nil || list[0].Logo != nil {
		t.Errorf("Alpha: domains %q, logo %v", list[0].Domains, list[0].Logo)
	}
	if !reflect.DeepEqual(list[2].Domains, []string{"z1.example", "z2.example"}) {
		t.Errorf("zeta domains %q", list[2].Domains)
	}
	if list[2].Logo == nil || list[1].Logo != nil {
		t.Errorf("logo presence: zeta %v, beta %v", list[2].Logo != nil, list[1].Logo != nil)
	}
	logo, err := s.Logo(ctx, with.ID)
	if err != nil || string(logo) != "\x89PNG fake" {
		t.Errorf("Logo = %q, %v", logo, err)
	}
	if logo, err := s.Logo(ctx, list[0].ID); err != nil || logo != nil {
		t.Errorf("Logo of Alpha = %q, %v; want none", logo, err)
	}
	if _, err := s.Logo(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Logo of a missing provider: %v, want ErrNotFound", err)
	}
}

func TestDeleteCascadesDomains(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := mustSave(t, s, testProvider("Gmail", "gmail.com", "googlemail.com"))
	keep := mustSave(t, s, testProvider("AOL", "aol.com"))
	if err := s.Delete(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, p.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	domains, _ := s.Domains(ctx)
	if len(domains) != 1 || domains[0].Domain != "aol.com" || domains[0].ProviderID != keep.ID {
		t.Errorf("domains after Delete: %+v", domains)
	}
	if _, err := s.ResolveProvider(ctx, "ann@gmail.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("resolve a deleted provider's domain: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, p.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	p.Name = "Gmail again"
	if err := s.Save(ctx, p); !errors.Is(err, ErrNotFound) {
		t.Errorf("Save of a deleted provider: %v, want ErrNotFound", err)
	}
	mustSave(t, s, testProvider("Gmail", "gmail.com")) // name and domain are free again
}

func TestGetMissing(t *testing.T) {
	s := newStore(t)
	if _, err := s.Get(context.Background(), 42); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(42): %v, want ErrNotFound", err)
	}
}

func TestNameTaken(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := mustSave(t, s, testProvider("Gmail"))
	for _, tc := range []struct {
		name string
		id   int64
		want bool
	}{{"gmail", 0, true}, {"  GMAIL ", 0, true}, {"Gmail", p.ID, false}, {"Gmail 2", 0, false}} {
		if got, err := s.NameTaken(ctx, tc.name, tc.id); err != nil || got != tc.want {
			t.Errorf("NameTaken(%q, %d) = %v, %v; want %v", tc.name, tc.id, got, err, tc.want)
		}
	}
}

func TestCopyName(t *testing.T) {
	taken := map[string]bool{}
	isTaken := func(n string) bool { return taken[nameKey(n)] }
	if got := CopyName("Gmail", isTaken); got != "Gmail (copy)" {
		t.Errorf("CopyName = %q", got)
	}
	taken[nameKey("Gmail (copy)")] = true
	taken[nameKey("gmail (COPY 2)")] = true
	if got := CopyName("Gmail", isTaken); got != "Gmail (copy 3)" {
		t.Errorf("CopyName with two copies taken = %q", got)
	}

	for _, name := range []string{
		strings.Repeat("n", MaxNameLen),
		strings.Repeat("é", MaxNameLen),
		strings.Repeat("a", 92) + " " + strings.Repeat("b", 7), // cut falls on the space
		"  Spaced   out  ",
	} {
		taken := map[string]bool{}
		for range 12 {
			got := CopyName(name, func(n string) bool { return taken[n] })
			taken[got] = true
			if n := utf8.RuneCountInString(got); n > MaxNameLen || !utf8.ValidString(got) {
				t.Errorf("CopyName of %d-character name gave %d characters: %q", utf8.RuneCountInString(name), n, got)
			}
			if got != CleanName(got) {
				t.Errorf("CopyName gave %q, which Save would store as %q", got, CleanName(got))
			}
			if !strings.Contains(got, "(copy") {
				t.Errorf("CopyName gave %q", got)
			}
		}
	}
}
