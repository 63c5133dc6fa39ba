package gui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mailroom/data"
)

// refreshMessages are n messages whose keys tie (repeated subjects, senders and sizes, some
// flagged), so every order leans on its tie-breaks.
func refreshMessages(n int) []*data.Message {
	msgs := listMessages(n)
	for i, m := range msgs {
		m.Subject = fmt.Sprintf("Topic %d", i%7)
		m.FromName = fmt.Sprintf("Sender %d", i%5)
		m.Size = int64(1000 + i%11)
		m.Flags.Flagged = i%6 == 0
	}
	return msgs
}

// checkRowsAsOffsetRead fails unless every row the list has read is the message the plain
// offset read has at that row, and the list is as long as the folder.
func checkRowsAsOffsetRead(t *testing.T, s *data.Store, l *messageList, what string) {
	t.Helper()
	whole, err := s.MessagesAt(context.Background(), l.folder.ID, l.order, 0, data.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	if l.length() != whole.Total {
		t.Fatalf("%s: the list has %d rows, the folder %d", what, l.length(), whole.Total)
	}
	read := 0
	for i := range whole.Total {
		if m := l.messageAt(i); m != nil {
			read++
			if m.ID != whole.Messages[i].ID {
				t.Fatalf("%s: row %d is %q (UID %d), the offset read has %q (UID %d)", what, i, m.Subject, m.UID,
					whole.Messages[i].Subject, whole.Messages[i].UID)
			}
		}
	}
	if read == 0 {
		t.Fatalf("%s: no rows read", what)
	}
}

// After a store change the list shows, below its top, exactly the rows the plain offset read
// has there, in every order, after new mail above and below the rows in view, messages hidden
// and expunged above and below them, and flags changed; the top row in view stays there while
// it is listed.
func TestRefreshBelowTheTopShowsTheRowsOfTheOffsetRead(t *testing.T) {
	ctx := context.Background()
	orders := []data.ListOrder{{}, {Ascending: true}, {By: data.SortFrom, Ascending: true}, {By: data.SortSubject},
		{By: data.SortSize, Ascending: true}, {By: data.SortFlag}}
	for _, order := range orders {
		t.Run(fmt.Sprintf("%+v", order), func(t *testing.T) {
			s, f := inboxStore(t, refreshMessages(600))
			u := newTestUI(t, s)
			l := u.mail.list
			act(u, func() {
				l.order = order
				l.reset()
			})
			u.jobs.Wait()
			act(u, func() { l.list.ScrollToOffset(250 * l.rowStride()) })
			u.jobs.Wait()
			uid := uint32(600)
			arrive := func(hours ...int) func() error {
				return func() error {
					var ms []*data.Message
					for _, h := range hours {
						uid++
						ms = append(ms, &data.Message{UID: uid, Date: listDay.Add(time.Duration(h) * time.Hour), Subject: "Topic 3",
							FromName: "Sender 2", Size: 1004, Flags: data.Flags{Flagged: h%2 == 0}})
					}
					return s.StoreMessages(ctx, f.ID, ms, uid)
				}
			}
			// The message at row i of the list now, in its order.
			at := func(i int) *data.Message {
				r, err := s.MessagesAt(ctx, f.ID, l.order, i, 1)
				if err != nil || len(r.Messages) != 1 {
					t.Fatalf("row %d: %v", i, err)
				}
				return r.Messages[0]
			}
			setFlags := func(rows []int, flags data.Flags) func() error {
				return func() error {
					var ups []data.FlagUpdate
					for _, i := range rows {
						ups = append(ups, data.FlagUpdate{UID: at(i).UID, Flags: flags})
					}
					return s.UpdateFlags(ctx, f.ID, ups)
				}
			}
			expunge := func(rows ...int) func() error {
				return func() error {
					var uids []uint32
					for _, i := range rows {
						uids = append(uids, at(i).UID)
					}
					return s.RemoveMessages(ctx, f.ID, uids)
				}
			}
			for _, c := range []struct {
				name   string
				change func() error
			}{
				{"nothing", func() error { return nil }},
				{"new mail, newest and oldest", arrive(900, 901, -50)},
				{"flags above, in view and below", setFlags([]int{3, 255, 400}, data.Flags{Flagged: true})},
				{"hidden above", setFlags([]int{10, 11}, data.Flags{Deleted: true})},
				{"hidden below", setFlags([]int{500}, data.Flags{Deleted: true, Seen: true})},
				{"expunged above and below", expunge(0, 100, 580)},
				{"new mail and expunged", func() error { return errorsOf(arrive(950)(), expunge(20)()) }},
			} {
				var top, now *data.Message
				act(u, func() { top = l.messageAt(l.rowAt(l.list.GetScrollOffset())) })
				if err := c.change(); err != nil {
					t.Fatal(err)
				}
				act(u, u.mail.reloadList)
				u.jobs.Wait()
				// The store's own announcement of the change reloads the list too, at any moment.
				act(u, func() {
					checkRowsAsOffsetRead(t, s, l, c.name)
					now = l.messageAt(l.rowAt(l.list.GetScrollOffset()))
				})
				if top != nil && (now == nil || now.ID != top.ID) &&
					order.By != data.SortFlag { // a flag moves rows in flag order
					t.Errorf("%s: the top row in view is %+v, was %q", c.name, now, top.Subject)
				}
			}
		})
	}
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// The selected message's row stays highlighted when the list scrolls so far that its page is
// let go, and after new mail moved it down; Down moves on from it.
func TestSelectionStaysHighlightedWhenItsPageIsLetGo(t *testing.T) {
	s, f := inboxStore(t, listMessages(5000))
	u := newTestUI(t, s)
	l := u.mail.list
	act(u, func() { l.moveTo(5) })
	u.jobs.Wait()
	row := func() (i int) {
		act(u, func() { i = l.selectedRow() })
		return i
	}
	var chosen *data.Message
	act(u, func() { chosen = u.mail.selected })
	if chosen == nil || row() != 5 {
		t.Fatalf("selected %+v at %d", chosen, row())
	}
	for row := 400; row <= 4400; row += 400 { // to more pages than are kept: page 0 goes
		act(u, func() { l.list.ScrollToOffset(float32(row) * l.rowStride()) })
		u.jobs.Wait()
	}
	var kept bool
	act(u, func() { kept = l.pages[0] != nil })
	if kept {
		t.Fatal("page 0 still kept")
	}
	if row() != 5 {
		t.Errorf("with its page let go the selected row is %d, want 5", row())
	}
	if err := s.StoreMessages(context.Background(), f.ID, listMessages(5003)[5000:], 5003); err != nil {
		t.Fatal(err)
	}
	act(u, u.mail.reloadList)
	u.jobs.Wait()
	if row() != 8 {
		t.Errorf("after 3 new messages the selected row is %d, want 8", row())
	}
	act(u, func() { l.list.ScrollToOffset(0) })
	u.jobs.Wait()
	var got *data.Message
	act(u, func() { got = l.selected() })
	if got == nil || got.ID != chosen.ID {
		t.Fatalf("back at the top the selection is %+v, want %q", got, chosen.Subject)
	}
	act(u, func() { l.move(1) })
	u.jobs.Wait()
	act(u, func() { got = u.mail.selected })
	if got == nil || got.Subject != fmt.Sprintf("Message %d", 5003-9) {
		t.Errorf("Down from row 8 shows %+v", got)
	}
}
