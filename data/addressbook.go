package data

import (
	"context"
	"fmt"
	"net/mail"
	"sort"
	"strings"
)

// AddressUse is an address seen in the acting user's mail, with how often it was seen.
type AddressUse struct {
	Name    string // the display name last seen with it; "" for none
	Address string // lowercase
	Uses    int
}

// AddressBook returns the addresses the acting user's mail has seen: the senders of cached
// mail, the recipients of the messages in their Sent folders, and the recipients of what they
// sent through the outbox; the most used first, at most limit of them, without the user's own
// mailboxes. It fails only when the database cannot be read.
func (s *Store) AddressBook(ctx context.Context, limit int) ([]AddressUse, error) {
	seen := map[string]*AddressUse{}
	add := func(name, addr string, n int) {
		addr = strings.ToLower(strings.TrimSpace(addr))
		if addr == "" || !strings.Contains(addr, "@") {
			return
		}
		u := seen[addr]
		if u == nil {
			u = &AddressUse{Address: addr}
			seen[addr] = u
		}
		u.Uses += n
		if name = strings.TrimSpace(name); name != "" && !strings.EqualFold(name, addr) {
			u.Name = name
		}
	}
	if err := s.addressSenders(ctx, add); err != nil {
		return nil, err
	}
	if err := s.addressRecipients(ctx, add); err != nil {
		return nil, err
	}
	own, err := s.r.QueryContext(ctx, `SELECT lower(address) FROM mailboxes WHERE owner = ?`, s.user)
	if err != nil {
		return nil, fmt.Errorf("address book: own addresses: %w", err)
	}
	defer own.Close()
	for own.Next() {
		var a string
		if err := own.Scan(&a); err != nil {
			return nil, fmt.Errorf("address book: own addresses: %w", err)
		}
		delete(seen, a)
	}
	if err := own.Err(); err != nil {
		return nil, fmt.Errorf("address book: own addresses: %w", err)
	}
	out := make([]AddressUse, 0, len(seen))
	for _, u := range seen {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Uses != out[j].Uses {
			return out[i].Uses > out[j].Uses
		}
		return out[i].Address < out[j].Address
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// addressSenders counts the senders of the user's cached mail, outside Sent and Drafts.
func (s *Store) addressSenders(ctx context.Context, add func(name, addr string, n int)) error {
	rows, err := s.r.QueryContext(ctx, `SELECT max(m.from_name), m.from_addr, count(*) FROM messages m
		JOIN folders f ON f.id = m.folder_id JOIN mailboxes b ON b.id = f.mailbox_id
		WHERE b.owner = ? AND m.from_addr <> '' AND f.role NOT IN ('sent', 'drafts', 'junk', 'trash')
		GROUP BY m.from_addr`, s.user)
	if err != nil {
		return fmt.Errorf("address book: senders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, addr string
		var n int
		if err := rows.Scan(&name, &addr, &n); err != nil {
			return fmt.Errorf("address book: senders: %w", err)
		}
		add(name, addr, n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("address book: senders: %w", err)
	}
	return nil
}

// addressRecipients counts the recipients of the user's Sent folders and outbox.
func (s *Store) addressRecipients(ctx context.Context, add func(name, addr string, n int)) error {
	rows, err := s.r.QueryContext(ctx, `SELECT m.to_addrs FROM messages m
		JOIN folders f ON f.id = m.folder_id JOIN mailboxes b ON b.id = f.mailbox_id
		WHERE b.owner = ? AND f.role = 'sent'
		UNION ALL SELECT to_addrs || ', ' || cc_addrs || ', ' || bcc_addrs FROM outbox WHERE owner = ?`, s.user, s.user)
	if err != nil {
		return fmt.Errorf("address book: recipients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var list string
		if err := rows.Scan(&list); err != nil {
			return fmt.Errorf("address book: recipients: %w", err)
		}
		for _, a := range splitAddressList(list) {
			add(a.Name, a.Address, 1)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("address book: recipients: %w", err)
	}
	return nil
}

// splitAddressList reads "Name <addr>, addr, ..." as stored, skipping what does not parse.
func splitAddressList(list string) []*mail.Address {
	if as, err := mail.ParseAddressList(list); err == nil {
		return as
	}
	var out []*mail.Address
	for _, part := range splitOutsideQuotes(list) {
		if a, err := mail.ParseAddress(strings.TrimSpace(part)); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// splitOutsideQuotes splits list at the commas that are not inside quotes or angle brackets.
func splitOutsideQuotes(list string) []string {
	var parts []string
	quoted, angle, start := false, false, 0
	for i, r := range list {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '<' && !quoted:
			angle = true
		case r == '>' && !quoted:
			angle = false
		case r == ',' && !quoted && !angle:
			parts = append(parts, list[start:i])
			start = i + 1
		}
	}
	return append(parts, list[start:])
}
