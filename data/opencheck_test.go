package data

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

// largeStoreWithData is storeWithData grown past wholeCheckBelow by a large cached body, so
// that a clean open checks it the bounded way.
func largeStoreWithData(t *testing.T) string {
	t.Helper()
	path := storeWithData(t)
	s := openStore(t, path, "ann")
	ctx := context.Background()
	boxes, err := s.Mailboxes(ctx)
	if err != nil || len(boxes) != 1 {
		t.Fatalf("mailboxes: %v, %v", boxes, err)
	}
	folders, err := s.Folders(ctx, boxes[0].ID)
	if err != nil || len(folders) == 0 {
		t.Fatalf("folders: %v, %v", folders, err)
	}
	page, err := s.MessagePage(ctx, folders[0].ID, Cursor{}, 1)
	if err != nil || len(page) != 1 {
		t.Fatalf("messages: %v, %v", page, err)
	}
	if err := s.SaveMessageBody(ctx, page[0].ID, bytes.Repeat([]byte("x"), wholeCheckBelow), false, "large"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if info, err := os.Stat(path); err != nil || info.Size() < wholeCheckBelow {
		t.Fatalf("the database is %v bytes (%v), want at least %d", info.Size(), err, wholeCheckBelow)
	}
	return path
}

// A large file whose last session ended cleanly gets the bounded check, which still refuses
// a broken root page of the cached mail (as cache damage) and any damage of the kept tables,
// leaving the file as it was.
func TestCleanOpenOfLargeFileRefusesDamage(t *testing.T) {
	for _, c := range []struct {
		table     string
		cacheOnly bool
	}{{"provider_domains", false}, {"messages", true}, {"folders", true}} {
		t.Run(c.table, func(t *testing.T) {
			path := largeStoreWithData(t)
			damagePage(t, path, c.table)
			before := readFile(t, path)
			s, err := Open(path, "ann")
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a damaged database")
			}
			if !errors.Is(err, ErrDamaged) || errors.Is(err, ErrCacheDamaged) != c.cacheOnly {
				t.Fatalf("Open: %v, want ErrDamaged, cache only %v", err, c.cacheOnly)
			}
			if !bytes.Equal(readFile(t, path), before) {
				t.Error("Open changed the damaged file")
			}
			noSidecars(t, path)
		})
	}
}

// damageMiddlePage overwrites the page-type byte of the page in the middle of the closed
// database at path, one a bounded check need not read.
func damageMiddlePage(t *testing.T, path string) {
	t.Helper()
	db := rawDB(t, path)
	var pages, pageSize int64
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0x42}, (pages/2)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// After a session that did not end cleanly (its write-ahead log left behind) the whole
// quick check runs, and finds damage anywhere in the file.
func TestOpenAfterUncleanEndChecksTheWholeFile(t *testing.T) {
	path := largeStoreWithData(t)
	damageMiddlePage(t, path)
	if err := os.WriteFile(path+"-wal", make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, "ann")
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a damaged database after an unclean end")
	}
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open: %v, want ErrDamaged", err)
	}
}

func TestUncleanEnd(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/x.db"
	for _, c := range []struct {
		name    string
		files   map[string]int
		unclean bool
	}{
		{"nothing beside", nil, false},
		{"empty log", map[string]int{"-wal": 0}, false},
		{"log with frames", map[string]int{"-wal": 4096}, true},
		{"rollback journal", map[string]int{"-journal": 512}, true},
		{"shared memory only", map[string]int{"-shm": 32768}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, suffix := range []string{"-wal", "-journal", "-shm"} {
				os.Remove(path + suffix)
			}
			for suffix, size := range c.files {
				if err := os.WriteFile(path+suffix, make([]byte, size), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := uncleanEnd(path); got != c.unclean {
				t.Errorf("uncleanEnd = %v, want %v", got, c.unclean)
			}
		})
	}
}
