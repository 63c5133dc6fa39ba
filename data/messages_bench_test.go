package data

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The message-list benchmark database: one folder of 100,000 messages, seeded once per process.
const benchMessages = 100_000

var seededMessages struct {
	once   sync.Once
	dir    string
	path   string
	folder int64
	err    error
}

func messagesBenchStore(b *testing.B) (*Store, int64) {
	seededMessages.once.Do(func() {
		if seededMessages.dir, seededMessages.err = os.MkdirTemp("", "mailroom-bench-"); seededMessages.err != nil {
			return
		}
		seededMessages.path = filepath.Join(seededMessages.dir, "mailroom.db")
		seededMessages.folder, seededMessages.err = seedMessages(seededMessages.path)
	})
	if seededMessages.err != nil {
		b.Fatalf("seed benchmark database: %v", seededMessages.err)
	}
	return openStore(b, seededMessages.path, "ann"), seededMessages.folder
}

// seedMessages writes benchMessages messages through StoreMessages, 1,000 per batch as a sync
// does; every 100th has "invoice" in its subject.
func seedMessages(path string) (int64, error) {
	s, err := Open(path, "ann")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	ctx := context.Background()
	p := NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Example", "imap.example.net", "smtp.example.net"
	if err := s.Save(ctx, p); err != nil {
		return 0, err
	}
	m := &Mailbox{Address: "ann@example.net", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		return 0, err
	}
	if err := s.SaveFolders(ctx, m.ID, []FolderInfo{{Name: "INBOX", Role: RoleInbox, Selectable: true}}); err != nil {
		return 0, err
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil {
		return 0, err
	}
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for from := 1; from <= benchMessages; from += 1000 {
		batch := make([]*Message, 0, 1000)
		for uid := from; uid < from+1000; uid++ {
			subject := fmt.Sprintf("Weekly update number %d about project %d", uid, uid%97)
			if uid%100 == 0 {
				subject = fmt.Sprintf("Invoice %d", uid)
			}
			batch = append(batch, &Message{UID: uint32(uid), Date: start.Add(time.Duration(uid) * time.Hour),
				Size: 2000, Subject: subject, FromName: fmt.Sprintf("Sender %d", uid%500),
				FromAddr: fmt.Sprintf("sender%d@example.org", uid%500), To: "Ann <ann@example.net>", Flags: Flags{Seen: uid%4 != 0}})
		}
		if err := s.StoreMessages(ctx, fs[0].ID, batch, uint32(from+999)); err != nil {
			return 0, err
		}
	}
	return fs[0].ID, nil
}

// BenchmarkMessagePageFirst reads the first page of the message list of a 100,000-message
// folder; the goal is 5 ms.
func BenchmarkMessagePageFirst(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		page, err := s.MessagePage(ctx, folder, Cursor{}, 100)
		if err != nil || len(page) != 100 || page[0].UID != benchMessages {
			b.Fatalf("page = %d rows, %v", len(page), err)
		}
	}
}

// BenchmarkMessagePageDeep reads a page half way down the same list, from its cursor.
func BenchmarkMessagePageDeep(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	cur := Cursor{Date: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Add(benchMessages / 2 * time.Hour), UID: benchMessages / 2}
	b.ReportAllocs()
	for b.Loop() {
		page, err := s.MessagePage(ctx, folder, cur, 100)
		if err != nil || len(page) != 100 || page[0].UID != benchMessages/2-1 {
			b.Fatalf("page = %d rows, %v", len(page), err)
		}
	}
}

// BenchmarkSearchMessages finds the first page of the 1,000 messages about invoices among
// 100,000; the goal is 20 ms.
func BenchmarkSearchMessages(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		hits, err := s.SearchMessages(ctx, folder, "invoice", Cursor{}, 100)
		if err != nil || len(hits) != 100 {
			b.Fatalf("search = %d rows, %v", len(hits), err)
		}
	}
}

// BenchmarkSearchMessagesCommon searches a word in every message: the worst case.
func BenchmarkSearchMessagesCommon(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		hits, err := s.SearchMessages(ctx, folder, "weekly", Cursor{}, 100)
		if err != nil || len(hits) != 100 {
			b.Fatalf("search = %d rows, %v", len(hits), err)
		}
	}
}

// BenchmarkMessagePageBaseline is the bare indexed query under MessagePage, without the
// ownership check or the row decoding.
func BenchmarkMessagePageBaseline(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rows, err := s.r.QueryContext(ctx, `SELECT id, uid, list_date FROM messages WHERE folder_id = ? AND deleted = 0 ORDER BY list_date DESC, uid DESC LIMIT 100`, folder)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if n != 100 {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkMessageRangeEnd reads the last page of the 100,000-message list by offset, as
// dragging the scrollbar to the end does; the baseline is BenchmarkMessagePageBaseline.
func BenchmarkMessageRangeEnd(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		page, total, err := s.MessageRange(ctx, folder, ListOrder{}, benchMessages-100, 100)
		if err != nil || total != benchMessages || len(page) != 100 || page[99].UID != 1 {
			b.Fatalf("page = %d rows of %d, %v", len(page), total, err)
		}
	}
}

// BenchmarkMessageRangeMiddle reads the page in the middle by offset: the most index entries
// an offset steps over.
func BenchmarkMessageRangeMiddle(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		page, total, err := s.MessageRange(ctx, folder, ListOrder{}, benchMessages/2, 100)
		if err != nil || total != benchMessages || len(page) != 100 {
			b.Fatalf("page = %d rows of %d, %v", len(page), total, err)
		}
	}
}

// BenchmarkMessageRangeBySubject reads the first page sorted by subject, which sorts the folder.
func BenchmarkMessageRangeBySubject(b *testing.B) {
	s, folder := messagesBenchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		page, _, err := s.MessageRange(ctx, folder, ListOrder{By: SortSubject, Ascending: true}, 0, 100)
		if err != nil || len(page) != 100 {
			b.Fatalf("page = %d rows, %v", len(page), err)
		}
	}
}
