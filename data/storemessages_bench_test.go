package data

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// syncLikeBatches returns n messages as a first sync of the benchmark's Inbox stores them,
// in batches of size.
func syncLikeBatches(n, size int) [][]*Message {
	var out [][]*Message
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for from := 1; from <= n; from += size {
		batch := make([]*Message, 0, size)
		for uid := from; uid < from+size && uid <= n; uid++ {
			batch = append(batch, &Message{UID: uint32(uid), Date: start.Add(time.Duration(uid) * time.Minute),
				SentDate: start.Add(time.Duration(uid) * time.Minute), Size: 300,
				Subject: fmt.Sprintf("Message %d about project %d", uid, uid%97), FromName: fmt.Sprintf("Sender %d", uid%500),
				FromAddr: fmt.Sprintf("sender%d@example.org", uid%500), To: "Ann <ann@example.test>",
				MessageID: fmt.Sprintf("%d@bench.example", uid), Flags: Flags{Seen: uid%3 == 0}})
		}
		out = append(out, batch)
	}
	return out
}

// BenchmarkStoreMessagesFirstSync stores 100,000 messages into an empty folder, 500 per
// call as the sync does: the database's share of a first sync.
func BenchmarkStoreMessagesFirstSync(b *testing.B) {
	batches := syncLikeBatches(100_000, 500)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, _ := mailboxStoreAt(b, filepath.Join(b.TempDir(), fmt.Sprintf("x%d.db", i)))
		b.StartTimer()
		for _, batch := range batches {
			if err := s.StoreMessages(ctx, 1, batch, batch[len(batch)-1].UID); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// mailboxStoreAt opens a store at path with one mailbox whose Inbox is folder 1.
func mailboxStoreAt(b *testing.B, path string) (*Store, int64) {
	s, err := Open(path, "ann")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p := NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Example", "imap.example.net", "smtp.example.net"
	if err := s.Save(ctx, p); err != nil {
		b.Fatal(err)
	}
	m := &Mailbox{Address: "ann@example.net", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		b.Fatal(err)
	}
	if err := s.SaveFolders(ctx, m.ID, []FolderInfo{{Name: "INBOX", Role: RoleInbox, Selectable: true}}); err != nil {
		b.Fatal(err)
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil || fs[0].ID != 1 {
		b.Fatalf("folders %v, %v", fs, err)
	}
	return s, m.ID
}
