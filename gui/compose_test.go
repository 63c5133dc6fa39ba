package gui

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// senderUI sets up ann's mailbox on the test servers, their certificate pinned as a person
// would have trusted it, and returns the UI.
func senderUI(t *testing.T, srv testenv.Servers) (*UI, *data.Store) {
	t.Helper()
	return senderUIWith(t, srv, nil)
}

// senderUIWith is senderUI with tune applied to the UI before its window opens.
func senderUIWith(t *testing.T, srv testenv.Servers, tune func(*UI)) (*UI, *data.Store) {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	p := testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	pinServer(t, s, srv, srv.IMAPSAddr)
	pinServer(t, s, srv, srv.SMTPSAddr)
	m := &data.Mailbox{Address: "ann@example.test", SenderName: "Ann Example", ProviderID: p.ID, Login: "ann@example.test",
		Signature: "Ann, from the test"}
	if err := s.SaveMailbox(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	secrets := data.NewSecrets()
	if err := secrets.Set(context.Background(), m.KeyringRef, srv.Users["ann@example.test"]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { secrets.Delete(context.Background(), m.KeyringRef) })
	return newTestUIWith(t, s, tune), s
}

// pinServer records the fingerprint of the certificate the server at addr presents.
func pinServer(t *testing.T, s *data.Store, srv testenv.Servers, addr string) {
	t.Helper()
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "mail.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
	host, port := splitHostPort(t, addr)
	if err := s.SaveCertPin(context.Background(), &data.CertPin{Host: host, Port: port, SHA256: hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}
}

func TestComposeRefusesBadRecipientsAndKeepsTheDraft(t *testing.T) {
	srv := testenv.Load(t)
	u, s := senderUI(t, srv)
	w := openCompose(t, u, data.Composition{})
	act(u, func() { w.cc.SetText("Carol <carol@example.test>, carol@") })
	u.jobs.Wait()
	if l := w.errs["cc"]; !l.Visible() || !strings.Contains(l.Text, "“carol@”") || strings.Contains(l.Text, "Carol <") {
		t.Errorf("as typed, beside Cc: %q", l.Text)
	}
	act(u, func() {
		w.cc.SetText("")
		w.to.SetText("bob, bob@, a@b@c")
		w.subject.SetText("Hello\r\nBcc: x@example.com")
		w.body.SetText("Hi Bob")
	})
	act(u, func() { // Ctrl+Enter sends
		w.body.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault})
	})
	u.jobs.Wait()
	if l := w.errs["to"]; !l.Visible() || !strings.Contains(l.Text, "“bob”") || !strings.Contains(l.Text, "“a@b@c”") {
		t.Errorf("error beside To = %q", l.Text)
	}
	if items, _ := s.OutboxItems(context.Background()); len(items) != 0 {
		t.Fatalf("a message with bad recipients was queued")
	}
	act(u, w.close)
	act(u, func() { confirmIn(t, w.win) }) // "Save draft"
	u.jobs.Wait()
	drafts, _ := s.Drafts(context.Background())
	if len(drafts) != 1 || drafts[0].Body != "Hi Bob" || drafts[0].To != "bob, bob@, a@b@c" {
		t.Fatalf("drafts = %+v", drafts)
	}
}

func TestComposeSendsThroughPostfixAndAsksAboutAnEmptySubject(t *testing.T) {
	srv := testenv.Load(t)
	u, s := senderUI(t, srv)
	w := openCompose(t, u, data.Composition{})
	if w.from.Selected != "Ann Example <ann@example.test>" {
		t.Errorf("From = %q, want the default mailbox", w.from.Selected)
	}
	if w.body.Text != "\n\n-- \nAnn, from the test" {
		t.Errorf("body = %q, want the signature", w.body.Text)
	}
	act(u, func() {
		w.to.SetText("Bob <bob@example.test>")
		w.body.SetText("Hello Bob,\nno subject on purpose.")
	})
	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()
	if !strings.Contains(dialogText(t, w.win), "without a subject") {
		t.Fatalf("no question about the empty subject: %q", dialogText(t, w.win))
	}
	act(u, func() { confirmIn(t, w.win) }) // "Send"
	u.jobs.Wait()

	deadline := time.Now().Add(60 * time.Second)
	var items []*data.OutboxItem
	for time.Now().Before(deadline) {
		items, _ = s.OutboxItems(context.Background())
		if len(items) == 1 && items[0].State == data.OutboxSent && items[0].SentCopy == data.SentCopyDone {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(items) != 1 || items[0].State != data.OutboxSent || items[0].SentCopy != data.SentCopyDone {
		t.Fatalf("outbox = %+v", items)
	}
	if drafts, _ := s.Drafts(context.Background()); len(drafts) != 0 {
		t.Errorf("the draft of a sent message stayed: %d", len(drafts))
	}
}
