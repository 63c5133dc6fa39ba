package data

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// ErrCacheDamaged is returned by Open, together with ErrDamaged, when the damage lies only
// in the cached mail (folders, messages, their bodies and search index), which the servers
// still have: RebuildCache can then make a sound database of the rest.
var ErrCacheDamaged = errors.New("only the cached mail is damaged")

// cacheTables are the tables that only mirror the mail servers; they can be dropped and
// fetched again. Every other table is kept by RebuildCache.
var cacheTables = []string{"folders", "messages", "message_bodies", "sync_leases"}

func isCacheTable(name string) bool {
	return slices.Contains(cacheTables, name) || strings.HasPrefix(name, "messages_fts") ||
		name == "schema_migrations" || strings.HasPrefix(name, "sqlite_")
}

// keptTables lists the tables of db (schema main, or the given one) that are not cache.
func keptTables(db tableReader, schema string) ([]string, error) {
	rows, err := db.Query(`SELECT name FROM ` + schema + `.sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if !isCacheTable(name) {
			out = append(out, name)
		}
	}
	return out, rows.Err()
}

type tableReader interface {
	Query(query string, args ...any) (*sql.Rows, error)
	QueryRow(query string, args ...any) *sql.Row
}

// onlyCacheDamaged reports whether every table of db's schema ("main", or an attached one)
// that is not cache passes the quick check, so that the damage quickCheck found lies in the
// cache alone. A schema that cannot be read is not only cache.
func onlyCacheDamaged(db tableReader, schema string) bool {
	tables, err := keptTables(db, schema)
	if err != nil || len(tables) == 0 {
		return false
	}
	for _, t := range tables {
		var res string
		if err := db.QueryRow(`PRAGMA ` + schema + `.quick_check(` + quoteIdent(t) + `)`).Scan(&res); err != nil || res != "ok" {
			return false
		}
	}
	return true
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// DamagedSuffix is added to the name of a damaged database that RebuildCache set aside.
const DamagedSuffix = ".damaged"

// RebuildCache replaces the database at path, damaged in its cached mail only (Open failed
// with ErrCacheDamaged), by a new one holding everything else (providers and their domains,
// users and grants, mailboxes, certificate pins, drafts, the outbox, …) and no cached mail,
// which the next sync fetches again. The damaged file is kept, unchanged, at
// path+DamagedSuffix, which it returns. It refuses with ErrDamaged when the damage reaches
// beyond the cache, and then changes nothing.
func RebuildCache(path string) (string, error) {
	if err := prepareFile(path); err != nil {
		return "", err
	}
	fresh := path + ".rebuilding"
	removeDatabase(fresh)
	var made []string // the -wal and -shm that reading the damaged file left, not its own
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); errors.Is(err, os.ErrNotExist) {
			made = append(made, path+suffix)
		}
	}
	err := copyKept(path, fresh)
	for _, m := range made {
		os.Remove(m)
	}
	if err != nil {
		removeDatabase(fresh)
		return "", fmt.Errorf("rebuild %s: %w", path, err)
	}
	aside := path + DamagedSuffix
	if _, err := os.Stat(aside); err == nil {
		return "", fmt.Errorf("rebuild %s: %s is in the way; move it first", path, aside)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("set %s aside: %w", path, err)
		}
	}
	if err := os.Rename(fresh, path); err != nil {
		return "", fmt.Errorf("put the rebuilt %s in place: %w", path, err)
	}
	return aside, nil
}

// copyKept writes a database at fresh, at the current schema, with the tables of the
// database at old that are not cache.
func copyKept(old, fresh string) error {
	db, err := sql.Open("sqlite3", dsn(fresh, "_txlock=immediate"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := prepareFile(fresh); err != nil {
		return err
	}
	if err := migrate(db); err != nil {
		return err
	}
	if _, err := db.Exec(`PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	if _, err := db.Exec(`ATTACH DATABASE ? AS old`, "file:"+old+"?mode=ro"); err != nil {
		return err
	}
	if !onlyCacheDamaged(db, "old") {
		return fmt.Errorf("%w beyond the cached mail", ErrDamaged)
	}
	tables, err := keptTables(db, "old")
	if err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tables {
		if err := copyTable(tx, t); err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	var problems int
	if err := db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&problems); err != nil || problems > 0 {
		return fmt.Errorf("%d rows refer to rows that were not kept: %w", problems, err)
	}
	_, err = db.Exec(`DETACH DATABASE old`)
	return err
}

// copyTable copies the rows of old.t into main.t, by the columns both have.
func copyTable(tx *sql.Tx, t string) error {
	oldCols, err := columns(tx, "old", t)
	if err != nil {
		return err
	}
	newCols, err := columns(tx, "main", t)
	if err != nil {
		return err
	}
	var both []string
	for _, c := range oldCols {
		if slices.Contains(newCols, c) {
			both = append(both, quoteIdent(c))
		}
	}
	if len(both) == 0 {
		return nil // a table this Mailroom does not have
	}
	list := strings.Join(both, ", ")
	_, err = tx.Exec(`INSERT OR REPLACE INTO main.` + quoteIdent(t) + ` (` + list + `) SELECT ` + list + ` FROM old.` + quoteIdent(t))
	return err
}

func columns(tx *sql.Tx, schema, t string) ([]string, error) {
	rows, err := tx.Query(`SELECT name FROM pragma_table_info(?, ?)`, t, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func removeDatabase(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}
