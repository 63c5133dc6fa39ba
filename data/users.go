package data

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// registerUser records the OS account acting on this database. The database belongs to one
// person (it is created readable by its owner only), so every account that can open it may
// change everything in it; who may change the office's provider list is decided by who may
// sign it (see Publishers), not by the accounts here.
func (s *Store) registerUser() error {
	return s.tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT OR IGNORE INTO users (name, first_seen) VALUES (?, ?)`, s.user, s.stamp())
		return err
	}, changed(KindUsers))
}

// User is one OS account that has opened this database.
type User struct {
	Name      string
	FirstSeen time.Time
}

// Users returns the accounts that have opened this database, in the order they first did.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, first_seen FROM users ORDER BY first_seen, name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var seen string
		if err := rows.Scan(&u.Name, &seen); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.FirstSeen = parseStamp(seen)
		out = append(out, u)
	}
	return out, rows.Err()
}
