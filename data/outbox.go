package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OutboxState is where a message on its way out is.
type OutboxState string

// The states of an outbox message: queued -> sending -> sent, or failed, or interrupted.
const (
	OutboxQueued  OutboxState = "queued"  // waiting to be sent, at NextAttempt at the earliest
	OutboxSending OutboxState = "sending" // a Mailroom is talking to the server about it now
	OutboxSent    OutboxState = "sent"    // the server accepted it
	// OutboxFailed: the server refused it for good (a 5xx, a missing attachment, a
	// certificate to decide on); LastError says why. It waits for the person to fix it and
	// resend (ResendOutbox) or delete it.
	OutboxFailed OutboxState = "failed"
	// OutboxInterrupted: Mailroom stopped while sending it, so the server may or may not have
	// it. It is never sent again by itself: the person checks Sent, then resends or deletes.
	OutboxInterrupted OutboxState = "interrupted"
)

// SentCopy says whether a copy of a sent message was appended to the Sent folder.
type SentCopy string

// The states of the Sent copy.
const (
	SentCopyNone    SentCopy = ""        // not sent yet
	SentCopyPending SentCopy = "pending" // sent; the copy is still to be appended (the text is kept for it)
	SentCopyDone    SentCopy = "done"    // appended
	SentCopySkipped SentCopy = "skipped" // not appended: the provider's server saves sent messages itself
)

// OutboxItem is a message on its way out, with its history.
type OutboxItem struct {
	ID int64
	Composition
	MessageID   string    // fixed when queued, with its < >, so a retry sends the same message
	Date        time.Time // fixed when queued
	State       OutboxState
	Attempts    int       // how many times sending was started
	NextAttempt time.Time // when a queued message may be tried
	LastError   string    // the plain sentence of the last failure; "" for none
	SentCopy    SentCopy
	SentAt      time.Time // zero until sent
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Spool names the file in Store.SpoolDir holding the message as it goes out, written when
	// it was queued; "" for one queued before Mailroom kept them, or once its text is cleared.
	Spool string
	// DataEnded: the end of the message was about to reach the SMTP server in the current
	// attempt, so the server may have it (see MarkOutboxDataEnded).
	DataEnded bool
	// CopyAttempts counts the starts of appending the Sent copy (see ClaimSentCopy).
	CopyAttempts int
}

const outboxSelect = `SELECT id, ` + compositionColumns + `, message_id, date, state, attempts, next_attempt,
	last_error, sent_copy, sent_at, created_at, updated_at, spool, data_ended, copy_attempts FROM outbox `

func scanOutbox(sc scanner) (*OutboxItem, error) {
	it := &OutboxItem{}
	var date, next, sent, created, updated string
	dest, finish := compositionDest(&it.Composition)
	dest = append([]any{&it.ID}, dest...)
	dest = append(dest, &it.MessageID, &date, &it.State, &it.Attempts, &next, &it.LastError, &it.SentCopy,
		&sent, &created, &updated, &it.Spool, &it.DataEnded, &it.CopyAttempts)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	it.Date, it.NextAttempt, it.SentAt = parseStamp(date), parseStamp(next), parseStamp(sent)
	it.CreatedAt, it.UpdatedAt = parseStamp(created), parseStamp(updated)
	return it, finish()
}

func stampOf(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Enqueue stores it as queued, to be tried from it.Date on, for the acting user's mailbox
// it.MailboxID, with its snapshot it.Spool (from WriteSpool; "" for none), and deletes the user's draft draftID (0 for none) in the same transaction,
// so the message is in exactly one of the two at any moment. it must have been checked
// (mailclient does); MessageID and Date must be set. It fails with ErrNotFound for a mailbox
// or draft the user does not have. On success it holds the stored values.
func (s *Store) Enqueue(ctx context.Context, it *OutboxItem, draftID int64) error {
	if it.MessageID == "" || it.Date.IsZero() || it.MailboxID == 0 {
		return fmt.Errorf("enqueue: message id, date and mailbox are required")
	}
	args, err := compositionArgs(&it.Composition)
	if err != nil {
		return err
	}
	now := s.stamp()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.ownMailbox(tx, it.MailboxID); err != nil {
			return err
		}
		if draftID != 0 {
			if err := deleteDraft(tx, s.user, draftID); err != nil {
				return err
			}
		}
		res, err := tx.Exec(`INSERT INTO outbox (`+compositionColumns+`, message_id, date, state, next_attempt,
			owner, created_at, updated_at, spool) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'queued',?,?,?,?,?)`,
			append(args, it.MessageID, stampOf(it.Date), stampOf(it.Date), s.user, now, now, it.Spool)...)
		if err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		it.ID, _ = res.LastInsertId()
		it.State, it.Attempts, it.LastError, it.SentCopy = OutboxQueued, 0, "", SentCopyNone
		it.NextAttempt, it.CreatedAt, it.UpdatedAt = it.Date.UTC(), parseStamp(now), parseStamp(now)
		return nil
	}, changed(KindOutbox|KindDrafts))
}

// OutboxItems returns the acting user's outbox, oldest first: every message not yet sent,
// and the sent ones (their text cleared) until DeleteOutbox removes them.
func (s *Store) OutboxItems(ctx context.Context) ([]*OutboxItem, error) {
	rows, err := s.r.QueryContext(ctx, outboxSelect+`WHERE owner = ? ORDER BY id`, s.user)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []*OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxItem returns the acting user's outbox message id, or ErrNotFound.
func (s *Store) OutboxItem(ctx context.Context, id int64) (*OutboxItem, error) {
	it, err := scanOutbox(s.r.QueryRowContext(ctx, outboxSelect+`WHERE id = ? AND owner = ?`, id, s.user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbox message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get outbox message %d: %w", id, err)
	}
	return it, nil
}

// ClaimOutbox takes the acting user's oldest queued message due at now for claimer (the
// process that will send it; see RecoverOutbox): it becomes sending, with one more attempt.
// Two Mailrooms never claim the same message. It fails with ErrNotFound when none is due.
func (s *Store) ClaimOutbox(ctx context.Context, claimer string, now time.Time) (*OutboxItem, error) {
	var it *OutboxItem
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRow(`SELECT id FROM outbox WHERE owner = ? AND state = 'queued' AND next_attempt <= ?
			ORDER BY next_attempt, id LIMIT 1`, s.user, stampOf(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("due outbox message: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("claim outbox message: %w", err)
		}
		if _, err := tx.Exec(`UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_by = ?,
			data_ended = 0, updated_at = ? WHERE id = ?`, claimer, s.stamp(), id); err != nil {
			return fmt.Errorf("claim outbox message %d: %w", id, err)
		}
		it, err = scanOutbox(tx.QueryRow(outboxSelect+`WHERE id = ?`, id))
		return err
	}, changed(KindOutbox))
	return it, err
}

// NextOutboxAttempt returns when the acting user's next queued message is due; ok is false
// when nothing is queued.
func (s *Store) NextOutboxAttempt(ctx context.Context) (at time.Time, ok bool, err error) {
	var next sql.NullString
	err = s.r.QueryRowContext(ctx, `SELECT min(next_attempt) FROM outbox WHERE owner = ? AND state = 'queued'`,
		s.user).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	return parseStamp(next.String), true, nil
}

// RetryOutbox puts a sending message back in the queue after a temporary failure, to be
// tried again at next; reason is the plain sentence shown meanwhile. It fails with
// ErrNotFound when id is not sending.
func (s *Store) RetryOutbox(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.setOutbox(ctx, id, `state = 'queued', claimed_by = '', next_attempt = ?, last_error = ?`,
		`state = 'sending'`, stampOf(next), reason)
}

// FailOutbox records that a sending message was refused for good: it stays, with reason,
// until the person resends or deletes it. It fails with ErrNotFound when id is not sending.
func (s *Store) FailOutbox(ctx context.Context, id int64, reason string) error {
	return s.setOutbox(ctx, id, `state = 'failed', claimed_by = '', last_error = ?`, `state = 'sending'`, reason)
}

// MarkOutboxSent records that the server accepted a sending message. With copy
// SentCopyPending the text is kept for the Sent copy (see ClaimSentCopy); otherwise it is
// cleared now. It fails with ErrNotFound when id is not sending.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, copy SentCopy) error {
	set := `state = 'sent', claimed_by = '', last_error = '', sent_copy = ?, sent_at = ?`
	if copy != SentCopyPending {
		set += clearText
	}
	return s.removingSpool(s.updateOutbox(ctx, id, set, `state = 'sending'`, copy, s.stamp()))
}

// clearText empties what a sent message no longer needs; removingSpool then deletes its file.
const clearText = `, body = '', attachments = '[]', spool = ''`

// MarkOutboxDataEnded records, durably, that the end of sending message id is about to reach
// the SMTP server: from now on the server may have it, so a Mailroom stopped before learning
// the outcome leaves it interrupted (see RecoverOutbox) instead of sending it again. It fails
// with ErrNotFound when id is not sending.
func (s *Store) MarkOutboxDataEnded(ctx context.Context, id int64) error {
	return s.durably(ctx, func(ctx context.Context) error {
		return s.setOutbox(ctx, id, `data_ended = 1`, `state = 'sending'`)
	})
}

// ClaimSentCopy takes the Sent copy of the acting user's sent message id for claimer, so two
// Mailrooms never append it twice. It fails with ErrNotFound when id has no pending copy or
// another claimer has it.
// Each claim counts in CopyAttempts, recorded durably before the copy is appended.
func (s *Store) ClaimSentCopy(ctx context.Context, id int64, claimer string) error {
	return s.durably(ctx, func(ctx context.Context) error {
		return s.setOutbox(ctx, id, `claimed_by = ?, copy_attempts = copy_attempts + 1`,
			`state = 'sent' AND sent_copy = 'pending' AND claimed_by = ''`, claimer)
	})
}

// SentCopyResult records the outcome of a claimed Sent copy: done or skipped clears the
// text; SentCopyPending with a reason releases it to be tried again later.
func (s *Store) SentCopyResult(ctx context.Context, id int64, copy SentCopy, reason string) error {
	set := `claimed_by = '', sent_copy = ?, last_error = ?`
	if copy != SentCopyPending {
		set += clearText
	}
	return s.removingSpool(s.updateOutbox(ctx, id, set, `state = 'sent' AND sent_copy = 'pending'`, copy, reason))
}

// PendingSentCopies returns the acting user's sent messages whose Sent copy is still to be
// appended and nobody is appending.
func (s *Store) PendingSentCopies(ctx context.Context) ([]*OutboxItem, error) {
	rows, err := s.r.QueryContext(ctx, outboxSelect+`WHERE owner = ? AND state = 'sent' AND sent_copy = 'pending'
		AND claimed_by = '' ORDER BY id`, s.user)
	if err != nil {
		return nil, fmt.Errorf("list pending sent copies: %w", err)
	}
	defer rows.Close()
	var out []*OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list pending sent copies: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ResendOutbox queues a failed or interrupted message again, to be tried at once, with its
// attempts counted afresh. When c is not nil it replaces the message's text and addresses
// (the person fixed them; c must have been checked) and spool its snapshot (from
// WriteSpool), the former snapshot being removed; the Message-ID stays, so a message that
// did arrive after all is recognised as the same one. It fails with ErrNotFound when id is
// neither failed nor interrupted.
func (s *Store) ResendOutbox(ctx context.Context, id int64, c *Composition, spool string) error {
	now := s.stamp()
	const again = `state = 'queued', attempts = 0, next_attempt = ?, last_error = '', data_ended = 0`
	const where = `state IN ('failed', 'interrupted')`
	if c == nil {
		return s.setOutbox(ctx, id, again, where, now)
	}
	args, err := compositionArgs(c)
	if err != nil {
		return err
	}
	old, err := s.updateOutbox(ctx, id, again+`, mailbox_id=?, from_addr=?, to_addrs=?, cc_addrs=?, bcc_addrs=?,
		subject=?, body=?, attachments=?, in_reply_to=?, refs=?, spool=?`, where, append(append([]any{now}, args...), spool)...)
	if err == nil && old != spool {
		s.RemoveSpool(old)
	}
	return err
}

// DeleteOutbox removes the acting user's outbox message id, and its snapshot, unless it is
// being sent. It fails with ErrNotFound (also while it is sending).
func (s *Store) DeleteOutbox(ctx context.Context, id int64) error {
	var spool string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`DELETE FROM outbox WHERE id = ? AND owner = ? AND state <> 'sending' AND claimed_by = ''
			RETURNING spool`, id, s.user).Scan(&spool)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox message %d not deletable: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("delete outbox message %d: %w", id, err)
		}
		return nil
	}, changed(KindOutbox))
	if err == nil {
		s.RemoveSpool(spool)
	}
	return err
}

// RecoverOutbox looks at every message of the acting user left sending by a claimer that
// alive reports gone (a Mailroom killed while sending). One whose end had not been sent yet
// (DataEnded false) cannot have reached anyone, so it is queued again, due now; the others
// become interrupted, with reason as their LastError. The Sent copies such claimers held are
// released. It returns how many messages became interrupted.
func (s *Store) RecoverOutbox(ctx context.Context, alive func(claimer string) bool, reason string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT id, state, claimed_by, data_ended FROM outbox WHERE owner = ? AND claimed_by <> ''`, s.user)
		if err != nil {
			return fmt.Errorf("recover outbox: %w", err)
		}
		type claim struct {
			id    int64
			state OutboxState
			ended bool
		}
		var dead []claim
		for rows.Next() {
			var c claim
			var by string
			if err := rows.Scan(&c.id, &c.state, &by, &c.ended); err != nil {
				rows.Close()
				return fmt.Errorf("recover outbox: %w", err)
			}
			if !alive(by) {
				dead = append(dead, c)
			}
		}
		rows.Close()
		now := s.stamp()
		for _, c := range dead {
			q, args := `UPDATE outbox SET claimed_by = '', updated_at = ? WHERE id = ?`, []any{now, c.id}
			switch {
			case c.state == OutboxSending && !c.ended:
				q, args = `UPDATE outbox SET state = 'queued', claimed_by = '', next_attempt = ?, updated_at = ? WHERE id = ?`,
					[]any{now, now, c.id}
			case c.state == OutboxSending:
				q, args = `UPDATE outbox SET state = 'interrupted', claimed_by = '', last_error = ?, updated_at = ? WHERE id = ?`,
					[]any{reason, now, c.id}
				n++
			}
			if _, err := tx.Exec(q, args...); err != nil {
				return fmt.Errorf("recover outbox message %d: %w", c.id, err)
			}
		}
		return nil
	}, changed(KindOutbox))
	return n, err
}

// setOutbox runs "UPDATE outbox SET set" on the acting user's message id when it matches
// where; ErrNotFound when it does not.
func (s *Store) setOutbox(ctx context.Context, id int64, set, where string, args ...any) error {
	_, err := s.updateOutbox(ctx, id, set, where, args...)
	return err
}

// updateOutbox is setOutbox, returning the spool file the message named before the update.
func (s *Store) updateOutbox(ctx context.Context, id int64, set, where string, args ...any) (spool string, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`SELECT spool FROM outbox WHERE id = ? AND owner = ? AND `+where, id, s.user).Scan(&spool)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox message %d in that state: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update outbox message %d: %w", id, err)
		}
		if _, err := tx.Exec(`UPDATE outbox SET `+set+`, updated_at = ? WHERE id = ?`, append(args, s.stamp(), id)...); err != nil {
			return fmt.Errorf("update outbox message %d: %w", id, err)
		}
		return nil
	}, changed(KindOutbox))
	return spool, err
}

// removingSpool deletes the spool file a message named before an update, once the update is
// committed, when no message names it any more (the update cleared the text). A Mailroom
// stopped between the two leaves a file that CleanSpool removes.
func (s *Store) removingSpool(spool string, err error) error {
	if err != nil || spool == "" {
		return err
	}
	var named int
	if qerr := s.r.QueryRow(`SELECT count(*) FROM outbox WHERE spool = ?`, spool).Scan(&named); qerr == nil && named == 0 {
		s.RemoveSpool(spool)
	}
	return nil
}

// durably runs fn, whose writes must survive a power cut and not only a killed process,
// with the writer connection's synchronous setting at FULL for its duration.
func (s *Store) durably(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return fmt.Errorf("durable write: %w", err)
	}
	defer s.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`)
	return fn(ctx)
}

// InterruptOutbox records that the outcome of sending message id is unknown (the connection
// broke after the whole message went out): it becomes interrupted, with reason, and is
// never sent again without the person. It fails with ErrNotFound when id is not sending.
func (s *Store) InterruptOutbox(ctx context.Context, id int64, reason string) error {
	return s.setOutbox(ctx, id, `state = 'interrupted', claimed_by = '', last_error = ?`, `state = 'sending'`, reason)
}

// ScheduleOutboxNow makes every queued message of the acting user due at now, without the
// pause after a failure: the person asked to send what waits. It returns how many are queued.
func (s *Store) ScheduleOutboxNow(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE outbox SET next_attempt = ? WHERE owner = ? AND state = 'queued'`, stampOf(now), s.user)
		if err != nil {
			return fmt.Errorf("schedule outbox: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	}, changed(KindOutbox))
	return int(n), err
}
