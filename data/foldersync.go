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

// SyncFolders returns the folders of the acting user's mailbox mailboxID as Folders does,
// without their message counts (Total and Unread are 0), which a sync does not need: in a
// 100,000-message folder they are most of the time Folders takes.
func (s *Store) SyncFolders(ctx context.Context, mailboxID int64) ([]*Folder, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.id, f.mailbox_id, f.name, f.delimiter, f.role, f.selectable, f.uid_validity,
		f.fetched_uid, f.uid_next, f.highest_modseq, f.synced_at, 0, 0`+folderFrom+`WHERE f.mailbox_id = ? AND m.owner = ?
		ORDER BY CASE f.role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'sent' THEN 2 WHEN 'archive' THEN 3
		WHEN 'junk' THEN 4 WHEN 'trash' THEN 5 ELSE 6 END, f.name`, mailboxID, s.user)
	if err != nil {
		return nil, fmt.Errorf("list folders of mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	var out []*Folder
	for rows.Next() {
		f, err := scanFolder(rows)
		if err != nil {
			return nil, fmt.Errorf("list folders of mailbox %d: %w", mailboxID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
