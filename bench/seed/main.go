// Command seed fills a Mailroom database with generated providers and domains for benchmarks.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"mailroom/data"
)

func main() {
	db := flag.String("db", "", "database file to create")
	n := flag.Int("providers", 10000, "number of providers")
	per := flag.Int("domains", 3, "domains per provider")
	msgs := flag.Int("messages", 0, "number of messages in a seeded mailbox's Inbox")
	user := flag.String("user", "bench", "the user who owns the seeded mailbox")
	flag.Parse()
	if *db == "" {
		fmt.Fprintln(os.Stderr, "usage: seed --db PATH [--providers N] [--domains N] [--messages N --user NAME]")
		os.Exit(2)
	}
	s, err := data.Open(*db, *user)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()
	for i := 0; i < *n; i++ {
		p := data.NewProvider()
		p.Name = fmt.Sprintf("Provider %05d Mail", i)
		p.IMAP.Host = fmt.Sprintf("imap.provider%05d.example", i)
		p.SMTP.Host = fmt.Sprintf("smtp.provider%05d.example", i)
		for d := 0; d < *per; d++ {
			p.Domains = append(p.Domains, fmt.Sprintf("d%d.provider%05d.example", d, i))
		}
		if err := s.Save(context.Background(), p); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if *msgs > 0 {
		if err := seedMessages(context.Background(), s, *msgs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
