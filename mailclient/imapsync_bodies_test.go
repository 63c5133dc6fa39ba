package mailclient

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"mailroom/data"
)

// wordMessages returns n plain messages, message i saying "bodyword<i>z" in its body only.
func wordMessages(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "From: Bob <bob@example.net>\r\nTo: Ann <ann@example.test>\r\nSubject: Note %d\r\n"+
			"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <note%d@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
			"The secret word is bodyword%dz.\r\n", i, i, i)
	}
	return out
}

// search returns how many messages of the test's folder the store finds for query.
func (e *syncEnv) search(t *testing.T, query string) int {
	t.Helper()
	found, err := e.store.SearchMessages(context.Background(), e.storedFolder(t).ID, query, data.Cursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(found)
}

// With "Keep messages on this computer" on (the default), the bodies come after the headers
// and search finds a word that only a body holds, in every message; nothing is marked read on
// the server; a second run has nothing left to do; with it off nothing is downloaded.
func TestDownloadBodiesMakesEveryMessageSearchable(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	ctx := context.Background()
	seedMaildir(t, e.dir, wordMessages(120), nil, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	e.sync(t)
	if n := e.search(t, "bodyword7z"); n != 0 {
		t.Fatalf("before the bodies came, search found %d", n)
	}
	keep, err := e.store.KeepMessages(ctx, e.box.ID)
	if err != nil || !keep {
		t.Fatalf("KeepMessages of a new mailbox: %v, %v; want on", keep, err)
	}
	var progress []int
	n, err := DownloadBodies(ctx, e.store, e.secrets, e.box, BodyOptions{Pause: time.Millisecond,
		Progress: func(folder string, done int) {
			if folder == e.folder {
				progress = append(progress, done)
			}
		}})
	if err != nil {
		t.Fatalf("DownloadBodies: %v", err)
	}
	if n != 120 || len(progress) < 3 || progress[len(progress)-1] != 120 {
		t.Errorf("downloaded %d, progress %v; want 120 in batches", n, progress)
	}
	for _, i := range []int{0, 7, 119} {
		if got := e.search(t, fmt.Sprintf("bodyword%dz", i)); got != 1 {
			t.Errorf("search for bodyword%dz found %d, want 1", i, got)
		}
	}
	c := e.client(t)
	st, err := c.Status(e.folder, &imap.StatusOptions{NumUnseen: true}).Wait()
	if err != nil || *st.NumUnseen != 120 {
		t.Errorf("unseen on the server after the download: %v, %v; want 120", st, err)
	}
	if n, err := DownloadBodies(ctx, e.store, e.secrets, e.box, BodyOptions{}); err != nil || n != 0 {
		t.Errorf("second run: %d, %v; want nothing left", n, err)
	}

	seedMaildir(t, e.dir, wordMessages(3), nil, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	e.sync(t)
	if err := e.store.SetKeepMessages(ctx, e.box.ID, false); err != nil {
		t.Fatal(err)
	}
	if n, err := DownloadBodies(ctx, e.store, e.secrets, e.box, BodyOptions{}); err != nil || n != 0 {
		t.Errorf("with keep off: %d, %v; want nothing downloaded", n, err)
	}
}

// Cancelled midway, the download keeps what it stored and the next run fetches only the rest.
func TestDownloadBodiesResumes(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	seedMaildir(t, e.dir, wordMessages(150), nil, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	e.sync(t)
	ctx, cancel := context.WithCancel(context.Background())
	first, err := DownloadBodies(ctx, e.store, e.secrets, e.box, BodyOptions{Pause: time.Millisecond,
		Progress: func(folder string, done int) {
			if folder == e.folder {
				cancel()
			}
		}})
	if err == nil || first == 0 || first >= 150 {
		t.Fatalf("cancelled run: %d stored, %v; want some stored and a cancellation", first, err)
	}
	rest, err := DownloadBodies(context.Background(), e.store, e.secrets, e.box, BodyOptions{Pause: time.Millisecond})
	if err != nil || first+rest != 150 {
		t.Errorf("second run stored %d after %d, %v; want 150 in all", rest, first, err)
	}
}

// Moving "Load emails from" later drops the older messages from the cache, never from the
// server; moving it earlier again fetches them at the next sync.
func TestChangingLoadFromFetchesOrDropsOlderMessages(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	ctx := context.Background()
	seedMaildir(t, e.dir, corpus(t, 10), nil, time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC))
	seedMaildir(t, e.dir, corpus(t, 3), nil, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if sums := e.sync(t); sums[0].New != 13 {
		t.Fatalf("first sync: %+v", sums)
	}
	setLoadFrom := func(d time.Time) {
		t.Helper()
		e.box.LoadFrom = d
		if err := e.store.SaveMailbox(ctx, e.box); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() int {
		t.Helper()
		n, err := e.store.MessageCount(ctx, e.storedFolder(t).ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	setLoadFrom(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	if sums := e.sync(t); sums[0].Removed != 10 || sums[0].New != 0 {
		t.Errorf("sync after a later date: %+v, want 10 removed", sums)
	}
	if n := stored(); n != 3 {
		t.Errorf("%d messages stored after a later date, want 3", n)
	}
	c := e.client(t)
	if st, err := c.Status(e.folder, &imap.StatusOptions{NumMessages: true}).Wait(); err != nil || *st.NumMessages != 13 {
		t.Errorf("the server holds %v (%v), want all 13 still", st, err)
	}
	if sums := e.sync(t); sums[0].New+sums[0].Removed != 0 {
		t.Errorf("the next sync: %+v, want nothing to do", sums)
	}

	setLoadFrom(time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC))
	if sums := e.sync(t); sums[0].New != 10 || sums[0].Removed != 0 {
		t.Errorf("sync after an earlier date: %+v, want the 10 older fetched", sums)
	}
	if n := stored(); n != 13 {
		t.Errorf("%d messages stored after an earlier date, want 13", n)
	}
	e.compare(t, c)

	setLoadFrom(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	e.sync(t)
	setLoadFrom(time.Time{}) // all mail
	if sums := e.sync(t); sums[0].New != 10 {
		t.Errorf("sync after choosing all mail: %+v, want the 10 older fetched", sums)
	}
	if n := stored(); n != 13 {
		t.Errorf("%d messages stored with all mail, want 13", n)
	}
}
