package mailclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// seedActions writes n messages with subjects unique to the test's folder and syncs them.
func (e *syncEnv) seedActions(t *testing.T, n int) []*data.Message {
	t.Helper()
	var msgs [][]byte
	for i := range n {
		msgs = append(msgs, []byte(fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: Ann <ann@example.test>\r\nSubject: %s %d\r\n\r\nBody %d.\r\n", e.folder, i, i)))
	}
	seedMaildir(t, e.dir, msgs, nil, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e.sync(t)
	page, err := e.store.MessagePage(context.Background(), e.storedFolder(t).ID, data.Cursor{}, 1000)
	if err != nil || len(page) != n {
		t.Fatalf("stored %d of %d: %v", len(page), n, err)
	}
	return page
}

// folderOf returns the cached folder of the mailbox with role.
func (e *syncEnv) folderOf(t *testing.T, role data.FolderRole) *data.Folder {
	t.Helper()
	fs, _ := e.store.Folders(context.Background(), e.box.ID)
	for _, f := range fs {
		if f.Role == role {
			return f
		}
	}
	t.Fatalf("no %s folder", role)
	return nil
}

// onServer returns how many times each subject of the test's messages is in folder, with
// the flags of the last one.
func (e *syncEnv) onServer(t *testing.T, c *imapclient.Client, folder string) (map[string]int, map[string][]imap.Flag) {
	t.Helper()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	count, flags := map[string]int{}, map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return count, flags
	}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bufs {
		if strings.HasPrefix(b.Envelope.Subject, e.folder+" ") {
			count[b.Envelope.Subject]++
			flags[b.Envelope.Subject] = b.Flags
		}
	}
	return count, flags
}

// drainedBox waits until mailbox id's queue is empty, failing after two minutes.
func drainedBox(t *testing.T, s *data.Store, id int64) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		left, err := s.PendingActions(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d actions still queued, the first %+v", len(left), left[0])
		}
	}
}

// Dovecot is killed while flags and deletes are being applied (the first while one is under
// way), stays down for a dozen more, and is started again: every action is applied, none
// twice (each deleted message is in Trash once), none lost.
func TestDovecotKilledMidActionsAppliesEachOnce(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	msgs := e.seedActions(t, 40)
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var queued, applied int
	var start func()
	for i, m := range msgs {
		switch i {
		case 8:
			wg.Add(1)
			go func() { // lands while the action below is under way, or just after
				defer wg.Done()
				start = stopDovecot(t, e.srv.Dir)
			}()
		case 9:
			wg.Wait() // down for the actions from here
		case 24:
			start()
		}
		var err error
		if i%2 == 0 {
			err = mail.SetFlagged(ctx, m.ID, true)
		} else {
			err = mail.Delete(ctx, m.ID)
		}
		mu.Lock()
		switch {
		case err == nil:
			applied++
		case errors.Is(err, ErrQueued):
			queued++
		default:
			t.Errorf("action on %q: %v", m.Subject, err)
		}
		mu.Unlock()
	}
	drainedBox(t, e.store, e.box.ID)
	t.Logf("%d applied at once, %d queued and applied after the restart", applied, queued)
	if queued < 10 {
		t.Errorf("only %d actions waited for the server while it was down", queued)
	}

	c := e.client(t)
	inFolder, flags := e.onServer(t, c, e.folder)
	inTrash, _ := e.onServer(t, c, "Trash")
	for i, m := range msgs {
		if i%2 == 0 {
			if inFolder[m.Subject] != 1 || !hasFlag(flags[m.Subject], imap.FlagFlagged) {
				t.Errorf("%q: %d in its folder, flags %v", m.Subject, inFolder[m.Subject], flags[m.Subject])
			}
		} else if inFolder[m.Subject] != 0 || inTrash[m.Subject] != 1 {
			t.Errorf("deleted %q: %d in its folder, %d in Trash", m.Subject, inFolder[m.Subject], inTrash[m.Subject])
		}
	}
	if page, _ := e.store.MessagePage(ctx, e.storedFolder(t).ID, data.Cursor{}, 1000); len(page) != 20 {
		t.Errorf("the cache lists %d, want 20", len(page))
	}
}

// Mailroom is killed (a child process) with actions queued while the server cannot be
// reached; the next start applies them.
func TestMailroomKilledWithActionsQueuedAppliesThemAtNextStart(t *testing.T) {
	if db := os.Getenv("MAILROOM_ACTIONS_CHILD"); db != "" {
		childActions(t, db)
		return
	}
	dbPath := filepath.Join(t.TempDir(), "mailroom.db")
	e := newSyncEnv(t, dbPath)
	msgs := e.seedActions(t, 5)
	archive := e.folderOf(t, data.RoleArchive)
	ctx := context.Background()
	// The child finds the server's port closed.
	p, err := e.store.Get(ctx, e.box.ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	realPort := p.IMAP.Port
	p.IMAP.Port = closedPort(t).Port
	if err := e.store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run", "^TestMailroomKilledWithActionsQueuedAppliesThemAtNextStart$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILROOM_ACTIONS_CHILD="+dbPath, "MAILROOM_ACTIONS_PASS="+e.pass,
		fmt.Sprintf("MAILROOM_ACTIONS_IDS=%d,%d,%d,%d,%d", msgs[0].ID, msgs[1].ID, msgs[2].ID, archive.ID, e.storedFolder(t).ID))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(seen.String(), "queued\n") {
		n, err := out.Read(buf)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child ended before queueing: %v\n%s", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	cmd.Process.Kill()
	cmd.Wait()

	if left, _ := e.store.PendingActions(ctx, e.box.ID); len(left) != 4 {
		t.Fatalf("%d actions queued by the killed process, want 4", len(left))
	}
	p.IMAP.Port = realPort
	if err := e.store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	mail := &Mail{Store: e.store, Secrets: e.secrets}
	defer mail.Close()
	if err := mail.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	drainedBox(t, e.store, e.box.ID)

	c := e.client(t)
	inFolder, flags := e.onServer(t, c, e.folder)
	inTrash, _ := e.onServer(t, c, "Trash")
	inArchive, _ := e.onServer(t, c, archive.Name)
	if !hasFlag(flags[msgs[0].Subject], imap.FlagFlagged) || inTrash[msgs[1].Subject] != 1 || inArchive[msgs[2].Subject] != 1 || len(inFolder) != 3 {
		t.Errorf("after the next start: folder %v, Trash %v, Archive %v", flags, inTrash, inArchive)
	}
	for subject, f := range flags {
		if !hasFlag(f, imap.FlagSeen) {
			t.Errorf("%q not marked read by Mark all read", subject)
		}
	}
}

// childActions is the Mailroom that is killed: it queues a flag, a delete, a move and a
// Mark all read while the server cannot be reached, says so, and waits.
func childActions(t *testing.T, dbPath string) {
	s, err := data.Open(dbPath, "ann")
	if err != nil {
		t.Fatal(err)
	}
	boxes, _ := s.Mailboxes(context.Background())
	secrets := &memSecrets{m: map[string]string{boxes[0].KeyringRef: os.Getenv("MAILROOM_ACTIONS_PASS")}}
	var flag, del, move, archive, folder int64
	fmt.Sscanf(os.Getenv("MAILROOM_ACTIONS_IDS"), "%d,%d,%d,%d,%d", &flag, &del, &move, &archive, &folder)
	mail := &Mail{Store: s, Secrets: secrets}
	ctx := context.Background()
	for _, err := range []error{mail.SetFlagged(ctx, flag, true), mail.Delete(ctx, del), mail.Move(ctx, move, archive),
		mail.MarkFolderRead(ctx, folder)} {
		if !errors.Is(err, ErrQueued) {
			fmt.Printf("not queued: %v\n", err)
			os.Exit(1)
		}
	}
	fmt.Print("queued\n")
	time.Sleep(time.Hour) // the parent kills it
}

// stopDovecot kills the test Dovecot (its master and sessions, as restartDovecot does) and
// returns what starts it again and waits until it answers.
func stopDovecot(t *testing.T, dir string) (start func()) {
	t.Helper()
	pidText, err := os.ReadFile(filepath.Join(dir, "dovecot", "run", "master.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidText)))
	sessions := childrenOf(pid)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Dovecot did not stop")
		}
	}
	for _, p := range sessions {
		syscall.Kill(p, syscall.SIGTERM)
	}
	return func() {
		log, err := os.OpenFile(filepath.Join(dir, "dovecot", "dovecot.log"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer log.Close()
		cmd := exec.Command("dovecot", "-c", filepath.Join(dir, "dovecot", "dovecot.conf"))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			t.Fatalf("start Dovecot: %v", err)
		}
	}
}
