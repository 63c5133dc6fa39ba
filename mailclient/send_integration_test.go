package mailclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gmail "github.com/emersion/go-message/mail"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// passwords is a PasswordSource holding passwords by keyring reference.
type passwords map[string]string

func (p passwords) Get(_ context.Context, ref string) (string, error) {
	if v, ok := p[ref]; ok {
		return v, nil
	}
	return "", data.ErrNotFound
}

// sendFixture is a store with a provider for the test servers and the mailboxes of ann and
// bob, and an outbox over it.
type sendFixture struct {
	srv      testenv.Servers
	trust    *Trust
	store    *data.Store
	provider *data.Provider
	ann, bob *data.Mailbox
	pw       passwords
	outbox   *Outbox
	skew     time.Duration // added to the clock of the outbox
}

// newSendFixture sends through smtpAddr with security sec; the IMAP side is IMAPS.
func newSendFixture(t *testing.T, smtpAddr string, sec data.Security, timeout int, savesSent bool, dbPath string) *sendFixture {
	t.Helper()
	srv, trust, _, _ := realServers(t)
	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "mailroom.db")
	}
	s, err := data.Open(dbPath, "tester")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &sendFixture{srv: srv, trust: trust, store: s, pw: passwords{}}
	ctx := context.Background()
	if list, _ := s.Mailboxes(ctx); len(list) > 0 { // a database made by the parent test
		f.ann = list[0]
		f.provider, _ = s.Get(ctx, f.ann.ProviderID)
	} else {
		p := data.NewProvider()
		p.Name = "Loopback"
		imaps := ep(t, srv.IMAPSAddr, data.SecuritySSL)
		smtp := ep(t, smtpAddr, sec)
		p.IMAP = data.Server{Host: imaps.Host, Port: imaps.Port, Security: data.SecuritySSL}
		p.SMTP = data.Server{Host: smtp.Host, Port: smtp.Port, Security: sec}
		p.SMTPTimeout, p.ServerSavesSent = timeout, savesSent
		if err := s.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		f.provider = p
		for _, a := range []string{"ann@example.test", "bob@example.test"} {
			m := &data.Mailbox{Address: a, ProviderID: p.ID, Login: a, SenderName: strings.ToUpper(a[:1]) + a[1:3]}
			if err := s.SaveMailbox(ctx, m); err != nil {
				t.Fatal(err)
			}
			if a == "ann@example.test" {
				f.ann = m
			} else {
				f.bob = m
			}
		}
	}
	for _, m := range []*data.Mailbox{f.ann, f.bob} {
		if m != nil {
			f.pw[m.KeyringRef] = srv.Users[m.Address]
		}
	}
	f.outbox = NewOutbox(s, f.pw, OutboxOptions{Roots: trust.Roots, Now: func() time.Time { return time.Now().Add(f.skew) }})
	return f
}

// queue puts c in the outbox from mb.
func (f *sendFixture) queue(t *testing.T, mb *data.Mailbox, c data.Composition) *data.OutboxItem {
	t.Helper()
	c.MailboxID = mb.ID
	it, err := f.outbox.Queue(context.Background(), c, 0, false)
	if err != nil {
		t.Fatalf("Queue: %v", err)
	}
	return it
}

// sendDue runs the outbox once and returns the message's state after it.
func (f *sendFixture) sendDue(t *testing.T, id int64) *data.OutboxItem {
	t.Helper()
	ctx := context.Background()
	if err := f.outbox.SendDue(ctx); err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	it, err := f.store.OutboxItem(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// fetched is a message found on the IMAP server.
type fetched struct {
	flags []imap.Flag
	raw   []byte
}

// find returns the messages with Message-ID id in folder of user, waiting up to wait for at
// least one to arrive.
func (f *sendFixture) find(t *testing.T, user, folder, id string, wait time.Duration) []fetched {
	t.Helper()
	host, port := ep(t, f.srv.IMAPSAddr, data.SecuritySSL).Host, ep(t, f.srv.IMAPSAddr, data.SecuritySSL).Port
	cfg, err := f.trust.Config(context.Background(), host, port)
	if err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialTLS(f.srv.IMAPSAddr, &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, f.srv.Users[user]).Wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for {
		if _, err := c.Select(folder, nil).Wait(); err != nil {
			t.Fatalf("select %s: %v", folder, err)
		}
		res, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if uids := res.AllUIDs(); len(uids) > 0 || time.Now().After(deadline) {
			if len(uids) == 0 {
				return nil
			}
			section := &imap.FetchItemBodySection{Peek: true}
			msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			var out []fetched
			for _, m := range msgs {
				out = append(out, fetched{flags: m.Flags, raw: m.FindBodySection(section)})
			}
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// attachmentOf returns the header and attachments (by file name) of raw.
func attachmentsOf(t *testing.T, raw []byte) (gmail.Header, map[string][]byte) {
	t.Helper()
	r, err := gmail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*gmail.AttachmentHeader); ok {
			name, _ := h.Filename()
			out[name], _ = io.ReadAll(p.Body)
		}
	}
	return r.Header, out
}

func randomFile(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

func TestSendRealOverSMTPSAndStartTLSThenReply(t *testing.T) {
	srv := testenv.Load(t)
	for _, tc := range []struct {
		sec  data.Security
		addr string
	}{{data.SecuritySSL, srv.SMTPSAddr}, {data.SecurityStartTLS, srv.SubmissionAddr}} {
		t.Run(string(tc.sec), func(t *testing.T) {
			f := newSendFixture(t, tc.addr, tc.sec, 10, false, "")
			file, content := randomFile(t, "Bericht ü.bin", 300_000)
			it := f.queue(t, f.ann, data.Composition{To: "Bob <bob@example.test>", Subject: "Grüße über " + string(tc.sec),
				Body: "Hallo Bob,\nsiehe Anhang.\n", Attachments: []string{file}})
			got := f.sendDue(t, it.ID)
			if got.State != data.OutboxSent || got.SentCopy != data.SentCopyDone || got.Body != "" {
				t.Fatalf("after sending: state %s, copy %s, last error %q", got.State, got.SentCopy, got.LastError)
			}
			inbox := f.find(t, "bob@example.test", "INBOX", it.MessageID, 20*time.Second)
			if len(inbox) != 1 {
				t.Fatalf("%d copies in bob's INBOX, want 1", len(inbox))
			}
			h, att := attachmentsOf(t, inbox[0].raw)
			if subj, _ := h.Subject(); subj != "Grüße über "+string(tc.sec) {
				t.Errorf("Subject %q", subj)
			}
			if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Name != "Ann" || from[0].Address != "ann@example.test" {
				t.Errorf("From %v", from)
			}
			if !bytes.Equal(att["Bericht ü.bin"], content) {
				t.Errorf("attachment: %d bytes arrived of %d, equal %v (names %v)", len(att["Bericht ü.bin"]), len(content),
					bytes.Equal(att["Bericht ü.bin"], content), slices.Collect(mapKeys(att)))
			}
			sent := f.find(t, "ann@example.test", "Sent", it.MessageID, 0)
			if len(sent) != 1 || !slices.Contains(sent[0].flags, imap.FlagSeen) {
				t.Fatalf("Sent copies %d (want 1, \\Seen)", len(sent))
			}

			// Bob answers; ann receives it threaded.
			orig := &Original{MessageID: it.MessageID, From: []Address{{Name: "Ann", Addr: "ann@example.test"}},
				To: []Address{{Addr: "bob@example.test"}}, Subject: "Grüße über " + string(tc.sec), Body: "Hallo Bob,\n"}
			reply := Reply(orig, Address{Name: "Bob", Addr: "bob@example.test"}, nil, true)
			rit := f.queue(t, f.bob, reply)
			if got := f.sendDue(t, rit.ID); got.State != data.OutboxSent {
				t.Fatalf("reply: %s %q", got.State, got.LastError)
			}
			in := f.find(t, "ann@example.test", "INBOX", rit.MessageID, 20*time.Second)
			if len(in) != 1 {
				t.Fatalf("%d replies in ann's INBOX", len(in))
			}
			rh, _ := attachmentsOf(t, in[0].raw)
			if irt, _ := rh.MsgIDList("In-Reply-To"); len(irt) != 1 || "<"+irt[0]+">" != it.MessageID {
				t.Errorf("In-Reply-To %v, want %s", irt, it.MessageID)
			}
			if refs, _ := rh.MsgIDList("References"); len(refs) != 1 || "<"+refs[0]+">" != it.MessageID {
				t.Errorf("References %v", refs)
			}
			if subj, _ := rh.Subject(); subj != "Re: Grüße über "+string(tc.sec) {
				t.Errorf("reply Subject %q", subj)
			}
		})
	}
}

func mapKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestSendServerSavesSentMakesNoCopy(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SMTPSAddr, data.SecuritySSL, 10, true, "")
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test", Subject: "no copy", Body: "x"})
	if got := f.sendDue(t, it.ID); got.State != data.OutboxSent || got.SentCopy != data.SentCopySkipped {
		t.Fatalf("state %s copy %s %q", got.State, got.SentCopy, got.LastError)
	}
	if in := f.find(t, "bob@example.test", "INBOX", it.MessageID, 20*time.Second); len(in) != 1 {
		t.Fatalf("%d in bob's INBOX", len(in))
	}
	if sent := f.find(t, "ann@example.test", "Sent", it.MessageID, 0); len(sent) != 0 {
		t.Errorf("%d Sent copies, want none: the server saves them", len(sent))
	}
}

func TestSendRefusedRecipientIsPermanent(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SubmissionAddr, data.SecurityStartTLS, 10, false, "")
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test, rejected@example.test", Subject: "refused", Body: "keep me"})
	got := f.sendDue(t, it.ID)
	if got.State != data.OutboxFailed || !strings.Contains(got.LastError, "rejected@example.test") || got.Body != "keep me" {
		t.Fatalf("state %s, body %q, error %q", got.State, got.Body, got.LastError)
	}
	if in := f.find(t, "bob@example.test", "INBOX", it.MessageID, 2*time.Second); len(in) != 0 {
		t.Errorf("bob got a message the server refused in part")
	}
	// Fixed by the person, it goes.
	fixed := got.Composition
	fixed.To = "bob@example.test"
	if err := f.outbox.Resend(context.Background(), it.ID, &fixed, false); err != nil {
		t.Fatal(err)
	}
	if got := f.sendDue(t, it.ID); got.State != data.OutboxSent {
		t.Fatalf("after fixing: %s %q", got.State, got.LastError)
	}
}

func TestSendTooLargeForServer(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SMTPSAddr, data.SecuritySSL, 10, false, "")
	big := filepath.Join(t.TempDir(), "huge.iso")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 40<<20); err != nil { // sparse: 40 MB read as zeros, 54 MB encoded
		t.Fatal(err)
	}
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test", Subject: "big", Body: "x", Attachments: []string{big}})
	got := f.sendDue(t, it.ID)
	if got.State != data.OutboxFailed || !strings.Contains(got.LastError, "huge.iso") || !strings.Contains(got.LastError, "at most 50.0 MB") {
		t.Fatalf("state %s, error %q", got.State, got.LastError)
	}
}

func TestSendServerDownIsRetried(t *testing.T) {
	srv := testenv.Load(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	f := newSendFixture(t, closed, data.SecuritySSL, 10, false, "")
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test", Subject: "later", Body: "x"})
	got := f.sendDue(t, it.ID)
	if wait := time.Until(got.NextAttempt); got.State != data.OutboxQueued || got.Attempts != 1 ||
		!strings.Contains(got.LastError, "refused the connection") || wait < DefaultBackoff(1)-5*time.Second || wait > DefaultBackoff(1) {
		t.Fatalf("state %s attempts %d next %v error %q", got.State, got.Attempts, got.NextAttempt, got.LastError)
	}
	// Not before its time; once the server is back and the time has come, it goes.
	if got := f.sendDue(t, it.ID); got.Attempts != 1 {
		t.Fatalf("retried too early: %d attempts", got.Attempts)
	}
	real := ep(t, srv.SMTPSAddr, data.SecuritySSL)
	f.provider.SMTP.Port = real.Port
	if err := f.store.Save(context.Background(), f.provider); err != nil {
		t.Fatal(err)
	}
	f.skew = DefaultBackoff(1)
	if got := f.sendDue(t, it.ID); got.State != data.OutboxSent || got.Attempts != 2 {
		t.Fatalf("after the server came back: %s, %d attempts, %q", got.State, got.Attempts, got.LastError)
	}
}

func TestSendStallingServerTimesOut(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SilentAddr, data.SecuritySSL, 1, false, "")
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test", Subject: "stall", Body: "x"})
	start := time.Now()
	got := f.sendDue(t, it.ID)
	if got.State != data.OutboxQueued || !strings.Contains(got.LastError, "within 1 second") {
		t.Fatalf("state %s, error %q", got.State, got.LastError)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with a 1-second timeout", d)
	}
}

// TestOutboxSurvivesKill queues a message, lets a child process start sending it to a server
// that never answers, kills the child, and restarts: the message is there and, since nothing
// of it can have reached the server, queued again, due now. (The kills after the end of the
// message, which leave it interrupted, are in the command line's tests.)
func TestOutboxSurvivesKill(t *testing.T) {
	if db := os.Getenv("MAILROOM_SEND_CHILD_DB"); db != "" {
		srv := testenv.Load(t)
		f := newSendFixture(t, srv.SilentAddr, data.SecuritySSL, 60, false, db)
		f.outbox.SendDue(context.Background()) // killed while waiting
		return
	}
	srv := testenv.Load(t)
	db := filepath.Join(t.TempDir(), "mailroom.db")
	f := newSendFixture(t, srv.SilentAddr, data.SecuritySSL, 60, false, db)
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test", Subject: "survive", Body: "precious text"})

	cmd := exec.Command(os.Args[0], "-test.run=^TestOutboxSurvivesKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILROOM_SEND_CHILD_DB="+db)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := f.store.OutboxItem(ctx, it.ID)
		if err == nil && got.State == data.OutboxSending {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child never started sending: %+v %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()

	// "Restart": the outbox of a new process recovers.
	restarted := NewOutbox(f.store, f.pw, OutboxOptions{Roots: f.trust.Roots})
	if n, err := restarted.Recover(ctx); err != nil || n != 0 {
		t.Fatalf("Recover = %d, %v; want no message interrupted", n, err)
	}
	got, err := f.store.OutboxItem(ctx, it.ID)
	if err != nil || got.State != data.OutboxQueued || got.Body != "precious text" || got.Attempts != 1 ||
		got.DataEnded || time.Until(got.NextAttempt) > 0 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
}

// TestQueuedMessageIsWhatIsSent: the message is written whole when queued, so an attachment
// edited or deleted afterwards changes nothing; its snapshot is readable by its owner only,
// and removed once the message and its Sent copy are done.
func TestQueuedMessageIsWhatIsSent(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SMTPSAddr, data.SecuritySSL, 10, false, "")
	edited, content := randomFile(t, "edited.bin", 200_000)
	deleted, gone := randomFile(t, "deleted.bin", 50_000)
	it := f.queue(t, f.ann, data.Composition{To: "bob@example.test", Subject: "snapshot", Body: "as queued",
		Attachments: []string{edited, deleted}})
	if err := os.WriteFile(edited, []byte("changed after queueing"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(deleted); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(f.store.SpoolDir(), it.Spool)
	if st, err := os.Stat(spool); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot %s: %v %v", spool, st, err)
	}
	got := f.sendDue(t, it.ID)
	if got.State != data.OutboxSent || got.SentCopy != data.SentCopyDone {
		t.Fatalf("state %s, copy %s: %s", got.State, got.SentCopy, got.LastError)
	}
	for _, where := range []struct{ user, folder string }{{"bob@example.test", "INBOX"}, {"ann@example.test", "Sent"}} {
		msgs := f.find(t, where.user, where.folder, it.MessageID, 20*time.Second)
		if len(msgs) != 1 {
			t.Fatalf("%d copies in %s of %s", len(msgs), where.folder, where.user)
		}
		_, att := attachmentsOf(t, msgs[0].raw)
		if !bytes.Equal(att["edited.bin"], content) || !bytes.Equal(att["deleted.bin"], gone) {
			t.Errorf("%s: the attachments are not those queued (%d and %d bytes)", where.folder, len(att["edited.bin"]), len(att["deleted.bin"]))
		}
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("snapshot kept after sending: %v", err)
	}
}

// TestQueueRefusesAttachmentMissingNow: a file gone at queue time is an error at queue time,
// for the attachments field, and nothing is queued.
func TestQueueRefusesAttachmentMissingNow(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SMTPSAddr, data.SecuritySSL, 10, false, "")
	missing := filepath.Join(t.TempDir(), "gone.pdf")
	_, err := f.outbox.Queue(context.Background(), data.Composition{MailboxID: f.ann.ID, To: "bob@example.test",
		Subject: "x", Attachments: []string{missing}}, 0, false)
	var v *data.ValidationError
	if !errors.As(err, &v) || !strings.Contains(v.For(FieldAttachments), "“gone.pdf” is no longer at") {
		t.Fatalf("Queue = %v", err)
	}
	if items, _ := f.store.OutboxItems(context.Background()); len(items) != 0 {
		t.Errorf("%d messages queued", len(items))
	}
	if entries, _ := os.ReadDir(f.store.SpoolDir()); len(entries) != 0 {
		t.Errorf("%d spool files left", len(entries))
	}
}

// TestAppendSentLooksFirst: told an earlier attempt may have made the copy, AppendSent finds
// it by its Message-ID in Sent and appends nothing.
func TestAppendSentLooksFirst(t *testing.T) {
	srv := testenv.Load(t)
	f := newSendFixture(t, srv.SMTPSAddr, data.SecuritySSL, 10, false, "")
	id := NewMessageID("ann@example.test")
	out := &OutMessage{From: Address{Addr: "ann@example.test"}, To: []Address{{Addr: "bob@example.test"}}, Subject: "once",
		Body: "x", MessageID: id, Date: time.Now()}
	m, err := BuildMessage(out)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := MessageSize(m)
	s := SendSettingsFor(f.provider, f.ann.Login, f.trust)
	pw := srv.Users["ann@example.test"]
	for i, look := range []string{"", id, id} {
		already, err := AppendSent(context.Background(), s.Settings, pw, m, size, out.Date, look)
		if err != nil || already != (i > 0) {
			t.Fatalf("attempt %d: already %v, %v", i+1, already, err)
		}
	}
	if sent := f.find(t, "ann@example.test", "Sent", id, 0); len(sent) != 1 {
		t.Errorf("%d copies in Sent, want 1", len(sent))
	}
}
