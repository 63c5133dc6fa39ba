package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MessageQuery chooses cached messages across folders and mailboxes, as the command line
// lists them.
type MessageQuery struct {
	MailboxID int64  // 0: every mailbox of the acting user
	Folder    string // "": every folder; else the folder of that name (INBOX in any case)
	Search    string // words that must all occur, as SearchMessages takes them; "": every message
	Limit     int    // at most MaxPage; 0 or less: MaxPage
}

// ListedMessage is a message with where it is kept and the date it is shown with.
type ListedMessage struct {
	*Message
	Mailbox string    // the mailbox's address
	Folder  string    // the folder's name on the server
	Shown   time.Time // the Date header; when missing or in the future, when it arrived
}

// messageQueryOrder is the order of QueryMessages, newest first: the date a message is shown
// with, then its id. It is one constant so that it follows the message list's order.
const messageQueryOrder = `shown DESC, m.id DESC`

// shownDate is the date a message is shown with: the Date header, or INTERNALDATE where the
// header is missing or later than :now.
const shownDate = `CASE WHEN m.sent_date > 0 AND m.sent_date <= :now THEN m.sent_date ELSE m.date END`

// QueryMessages returns the acting user's cached messages that q chooses, newest first (see
// messageQueryOrder), leaving out those marked deleted. A Search without words finds nothing.
func (s *Store) QueryMessages(ctx context.Context, q MessageQuery) ([]*ListedMessage, error) {
	cond, args := `b.owner = :user AND m.deleted = 0`, []any{sql.Named("user", s.user), sql.Named("now", s.now().Unix())}
	if q.MailboxID != 0 {
		cond += ` AND b.id = :mailbox`
		args = append(args, sql.Named("mailbox", q.MailboxID))
	}
	if q.Folder != "" {
		cond += ` AND (f.name = :folder OR (upper(:folder) = 'INBOX' AND upper(f.name) = 'INBOX'))`
		args = append(args, sql.Named("folder", q.Folder))
	}
	if q.Search != "" {
		match := MatchExpression(q.Search)
		if match == "" {
			return nil, nil
		}
		cond += ` AND m.id IN (SELECT docid FROM messages_fts WHERE messages_fts MATCH :match)`
		args = append(args, sql.Named("match", match))
	}
	args = append(args, sql.Named("limit", pageLimit(q.Limit)))
	rows, err := s.r.QueryContext(ctx, `SELECT `+messageColumns+`, b.address, f.name, `+shownDate+` AS shown
		FROM messages m JOIN folders f ON f.id = m.folder_id JOIN mailboxes b ON b.id = f.mailbox_id
		WHERE `+cond+` ORDER BY `+messageQueryOrder+` LIMIT :limit`, args...)
	if err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	defer rows.Close()
	var out []*ListedMessage
	for rows.Next() {
		l := &ListedMessage{}
		var shown int64
		if l.Message, err = scanMessage(withExtra{rows, []any{&l.Mailbox, &l.Folder, &shown}}); err != nil {
			return nil, fmt.Errorf("query messages: %w", err)
		}
		l.Shown = time.Unix(shown, 0)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	return out, nil
}

// withExtra scans the columns scanMessage reads, then extra.
type withExtra struct {
	sc    scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }

// MessageBodyState says whether the body of message id is cached and, if so, whether it was
// cut short, without reading it.
func (s *Store) MessageBodyState(ctx context.Context, id int64) (cached, truncated bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT truncated FROM message_bodies WHERE message_id = ?`, id).Scan(&truncated)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("body of message %d: %w", id, err)
	}
	return true, truncated, nil
}
