package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// KeepMessages reports whether the acting user's mailbox id keeps its messages on this
// computer: their bodies are downloaded after the headers, for reading offline and for
// search. It is on unless turned off; it fails with ErrNotFound.
func (s *Store) KeepMessages(ctx context.Context, mailboxID int64) (bool, error) {
	var keep bool
	err := s.r.QueryRowContext(ctx, `SELECT keep_messages FROM mailboxes WHERE id = ? AND owner = ?`, mailboxID, s.user).Scan(&keep)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("mailbox %d: %w", mailboxID, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("keep messages of mailbox %d: %w", mailboxID, err)
	}
	return keep, nil
}

// SetKeepMessages turns "Keep messages on this computer" on or off for the acting user's
// mailbox id. Turning it off keeps the bodies already downloaded. It fails with ErrNotFound.
func (s *Store) SetKeepMessages(ctx context.Context, mailboxID int64, keep bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE mailboxes SET keep_messages = ? WHERE id = ? AND owner = ?`, keep, mailboxID, s.user)
		if err != nil {
			return fmt.Errorf("set keep messages of mailbox %d: %w", mailboxID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("mailbox %d: %w", mailboxID, ErrNotFound)
		}
		return nil
	})
}

// MissingBody is a stored message whose body is not cached yet.
type MissingBody struct {
	ID   int64
	UID  uint32
	Size int64
	At   Cursor // its place in the folder's list, to ask for the next ones after it
}

// MissingBodies returns up to limit messages of folder folderID, newest first after cursor,
// dated from on (all when from is zero), whose body is not cached, leaving out those marked
// deleted.
func (s *Store) MissingBodies(ctx context.Context, folderID int64, from time.Time, after Cursor, limit int) ([]MissingBody, error) {
	date, uid := after.args()
	since := int64(earliest)
	if !from.IsZero() {
		since = from.Unix()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.uid, m.size, m.date FROM messages m WHERE `+ownedFolder+`
		AND m.deleted = 0 AND (m.date, m.uid) < (?, ?) AND m.date >= ?
		AND NOT EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = m.id)
		ORDER BY m.date DESC, m.uid DESC LIMIT ?`, folderID, s.user, date, uid, since, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("missing bodies of folder %d: %w", folderID, err)
	}
	defer rows.Close()
	var out []MissingBody
	for rows.Next() {
		var b MissingBody
		var d int64
		if err := rows.Scan(&b.ID, &b.UID, &b.Size, &d); err != nil {
			return nil, fmt.Errorf("missing bodies of folder %d: %w", folderID, err)
		}
		b.At = Cursor{Date: time.Unix(d, 0), UID: b.UID}
		out = append(out, b)
	}
	return out, rows.Err()
}

// earliest is the date MissingBodies starts from when given none.
const earliest = -1 << 62

// Body is a message body to cache: the raw message (cut at a size limit when Truncated) and
// its readable text, for search.
type Body struct {
	MessageID int64
	Raw       []byte
	Truncated bool
	Text      string
}

// SaveMessageBodies caches bodies, each like SaveMessageBody, in one transaction; a body of
// a message removed meanwhile is left out.
func (s *Store) SaveMessageBodies(ctx context.Context, bodies []Body) error {
	if len(bodies) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		now := s.stamp()
		for _, b := range bodies {
			res, err := tx.Exec(`INSERT OR REPLACE INTO message_bodies (message_id, raw, truncated, fetched_at)
				SELECT id, ?, ?, ? FROM messages WHERE id = ?`, b.Raw, b.Truncated, now, b.MessageID)
			if err != nil {
				return fmt.Errorf("save body of message %d: %w", b.MessageID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if _, err := tx.Exec(`UPDATE messages_fts SET body = ? WHERE docid = ?`, b.Text, b.MessageID); err != nil {
				return fmt.Errorf("index body of message %d: %w", b.MessageID, err)
			}
		}
		return nil
	})
}
