package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// mailEnv is the part of the integration-test environment (.ci/with-test-env.sh) the
// commands' tests need; testenv.Load skips outside it, and fails there under CI=true.
type mailEnv struct {
	ca, imaps, submission string
	user, pass            string
}

func loadMailEnv(t *testing.T) mailEnv {
	t.Helper()
	srv := testenv.Load(t)
	const user = "ann@example.test"
	return mailEnv{ca: srv.CAFile, imaps: srv.IMAPSAddr, submission: srv.SubmissionAddr, user: user, pass: srv.Users[user]}
}

// testServersDB makes a database holding the provider of the test servers (IMAP with SSL,
// submission with STARTTLS, domain example.test) and returns its path.
func testServersDB(t *testing.T, m mailEnv) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := data.Open(db, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, port, _ := net.SplitHostPort(m.imaps)
	_, sport, _ := net.SplitHostPort(m.submission)
	p := data.NewProvider()
	p.Name, p.Domains = "Test servers", []string{"example.test"}
	p.IMAP = data.Server{Host: host, Port: atoi(port), Security: data.SecuritySSL}
	p.SMTP = data.Server{Host: host, Port: atoi(sport), Security: data.SecurityStartTLS}
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return db
}

// certFingerprint returns the SHA-256 of the certificate the server at addr presents, verified
// against the test CA (plain TLS for IMAPS; after STARTTLS for submission).
func certFingerprint(t *testing.T, m mailEnv, addr string, starttls bool) string {
	t.Helper()
	pem, err := os.ReadFile(m.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if starttls {
		buf := make([]byte, 4096)
		for _, cmd := range []string{"", "EHLO test\r\n", "STARTTLS\r\n"} {
			if cmd != "" {
				conn.Write([]byte(cmd))
			}
			time.Sleep(200 * time.Millisecond)
			conn.Read(buf)
		}
	}
	tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tc.ConnectionState().PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:])
}

// cli runs mailroom with args and stdin, returning the exit status, stdout and stderr.
func cli(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestMailboxCommands(t *testing.T) {
	m := loadMailEnv(t)
	db := testServersDB(t, m)
	var transcript strings.Builder
	do := func(stdin string, args ...string) (int, string, string) {
		code, out, errOut := cli(stdin, append([]string{"--db", db}, args...)...)
		transcript.WriteString(out + errOut)
		return code, out, errOut
	}

	// The system roots do not hold the test CA: refused, with the fingerprint to compare.
	code, _, errOut := do(m.pass+"\n", "mailbox", "add", m.user, "--password-stdin")
	if code != 1 || !strings.Contains(errOut, "certificate is not trusted") {
		t.Fatalf("add without trust: %d %q", code, errOut)
	}
	// A wrong password: refused, nothing saved.
	imapFP, smtpFP := certFingerprint(t, m, m.imaps, false), certFingerprint(t, m, m.submission, true)
	code, _, errOut = do("wrong-"+m.pass+"\n", "mailbox", "add", m.user, "--password-stdin", "--trust-cert", imapFP, "--trust-cert", smtpFP)
	if code != 1 || strings.Count(errOut, "did not accept the login or password") != 2 {
		t.Fatalf("add with a wrong password: %d %q", code, errOut)
	}
	code, out, errOut := do(m.pass+"\n", "mailbox", "add", m.user, "--name", "Ann Test", "--password-stdin",
		"--trust-cert", imapFP, "--trust-cert", smtpFP)
	if code != 0 || !strings.Contains(out, "Added "+m.user+" (default).") {
		t.Fatalf("add: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = do("", "mailbox", "list", "--json")
	var list []mailboxJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].SenderName != "Ann Test" || list[0].State != "ok" {
		t.Fatalf("list: %d %s", code, out)
	}
	// The pins were saved: the test passes without --trust-cert.
	if code, out, errOut = do("", "mailbox", "test", m.user); code != 0 {
		t.Fatalf("test: %d\n%s\n%s", code, out, errOut)
	}
	secrets := data.NewSecrets()
	s, _ := data.Open(db, currentUser())
	mb, err := s.MailboxByAddress(context.Background(), m.user)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := secrets.Get(context.Background(), mb.KeyringRef); got != m.pass || err != nil {
		t.Fatalf("keyring holds %v, %v", got != "", err)
	}

	// The password is nowhere but in the keyring.
	for _, f := range []string{db, db + "-wal", db + "-shm", logPath()} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(m.pass)) {
			t.Errorf("the password is in %s", f)
		}
	}
	if strings.Contains(transcript.String(), m.pass) {
		t.Errorf("the password is in the output or log:\n%s", transcript.String())
	}

	if code, _, errOut = do("", "mailbox", "remove", m.user); code != 0 {
		t.Fatalf("remove: %d %s", code, errOut)
	}
	if _, err := secrets.Get(context.Background(), mb.KeyringRef); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("after remove, the keyring answers %v", err)
	}
	if code, _, errOut = do("", "mailbox", "test", m.user); code != 1 || !strings.Contains(errOut, "no mailbox") {
		t.Errorf("test after remove: %d %q", code, errOut)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
