package mailclient

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// draftsSource is the loopback address this file's IMAP connections come from, so Dovecot's
// log tells their logins from those of the tests beside them.
const draftsSource = "127.0.0.9"

// cutRelay forwards connections on 127.0.0.1 to to, dialling from draftsSource; cut closes
// every connection open through it.
type cutRelay struct {
	addr  string
	mu    sync.Mutex
	conns []net.Conn
}

func newCutRelay(t *testing.T, to string) *cutRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &cutRelay{addr: ln.Addr().String()}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(draftsSource)}, Timeout: 5 * time.Second}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := d.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, s)
			r.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return r
}

func (r *cutRelay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// draftLogins counts the IMAP logins from draftsSource in Dovecot's log.
func draftLogins(t *testing.T, srv testenv.Servers) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srv.Dir, "dovecot", "dovecot.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "imap-login: ") && strings.Contains(line, "Login: user=<") && strings.Contains(line, "rip="+draftsSource+",") {
			n++
		}
	}
	return n
}

// TestDraftsAndSentCopyLogInOnceThroughTheWorker saves a draft five times on the server,
// sends it and removes its server copy, all with one Mail: Dovecot logs one login (the
// worker's), the Drafts folder holds no copy at the end and Sent holds one.
func TestDraftsAndSentCopyLogInOnceThroughTheWorker(t *testing.T) {
	f := newSendFixture(t, f0SMTP(t), data.SecuritySSL, 10, false, "")
	ctx := context.Background()
	relay := newCutRelay(t, f.srv.IMAPSAddr)
	f.provider.IMAP.Host, f.provider.IMAP.Port = ep(t, relay.addr, data.SecuritySSL).Host, ep(t, relay.addr, data.SecuritySSL).Port
	if err := f.store.Save(ctx, f.provider); err != nil {
		t.Fatal(err)
	}
	pinLeaf(t, f, relay.addr)
	mail := f.mail(t)
	f.outbox = NewOutbox(f.store, f.pw, OutboxOptions{Roots: f.trust.Roots, Mail: mail})
	before := draftLogins(t, f.srv)

	d := &data.Draft{Composition: data.Composition{MailboxID: f.ann.ID, To: "bob@example.test", Subject: "Five saves " + t.Name()}}
	for i := range 5 {
		d.Body = strings.Repeat("more ", i+1)
		if err := f.store.SaveDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := mail.KeepDraft(ctx, d); err != nil {
			t.Fatalf("save %d: %v", i+1, err)
		}
	}
	draftID := DraftMessageID(d, f.ann.Address)
	if copies := f.find(t, "ann@example.test", "Drafts", draftID, 0); len(copies) != 1 || !strings.Contains(string(copies[0].raw), "more more more more more") {
		t.Fatalf("%d copies of the draft in Drafts, want the fifth save alone", len(copies))
	}
	it, err := f.outbox.Queue(ctx, d.Composition, d.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.sendDue(t, it.ID); got.State != data.OutboxSent || got.SentCopy != data.SentCopyDone {
		t.Fatalf("state %s, copy %s: %s", got.State, got.SentCopy, got.LastError)
	}
	if err := mail.DropDraft(ctx, d); err != nil {
		t.Fatalf("drop after sending: %v", err)
	}
	if got := draftLogins(t, f.srv) - before; got != 1 {
		t.Errorf("%d logins from %s for five draft saves, a send and the draft's removal, want 1 (the worker's)", got, draftsSource)
	}
	if left := f.find(t, "ann@example.test", "Drafts", draftID, 0); len(left) != 0 {
		t.Errorf("%d copies left in Drafts after sending", len(left))
	}
	if sent := f.find(t, "ann@example.test", "Sent", it.MessageID, 20*time.Second); len(sent) != 1 {
		t.Errorf("%d copies in Sent, want 1", len(sent))
	}
	if got := f.find(t, "bob@example.test", "INBOX", it.MessageID, 20*time.Second); len(got) != 1 {
		t.Errorf("%d copies delivered to bob, want 1", len(got))
	}
}

// TestWorkerSentCopyIsMadeOnceAcrossALostConnection: the Sent copy through the worker looks
// for the message first when told an earlier attempt may have made it, and when the
// connection it reuses was cut, it is made on a new one, once.
func TestWorkerSentCopyIsMadeOnceAcrossALostConnection(t *testing.T) {
	f := newSendFixture(t, f0SMTP(t), data.SecuritySSL, 10, false, "")
	ctx := context.Background()
	relay := newCutRelay(t, f.srv.IMAPSAddr)
	f.provider.IMAP.Host, f.provider.IMAP.Port = ep(t, relay.addr, data.SecuritySSL).Host, ep(t, relay.addr, data.SecuritySSL).Port
	if err := f.store.Save(ctx, f.provider); err != nil {
		t.Fatal(err)
	}
	pinLeaf(t, f, relay.addr)
	mail := f.mail(t)
	one := func(subject string) (*Message, int64, string) {
		id := NewMessageID("ann@example.test")
		m, err := BuildMessage(&OutMessage{From: Address{Addr: "ann@example.test"}, To: []Address{{Addr: "bob@example.test"}},
			Subject: subject, Body: "x", MessageID: id, Date: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		size, _ := MessageSize(m)
		return m, size, id
	}
	m, size, id := one("once " + t.Name())
	for i, look := range []bool{false, true, true} {
		already, err := mail.AppendSent(ctx, f.ann.ID, m, size, time.Now(), id, look)
		if err != nil || already != (i > 0) {
			t.Fatalf("attempt %d: already %v, %v", i+1, already, err)
		}
	}
	if sent := f.find(t, "ann@example.test", "Sent", id, 0); len(sent) != 1 {
		t.Errorf("%d copies in Sent, want 1", len(sent))
	}

	relay.cut() // the worker's connection dies unnoticed
	m, size, id = one("after the cut " + t.Name())
	if already, err := mail.AppendSent(ctx, f.ann.ID, m, size, time.Now(), id, false); err != nil || already {
		t.Fatalf("after the cut: already %v, %v", already, err)
	}
	if sent := f.find(t, "ann@example.test", "Sent", id, 0); len(sent) != 1 {
		t.Errorf("after the cut, %d copies in Sent, want 1", len(sent))
	}
}
