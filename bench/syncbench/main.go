// Command syncbench measures Mailroom's sync as a user or a script waits for it, as whole
// processes side by side in one run, on the Dovecot that .ci/with-test-env.sh starts
// (MAILROOM_TEST_* in the environment, its keyring too):
//
//   - the full first sync, `mailroom --db NEW sync ADDRESS --headers-only` (every folder, N
//     messages in the Inbox; the bodies a mailbox keeps on this computer come after, apart), against the bare client (bench/syncbench/bare: connect, LOGIN, SELECT, FETCH 1:*
//     of the same items, decoded and dropped), alternating which goes first, -rounds times;
//   - the unchanged resync of every folder right after each full sync, as a share of it;
//   - the resync after -more new messages against the bare client's SELECT + UID FETCH of as
//     many new ones, each on a fresh batch Dovecot has not indexed yet, alternating;
//   - the peak RSS of each full sync (the kernel's rusage of the process).
//
// Messages are seeded with bench/seed. Each figure is printed per round, then as the median
// and the slowest ratio beside its goal.
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
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// tools are the programs the benchmark runs.
type tools struct{ mailroom, bare, seed string }

func main() {
	n := flag.Int("n", 100_000, "messages seeded into the Inbox")
	more := flag.Int("more", 1_000, "new messages before each resync-after-new measurement")
	rounds := flag.Int("rounds", 3, "rounds of each alternating comparison")
	dir := flag.String("dir", os.TempDir(), "folder for the databases")
	var t tools
	flag.StringVar(&t.mailroom, "mailroom", "mailroom", "the mailroom executable")
	flag.StringVar(&t.bare, "bare", "bare", "the bare client (bench/syncbench/bare)")
	flag.StringVar(&t.seed, "seed", "seed", "the seeder (bench/seed)")
	flag.Parse()
	if err := run(t, *n, *more, *rounds, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

// bench is one run's server, account and tools.
type bench struct {
	tools
	addr, user, pass string
	inbox            string // the Inbox's Maildir
	dir              string
	seeded           int // messages written to the Inbox so far
}

// result is one timed process.
type result struct {
	wall time.Duration
	rss  int64 // peak resident set, bytes
	out  string
}

func run(t tools, n, more, rounds int, dir string) error {
	userName, pass, _ := strings.Cut(strings.Split(os.Getenv("MAILROOM_TEST_USERS"), ",")[0], ":")
	local, domain, _ := strings.Cut(userName, "@")
	b := &bench{tools: t, addr: net.JoinHostPort("127.0.0.1", os.Getenv("MAILROOM_TEST_IMAPS_PORT")),
		user: userName, pass: pass, dir: dir,
		inbox: filepath.Join(os.Getenv("MAILROOM_TEST_MAILDIR"), domain, local, "Maildir")}
	if _, err := b.uidNext(); err != nil { // the first login makes Dovecot create the Maildir
		return err
	}
	start := time.Now()
	if err := b.seedMore(n); err != nil {
		return err
	}
	fmt.Printf("seeded %s messages into the Inbox in %s\n", thousands(n), time.Since(start).Round(time.Millisecond))

	// Warm up once each, untimed: Dovecot builds its cache, the page cache holds both programs.
	if _, err := b.runBare(1, n); err != nil {
		return err
	}
	warm, err := b.newDB("warm")
	if err != nil {
		return err
	}
	if _, err := b.sync(warm, n); err != nil {
		return err
	}
	os.Remove(warm)

	var full, bare, again []result
	var db string
	for r := range rounds {
		if db != "" {
			os.Remove(db)
		}
		if db, err = b.newDB(fmt.Sprint(r)); err != nil {
			return err
		}
		var f, a, base result
		steps := []func() error{
			func() (err error) { base, err = b.runBare(1, n); return },
			func() (err error) {
				if f, err = b.sync(db, n); err == nil {
					a, err = b.sync(db, 0)
				}
				return
			},
		}
		if r%2 == 1 {
			slices.Reverse(steps)
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
		full, bare, again = append(full, f), append(bare, base), append(again, a)
		fmt.Printf("round %d: full sync %s (peak RSS %.1f MB), bare FETCH 1:* %s (%.1f MB), unchanged resync %s\n", r+1,
			ms(f.wall), mb(f.rss), ms(base.wall), mb(base.rss), ms(a.wall))
	}
	defer os.Remove(db)

	newM, newB, err := b.resyncRounds(db, more, rounds)
	if err != nil {
		return err
	}

	fmt.Println()
	fmt.Println("== sync, whole processes (lower is better; median and slowest of the rounds)")
	report(fmt.Sprintf("full first sync of %s vs bare FETCH 1:*", thousands(n)), full, bare, 1.3, false)
	report("unchanged resync (all folders) as a share of the full sync", again, full, 0.02, true)
	report(fmt.Sprintf("resync after %s new vs bare SELECT + UID FETCH of them", thousands(more)), newM, newB, 1.2, false)
	rss := func(rs []result) []float64 {
		var out []float64
		for _, r := range rs {
			out = append(out, mb(r.rss))
		}
		return out
	}
	fr, br := rss(full), rss(bare)
	fmt.Printf("%-62s median %6.1f MB  largest %6.1f MB  (bare client %.1f MB)  goal ≤ 100 MB\n",
		"peak RSS of the full sync", median(fr), slices.Max(fr), median(br))
	return nil
}

// report prints the per-round ratios of got to base, their median and the slowest.
func report(label string, got, base []result, goal float64, percent bool) {
	var ratios []float64
	var parts []string
	for i := range got {
		r := float64(got[i].wall) / float64(base[i].wall)
		ratios = append(ratios, r)
		parts = append(parts, fmt.Sprintf("%s/%s", ms(got[i].wall), ms(base[i].wall)))
	}
	f := func(v float64) string {
		if percent {
			return fmt.Sprintf("%.2f %%", v*100)
		}
		return fmt.Sprintf("%.2f", v)
	}
	fmt.Printf("%-62s median %s  slowest %s  goal ≤ %s\n", label, f(median(ratios)), f(slices.Max(ratios)), f(goal))
	fmt.Printf("    per round (measured/baseline): %s\n", strings.Join(parts, ", "))
}

// resyncRounds measures, rounds times, what getting more new messages costs the bare client
// and Mailroom, each on a fresh batch Dovecot has not indexed yet (both pay its scan of the
// Maildir and the indexing of the new files), alternating which is measured first. Mailroom
// catches up, untimed, on the batch the bare client fetched.
func (b *bench) resyncRounds(db string, more, rounds int) (mailroom, bare []result, err error) {
	measureBare := func() error {
		from, err := b.uidNext()
		if err != nil {
			return err
		}
		if err := b.seedMore(more); err != nil {
			return err
		}
		r, err := b.runBare(from, more)
		if err != nil {
			return err
		}
		bare = append(bare, r)
		_, err = b.sync(db, more) // catch up, untimed
		return err
	}
	measureMailroom := func() error {
		if err := b.seedMore(more); err != nil {
			return err
		}
		r, err := b.sync(db, more)
		mailroom = append(mailroom, r)
		return err
	}
	for r := range rounds {
		steps := []func() error{measureBare, measureMailroom}
		if r%2 == 1 {
			slices.Reverse(steps)
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return nil, nil, err
			}
		}
		fmt.Printf("round %d: resync after %s new %s, bare SELECT + UID FETCH of %s new %s\n", r+1, thousands(more),
			ms(mailroom[r].wall), thousands(more), ms(bare[r].wall))
	}
	return mailroom, bare, nil
}

// seedMore writes count more messages into the Inbox's Maildir.
func (b *bench) seedMore(count int) error {
	out, err := exec.Command(b.seed, "--maildir", b.inbox, "--first", strconv.Itoa(b.seeded), "--messages", strconv.Itoa(count)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("seed: %v: %s", err, out)
	}
	b.seeded += count
	return nil
}

// timed runs the program and returns its wall time from start to exit and its peak RSS.
func timed(name string, args ...string) (result, error) {
	cmd := exec.Command(name, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(start), out: out.String()}
	if err != nil {
		return r, fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, r.out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = ru.Maxrss * 1024
	}
	return r, nil
}

// runBare runs the bare client on the Inbox from UID from, which must bring want messages.
func (b *bench) runBare(from imap.UID, want int) (result, error) {
	return timed(b.bare, "-from", strconv.Itoa(int(from)), "-want", strconv.Itoa(want))
}

// sync runs `mailroom --db db sync ADDRESS --headers-only` (the bodies of kept messages are
// downloaded after the headers, a background job that the bare client does not do) and
// checks that it added want messages.
func (b *bench) sync(db string, want int) (result, error) {
	r, err := timed(b.mailroom, "--db", db, "sync", b.user, "--headers-only")
	if err != nil {
		return r, err
	}
	if !strings.Contains(r.out, fmt.Sprintf(": %d new,", want)) {
		return r, fmt.Errorf("mailroom sync: want %d new, said: %s", want, r.out)
	}
	return r, nil
}

// uidNext returns the Inbox's UIDNEXT as Dovecot knows it now.
func (b *bench) uidNext() (imap.UID, error) {
	pem, err := os.ReadFile(os.Getenv("MAILROOM_TEST_CA"))
	if err != nil {
		return 0, err
	}
	pool := x509Pool(pem)
	c, err := imapclient.DialTLS(b.addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(b.user, b.pass).Wait(); err != nil {
		return 0, err
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{UIDNext: true}).Wait()
	if err != nil {
		return 0, err
	}
	return st.UIDNext, nil
}

// newDB creates a database, as the user mailroom runs as, holding the test user's mailbox
// (the server's certificate pinned, the password in the session's keyring).
func (b *bench) newDB(name string) (string, error) {
	ctx := context.Background()
	path := filepath.Join(b.dir, fmt.Sprintf("syncbench-%d-%s.db", os.Getpid(), name))
	os.Remove(path)
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	s, err := data.Open(path, u.Username)
	if err != nil {
		return "", err
	}
	defer s.Close()
	host, portText, _ := net.SplitHostPort(b.addr)
	port, _ := strconv.Atoi(portText)
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security, p.SMTP.Host = "Bench", host, port, data.SecuritySSL, host
	if err := s.Save(ctx, p); err != nil {
		return "", err
	}
	c, err := tls.Dial("tcp", b.addr, &tls.Config{InsecureSkipVerify: true}) // only to read the fingerprint to pin
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
	c.Close()
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: host, Port: port, SHA256: hex.EncodeToString(sum[:])}); err != nil {
		return "", err
	}
	m := &data.Mailbox{Address: b.user, ProviderID: p.ID, Login: b.user}
	if err := s.SaveMailbox(ctx, m); err != nil {
		return "", err
	}
	if err := data.NewSecrets().Set(ctx, m.KeyringRef, b.pass); err != nil {
		return "", err
	}
	return path, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }
func mb(b int64) float64        { return float64(b) / 1e6 }

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func x509Pool(pem []byte) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return pool
}
