package gui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// The single user's journey, in the Mail screen: a message arrives, Sync brings it into the
// Inbox, it opens in the reader, and Reply answers it with its subject and threading.
func TestMailSyncsOpensAndRepliesAgainstDovecot(t *testing.T) {
	srv := testenv.Load(t)
	u, s := senderUI(t, srv)
	subject := "Journey " + time.Now().Format("150405.000")
	w := openCompose(t, u, data.Composition{}) // inside act: the watcher may be applying a sync meanwhile
	act(u, func() {
		w.to.SetText("ann@example.test")
		w.subject.SetText(subject)
		w.body.SetText("Hello Ann,\nthis came through Postfix.")
	})
	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()

	var found *data.Message
	for deadline := time.Now().Add(60 * time.Second); found == nil && time.Now().Before(deadline); {
		act(u, u.mail.syncAll)
		u.jobs.Wait()
		act(u, func() {
			for _, m := range u.mail.list.messages() {
				if m.Subject == subject {
					found = m
				}
			}
		})
		if found == nil {
			time.Sleep(300 * time.Millisecond)
		}
	}
	if found == nil {
		t.Fatalf("the message never reached the Inbox; status %q", u.mail.status.Text)
	}
	// (the sent message's copy has Sent synced too, meanwhile)
	eventually(t, u, "the status says up to date", func() bool { return strings.HasPrefix(u.mail.status.Text, "Up to date") })
	quiet(t, u)
	if u.mail.folder == nil || u.mail.folder.Role != data.RoleInbox {
		t.Errorf("folder %+v, status %q", u.mail.folder, u.mail.status.Text)
	}
	if found.Flags.Seen {
		t.Error("a new message arrived read")
	}

	act(u, func() { u.mail.open(found) })
	u.jobs.Wait()
	if !strings.Contains(u.mail.reader.body.Text, "this came through Postfix") {
		t.Fatalf("reader shows %q", u.mail.reader.body.Text)
	}
	if m, _ := s.Message(context.Background(), found.ID); !m.Flags.Seen {
		t.Error("opening the message did not mark it read")
	}

	act(u, func() { u.mail.answer(false, false) })
	u.jobs.Wait()
	replied := false
	for _, win := range u.app.Driver().AllWindows() {
		replied = replied || win.Title() == "Re: "+subject
	}
	if !replied {
		t.Fatal("no reply window titled \"Re: " + subject + "\" opened")
	}
}

func TestFirstStartWelcomesAndOffersWhatToDo(t *testing.T) {
	s := openStore(t, t.TempDir()+"/m.db", "ann")
	u := newTestUI(t, s)
	if !u.mail.welcome.Visible() {
		t.Fatal("a new database should open on the welcome page")
	}
	text := ""
	for _, o := range u.mail.firstSteps.Objects {
		text += o.(*widget.Button).Text + "|"
	}
	if text != "Add your mailbox|Set up email providers|Import providers…|" {
		t.Errorf("buttons = %q", text)
	}
	act(u, u.showProviders)
	if u.tabs.Selected().Content != u.providers.content {
		t.Error("Set up email providers did not show the providers")
	}
	p := testProvider(t, s, "127.0.0.1:993", "127.0.0.1:465")
	if err := s.SaveMailbox(context.Background(), &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}); err != nil {
		t.Fatal(err)
	}
	act(u, u.reload)
	u.jobs.Wait()
	if u.mail.welcome.Visible() {
		t.Error("the welcome page stayed after a mailbox was added")
	}
}

func TestSettingsChooseHowOftenMailIsChecked(t *testing.T) {
	u := newTestUI(t, openStore(t, t.TempDir()+"/m.db", "ann"))
	act(u, func() { u.settings.syncEvery.SetSelected("Every 15 minutes") })
	if u.syncEvery != 15*time.Minute || u.app.Preferences().Int(prefSyncMinutes) != 15 {
		t.Errorf("interval %v, kept %d", u.syncEvery, u.app.Preferences().Int(prefSyncMinutes))
	}
	act(u, func() { u.settings.syncEvery.SetSelected("Only when I press Sync (F5)") })
	if u.syncEvery != 0 || u.app.Preferences().IntWithFallback(prefSyncMinutes, -1) != 0 {
		t.Errorf("interval %v after choosing on demand", u.syncEvery)
	}
}

// With the window open, mail that arrives shows in the Inbox without pressing Sync: the
// Inbox watcher waits in IDLE and syncs when Dovecot announces it.
func TestNewMailArrivesThroughIdle(t *testing.T) {
	srv := testenv.Load(t)
	u, _ := senderUIWith(t, srv, func(u *UI) { u.watchIdle = true })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) { // its first sync, then the watcher
		u.jobs.Wait()
		var shown bool
		act(u, func() { shown = u.mail.folder != nil })
		if shown {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Inbox shown: %q", u.mail.status.Text)
		}
	}
	subject := "Idle " + time.Now().Format("150405.000")
	w := openCompose(t, u, data.Composition{}) // inside act: the watcher may be applying a sync meanwhile
	act(u, func() {
		w.to.SetText("ann@example.test")
		w.subject.SetText(subject)
		w.body.SetText("Arrives by itself.")
	})
	act(u, func() { test.Tap(w.send) })
	u.jobs.Wait()
	arrived := false
	for deadline := time.Now().Add(60 * time.Second); !arrived && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		u.jobs.Wait()
		act(u, func() {
			for _, m := range u.mail.list.messages() {
				arrived = arrived || m.Subject == subject
			}
		})
	}
	if !arrived {
		t.Fatalf("the message never showed without a sync; status %q", u.mail.status.Text)
	}
}
