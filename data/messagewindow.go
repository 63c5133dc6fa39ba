package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MessageSlice is a run of a folder's message list as one read saw it.
type MessageSlice struct {
	Messages []*Message // in list order
	Offset   int        // the list index of Messages[0]
	Total    int        // how many messages the folder showed
	// MaxID is the largest message id stored at the read: a message stored after it has a
	// larger id, which is how MessagesNear tells new messages from old ones.
	MaxID int64
	// At is, from MessagesNear, the list index of its anchor, or where the anchor would be
	// when it is no longer shown.
	At int
	// Counted is set when MessagesNear could not tell from what changed where its anchor
	// went and counted the messages before it.
	Counted bool
}

// ListPosition is where a message was in a folder's list when a read saw it: its index, with
// that read's Total and MaxID.
type ListPosition struct {
	ID    int64
	Index int
	Total int
	MaxID int64
}

// MessagesAt returns the messages of folder folderID from offset on, up to limit (at most
// MaxPage), as MessageRange does, with the folder's count and the largest message id read at
// the same moment. Another user's folder has no messages.
func (s *Store) MessagesAt(ctx context.Context, folderID int64, order ListOrder, offset, limit int) (MessageSlice, error) {
	var out MessageSlice
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = messagesAt(ctx, tx, folderID, s.user, order, offset, limit)
		return err
	})
	if err != nil {
		return MessageSlice{}, fmt.Errorf("messages of folder %d: %w", folderID, err)
	}
	return out, nil
}

// MessagesNear reads again the part of folder folderID's list around message at.ID, which
// was at index at.Index: up to before messages before it and after from it on, widened to
// start and end at multiples of align (where the list has them; 1 widens nothing). It reads them
// by key from that message (cheap at any depth) rather than by offset, and finds where the
// message is now from what changed since at was read: the new messages before it (their ids
// are above at.MaxID) when the count of the folder moved by exactly the new ones; otherwise
// (messages hidden or shown again, flags changed in flag order) it counts the messages before
// it. A message no longer stored is looked for by offset at its old index. The slice's
// Offset is the new index of the first message read.
func (s *Store) MessagesNear(ctx context.Context, folderID int64, order ListOrder, at ListPosition, before, after, align int) (MessageSlice, error) {
	var out MessageSlice
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = messagesNear(ctx, tx, folderID, s.user, order, at, before, after, max(1, align))
		return err
	})
	if err != nil {
		return MessageSlice{}, fmt.Errorf("messages near %d in folder %d: %w", at.ID, folderID, err)
	}
	return out, nil
}

func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// shownAndMax returns the folder's count of shown messages and the largest message id, or
// ok false when the folder is not the user's.
func shownAndMax(ctx context.Context, tx *sql.Tx, folderID int64, user string) (total int, maxID int64, ok bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT f.shown, (SELECT coalesce(max(id), 0) FROM messages) FROM folders f
		JOIN mailboxes b ON b.id = f.mailbox_id WHERE f.id = ? AND b.owner = ?`, folderID, user).Scan(&total, &maxID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("count: %w", err)
	}
	return total, maxID, true, nil
}

func messagesAt(ctx context.Context, tx *sql.Tx, folderID int64, user string, order ListOrder, offset, limit int) (MessageSlice, error) {
	total, maxID, ok, err := shownAndMax(ctx, tx, folderID, user)
	if !ok || err != nil {
		return MessageSlice{}, err
	}
	out := MessageSlice{Total: total, MaxID: maxID}
	out.Messages, out.Offset, err = byOffset(ctx, tx, folderID, order, total, offset, limit)
	return out, err
}

// byOffset reads up to limit messages from offset (kept inside the list). Past the middle it
// reads the page backwards from the far end: OFFSET steps over that many index entries, and
// this way never over more than half of them.
func byOffset(ctx context.Context, tx *sql.Tx, folderID int64, order ListOrder, total, offset, limit int) ([]*Message, int, error) {
	limit = pageLimit(limit)
	offset = max(0, min(offset, total))
	limit = min(limit, total-offset)
	if limit == 0 {
		return nil, offset, nil
	}
	reverse := offset > total/2
	skip := offset
	if reverse {
		skip = total - offset - limit
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages m WHERE m.folder_id = ? AND m.deleted = 0
		ORDER BY `+order.orderBy(reverse)+` LIMIT ? OFFSET ?`, folderID, limit, skip)
	if err != nil {
		return nil, 0, err
	}
	page, err := collectMessages(rows)
	if err != nil {
		return nil, 0, err
	}
	if reverse {
		slices.Reverse(page)
	}
	return page, offset, nil
}

func messagesNear(ctx context.Context, tx *sql.Tx, folderID int64, user string, order ListOrder, at ListPosition, before, after, align int) (MessageSlice, error) {
	total, maxID, ok, err := shownAndMax(ctx, tx, folderID, user)
	if !ok || err != nil {
		return MessageSlice{}, err
	}
	out := MessageSlice{Total: total, MaxID: maxID}
	// The anchor's sort key, and whether it is shown.
	terms := order.terms()
	cols := make([]string, len(terms))
	for i, t := range terms {
		cols[i] = t.expr
	}
	key := make([]any, len(terms))
	ptrs := make([]any, len(terms)+1)
	for i := range key {
		ptrs[i] = &key[i]
	}
	var hidden bool
	ptrs[len(terms)] = &hidden
	err = tx.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, m.deleted FROM messages m WHERE m.id = ? AND m.folder_id = ?`,
		at.ID, folderID).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) { // gone: its old index is the best guess
		from, end := widen(at.Index-before, at.Index+after, align)
		out.Messages, out.Offset, err = byOffset(ctx, tx, folderID, order, total, from, end-from)
		out.At = min(at.Index, total)
		return out, err
	}
	if err != nil {
		return MessageSlice{}, fmt.Errorf("anchor: %w", err)
	}
	index, counted, err := anchorIndex(ctx, tx, folderID, order, at, key, hidden, total)
	if err != nil {
		return MessageSlice{}, err
	}
	out.Counted = counted
	from, end := widen(index-before, index+after, align)
	earlier, err := keyRead(ctx, tx, folderID, order, key, true, index-max(0, from))
	if err != nil {
		return MessageSlice{}, err
	}
	slices.Reverse(earlier)
	later, err := keyRead(ctx, tx, folderID, order, key, false, end-index)
	if err != nil {
		return MessageSlice{}, err
	}
	out.Messages, out.Offset, out.At = append(earlier, later...), index-len(earlier), index
	return out, nil
}

// widen moves from down and end up to multiples of align.
func widen(from, end, align int) (int, int) {
	down := func(i int) int {
		if i < 0 {
			return -((-i + align - 1) / align) * align
		}
		return i / align * align
	}
	return down(from), down(end + align - 1)
}

// anchorIndex returns how many shown messages come before key in the list now, and whether
// it had to count them.
func anchorIndex(ctx context.Context, tx *sql.Tx, folderID int64, order ListOrder, at ListPosition, key []any, hidden bool, total int) (int, bool, error) {
	beforeKey, args := order.beforeKey(key, false)
	if !hidden && order.By != SortFlag { // flags never move a message in other orders
		var added, addedBefore int
		// The new messages by their ids (the + keeps SQLite on the rowid range).
		err := tx.QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN `+beforeKey+` THEN 1 END) FROM messages m
			WHERE m.id > ? AND +m.folder_id = ? AND +m.deleted = 0`, append(args, at.MaxID, folderID)...).Scan(&added, &addedBefore)
		if err != nil {
			return 0, false, fmt.Errorf("new messages: %w", err)
		}
		if total-at.Total == added {
			return at.Index + addedBefore, false, nil
		}
	}
	// Count from the nearer end of the list.
	fromEnd := at.Index > at.Total/2
	cond, args := order.beforeKey(key, fromEnd)
	query := `SELECT count(*) FROM messages m WHERE m.folder_id = ? AND m.deleted = 0 AND ` + cond
	args = append([]any{folderID}, args...)
	if order.By == SortDate {
		query, args = order.dateCount(folderID, key, fromEnd)
	}
	var n int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&n)
	if err != nil {
		return 0, false, fmt.Errorf("count before: %w", err)
	}
	if fromEnd { // n messages from key on (an anchor still shown among them)
		return total - n, true, nil
	}
	return n, true, nil
}

// keyRead reads up to limit shown messages of the folder from key on (the message with key
// first) in list order, or when back, those before key, nearest first.
func keyRead(ctx context.Context, tx *sql.Tx, folderID int64, order ListOrder, key []any, back bool, limit int) ([]*Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	cond, args := order.beforeKey(key, !back)
	if order.By == SortDate { // one range of the index
		op := map[bool]string{true: ">", false: "<="}[back]
		if order.Ascending {
			op = map[bool]string{true: "<", false: ">="}[back]
		}
		cond, args = `(m.list_date, m.uid) `+op+` (?, ?)`, key
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages m WHERE m.folder_id = ? AND m.deleted = 0 AND `+cond+`
		ORDER BY `+order.orderBy(back)+` LIMIT ?`, append(append([]any{folderID}, args...), limit)...)
	if err != nil {
		return nil, err
	}
	return collectMessages(rows)
}

// term is one key of a list order: an expression and its direction.
type term struct {
	expr string
	desc bool
}

// terms returns the keys of o, the last two being ListDate and UID.
func (o ListOrder) terms() []term {
	date := []term{{"m.list_date", true}, {"m.uid", true}}
	switch o.By {
	case SortDate:
		return []term{{"m.list_date", !o.Ascending}, {"m.uid", !o.Ascending}}
	case SortFrom:
		return append([]term{{"(CASE WHEN m.from_name != '' THEN m.from_name ELSE m.from_addr END COLLATE NOCASE)", !o.Ascending}}, date...)
	case SortTo:
		return append([]term{{"(m.to_addrs COLLATE NOCASE)", !o.Ascending}}, date...)
	case SortSubject:
		return append([]term{{"(m.subject COLLATE NOCASE)", !o.Ascending}}, date...)
	case SortSize:
		return append([]term{{"m.size", !o.Ascending}}, date...)
	case SortFlag:
		return append([]term{{"m.flagged", !o.Ascending}}, date...)
	}
	return date
}

// beforeKey returns the condition that a message comes before key in the list, or when
// fromKey, that it is key's message or comes after it; with its arguments.
func (o ListOrder) beforeKey(key []any, fromKey bool) (string, []any) {
	terms := o.terms()
	var b strings.Builder
	var args []any
	for i, t := range terms {
		op := "<"
		if t.desc != fromKey {
			op = ">"
		}
		if i == len(terms)-1 {
			if fromKey {
				op += "="
			}
			fmt.Fprintf(&b, "%s %s ?", t.expr, op)
			args = append(args, key[i])
			break
		}
		fmt.Fprintf(&b, "(%s %s ? OR (%s = ? AND ", t.expr, op, t.expr)
		args = append(args, key[i], key[i])
	}
	return b.String() + strings.Repeat("))", len(terms)-1), args
}

// dateCount is the count of anchorIndex in the Date order: of the messages before key (or
// from key on), as two ranges of its index, which SQLite counts about three times faster than
// one comparison of row values or an OR.
func (o ListOrder) dateCount(folderID int64, key []any, fromKey bool) (string, []any) {
	op := "<"
	if o.Ascending == fromKey {
		op = ">"
	}
	last := op
	if fromKey {
		last += "="
	}
	const shown = `SELECT count(*) FROM messages m WHERE m.folder_id = ? AND m.deleted = 0 AND m.list_date `
	return `SELECT (` + shown + op + ` ?) + (` + shown + `= ? AND m.uid ` + last + ` ?)`,
		[]any{folderID, key[0], folderID, key[0], key[1]}
}
