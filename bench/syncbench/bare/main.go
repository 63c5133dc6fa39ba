// Command bare is the baseline of the sync benchmark: the least any IMAP client must do to
// get the items a sync stores, as a process of its own. It connects over IMAPS to the test
// Dovecot (MAILROOM_TEST_* in the environment), logs in as the first test user, SELECTs the
// folder, and runs one UID FETCH from:* of UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE
// BODYSTRUCTURE (FETCH 1:* for the whole folder), decoding every message with go-imap and keeping nothing. It fails unless
// exactly -want messages came (when -want is given).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func main() {
	folder := flag.String("folder", "INBOX", "folder to fetch")
	from := flag.Uint("from", 1, "first UID to fetch")
	want := flag.Int("want", -1, "messages that must come (-1: any)")
	flag.Parse()
	n, err := fetch(*folder, imap.UID(*from))
	if err == nil && *want >= 0 && n != *want {
		err = fmt.Errorf("got %d messages, want %d", n, *want)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

func fetch(folder string, from imap.UID) (int, error) {
	pem, err := os.ReadFile(os.Getenv("MAILROOM_TEST_CA"))
	if err != nil {
		return 0, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	user, pass, _ := strings.Cut(strings.Split(os.Getenv("MAILROOM_TEST_USERS"), ",")[0], ":")
	addr := net.JoinHostPort("127.0.0.1", os.Getenv("MAILROOM_TEST_IMAPS_PORT"))
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	// The whole folder as FETCH 1:*, new messages as UID FETCH from:*.
	var set imap.NumSet = imap.SeqSetNum()
	if from > 1 {
		set = imap.UIDSetNum()
	}
	set = addAll(set, from)
	cmd := c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true}})
	n := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		b, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return n, err
		}
		if b.UID >= from {
			n++
		}
	}
	return n, cmd.Close()
}

// addAll returns set with the range from:* added.
func addAll(set imap.NumSet, from imap.UID) imap.NumSet {
	switch s := set.(type) {
	case imap.SeqSet:
		s.AddRange(1, 0)
		return s
	case imap.UIDSet:
		s.AddRange(from, 0)
		return s
	}
	return set
}
