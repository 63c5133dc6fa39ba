package data

import (
	"context"
	"database/sql"
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
