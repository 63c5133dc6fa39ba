package data

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// sourceStore opens a new database as its first user, who may manage providers.
func sourceStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "mailroom.db"), "ann")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sourceProvider(name, externalID, domain string) *Provider {
	p := NewProvider()
	p.Name, p.ExternalID, p.Domains = name, externalID, []string{domain}
	p.IMAP.Host, p.SMTP.Host = "imap."+domain, "smtp."+domain
	return p
}

func TestExternalIDIsStoredAndFound(t *testing.T) {
	ctx := context.Background()
	s := sourceStore(t)
	p := sourceProvider("AOL Mail", " aol.com ", "aol.com")
	if err := s.Save(ctx, p); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if p.ExternalID != "aol.com" {
		t.Errorf("saved ExternalID %q, want it trimmed", p.ExternalID)
	}
	got, err := s.ProviderByExternalID(ctx, "aol.com")
	if err != nil || got.ID != p.ID || got.ExternalID != "aol.com" {
		t.Fatalf("ProviderByExternalID = %+v, %v", got, err)
	}
	if g, _ := s.Get(ctx, p.ID); g.ExternalID != "aol.com" {
		t.Errorf("Get: ExternalID %q", g.ExternalID)
	}
	if list, _ := s.List(ctx); len(list) != 1 || list[0].ExternalID != "aol.com" {
		t.Errorf("List: %+v", list)
	}
	got.ExternalID = ""
	if err := s.Save(ctx, got); err != nil {
		t.Fatalf("Save without external id: %v", err)
	}
	if _, err := s.ProviderByExternalID(ctx, "aol.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after clearing, err = %v, want ErrNotFound", err)
	}
}

func TestExternalIDRefusals(t *testing.T) {
	ctx := context.Background()
	s := sourceStore(t)
	for i, d := range []string{"a.example", "b.example"} { // several providers without one
		if err := s.Save(ctx, sourceProvider(d, "", d)); err != nil {
			t.Fatalf("provider %d without external id: %v", i, err)
		}
	}
	if err := s.Save(ctx, sourceProvider("Zoho", "zoho.com", "zoho.com")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    *Provider
		says string
	}{
		{"taken", sourceProvider("Zoho copy", "zoho.com", "zoho.in"), "already imported"},
		{"too long", sourceProvider("Long", strings.Repeat("x", MaxExternalIDLen+1), "long.example"), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Save(ctx, tt.p)
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.For(FieldExternalID), tt.says) {
				t.Errorf("err = %v, want a %s error saying %q", err, FieldExternalID, tt.says)
			}
		})
	}
	if _, err := s.ProviderByExternalID(ctx, "nothing.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: err = %v, want ErrNotFound", err)
	}
}
