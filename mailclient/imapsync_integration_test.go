package mailclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"fmt"
	"mime"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"

	"mailroom/data"
	"mailroom/internal/testenv"
)

var _ MessageStore = (*data.Store)(nil)

// memSecrets is a SecretStore in memory.
type memSecrets struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memSecrets) Set(_ context.Context, ref, pw string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[ref] = pw
	return nil
}

func (s *memSecrets) Get(_ context.Context, ref string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pw, ok := s.m[ref]
	if !ok {
		return "", data.ErrNotFound
	}
	return pw, nil
}

func (s *memSecrets) Delete(_ context.Context, ref string) error { return nil }

// syncEnv is a database with ann's mailbox on the test Dovecot (its certificate pinned) and
// a folder of her own that each test seeds by writing Maildir files.
type syncEnv struct {
	srv     testenv.Servers
	store   *data.Store
	secrets *memSecrets
	box     *data.Mailbox
	folder  string // the test's folder on the server
	dir     string // its Maildir folder
	user    string
	pass    string
	trust   *Trust
}

func newSyncEnv(t *testing.T, dbPath string) *syncEnv {
	t.Helper()
	srv, trust, user, pass := realServers(t)
	e := &syncEnv{srv: srv, user: user, pass: pass, trust: trust, secrets: &memSecrets{m: map[string]string{}}}
	s, err := data.Open(dbPath, "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.store = s
	ctx := context.Background()
	endpoint := ep(t, srv.IMAPSAddr, data.SecuritySSL)
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security = "Test", endpoint.Host, endpoint.Port, data.SecuritySSL
	p.SMTP.Host = endpoint.Host
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: endpoint.Host, Port: endpoint.Port, SHA256: serverFingerprint(t, srv.IMAPSAddr)}); err != nil {
		t.Fatal(err)
	}
	e.box = &data.Mailbox{Address: user, ProviderID: p.ID, Login: user}
	if err := s.SaveMailbox(ctx, e.box); err != nil {
		t.Fatal(err)
	}
	e.secrets.Set(ctx, e.box.KeyringRef, pass)
	e.folder = fmt.Sprintf("Sync%d", time.Now().UnixNano())
	local, domain, _ := strings.Cut(user, "@")
	e.dir = filepath.Join(srv.MaildirRoot, domain, local, "Maildir", "."+e.folder)
	return e
}

func serverFingerprint(t *testing.T, addr string) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:])
}

// seedMaildir writes messages into dir's cur folder, file i with flags and an arrival time
// of base plus i minutes, and hands the tree to the mail user.
func seedMaildir(t testing.TB, dir string, msgs [][]byte, flags []string, base time.Time) {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o770); err != nil {
			t.Fatal(err)
		}
	}
	stamp := time.Now().UnixNano()
	for i, m := range msgs {
		fl := ""
		if flags != nil {
			fl = flags[i%len(flags)]
		}
		p := filepath.Join(dir, "cur", fmt.Sprintf("%d.M%dP%d.mailroom:2,%s", base.Unix()+int64(i), stamp, i, fl))
		if err := os.WriteFile(p, m, 0o660); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, at, at)
	}
	chownMail(t, dir)
}

// chownMail hands dir and its parents up to the Maildir root to the mail user, which
// Dovecot runs as.
func chownMail(t testing.TB, dir string) {
	t.Helper()
	root := dir
	for i := 0; i < 4; i++ { // Maildir/.Folder, Maildir, user, domain
		root = filepath.Dir(root)
	}
	u, err := user.Lookup("mail")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Lchown(p, uid, gid)
		}
		return nil
	})
}

// corpus returns the test messages of testdata/messages, n of them, varied.
func corpus(t testing.TB, n int) [][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "messages", "*.eml"))
	var all [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = all[i%len(all)]
	}
	return out
}

// client logs a second client, like another mail program, in to the test server.
func (e *syncEnv) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(e.srv.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: e.trust.Roots},
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(e.user, e.pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *syncEnv) sync(t *testing.T) []FolderSummary {
	t.Helper()
	sums, err := SyncMailbox(context.Background(), e.store, e.secrets, e.box, SyncOptions{Folder: e.folder, Batch: 7})
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, Explain(err))
	}
	return sums
}

func (e *syncEnv) storedFolder(t *testing.T) *data.Folder {
	t.Helper()
	fs, err := e.store.Folders(context.Background(), e.box.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Name == e.folder {
			return f
		}
	}
	t.Fatalf("folder %s not stored", e.folder)
	return nil
}

// compare fails unless the stored folder holds exactly the server's messages with their
// flags and subjects.
func (e *syncEnv) compare(t *testing.T, c *imapclient.Client) {
	t.Helper()
	sel, err := c.Select(e.folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	var bufs []*imapclient.FetchMessageBuffer
	if sel.NumMessages > 0 {
		var all imap.SeqSet
		all.AddRange(1, 0)
		if bufs, err = c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect(); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, b := range bufs {
		f := flagsOf(b.Flags)
		want = append(want, fmt.Sprintf("%d seen=%v flagged=%v %s", b.UID, f.Seen, f.Flagged, cleanText(b.Envelope.Subject)))
	}
	f := e.storedFolder(t)
	var got []string
	for cur := (data.Cursor{}); ; {
		page, err := e.store.MessagePage(context.Background(), f.ID, cur, data.MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			got = append(got, fmt.Sprintf("%d seen=%v flagged=%v %s", m.UID, m.Flags.Seen, m.Flags.Flagged, m.Subject))
		}
		if len(page) < data.MaxPage {
			break
		}
		cur = page[len(page)-1].Cursor()
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("cache (%d messages) differs from server (%d):\nonly cached %q\nonly on server %q", len(got), len(want),
			firstMissing(want, got), firstMissing(got, want))
	}
}

// firstMissing returns up to 5 members of a that b lacks.
func firstMissing(b, a []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) && len(out) < 5 {
			out = append(out, x)
		}
	}
	return out
}

func TestSyncAgainstDovecot(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	ctx := context.Background()
	seedMaildir(t, e.dir, corpus(t, 30), []string{"", "S", "FS"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	var progress []string
	sums, err := SyncMailbox(ctx, e.store, e.secrets, e.box, SyncOptions{Folder: e.folder, Batch: 7,
		Progress: func(folder string, done, total int) { progress = append(progress, fmt.Sprintf("%d/%d", done, total)) }})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(sums) != 1 || sums[0].New != 30 {
		t.Fatalf("summary %+v", sums)
	}
	if strings.Join(progress, " ") != "0/0 0/30 7/30 14/30 21/30 28/30 30/30" {
		t.Errorf("progress %v", progress)
	}
	c := e.client(t)
	e.compare(t, c)

	// Roles from LIST.
	fs, _ := e.store.Folders(ctx, e.box.ID)
	roles := map[data.FolderRole]string{}
	for _, f := range fs {
		roles[f.Role] = f.Name
	}
	for _, r := range []data.FolderRole{data.RoleInbox, data.RoleSent, data.RoleDrafts, data.RoleTrash, data.RoleJunk, data.RoleArchive} {
		if roles[r] == "" {
			t.Errorf("no folder with role %q among %v", r, roles)
		}
	}

	// Unchanged: nothing to do.
	if sums := e.sync(t); sums[0].New+sums[0].Changed+sums[0].Removed != 0 {
		t.Errorf("resync of an unchanged folder: %+v", sums)
	}

	// Another client changes flags, expunges, and mail arrives.
	if _, err := c.Select(e.folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Store(imap.UIDSetNum(1, 2, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, imap.FlagSeen}}, nil).Close()
	c.Store(imap.UIDSetNum(5), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	c.Store(imap.UIDSetNum(10, 11, 12), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	seedMaildir(t, e.dir, corpus(t, 4), nil, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	sums = e.sync(t)
	if sums[0].New != 4 || sums[0].Removed != 3 || sums[0].Changed == 0 {
		t.Errorf("resync after changes: %+v", sums)
	}
	e.compare(t, c)

	// UIDVALIDITY changes: the folder is deleted and created again with other mail.
	c.Unselect().Wait()
	if err := c.Delete(e.folder).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(e.folder, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	seedMaildir(t, e.dir, corpus(t, 5), []string{"S"}, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	sums = e.sync(t)
	if !sums[0].Reset || sums[0].New != 5 {
		t.Errorf("resync after UIDVALIDITY change: %+v", sums)
	}
	e.compare(t, c)
}

func TestSyncLoadsFromDate(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	base := time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)
	seedMaildir(t, e.dir, corpus(t, 10), nil, base)
	// Those ten arrived on 31 December 2023; the three below in June 2024.
	e.box.LoadFrom = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := e.store.SaveMailbox(context.Background(), e.box); err != nil {
		t.Fatal(err)
	}
	seedMaildir(t, e.dir, corpus(t, 3), nil, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if sums := e.sync(t); sums[0].New != 3 {
		t.Errorf("with LoadFrom %v: %+v", e.box.LoadFrom, sums)
	}
}

func TestReadAndChangeMessagesOnDovecot(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	ctx := context.Background()
	seedMaildir(t, e.dir, corpus(t, 8), nil, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	e.sync(t)
	f := e.storedFolder(t)
	page, _ := e.store.MessagePage(ctx, f.ID, data.Cursor{}, 100)
	var changed []int64
	mail := &Mail{Store: e.store, Secrets: e.secrets, Changed: func(id int64) { changed = append(changed, id) }}
	var withAttachment *data.Message
	for _, m := range page {
		if m.HasAttachment {
			withAttachment = m
		}
	}
	if withAttachment == nil {
		t.Fatal("no message with an attachment")
	}
	rd, err := mail.OpenMessage(ctx, withAttachment.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Attachments) != 2 || !strings.Contains(rd.Text, "März") {
		t.Errorf("reading %+v", rd)
	}
	if m, _ := e.store.Message(ctx, withAttachment.ID); !m.Flags.Seen {
		t.Error("opened message not seen here")
	}
	if hits, _ := e.store.SearchMessages(ctx, f.ID, "angehängt", data.Cursor{}, 10); len(hits) != 1 {
		t.Errorf("search of the cached body finds %d", len(hits))
	}
	if err := mail.SetFlagged(ctx, page[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := mail.SetSeen(ctx, page[1].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := mail.Delete(ctx, page[2].ID); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.compare(t, c)
	if len(changed) < 4 {
		t.Errorf("Changed called for %v", changed)
	}
	// The deleted message is in Trash.
	st, err := c.Status("Trash", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages == 0 {
		t.Errorf("Trash: %+v, %v", st, err)
	}
	// A refused change is undone: the folder is renumbered under the action's feet.
	if err := e.store.ResetFolder(ctx, f.ID, 1); err != nil {
		t.Fatal(err)
	}
	e.store.StoreMessages(ctx, f.ID, []*data.Message{page[3]}, 0)
	page3, _ := e.store.MessagePage(ctx, f.ID, data.Cursor{}, 100)
	before := page3[0].Flags
	if err := mail.SetFlagged(ctx, page3[0].ID, !before.Flagged); err == nil {
		t.Error("a flag change on a renumbered folder succeeded")
	}
	if after, _ := e.store.Message(ctx, page3[0].ID); after.Flags.Flagged != before.Flagged {
		t.Error("the refused change stayed")
	}
}

// TestSyncKilledMidway kills a child process in the middle of a sync of 3,000 messages: the
// database must pass integrity_check, and the next sync must converge.
func TestSyncKilledMidway(t *testing.T) {
	if os.Getenv("MAILROOM_SYNC_CHILD") != "" {
		childSync(t)
		return
	}
	dbPath := filepath.Join(t.TempDir(), "mailroom.db")
	e := newSyncEnv(t, dbPath)
	seedMaildir(t, e.dir, corpus(t, 3000), []string{"", "S"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

	cmd := exec.Command(os.Args[0], "-test.run", "^TestSyncKilledMidway$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILROOM_SYNC_CHILD="+dbPath, "MAILROOM_SYNC_FOLDER="+e.folder, "MAILROOM_SYNC_PASS="+e.pass)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it reports a stored batch.
	buf := make([]byte, 4096)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "stored ") {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("child ended before storing: %v\n%s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	cmd.Process.Kill()
	cmd.Wait()

	s, err := data.Open(dbPath, "ann")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e.store = s
	e.box, _ = s.MailboxByAddress(context.Background(), e.user)
	f := e.storedFolder(t)
	if f.Total == 0 || f.Total >= 3000 || f.FetchedUID != uint32(f.Total) {
		t.Errorf("after the kill: %d stored, fetched up to %d", f.Total, f.FetchedUID)
	}
	checkIntegrity(t, dbPath)
	// The killed child's lease on the folder is still there; the next sync waits for it to
	// expire rather than for ever.
	var waitedFor string
	sums, err := SyncMailbox(context.Background(), e.store, e.secrets, e.box, SyncOptions{Folder: e.folder,
		Waiting: func(_, owner string) { waitedFor = owner }})
	if err != nil {
		t.Fatalf("the sync after the kill: %v", err)
	}
	if want := fmt.Sprintf("process %d ", cmd.Process.Pid); !strings.HasPrefix(waitedFor, want) {
		t.Errorf("the sync after the kill waited for %q, want %q…", waitedFor, want)
	}
	if sums[0].New != 3000-f.Total {
		t.Errorf("the next sync added %d to %d", sums[0].New, f.Total)
	}
	e.compare(t, e.client(t))
}

// childSync is the killed process: a slow sync, one stored batch reported per line.
func childSync(t *testing.T) {
	s, err := data.Open(os.Getenv("MAILROOM_SYNC_CHILD"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boxes, _ := s.Mailboxes(context.Background())
	secrets := &memSecrets{m: map[string]string{boxes[0].KeyringRef: os.Getenv("MAILROOM_SYNC_PASS")}}
	_, err = SyncMailbox(context.Background(), s, secrets, boxes[0], SyncOptions{Folder: os.Getenv("MAILROOM_SYNC_FOLDER"), Batch: 50,
		Progress: func(_ string, done, _ int) {
			if done > 0 {
				fmt.Printf("stored %d\n", done)
				time.Sleep(20 * time.Millisecond)
			}
		}})
	fmt.Printf("sync ended: %v\n", err)
	os.Exit(1) // the parent kills it before
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path) // the driver the data package registers
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %s, %v", res, err)
	}
}

// TestSyncNewMailAndExpungeAtOnce expunges as many messages as arrive between two syncs,
// so the folder's count is unchanged: the count may not pass for "nothing expunged".
func TestSyncNewMailAndExpungeAtOnce(t *testing.T) {
	tests := []struct {
		name        string
		expunge     []imap.UID
		arrive      int
		wantRemoved int
		wantNew     int
	}{
		{name: "as many expunged as arrived", expunge: []imap.UID{2, 5}, arrive: 2, wantRemoved: 2, wantNew: 2},
		{name: "more expunged than arrived", expunge: []imap.UID{1, 3, 4}, arrive: 1, wantRemoved: 3, wantNew: 1},
		{name: "only new mail", arrive: 3, wantNew: 3},
		{name: "only an expunge", expunge: []imap.UID{6}, wantRemoved: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
			seedMaildir(t, e.dir, corpus(t, 10), []string{"", "S"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
			e.sync(t)
			c := e.client(t)
			if len(tt.expunge) > 0 {
				if _, err := c.Select(e.folder, nil).Wait(); err != nil {
					t.Fatal(err)
				}
				set := imap.UIDSetNum(tt.expunge...)
				if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
					t.Fatal(err)
				}
				if err := c.Expunge().Close(); err != nil {
					t.Fatal(err)
				}
				c.Unselect().Wait()
			}
			if tt.arrive > 0 {
				seedMaildir(t, e.dir, corpus(t, tt.arrive), nil, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
			}
			sums := e.sync(t)
			if sums[0].Removed != tt.wantRemoved || sums[0].New != tt.wantNew {
				t.Errorf("resync: %+v, want %d removed and %d new", sums[0], tt.wantRemoved, tt.wantNew)
			}
			e.compare(t, c)
			if sums := e.sync(t); sums[0].New+sums[0].Removed != 0 {
				t.Errorf("the sync after: %+v", sums[0])
			}
		})
	}
}
