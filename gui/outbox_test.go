package gui

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// A message whose server is down waits in the Outbox, saying the server is down (not "check
// the port") with a "Send now" button; once the server is back, Send now sends it through
// Postfix at once and it leaves the Outbox list.
func TestOutboxWaitsForADownServerAndSendNowSendsIt(t *testing.T) {
	srv := testenv.Load(t)
	testenv.NeedKeyring(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	p := testProvider(t, s, srv.IMAPSAddr, down)
	pinServer(t, s, srv, srv.IMAPSAddr) // for the copy in Sent, once it is sent
	m := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann@example.test"}
	if err := s.SaveMailbox(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	secrets := data.NewSecrets()
	if err := secrets.Set(context.Background(), m.KeyringRef, srv.Users["ann@example.test"]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { secrets.Delete(context.Background(), m.KeyringRef) })
	u := newTestUI(t, s)

	c := data.Composition{MailboxID: m.ID, From: m.Address, To: "bob@example.test", Subject: "While the server is down", Body: "Hello"}
	if _, err := u.outbox.Queue(context.Background(), c, 0, false); err != nil {
		t.Fatal(err)
	}
	row := waitForOutboxRow(t, u, func(r *outboxTestRow) bool { return r.now.Visible() })
	if !strings.Contains(row.state.Text, "refused the connection: it is not running") || strings.Contains(strings.ToLower(row.state.Text), "port") {
		t.Errorf("the waiting message says %q; want the server down, and no word of the port", row.state.Text)
	}

	// The server is back (here: the provider's SMTP port now has Postfix on it).
	p, err = s.Get(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.SMTP.Host, p.SMTP.Port = splitHostPort(t, srv.SMTPSAddr)
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	pinServer(t, s, srv, srv.SMTPSAddr)
	act(u, func() { test.Tap(row.now) })
	waitForOutbox(t, u, func() bool { return len(u.outboxView.items) == 0 })
	items, _ := s.OutboxItems(context.Background())
	if len(items) != 1 || items[0].State != data.OutboxSent {
		t.Fatalf("after Send now the outbox holds %+v, want the message sent", items)
	}
}

// outboxTestRow is the first row of the Outbox screen, as drawn.
type outboxTestRow struct {
	state *widget.Label
	now   *widget.Button
}

func firstOutboxRow(u *UI) *outboxTestRow {
	o := u.outboxView.createRow()
	u.outboxView.updateRow(len(u.outboxView.drafts), o)
	c := o.(*fyne.Container)
	return &outboxTestRow{
		state: c.Objects[0].(*fyne.Container).Objects[1].(*widget.Label),
		now:   c.Objects[1].(*fyne.Container).Objects[2].(*widget.Button),
	}
}

// waitForOutboxRow waits until the Outbox screen's first message row is as ok wants.
func waitForOutboxRow(t *testing.T, u *UI, ok func(*outboxTestRow) bool) *outboxTestRow {
	t.Helper()
	var row *outboxTestRow
	waitForOutbox(t, u, func() bool {
		if len(u.outboxView.items) == 0 {
			return false
		}
		row = firstOutboxRow(u)
		return ok(row)
	})
	return row
}

// waitForOutbox waits, up to a minute, until cond holds on the UI goroutine.
func waitForOutbox(t *testing.T, u *UI, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		u.jobs.Wait()
		done := false
		act(u, func() { done = cond() })
		if done {
			return
		}
		if time.Now().After(deadline) {
			items, _ := u.store.OutboxItems(context.Background())
			var states []string
			for _, it := range items {
				states = append(states, fmt.Sprintf("%s (copy %q): %s", it.State, it.SentCopy, it.LastError))
			}
			t.Fatalf("the Outbox screen did not come to the state wanted; the outbox holds %v", states)
		}
	}
}
