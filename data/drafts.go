package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Composition is a message as the person wrote it: what a draft keeps and what the outbox
// sends. Addresses stay as typed; mailclient parses and checks them before queueing.
type Composition struct {
	MailboxID   int64  // the mailbox it is sent from; 0 for none chosen yet (drafts only)
	From        string // the sender's address
	To          string // as typed: addresses separated by commas
	Cc          string
	Bcc         string
	Subject     string
	Body        string   // plain text
	Attachments []string // paths of files on disk, read when the message is queued (see OutboxItem.Spool)
	InReplyTo   string   // Message-ID of the message answered, with its < >; "" for none
	References  []string // Message-IDs of the thread, oldest first, each with its < >
}

// Draft is a message being written, saved so that nothing typed is lost.
type Draft struct {
	ID int64
	Composition
	CreatedAt time.Time
	UpdatedAt time.Time
}

// compositionColumns are the columns of a Composition, in the order of compositionArgs.
const compositionColumns = `mailbox_id, from_addr, to_addrs, cc_addrs, bcc_addrs, subject, body, attachments, in_reply_to, refs`

func compositionArgs(c *Composition) ([]any, error) {
	att := c.Attachments
	if att == nil {
		att = []string{}
	}
	js, err := json.Marshal(att)
	if err != nil {
		return nil, fmt.Errorf("encode attachments: %w", err)
	}
	var mailbox any
	if c.MailboxID != 0 {
		mailbox = c.MailboxID
	}
	return []any{mailbox, c.From, c.To, c.Cc, c.Bcc, c.Subject, c.Body, string(js), c.InReplyTo,
		strings.Join(c.References, " ")}, nil
}

// compositionDest returns the scan targets of compositionColumns and a function that
// finishes c once the row is scanned.
func compositionDest(c *Composition) ([]any, func() error) {
	var mailbox sql.NullInt64
	var att, refs string
	dest := []any{&mailbox, &c.From, &c.To, &c.Cc, &c.Bcc, &c.Subject, &c.Body, &att, &c.InReplyTo, &refs}
	return dest, func() error {
		c.MailboxID = mailbox.Int64
		c.References = strings.Fields(refs)
		if err := json.Unmarshal([]byte(att), &c.Attachments); err != nil {
			return fmt.Errorf("decode attachments: %w", err)
		}
		if len(c.Attachments) == 0 {
			c.Attachments = nil
		}
		return nil
	}
}

func scanDraft(sc scanner) (*Draft, error) {
	d := &Draft{}
	var created, updated string
	dest, finish := compositionDest(&d.Composition)
	if err := sc.Scan(append([]any{&d.ID}, append(dest, &created, &updated)...)...); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = parseStamp(created), parseStamp(updated)
	return d, finish()
}

const draftSelect = `SELECT id, ` + compositionColumns + `, created_at, updated_at FROM drafts `

// SaveDraft writes d as the acting user's draft: a new one when d.ID is 0, else an update of
// one the user owns. Nothing is checked: a draft keeps whatever was typed. It fails with
// ErrNotFound (also for another user's draft, or one already sent or deleted). On success d
// holds the stored values.
func (s *Store) SaveDraft(ctx context.Context, d *Draft) error {
	args, err := compositionArgs(&d.Composition)
	if err != nil {
		return err
	}
	now := s.stamp()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if d.ID == 0 {
			res, err := tx.Exec(`INSERT INTO drafts (`+compositionColumns+`, owner, created_at, updated_at)
				VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, append(args, s.user, now, now)...)
			if err != nil {
				return fmt.Errorf("insert draft: %w", err)
			}
			d.ID, _ = res.LastInsertId()
			d.CreatedAt, d.UpdatedAt = parseStamp(now), parseStamp(now)
			return nil
		}
		var created string
		err := tx.QueryRow(`UPDATE drafts SET mailbox_id=?, from_addr=?, to_addrs=?, cc_addrs=?, bcc_addrs=?, subject=?,
			body=?, attachments=?, in_reply_to=?, refs=?, updated_at=? WHERE id = ? AND owner = ? RETURNING created_at`,
			append(args, now, d.ID, s.user)...).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("draft %d: %w", d.ID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update draft %d: %w", d.ID, err)
		}
		d.CreatedAt, d.UpdatedAt = parseStamp(created), parseStamp(now)
		return nil
	}, changed(KindDrafts))
}

// Drafts returns the acting user's drafts, the most recently changed first.
func (s *Store) Drafts(ctx context.Context) ([]*Draft, error) {
	rows, err := s.r.QueryContext(ctx, draftSelect+`WHERE owner = ? ORDER BY updated_at DESC, id DESC`, s.user)
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	defer rows.Close()
	var out []*Draft
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, fmt.Errorf("list drafts: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Draft returns the acting user's draft id, or ErrNotFound.
func (s *Store) Draft(ctx context.Context, id int64) (*Draft, error) {
	d, err := scanDraft(s.r.QueryRowContext(ctx, draftSelect+`WHERE id = ? AND owner = ?`, id, s.user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("draft %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get draft %d: %w", id, err)
	}
	return d, nil
}

// DeleteDraft removes the acting user's draft id. It fails with ErrNotFound.
func (s *Store) DeleteDraft(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return deleteDraft(tx, s.user, id) }, changed(KindDrafts))
}

func deleteDraft(tx *sql.Tx, owner string, id int64) error {
	res, err := tx.Exec(`DELETE FROM drafts WHERE id = ? AND owner = ?`, id, owner)
	if err != nil {
		return fmt.Errorf("delete draft %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("draft %d: %w", id, ErrNotFound)
	}
	return nil
}
