package mailclient

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mailroom/data"
)

// logDeletes adds a trigger to the database at path that notes every message row deleted:
// the server expunges nothing in the test, so any deletion is a sync undoing another's work.
func logDeletes(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS test_deleted (message_id INTEGER);
		CREATE TRIGGER IF NOT EXISTS test_log_delete AFTER DELETE ON messages BEGIN
			INSERT INTO test_deleted VALUES (old.id); END`); err != nil {
		t.Fatal(err)
	}
	return db
}

// syncTwiceAtOnce runs SyncMailbox of the test folder through stores a and b (as two
// Mailroom processes) at the same moment, and returns how many new messages each stored.
func (e *syncEnv) syncTwiceAtOnce(t *testing.T, stores ...*data.Store) int {
	t.Helper()
	var wg sync.WaitGroup
	var start sync.WaitGroup
	start.Add(1)
	news := make([]int, len(stores))
	errs := make([]error, len(stores))
	for i, s := range stores {
		m, err := s.MailboxByAddress(context.Background(), e.user)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			sums, err := SyncMailbox(context.Background(), s, e.secrets, m, SyncOptions{Folder: e.folder, Batch: 100})
			errs[i] = err
			for _, f := range sums {
				news[i] += f.New
			}
		}()
	}
	start.Done()
	wg.Wait()
	total := 0
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("sync %d: %v", i, errs[i])
		}
		total += news[i]
	}
	return total
}

// Two syncs of one folder at once, through two stores on one database: each message is
// stored once, none is deleted and stored again, and cached bodies stay.
func TestTwoSyncsOfOneFolderAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	e := newSyncEnv(t, path)
	other, err := data.Open(path, "ann")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	deleted := logDeletes(t, path)
	countDeleted := func() int {
		var n int
		if err := deleted.QueryRow(`SELECT count(*) FROM test_deleted`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := e.client(t)

	// The first sync of a new folder, twice at once.
	seedMaildir(t, e.dir, corpus(t, 1500), []string{"", "S"}, base)
	if n := e.syncTwiceAtOnce(t, e.store, other); n != 1500 {
		t.Errorf("the two first syncs stored %d new messages, want 1500 in all", n)
	}
	if n := countDeleted(); n != 0 {
		t.Errorf("the two first syncs deleted %d stored messages", n)
	}
	e.compare(t, c)

	// Bodies are cached; new mail arrives; two syncs at once again, three rounds.
	f := e.storedFolder(t)
	page, err := e.store.MessagePage(context.Background(), f.ID, data.Cursor{}, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page {
		if err := e.store.SaveMessageBody(context.Background(), m.ID, []byte("cached body"), false, "cached body"); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		seedMaildir(t, e.dir, corpus(t, 700), nil, base.AddDate(0, round+1, 0))
		if n := e.syncTwiceAtOnce(t, e.store, other); n != 700 {
			t.Errorf("round %d: the two syncs stored %d new messages, want 700 in all", round, n)
		}
		if n := countDeleted(); n != 0 {
			t.Fatalf("round %d: the two syncs deleted %d stored messages", round, n)
		}
		e.compare(t, c)
	}
	for _, m := range page {
		if _, _, err := e.store.MessageBody(context.Background(), m.ID); err != nil {
			t.Errorf("body of message %d (uid %d): %v", m.ID, m.UID, err)
		}
	}
	var leases int
	if err := deleted.QueryRow(`SELECT count(*) FROM sync_leases`).Scan(&leases); err != nil || leases != 0 {
		t.Errorf("%d leases left after the syncs (%v)", leases, err)
	}
}
