package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Flags are the IMAP flags of a message.
type Flags struct {
	Seen     bool
	Flagged  bool
	Answered bool
	Deleted  bool
	Draft    bool
	Keywords []string // other flags and keywords, as the server names them
}

// Message is a stored message without its body: what the message list shows.
type Message struct {
	ID            int64
	FolderID      int64
	UID           uint32
	Date          time.Time // when the server received it (INTERNALDATE)
	SentDate      time.Time // the Date header; zero when missing
	Size          int64
	Flags         Flags
	Subject       string
	FromName      string
	FromAddr      string
	To            string // the To and Cc recipients, "Name <addr>, ..."
	MessageID     string
	HasAttachment bool
}

// From returns the sender as the list shows it: the name, else the address.
func (m *Message) From() string {
	if m.FromName != "" {
		return m.FromName
	}
	return m.FromAddr
}

// ListDate returns the date the message list shows and orders m by: its Date header, or
// when the server received it where the header is missing or claims a later time (a wrong
// clock, or spam dated 2099). The store orders by the same rule (messages.list_date).
func (m *Message) ListDate() time.Time {
	if m.SentDate.IsZero() || m.SentDate.After(m.Date) {
		return m.Date
	}
	return m.SentDate
}

// Cursor is a position in a message list ordered by ListDate then UID, newest first.
// The zero Cursor is the start of the list.
type Cursor struct {
	Date time.Time // a ListDate
	UID  uint32
}

// Cursor returns the position just after m, to read the next page from.
func (m *Message) Cursor() Cursor { return Cursor{Date: m.ListDate(), UID: m.UID} }

// args returns the (date, uid) the next row must be below.
func (c Cursor) args() (int64, int64) {
	if c.Date.IsZero() && c.UID == 0 {
		return math.MaxInt64, 0
	}
	return c.Date.Unix(), int64(c.UID)
}

// MaxPage is the most rows one page of a message list returns.
const MaxPage = 1000

const messageColumns = `m.id, m.folder_id, m.uid, m.date, m.sent_date, m.size, m.seen, m.flagged, m.answered,
	m.deleted, m.draft, m.keywords, m.subject, m.from_name, m.from_addr, m.to_addrs, m.message_id, m.has_attachment`

func scanMessage(sc scanner) (*Message, error) {
	m := &Message{}
	var date, sent int64
	var keywords string
	f := &m.Flags
	if err := sc.Scan(&m.ID, &m.FolderID, &m.UID, &date, &sent, &m.Size, &f.Seen, &f.Flagged, &f.Answered, &f.Deleted,
		&f.Draft, &keywords, &m.Subject, &m.FromName, &m.FromAddr, &m.To, &m.MessageID, &m.HasAttachment); err != nil {
		return nil, err
	}
	m.Date = time.Unix(date, 0)
	if sent != 0 {
		m.SentDate = time.Unix(sent, 0)
	}
	m.Flags.Keywords = strings.Fields(keywords)
	return m, nil
}

func collectMessages(rows *sql.Rows) ([]*Message, error) {
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ownedFolder is a condition on m.folder_id that only the acting user's folder ? meets.
const ownedFolder = `m.folder_id = (SELECT f.id FROM folders f JOIN mailboxes b ON b.id = f.mailbox_id
	WHERE f.id = ? AND b.owner = ?)`

// MessagePage returns up to limit (at most MaxPage) messages of folder folderID after cursor,
// newest first by ListDate, leaving out those marked deleted. Fewer than limit rows mean the list ends
// there; the next page starts at the last row's Cursor. Another user's folder has no messages.
func (s *Store) MessagePage(ctx context.Context, folderID int64, after Cursor, limit int) ([]*Message, error) {
	date, uid := after.args()
	rows, err := s.r.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages m WHERE `+ownedFolder+`
		AND m.deleted = 0 AND (m.list_date, m.uid) < (?, ?) ORDER BY m.list_date DESC, m.uid DESC LIMIT ?`,
		folderID, s.user, date, uid, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("page of folder %d: %w", folderID, err)
	}
	out, err := collectMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("page of folder %d: %w", folderID, err)
	}
	return out, nil
}

// SortKey names what a message list is sorted by.
type SortKey int

// The message list's sort keys. Every order ends with ListDate and UID, newest first, so
// equal keys keep a stable order.
const (
	SortDate    SortKey = iota // ListDate: the Date header, else arrival
	SortFrom                   // the sender's name, else address
	SortTo                     // the recipients
	SortSubject                // the subject, ignoring case
	SortSize                   // the size in bytes
	SortFlag                   // flagged ones first (ascending: last)
)

// ListOrder is the order of a message list. The zero ListOrder is newest first.
type ListOrder struct {
	By        SortKey
	Ascending bool // oldest, A to Z, smallest first; flagged last
}

// orderBy returns the ORDER BY clause of o, or of its reverse.
func (o ListOrder) orderBy(reverse bool) string {
	dir := func(desc bool) string {
		if desc != reverse {
			return " DESC"
		}
		return ""
	}
	key := ""
	switch o.By {
	case SortFrom:
		key = "CASE WHEN m.from_name != '' THEN m.from_name ELSE m.from_addr END COLLATE NOCASE" + dir(!o.Ascending) + ", "
	case SortTo:
		key = "m.to_addrs COLLATE NOCASE" + dir(!o.Ascending) + ", "
	case SortSubject:
		key = "m.subject COLLATE NOCASE" + dir(!o.Ascending) + ", "
	case SortSize:
		key = "m.size" + dir(!o.Ascending) + ", "
	case SortFlag:
		key = "m.flagged" + dir(!o.Ascending) + ", "
	case SortDate:
		return "m.list_date" + dir(!o.Ascending) + ", m.uid" + dir(!o.Ascending)
	}
	return key + "m.list_date" + dir(true) + ", m.uid" + dir(true)
}

// MessageRange returns how many messages folder folderID shows (those marked deleted left
// out) and up to limit (at most MaxPage) of them from offset on, in order, both read at the
// same moment. The list's scrollbar stands for the whole folder this way: any offset is one
// query. In Date order that query walks the index only, from the nearer end of the folder, so
// its oldest messages are as quick to reach as its newest; other orders sort the folder.
// Another user's folder has no messages.
func (s *Store) MessageRange(ctx context.Context, folderID int64, order ListOrder, offset, limit int) ([]*Message, int, error) {
	r, err := s.MessagesAt(ctx, folderID, order, offset, limit)
	return r.Messages, r.Total, err
}

func pageLimit(n int) int {
	if n <= 0 || n > MaxPage {
		return MaxPage
	}
	return n
}

// SearchMessages returns up to limit messages of folder folderID whose subject, sender,
// recipients or cached body contain every word of query (each as a word prefix, ignoring
// case and accents), after cursor, newest first by ListDate. A query without words finds nothing.
//
// A word found in many messages is the slow case: SQLite would collect every match before
// taking the newest. So the newest messages after cursor are looked at first, a window of
// searchWindow per wanted row, asking the full-text index only for ids in the window's
// range; only when that window holds too few matches is the rest of the folder searched.
func (s *Store) SearchMessages(ctx context.Context, folderID int64, query string, after Cursor, limit int) ([]*Message, error) {
	match := MatchExpression(query)
	if match == "" {
		return nil, nil
	}
	limit = pageLimit(limit)
	// One read transaction: the window and its search see the same rows.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("search folder %d: %w", folderID, err)
	}
	defer tx.Rollback()
	win, err := s.newestAfter(ctx, tx, folderID, after, limit*searchWindow)
	if err != nil {
		return nil, fmt.Errorf("search folder %d: %w", folderID, err)
	}
	var out []*Message
	if win.rows > 0 {
		out, err = s.searchQuery(ctx, tx, folderID, after, limit, `AND (m.list_date, m.uid) >= (?, ?)
			AND m.id IN (SELECT docid FROM messages_fts WHERE messages_fts MATCH ? AND docid BETWEEN ? AND ?)`,
			win.last.Date.Unix(), win.last.UID, match, win.minID, win.maxID)
		if err != nil || len(out) == limit || win.rows < limit*searchWindow {
			return out, err
		}
		after = win.last
	}
	rest, err := s.searchQuery(ctx, tx, folderID, after, limit-len(out),
		`AND m.id IN (SELECT docid FROM messages_fts WHERE messages_fts MATCH ?)`, match)
	return append(out, rest...), err
}

// searchWindow is how many of the newest messages SearchMessages looks at first for each row
// it wants: a word in one message of searchWindow fills a page from the window alone.
const searchWindow = 10

// window is the newest rows of a folder after a cursor: how many, the last one's cursor, and
// the range of their ids.
type window struct {
	rows         int
	last         Cursor
	minID, maxID int64
}

// newestAfter returns the window of the n messages of folderID after cursor, newest first.
// SQLite counts it and finds its ends, so no row crosses into Go.
func (s *Store) newestAfter(ctx context.Context, tx *sql.Tx, folderID int64, after Cursor, n int) (window, error) {
	date, uid := after.args()
	const newest = `FROM messages m WHERE ` + ownedFolder + ` AND m.deleted = 0 AND (m.list_date, m.uid) < (?, ?)
		ORDER BY m.list_date DESC, m.uid DESC`
	var w window
	var minID, maxID sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT count(*), min(id), max(id) FROM (SELECT m.id `+newest+` LIMIT ?)`,
		folderID, s.user, date, uid, n).Scan(&w.rows, &minID, &maxID)
	if err != nil || w.rows == 0 {
		return window{}, err
	}
	w.minID, w.maxID = minID.Int64, maxID.Int64
	var lastDate int64
	err = tx.QueryRowContext(ctx, `SELECT m.list_date, m.uid `+newest+` LIMIT 1 OFFSET ?`,
		folderID, s.user, date, uid, w.rows-1).Scan(&lastDate, &w.last.UID)
	w.last.Date = time.Unix(lastDate, 0)
	return w, err
}

// searchQuery returns up to limit messages of folderID after cursor, newest first, that meet
// cond (with its args).
func (s *Store) searchQuery(ctx context.Context, tx *sql.Tx, folderID int64, after Cursor, limit int, cond string, args ...any) ([]*Message, error) {
	date, uid := after.args()
	all := append([]any{folderID, s.user, date, uid}, args...)
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages m WHERE `+ownedFolder+`
		AND m.deleted = 0 AND (m.list_date, m.uid) < (?, ?) `+cond+`
		ORDER BY m.list_date DESC, m.uid DESC LIMIT ?`, append(all, limit)...)
	if err != nil {
		return nil, fmt.Errorf("search folder %d: %w", folderID, err)
	}
	out, err := collectMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("search folder %d: %w", folderID, err)
	}
	return out, nil
}

// MatchExpression turns what a person typed into a full-text MATCH expression: every word
// must occur as a prefix. Punctuation separates words and operators lose their meaning, so
// no input is a syntax error. It returns "" when query has no words.
func MatchExpression(query string) string {
	words := strings.FieldsFunc(query, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		words[i] = `"` + w + `*"`
	}
	return strings.Join(words, " ")
}

// Message returns the acting user's stored message id, or ErrNotFound.
func (s *Store) Message(ctx context.Context, id int64) (*Message, error) {
	m, err := scanMessage(s.r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages m
		JOIN folders f ON f.id = m.folder_id JOIN mailboxes b ON b.id = f.mailbox_id WHERE m.id = ? AND b.owner = ?`, id, s.user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get message %d: %w", id, err)
	}
	return m, nil
}

// StoreMessages writes msgs (new or known, by UID) into folder folderID and records that
// every message up to fetchedUID is stored, all in one transaction: a sync interrupted
// between two calls leaves a consistent folder that the next sync continues from. The new
// rows are indexed for search in the same transaction.
func (s *Store) StoreMessages(ctx context.Context, folderID int64, msgs []*Message, fetchedUID uint32) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Rows inserted below get ids above the largest now (one writer, no AUTOINCREMENT gaps
		// matter): they are the ones to index.
		var before int64
		if len(msgs) > 0 {
			if err := tx.QueryRow(`SELECT coalesce(max(id), 0) FROM messages`).Scan(&before); err != nil {
				return fmt.Errorf("store messages: %w", err)
			}
		}
		// Rows go in storeRows at a time, one statement each: a fiftieth of the calls
		// through database/sql and cgo that a statement per row makes.
		var st *sql.Stmt
		defer func() {
			if st != nil {
				st.Close()
			}
		}()
		args := make([]any, 0, storeRows*17)
		for rows := range slices.Chunk(msgs, storeRows) {
			if st == nil || len(rows) != storeRows {
				if st != nil {
					st.Close()
				}
				var err error
				if st, err = tx.Prepare(insertMessages(len(rows))); err != nil {
					return fmt.Errorf("store messages: %w", err)
				}
			}
			args = args[:0]
			for _, m := range rows {
				var sent int64
				if !m.SentDate.IsZero() {
					sent = m.SentDate.Unix()
				}
				f := m.Flags
				args = append(args, folderID, m.UID, m.Date.Unix(), sent, m.Size, f.Seen, f.Flagged, f.Answered, f.Deleted,
					f.Draft, strings.Join(f.Keywords, " "), m.Subject, m.FromName, m.FromAddr, m.To, m.MessageID, m.HasAttachment)
			}
			if _, err := st.Exec(args...); err != nil {
				return fmt.Errorf("store messages %d to %d: %w", rows[0].UID, rows[len(rows)-1].UID, err)
			}
		}
		if len(msgs) > 0 {
			if err := indexNewMessages(tx, before); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`UPDATE folders SET fetched_uid = max(fetched_uid, ?) WHERE id = ?`, fetchedUID, folderID)
		if err != nil {
			return fmt.Errorf("store messages: %w", err)
		}
		return nil
	}, messagesOf(folderID))
}

// storeRows is how many rows one INSERT of StoreMessages stores (17 parameters each, far
// below SQLite's limit of 32,766).
const storeRows = 50

// insertMessages is the INSERT of n rows of StoreMessages; a row already stored (by UID)
// takes the server's flags unless a queued action is changing them.
func insertMessages(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO messages (folder_id, uid, date, sent_date, size, seen, flagged, answered,
		deleted, draft, keywords, subject, from_name, from_addr, to_addrs, message_id, has_attachment) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(` ON CONFLICT (folder_id, uid) DO UPDATE SET seen = excluded.seen, flagged = excluded.flagged,
		answered = excluded.answered, deleted = excluded.deleted, draft = excluded.draft, keywords = excluded.keywords
		WHERE ` + noQueuedAction)
	return b.String()
}

// noQueuedAction holds for a message row no queued action is changing: a sync does not write
// the server's flags over a change that waits to be applied (see QueueAction).
const noQueuedAction = `NOT EXISTS (SELECT 1 FROM action_queue q WHERE q.message_id = messages.id AND q.state != 'done')`

// indexNewMessages adds the messages whose id is above after to the full-text index, with
// an empty body until one is cached: one statement for the whole batch, about five times
// cheaper than a trigger firing per row.
func indexNewMessages(tx *sql.Tx, after int64) error {
	_, err := tx.Exec(`INSERT INTO messages_fts (docid, subject, sender, recipients, body)
		SELECT id, subject, from_name || ' ' || from_addr, to_addrs, '' FROM messages WHERE id > ?`, after)
	if err != nil {
		return fmt.Errorf("index new messages: %w", err)
	}
	return nil
}

// FlagUpdate is the flags the server reports for one message.
type FlagUpdate struct {
	UID   uint32
	Flags Flags
}

// UpdateFlags sets the flags of the stored messages of folder folderID that ups name, in
// one transaction; UIDs not stored are ignored.
func (s *Store) UpdateFlags(ctx context.Context, folderID int64, ups []FlagUpdate) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`UPDATE messages SET seen = ?, flagged = ?, answered = ?, deleted = ?, draft = ?, keywords = ?
			WHERE folder_id = ? AND uid = ? AND ` + noQueuedAction)
		if err != nil {
			return fmt.Errorf("update flags: %w", err)
		}
		defer st.Close()
		for _, u := range ups {
			f := u.Flags
			if _, err := st.Exec(f.Seen, f.Flagged, f.Answered, f.Deleted, f.Draft, strings.Join(f.Keywords, " "), folderID, u.UID); err != nil {
				return fmt.Errorf("update flags of %d: %w", u.UID, err)
			}
		}
		return nil
	}, messagesOf(folderID))
}

// SetFlags sets the flags of the stored message id; the server is not told. It fails with
// ErrNotFound.
func (s *Store) SetFlags(ctx context.Context, id int64, f Flags) error {
	var folder int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`UPDATE messages SET seen = ?, flagged = ?, answered = ?, deleted = ?, draft = ?, keywords = ?
			WHERE id = ? RETURNING folder_id`, f.Seen, f.Flagged, f.Answered, f.Deleted, f.Draft, strings.Join(f.Keywords, " "), id).Scan(&folder)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("message %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("set flags of message %d: %w", id, err)
		}
		return nil
	})
	if err == nil {
		s.announce(messagesOf(folder))
	}
	return err
}

// MessageUIDs returns the UIDs of every stored message of folder folderID, ascending.
func (s *Store) MessageUIDs(ctx context.Context, folderID int64) ([]uint32, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid`, folderID)
	if err != nil {
		return nil, fmt.Errorf("uids of folder %d: %w", folderID, err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("uids of folder %d: %w", folderID, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// MessageCount returns how many messages of folder folderID are stored, those marked deleted
// included, as MessageUIDs would list; it reads only an index.
func (s *Store) MessageCount(ctx context.Context, folderID int64) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE folder_id = ?`, folderID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages of folder %d: %w", folderID, err)
	}
	return n, nil
}

// RemoveMessages deletes the stored messages of folder folderID with the given UIDs (the
// server expunged them), with their bodies, in one transaction.
func (s *Store) RemoveMessages(ctx context.Context, folderID int64, uids []uint32) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`DELETE FROM messages WHERE folder_id = ? AND uid = ?`)
		if err != nil {
			return fmt.Errorf("remove messages: %w", err)
		}
		defer st.Close()
		for _, u := range uids {
			if _, err := st.Exec(folderID, u); err != nil {
				return fmt.Errorf("remove message %d: %w", u, err)
			}
		}
		return nil
	}, messagesOf(folderID))
}

// MessageBody returns the cached body of message id and whether it was cut short, or
// ErrNotFound when it has not been fetched.
func (s *Store) MessageBody(ctx context.Context, id int64) ([]byte, bool, error) {
	var raw []byte
	var truncated bool
	err := s.r.QueryRowContext(ctx, `SELECT raw, truncated FROM message_bodies WHERE message_id = ?`, id).Scan(&raw, &truncated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("body of message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("body of message %d: %w", id, err)
	}
	return raw, truncated, nil
}

// SaveMessageBody caches the body of message id, and text, its readable text, for search.
func (s *Store) SaveMessageBody(ctx context.Context, id int64, raw []byte, truncated bool, text string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT OR REPLACE INTO message_bodies (message_id, raw, truncated, fetched_at) VALUES (?, ?, ?, ?)`,
			id, raw, truncated, s.stamp()); err != nil {
			return fmt.Errorf("save body of message %d: %w", id, err)
		}
		if _, err := tx.Exec(`UPDATE messages_fts SET body = ? WHERE docid = ?`, text, id); err != nil {
			return fmt.Errorf("index body of message %d: %w", id, err)
		}
		return nil
	})
}
