package data

import (
	"context"
	"database/sql"
	"fmt"
)

// FolderUnchanged is a folder the server reports unchanged since its last complete sync:
// the same UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ.
type FolderUnchanged struct {
	ID            int64
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
}

// MarkFoldersUnchanged records in one transaction that each folder of list was found
// unchanged now: its synced_at moves on where its stored state still equals the one given
// (a sync of it in another window or process may have moved it on meanwhile, and then it is
// left alone).
func (s *Store) MarkFoldersUnchanged(ctx context.Context, list []FolderUnchanged) error {
	if len(list) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`UPDATE folders SET synced_at = ? WHERE id = ? AND uid_validity = ? AND uid_next = ? AND highest_modseq = ?`)
		if err != nil {
			return fmt.Errorf("mark folders unchanged: %w", err)
		}
		defer st.Close()
		now := s.stamp()
		for _, f := range list {
			if _, err := st.Exec(now, f.ID, f.UIDValidity, f.UIDNext, f.HighestModSeq); err != nil {
				return fmt.Errorf("mark folder %d unchanged: %w", f.ID, err)
			}
		}
		return nil
	})
}
