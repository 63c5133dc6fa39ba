package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FolderRole is what a folder is for, from the server's special-use attributes (RFC 6154).
type FolderRole string

// The roles of a folder; most folders have none.
const (
	RoleNone    FolderRole = ""
	RoleInbox   FolderRole = "inbox"
	RoleSent    FolderRole = "sent"
	RoleDrafts  FolderRole = "drafts"
	RoleTrash   FolderRole = "trash"
	RoleJunk    FolderRole = "junk"
	RoleArchive FolderRole = "archive"
)

// FolderInfo is a folder as the server's LIST describes it.
type FolderInfo struct {
	Name       string // the server's name, UTF-8
	Delimiter  string // hierarchy delimiter, "" for none
	Role       FolderRole
	Selectable bool // false for \Noselect and \NonExistent folders, which hold no messages
}

// Folder is a folder of a mailbox with the state of its last sync and its message counts.
type Folder struct {
	FolderInfo
	ID            int64
	MailboxID     int64
	UIDValidity   uint32
	FetchedUID    uint32 // every message up to this UID is stored
	UIDNext       uint32 // of the last complete sync
	HighestModSeq uint64 // of the last complete sync; 0 without CONDSTORE
	SyncedAt      time.Time
	Total         int // messages stored, not counting those marked deleted
	Unread        int
}

const folderColumns = `f.id, f.mailbox_id, f.name, f.delimiter, f.role, f.selectable, f.uid_validity, f.fetched_uid,
	f.uid_next, f.highest_modseq, f.synced_at, f.shown, f.unread` // counts kept by triggers (0015)

const folderFrom = ` FROM folders f JOIN mailboxes m ON m.id = f.mailbox_id `

func scanFolder(sc scanner) (*Folder, error) {
	f := &Folder{}
	var synced string
	err := sc.Scan(&f.ID, &f.MailboxID, &f.Name, &f.Delimiter, &f.Role, &f.Selectable, &f.UIDValidity, &f.FetchedUID,
		&f.UIDNext, &f.HighestModSeq, &synced, &f.Total, &f.Unread)
	if err != nil {
		return nil, err
	}
	f.SyncedAt = parseStamp(synced)
	return f, nil
}

// Folders returns the folders of the acting user's mailbox mailboxID: the Inbox first, then
// the other special-use folders, then the rest by name. A mailbox never synced has none.
func (s *Store) Folders(ctx context.Context, mailboxID int64) ([]*Folder, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+folderColumns+folderFrom+`WHERE f.mailbox_id = ? AND m.owner = ?
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

// Folder returns the acting user's folder id, or ErrNotFound.
func (s *Store) Folder(ctx context.Context, id int64) (*Folder, error) {
	f, err := scanFolder(s.r.QueryRowContext(ctx, `SELECT `+folderColumns+folderFrom+`WHERE f.id = ? AND m.owner = ?`, id, s.user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("folder %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get folder %d: %w", id, err)
	}
	return f, nil
}

// SaveFolders makes the stored folders of mailbox mailboxID those of list: new ones are
// added, known ones keep their sync state and take the new role, and folders no longer
// listed are removed with their messages, all in one transaction. It fails with ErrNotFound
// when the mailbox is not the acting user's.
func (s *Store) SaveFolders(ctx context.Context, mailboxID int64, list []FolderInfo) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.ownMailbox(tx, mailboxID); err != nil {
			return err
		}
		if _, err := tx.Exec(`CREATE TEMP TABLE IF NOT EXISTS listed (name TEXT PRIMARY KEY)`); err != nil {
			return fmt.Errorf("save folders: %w", err)
		}
		defer tx.Exec(`DROP TABLE temp.listed`)
		for _, fi := range list {
			if _, err := tx.Exec(`INSERT INTO folders (mailbox_id, name, delimiter, role, selectable) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (mailbox_id, name) DO UPDATE SET delimiter = excluded.delimiter, role = excluded.role,
				selectable = excluded.selectable`, mailboxID, fi.Name, fi.Delimiter, fi.Role, fi.Selectable); err != nil {
				return fmt.Errorf("save folder %q: %w", fi.Name, err)
			}
			if _, err := tx.Exec(`INSERT OR IGNORE INTO temp.listed (name) VALUES (?)`, fi.Name); err != nil {
				return fmt.Errorf("save folders: %w", err)
			}
		}
		_, err := tx.Exec(`DELETE FROM folders WHERE mailbox_id = ? AND name NOT IN (SELECT name FROM temp.listed)`, mailboxID)
		if err != nil {
			return fmt.Errorf("remove unlisted folders: %w", err)
		}
		return nil
	}, changed(KindFolders))
}

// ResetFolder drops every stored message of folder id and starts it again under
// uidValidity: the server renumbered the folder, so the old UIDs mean nothing.
func (s *Store) ResetFolder(ctx context.Context, id int64, uidValidity uint32) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM messages WHERE folder_id = ?`, id); err != nil {
			return fmt.Errorf("reset folder %d: %w", id, err)
		}
		res, err := tx.Exec(`UPDATE folders SET uid_validity = ?, fetched_uid = 0, uid_next = 0, highest_modseq = 0,
			synced_at = '' WHERE id = ?`, uidValidity, id)
		if err != nil {
			return fmt.Errorf("reset folder %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("folder %d: %w", id, ErrNotFound)
		}
		return nil
	}, changed(KindFolders), messagesOf(id))
}

// SetFolderSynced records a complete sync of folder id: the server's UIDNEXT and
// HIGHESTMODSEQ (0 without CONDSTORE) at its start.
func (s *Store) SetFolderSynced(ctx context.Context, id int64, uidNext uint32, highestModSeq uint64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE folders SET uid_next = ?, highest_modseq = ?, synced_at = ? WHERE id = ?`,
			uidNext, highestModSeq, s.stamp(), id)
		if err != nil {
			return fmt.Errorf("record sync of folder %d: %w", id, err)
		}
		return nil
	}, changed(KindFolders))
}
