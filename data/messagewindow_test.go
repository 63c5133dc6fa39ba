package data

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// windowMessages are n messages with keys that tie (two per minute, repeated subjects and
// sizes, some flagged, some with a Date header), every 9th marked deleted.
func windowMessages(n int) []*Message {
	msgs := testMessages(n)
	for i, m := range msgs {
		m.Subject = fmt.Sprintf("%c subject", 'a'+i*7%5)
		m.Size = int64(100 + i%4)
		m.FromName = fmt.Sprintf("Sender %d", i%3)
		m.To = fmt.Sprintf("R%d <r@example.net>", i%6)
		m.Flags.Flagged = i%4 == 0
		m.Flags.Deleted = i%9 == 4
		if i%5 == 0 {
			m.SentDate = m.Date.Add(-time.Duration(i) * time.Minute)
		}
	}
	return msgs
}

// MessagesNear reads the rows that the plain offset read shows at the anchor's new place, in
// every order, after new messages above and below it, messages hidden, shown again and
// expunged, and flags changed; the anchor itself may be among them.
func TestMessagesNearMatchesTheOffsetReadAfterChanges(t *testing.T) {
	ctx := context.Background()
	newer := func(s *Store, f int64, uids ...uint32) error {
		var ms []*Message
		for i, u := range uids {
			ms = append(ms, &Message{UID: u, Date: day0.Add(time.Duration(500+i) * time.Minute), Subject: "b subject", Size: 102, FromName: "Sender 1"})
		}
		return s.StoreMessages(ctx, f, ms, uids[len(uids)-1])
	}
	older := func(s *Store, f int64, uids ...uint32) error {
		var ms []*Message
		for i, u := range uids {
			ms = append(ms, &Message{UID: u, Date: day0.Add(-time.Duration(1+i) * time.Hour), Subject: "c subject", Size: 101, FromName: "Sender 2"})
		}
		return s.StoreMessages(ctx, f, ms, uids[len(uids)-1])
	}
	setDeleted := func(s *Store, f int64, deleted bool, uids ...uint32) error {
		var ups []FlagUpdate
		for _, u := range uids {
			ups = append(ups, FlagUpdate{UID: u, Flags: Flags{Deleted: deleted}})
		}
		return s.UpdateFlags(ctx, f, ups)
	}
	changes := map[string]func(s *Store, f int64) error{
		"nothing":     func(*Store, int64) error { return nil },
		"newer":       func(s *Store, f int64) error { return newer(s, f, 61, 62, 63) },
		"older":       func(s *Store, f int64) error { return older(s, f, 61, 62) },
		"newer+older": func(s *Store, f int64) error { return errorsOf(newer(s, f, 61, 62), older(s, f, 63, 64, 65)) },
		"hidden":      func(s *Store, f int64) error { return setDeleted(s, f, true, 2, 30, 58) },
		"shown again": func(s *Store, f int64) error { return setDeleted(s, f, false, 5, 41) },
		"expunged":    func(s *Store, f int64) error { return s.RemoveMessages(ctx, f, []uint32{1, 25, 26, 60}) },
		"flags": func(s *Store, f int64) error {
			return s.UpdateFlags(ctx, f, []FlagUpdate{{UID: 3, Flags: Flags{Flagged: true}}, {UID: 45, Flags: Flags{Flagged: false}}, {UID: 50, Flags: Flags{}}})
		},
		"newer+expunged": func(s *Store, f int64) error {
			return errorsOf(newer(s, f, 61), s.RemoveMessages(ctx, f, []uint32{10, 59}))
		},
	}
	orders := []ListOrder{{}, {Ascending: true}, {By: SortFrom, Ascending: true}, {By: SortTo}, {By: SortSubject, Ascending: true},
		{By: SortSubject}, {By: SortSize}, {By: SortSize, Ascending: true}, {By: SortFlag}, {By: SortFlag, Ascending: true}}
	for name, change := range changes {
		for _, order := range orders {
			t.Run(fmt.Sprintf("%s/%+v", name, order), func(t *testing.T) {
				s, _, inbox := folderStore(t)
				if err := s.StoreMessages(ctx, inbox.ID, windowMessages(60), 60); err != nil {
					t.Fatal(err)
				}
				var at []ListPosition
				for _, i := range []int{0, 1, 9, 20, 26, 40, 52} {
					r, err := s.MessagesAt(ctx, inbox.ID, order, i, 1)
					if err != nil || len(r.Messages) != 1 {
						t.Fatalf("row %d: %v, %v", i, r, err)
					}
					at = append(at, ListPosition{ID: r.Messages[0].ID, Index: i, Total: r.Total, MaxID: r.MaxID})
				}
				if err := change(s, inbox.ID); err != nil {
					t.Fatal(err)
				}
				whole, err := s.MessagesAt(ctx, inbox.ID, order, 0, MaxPage)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range at {
					near, err := s.MessagesNear(ctx, inbox.ID, order, a, 7, 12, 1)
					if err != nil {
						t.Fatal(err)
					}
					end := near.Offset + len(near.Messages)
					if near.Total != whole.Total || end > len(whole.Messages) || !slices.Equal(ids(near.Messages), ids(whole.Messages[near.Offset:end])) {
						t.Fatalf("near %+v: rows %v at %d of %d; the offset read has %v", a, uids(near.Messages), near.Offset, near.Total, uids(whole.Messages))
					}
					wide, err := s.MessagesNear(ctx, inbox.ID, order, a, 7, 12, 10)
					if wend := wide.Offset + len(wide.Messages); err != nil || wide.Offset%10 != 0 || (wend%10 != 0 && wend != wide.Total) ||
						wide.Offset > near.Offset || wend < end || !slices.Equal(ids(wide.Messages), ids(whole.Messages[wide.Offset:wend])) {
						t.Fatalf("near %+v by tens: rows %v from %d, %v", a, uids(wide.Messages), wide.Offset, err)
					}
					if i := slices.IndexFunc(whole.Messages, func(m *Message) bool { return m.ID == a.ID }); i >= 0 {
						if want := min(7, i); near.Offset != i-want || near.At != i || near.Messages[want].ID != a.ID || len(near.Messages) != want+min(12, whole.Total-i) {
							t.Errorf("near %+v: anchor at %d, read %d rows from %d", a, i, len(near.Messages), near.Offset)
						}
					}
				}
			})
		}
	}
}

func ids(ms []*Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// MessagesNear counts where its anchor went only when what changed does not say: not after
// new mail or a flag, but after a message was hidden.
func TestMessagesNearCountsOnlyWhenTheChangeDoesNotSay(t *testing.T) {
	ctx := context.Background()
	s, _, inbox := folderStore(t)
	if err := s.StoreMessages(ctx, inbox.ID, windowMessages(60), 60); err != nil {
		t.Fatal(err)
	}
	pos := func() ListPosition {
		r, err := s.MessagesAt(ctx, inbox.ID, ListOrder{}, 30, 1)
		if err != nil || len(r.Messages) != 1 {
			t.Fatalf("row 30: %v, %v", r, err)
		}
		return ListPosition{ID: r.Messages[0].ID, Index: 30, Total: r.Total, MaxID: r.MaxID}
	}
	near := func(a ListPosition) MessageSlice {
		r, err := s.MessagesNear(ctx, inbox.ID, ListOrder{}, a, 5, 5, 1)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := pos()
	if err := s.StoreMessages(ctx, inbox.ID, []*Message{{UID: 70, Date: day0.Add(time.Hour * 24)}}, 70); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFlags(ctx, inbox.ID, []FlagUpdate{{UID: 1, Flags: Flags{Seen: true, Flagged: true}}}); err != nil {
		t.Fatal(err)
	}
	if r := near(a); r.Counted || r.Offset != 26 {
		t.Errorf("after new mail and a flag: counted %v, offset %d; want 26 by arithmetic", r.Counted, r.Offset)
	}
	a = pos()
	if err := s.UpdateFlags(ctx, inbox.ID, []FlagUpdate{{UID: 58, Flags: Flags{Deleted: true}}}); err != nil {
		t.Fatal(err)
	}
	if r := near(a); !r.Counted || r.Offset != 24 {
		t.Errorf("after a message above was hidden: counted %v, offset %d; want 24, counted", r.Counted, r.Offset)
	}
}
