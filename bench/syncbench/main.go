// Command syncbench measures Mailroom's sync against a bare go-imap fetch of the same items,
// on the Dovecot that .ci/with-test-env.sh starts (MAILROOM_TEST_* in the environment). It
// seeds N messages into a fresh folder by writing Maildir files, then prints each figure
// beside its baseline and goal.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
	"mailroom/mailclient"
)

type secrets map[string]string

func (s secrets) Set(_ context.Context, ref, pw string) error { s[ref] = pw; return nil }
func (s secrets) Get(_ context.Context, ref string) (string, error) {
	if pw, ok := s[ref]; ok {
		return pw, nil
	}
	return "", data.ErrNotFound
}
func (s secrets) Delete(context.Context, string) error { return nil }

func main() {
	n := flag.Int("n", 100_000, "messages to seed")
	more := flag.Int("more", 1_000, "messages added before the third measurement")
	dir := flag.String("dir", os.TempDir(), "folder for the database")
	flag.Parse()
	if err := run(*n, *more, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func run(n, more int, dir string) error {
	ctx := context.Background()
	addr := net.JoinHostPort("127.0.0.1", os.Getenv("MAILROOM_TEST_IMAPS_PORT"))
	userName, pass, _ := strings.Cut(strings.Split(os.Getenv("MAILROOM_TEST_USERS"), ",")[0], ":")
	folder := fmt.Sprintf("Bench%d", time.Now().Unix())
	local, domain, _ := strings.Cut(userName, "@")
	mdir := filepath.Join(os.Getenv("MAILROOM_TEST_MAILDIR"), domain, local, "Maildir", "."+folder)
	t0 := time.Now()
	if err := seed(mdir, 0, n); err != nil {
		return err
	}
	fmt.Printf("seeded %d messages in %s\n", n, time.Since(t0).Round(time.Millisecond))

	// Warm Dovecot's cache once, so neither measurement pays for building it.
	if _, err := bareFetch(addr, userName, pass, folder); err != nil {
		return err
	}
	base, err := bareFetch(addr, userName, pass, folder)
	if err != nil {
		return err
	}
	store, box, sec, err := setup(ctx, filepath.Join(dir, fmt.Sprintf("syncbench-%d.db", os.Getpid())), addr, userName, pass)
	if err != nil {
		return err
	}
	defer os.Remove(store.Path())
	defer store.Close()
	opt := mailclient.SyncOptions{Folder: folder}

	var peak atomic.Uint64
	stop := sampleHeap(&peak)
	full, err := timeSync(ctx, store, sec, box, opt, n)
	stop()
	if err != nil {
		return err
	}
	again, err := timeSync(ctx, store, sec, box, opt, 0)
	if err != nil {
		return err
	}
	if err := seed(mdir, n, more); err != nil {
		return err
	}
	added, err := timeSync(ctx, store, sec, box, opt, more)
	if err != nil {
		return err
	}
	perMsgFull := float64(full) / float64(n)
	fmt.Println()
	fmt.Println("== sync ratios (lower is better)")
	fmt.Printf("%-52s %10s  baseline %10s  ratio %.2f (goal 1.5)\n", "full sync of "+strconv.Itoa(n)+" into SQLite vs bare UID FETCH",
		full.Round(time.Millisecond), base.Round(time.Millisecond), float64(full)/float64(base))
	fmt.Printf("%-52s %10s  full sync %9s  ratio %.4f (goal 0.02)\n", "resync, nothing changed",
		again.Round(time.Millisecond), full.Round(time.Millisecond), float64(again)/float64(full))
	fmt.Printf("%-52s %10s  %d×full/msg %6s  ratio %.2f (goal ~1)\n", fmt.Sprintf("resync after %d new", more),
		added.Round(time.Millisecond), more, time.Duration(perMsgFull*float64(more)).Round(time.Millisecond),
		float64(added)/(perMsgFull*float64(more)))
	var ru runtime.MemStats
	runtime.ReadMemStats(&ru)
	fmt.Printf("%-52s %7.1f MB  goal %7.1f MB  ratio %.2f (goal 1)\n", "peak Go heap during full sync",
		float64(peak.Load())/1e6, 200.0, float64(peak.Load())/200e6)
	fmt.Printf("%-52s %7.1f MB (Sys, whole run)\n", "memory obtained from the OS", float64(ru.Sys)/1e6)
	return nil
}

// seed writes count messages numbered from first into mdir's cur folder.
func seed(mdir string, first, count int) error {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(mdir, sub), 0o770); err != nil {
			return err
		}
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+count; i++ {
		body := fmt.Sprintf("From: Sender %d <sender%d@example.org>\r\nTo: Ann <ann@example.test>\r\nSubject: Message %d about project %d\r\n"+
			"Date: %s\r\nMessage-ID: <%d@bench.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is message %d.\r\n",
			i%500, i%500, i, i%97, start.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z), i, i)
		flags := ""
		if i%3 == 0 {
			flags = "S"
		}
		p := filepath.Join(mdir, "cur", fmt.Sprintf("%d.M%dP1.bench:2,%s", start.Unix()+int64(i), i, flags))
		if err := os.WriteFile(p, []byte(body), 0o660); err != nil {
			return err
		}
		at := start.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, at, at)
	}
	u, err := user.Lookup("mail")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	root := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(mdir))))
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Lchown(p, uid, gid)
		}
		return nil
	})
}

// bareFetch is the baseline: one UID FETCH of the items a sync asks for, streamed and
// decoded by go-imap, nothing stored.
func bareFetch(addr, userName, pass, folder string) (time.Duration, error) {
	pem, err := os.ReadFile(os.Getenv("MAILROOM_TEST_CA"))
	if err != nil {
		return 0, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	start := time.Now()
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(userName, pass).Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	cmd := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true}})
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if _, err := msg.Collect(); err != nil {
			return 0, err
		}
	}
	if err := cmd.Close(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// setup creates a database with the test user's mailbox, the server's certificate pinned.
func setup(ctx context.Context, path, addr, userName, pass string) (*data.Store, *data.Mailbox, secrets, error) {
	s, err := data.Open(path, "bench")
	if err != nil {
		return nil, nil, nil, err
	}
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security, p.SMTP.Host = "Bench", host, port, data.SecuritySSL, host
	if err := s.Save(ctx, p); err != nil {
		return nil, nil, nil, err
	}
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // only to read the fingerprint to pin
	if err != nil {
		return nil, nil, nil, err
	}
	sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
	c.Close()
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: host, Port: port, SHA256: hex.EncodeToString(sum[:])}); err != nil {
		return nil, nil, nil, err
	}
	m := &data.Mailbox{Address: userName, ProviderID: p.ID, Login: userName}
	if err := s.SaveMailbox(ctx, m); err != nil {
		return nil, nil, nil, err
	}
	sec := secrets{m.KeyringRef: pass}
	return s, m, sec, nil
}

func timeSync(ctx context.Context, s *data.Store, sec secrets, m *data.Mailbox, opt mailclient.SyncOptions, want int) (time.Duration, error) {
	start := time.Now()
	sums, err := mailclient.SyncMailbox(ctx, s, sec, m, opt)
	if err != nil {
		return 0, fmt.Errorf("sync: %w", err)
	}
	if len(sums) != 1 || sums[0].New != want {
		return 0, fmt.Errorf("sync added %+v, want %d", sums, want)
	}
	return time.Since(start), nil
}

// sampleHeap records the largest HeapInuse seen every 20 ms until the returned stop is called.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}
