package mailclient

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deliverInbox drops a message with subject into the test user's Inbox as a delivery agent
// does: written in tmp, then moved into new.
func (e *syncEnv) deliverInbox(t *testing.T, subject string) {
	t.Helper()
	local, domain, _ := strings.Cut(e.user, "@")
	inbox := filepath.Join(e.srv.MaildirRoot, domain, local, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(inbox, sub), 0o770); err != nil {
			t.Fatal(err)
		}
	}
	name := fmt.Sprintf("%d.M%dP%d.mailroom", time.Now().Unix(), time.Now().UnixNano(), os.Getpid())
	msg := "From: Bob <bob@example.test>\r\nTo: Ann <ann@example.test>\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nHello.\r\n"
	tmp := filepath.Join(inbox, "tmp", name)
	if err := os.WriteFile(tmp, []byte(msg), 0o660); err != nil {
		t.Fatal(err)
	}
	chownMail(t, filepath.Join(inbox, "tmp"))
	if err := os.Rename(tmp, filepath.Join(inbox, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// TestWatchInboxAgainstDovecot: mail delivered while the watcher waits in IDLE is told of
// within seconds; Dovecot stopped under the IDLE and started again is survived.
func TestWatchInboxAgainstDovecot(t *testing.T) {
	e := newSyncEnv(t, filepath.Join(t.TempDir(), "mailroom.db"))
	w := watch(t, e.store, e.secrets, e.box, WatchOptions{RetryMin: 50 * time.Millisecond, RetryMax: time.Second})
	e.waitInboxSynced(t)
	subject := fmt.Sprintf("Watched %d", time.Now().UnixNano())
	start := time.Now()
	e.deliverInbox(t, subject)
	n := w.await(t, subject, 20*time.Second)
	t.Logf("told of %q after %v: %+v", subject, time.Since(start).Round(time.Millisecond), n.Inbox)

	restartDovecot(t, e.srv.Dir, e.srv.IMAPSAddr)
	select {
	case err := <-w.failed:
		t.Logf("failure told: %v", err)
	case <-time.After(10 * time.Second):
		t.Error("Dovecot's restart was not told as a failure")
	}
	subject = fmt.Sprintf("After restart %d", time.Now().UnixNano())
	e.deliverInbox(t, subject)
	w.await(t, subject, 30*time.Second)
}

// waitInboxSynced waits until the watcher's first sync of the Inbox is stored.
func (e *syncEnv) waitInboxSynced(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		fs, _ := e.store.Folders(context.Background(), e.box.ID)
		if len(fs) > 0 && !fs[0].SyncedAt.IsZero() {
			return
		}
	}
	t.Fatal("the Inbox was not synced")
}

// restartDovecot stops the test Dovecot and its sessions (a stopped master leaves them
// running) and starts it again with its configuration, as .ci/mailservers.sh does, then
// waits until addr answers.
func restartDovecot(t *testing.T, dir, addr string) {
	t.Helper()
	conf := filepath.Join(dir, "dovecot", "dovecot.conf")
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
	log, err := os.OpenFile(filepath.Join(dir, "dovecot", "dovecot.log"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command("dovecot", "-c", conf)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		t.Fatalf("start Dovecot: %v", err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Dovecot did not come back")
		}
	}
}

// childrenOf returns the processes whose parent is pid.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so read after its last ')'.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if p, err := strconv.Atoi(filepath.Base(filepath.Dir(st))); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}
