// Command seed fills stores for benchmarks: a Mailroom database with generated providers and
// domains, and with --messages a mailbox whose cached Inbox holds that many (--db); or a
// Maildir folder of the test Dovecot with generated messages (--maildir), written as files for
// Dovecot to index (far faster than APPEND or SMTP).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"

	"mailroom/data"
)

func main() {
	db := flag.String("db", "", "database file to create")
	n := flag.Int("providers", 10000, "number of providers, with --db")
	per := flag.Int("domains", 3, "domains per provider, with --db")
	msgs := flag.Int("messages", 0, "number of messages: in a seeded mailbox's cached Inbox with --db, in the folder with --maildir (100,000 when 0)")
	owner := flag.String("user", osUser(), "the user whose database and mailbox it is, with --db (Mailroom's window shows the OS user's)")
	maildir := flag.String("maildir", "", "Maildir folder to write messages into (its cur, new and tmp are created)")
	first := flag.Int("first", 0, "number of the first message, with --maildir (to add to an earlier seed)")
	account := flag.String("owner", "mail", "account the written files and folders are given to, with --maildir (Dovecot refuses root's)")
	flag.Parse()
	var err error
	switch {
	case *maildir != "":
		count := *msgs
		if count == 0 {
			count = 100000
		}
		err = seedMessages(*maildir, *first, count, *account)
	case *db != "":
		err = seedDatabase(*db, *owner, *n, *per, *msgs)
	default:
		fmt.Fprintln(os.Stderr, "usage: seed --db PATH [--providers N] [--domains N] [--messages N --user NAME]\n       seed --maildir DIR [--messages N] [--first K] [--owner USER]")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// seedDatabase gives db n providers of per domains each and, when msgs is not 0, a mailbox
// whose Inbox holds msgs cached messages.
func seedDatabase(db, owner string, n, per, msgs int) error {
	s, err := data.Open(db, owner)
	if err != nil {
		return err
	}
	defer s.Close()
	for i := 0; i < n; i++ {
		p := data.NewProvider()
		p.Name = fmt.Sprintf("Provider %05d Mail", i)
		p.IMAP.Host = fmt.Sprintf("imap.provider%05d.example", i)
		p.SMTP.Host = fmt.Sprintf("smtp.provider%05d.example", i)
		for d := 0; d < per; d++ {
			p.Domains = append(p.Domains, fmt.Sprintf("d%d.provider%05d.example", d, i))
		}
		if err := s.Save(context.Background(), p); err != nil {
			return err
		}
	}
	if msgs > 0 {
		return seedCache(context.Background(), s, msgs)
	}
	return nil
}

// osUser is the OS user's name, whose mailboxes Mailroom's window shows.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "bench"
}
