// Command openbench measures opening uncached messages one after another through a link
// that adds latency each way (a TCP relay on 127.0.0.1 in front of the test Dovecot), side by
// side: Mailroom's mailbox worker, which keeps one logged-in connection, against the
// per-action connection Mailroom used before (connect, TLS, LOGIN, SELECT, FETCH, STORE
// \Seen, LOGOUT for each message). It counts the round trips of each open (the times the
// client waited for the server's answer) and its time, and prints both with ratios.
//
// Run it with the test servers: bash .ci/with-test-env.sh go run ./bench/openbench
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
	"mailroom/mailclient"
)

func main() {
	n := flag.Int("n", 20, "messages opened in a row by each side")
	delay := flag.Duration("delay", 50*time.Millisecond, "latency the relay adds each way")
	size := flag.Int("size", 20<<10, "bytes of each message's body")
	flag.Parse()
	if err := run(*n, *delay, *size); err != nil {
		log.Fatal(err)
	}
}

// env is the test servers as .ci/with-test-env.sh describes them.
type env struct {
	imaps, ca, maildir, user, pass string
}

func loadEnv() (env, error) {
	e := env{imaps: "127.0.0.1:" + os.Getenv("MAILROOM_TEST_IMAPS_PORT"), ca: os.Getenv("MAILROOM_TEST_CA"),
		maildir: os.Getenv("MAILROOM_TEST_MAILDIR")}
	first, _, _ := strings.Cut(os.Getenv("MAILROOM_TEST_USERS"), ",")
	e.user, e.pass, _ = strings.Cut(first, ":")
	if e.ca == "" || e.user == "" {
		return e, fmt.Errorf("no test servers: run through .ci/with-test-env.sh")
	}
	return e, nil
}

func run(n int, delay time.Duration, size int) error {
	e, err := loadEnv()
	if err != nil {
		return err
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	worker, baseline := "OpenW"+stamp, "OpenB"+stamp
	for _, f := range []string{worker, baseline} {
		if err := seed(e, f, n, size); err != nil {
			return err
		}
	}
	relay, err := newRelay(e.imaps, delay)
	if err != nil {
		return err
	}
	base, err := openBaseline(e, relay, baseline, n)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	mine, err := openWithWorker(e, relay, worker, n)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	report(n, delay, size, base, mine)
	return nil
}

// open is one message opened: how long it took and how many round trips.
type open struct {
	took  time.Duration
	trips int64
}

func report(n int, delay time.Duration, size int, base, mine []open) {
	fmt.Printf("Opening %d uncached messages of %d KiB in a row, %v added each way (round trip %v)\n\n", n, size>>10, delay, 2*delay)
	fmt.Printf("%4s  %22s  %22s\n", "", "per-action connection", "mailbox worker")
	for i := range base {
		fmt.Printf("%4d  %8.0f ms %3d trips  %8.0f ms %3d trips\n", i+1, ms(base[i].took), base[i].trips, ms(mine[i].took), mine[i].trips)
	}
	bm, mm := median(base[1:]), median(mine[1:])
	bs, msl := slowest(base[1:]), slowest(mine[1:])
	fmt.Printf("\nAfter the first (%d opens):\n", len(base)-1)
	fmt.Printf("  median time     %8.0f ms  %8.0f ms   ratio %.2f\n", ms(bm.took), ms(mm.took), float64(mm.took)/float64(bm.took))
	fmt.Printf("  slowest time    %8.0f ms  %8.0f ms   ratio %.2f\n", ms(bs.took), ms(msl.took), float64(msl.took)/float64(bs.took))
	fmt.Printf("  median trips    %8d     %8d        ratio %.2f\n", bm.trips, mm.trips, float64(mm.trips)/float64(bm.trips))
	most := int64(0)
	for _, o := range mine[1:] {
		most = max(most, o.trips)
	}
	verdict := "met"
	if most > 3 {
		verdict = "NOT met"
	}
	fmt.Printf("  most trips of one open with the worker: %d (goal ≤ 3: %s)\n", most, verdict)
	fmt.Printf("  first open: %.0f ms, %d trips (per-action) vs %.0f ms, %d trips (worker: connect, TLS, LOGIN, SELECT)\n",
		ms(base[0].took), base[0].trips, ms(mine[0].took), mine[0].trips)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(os []open) open {
	s := slices.Clone(os)
	slices.SortFunc(s, func(a, b open) int { return int(a.took - b.took) })
	t := slices.Clone(os)
	slices.SortFunc(t, func(a, b open) int { return int(a.trips - b.trips) })
	return open{took: s[len(s)/2].took, trips: t[len(t)/2].trips}
}

func slowest(os []open) open {
	out := os[0]
	for _, o := range os {
		if o.took > out.took {
			out = o
		}
	}
	return out
}

// seed writes n messages of size bytes into a new Maildir folder of the test user.
func seed(e env, folder string, n, size int) error {
	local, domain, _ := strings.Cut(e.user, "@")
	maildir := filepath.Join(e.maildir, domain, local, "Maildir")
	dir := filepath.Join(maildir, "."+folder)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o770); err != nil {
			return err
		}
	}
	body := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", size/58+1)[:size]
	for i := range n {
		msg := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: %s %d\r\nDate: Mon, 3 Mar 2025 09:%02d:00 +0000\r\n\r\n%s", e.user, folder, i, i%60, body)
		name := fmt.Sprintf("%d.M%dP%d.openbench:2,", 1740992400+i, i, os.Getpid())
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(msg), 0o660); err != nil {
			return err
		}
	}
	u, err := user.Lookup("mail")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(filepath.Dir(filepath.Dir(maildir)), func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Lchown(p, uid, gid)
		}
		return nil
	})
}

// openBaseline opens each message of folder as Mailroom did before the worker: a new
// connection for each.
func openBaseline(e env, r *relay, folder string, n int) ([]open, error) {
	pem, err := os.ReadFile(e.ca)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	uids, err := folderUIDs(e, roots, folder)
	if err != nil {
		return nil, err
	}
	var out []open
	for _, uid := range uids[:n] {
		before, start := r.trips.Load(), time.Now()
		if err := openOnce(r.addr, roots, e, folder, uid); err != nil {
			return nil, err
		}
		out = append(out, open{took: time.Since(start), trips: r.trips.Load() - before})
	}
	return out, nil
}

// openOnce is the old per-action connection: connect, TLS, LOGIN, SELECT, FETCH the body,
// STORE \Seen, LOGOUT.
func openOnce(addr string, roots *x509.CertPool, e env, folder string, uid imap.UID) error {
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(e.user, e.pass).Wait(); err != nil {
		return err
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		return err
	}
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: mailclient.MaxBodySize}}
	bufs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil || len(bufs) == 0 {
		return fmt.Errorf("fetch %d: %v", uid, err)
	}
	if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return err
	}
	return c.Logout().Wait()
}

// folderUIDs lists the UIDs of folder, talking to Dovecot directly (not timed).
func folderUIDs(e env, roots *x509.CertPool, folder string) ([]imap.UID, error) {
	c, err := imapclient.DialTLS(e.imaps, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(e.user, e.pass).Wait(); err != nil {
		return nil, err
	}
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		return nil, err
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return nil, err
	}
	return res.AllUIDs(), nil
}

// openWithWorker syncs folder into a new database and opens its messages through Mail.
func openWithWorker(e env, r *relay, folder string, n int) ([]open, error) {
	dir, err := os.MkdirTemp("", "openbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s, err := data.Open(filepath.Join(dir, "m.db"), "bench")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx := context.Background()
	host, portText, _ := net.SplitHostPort(r.addr)
	port, _ := strconv.Atoi(portText)
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security, p.SMTP.Host = "Bench", host, port, data.SecuritySSL, host
	if err := s.Save(ctx, p); err != nil {
		return nil, err
	}
	pin, err := fingerprint(e.imaps)
	if err != nil {
		return nil, err
	}
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: host, Port: port, SHA256: pin}); err != nil {
		return nil, err
	}
	box := &data.Mailbox{Address: e.user, ProviderID: p.ID, Login: e.user}
	if err := s.SaveMailbox(ctx, box); err != nil {
		return nil, err
	}
	secrets := &memSecrets{m: map[string]string{box.KeyringRef: e.pass}}
	if _, err := mailclient.SyncMailbox(ctx, s, secrets, box, mailclient.SyncOptions{Folder: folder}); err != nil {
		return nil, err
	}
	fs, err := s.Folders(ctx, box.ID)
	if err != nil {
		return nil, err
	}
	var f *data.Folder
	for _, x := range fs {
		if x.Name == folder {
			f = x
		}
	}
	if f == nil {
		return nil, fmt.Errorf("folder %s not synced", folder)
	}
	page, err := s.MessagePage(ctx, f.ID, data.Cursor{}, n)
	if err != nil {
		return nil, err
	}
	mail := &mailclient.Mail{Store: s, Secrets: secrets}
	defer mail.Close()
	var out []open
	for _, m := range page {
		before, start := r.trips.Load(), time.Now()
		if _, err := mail.OpenMessage(ctx, m.ID); err != nil {
			return nil, err
		}
		out = append(out, open{took: time.Since(start), trips: r.trips.Load() - before})
	}
	if len(out) < n {
		return nil, fmt.Errorf("opened %d of %d", len(out), n)
	}
	return out, nil
}

func fingerprint(addr string) (string, error) {
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // only to read the certificate to pin
	if err != nil {
		return "", err
	}
	defer c.Close()
	sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:]), nil
}

// memSecrets keeps the password in memory.
type memSecrets struct{ m map[string]string }

func (s *memSecrets) Set(_ context.Context, ref, pw string) error { s.m[ref] = pw; return nil }
func (s *memSecrets) Get(_ context.Context, ref string) (string, error) {
	pw, ok := s.m[ref]
	if !ok {
		return "", data.ErrNotFound
	}
	return pw, nil
}
func (s *memSecrets) Delete(_ context.Context, ref string) error { delete(s.m, ref); return nil }

// relay forwards TCP connections to a server, delaying every chunk by delay each way, and
// counts round trips: the times data came back from the server after the client had sent
// something since the server last spoke.
type relay struct {
	addr  string
	to    string
	delay time.Duration
	trips atomic.Int64
}

func newRelay(to string, delay time.Duration) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{addr: ln.Addr().String(), to: to, delay: delay}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r, nil
}

func (r *relay) serve(c net.Conn) {
	s, err := net.Dial("tcp", r.to)
	if err != nil {
		c.Close()
		return
	}
	var mu sync.Mutex
	clientSpoke := false
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		r.pipe(c, s, func() { mu.Lock(); clientSpoke = true; mu.Unlock() })
	}()
	go func() {
		defer wg.Done()
		r.pipe(s, c, func() {
			mu.Lock()
			if clientSpoke {
				r.trips.Add(1)
				clientSpoke = false
			}
			mu.Unlock()
		})
	}()
	wg.Wait()
}

// pipe copies from src to dst, each chunk delivered delay after it was read, in order;
// read is told of each chunk as it is read.
func (r *relay) pipe(src, dst net.Conn, read func()) {
	type chunk struct {
		at time.Time
		b  []byte
	}
	q := make(chan chunk, 1024)
	go func() {
		defer dst.Close()
		for ch := range q {
			time.Sleep(time.Until(ch.at))
			if _, err := dst.Write(ch.b); err != nil {
				io.Copy(io.Discard, src)
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			read()
			q <- chunk{at: time.Now().Add(r.delay), b: slices.Clone(buf[:n])}
		}
		if err != nil {
			close(q)
			return
		}
	}
}
