package mailclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"mailroom/data"
)

// workerEnv is the go-imap memory server with an Inbox of messages, a Trash and an Archive,
// counting the connections it accepts, and a database whose cache is synced with it.
type workerEnv struct {
	mem      *imapmemserver.Server
	cert     tls.Certificate
	caps     imap.CapSet
	addr     string
	srv      *imapserver.Server
	accepted atomic.Int64
	// cut, when set, names a command: the connection that sends it is closed when the
	// server starts to answer, after the server has carried it out.
	cut     atomic.Pointer[string]
	store   *data.Store
	secrets *memSecrets
	box     *data.Mailbox
	folders map[string]*data.Folder
}

func newWorkerEnv(t *testing.T, caps imap.CapSet, messages int) *workerEnv {
	t.Helper()
	e := &workerEnv{mem: imapmemserver.New(), cert: issue(t, newTestCA(t), leafOpts{}), caps: caps, addr: "127.0.0.1:0"}
	u := imapmemserver.NewUser(testUser, testPass)
	for _, f := range []string{"INBOX", "Trash", "Archive"} {
		if err := u.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.mem.AddUser(u)
	e.start(t)
	t.Cleanup(func() { e.srv.Close() })
	for i := range messages {
		msg := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: Ann <ann@example.test>\r\nSubject: Message %d\r\n\r\nHello %d.\r\n", i, i)
		if _, err := u.Append("INBOX", literal{strings.NewReader(msg)}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.store, e.secrets, e.box = mailboxOn(t, e.addr, e.cert)
	ctx := context.Background()
	if _, err := SyncMailbox(ctx, e.store, e.secrets, e.box, SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	// The memory server marks no special-use folder: say which one is Trash.
	err := e.store.SaveFolders(ctx, e.box.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true},
		{Name: "Trash", Role: data.RoleTrash, Selectable: true}, {Name: "Archive", Role: data.RoleArchive, Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	e.loadFolders(t)
	e.accepted.Store(0)
	return e
}

func (e *workerEnv) loadFolders(t *testing.T) {
	t.Helper()
	fs, err := e.store.Folders(context.Background(), e.box.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.folders = map[string]*data.Folder{}
	for _, f := range fs {
		e.folders[f.Name] = f
	}
}

func (e *workerEnv) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	e.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			e.accepted.Add(1)
			return e.mem.NewSession(), nil, nil
		},
		Caps:   e.caps,
		Logger: discardLogger{},
		// The connections are TLS, under cutConn, which hides that from the server.
		InsecureAuth: true,
	})
	go e.srv.Serve(cutListener{tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{e.cert}}), e})
}

// cutListener hands out connections that lose the answer to the command e.cut names.
type cutListener struct {
	net.Listener
	e *workerEnv
}

func (l cutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: c, e: l.e}, nil
}

type cutConn struct {
	net.Conn
	e     *workerEnv
	armed atomic.Bool
}

func (c *cutConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if w := c.e.cut.Load(); w != nil && n > 0 && strings.Contains(string(p[:n]), *w) {
		c.e.cut.Store(nil)
		c.armed.Store(true)
	}
	return n, err
}

func (c *cutConn) Write(p []byte) (int, error) {
	if c.armed.Load() {
		c.Conn.Close()
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// page returns the cached messages of folder name, newest first.
func (e *workerEnv) page(t *testing.T, name string) []*data.Message {
	t.Helper()
	msgs, err := e.store.MessagePage(context.Background(), e.folders[name].ID, data.Cursor{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// server returns the subjects and flags of folder name on the server, as another client.
func (e *workerEnv) server(t *testing.T, name string) map[string][]imap.Flag {
	t.Helper()
	c, err := imapclient.DialTLS(e.addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}) // test server
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(name, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, dup := out[m.Envelope.Subject]; dup {
			t.Errorf("%s holds %q twice", name, m.Envelope.Subject)
		}
		out[m.Envelope.Subject] = m.Flags
	}
	return out
}

// literal is a message for the memory server's Append.
type literal struct{ *strings.Reader }

// drained waits until the mailbox's queue is empty, failing after a minute.
func (e *workerEnv) drained(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		left, err := e.store.PendingActions(context.Background(), e.box.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("actions still queued: %+v", left[0])
		}
	}
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// Opening, flagging, moving and deleting many messages uses one connection, with MOVE and
// with the COPY fallback alike.
func TestWorkerUsesOneConnectionForEveryAction(t *testing.T) {
	for name, caps := range map[string]imap.CapSet{
		"IMAP4rev2": {imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		"IMAP4rev1": {imap.CapIMAP4rev1: {}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newWorkerEnv(t, caps, 12)
			mail := &Mail{Store: e.store, Secrets: e.secrets}
			defer mail.Close()
			ctx := context.Background()
			msgs := e.page(t, "INBOX")
			for i, m := range msgs {
				rd, err := mail.OpenMessage(ctx, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if rd.Subject != m.Subject {
					t.Errorf("opened %q for %q", rd.Subject, m.Subject)
				}
				if i%2 == 0 {
					if err := mail.SetFlagged(ctx, m.ID, true); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, m := range msgs[:3] {
				if err := mail.Delete(ctx, m.ID); err != nil {
					t.Fatal(err)
				}
			}
			if err := mail.Move(ctx, msgs[3].ID, e.folders["Archive"].ID); err != nil {
				t.Fatal(err)
			}
			if n := e.accepted.Load(); n != 1 {
				t.Errorf("%d connections for the actions, want 1", n)
			}
			inbox, trash, archive := e.server(t, "INBOX"), e.server(t, "Trash"), e.server(t, "Archive")
			if len(inbox) != 8 || len(trash) != 3 || len(archive) != 1 {
				t.Fatalf("server has %d in INBOX, %d in Trash, %d in Archive", len(inbox), len(trash), len(archive))
			}
			for i, m := range msgs {
				flags := inbox[m.Subject]
				switch {
				case i < 3:
					flags = trash[m.Subject]
				case i == 3:
					flags = archive[m.Subject]
				}
				if !hasFlag(flags, imap.FlagSeen) || hasFlag(flags, imap.FlagFlagged) != (i%2 == 0) {
					t.Errorf("%q has flags %v", m.Subject, flags)
				}
			}
			if got := len(e.page(t, "INBOX")); got != 8 {
				t.Errorf("the cached Inbox lists %d", got)
			}
			if got := e.page(t, "Trash"); len(got) != 3 || !got[0].Flags.Seen {
				t.Errorf("the cached Trash lists %+v", got)
			}
		})
	}
}

// Actions made while the server is down show at once, wait in the queue, and are applied
// once when it is back; a delete still queued is taken back by Restore.
func TestActionsWaitWhileTheServerIsDown(t *testing.T) {
	e := newWorkerEnv(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, 6)
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	ctx := context.Background()
	msgs := e.page(t, "INBOX")
	e.srv.Close()

	if err := mail.SetFlagged(ctx, msgs[0].ID, true); !errors.Is(err, ErrQueued) {
		t.Fatalf("flag while down: %v, want ErrQueued", err)
	}
	if err := mail.Delete(ctx, msgs[1].ID); !errors.Is(err, ErrQueued) {
		t.Fatalf("delete while down: %v", err)
	}
	if err := mail.Delete(ctx, msgs[2].ID); !errors.Is(err, ErrQueued) {
		t.Fatalf("delete while down: %v", err)
	}
	if err := mail.MarkFolderRead(ctx, e.folders["INBOX"].ID); !errors.Is(err, ErrQueued) {
		t.Fatalf("mark all read while down: %v", err)
	}
	if err := mail.Restore(ctx, msgs[2].ID); err != nil {
		t.Fatalf("undo of a queued delete: %v", err)
	}
	list := e.page(t, "INBOX")
	if len(list) != 5 {
		t.Errorf("the list shows %d messages, want 5 (one deleted, one taken back)", len(list))
	}
	for _, m := range list {
		if !m.Flags.Seen || (m.ID == msgs[0].ID) != m.Flags.Flagged {
			t.Errorf("cached %q: %+v", m.Subject, m.Flags)
		}
	}

	e.start(t)
	e.drained(t)
	inbox, trash := e.server(t, "INBOX"), e.server(t, "Trash")
	if _, ok := trash[msgs[1].Subject]; len(inbox) != 5 || len(trash) != 1 || !ok {
		t.Fatalf("server: INBOX %v, Trash %v", inbox, trash)
	}
	for subject, flags := range inbox {
		if !hasFlag(flags, imap.FlagSeen) || hasFlag(flags, imap.FlagFlagged) != (subject == msgs[0].Subject) {
			t.Errorf("%q has %v", subject, flags)
		}
	}
}

// Undo after a delete that reached the server moves the message back from Trash.
func TestRestoreMovesADoneDeleteBack(t *testing.T) {
	e := newWorkerEnv(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, 3)
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	ctx := context.Background()
	m := e.page(t, "INBOX")[0]
	if err := mail.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if trash := e.server(t, "Trash"); len(trash) != 1 {
		t.Fatalf("Trash on the server: %v", trash)
	}
	if err := mail.Restore(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	inbox, trash := e.server(t, "INBOX"), e.server(t, "Trash")
	if _, ok := inbox[m.Subject]; !ok || len(trash) != 0 {
		t.Fatalf("after undo: INBOX %v, Trash %v", inbox, trash)
	}
	back, err := e.store.Message(ctx, m.ID)
	if err != nil || back.FolderID != e.folders["INBOX"].ID || back.Flags.Deleted {
		t.Fatalf("cached after undo: %+v, %v", back, err)
	}
	if err := mail.Restore(ctx, m.ID); !errors.Is(err, data.ErrNothingToUndo) {
		t.Errorf("a second undo: %v", err)
	}
}

// An action the server refuses for good is taken back in the cache and reported.
func TestRefusedActionIsRevertedAndReported(t *testing.T) {
	e := newWorkerEnv(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, 2)
	var mu sync.Mutex
	var reported []*data.Action
	mail := &Mail{Store: e.store, Secrets: e.secrets, Failed: func(a *data.Action, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, a)
	}}
	defer mail.Close()
	ctx := context.Background()
	// A folder the cache knows and the server does not (deleted by another client).
	err := e.store.SaveFolders(ctx, e.box.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true},
		{Name: "Trash", Role: data.RoleTrash, Selectable: true}, {Name: "Archive", Selectable: true}, {Name: "Gone", Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	e.loadFolders(t)
	m := e.page(t, "INBOX")[0]
	err = mail.Move(ctx, m.ID, e.folders["Gone"].ID)
	var se *ServerError
	if !errors.As(err, &se) {
		t.Fatalf("move to a missing folder: %v, want the server's refusal", err)
	}
	if len(e.page(t, "INBOX")) != 2 {
		t.Error("the refused move left the message out of its list")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || reported[0].MessageID != m.ID {
		t.Errorf("reported %+v", reported)
	}
	if left, _ := e.store.PendingActions(ctx, e.box.ID); len(left) != 0 {
		t.Errorf("still queued: %+v", left)
	}
}

// A connection the server dropped while idle is replaced without the person noticing.
func TestWorkerReconnectsAfterTheServerDropsIt(t *testing.T) {
	e := newWorkerEnv(t, imap.CapSet{imap.CapIMAP4rev1: {}}, 3)
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	ctx := context.Background()
	msgs := e.page(t, "INBOX")
	if _, err := mail.OpenMessage(ctx, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	e.srv.Close() // every connection ends
	e.start(t)
	if _, err := mail.OpenMessage(ctx, msgs[1].ID); err != nil {
		t.Fatalf("open after the server restarted: %v", err)
	}
	if err := mail.SetFlagged(ctx, msgs[2].ID, true); err != nil {
		t.Fatal(err)
	}
	if n := e.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (one before the restart, one after)", n)
	}
}

// The server moves the message and the connection dies before its answer arrives: the
// worker sends the move again on a new connection, where the UID is gone from the Inbox, so
// the message is in Trash once.
func TestMoveWhoseAnswerIsLostIsNotDoubled(t *testing.T) {
	e := newWorkerEnv(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, 3)
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	ctx := context.Background()
	msgs := e.page(t, "INBOX")
	if _, err := mail.OpenMessage(ctx, msgs[1].ID); err != nil { // the connection is reused for the delete
		t.Fatal(err)
	}
	move := "MOVE"
	e.cut.Store(&move)
	if err := mail.Delete(ctx, msgs[0].ID); err != nil && !errors.Is(err, ErrQueued) {
		t.Fatal(err)
	}
	e.drained(t)
	if e.cut.Load() != nil {
		t.Fatal("the MOVE was never sent")
	}
	if n := e.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the one cut, and its replacement)", n)
	}
	inbox, trash := e.server(t, "INBOX"), e.server(t, "Trash")
	if _, ok := trash[msgs[0].Subject]; !ok || len(trash) != 1 || len(inbox) != 2 {
		t.Errorf("after the lost answer: INBOX %v, Trash %v", inbox, trash)
	}
	if list := e.page(t, "INBOX"); len(list) != 2 {
		t.Errorf("the cached Inbox lists %d", len(list))
	}
}

// Append goes through the same connection as the other actions.
func TestAppendUsesTheMailboxConnection(t *testing.T) {
	e := newWorkerEnv(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, 1)
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	ctx := context.Background()
	if _, err := mail.OpenMessage(ctx, e.page(t, "INBOX")[0].ID); err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: Ann <ann@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: Draft one\r\n\r\nNot yet.\r\n")
	uid, err := mail.Append(ctx, e.folders["Archive"].ID, data.Flags{Seen: true, Draft: true}, raw)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.accepted.Load(); n != 1 || uid == 0 {
		t.Errorf("%d connections, UID %d", n, uid)
	}
	if flags, ok := e.server(t, "Archive")["Draft one"]; !ok || !hasFlag(flags, imap.FlagDraft) || !hasFlag(flags, imap.FlagSeen) {
		t.Errorf("appended: %v %v", ok, flags)
	}
}
