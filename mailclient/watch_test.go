package mailclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"mailroom/data"
)

func TestOffersIdle(t *testing.T) {
	tests := []struct {
		caps imap.CapSet
		want bool
	}{
		{imap.CapSet{imap.CapIMAP4rev1: {}}, false},
		{imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}}, true},
		{imap.CapSet{imap.CapIMAP4rev2: {}}, true},
	}
	for _, tt := range tests {
		if got := offersIdle(tt.caps); got != tt.want {
			t.Errorf("offersIdle(%v) = %v, want %v", tt.caps, got, tt.want)
		}
	}
}

// memIMAP is the go-imap memory server for one user, which can be stopped and started again
// on the same port, its mail kept.
type memIMAP struct {
	mem  *imapmemserver.Server
	cert tls.Certificate
	addr string
	srv  *imapserver.Server
}

func newMemIMAP(t *testing.T) *memIMAP {
	t.Helper()
	m := &memIMAP{mem: imapmemserver.New(), cert: issue(t, newTestCA(t), leafOpts{}), addr: "127.0.0.1:0"}
	u := imapmemserver.NewUser(testUser, testPass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	m.mem.AddUser(u)
	m.start(t)
	t.Cleanup(m.stop)
	return m
}

func (m *memIMAP) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return m.mem.NewSession(), nil, nil
		},
		Caps:   imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger: discardLogger{},
	})
	go m.srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{m.cert}}))
}

// stop closes the listener and every connection.
func (m *memIMAP) stop() { m.srv.Close() }

// deliver appends a message with subject to the INBOX, as another client.
func (m *memIMAP) deliver(t *testing.T, subject string) {
	t.Helper()
	c, err := imapclient.DialTLS(m.addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}) // test server
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	msg := "From: Bob <bob@example.test>\r\nTo: Ann <ann@example.test>\r\nSubject: " + subject + "\r\n\r\nHello.\r\n"
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	cmd.Write([]byte(msg))
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// mailboxOn saves a provider for the server at addr, its certificate pinned, and a mailbox.
func mailboxOn(t *testing.T, addr string, cert tls.Certificate) (*data.Store, *memSecrets, *data.Mailbox) {
	t.Helper()
	s, err := data.Open(filepath.Join(t.TempDir(), "mailroom.db"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security, p.SMTP.Host = "Mem", host, port, data.SecuritySSL, host
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: host, Port: port, SHA256: fingerprint(cert)}); err != nil {
		t.Fatal(err)
	}
	box := &data.Mailbox{Address: testUser, ProviderID: p.ID, Login: testUser}
	if err := s.SaveMailbox(ctx, box); err != nil {
		t.Fatal(err)
	}
	return s, &memSecrets{m: map[string]string{box.KeyringRef: testPass}}, box
}

// watching runs WatchInbox until the test ends, passing on what it reports.
type watching struct {
	arrived chan NewMail
	failed  chan error
	ended   chan struct{} // closed when WatchInbox returned err
	err     error
	cancel  context.CancelFunc
}

func watch(t *testing.T, store WatchStore, secrets SecretStore, box *data.Mailbox, opt WatchOptions) *watching {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watching{arrived: make(chan NewMail, 100), failed: make(chan error, 100), ended: make(chan struct{}), cancel: cancel}
	opt.Failed = func(err error, _ time.Duration) { w.failed <- err }
	go func() {
		defer close(w.ended)
		w.err = WatchInbox(ctx, store, secrets, box, func(n NewMail) { w.arrived <- n }, opt)
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop cancels the watch and returns what WatchInbox returned.
func (w *watching) stop(t *testing.T) error {
	t.Helper()
	w.cancel()
	select {
	case <-w.ended:
		return w.err
	case <-time.After(10 * time.Second):
		t.Fatal("WatchInbox did not end with its context")
		return nil
	}
}

// await waits up to within for a NewMail listing subject, skipping others.
func (w *watching) await(t *testing.T, subject string, within time.Duration) NewMail {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case n := <-w.arrived:
			for _, m := range n.Latest {
				if m.Subject == subject {
					return n
				}
			}
		case <-w.ended:
			t.Fatalf("WatchInbox ended waiting for %q: %v", subject, w.err)
		case <-deadline:
			t.Fatalf("no new mail %q within %v", subject, within)
		}
	}
}

// TestWatchInboxSurvivesServerRestart watches the memory server's Inbox: mail appended by
// another client is told of; the server stopping under the IDLE is a failure retried until
// it is back, and mail appended then is told of too; the context ends it. The memory server
// announces nothing that happened between a command and IDLE, so a short Idle has the
// re-issued IDLE's sync find such mail.
func TestWatchInboxSurvivesServerRestart(t *testing.T) {
	srv := newMemIMAP(t)
	store, secrets, box := mailboxOn(t, srv.addr, srv.cert)
	w := watch(t, store, secrets, box, WatchOptions{Idle: time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	srv.deliver(t, "First")
	if n := w.await(t, "First", 10*time.Second); n.Inbox.New != 1 || n.Mailbox.ID != box.ID {
		t.Errorf("new mail %+v", n)
	}
	srv.stop()
	select {
	case err := <-w.failed:
		t.Logf("failure told: %v (%s)", err, Explain(err))
	case <-time.After(10 * time.Second):
		t.Fatal("the server's end was not told")
	}
	time.Sleep(300 * time.Millisecond) // a few refused connections
	srv.start(t)
	srv.deliver(t, "Second")
	w.await(t, "Second", 10*time.Second)
	if err := w.stop(t); !errors.Is(err, context.Canceled) {
		t.Errorf("WatchInbox ended with %v", err)
	}
}

func TestWatchOptionsDefaults(t *testing.T) {
	tests := []struct {
		in, want WatchOptions
	}{
		{WatchOptions{}, WatchOptions{Idle: DefaultIdle, RetryMin: DefaultRetryMin, RetryMax: DefaultRetryMax}},
		{WatchOptions{Idle: time.Minute, RetryMin: 10 * time.Minute}, WatchOptions{Idle: time.Minute, RetryMin: 10 * time.Minute, RetryMax: 10 * time.Minute}},
		{WatchOptions{RetryMin: time.Millisecond, RetryMax: time.Second}, WatchOptions{Idle: DefaultIdle, RetryMin: time.Millisecond, RetryMax: time.Second}},
	}
	for _, tt := range tests {
		got := tt.in.withDefaults()
		if got.Idle != tt.want.Idle || got.RetryMin != tt.want.RetryMin || got.RetryMax != tt.want.RetryMax {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestPermanentErrors(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{ErrNoIdle, true},
		{&SideError{Side: Incoming, Err: ErrAuthFailed}, true},
		{&PinMismatchError{Host: "h"}, true},
		{ErrNoPassword, true},
		{errors.New("read tcp: connection reset by peer"), false},
		{&TimeoutError{Op: "greeting", After: time.Second}, false},
		{wrapIMAP("IDLE", errors.New("EOF")), false},
	}
	for _, tt := range tests {
		if got := permanent(tt.err); got != tt.want {
			t.Errorf("permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
