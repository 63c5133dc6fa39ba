package data

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// openStore opens the database at path as user and closes it when the test ends.
func openStore(t testing.TB, path, user string) *Store {
	t.Helper()
	s, err := Open(path, user)
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", path, user, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a new database in a temporary folder as "ann", its first user.
func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, filepath.Join(t.TempDir(), "mailroom.db"), "ann")
}

// testProvider returns a valid card called name owning domains.
func testProvider(name string, domains ...string) *Provider {
	p := NewProvider()
	p.Name = name
	p.IMAP.Host = "imap.example.net"
	p.SMTP.Host = "smtp.example.net"
	p.Domains = domains
	return p
}

// mustSave saves p and fails the test on any error.
func mustSave(t testing.TB, s *Store, p *Provider) *Provider {
	t.Helper()
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatalf("Save(%q): %v", p.Name, err)
	}
	return p
}

// dump returns every row the store holds, so that a test can tell whether anything changed.
func dump(t testing.TB, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, name, name_key, imap_enabled, imap_host, imap_port, imap_security, smtp_enabled,
			smtp_host, smtp_port, smtp_security, smtp_timeout, login_rule, hex(logo), version,
			created_by, created_at, updated_by, updated_at FROM providers ORDER BY id`,
		`SELECT domain, provider_id FROM provider_domains ORDER BY domain`,
		`SELECT name, first_seen FROM users ORDER BY name`,
		`SELECT user_name, operation, granted_by, granted_at FROM grants ORDER BY user_name, operation`,
	} {
		rows, err := s.r.Query(q)
		if err != nil {
			t.Fatalf("dump: %v", err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump: %v", err)
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump: %v", err)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawDB opens path with the plain driver, outside the store.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

func schemaVersions(t testing.TB, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func wantAllVersions(t testing.TB, db *sql.DB) {
	t.Helper()
	got := schemaVersions(t, db)
	if len(got) != SchemaVersion() {
		t.Fatalf("schema_migrations holds %v, want 1..%d", got, SchemaVersion())
	}
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("schema_migrations holds %v, want 1..%d", got, SchemaVersion())
		}
	}
}

func TestOpenCreatesOwnerOnlyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "folder")
	path := filepath.Join(dir, "mailroom.db")
	s := openStore(t, path, "ann")

	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Open did not create the file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	if st, err := os.Stat(dir); err != nil {
		t.Errorf("Open did not create the folder: %v", err)
	} else if st.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", st.Mode().Perm())
	}
	if s.Path() != path || s.User() != "ann" {
		t.Errorf("Path, User = %q, %q", s.Path(), s.User())
	}
	wantAllVersions(t, s.r)
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	p := mustSave(t, s, testProvider("Gmail", "gmail.com"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, path, "ann")
	got, err := s.Get(context.Background(), p.ID)
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if got.Name != "Gmail" || len(got.Domains) != 1 || got.Domains[0] != "gmail.com" {
		t.Errorf("after reopen got %+v", got)
	}
	if !s.Can(OpManageProviders) {
		t.Error("the first user lost the grant on reopen")
	}
	wantAllVersions(t, s.r)
}

func TestReopenDoesNotReapplyMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := migrationRecords(t, path)
	s, err = Open(path, "ann")
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s.Close()
	if after := migrationRecords(t, path); after != before {
		t.Errorf("schema_migrations changed on reopen:\n%s\nthen\n%s", before, after)
	}
}

func migrationRecords(t *testing.T, path string) string {
	db := rawDB(t, path)
	defer db.Close()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var v int
		var at string
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, v, at)
	}
	return b.String()
}

func TestMigrationsAreNumberedInSequence(t *testing.T) {
	names, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || SchemaVersion() != len(names) {
		t.Fatalf("migrations %v, SchemaVersion %d", names, SchemaVersion())
	}
}

func TestOpenMigratesFromEveryEarlierVersion(t *testing.T) {
	for k := 0; k < SchemaVersion(); k++ {
		t.Run(fmt.Sprintf("from%d", k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mailroom.db")
			db := rawDB(t, path)
			if err := migrateTo(db, k); err != nil {
				t.Fatalf("migrateTo(%d): %v", k, err)
			}
			if got := versionsIfAny(t, db); len(got) != k {
				t.Fatalf("migrateTo(%d) left versions %v", k, got)
			}
			db.Close()

			s := openStore(t, path, "ann")
			wantAllVersions(t, s.r)
			mustSave(t, s, testProvider("Gmail", "gmail.com"))
		})
	}
}

// newerDatabase writes a Mailroom database whose schema is one version ahead of this build.
func newerDatabase(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, testProvider("Gmail", "gmail.com"))
	s.Close()
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version) VALUES (?)`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return path
}

func TestOpenRefusesNewerVersion(t *testing.T) {
	path := newerDatabase(t)
	before := readFile(t, path)

	s, err := Open(path, "bob")
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database of a newer Mailroom")
	}
	if !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("Open: %v, want ErrNewerVersion", err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("Open changed the file of a newer Mailroom")
	}
}

// otherProgramsDatabase writes a SQLite file, in the default rollback-journal mode, with
// tables of some other program.
func otherProgramsDatabase(t *testing.T, path string) {
	db := rawDB(t, path)
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
		INSERT INTO notes (body) VALUES ('keep me')`); err != nil {
		t.Fatal(err)
	}
}

// garble replaces every byte of a real database from offset 100 on, keeping its header.
func garble(t *testing.T, path string) {
	s, err := Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustSave(t, s, testProvider(fmt.Sprintf("Provider %d", i), fmt.Sprintf("p%d.example", i)))
	}
	s.Close()
	b := readFile(t, path)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 100; i < len(b); i++ {
		b[i] = byte(rng.UintN(256))
	}
	writeFile(t, path, string(b))
}

func writeFile(t *testing.T, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncated(t *testing.T, path string) {
	s, err := Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Truncate(path, 50); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"text", func(t *testing.T, path string) { writeFile(t, path, "Dear diary,\nthis is not a database.\n") }},
		{"short", func(t *testing.T, path string) { writeFile(t, path, "SQLite") }},
		{"garbled", garble},
		{"truncated", truncated},
		{"other program", otherProgramsDatabase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mailroom.db")
			tc.write(t, path)
			before := readFile(t, path)

			s, err := Open(path, "ann")
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			if !errors.Is(err, ErrNotDatabase) {
				t.Fatalf("Open: %v, want ErrNotDatabase", err)
			}
			if !bytes.Equal(readFile(t, path), before) {
				t.Error("Open changed the file")
			}
		})
	}
}

func TestTwoStoresOnOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mailroom.db")
	a := openStore(t, path, "ann")
	b := openStore(t, path, "ann")

	var wg sync.WaitGroup
	for w, s := range []*Store{a, b} {
		wg.Go(func() {
			for i := range 25 {
				p := testProvider(fmt.Sprintf("W%d P%d", w, i), fmt.Sprintf("w%d-p%d.example", w, i))
				if err := s.Save(ctx, p); err != nil {
					t.Errorf("window %d save %d: %v", w, i, err)
					return
				}
				p.SMTPTimeout = 60
				if err := s.Save(ctx, p); err != nil {
					t.Errorf("window %d update %d: %v", w, i, err)
					return
				}
				if err := s.SetDomain(ctx, "", fmt.Sprintf("alt.w%d-p%d.example", w, i), p.ID); err != nil {
					t.Errorf("window %d set domain %d: %v", w, i, err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range 50 {
				if _, err := s.List(ctx); err != nil {
					t.Errorf("window %d list %d: %v", w, i, err)
					return
				}
				_, err := s.ResolveProvider(ctx, fmt.Sprintf("ann@w%d-p0.example", 1-w))
				if err != nil && !errors.Is(err, ErrNotFound) {
					t.Errorf("window %d resolve %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, s := range []*Store{a, b} {
		list, err := s.List(ctx)
		if err != nil || len(list) != 50 {
			t.Fatalf("List: %d providers, %v; want 50", len(list), err)
		}
	}

	id := mustSave(t, a, testProvider("Shared", "shared.example")).ID
	inA, _ := a.Get(ctx, id)
	inB, _ := b.Get(ctx, id)
	inA.SMTPTimeout = 90
	mustSave(t, a, inA)
	inB.Name = "Shared by B"
	if err := b.Save(ctx, inB); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale save from the second window: %v, want ErrConflict", err)
	}
	got, _ := b.Get(ctx, id)
	if got.Name != "Shared" || got.SMTPTimeout != 90 || got.Version != inA.Version {
		t.Errorf("after the refused stale save: %+v", got)
	}
}

func TestFirstStartsAtOnceMakeOneAdministrator(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "mailroom.db")
		stores := make([]*Store, 4)
		var wg sync.WaitGroup
		for i := range stores {
			wg.Go(func() {
				s, err := Open(path, fmt.Sprintf("user%d", i))
				if err != nil {
					t.Errorf("round %d: Open as user%d: %v", round, i, err)
					return
				}
				stores[i] = s
			})
		}
		wg.Wait()
		admins := 0
		for _, s := range stores {
			if s == nil {
				continue
			}
			if s.Can(OpManageProviders) {
				admins++
			}
			s.Close()
		}
		if t.Failed() {
			return
		}
		if admins != 1 {
			t.Fatalf("round %d: %d users may manage providers, want exactly 1", round, admins)
		}
	}
}

// versionsIfAny returns the recorded schema versions; none when there is no record table yet.
func versionsIfAny(t testing.TB, db *sql.DB) []int {
	var n int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&n)
	if n == 0 {
		return nil
	}
	return schemaVersions(t, db)
}
