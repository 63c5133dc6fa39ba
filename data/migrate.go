package data

import (
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migration files in order; file NNNN_name.sql is version NNNN.
func migrations() ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for i, n := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(n, "migrations/"), "_", 2)[0])
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s is out of sequence", n)
		}
	}
	return names, nil
}

// SchemaVersion is the schema version this Mailroom writes.
func SchemaVersion() int {
	names, _ := migrations()
	return len(names)
}

// migrate applies every migration the database lacks, each in one transaction together with
// its version record. A database from a newer Mailroom, or a SQLite file of another program,
// is refused before anything is written.
func migrate(db *sql.DB) error {
	return migrateTo(db, SchemaVersion())
}

// migrateTo brings the database to version target (tests use it to build earlier versions).
func migrateTo(db *sql.DB, target int) error {
	names, err := migrations()
	if err != nil {
		return err
	}
	current, err := currentVersion(db)
	if err != nil {
		return err
	}
	if current > len(names) {
		return fmt.Errorf("schema version %d, this Mailroom knows %d: %w", current, len(names), ErrNewerVersion)
	}
	for v := current + 1; v <= target; v++ {
		if err := migrateFile(db, v, names[v-1]); err != nil {
			return err
		}
	}
	return nil
}

func currentVersion(db *sql.DB) (int, error) {
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&tables); err != nil {
		return 0, err
	}
	var has int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&has); err != nil {
		return 0, err
	}
	if has == 0 {
		if tables > 0 {
			return 0, fmt.Errorf("it holds tables of another program: %w", ErrNotDatabase)
		}
		return 0, nil
	}
	var v sql.NullInt64
	err := db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

func migrateFile(db *sql.DB, version int, name string) error {
	body, err := migrationFiles.ReadFile(name)
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`); err != nil {
		return err
	}
	// Checked again inside the transaction: another Mailroom starting at the same moment may
	// have applied this version since currentVersion looked.
	var applied int
	if err := tx.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.Exec(string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.Exec(`INSERT INTO schema_migrations (version) VALUES (?)`, version); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return tx.Commit()
}
