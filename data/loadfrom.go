package data

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FoldersLoadedFrom returns, by folder id, the "Load emails from" date each folder of the
// acting user's mailbox mailboxID was filled from (zero: all mail).
func (s *Store) FoldersLoadedFrom(ctx context.Context, mailboxID int64) (map[int64]time.Time, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.id, f.loaded_from`+folderFrom+`WHERE f.mailbox_id = ? AND m.owner = ?`, mailboxID, s.user)
	if err != nil {
		return nil, fmt.Errorf("loaded dates of mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var from string
		if err := rows.Scan(&id, &from); err != nil {
			return nil, fmt.Errorf("loaded dates of mailbox %d: %w", mailboxID, err)
		}
		out[id] = parseDay(from)
	}
	return out, rows.Err()
}

func parseDay(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func formatDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// SetFolderLoadedFrom records that folder id now holds the messages from the day from on
// (zero: all mail).
func (s *Store) SetFolderLoadedFrom(ctx context.Context, id int64, from time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE folders SET loaded_from = ? WHERE id = ?`, formatDay(from), id); err != nil {
			return fmt.Errorf("record loaded date of folder %d: %w", id, err)
		}
		return nil
	})
}

// DropMessagesBefore removes from the cache of folder id the messages dated before the day
// before, with their bodies, and records that the folder holds the messages from that day
// on, in one transaction; the server keeps them. It returns how many it removed.
func (s *Store) DropMessagesBefore(ctx context.Context, id int64, before time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM messages WHERE folder_id = ? AND date < ?`, id, before.Unix())
		if err != nil {
			return fmt.Errorf("drop messages of folder %d before %s: %w", id, formatDay(before), err)
		}
		n, _ = res.RowsAffected()
		_, err = tx.Exec(`UPDATE folders SET loaded_from = ? WHERE id = ?`, formatDay(before), id)
		return err
	})
	return int(n), err
}
