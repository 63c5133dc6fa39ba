// Command send measures the memory Mailroom needs to send a message with a large attachment
// through the loopback Postfix of .ci/with-test-env.sh: the process's peak resident size
// (VmHWM) before and after sending, against the attachment's size. The attachment is
// streamed from disk, so the peak should grow by much less than it.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

type passwords map[string]string

func (p passwords) Get(_ context.Context, ref string) (string, error) { return p[ref], nil }

func main() {
	mb := flag.Int("mb", 25, "attachment size in MB (10^6 bytes)")
	flag.Parse()
	if err := run(int64(*mb) * 1_000_000); err != nil {
		fmt.Fprintln(os.Stderr, "send benchmark:", err)
		os.Exit(1)
	}
}

func run(size int64) error {
	dir, err := os.MkdirTemp("", "mailroom-send-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	att, err := writeRandom(filepath.Join(dir, "big.bin"), size)
	if err != nil {
		return err
	}
	s, out, mbID, err := setup(dir)
	if err != nil {
		return err
	}
	defer s.Close()
	runtime.GC()
	before, err := vmHWM()
	if err != nil {
		return err
	}
	start := time.Now()
	ctx := context.Background()
	it, err := out.Queue(ctx, data.Composition{MailboxID: mbID, To: "bob@example.test", Subject: "Large attachment",
		Body: "See the attachment.\n", Attachments: []string{att}}, 0, false)
	if err != nil {
		return err
	}
	if err := out.SendDue(ctx); err != nil {
		return err
	}
	took := time.Since(start)
	after, err := vmHWM()
	if err != nil {
		return err
	}
	got, err := s.OutboxItem(ctx, it.ID)
	if err != nil {
		return err
	}
	if got.State != data.OutboxSent || got.SentCopy != data.SentCopyDone {
		return fmt.Errorf("not sent: %s, copy %q: %s", got.State, got.SentCopy, got.LastError)
	}
	growth := after - before
	fmt.Printf("send %d MB attachment (queued to the spool file, SMTP, Sent copy) in %s: peak RSS %.1f MB before, %.1f MB after, grew %.1f MB = %.2f x the attachment (goal < 1)\n",
		size/1_000_000, took.Round(time.Millisecond), mbf(before), mbf(after), mbf(growth), float64(growth)/float64(size))
	return nil
}

func mbf(n int64) float64 { return float64(n) / 1e6 }

// writeRandom writes size random bytes to path a buffer at a time, so making the file does
// not raise the peak being measured.
func writeRandom(path string, size int64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 1<<16)
	for left := size; left > 0; left -= int64(len(buf)) {
		n := min(left, int64(len(buf)))
		rand.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			return "", err
		}
	}
	return path, f.Close()
}

// setup makes a database with a provider for the test servers and ann's mailbox, and an
// outbox trusting the test CA.
func setup(dir string) (*data.Store, *mailclient.Outbox, int64, error) {
	get := os.Getenv
	if get("MAILROOM_TEST_SMTPS_PORT") == "" {
		return nil, nil, 0, fmt.Errorf("run through .ci/with-test-env.sh")
	}
	pem, err := os.ReadFile(get("MAILROOM_TEST_CA"))
	if err != nil {
		return nil, nil, 0, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	s, err := data.Open(filepath.Join(dir, "mailroom.db"), "bench")
	if err != nil {
		return nil, nil, 0, err
	}
	port := func(k string) int { n, _ := strconv.Atoi(get(k)); return n }
	p := data.NewProvider()
	p.Name = "Loopback"
	p.IMAP = data.Server{Host: "127.0.0.1", Port: port("MAILROOM_TEST_IMAPS_PORT"), Security: data.SecuritySSL}
	p.SMTP = data.Server{Host: "127.0.0.1", Port: port("MAILROOM_TEST_SMTPS_PORT"), Security: data.SecuritySSL}
	ctx := context.Background()
	if err := s.Save(ctx, p); err != nil {
		return nil, nil, 0, err
	}
	m := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann@example.test"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		return nil, nil, 0, err
	}
	pw := passwords{}
	for _, pair := range strings.Split(get("MAILROOM_TEST_USERS"), ",") {
		if u, pass, _ := strings.Cut(pair, ":"); u == m.Address {
			pw[m.KeyringRef] = pass
		}
	}
	return s, mailclient.NewOutbox(s, pw, mailclient.OutboxOptions{Roots: roots}), m.ID, nil
}

// vmHWM returns the process's peak resident set size in bytes, from /proc/self/status.
func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
