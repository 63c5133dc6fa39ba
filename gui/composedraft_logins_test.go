package gui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// TestDraftSavesAndSendingGoThroughTheMailboxConnection: saving a draft five times from the
// compose window and sending it log in to Dovecot once, the worker of the Mail screen; the
// Sent copy and the removal of the draft's server copy log in no more. (Once the copy is in
// Sent, the window syncs the Sent folder so that it shows there: that sync may log in once.)
func TestDraftSavesAndSendingGoThroughTheMailboxConnection(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	addr := relay(t, srv.IMAPSAddr)
	p := testProvider(t, s, addr, srv.SMTPSAddr)
	pinServer(t, s, srv, addr)
	pinServer(t, s, srv, srv.SMTPSAddr)
	m := &data.Mailbox{Address: "ann@example.test", SenderName: "Ann Example", ProviderID: p.ID, Login: "ann@example.test"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeepMessages(ctx, m.ID, false); err != nil { // no body download beside the test's work
		t.Fatal(err)
	}
	secrets := data.NewSecrets()
	if err := secrets.Set(ctx, m.KeyringRef, srv.Users["ann@example.test"]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { secrets.Delete(context.Background(), m.KeyringRef) })
	u := newTestUIWith(t, s, func(u *UI) { u.syncEvery = time.Hour })
	eventually(t, u, "the start-up sync shows the folders", func() bool { return len(u.mail.folders[m.ID]) > 0 })
	quiet(t, u)
	before := logins(t, srv)

	subject := "Five saves " + strings.ReplaceAll(time.Now().Format(time.RFC3339Nano), ":", ".")
	w := openCompose(t, u, data.Composition{})
	act(u, func() { w.to.SetText("bob@example.test"); w.subject.SetText(subject) })
	for i := range 5 {
		act(u, func() { w.body.SetText(strings.Repeat("again ", i+1)); w.saveDraft(nil) })
		u.jobs.Wait()
	}
	act(u, func() {
		if strings.Contains(w.status.Text, "not on the server") {
			t.Errorf("after the saves: %q", w.status.Text)
		}
	})
	saved := logins(t, srv) - before
	if _, ok := serverFolder(t, srv, "Drafts")[subject]; !ok {
		t.Errorf("the draft is not in Drafts on the server")
	}

	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()
	eventually(t, u, "the message is sent and its copy is in Sent", func() bool {
		items, err := s.OutboxItems(ctx)
		return err == nil && len(items) == 1 && items[0].State == data.OutboxSent && items[0].SentCopy == data.SentCopyDone
	})
	quiet(t, u)
	sent := logins(t, srv) - before - saved

	if saved != 1 {
		t.Errorf("%d logins from %s for five draft saves, want 1 (the mailbox's connection)", saved, sourceAddr)
	}
	if sent > 1 {
		t.Errorf("%d more logins for sending, the Sent copy and the draft's removal, want none but the Sent folder's sync", sent)
	}
	t.Logf("logins: %d for the saves, %d after sending", saved, sent)
	if _, ok := serverFolder(t, srv, "Drafts")[subject]; ok {
		t.Errorf("the draft stays in Drafts on the server after sending")
	}
	if _, ok := serverFolder(t, srv, "Sent")[subject]; !ok {
		t.Errorf("no copy in Sent")
	}
	waitDelivered(t, srv, "bob@example.test", subject) // not into the Inbox a later test watches
}

// waitDelivered waits until the message with subject is in user's Inbox on Dovecot.
func waitDelivered(t *testing.T, srv testenv.Servers, user, subject string) {
	t.Helper()
	c, err := imapclient.DialTLS(srv.IMAPSAddr, &imapclient.Options{TLSConfig: testTLS(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, srv.Users[user]).Wait(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatal(err)
		}
		res, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: subject}}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.AllUIDs()) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never reached the Inbox of %s", subject, user)
		}
	}
}
