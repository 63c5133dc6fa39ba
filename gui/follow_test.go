package gui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// eventually waits (generously: machines are noisy) until ok, read on the UI goroutine, holds.
func eventually(t *testing.T, u *UI, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		u.jobs.Wait()
		var done bool
		act(u, func() { done = ok() })
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never: %s (status %q)", what, u.mail.status.Text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// quiet waits until the window has nothing left to do (no sync runs, no background work is
// pending, no store change is on its way), so a test may touch its widgets: they change by
// themselves while the screens follow the store.
func quiet(t *testing.T, u *UI) {
	t.Helper()
	for range 3 {
		eventually(t, u, "the syncs end", func() bool { return u.sync == nil || !u.sync.Busy() })
		time.Sleep(300 * time.Millisecond) // longer than the store's gap between two changes
	}
	u.jobs.Wait()
}

// The screens follow the store: what this process commits, through whatever path, shows on
// every screen that shows it, without any screen being told to reload.
func TestScreensFollowChangesOfThisProcess(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	if !u.mail.welcome.Visible() {
		t.Fatal("no welcome page on an empty database")
	}
	p := testProvider(t, s, "127.0.0.1:1", "127.0.0.1:1")
	if err := s.SaveMailbox(context.Background(), &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, u, "the Mail and Mailboxes screens show the new mailbox", func() bool {
		return !u.mail.welcome.Visible() && len(u.mail.mailboxes) == 1 && len(u.mailboxes.list) == 1
	})
	eventually(t, u, "the providers grid shows the provider", func() bool { return u.providers.rows.len() == 1 })
	if err := s.SaveDraft(context.Background(), &data.Draft{Composition: data.Composition{Subject: "Later"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, u, "the Outbox lists the draft", func() bool { return len(u.outboxView.drafts) == 1 })
}

// What another Mailroom process commits on the same database shows too, within seconds:
// the command line adding a mailbox, a colleague starting Mailroom on the database.
func TestScreensFollowChangesOfAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, path, "ann")
	p := testProvider(t, s, "127.0.0.1:1", "127.0.0.1:1")
	u := newTestUI(t, s)

	bob := openStore(t, path, "bob") // bob starts Mailroom on the database
	eventually(t, u, "the permissions page shows bob", func() bool { return strings.Contains(u.perms.users.Text, "bob") })
	if !strings.Contains(u.perms.users.Text, "ann (you)") {
		t.Errorf("users shown: %q", u.perms.users.Text)
	}

	other := openStore(t, path, "ann") // `mailroom mailbox add` while the window is open
	if err := other.SaveMailbox(context.Background(), &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann", State: data.MailboxOK}); err != nil {
		t.Fatal(err)
	}
	eventually(t, u, "the window shows the mailbox added elsewhere", func() bool {
		return !u.mail.welcome.Visible() && len(u.mail.mailboxes) == 1 && len(u.mailboxes.list) == 1
	})
	eventually(t, u, "its first sync is tried (the server is not there)", func() bool {
		return strings.Contains(u.mail.status.Text, "Sync failed for ann@example.test")
	})
	_ = bob

	// `mailroom providers publish` while the window is open: Settings says so.
	if err := other.RecordPublished(context.Background(), 7, "/srv/office-list", time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, u, "Settings shows the publish made elsewhere", func() bool {
		return strings.Contains(u.settings.published.Text, "Last published: list number 7 in /srv/office-list")
	})
}

// dovecotMailbox saves a mailbox of user on the test Dovecot and Postfix into s (its password
// in the keyring), as `mailroom mailbox add` does.
func dovecotMailbox(t *testing.T, s *data.Store, srv testenv.Servers, p *data.Provider, user string) *data.Mailbox {
	t.Helper()
	testenv.NeedKeyring(t)
	m := &data.Mailbox{Address: user, ProviderID: p.ID, Login: user}
	secrets := data.NewSecrets()
	if err := mailclient.SaveNewMailbox(context.Background(), s, secrets, m, srv.Users[user], nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { secrets.Delete(context.Background(), m.KeyringRef) })
	return m
}

// inboxShown reports whether the Mail screen shows an Inbox of mailbox address.
func inboxShown(u *UI, address string) bool {
	f := u.mail.folder
	if f == nil || f.Role != data.RoleInbox {
		return false
	}
	for _, m := range u.mail.mailboxes {
		if m.ID == f.MailboxID {
			return m.Address == address
		}
	}
	return false
}

// Defect 2.1: a mailbox added from the command line while the window is open shows, and
// syncs with its progress in the status line, within seconds; no restart.
func TestMailboxAddedElsewhereShowsAndSyncsAgainstDovecot(t *testing.T) {
	srv := testenv.Load(t)
	path := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, path, "ann")
	p := testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	pinServer(t, s, srv, srv.IMAPSAddr)
	u := newTestUI(t, s)
	if !u.mail.welcome.Visible() {
		t.Fatal("no welcome page")
	}
	other := openStore(t, path, "ann")
	dovecotMailbox(t, other, srv, p, "ann@example.test")
	eventually(t, u, "the Inbox of the added mailbox shows, synced", func() bool {
		return !u.mail.welcome.Visible() && inboxShown(u, "ann@example.test") && strings.HasPrefix(u.mail.status.Text, "Up to date")
	})
}

// Defect 2.1: a mailbox saved in the new-mailbox window shows on the Mail screen at once and
// its first sync starts by itself.
func TestSavedMailboxShowsAndSyncsAgainstDovecot(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	pinServer(t, s, srv, srv.IMAPSAddr)
	pinServer(t, s, srv, srv.SMTPSAddr)
	u := newTestUI(t, s)
	w := openMailboxUI(u, nil) // what "Add your mailbox" does
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait() // the provider lookup, off the UI goroutine
	test.Type(w.password, srv.Users["ann@example.test"])
	test.Tap(w.save)
	u.jobs.Wait()
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 {
		t.Fatalf("not saved: %q", w.result.Text)
	}
	t.Cleanup(func() { u.secrets.Delete(context.Background(), list[0].KeyringRef) })
	eventually(t, u, "the Mail screen shows the mailbox's Inbox, synced", func() bool {
		return !u.mail.welcome.Visible() && inboxShown(u, "ann@example.test") && strings.HasPrefix(u.mail.status.Text, "Up to date")
	})
	eventually(t, u, "the Mailboxes screen lists it", func() bool { return u.mailboxes.rows.Length() == 1 })
}

// notesApp is the test app, keeping the notifications sent.
type notesApp struct {
	fyne.App
	mu    sync.Mutex
	notes []*fyne.Notification
}

func (a *notesApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notes = append(a.notes, n)
}

func (a *notesApp) sent() []*fyne.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*fyne.Notification(nil), a.notes...)
}

// appendInbox puts n messages in user's Inbox on Dovecot, as another client.
func appendInbox(t *testing.T, srv testenv.Servers, user string, n int, subject string) {
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
	if err := c.Login(user, srv.Users[user]).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		msg := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: %s %d\r\nDate: %s\r\n\r\nHello.\r\n",
			user, subject, i+1, time.Now().Format(time.RFC1123Z))
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		cmd.Write([]byte(msg))
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// Defect 2.5: mail that arrives together, through IDLE, raises one notification naming how
// many came, and shows in the open Inbox by itself.
func TestNewMailRaisesOneNotificationPerSyncAgainstDovecot(t *testing.T) {
	srv := testenv.Load(t)
	const user = "bob@example.test"
	if srv.Users[user] == "" {
		t.Fatalf("no test user %s", user)
	}
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	p := testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	pinServer(t, s, srv, srv.IMAPSAddr)
	dovecotMailbox(t, s, srv, p, user)
	a := &notesApp{App: test.NewTempApp(t)}
	u := New(a, s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.discoverer, u.typingPause, u.syncEvery, u.watchIdle = offlineDiscoverer(), 0, time.Hour, true
	u.cacheDir, u.clicks = t.TempDir(), nil
	act(u, u.ShowMain)
	t.Cleanup(u.stopWorkers)
	eventually(t, u, "the start-up sync shows the Inbox", func() bool {
		return inboxShown(u, user) && strings.HasPrefix(u.mail.status.Text, "Up to date")
	})
	before := len(a.sent()) // the history of the Inbox is not news
	subject := "Burst " + time.Now().Format("150405.000")
	time.Sleep(time.Second) // let the watcher reach IDLE (it finds the mail either way)
	appendInbox(t, srv, user, 3, subject)
	eventually(t, u, "the three show in the open Inbox", func() bool {
		n := 0
		for _, m := range u.mail.list.messages() {
			if strings.HasPrefix(m.Subject, subject) {
				n++
			}
		}
		return n == 3
	})
	notes := a.sent()[before:]
	if len(notes) != 1 || !strings.HasPrefix(notes[0].Content, "3 new messages in "+user) {
		var texts []string
		for _, n := range notes {
			texts = append(texts, n.Content)
		}
		t.Errorf("notifications for one burst of 3: %q", texts)
	}
}
