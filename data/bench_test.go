package data

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The benchmark database: 10,000 providers with three domains each, seeded once per process.
const benchProviders = 10_000

var seeded struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if seeded.dir != "" {
		os.RemoveAll(seeded.dir)
	}
	if seededMessages.dir != "" {
		os.RemoveAll(seededMessages.dir)
	}
	os.Exit(code)
}

// seededPath returns the benchmark database, writing it on first use.
func seededPath(b *testing.B) string {
	seeded.once.Do(func() {
		if seeded.dir, seeded.err = os.MkdirTemp("", "mailroom-bench-"); seeded.err != nil {
			return
		}
		seeded.path = filepath.Join(seeded.dir, "mailroom.db")
		seeded.err = seed(seeded.path)
	})
	if seeded.err != nil {
		b.Fatalf("seed benchmark database: %v", seeded.err)
	}
	return seeded.path
}

// seed writes the providers and domains with plain SQL in one transaction of the store's
// writer: Save would validate each one and take minutes.
func seed(path string) error {
	s, err := Open(path, "ann")
	if err != nil {
		return err
	}
	defer s.Close()
	now := s.stamp()
	return s.tx(context.Background(), func(tx *sql.Tx) error {
		provider, err := tx.Prepare(`INSERT INTO providers (id, name, name_key, imap_enabled, imap_host,
			imap_port, imap_security, smtp_enabled, smtp_host, smtp_port, smtp_security, smtp_timeout,
			login_rule, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, lower(?), 1, ?, 993, 'ssl', 1, ?, 465, 'ssl', 40, 'address', 'ann', ?, 'ann', ?)`)
		if err != nil {
			return err
		}
		domain, err := tx.Prepare(`INSERT INTO provider_domains (domain, provider_id) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		for id := 1; id <= benchProviders; id++ {
			name := fmt.Sprintf("Provider %05d", id)
			if _, err := provider.Exec(id, name, name, fmt.Sprintf("imap.p%05d.com", id),
				fmt.Sprintf("smtp.p%05d.com", id), now, now); err != nil {
				return err
			}
			for _, tld := range []string{"com", "net", "org"} {
				if _, err := domain.Exec(fmt.Sprintf("p%05d.%s", id, tld), id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func benchStore(b *testing.B) *Store {
	return openStore(b, seededPath(b), "ann")
}

// BenchmarkResolveProvider measures the lookup behind the address field; the product's goal
// is 20 µs. Compare with BenchmarkResolveBaselineRawLookup.
func BenchmarkResolveProvider(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for _, bc := range []struct{ name, address, domain string }{
		{"exact", "ann@p04711.net", "p04711.net"},
		{"parent", "ann@mail.p04711.net", "p04711.net"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.ResolveProvider(ctx, bc.address)
				if err != nil || r.Domain != bc.domain || r.Login != bc.address {
					b.Fatalf("ResolveProvider(%s) = %+v, %v", bc.address, r, err)
				}
			}
		})
	}
}

// BenchmarkResolveProviderCold resolves a different provider each time, so that each lookup
// misses the cache (up to 30,000 iterations) and reads SQLite.
func BenchmarkResolveProviderCold(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	tlds := []string{"com", "net", "org"}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		id := i%benchProviders + 1
		addr := fmt.Sprintf("ann@p%05d.%s", id, tlds[(i/benchProviders)%3])
		i++
		if r, err := s.ResolveProvider(ctx, addr); err != nil || r.Provider.ID != int64(id) {
			b.Fatalf("ResolveProvider(%s) = %+v, %v", addr, r, err)
		}
	}
}

// BenchmarkResolveBaselineRawLookup is the single indexed query ResolveProvider cannot avoid.
func BenchmarkResolveBaselineRawLookup(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	stmt, err := s.r.Prepare(`SELECT provider_id FROM provider_domains WHERE domain = ?`)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	b.ReportAllocs()
	for b.Loop() {
		var id int64
		if err := stmt.QueryRowContext(ctx, "p04711.net").Scan(&id); err != nil || id != 4711 {
			b.Fatalf("lookup = %d, %v", id, err)
		}
	}
}

// BenchmarkList reads the whole list, as the providers grid does when it opens.
func BenchmarkList(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		list, err := s.List(ctx)
		if err != nil || len(list) != benchProviders || len(list[0].Domains) != 3 {
			b.Fatalf("List = %d providers, %v", len(list), err)
		}
	}
}
