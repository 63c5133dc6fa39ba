package gui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// sourceAddr is the loopback address this file's connections to Dovecot come from, so its
// log tells their logins from those of tests running beside it.
const sourceAddr = "127.0.0.7"

// relay forwards connections on 127.0.0.1 to Dovecot's IMAPS, dialling from sourceAddr.
func relay(t *testing.T, to string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(sourceAddr)}, Timeout: 5 * time.Second}
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
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// logins counts the IMAP logins from sourceAddr in Dovecot's log.
func logins(t *testing.T, srv testenv.Servers) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(srv.Dir, "dovecot", "dovecot.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "imap-login: ") && strings.Contains(line, "Login: user=<") && strings.Contains(line, "rip="+sourceAddr+",") {
			n++
		}
	}
	return n
}

// seedFolder writes n messages into a new Maildir folder of ann's and returns its name.
func seedFolder(t *testing.T, srv testenv.Servers, n int) string {
	t.Helper()
	name := "Actions" + strconv.FormatInt(time.Now().UnixNano(), 36)
	maildir := filepath.Join(srv.MaildirRoot, "example.test", "ann", "Maildir")
	dir := filepath.Join(maildir, "."+name)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o770); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		msg := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: Ann <ann@example.test>\r\nSubject: Action %d\r\nMessage-ID: <action-%d-%s@example.test>\r\n\r\nBody of message %d.\r\n", i, i, name, i)
		p := filepath.Join(dir, "cur", fmt.Sprintf("%d.M%dP%d.mailroom:2,", base.Unix()+int64(i), i, os.Getpid()))
		if err := os.WriteFile(p, []byte(msg), 0o660); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, at, at)
	}
	u, err := user.Lookup("mail")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	filepath.Walk(filepath.Dir(filepath.Dir(maildir)), func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Lchown(p, uid, gid)
		}
		return nil
	})
	return name
}

// serverFolder returns the subjects and flags of folder name on Dovecot, as another client.
func serverFolder(t *testing.T, srv testenv.Servers, name string) map[string][]imap.Flag {
	t.Helper()
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	c, err := imapclient.DialTLS(srv.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "mail.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("ann@example.test", srv.Users["ann@example.test"]).Wait(); err != nil {
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
		out[m.Envelope.Subject] = m.Flags
	}
	return out
}

func flagged(flags []imap.Flag) bool {
	for _, f := range flags {
		if f == imap.FlagFlagged {
			return true
		}
	}
	return false
}

// One connection per mailbox: opening, flagging and deleting 50 messages in the window,
// then Undo, Move to… and Mark all read, log in to Dovecot at most 3 times (the sync, the
// Inbox watcher and the mailbox's worker), and every change reaches the server once.
func TestFiftyMessageActionsLogInAtMostThreeTimes(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	folder := seedFolder(t, srv, 50)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	addr := relay(t, srv.IMAPSAddr)
	p := testProvider(t, s, addr, srv.SMTPSAddr)
	pinServer(t, s, srv, addr)
	m := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann@example.test"}
	if err := s.SaveMailbox(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	secrets := data.NewSecrets()
	if err := secrets.Set(context.Background(), m.KeyringRef, srv.Users["ann@example.test"]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { secrets.Delete(context.Background(), m.KeyringRef) })
	before := logins(t, srv)
	u := newTestUIWith(t, s, func(u *UI) { u.syncEvery, u.watchIdle = time.Hour, true }) // the start-up sync, then the Inbox watcher
	eventually(t, u, "the start-up sync shows the folders", func() bool { return len(u.mail.folders[m.ID]) > 0 })
	quiet(t, u)
	var shown, archive *data.Folder
	act(u, func() {
		for _, f := range u.mail.folders[m.ID] {
			switch {
			case f.Name == folder:
				shown = f
			case f.Role == data.RoleArchive:
				archive = f
			}
		}
	})
	if shown == nil || archive == nil {
		t.Fatalf("folders after the sync: %v; status %q", u.mail.folders, u.mail.status.Text)
	}
	act(u, func() { u.mail.tree.Select("f" + strconv.FormatInt(shown.ID, 10)) })
	u.jobs.Wait()
	var msgs []*data.Message
	act(u, func() { msgs = append(msgs, u.mail.list.messages()...) })
	if len(msgs) != 50 {
		t.Fatalf("the list shows %d messages, want 50", len(msgs))
	}
	for _, msg := range msgs {
		act(u, func() { u.mail.open(msg) })
		u.jobs.Wait()
		act(u, func() {
			if want := strings.TrimPrefix(msg.Subject, "Action "); !strings.Contains(u.mail.reader.body.Text, "Body of message "+want+".") {
				t.Errorf("the reader shows %q for %q", u.mail.reader.body.Text, msg.Subject)
			}
		})
		act(u, u.mail.toggleFlag)
		u.jobs.Wait()
		act(u, u.mail.deleteSelected)
		u.jobs.Wait()
	}
	act(u, func() {
		if !u.mail.actions.undoBar.Visible() || len(u.mail.list.messages()) != 0 {
			t.Errorf("after the deletes: undo bar shown %v, %d listed; status %q", u.mail.actions.undoBar.Visible(), len(u.mail.list.messages()), u.mail.status.Text)
		}
		test.Tap(u.mail.actions.undo)
	})
	u.jobs.Wait()
	last := msgs[len(msgs)-1]
	act(u, func() {
		if len(u.mail.list.messages()) != 1 || u.mail.list.messages()[0].ID != last.ID {
			t.Fatalf("after Undo the list shows %d messages", len(u.mail.list.messages()))
		}
		u.mail.open(u.mail.list.messages()[0])
	})
	u.jobs.Wait()
	act(u, func() {
		for _, it := range u.mail.actions.moveMenu().Items {
			if it.Label == "Archive" {
				it.Action()
			}
		}
	})
	u.jobs.Wait()
	act(u, func() { u.mail.tree.Select("f" + strconv.FormatInt(archive.ID, 10)) })
	u.jobs.Wait()
	act(u, u.mail.actions.markFolderRead)
	u.jobs.Wait()

	got := logins(t, srv) - before
	if got == 0 {
		t.Fatal("no login from " + sourceAddr + " found in Dovecot's log")
	}
	if got > 3 {
		t.Errorf("%d logins for 50 opens, flags and deletes, want at most 3", got)
	}
	t.Logf("%d logins from %s", got, sourceAddr)
	if left := serverFolder(t, srv, folder); len(left) != 0 {
		t.Errorf("%d messages left in %s", len(left), folder)
	}
	trash := serverFolder(t, srv, "Trash")
	for _, msg := range msgs[:len(msgs)-1] {
		if flags, ok := trash[msg.Subject]; !ok || !flagged(flags) {
			t.Errorf("%q in Trash: %v %v", msg.Subject, ok, flags)
		}
	}
	if flags, ok := serverFolder(t, srv, "Archive")[last.Subject]; !ok || !flagged(flags) {
		t.Errorf("the restored and moved message in Archive: %v %v", ok, flags)
	}
}
