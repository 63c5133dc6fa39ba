// Command seed fills a Mailroom database with generated providers and domains, and optionally
// one mailbox whose Inbox caches many messages, for benchmarks.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"time"

	"mailroom/data"
)

func main() {
	db := flag.String("db", "", "database file to create")
	n := flag.Int("providers", 10000, "number of providers")
	per := flag.Int("domains", 3, "domains per provider")
	msgs := flag.Int("messages", 0, "messages cached in one mailbox's Inbox (0 for no mailbox)")
	who := flag.String("user", osUser(), "the user whose mailbox it is (Mailroom's window shows the OS user's)")
	flag.Parse()
	if *db == "" {
		fmt.Fprintln(os.Stderr, "usage: seed --db PATH [--providers N] [--domains N] [--messages N]")
		os.Exit(2)
	}
	if err := seed(*db, *who, *n, *per, *msgs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "bench"
}

func seed(path, who string, providers, per, messages int) error {
	s, err := data.Open(path, who)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	var first *data.Provider
	for i := 0; i < providers; i++ {
		p := data.NewProvider()
		p.Name = fmt.Sprintf("Provider %05d Mail", i)
		p.IMAP.Host = fmt.Sprintf("imap.provider%05d.example", i)
		p.SMTP.Host = fmt.Sprintf("smtp.provider%05d.example", i)
		for d := 0; d < per; d++ {
			p.Domains = append(p.Domains, fmt.Sprintf("d%d.provider%05d.example", d, i))
		}
		if err := s.Save(ctx, p); err != nil {
			return err
		}
		if first == nil {
			first = p
		}
	}
	if messages == 0 || first == nil {
		return nil
	}
	return seedMessages(ctx, s, first, messages)
}

// seedMessages gives the acting user one mailbox at provider p with n messages in its Inbox,
// written 1,000 per batch as a sync does.
func seedMessages(ctx context.Context, s *data.Store, p *data.Provider, n int) error {
	m := &data.Mailbox{Address: "bench@d0.provider00000.example", ProviderID: p.ID, Login: "bench"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		return err
	}
	if err := s.SaveFolders(ctx, m.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true}}); err != nil {
		return err
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil {
		return err
	}
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for from := 1; from <= n; from += 1000 {
		batch := make([]*data.Message, 0, 1000)
		for uid := from; uid < from+1000 && uid <= n; uid++ {
			batch = append(batch, &data.Message{UID: uint32(uid), Date: start.Add(time.Duration(uid) * time.Hour),
				Size: 2000, Subject: fmt.Sprintf("Weekly update number %d about project %d", uid, uid%97),
				FromName: fmt.Sprintf("Sender %d", uid%500), FromAddr: fmt.Sprintf("sender%d@example.org", uid%500),
				To: "Bench <bench@d0.provider00000.example>", Flags: data.Flags{Seen: uid%4 != 0}})
		}
		if err := s.StoreMessages(ctx, fs[0].ID, batch, uint32(from+len(batch)-1)); err != nil {
			return err
		}
	}
	return nil
}
