package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

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
