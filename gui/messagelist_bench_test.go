package gui

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	_ "github.com/mattn/go-sqlite3"

	"mailroom/data"
)

// The refresh benchmark's database: an Inbox of 100,000 messages, seeded once per process.
var refreshDB struct {
	once sync.Once
	path string
	err  error
}

func refreshStore(b *testing.B) *data.Store {
	refreshDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "mailroom-listbench-")
		if err != nil {
			refreshDB.err = err
			return
		}
		refreshDB.path = filepath.Join(dir, "m.db")
		s, err := data.Open(refreshDB.path, "ann")
		if err != nil {
			refreshDB.err = err
			return
		}
		defer s.Close()
		fillInbox(b, s, listMessages(100_000))
	})
	if refreshDB.err != nil {
		b.Fatal(refreshDB.err)
	}
	s, err := data.Open(refreshDB.path, "ann")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkListRefresh is the message list's refresh after a store change (a message in view
// marked read or unread, then reloadList, until the rows are applied), on 100,000 cached
// messages, at the top of the folder and in its middle. Beside it, measured alternately in the
// same loop, the baseline: the bare SQL read of one page of 100 rows at the same place by
// offset (what the list read before it read by key), on its own connection; and the bare read
// of the same rows by key, the least the refresh can cost. It reports them in ms and the
// refresh's ratio to the baseline; the goal is a refresh ≤ 5 ms.
func BenchmarkListRefresh(b *testing.B) {
	for _, at := range []struct {
		name  string
		row   int
		above bool
	}{{"top", 0, false}, {"middle", 50_000, false}, {"middle-hidden-above", 50_000, true}} {
		b.Run(at.name, func(b *testing.B) { benchRefresh(b, at.row, at.above) })
	}
}

// benchRefresh measures the refresh at row after the message there is marked read or unread,
// or when above, after a message above the view is hidden or shown again: a change that does
// not say where the rows in view went, so the refresh counts the messages before them.
func benchRefresh(b *testing.B, row int, above bool) {
	s := refreshStore(b)
	db, err := sql.Open("sqlite3", "file:"+refreshDB.path+"?_query_only=1")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	u := New(test.NewTempApp(b), s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.typingPause, u.syncEvery, u.watchIdle, u.cacheDir = 0, 0, false, b.TempDir()
	act(u, u.ShowMain)
	b.Cleanup(u.stopWorkers)
	u.jobs.Wait()
	l := u.mail.list
	act(u, func() { l.list.ScrollToOffset(float32(row) * l.rowStride()) })
	u.jobs.Wait()
	m := l.messageAt(row)
	if m == nil || l.list.Length() != 100_000 {
		b.Fatalf("row %d not read; %d rows", row, l.list.Length())
	}
	first := l.messageAt(row / pageSize * pageSize)
	hide, err := s.Message(context.Background(), 100_000) // the newest, at the top
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var refresh, bare, keyed time.Duration
	n := 0
	for b.Loop() {
		changed, flags := m, data.Flags{Seen: n%2 == 0}
		if above {
			changed, flags = hide, data.Flags{Seen: true, Deleted: n%2 == 0}
		}
		if err := s.SetFlags(ctx, changed.ID, flags); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		act(u, u.mail.reloadList)
		u.jobs.Wait()
		refresh += time.Since(start)

		start = time.Now()
		rows, err := db.QueryContext(ctx, `SELECT id, folder_id, uid, date, sent_date, size, seen, flagged, answered, deleted,
			draft, keywords, subject, from_name, from_addr, to_addrs, message_id, has_attachment FROM messages
			WHERE folder_id = ? AND deleted = 0 ORDER BY list_date DESC, uid DESC LIMIT 100 OFFSET ?`, m.FolderID, row/pageSize*pageSize)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for rows.Next() {
			got++
		}
		rows.Close()
		bare += time.Since(start)
		if got != 100 {
			b.Fatalf("baseline read %d rows", got)
		}

		start = time.Now()
		rows, err = db.QueryContext(ctx, `SELECT id, folder_id, uid, date, sent_date, size, seen, flagged, answered, deleted,
			draft, keywords, subject, from_name, from_addr, to_addrs, message_id, has_attachment FROM messages
			WHERE folder_id = ? AND deleted = 0 AND (list_date, uid) <= (?, ?) ORDER BY list_date DESC, uid DESC LIMIT 100`,
			m.FolderID, first.ListDate().Unix(), first.UID)
		if err != nil {
			b.Fatal(err)
		}
		got = 0
		for rows.Next() {
			got++
		}
		rows.Close()
		keyed += time.Since(start)
		if got != 100 {
			b.Fatalf("keyed read %d rows", got)
		}
		n++
	}
	if l.selectedRow() != -1 || l.messageAt(row) == nil || l.messageAt(row).ID != m.ID {
		b.Fatalf("after the refreshes row %d is %+v", row, l.messageAt(row))
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(n) / float64(time.Millisecond) }
	b.ReportMetric(ms(refresh), "refresh-ms")
	b.ReportMetric(ms(bare), "baseline-ms")
	b.ReportMetric(ms(keyed), "keyed-read-ms")
	b.ReportMetric(float64(refresh)/float64(bare), "ratio")
}
