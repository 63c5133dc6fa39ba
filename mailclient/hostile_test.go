package mailclient

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/internal/hostileimap"
)

// hostileEnv is a database with one mailbox on a hostile server, its certificate pinned.
type hostileEnv struct {
	srv      *hostileimap.Server
	store    *data.Store
	secrets  *memSecrets
	box      *data.Mailbox
	settings Settings
}

// wireBound is more than a guarded connection lets through before it is closed (a limit of
// about 1 MB, plus what the kernel's buffers and TLS hold on either side), and far less
// than what each hostile mode sends.
const wireBound = 16 << 20

func newHostileEnv(t *testing.T, mode hostileimap.Mode, opt hostileimap.Options) *hostileEnv {
	t.Helper()
	srv, err := hostileimap.Start(mode, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s, err := data.Open(filepath.Join(t.TempDir(), "m.db"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security = "Hostile", "127.0.0.1", srv.Addr().Port, data.SecuritySSL
	p.SMTPEnabled, p.SMTP.Host = false, "127.0.0.1"
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: "127.0.0.1", Port: srv.Addr().Port, SHA256: srv.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	box := &data.Mailbox{Address: testUser, ProviderID: p.ID, Login: testUser}
	if err := s.SaveMailbox(ctx, box); err != nil {
		t.Fatal(err)
	}
	sec := &memSecrets{m: map[string]string{box.KeyringRef: testPass}}
	return &hostileEnv{srv: srv, store: s, secrets: sec, box: box, settings: SettingsFor(p, testUser, &Trust{Pins: s})}
}

// sync syncs the mailbox with the IMAP timeout given (0 for the default).
func (e *hostileEnv) sync(timeout time.Duration) error {
	s := e.settings
	s.IMAPTimeout = timeout
	_, err := syncSettings(context.Background(), e.store, s, testPass, e.box, SyncOptions{})
	return err
}

func (e *hostileEnv) test(timeout time.Duration) error {
	s := e.settings
	s.IMAPTimeout = timeout
	return TestConnection(context.Background(), s, testPass, nil)
}

// fault returns the *ServerFaultError in err, failing the test when there is none or it
// is of another kind, or when Explain does not name the server.
func fault(t *testing.T, err error, kind FaultKind) *ServerFaultError {
	t.Helper()
	var sf *ServerFaultError
	if !errors.As(err, &sf) {
		t.Fatalf("want a server fault, got %v", err)
	}
	if sf.Kind != kind {
		t.Fatalf("fault kind = %d, want %d (%v)", sf.Kind, kind, sf)
	}
	if msg := Explain(err); !strings.HasPrefix(msg, "The mail server ") && !strings.Contains(msg, ": The mail server ") {
		t.Errorf("Explain = %q, want a sentence naming the server", msg)
	}
	return sf
}

// stored returns the mailbox's stored messages, every folder.
func (e *hostileEnv) stored(t *testing.T) []*data.Message {
	t.Helper()
	ctx := context.Background()
	fs, err := e.store.Folders(ctx, e.box.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*data.Message
	for _, f := range fs {
		page, err := e.store.MessagePage(ctx, f.ID, data.Cursor{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
	}
	return out
}

func (e *hostileEnv) boundedWire(t *testing.T) {
	t.Helper()
	if n := e.srv.Sent(); n > wireBound {
		t.Errorf("the client let the server send %d bytes, want at most %d", n, wireBound)
	}
}

// A greeting that never ends is cut at the answer limit, before login.
func TestHostileEndlessGreeting(t *testing.T) {
	e := newHostileEnv(t, hostileimap.GreetingLine, hostileimap.Options{})
	fault(t, e.test(0), FaultLongAnswer)
	e.boundedWire(t)
	fault(t, e.sync(0), FaultLongAnswer)
	e.boundedWire(t)
}

// A FETCH answer whose subject never ends is cut, and nothing of it is stored.
func TestHostileEndlessFetchLine(t *testing.T) {
	e := newHostileEnv(t, hostileimap.FetchLine, hostileimap.Options{})
	fault(t, e.sync(0), FaultLongAnswer)
	e.boundedWire(t)
	if got := e.stored(t); len(got) != 0 {
		t.Errorf("stored %d messages from a broken answer", len(got))
	}
}

// A 100 MB literal where a subject belongs is refused as announced, before it is read.
func TestHostileHugeEnvelopeLiteral(t *testing.T) {
	e := newHostileEnv(t, hostileimap.EnvelopeLiteral, hostileimap.Options{})
	sf := fault(t, e.sync(0), FaultLargeField)
	if sf.Size != 100<<20 || sf.Limit != MaxFieldLiteral {
		t.Errorf("fault = %+v, want the announced 100 MB against %d", sf, MaxFieldLiteral)
	}
	if msg := Explain(sf); !strings.Contains(msg, "100 MB") {
		t.Errorf("Explain = %q, want the size", msg)
	}
	e.boundedWire(t)
	if got := e.stored(t); len(got) != 0 {
		t.Errorf("stored %d messages from a broken answer", len(got))
	}
}

// A literal of a header field's size passes, and is stored cut to MaxHeaderField.
func TestHostileLargeSubjectIsCutWhenStored(t *testing.T) {
	e := newHostileEnv(t, hostileimap.EnvelopeLiteral, hostileimap.Options{LiteralSize: 200 << 10, Messages: 2})
	if err := e.sync(0); err != nil {
		t.Fatal(err)
	}
	got := e.stored(t)
	if len(got) != 2 {
		t.Fatalf("stored %d messages, want 2", len(got))
	}
	for _, m := range got {
		if len(m.Subject) != MaxHeaderField || strings.Trim(m.Subject, "s") != "" {
			t.Errorf("message %d: subject of %d bytes, want %d", m.UID, len(m.Subject), MaxHeaderField)
		}
	}
}

// A body far larger than the size the server gave for the message ends the connection, and
// no body is cached.
func TestHostileBodyLargerThanAnnounced(t *testing.T) {
	e := newHostileEnv(t, hostileimap.BodyOversize, hostileimap.Options{})
	if err := e.sync(0); err != nil { // the envelopes are fine; RFC822.SIZE says 300
		t.Fatal(err)
	}
	msgs := e.stored(t)
	if len(msgs) == 0 || msgs[0].Size != 300 {
		t.Fatalf("stored %v, want messages of 300 bytes", msgs)
	}
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	_, err := mail.OpenMessage(context.Background(), msgs[0].ID)
	sf := fault(t, err, FaultLargeBody)
	if sf.Limit != bodyLimit(300) {
		t.Errorf("limit = %d, want %d", sf.Limit, bodyLimit(300))
	}
	e.boundedWire(t)
	if _, _, err := e.store.MessageBody(context.Background(), msgs[0].ID); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("a body was cached: %v", err)
	}
}

// A message of the size announced opens through the same guard.
func TestHostileGoodBodyOpens(t *testing.T) {
	e := newHostileEnv(t, hostileimap.Good, hostileimap.Options{})
	if err := e.sync(0); err != nil {
		t.Fatal(err)
	}
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	rd, err := mail.OpenMessage(context.Background(), e.stored(t)[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rd.Subject, "Message ") || strings.TrimSpace(rd.Text) != "Hello." {
		t.Errorf("read %q / %q", rd.Subject, rd.Text)
	}
}

// A server that sends a byte now and then, never quite silent, is given up as too slow:
// the connection test and the sync each end with the fault, not "ok" after minutes.
func TestHostileTrickle(t *testing.T) {
	e := newHostileEnv(t, hostileimap.Trickle, hostileimap.Options{TrickleEvery: 300 * time.Millisecond})
	for name, err := range map[string]error{"test": e.test(time.Second), "sync": e.sync(time.Second)} {
		sf := fault(t, err, FaultSlow)
		if sf.After != time.Second || sf.Size <= 0 || sf.Size >= MinProgress {
			t.Errorf("%s: fault = %+v, want a few bytes in the 1 s period", name, sf)
		}
	}
}

// A hundred thousand folders are not stored, and the person is told why.
func TestHostileTooManyFolders(t *testing.T) {
	e := newHostileEnv(t, hostileimap.ManyFolders, hostileimap.Options{})
	var tf *TooManyFoldersError
	if err := e.sync(0); !errors.As(err, &tf) || tf.Limit != MaxFolders {
		t.Fatalf("sync: %v, want too many folders", err)
	}
	if fs, err := e.store.Folders(context.Background(), e.box.ID); err != nil || len(fs) != 0 {
		t.Errorf("stored %d folders (%v), want none", len(fs), err)
	}
	err := e.test(0)
	if !errors.As(err, &tf) {
		t.Fatalf("test: %v, want too many folders", err)
	}
	if msg := Explain(err); !strings.Contains(msg, "more than 10,000 folders") {
		t.Errorf("Explain = %q", msg)
	}
}

// A server of MaxFolders folders is synced in full.
func TestHostileFoldersAtTheLimit(t *testing.T) {
	e := newHostileEnv(t, hostileimap.ManyFolders, hostileimap.Options{Folders: MaxFolders - 1})
	if err := e.sync(0); err != nil {
		t.Fatal(err)
	}
	if fs, _ := e.store.Folders(context.Background(), e.box.ID); len(fs) != MaxFolders {
		t.Errorf("stored %d folders, want %d", len(fs), MaxFolders)
	}
}

// A server silent after its greeting is given up with the timeout in force named.
func TestHostileSilentAfterGreeting(t *testing.T) {
	e := newHostileEnv(t, hostileimap.Silent, hostileimap.Options{})
	for name, err := range map[string]error{"test": e.test(time.Second), "sync": e.sync(time.Second)} {
		var te *TimeoutError
		if !errors.As(err, &te) || te.After != time.Second {
			t.Fatalf("%s: %v, want a timeout after 1 s", name, err)
		}
		if msg := Explain(err); !strings.Contains(msg, "did not answer within 1 second.") {
			t.Errorf("%s: Explain = %q", name, msg)
		}
	}
}
