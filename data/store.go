// Package data is Mailroom's SQLite store: schema migrations, providers and their domains,
// publishers of the provider list and its signing key's public half. It knows nothing of Fyne or the network.
package data

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Store is an open Mailroom database, acting on behalf of one user.
// Its methods are safe for concurrent use.
type Store struct {
	path string
	user string
	w    *sql.DB // the one writer connection
	r    *sql.DB // readers
	now  func() time.Time
	ttl  time.Duration // of a folder's sync lease: LeaseTTL

	resolveStmt  *sql.Stmt // provider id of a domain
	getStmt      *sql.Stmt // a provider, with logo and domains, by id
	byDomainStmt *sql.Stmt // the same, by one of its domains
	resolved     *resolveCache
	version      *versionWatch // data_version, for the resolve cache and the notifier
	notes        *notifier     // tells subscribers what changed (changes.go)
}

const sqliteMagic = "SQLite format 3\x00"

// Open opens (creating when missing, readable by its owner only) the database at path and
// migrates it to the current schema, acting as user, and registers user. It fails with
// ErrNotDatabase, ErrNewerVersion, ErrReadOnly or ErrDamaged (wrapped) and then changes
// nothing. A small file, or one whose last session did not end cleanly, gets SQLite's whole
// quick check; otherwise the kept tables get it and the cached mail a bounded check (see
// openCheck).
func Open(path, user string) (*Store, error) {
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	thorough := uncleanEnd(path) || smallFile(path)
	s := &Store{path: path, user: user, now: time.Now, ttl: LeaseTTL}
	var err error
	if s.w, err = sql.Open("sqlite3", dsn(path, "_txlock=immediate")); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	if s.r, err = sql.Open("sqlite3", dsn(path, "_query_only=1")); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(5) // one of them is the version watch's (changes.go)
	if err := s.init(thorough); err != nil {
		s.Close()
		return nil, classify(path, err)
	}
	return s, nil
}

func (s *Store) init(thorough bool) error {
	check := s.openCheck
	if thorough {
		check = func() error { return quickCheck(s.w) }
	}
	if err := check(); err != nil {
		return err
	}
	if err := migrate(s.w); err != nil {
		return err
	}
	// WAL is switched on only once migrate has accepted the file: the switch rewrites the
	// file's header, and a refused file must be left as it was.
	if _, err := s.w.Exec(`PRAGMA journal_mode=WAL`); err != nil {
		return err
	}
	if err := s.registerUser(); err != nil {
		return err
	}
	var err error
	if s.resolveStmt, err = s.r.Prepare(`SELECT provider_id FROM provider_domains WHERE domain = ?`); err != nil {
		return err
	}
	if s.getStmt, err = s.r.Prepare(fullProviderQuery + `?`); err != nil {
		return err
	}
	s.byDomainStmt, err = s.r.Prepare(fullProviderQuery + `(SELECT provider_id FROM provider_domains WHERE domain = ?)`)
	if err != nil {
		return err
	}
	if s.version, err = newVersionWatch(context.Background(), s.r); err != nil {
		return err
	}
	s.resolved = newResolveCache(s.version)
	s.notes, err = newNotifier(context.Background(), s.version, s.w)
	return err
}

func dsn(path, extra string) string {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath()}
	return u.String() + "?_foreign_keys=1&_busy_timeout=5000&_synchronous=NORMAL&" + extra
}

// prepareFile creates a missing database file with owner-only permissions and checks that an
// existing one is a regular SQLite file that can be read and written. Nothing is opened that
// is not a regular file: reading a pipe would wait forever, and SQLite would put its journal
// beside a device such as /dev/null.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create folder for %s: %w", path, err)
	}
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		return fmt.Errorf("%s (%s): %w", path, fileKind(info.Mode()), ErrNotRegular)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return openFileProblem(path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() { // replaced since the first look
		return fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF) {
		return nil // new, empty file: SQLite initializes it
	}
	if err != nil || !bytes.Equal(head, []byte(sqliteMagic)) {
		return fmt.Errorf("%s: %w", path, ErrNotDatabase)
	}
	return nil
}

// openFileProblem classifies a failure to open the database file for reading and writing:
// a file that may not even be read is ErrUnreadable, one that may only be read ErrReadOnly.
func openFileProblem(path string, err error) error {
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if f, rerr := os.Open(path); rerr != nil {
		if errors.Is(rerr, fs.ErrPermission) {
			return fmt.Errorf("%s: %w", path, ErrUnreadable)
		}
	} else {
		f.Close()
	}
	return fmt.Errorf("%s: %w", path, ErrReadOnly)
}

// fileKind names what a non-regular file is, for the log.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// quickCheck runs SQLite's quick integrity check (every page's structure, without comparing
// indexes to their tables: a few milliseconds for a small file, about a second per GB) before
// anything is written, and fails with ErrDamaged naming the first problems found.
func quickCheck(db *sql.DB) error {
	problems, err := quickCheckLines(db)
	return judge(db, problems, err)
}

// openCheck is the check of a file whose last session ended cleanly, bounded so that opening
// does not grow with the cached mail (a whole quick check of 100,000 cached messages takes
// about 0.7 s, which every command and start would pay): the kept tables (providers,
// mailboxes, drafts, the outbox, …), which cannot be downloaded again, get the whole quick
// check with their indexes; each table of the cached mail has its root page and the path to
// its first and last rows read, which finds a broken root page (a folder of damaged mail
// cannot even be listed without it).
// Damage deeper in the cache surfaces when that part is read, and a session that ends
// uncleanly is followed by the whole check (Open).
//
// It reads in one transaction, so that it sees one version of the schema while another
// Mailroom opening the same new file migrates it.
func (s *Store) openCheck() error {
	tx, err := s.r.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	problems, err := openCheckLines(tx)
	return judge(tx, problems, err)
}

// judge turns the problems a check found (or the corruption that stopped it) into ErrDamaged,
// with ErrCacheDamaged when they lie in the cached mail alone.
func judge(db tableReader, problems []string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrCorrupt {
		// The check itself stumbled over a broken page rather than listing it.
		problems, err = []string{se.Error()}, nil
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 && onlyCacheDamaged(db, "main") {
		return fmt.Errorf("%w: %w: %s", ErrDamaged, ErrCacheDamaged, strings.Join(problems, "; "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrDamaged, strings.Join(problems, "; "))
	}
	return nil
}

// openCheckLines returns the problems openCheck finds, at most 5.
func openCheckLines(db tableReader) ([]string, error) {
	rows, err := db.Query(`SELECT name, sql LIKE 'CREATE VIRTUAL%' FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	type table struct {
		name    string
		virtual bool
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.virtual); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var problems []string
	for _, t := range tables {
		var err error
		var lines []string
		switch {
		case t.virtual: // its shadow tables are checked as tables
		case isCacheTable(t.name):
			err = readEnds(db, t.name)
		default:
			lines, err = checkLines(db, `PRAGMA quick_check(`+quoteIdent(t.name)+`)`)
		}
		var se sqlite3.Error
		if errors.As(err, &se) && se.Code == sqlite3.ErrCorrupt {
			lines, err = []string{t.name + ": " + se.Error()}, nil
		}
		if err != nil {
			return nil, err
		}
		if problems = append(problems, lines...); len(problems) >= 5 {
			return problems[:5], nil
		}
	}
	return problems, nil
}

// readEnds reads the first and the last row of table, by rowid (no table of the cached mail
// is WITHOUT ROWID): its root page and the pages down to both ends.
func readEnds(db tableReader, table string) error {
	q := quoteIdent(table)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM ` + q + ` LIMIT 1)`).Scan(&n); err != nil {
		return err
	}
	var last sql.NullInt64
	return db.QueryRow(`SELECT max(rowid) FROM ` + q).Scan(&last)
}

// wholeCheckBelow is the size up to which a file always gets the whole quick check: about
// 15 ms of it. A new file is among them, which matters: several Mailrooms starting at once on
// it must not hold it in a read transaction while one of them switches it to WAL.
const wholeCheckBelow = 16 << 20

func smallFile(path string) bool {
	info, err := os.Stat(path)
	return err != nil || info.Size() < wholeCheckBelow
}

// uncleanEnd reports whether the database at path was left by a session that did not end
// cleanly (or is open in another process now): SQLite removes the write-ahead log when the
// last connection closes, and a rollback journal when its transaction ends.
func uncleanEnd(path string) bool {
	for _, suffix := range []string{"-wal", "-journal"} {
		if info, err := os.Stat(path + suffix); err == nil && info.Size() > 0 {
			return true
		}
	}
	return false
}

// quickCheckLines returns what PRAGMA quick_check reports other than "ok", at most 5 lines.
func quickCheckLines(db *sql.DB) ([]string, error) {
	return checkLines(db, `PRAGMA quick_check(5)`)
}

// checkLines returns the lines of an integrity check pragma other than "ok".
func checkLines(db tableReader, pragma string) ([]string, error) {
	rows, err := db.Query(pragma)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

// classify turns SQLite's errors about the file itself into the store's sentinel errors.
func classify(path string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB:
			return fmt.Errorf("%s: %w: %v", path, ErrNotDatabase, err)
		case sqlite3.ErrCorrupt:
			return fmt.Errorf("%s: %w: %v", path, ErrDamaged, err)
		case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
			return fmt.Errorf("%s: %w: %v", path, ErrReadOnly, err)
		}
	}
	return fmt.Errorf("open %s: %w", path, err)
}

// Close releases the database.
func (s *Store) Close() error {
	s.notes.close()
	s.version.close()
	for _, st := range []*sql.Stmt{s.resolveStmt, s.getStmt, s.byDomainStmt} {
		if st != nil {
			st.Close()
		}
	}
	var err error
	if s.r != nil {
		err = s.r.Close()
	}
	if s.w != nil {
		err = errors.Join(err, s.w.Close())
	}
	return err
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// User returns the name of the user the store acts for.
func (s *Store) User() string { return s.user }

func (s *Store) stamp() string { return stampOf(s.now()) }

// tx runs fn in one write transaction, committed only when fn returns nil; once committed,
// the store announces what changed (see Changes).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error, what ...Change) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	var c Change
	for _, w := range what {
		c = c.merge(w)
	}
	s.announce(c)
	return nil
}

func parseStamp(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}
