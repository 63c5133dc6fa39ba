// Command syncbench measures Mailroom's sync against a bare go-imap fetch of the same items,
// on the Dovecot that .ci/with-test-env.sh starts (MAILROOM_TEST_* in the environment). It
// seeds N messages into a fresh folder by writing Maildir files, then prints each figure
// beside its baseline and goal. The resync after new messages is compared with a bare
// SELECT + UID FETCH of as many new messages, alternating the two on fresh batches so that
// both pay for Dovecot finding and indexing the new files; optionally also at a smaller size.
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
	"slices"
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
	more := flag.Int("more", 1_000, "messages added before each resync measurement")
	rounds := flag.Int("rounds", 3, "rounds of (bare SELECT+FETCH, Mailroom resync) after new messages; medians are printed")
	small := flag.Int("small", 10_000, "messages of a second, smaller folder whose resync after new messages is compared (0 to skip)")
	dir := flag.String("dir", os.TempDir(), "folder for the database")
	flag.Parse()
	if err := run(*n, *more, *rounds, *small, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

// server is the test user on the test Dovecot.
type server struct {
	addr, user, pass string
	tls              *tls.Config
}

func run(n, more, rounds, small int, dir string) error {
	ctx := context.Background()
	addr := net.JoinHostPort("127.0.0.1", os.Getenv("MAILROOM_TEST_IMAPS_PORT"))
	userName, pass, _ := strings.Cut(strings.Split(os.Getenv("MAILROOM_TEST_USERS"), ",")[0], ":")
	pem, err := os.ReadFile(os.Getenv("MAILROOM_TEST_CA"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	srv := server{addr: addr, user: userName, pass: pass, tls: &tls.Config{RootCAs: pool}}
	folder := fmt.Sprintf("Bench%d", time.Now().Unix())
	local, domain, _ := strings.Cut(userName, "@")
	maildir := filepath.Join(os.Getenv("MAILROOM_TEST_MAILDIR"), domain, local, "Maildir")
	mdir := filepath.Join(maildir, "."+folder)
	t0 := time.Now()
	if err := seed(mdir, 0, n); err != nil {
		return err
	}
	fmt.Printf("seeded %d messages in %s\n", n, time.Since(t0).Round(time.Millisecond))

	// Warm Dovecot's cache once, so neither measurement pays for building it.
	if _, err := bareFetch(srv, folder); err != nil {
		return err
	}
	base, err := bareFetch(srv, folder)
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
	next := n
	added, err := resyncRounds(ctx, srv, store, sec, box, opt, mdir, &next, more, rounds)
	if err != nil {
		return err
	}
	fmt.Printf("resync after %s new at %s, per round (bare / Mailroom): %s\n", thousands(more), thousands(n), added.rounds())

	// The same at a tenth of the size, in its own folder and database.
	var smallAdded resyncFigures
	if small > 0 {
		sfolder := folder + "Small"
		sdir := filepath.Join(maildir, "."+sfolder)
		if err := seed(sdir, 0, small); err != nil {
			return err
		}
		if _, err := bareFetch(srv, sfolder); err != nil {
			return err
		}
		sstore, sbox, ssec, err := setup(ctx, filepath.Join(dir, fmt.Sprintf("syncbench-small-%d.db", os.Getpid())), addr, userName, pass)
		if err != nil {
			return err
		}
		defer os.Remove(sstore.Path())
		defer sstore.Close()
		sopt := mailclient.SyncOptions{Folder: sfolder}
		if _, err := timeSync(ctx, sstore, ssec, sbox, sopt, small); err != nil {
			return err
		}
		snext := small
		if smallAdded, err = resyncRounds(ctx, srv, sstore, ssec, sbox, sopt, sdir, &snext, more, rounds); err != nil {
			return err
		}
		fmt.Printf("resync after %s new at %s, per round (bare / Mailroom): %s\n", thousands(more), thousands(small), smallAdded.rounds())
	}

	perMsgFull := float64(full) / float64(n)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }
	fmt.Println()
	fmt.Println("== sync ratios (lower is better)")
	fmt.Printf("%-52s %10s  baseline %10s  ratio %.2f (goal 1.5)\n", "full sync of "+strconv.Itoa(n)+" into SQLite vs bare UID FETCH",
		full.Round(time.Millisecond), base.Round(time.Millisecond), float64(full)/float64(base))
	fmt.Printf("%-52s %10s  full sync %9s  ratio %.4f (goal 0.02)\n", "resync, nothing changed",
		again.Round(time.Millisecond), full.Round(time.Millisecond), float64(again)/float64(full))
	fmt.Printf("resync after %s new: Mailroom %s, bare SELECT+FETCH of the %s %s, ratio %.2f (medians of %d, same run)\n",
		thousands(more), ms(added.mailroom), thousands(more), ms(added.bare), float64(added.mailroom)/float64(added.bare), rounds)
	fmt.Printf("  bare = connect+login %s + SELECT %s + UID FETCH %s; Mailroom's resync also connects and logs in\n",
		ms(added.bareConnect), ms(added.bareSelect), ms(added.bareFetch))
	fmt.Printf("%-52s %10s  %d×full/msg %6s  ratio %.2f (goal ~1)\n", fmt.Sprintf("resync after %d new (proportional, old view)", more),
		added.mailroom.Round(time.Millisecond), more, time.Duration(perMsgFull*float64(more)).Round(time.Millisecond),
		float64(added.mailroom)/(perMsgFull*float64(more)))
	if small > 0 {
		fmt.Printf("resync after %s new at %s vs at %s messages: Mailroom %s vs %s (×%.2f); bare SELECT+FETCH %s vs %s (×%.2f)\n",
			thousands(more), thousands(small), thousands(n), ms(smallAdded.mailroom), ms(added.mailroom),
			float64(added.mailroom)/float64(smallAdded.mailroom), ms(smallAdded.bare), ms(added.bare),
			float64(added.bare)/float64(smallAdded.bare))
	}
	var ru runtime.MemStats
	runtime.ReadMemStats(&ru)
	fmt.Printf("%-52s %7.1f MB  goal %7.1f MB  ratio %.2f (goal 1)\n", "peak Go heap during full sync",
		float64(peak.Load())/1e6, 200.0, float64(peak.Load())/200e6)
	fmt.Printf("%-52s %7.1f MB (Sys, whole run)\n", "memory obtained from the OS", float64(ru.Sys)/1e6)
	return nil
}

// resyncFigures are the medians of resyncRounds.
type resyncFigures struct {
	mailroom, bare, bareConnect, bareSelect, bareFetch time.Duration
	each                                               [][2]time.Duration // bare, Mailroom per round
}

func (f resyncFigures) rounds() string {
	var parts []string
	for _, r := range f.each {
		parts = append(parts, fmt.Sprintf("%.0f / %.0f ms", float64(r[0])/1e6, float64(r[1])/1e6))
	}
	return strings.Join(parts, ", ")
}

// resyncRounds measures, rounds times, what getting more new messages costs a bare client
// and Mailroom, each time on a fresh batch Dovecot has not seen yet (so both pay its scan of
// the Maildir and the indexing of the new files): it adds a batch and times a bare SELECT +
// UID FETCH of it; lets Mailroom catch up on that batch (not timed); adds another batch and
// times Mailroom's resync. *next numbers the messages seeded into mdir.
func resyncRounds(ctx context.Context, srv server, store *data.Store, sec secrets, box *data.Mailbox, opt mailclient.SyncOptions,
	mdir string, next *int, more, rounds int) (resyncFigures, error) {
	var f resyncFigures
	var mr, bt, bc, bs, bf []time.Duration
	for range rounds {
		// Taken before the batch is written: Dovecot sees nothing new yet.
		from, err := uidNext(srv, opt.Folder)
		if err != nil {
			return f, err
		}
		if err := seed(mdir, *next, more); err != nil {
			return f, err
		}
		*next += more
		b, err := bareNew(srv, opt.Folder, from, more)
		if err != nil {
			return f, err
		}
		if _, err := timeSync(ctx, store, sec, box, opt, more); err != nil { // catch up, not timed
			return f, err
		}
		if err := seed(mdir, *next, more); err != nil {
			return f, err
		}
		*next += more
		d, err := timeSync(ctx, store, sec, box, opt, more)
		if err != nil {
			return f, err
		}
		total := b.connect + b.sel + b.fetch
		mr, bt, bc, bs, bf = append(mr, d), append(bt, total), append(bc, b.connect), append(bs, b.sel), append(bf, b.fetch)
		f.each = append(f.each, [2]time.Duration{total, d})
	}
	f.mailroom, f.bare, f.bareConnect, f.bareSelect, f.bareFetch = median(mr), median(bt), median(bc), median(bs), median(bf)
	return f, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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

// dial connects and logs in as the test user.
func dial(srv server) (*imapclient.Client, error) {
	c, err := imapclient.DialTLS(srv.addr, &imapclient.Options{TLSConfig: srv.tls})
	if err != nil {
		return nil, err
	}
	if err := c.Login(srv.user, srv.pass).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// bareFetch is the baseline: one UID FETCH of the items a sync asks for, streamed and
// decoded by go-imap, nothing stored.
func bareFetch(srv server, folder string) (time.Duration, error) {
	start := time.Now()
	c, err := dial(srv)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	if _, err := fetchItems(c, all); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// fetchItems runs UID FETCH of set with the items Mailroom asks for new messages, decoding
// each message and keeping nothing; it returns how many came.
func fetchItems(c *imapclient.Client, set imap.UIDSet) (int, error) {
	cmd := c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true}})
	n := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		if _, err := msg.Collect(); err != nil {
			cmd.Close()
			return n, err
		}
		n++
	}
	return n, cmd.Close()
}

// bareTimes are the steps of bareNew.
type bareTimes struct{ connect, sel, fetch time.Duration }

// bareNew is the resync baseline: what any client must do to get the messages from UID from
// on: connect and log in, SELECT the folder (where Dovecot finds and indexes new files), UID
// FETCH from:* with the items Mailroom fetches, nothing stored. It checks that want came.
func bareNew(srv server, folder string, from imap.UID, want int) (bareTimes, error) {
	var t bareTimes
	start := time.Now()
	c, err := dial(srv)
	if err != nil {
		return t, err
	}
	defer c.Close()
	t.connect = time.Since(start)
	start = time.Now()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return t, err
	}
	t.sel = time.Since(start)
	start = time.Now()
	var set imap.UIDSet
	set.AddRange(from, 0)
	got, err := fetchItems(c, set)
	if err != nil {
		return t, err
	}
	t.fetch = time.Since(start)
	if got != want {
		return t, fmt.Errorf("bare fetch of UID %d:* got %d messages, want %d", from, got, want)
	}
	return t, nil
}

// uidNext returns folder's UIDNEXT as Dovecot knows it now.
func uidNext(srv server, folder string) (imap.UID, error) {
	c, err := dial(srv)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{UIDNext: true}).Wait()
	if err != nil {
		return 0, err
	}
	return st.UIDNext, nil
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
