package gui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// TestDraftIsKeptInDovecotsDraftsFolderOnce: saving a draft twice from the compose window
// leaves one copy, the last, in the mailbox's Drafts folder on the server.
func TestDraftIsKeptInDovecotsDraftsFolderOnce(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	u, s := senderUI(t, srv)
	w := openCompose(t, u, data.Composition{})
	act(u, func() {
		w.to.SetText("bob@example.test")
		w.subject.SetText("Draft in two saves " + t.Name())
		w.body.SetText("first")
		w.saveDraft(nil)
	})
	u.jobs.Wait()
	act(u, func() { w.body.SetText("second and last"); w.saveDraft(nil) })
	u.jobs.Wait()
	if strings.Contains(w.status.Text, "not on the server") {
		t.Fatalf("status %q", w.status.Text)
	}
	d, err := s.Draft(context.Background(), w.draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s.Mailboxes(context.Background())
	id := mailclient.DraftMessageID(d, list[0].Address)

	c, err := imapclient.DialTLS(srv.IMAPSAddr, &imapclient.Options{TLSConfig: testTLS(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("ann@example.test", srv.Users["ann@example.test"]).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("Drafts", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := res.AllUIDs()
	if len(uids) != 1 {
		t.Fatalf("%d copies of the draft in Drafts, want 1", len(uids))
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil || len(msgs) != 1 || !strings.Contains(string(msgs[0].FindBodySection(section)), "second and last") {
		t.Fatalf("the copy is not the last save: %v", err)
	}

	// Sent: the copy leaves the server's Drafts folder.
	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	res, err = c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
	if err != nil || len(res.AllUIDs()) != 0 {
		t.Errorf("after sending, %v copies stay in Drafts (%v)", res.AllUIDs(), err)
	}
}

// testTLS trusts the test CA, for a test's own IMAP client.
func testTLS(t *testing.T, srv testenv.Servers) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: roots, ServerName: "mail.example.test"}
}
