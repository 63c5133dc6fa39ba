package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ActionKind is what a queued message action does on the server.
type ActionKind string

// The kinds of queued actions.
const (
	ActionSeen    ActionKind = "seen"    // set or clear \Seen
	ActionFlagged ActionKind = "flagged" // set or clear \Flagged
	ActionMove    ActionKind = "move"    // move to another folder (Delete moves to Trash)
	ActionExpunge ActionKind = "expunge" // delete for good (Delete in Trash)
)

// ActionState is where a queued action is.
type ActionState string

// The states of a queued action.
const (
	ActionPending ActionState = "pending" // waits for the server
	ActionRunning ActionState = "running" // a worker is applying it
	ActionDone    ActionState = "done"    // applied; only deletes are kept, for Undo
)

// Action is one message action in the queue: recorded in the cache at once, applied on the
// server when it answers.
type Action struct {
	ID          int64
	MailboxID   int64
	FolderID    int64  // the folder the UIDs are in
	UIDValidity uint32 // the UIDs belong to it; another UIDVALIDITY means the folder changed
	UIDs        string // an IMAP UID set: "12" or "1:40,52"
	MessageID   int64  // the message row it changes; 0 for a folder's messages
	Kind        ActionKind
	Value       bool  // seen, flagged: set (true) or clear
	TargetID    int64 // move: the folder to move to
	IsDelete    bool  // a move to Trash or an expunge that Delete asked for
	// Undoes, when not 0, is the done Delete this action takes back (Undo): queueing it
	// forgets that Delete, so it is undone once.
	Undoes int64
	State  ActionState
	// DestUIDValidity and DestUID say where a done move put the message (COPYUID); 0 when
	// the server did not say.
	DestUIDValidity uint32
	DestUID         uint32
	Attempts        int
	LastError       string
	CreatedAt       time.Time
}

const actionColumns = `a.id, a.mailbox_id, a.folder_id, a.uid_validity, a.uids, coalesce(a.message_id, 0), a.kind, a.value,
	coalesce(a.target_id, 0), a.is_delete, a.state, a.dest_uid_validity, a.dest_uid, a.attempts, a.last_error, a.created_at`

// ownedAction joins an action to its mailbox so only the acting user's actions are seen.
const ownedAction = ` FROM action_queue a JOIN mailboxes b ON b.id = a.mailbox_id WHERE b.owner = ? `

func scanAction(sc scanner) (*Action, error) {
	a := &Action{}
	var created string
	if err := sc.Scan(&a.ID, &a.MailboxID, &a.FolderID, &a.UIDValidity, &a.UIDs, &a.MessageID, &a.Kind, &a.Value,
		&a.TargetID, &a.IsDelete, &a.State, &a.DestUIDValidity, &a.DestUID, &a.Attempts, &a.LastError, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = parseStamp(created)
	return a, nil
}

// ErrActionBusy is returned by ClaimAction while the mailbox's oldest action is being
// applied by another worker (another Mailroom, or one that was killed and whose claim has not
// run out yet): later actions wait, so they are applied in the order they were made.
var ErrActionBusy = errors.New("an earlier action is being applied elsewhere")

// ErrNothingToUndo is returned by LastDelete when the message was not deleted here.
var ErrNothingToUndo = errors.New("nothing to undo")

// QueueAction records a, an action on one message (a.MessageID, or a.UIDs of a.FolderID
// when the cache has no row for it), and shows it in the cache, in one transaction: the
// flag takes its new value, a moved or deleted message leaves its folder's list. It fills
// in a's folder, mailbox, UIDs, UIDVALIDITY and ID. It fails with ErrNotFound when the
// message or folder is not the acting user's.
func (s *Store) QueueAction(ctx context.Context, a *Action) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		undo := false
		if a.MessageID != 0 {
			var uid uint32
			var seen, flagged, deleted bool
			err := tx.QueryRow(`SELECT m.folder_id, m.uid, m.seen, m.flagged, m.deleted FROM messages m JOIN folders f ON f.id = m.folder_id
				JOIN mailboxes b ON b.id = f.mailbox_id WHERE m.id = ? AND b.owner = ?`, a.MessageID, s.user).
				Scan(&a.FolderID, &uid, &seen, &flagged, &deleted)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("message %d: %w", a.MessageID, ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("queue action on message %d: %w", a.MessageID, err)
			}
			a.UIDs = strconv.FormatUint(uint64(uid), 10)
			undo = map[ActionKind]bool{ActionSeen: seen, ActionFlagged: flagged, ActionMove: deleted, ActionExpunge: deleted}[a.Kind]
		}
		if err := s.folderOfAction(tx, a); err != nil {
			return err
		}
		if err := insertAction(tx, a, undo, s.stamp()); err != nil {
			return err
		}
		if a.Undoes != 0 {
			if _, err := tx.Exec(`DELETE FROM action_queue WHERE id = ? AND state = 'done'`, a.Undoes); err != nil {
				return fmt.Errorf("forget undone delete %d: %w", a.Undoes, err)
			}
		}
		if a.MessageID == 0 {
			return nil
		}
		return setActionFlag(tx, a, map[ActionKind]bool{ActionSeen: a.Value, ActionFlagged: a.Value}[a.Kind] || a.Kind == ActionMove || a.Kind == ActionExpunge)
	})
}

// folderOfAction fills in a's mailbox and UIDVALIDITY from its folder, the acting user's.
func (s *Store) folderOfAction(tx *sql.Tx, a *Action) error {
	err := tx.QueryRow(`SELECT f.mailbox_id, f.uid_validity FROM folders f JOIN mailboxes b ON b.id = f.mailbox_id
		WHERE f.id = ? AND b.owner = ?`, a.FolderID, s.user).Scan(&a.MailboxID, &a.UIDValidity)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("folder %d: %w", a.FolderID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("queue action in folder %d: %w", a.FolderID, err)
	}
	return nil
}

func insertAction(tx *sql.Tx, a *Action, undo bool, stamp string) error {
	var msg, target any
	if a.MessageID != 0 {
		msg = a.MessageID
	}
	if a.TargetID != 0 {
		target = a.TargetID
	}
	res, err := tx.Exec(`INSERT INTO action_queue (mailbox_id, folder_id, uid_validity, uids, message_id, kind, value, undo,
		target_id, is_delete, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		a.MailboxID, a.FolderID, a.UIDValidity, a.UIDs, msg, a.Kind, a.Value, undo, target, a.IsDelete, stamp)
	if err != nil {
		return fmt.Errorf("queue %s: %w", a.Kind, err)
	}
	a.ID, _ = res.LastInsertId()
	a.State, a.CreatedAt = ActionPending, parseStamp(stamp)
	return nil
}

// actionColumn is the messages column an action of kind changes in the cache.
func actionColumn(kind ActionKind) string {
	switch kind {
	case ActionSeen:
		return "seen"
	case ActionFlagged:
		return "flagged"
	}
	return "deleted"
}

// setActionFlag sets the column a changes to on, on a's message row or its UIDs' rows.
func setActionFlag(tx *sql.Tx, a *Action, on bool) error {
	col := actionColumn(a.Kind)
	var err error
	if a.MessageID != 0 {
		_, err = tx.Exec(`UPDATE messages SET `+col+` = ? WHERE id = ?`, on, a.MessageID)
	} else {
		cond, args := uidCondition(a.UIDs)
		_, err = tx.Exec(`UPDATE messages SET `+col+` = ? WHERE folder_id = ? AND (`+cond+`)`, append([]any{on, a.FolderID}, args...)...)
	}
	if err != nil {
		return fmt.Errorf("show %s in the cache: %w", a.Kind, err)
	}
	return nil
}

// QueueFolderSeen marks every unread message of folder folderID read in the cache and
// queues one action that marks them read on the server, in one transaction. It returns nil
// when nothing is unread, and fails with ErrNotFound when the folder is not the acting user's.
func (s *Store) QueueFolderSeen(ctx context.Context, folderID int64) (*Action, error) {
	a := &Action{FolderID: folderID, Kind: ActionSeen, Value: true}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.folderOfAction(tx, a); err != nil {
			return err
		}
		uids, err := unreadUIDs(tx, folderID)
		if err != nil || len(uids) == 0 {
			return err
		}
		a.UIDs = UIDSetText(uids)
		if err := insertAction(tx, a, false, s.stamp()); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE messages SET seen = 1 WHERE folder_id = ? AND seen = 0`, folderID)
		return err
	})
	if err != nil || a.ID == 0 {
		return nil, err
	}
	return a, nil
}

func unreadUIDs(tx *sql.Tx, folderID int64) ([]uint32, error) {
	rows, err := tx.Query(`SELECT uid FROM messages WHERE folder_id = ? AND seen = 0 ORDER BY uid`, folderID)
	if err != nil {
		return nil, fmt.Errorf("unread messages of folder %d: %w", folderID, err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var u uint32
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ClaimAction takes the oldest action of mailbox mailboxID not yet applied for a worker, for
// up to hold, and returns it; one claimed before whose claim ran out (its process was killed)
// is taken again. It fails with ErrNotFound when none waits, and ErrActionBusy while the
// oldest is claimed by another worker.
func (s *Store) ClaimAction(ctx context.Context, mailboxID int64, hold time.Duration) (*Action, error) {
	var a *Action
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		var err error
		var until int64
		a, err = scanAction(rowWith(tx.QueryRow(`SELECT `+actionColumns+`, a.claimed_until`+ownedAction+`AND a.mailbox_id = ?
			AND a.state != 'done' ORDER BY a.id LIMIT 1`, s.user, mailboxID), &until))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("actions of mailbox %d: %w", mailboxID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("claim action of mailbox %d: %w", mailboxID, err)
		}
		if a.State == ActionRunning && until >= now {
			return fmt.Errorf("action %d: %w", a.ID, ErrActionBusy)
		}
		a.State = ActionRunning
		_, err = tx.Exec(`UPDATE action_queue SET state = 'running', claimed_until = ? WHERE id = ?`, now+hold.Milliseconds(), a.ID)
		return err
	})
	return a, err
}

// CompleteAction records that the server applied action id, and makes the cache say so: a
// moved message's row goes to its new folder under destUID (or is dropped, for the next
// sync to bring, when the server did not say where it went), an expunged one is removed.
// A done Delete is kept a day for Undo; other done actions are forgotten.
func (s *Store) CompleteAction(ctx context.Context, id int64, destUIDValidity, destUID uint32) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		a, err := scanAction(tx.QueryRow(`SELECT `+actionColumns+ownedAction+`AND a.id = ?`, s.user, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("action %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("complete action %d: %w", id, err)
		}
		switch a.Kind {
		case ActionSeen, ActionFlagged: // again: a sync meanwhile may have written the server's old flags
			err = setActionFlag(tx, a, a.Value)
		case ActionMove:
			err = relocate(tx, a, destUIDValidity, destUID)
		case ActionExpunge:
			_, err = tx.Exec(`DELETE FROM messages WHERE id = ?`, a.MessageID)
		}
		if err != nil {
			return fmt.Errorf("complete action %d: %w", id, err)
		}
		if a.IsDelete && a.Kind == ActionMove {
			_, err = tx.Exec(`UPDATE action_queue SET state = 'done', dest_uid_validity = ?, dest_uid = ? WHERE id = ?`, destUIDValidity, destUID, id)
		} else {
			_, err = tx.Exec(`DELETE FROM action_queue WHERE id = ?`, id)
		}
		if err != nil {
			return fmt.Errorf("complete action %d: %w", id, err)
		}
		_, err = tx.Exec(`DELETE FROM action_queue WHERE state = 'done' AND created_at < ?`, stampOf(s.now().Add(-24*time.Hour)))
		return err
	})
}

// relocate moves the row of a moved message to its new folder and UID, keeping its id and
// cached body; when the new UID is unknown, belongs to another UIDVALIDITY than the cached
// folder's, or is already cached, the row is dropped and the next sync brings the message.
func relocate(tx *sql.Tx, a *Action, destUIDValidity, destUID uint32) error {
	if a.MessageID == 0 {
		return nil
	}
	var validity uint32
	var taken int
	if err := tx.QueryRow(`SELECT uid_validity, (SELECT count(*) FROM messages WHERE folder_id = f.id AND uid = ?)
		FROM folders f WHERE f.id = ?`, destUID, a.TargetID).Scan(&validity, &taken); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if destUID == 0 || validity == 0 || validity != destUIDValidity || taken > 0 {
		_, err := tx.Exec(`DELETE FROM messages WHERE id = ?`, a.MessageID)
		return err
	}
	_, err := tx.Exec(`UPDATE messages SET folder_id = ?, uid = ?, deleted = 0 WHERE id = ?`, a.TargetID, destUID, a.MessageID)
	return err
}

// FailAction gives up action id, which the server refused for good: the cache gets back
// the value it had before, and the action is forgotten. It returns the action given up.
func (s *Store) FailAction(ctx context.Context, id int64, reason string) (*Action, error) {
	var a *Action
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.dropAction(tx, id, "")
		return err
	})
	if a != nil {
		a.LastError = reason
	}
	return a, err
}

// CancelAction takes back action id while it still waits for the server: the cache gets
// back the value it had before. It reports false (and changes nothing) when the action is
// being applied or is done.
func (s *Store) CancelAction(ctx context.Context, id int64) (bool, error) {
	var a *Action
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.dropAction(tx, id, "pending")
		return err
	})
	return a != nil, err
}

// dropAction puts back the cache's value before action id and deletes it, when it is in
// state (any state for ""); it returns nil when there is no such action.
func (s *Store) dropAction(tx *sql.Tx, id int64, state string) (*Action, error) {
	var undo bool
	a, err := scanAction(rowWith(tx.QueryRow(`SELECT `+actionColumns+`, a.undo`+ownedAction+`AND a.id = ? AND (? = '' OR a.state = ?)`,
		s.user, id, state, state), &undo))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("drop action %d: %w", id, err)
	}
	if err := setActionFlag(tx, a, undo); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`DELETE FROM action_queue WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("drop action %d: %w", id, err)
	}
	return a, nil
}

// extraRow scans a row of actionColumns followed by one more column into extra.
type extraRow struct {
	sc    scanner
	extra any
}

func rowWith(sc scanner, extra any) scanner { return extraRow{sc, extra} }

func (r extraRow) Scan(dest ...any) error { return r.sc.Scan(append(dest, r.extra)...) }

// DeferAction puts action id back in the queue after a failure that may pass (the server
// is unreachable), counting the attempt and keeping why.
func (s *Store) DeferAction(ctx context.Context, id int64, reason string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE action_queue SET state = 'pending', claimed_until = 0, attempts = attempts + 1, last_error = ?
			WHERE id = ? AND state = 'running'`, reason, id)
		if err != nil {
			return fmt.Errorf("defer action %d: %w", id, err)
		}
		return nil
	})
}

// Action returns the acting user's queued action id, or ErrNotFound (it was applied, or
// given up).
func (s *Store) Action(ctx context.Context, id int64) (*Action, error) {
	a, err := scanAction(s.r.QueryRowContext(ctx, `SELECT `+actionColumns+ownedAction+`AND a.id = ?`, s.user, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("action %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get action %d: %w", id, err)
	}
	return a, nil
}

// PendingActions returns the actions of mailbox mailboxID not yet applied, oldest first.
func (s *Store) PendingActions(ctx context.Context, mailboxID int64) ([]*Action, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+actionColumns+ownedAction+`AND a.mailbox_id = ? AND a.state != 'done'
		ORDER BY a.id`, s.user, mailboxID)
	if err != nil {
		return nil, fmt.Errorf("actions of mailbox %d: %w", mailboxID, err)
	}
	defer rows.Close()
	var out []*Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("actions of mailbox %d: %w", mailboxID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// MailboxesWithActions returns the acting user's mailboxes that have actions not yet applied.
func (s *Store) MailboxesWithActions(ctx context.Context) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT a.mailbox_id`+ownedAction+`AND a.state != 'done' ORDER BY 1`, s.user)
	if err != nil {
		return nil, fmt.Errorf("mailboxes with actions: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// LastDelete returns the latest Delete of message id (waiting, being applied or done), or
// ErrNothingToUndo.
func (s *Store) LastDelete(ctx context.Context, messageID int64) (*Action, error) {
	a, err := scanAction(s.r.QueryRowContext(ctx, `SELECT `+actionColumns+ownedAction+`AND a.message_id = ? AND a.is_delete = 1
		ORDER BY a.id DESC LIMIT 1`, s.user, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", messageID, ErrNothingToUndo)
	}
	if err != nil {
		return nil, fmt.Errorf("last delete of message %d: %w", messageID, err)
	}
	return a, nil
}

// UIDSetText writes ascending uids as an IMAP UID set, runs as ranges: "1:3,7".
func UIDSetText(uids []uint32) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(uids[i]), 10))
		if j > i {
			b.WriteString(":" + strconv.FormatUint(uint64(uids[j]), 10))
		}
		i = j + 1
	}
	return b.String()
}

// UIDRanges reads a UID set of UIDSetText as [first, last] ranges; it skips what is not a number.
func UIDRanges(set string) [][2]uint32 {
	var out [][2]uint32
	for _, part := range strings.Split(set, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				continue
			}
		}
		out = append(out, [2]uint32{uint32(min(a, b)), uint32(max(a, b))})
	}
	return out
}

// uidCondition is an SQL condition on uid that the UIDs of set meet, with its arguments.
func uidCondition(set string) (string, []any) {
	var conds []string
	var args []any
	for _, r := range UIDRanges(set) {
		conds = append(conds, "uid BETWEEN ? AND ?")
		args = append(args, r[0], r[1])
	}
	if len(conds) == 0 {
		return "0", nil
	}
	return strings.Join(conds, " OR "), args
}
