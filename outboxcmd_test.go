package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// TestMain lets a test run mailroom in a process of its own, to kill it or interrupt it as a
// person would: with its arguments in MAILROOM_TEST_MAIN_ARGS (see mailroomProcess), or, with
// MAILROOM_TEST_AS_MAIN=1, as the test binary's own arguments (the desktop tests).
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("MAILROOM_TEST_MAIN_ARGS"); ok {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv("MAILROOM_TEST_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// mailroomProcess starts "mailroom args..." in a new process reading stdin; its output goes
// to the returned buffer.
func mailroomProcess(t *testing.T, stdin string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MAILROOM_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &out
}

// hangGuard is how long a command that must end may take before the test calls it hung.
const hangGuard = 60 * time.Second

// waitExit waits for cmd to end and returns its exit status; it fails the test when cmd hangs.
func waitExit(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(hangGuard):
		cmd.Process.Kill()
		<-done
		t.Fatalf("mailroom %v did not end:\n%s", cmd.Env[len(cmd.Env)-1], out)
		return 0
	}
}

// mailboxDB makes a database with the provider of the test servers and ann's mailbox.
func mailboxDB(t *testing.T, m mailEnv) string {
	t.Helper()
	db := testServersDB(t, m)
	imapFP, smtpFP := certFingerprint(t, m, m.imaps, false), certFingerprint(t, m, m.submission, true)
	code, out, errOut := cli(m.pass+"\n", "--db", db, "mailbox", "add", m.user, "--name", "Ann", "--password-stdin",
		"--trust-cert", imapFP, "--trust-cert", smtpFP)
	if code != 0 {
		t.Fatalf("mailbox add: %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() { cli("", "--db", db, "mailbox", "remove", m.user) })
	return db
}

// imapCount returns how many messages with Message-ID id the folder of user holds.
func imapCount(t *testing.T, srv testenv.Servers, user, folder, id string) int {
	t.Helper()
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := imapclient.DialTLS(srv.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, srv.Users[user]).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(res.AllUIDs())
}

// postfixIdle waits until the test Postfix has delivered everything it accepted.
func postfixIdle(t *testing.T, srv testenv.Servers) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		out, err := exec.Command("postqueue", "-c", filepath.Join(srv.Dir, "postfix"), "-p").CombinedOutput()
		if err == nil && strings.Contains(string(out), "Mail queue is empty") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix still has mail queued: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outboxRow is what the kill test watches of a message, read straight from the database.
type outboxRow struct {
	id                  int64
	messageID, state    string
	dataEnded           bool
	claimedBy, sentCopy string
}

type rowQuerier interface {
	QueryRow(query string, args ...any) *sql.Row
}

func readRow(q rowQuerier, subject string) (outboxRow, error) {
	var r outboxRow
	err := q.QueryRow(`SELECT id, message_id, state, data_ended, claimed_by, sent_copy FROM outbox WHERE subject = ?`,
		subject).Scan(&r.id, &r.messageID, &r.state, &r.dataEnded, &r.claimedBy, &r.sentCopy)
	return r, err
}

func randomBigFile(t *testing.T, size int) string {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSendKilledAtEachStepDeliversOnce kills a real "mailroom send" of a 20 MB attachment at
// each step of sending, against Postfix and Dovecot, and runs "mailroom outbox send" after
// it: the recipient gets the message once and Sent holds it once, or, when the kill came
// after the end of the message went to the server but before its answer was recorded, the
// message is interrupted and nothing is sent again. Never two. Holding the database's write
// lock stops the sender just before it records its next step, which it cannot then do.
func TestSendKilledAtEachStepDeliversOnce(t *testing.T) {
	m := loadMailEnv(t)
	srv := testenv.Load(t)
	db := mailboxDB(t, m)
	big := randomBigFile(t, 20_000_000)
	raw, err := sql.Open("sqlite3", "file:"+db+"?_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	sending := func(r outboxRow) bool { return r.state == "sending" }
	ended := func(r outboxRow) bool { return r.state == "sending" && r.dataEnded }
	copying := func(r outboxRow) bool { return r.state == "sent" && r.claimedBy != "" }
	inInbox := func(id string) bool { return imapCount(t, srv, "bob@example.test", "INBOX", id) > 0 }
	inSent := func(id string) bool { return imapCount(t, srv, m.user, "Sent", id) > 0 }
	points := []struct {
		name    string
		at      func(outboxRow) bool // kill (or hold the lock) once the message is so
		hold    bool                 // hold the write lock from then on until the kill
		until   func(id string) bool // with hold: kill once this holds (else after a pause)
		want    func(outboxRow) bool // what the message must be when the lock was taken, for the strict outcome
		outcome string               // the strict outcome: "once" (sent once, one copy) or "interrupted"
	}{
		{name: "while sending", at: sending},
		{name: "before the end of the message, recording it held up", at: sending, hold: true,
			want: func(r outboxRow) bool { return r.state == "sending" && !r.dataEnded }, outcome: "once"},
		{name: "after the end, the server's answer not recorded", at: ended, hold: true, until: inInbox,
			want: ended, outcome: "interrupted"},
		{name: "while appending the Sent copy", at: copying},
		{name: "Sent copy appended, not recorded", at: copying, hold: true, until: inSent,
			want: func(r outboxRow) bool { return copying(r) && r.sentCopy == "pending" }, outcome: "once"},
	}
	for i, p := range points {
		t.Run(p.name, func(t *testing.T) {
			subject := fmt.Sprintf("killed %d", i)
			child, out := mailroomProcess(t, "Twenty megabytes.\n", "--db", db, "send", "--from", m.user,
				"--to", "bob@example.test", "--subject", subject, "--attach", big)
			exited := make(chan struct{})
			go func() { child.Wait(); close(exited) }()
			row, reached := waitFor(t, raw, subject, p.at, exited)
			strict := false
			var tx *sql.Tx
			if reached && p.hold {
				if tx, err = raw.Begin(); err != nil {
					t.Fatal(err)
				}
				locked, err := readRow(tx, subject)
				if err != nil {
					t.Fatal(err)
				}
				strict = p.want(locked)
				t.Logf("lock taken with the message %+v", locked)
				waitUntil(t, p.until, locked.messageID, exited)
			}
			child.Process.Kill()
			<-exited
			if tx != nil {
				tx.Rollback()
			}
			t.Logf("killed at %+v (reached %v); its output:\n%s", row, reached, out)

			code, stdout, stderr := cli("", "--db", db, "outbox", "send")
			postfixIdle(t, srv)
			after, err := readRow(raw, subject)
			if err != nil {
				t.Fatal(err)
			}
			inbox, sent := imapCount(t, srv, "bob@example.test", "INBOX", after.messageID), imapCount(t, srv, m.user, "Sent", after.messageID)
			t.Logf("after outbox send (exit %d): %+v; %d in INBOX, %d in Sent\n%s%s", code, after, inbox, sent, stdout, stderr)
			outcome := ""
			switch {
			case after.state == "sent" && after.sentCopy == "done" && inbox == 1 && sent == 1:
				outcome = "once"
			case after.state == "interrupted" && inbox <= 1 && sent == 0:
				outcome = "interrupted"
			default:
				t.Fatalf("after the kill and outbox send: state %s, copy %s, %d in INBOX, %d in Sent", after.state,
					after.sentCopy, inbox, sent)
			}
			if strict && outcome != p.outcome {
				t.Errorf("outcome %s, want %s", outcome, p.outcome)
			}
			if strict && p.outcome == "interrupted" && inbox != 1 {
				t.Errorf("%d in INBOX, want the 1 the server accepted", inbox)
			}
			if p.hold && !strict {
				t.Logf("the sender had gone past the kill point when the lock was taken; only the invariant is checked")
			}
		})
	}
}

// waitFor polls the message with subject until at holds, and returns it; reached is false
// when the sender ended first.
func waitFor(t *testing.T, db *sql.DB, subject string, at func(outboxRow) bool, exited <-chan struct{}) (outboxRow, bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		r, err := readRow(db, subject)
		if err == nil && at(r) {
			return r, true
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		select {
		case <-exited:
			return r, false
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message never reached the kill point: %+v", r)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitUntil waits until cond(id) holds (or, without cond, a moment), or the sender ended.
func waitUntil(t *testing.T, cond func(string) bool, id string, exited <-chan struct{}) {
	t.Helper()
	if cond == nil {
		select {
		case <-exited:
		case <-time.After(2 * time.Second):
		}
		return
	}
	deadline := time.Now().Add(hangGuard)
	for !cond(id) {
		select {
		case <-exited:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached the server", id)
		}
	}
}

// TestOutboxCommands lists, sends, resends and removes what waits in the outbox.
func TestOutboxCommands(t *testing.T) {
	m := loadMailEnv(t)
	srv := testenv.Load(t)
	db := mailboxDB(t, m)
	do := func(stdin string, args ...string) (int, string, string) {
		return cli(stdin, append([]string{"--db", db}, args...)...)
	}
	if code, out, _ := do("", "outbox"); code != 0 || !strings.Contains(out, "The outbox is empty.") {
		t.Fatalf("empty outbox: %d %q", code, out)
	}
	// A message refused for good, one sent; then one that waits, with the server away.
	do("x\n", "send", "--from", m.user, "--to", "rejected@example.test", "--subject", "refused one")
	do("x\n", "send", "--from", m.user, "--to", "bob@example.test", "--subject", "sent one")
	s, err := data.Open(db, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	list, _ := s.List(ctx)
	p, _ := s.Get(ctx, list[0].ID)
	realPort := p.SMTP.Port
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closed, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	p.SMTP.Port = atoi(closed)
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := do("x\n", "send", "--from", m.user, "--to", "Bob <bob@example.test>", "--subject", "waits"); code != exitTempFail {
		t.Fatalf("send with the server away: %d %s", code, errOut)
	}

	code, out, _ := do("", "outbox", "list")
	for _, want := range []string{"ID  STATE", "failed", "refused one", "rejected@example.test", "sent one",
		"queued", "Bob <bob@example.test>", "waits", "refused the connection"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("outbox list lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	code, out, _ = do("", "outbox", "list", "--json")
	var items []outboxItemJSON
	if err := json.Unmarshal([]byte(out), &items); code != 0 || err != nil || len(items) != 3 {
		t.Fatalf("outbox list --json: %d %v\n%s", code, err, out)
	}
	failed, waits := items[0], items[2]
	if failed.State != "failed" || !strings.Contains(failed.Reason, "rejected@example.test") || waits.State != "queued" ||
		waits.Subject != "waits" || waits.NextAttempt == "" || items[1].SentCopy != "done" {
		t.Errorf("outbox list --json: %+v", items)
	}

	// The server is back: outbox send sends what waits now, without waiting for its retry time.
	p.SMTP.Port = realPort
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := do("", "outbox", "send")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d: sent to Bob <bob@example.test>: %s", waits.ID, waits.MessageID)) {
		t.Errorf("outbox send: %d %q %q", code, out, errOut)
	}
	if n := imapCount(t, srv, m.user, "Sent", waits.MessageID); n != 1 {
		t.Errorf("%d copies in Sent", n)
	}
	if code, out, errOut := do("", "outbox", "send"); code != 0 || out != "" {
		t.Errorf("outbox send with nothing waiting: %d %q %q", code, out, errOut)
	}

	// Refused again as it is, then removed.
	if code, _, errOut := do("", "outbox", "resend", fmt.Sprint(failed.ID)); code != 1 || !strings.Contains(errOut, "rejected@example.test") {
		t.Errorf("outbox resend: %d %q", code, errOut)
	}
	if code, out, _ := do("", "outbox", "remove", fmt.Sprint(failed.ID)); code != 0 || !strings.Contains(out, "Removed message") {
		t.Errorf("outbox remove: %d %q", code, out)
	}
	for _, args := range [][]string{{"remove", fmt.Sprint(failed.ID)}, {"resend", "999"}} {
		if code, _, errOut := do("", append([]string{"outbox"}, args...)...); code != 1 || !strings.Contains(errOut, "mailroom outbox list") {
			t.Errorf("outbox %v: %d %q", args, code, errOut)
		}
	}
	if code, _, errOut := do("", "outbox", "remove", "x"); code != 2 || !strings.Contains(errOut, "Usage: mailroom outbox remove ID") {
		t.Errorf("outbox remove x: %d %q", code, errOut)
	}
	if entries, _ := os.ReadDir(s.SpoolDir()); len(entries) != 0 {
		t.Errorf("%d spool files left with nothing waiting", len(entries))
	}
}
