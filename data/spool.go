package data

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SpoolDir returns the folder that keeps the queued messages of this database, each as the
// exact bytes that will be sent: the database's path with "-outbox" appended, as SQLite
// names its own files beside it.
func (s *Store) SpoolDir() string { return s.path + "-outbox" }

// spoolExt ends every spool file's name; a file being written has no extension yet.
const spoolExt = ".eml"

// WriteSpool stores a new queued message: write gets a buffered writer on a new file,
// readable by its owner only, in SpoolDir. The file takes its name only once it is whole
// and on disk, so a Mailroom stopped meanwhile never leaves half a message to be sent. It
// returns the name to give Enqueue and the file's size; on failure nothing is left behind.
func (s *Store) WriteSpool(write func(io.Writer) error) (name string, size int64, err error) {
	dir := s.SpoolDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("create spool folder: %w", err)
	}
	b := make([]byte, 16)
	rand.Read(b) // never fails
	name = hex.EncodeToString(b) + spoolExt
	tmp := filepath.Join(dir, strings.TrimSuffix(name, spoolExt))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, fmt.Errorf("create spool file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return "", 0, err
	}
	if err := bw.Flush(); err != nil {
		return "", 0, fmt.Errorf("write spool file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("write spool file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("write spool file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("write spool file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return "", 0, fmt.Errorf("name spool file: %w", err)
	}
	syncDir(dir)
	return name, st.Size(), nil
}

// syncDir makes a rename in dir durable where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// OpenSpool opens the queued message name (from OutboxItem.Spool) for reading. It fails with
// ErrNotFound when the file is gone.
func (s *Store) OpenSpool(name string) (*os.File, error) {
	if !validSpoolName(name) {
		return nil, fmt.Errorf("spool file %q: %w", name, ErrNotFound)
	}
	f, err := os.Open(filepath.Join(s.SpoolDir(), name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("spool file %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open spool file: %w", err)
	}
	return f, nil
}

// RemoveSpool deletes the spool file name that no outbox message names (a message that
// could not be queued after all); one already gone is no error.
func (s *Store) RemoveSpool(name string) error {
	if !validSpoolName(name) {
		return nil
	}
	if err := os.Remove(filepath.Join(s.SpoolDir(), name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove spool file: %w", err)
	}
	return nil
}

// validSpoolName reports whether name is one WriteSpool gives: nothing else in the folder,
// and nothing outside it, is ever opened or removed.
func validSpoolName(name string) bool {
	hexPart, ok := strings.CutSuffix(name, spoolExt)
	if !ok || len(hexPart) != 32 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

// CleanSpool removes the spool files (and files left half-written) that no outbox message
// names and that are older than before: a Mailroom stopped between writing a message and
// queueing it, or a message removed with its mailbox. Younger files are left alone, since
// another Mailroom may be about to queue them. It returns how many it removed.
func (s *Store) CleanSpool(ctx context.Context, before time.Time) (int, error) {
	entries, err := os.ReadDir(s.SpoolDir())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read spool folder: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT spool FROM outbox WHERE spool <> ''`)
	if err != nil {
		return 0, fmt.Errorf("list spool files: %w", err)
	}
	named := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list spool files: %w", err)
		}
		named[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list spool files: %w", err)
	}
	removed := 0
	for _, e := range entries {
		n := e.Name()
		if named[n] || !(validSpoolName(n) || validSpoolName(n+spoolExt)) {
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(before) {
			if os.Remove(filepath.Join(s.SpoolDir(), n)) == nil {
				removed++
			}
		}
	}
	return removed, nil
}
