package gui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// TestComposeTabOrderEmptyTextAndTitle: Tab goes To, Cc, Bcc, Subject, the text, the
// attachments, the buttons (the text takes no tab); a message with neither text nor attachment
// is asked about before it is queued; the title follows the subject.
func TestComposeTabOrderEmptyTextAndTitle(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	p := testProvider(t, s, "127.0.0.1:993", "127.0.0.1:465")
	if err := s.SaveMailbox(context.Background(), &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann",
		Signature: "Ann"}); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	w := openCompose(t, u, data.Composition{})
	c := w.win.Canvas()
	if c.Focused() != w.to {
		t.Fatalf("a new message starts in %T, not To", c.Focused())
	}
	if w.body.AcceptsTab() {
		t.Error("Tab in the text types a tab instead of moving on")
	}
	var order []string
	names := map[fyne.Focusable]string{w.to: "To", w.cc: "Cc", w.bcc: "Bcc", w.subject: "Subject", w.body: "text", w.send: "Send"}
	for range 8 {
		act(u, c.FocusNext)
		f := c.Focused()
		name, ok := names[f]
		if b, isButton := f.(*widget.Button); !ok && isButton {
			name = b.Text
		}
		order = append(order, name)
	}
	if got := strings.Join(order, ", "); !strings.HasPrefix(got, "Cc, Bcc, Subject, text, Attach…, Save draft, Close, Send") {
		t.Errorf("Tab goes %s", got)
	}

	if w.win.Title() != "New message" {
		t.Errorf("title %q while the subject is empty", w.win.Title())
	}
	act(u, func() {
		test.Type(w.subject, "Lunch")
		w.to.SetText("bob@example.test")
	})
	if w.win.Title() != "Lunch" {
		t.Errorf("title %q, want the subject", w.win.Title())
	}

	// The text holds only the signature, and nothing is attached: asked first, nothing queued.
	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()
	if msg := dialogText(t, w.win); !strings.Contains(msg, "no text and no attachment") {
		t.Fatalf("no question about the empty text: %q", msg)
	}
	if items, _ := s.OutboxItems(context.Background()); len(items) != 0 {
		t.Fatal("a message without text was queued before the person chose")
	}
	act(u, func() { test.Tap(dismissButton(t, w.win)) }) // "Write something"
	if c.Focused() != w.body {
		t.Errorf("after “Write something” the focus is on %T", c.Focused())
	}
	if !emptyText("\n\n-- \nAnn") || emptyText("Hi\n-- \nAnn") || !emptyText("  \n") {
		t.Error("emptyText misreads the text above the signature")
	}
}

// dismissButton returns the button of win's topmost dialog with the given importance.
func dismissButton(t *testing.T, win fyne.Window) *widget.Button {
	t.Helper()
	for _, o := range overlayObjects(t, win) {
		if b, ok := o.(*widget.Button); ok && b.Importance != widget.HighImportance && b.Text != "" {
			return b
		}
	}
	t.Fatal("no dismissing button")
	return nil
}

// TestComposeCompletesAddressesSeenInMailMostUsedFirst: typing in To offers the addresses of
// cached mail that match, the most used first; taking one completes the field.
func TestComposeCompletesAddressesSeenInMailMostUsedFirst(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	p := testProvider(t, s, "127.0.0.1:993", "127.0.0.1:465")
	m := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}
	ctx := context.Background()
	if err := s.SaveMailbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFolders(ctx, m.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Folders(ctx, m.ID)
	var msgs []*data.Message
	for i, from := range []string{"bonnie@example.net", "bob@example.net", "bob@example.net", "carol@example.net"} {
		name := map[string]string{"bonnie@example.net": "Bonnie Tyler", "bob@example.net": "Bob Builder", "carol@example.net": "Carol Bobbins"}[from]
		msgs = append(msgs, &data.Message{UID: uint32(i + 1), Date: time.Now(), FromName: name, FromAddr: from, To: "ann@example.test"})
	}
	if err := s.StoreMessages(ctx, fs[0].ID, msgs, 4); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	w := openCompose(t, u, data.Composition{})
	u.jobs.Wait() // the address book
	act(u, func() { test.Type(w.to, "Bo") })
	box := w.suggestions["to"].box
	var offered []string
	for _, o := range box.Objects {
		offered = append(offered, o.(*widget.Button).Text)
	}
	if !box.Visible() || strings.Join(offered, " | ") != "Bob Builder <bob@example.net> | Bonnie Tyler <bonnie@example.net> | Carol Bobbins <carol@example.net>" {
		t.Fatalf("offered %q (shown %v)", offered, box.Visible())
	}
	act(u, func() { test.Tap(box.Objects[0].(*widget.Button)) })
	if w.to.Text != "Bob Builder <bob@example.net>, " || box.Visible() {
		t.Errorf("after taking one: %q, still offering %v", w.to.Text, box.Visible())
	}
	act(u, func() { test.Type(w.to, "car") })
	if len(box.Objects) != 1 || box.Objects[0].(*widget.Button).Text != "Carol Bobbins <carol@example.net>" {
		t.Errorf("second address: %d offered", len(box.Objects))
	}
}
