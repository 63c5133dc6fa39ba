package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

// noSidecars fails when SQLite left a journal, WAL or shared-memory file beside path.
func noSidecars(t *testing.T, path string) {
	t.Helper()
	for _, suffix := range []string{"-journal", "-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); err == nil {
			t.Errorf("%s%s was created", path, suffix)
		}
	}
}

// damagePage overwrites the page-type byte of the root page of table in the closed database
// at path, as a failing disk or an interrupted copy might: the rest of the file stays intact.
func damagePage(t *testing.T, path, table string) {
	t.Helper()
	db := rawDB(t, path)
	var root, pageSize int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, table).Scan(&root); err != nil {
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
	if _, err := f.WriteAt([]byte{0x42}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// storeWithData writes a database with providers and a folder of messages, and closes it.
func storeWithData(t *testing.T) string {
	t.Helper()
	s, _, inbox := folderStore(t)
	for i := range 50 {
		mustSave(t, s, testProvider(fmt.Sprintf("Provider %d", i), fmt.Sprintf("p%d.example", i)))
	}
	if err := s.StoreMessages(context.Background(), inbox.ID, testMessages(2000), 2000); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	s.Close()
	return path
}

func TestOpenRefusesDamagedDatabaseAndLeavesItAsItWas(t *testing.T) {
	for _, table := range []string{"provider_domains", "messages"} {
		t.Run(table, func(t *testing.T) {
			path := storeWithData(t)
			damagePage(t, path, table)
			before := readFile(t, path)

			s, err := Open(path, "bob")
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a damaged database")
			}
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("Open: %v, want ErrDamaged", err)
			}
			if !bytes.Equal(readFile(t, path), before) {
				t.Error("Open changed the damaged file")
			}
			noSidecars(t, path)
		})
	}
}

// BenchmarkOpenWithQuickCheck opens the 100,000-message benchmark database, quick check
// included; BenchmarkQuickCheckAlone is the check's share of it.
func BenchmarkOpenWithQuickCheck(b *testing.B) {
	s, _ := messagesBenchStore(b)
	s.Close()
	for b.Loop() {
		s, err := Open(seededMessages.path, "ann")
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func BenchmarkQuickCheckAlone(b *testing.B) {
	s, _ := messagesBenchStore(b)
	for b.Loop() {
		if err := quickCheck(s.w); err != nil {
			b.Fatal(err)
		}
	}
}

// Damage in the cached mail alone is told apart, and RebuildCache makes a sound database of
// everything else, keeping the damaged file unchanged beside it.
func TestRebuildCacheKeepsAllButTheCachedMail(t *testing.T) {
	path := storeWithData(t)
	owner := openStore(t, path, "ann")
	key := withKey(t, owner)
	owner.Close()
	damagePage(t, path, "messages")
	before := readFile(t, path)
	if _, err := Open(path, "bob"); !errors.Is(err, ErrCacheDamaged) || !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open: %v, want ErrDamaged and ErrCacheDamaged", err)
	}
	aside, err := RebuildCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, aside), before) {
		t.Errorf("the damaged file set aside at %s was changed", aside)
	}
	noSidecars(t, aside)
	s := openStore(t, path, "bob")
	ctx := context.Background()
	if list, err := s.List(ctx); err != nil || len(list) != 51 {
		t.Errorf("providers after the rebuild: %d, %v; want 51", len(list), err)
	}
	boxes, err := openStore(t, path, "ann").Mailboxes(ctx)
	if err != nil || len(boxes) != 1 {
		t.Fatalf("ann's mailboxes after the rebuild: %v, %v", boxes, err)
	}
	if fs, err := s.Folders(ctx, boxes[0].ID); err != nil || len(fs) != 0 {
		t.Errorf("folders after the rebuild: %v, %v; want none until the next sync", fs, err)
	}
	if k, err := s.SigningKey(ctx); err != nil || k.PublicKey != key {
		t.Errorf("signing key after the rebuild: %v, %v; want the publisher key kept", k, err)
	}
}

// A broken page that stops the check itself (here the empty messages table's only page) is
// found too, and still told apart as the cache's.
func TestOpenFindsDamageThatStopsTheCheck(t *testing.T) {
	s, _, _ := folderStore(t)
	path := s.Path()
	s.Close()
	damagePage(t, path, "messages")
	if _, err := Open(path, "ann"); !errors.Is(err, ErrCacheDamaged) {
		t.Fatalf("Open: %v, want ErrCacheDamaged", err)
	}
	if _, err := RebuildCache(path); err != nil {
		t.Fatal(err)
	}
	openStore(t, path, "ann").Close()
}

func TestRebuildCacheRefusesDamageBeyondTheCache(t *testing.T) {
	path := storeWithData(t)
	damagePage(t, path, "provider_domains")
	before := readFile(t, path)
	if _, err := Open(path, "ann"); !errors.Is(err, ErrDamaged) || errors.Is(err, ErrCacheDamaged) {
		t.Fatalf("Open: %v, want ErrDamaged alone", err)
	}
	if _, err := RebuildCache(path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("RebuildCache: %v, want ErrDamaged", err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("a refused rebuild changed the file")
	}
	noSidecars(t, path+".rebuilding")
}
