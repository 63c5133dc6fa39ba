// Command seed fills stores for benchmarks: a Mailroom database with generated providers and
// domains (--db), or a Maildir folder of the test Dovecot with generated messages (--maildir),
// written as files for Dovecot to index (far faster than APPEND or SMTP).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"mailroom/data"
)

func main() {
	db := flag.String("db", "", "database file to create")
	n := flag.Int("providers", 10000, "number of providers")
	per := flag.Int("domains", 3, "domains per provider")
	maildir := flag.String("maildir", "", "Maildir folder to write messages into (its cur, new and tmp are created)")
	count := flag.Int("messages", 100000, "number of messages, with --maildir")
	first := flag.Int("first", 0, "number of the first message, with --maildir (to add to an earlier seed)")
	owner := flag.String("owner", "mail", "account the written files and folders are given to, with --maildir (Dovecot refuses root's)")
	flag.Parse()
	var err error
	switch {
	case *maildir != "":
		err = seedMessages(*maildir, *first, *count, *owner)
	case *db != "":
		err = seedProviders(*db, *n, *per)
	default:
		fmt.Fprintln(os.Stderr, "usage: seed --db PATH [--providers N] [--domains N]\n       seed --maildir DIR [--messages N] [--first K] [--owner USER]")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func seedProviders(db string, n, per int) error {
	s, err := data.Open(db, "bench")
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
	return nil
}

// seedStart is the INTERNALDATE of message 0; message i arrived i minutes later.
var seedStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// seedMessages writes count messages numbered from first into mdir's cur folder, a third of
// them seen, each with its own sender (of 500), subject, date and a word of its own in the
// body ("wordN"), and gives the files and mdir's folders to owner.
func seedMessages(mdir string, first, count int, owner string) error {
	u, err := user.Lookup(owner)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(mdir, sub), 0o770); err != nil {
			return err
		}
		if err := os.Lchown(filepath.Join(mdir, sub), uid, gid); err != nil {
			return err
		}
	}
	if err := os.Lchown(mdir, uid, gid); err != nil {
		return err
	}
	for i := first; i < first+count; i++ {
		at := seedStart.Add(time.Duration(i) * time.Minute)
		body := fmt.Sprintf("From: Sender %d <sender%d@example.org>\r\nTo: Ann <ann@example.test>\r\nSubject: Message %d about project %d\r\n"+
			"Date: %s\r\nMessage-ID: <%d@bench.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is message %d (word%d).\r\n",
			i%500, i%500, i, i%97, at.Format(time.RFC1123Z), i, i, i)
		flags := ""
		if i%3 == 0 {
			flags = "S"
		}
		p := filepath.Join(mdir, "cur", fmt.Sprintf("%d.M%dP1.bench:2,%s", at.Unix(), i, flags))
		if err := os.WriteFile(p, []byte(body), 0o660); err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
		if err := os.Chtimes(p, at, at); err != nil {
			return err
		}
	}
	return nil
}
