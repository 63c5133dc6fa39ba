package data

import (
	"context"
	"slices"
	"testing"
	"time"
)

// dateOrderMessages are four messages whose Date headers tell another order than their
// arrival (UID and INTERNALDATE): UID 1 was written last, UID 2 has no Date header, UID 3
// claims 2099, UID 4 was written first.
func dateOrderMessages() []*Message {
	arrive := func(h int) time.Time { return day0.Add(time.Duration(h) * time.Hour) }
	return []*Message{
		{UID: 1, Date: arrive(10), SentDate: arrive(9), Subject: "written last"},
		{UID: 2, Date: arrive(11), Subject: "no Date header, arrived at 11"},
		{UID: 3, Date: arrive(12), SentDate: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), Subject: "dated 2099, arrived at 12"},
		{UID: 4, Date: arrive(13), SentDate: arrive(1), Subject: "written first"},
	}
}

// Messages are ordered and dated by their Date header, by arrival where it is missing or in
// the future; the page reads, the search and the offset range agree.
func TestListOrdersByDateHeaderArrivalWhereMissingOrFuture(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	msgs := dateOrderMessages()
	for _, m := range msgs {
		m.FromAddr = "bob@example.net"
	}
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 4); err != nil {
		t.Fatal(err)
	}
	want := []uint32{3, 2, 1, 4} // 12:00 (2099 refused), 11:00 (no header), 09:00, 01:00
	page, err := s.MessagePage(ctx, inbox.ID, Cursor{}, 10)
	if err != nil || !slices.Equal(uids(page), want) {
		t.Fatalf("MessagePage = %v, %v; want %v", uids(page), err, want)
	}
	shown := map[uint32]time.Time{1: msgs[0].SentDate, 2: msgs[1].Date, 3: msgs[2].Date, 4: msgs[3].SentDate}
	for _, m := range page {
		if !m.ListDate().Equal(shown[m.UID]) {
			t.Errorf("UID %d dated %v, want %v", m.UID, m.ListDate(), shown[m.UID])
		}
	}
	rng, total, err := s.MessageRange(ctx, inbox.ID, ListOrder{}, 0, 10)
	if err != nil || total != 4 || !slices.Equal(uids(rng), want) {
		t.Errorf("MessageRange = %v of %d, %v", uids(rng), total, err)
	}
	hits, err := s.SearchMessages(ctx, inbox.ID, "bob", Cursor{}, 10)
	if err != nil || !slices.Equal(uids(hits), want) {
		t.Errorf("SearchMessages = %v, %v", uids(hits), err)
	}
	old, _, err := s.MessageRange(ctx, inbox.ID, ListOrder{Ascending: true}, 0, 10)
	if slices.Reverse(want); err != nil || !slices.Equal(uids(old), want) {
		t.Errorf("oldest first = %v, %v", uids(old), err)
	}
}

// Any offset of the list reads the same rows as walking it from the top, from both ends and
// in every order.
func TestMessageRangeAtEveryOffsetMatchesTheWholeList(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	msgs := testMessages(25)
	for i, m := range msgs {
		m.Subject = string(rune('a' + i*7%26))
		m.Flags.Flagged = i%4 == 0
		if i%3 == 0 {
			m.SentDate = m.Date.Add(-time.Duration(i) * time.Hour)
		}
	}
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 25); err != nil {
		t.Fatal(err)
	}
	for _, order := range []ListOrder{{}, {Ascending: true}, {By: SortSubject}, {By: SortSize, Ascending: true}, {By: SortFlag}, {By: SortFrom}} {
		whole, total, err := s.MessageRange(ctx, inbox.ID, order, 0, 100)
		if err != nil || total != 25 || len(whole) != 25 {
			t.Fatalf("%+v: whole = %d of %d, %v", order, len(whole), total, err)
		}
		for off := 0; off < 25; off++ {
			page, _, err := s.MessageRange(ctx, inbox.ID, order, off, 4)
			end := min(off+4, 25)
			if err != nil || !slices.Equal(uids(page), uids(whole[off:end])) {
				t.Errorf("%+v at %d: %v, want %v (%v)", order, off, uids(page), uids(whole[off:end]), err)
			}
		}
	}
	bySubject, _, _ := s.MessageRange(ctx, inbox.ID, ListOrder{By: SortSubject}, 0, 100)
	if !slices.IsSortedFunc(bySubject, func(a, b *Message) int { return -compareStrings(a.Subject, b.Subject) }) {
		t.Errorf("subject order %v", subjects(bySubject))
	}
	past, total, err := s.MessageRange(ctx, inbox.ID, ListOrder{}, 40, 10)
	if err != nil || total != 25 || len(past) != 0 {
		t.Errorf("past the end: %d of %d, %v", len(past), total, err)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func subjects(ms []*Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

// The folder's counts follow every change: new messages, flags, deletion marks, expunges, a
// reset; another user's folder counts nothing.
func TestFolderCountsFollowEveryChange(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	check := func(step string, total, unread int) {
		t.Helper()
		f, err := s.Folder(ctx, inbox.ID)
		if err != nil || f.Total != total || f.Unread != unread {
			t.Fatalf("%s: total %d unread %d, want %d %d (%v)", step, f.Total, f.Unread, total, unread, err)
		}
		_, n, err := s.MessageRange(ctx, inbox.ID, ListOrder{}, 0, 1)
		if err != nil || n != total {
			t.Fatalf("%s: MessageRange counts %d, want %d (%v)", step, n, total, err)
		}
	}
	msgs := testMessages(6) // seen: UIDs 1 and 4
	if err := s.StoreMessages(ctx, inbox.ID, msgs, 6); err != nil {
		t.Fatal(err)
	}
	check("stored", 6, 4)
	if err := s.StoreMessages(ctx, inbox.ID, msgs[:2], 6); err != nil { // a repeated batch
		t.Fatal(err)
	}
	check("stored again", 6, 4)
	if err := s.UpdateFlags(ctx, inbox.ID, []FlagUpdate{{UID: 2, Flags: Flags{Seen: true}}, {UID: 3, Flags: Flags{Deleted: true}}}); err != nil {
		t.Fatal(err)
	}
	check("flags", 5, 2)
	page, _, _ := s.MessageRange(ctx, inbox.ID, ListOrder{}, 0, 10)
	if err := s.SetFlags(ctx, page[0].ID, Flags{Deleted: true}); err != nil { // UID 6, unread
		t.Fatal(err)
	}
	check("marked deleted", 4, 1)
	if err := s.RemoveMessages(ctx, inbox.ID, []uint32{1, 3}); err != nil {
		t.Fatal(err)
	}
	check("expunged", 3, 1)
	if err := s.ResetFolder(ctx, inbox.ID, 99); err != nil {
		t.Fatal(err)
	}
	check("reset", 0, 0)
	other := openStore(t, s.path, "bob")
	if got, n, err := other.MessageRange(ctx, inbox.ID, ListOrder{}, 0, 10); err != nil || n != 0 || len(got) != 0 {
		t.Errorf("another user sees %d of %d, %v", len(got), n, err)
	}
}

// A database made before the counts were kept gets them counted by the migration.
func TestMigrationCountsExistingMessages(t *testing.T) {
	s, _, inbox := folderStore(t)
	ctx := context.Background()
	if err := s.StoreMessages(ctx, inbox.ID, testMessages(6), 6); err != nil {
		t.Fatal(err)
	}
	w := s.w
	for _, stmt := range []string{`DROP TRIGGER messages_count_insert`, `UPDATE folders SET shown = 0, unread = 0`,
		`DELETE FROM schema_migrations WHERE version = 15`, `DROP INDEX messages_folder_list`,
		`CREATE INDEX messages_folder_date ON messages(folder_id, date DESC, uid DESC)`,
		`DROP TRIGGER messages_count_delete`, `DROP TRIGGER messages_count_update`,
		`ALTER TABLE messages DROP COLUMN list_date`, `ALTER TABLE folders DROP COLUMN shown`, `ALTER TABLE folders DROP COLUMN unread`,
		// and back from 0016 (pins' issuer and validity), so that 15 is the next migration
		`DELETE FROM schema_migrations WHERE version = 16`, `ALTER TABLE cert_pins DROP COLUMN issuer`,
		`ALTER TABLE cert_pins DROP COLUMN not_before`, `ALTER TABLE cert_pins DROP COLUMN not_after`} {
		if _, err := w.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := migrate(w); err != nil {
		t.Fatal(err)
	}
	f, err := s.Folder(ctx, inbox.ID)
	if err != nil || f.Total != 6 || f.Unread != 4 {
		t.Fatalf("after migration: %+v, %v", f, err)
	}
}
