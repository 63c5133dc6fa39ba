//go:build unix

package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

// TestSendFIFOAttachmentEndsAtOnce: a FIFO given to --attach is refused with a plain message,
// without waiting for anything to write to it.
func TestSendFIFOAttachmentEndsAtOnce(t *testing.T) {
	m := loadMailEnv(t)
	db := mailboxDB(t, m)
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	child, out := mailroomProcess(t, "x\n", "--db", db, "send", "--from", m.user, "--to", "bob@example.test",
		"--subject", "fifo", "--attach", fifo)
	if code := waitExit(t, child, out); code != 2 || !strings.Contains(out.String(), "--attach: “pipe” is a folder, a pipe or a device, not a file") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// silentServer accepts connections and never answers; each accepted connection is reported.
func silentServer(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{}, 16)
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			ch <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), ch
}

// TestCtrlCStopsCommands interrupts commands waiting on a server that never answers, as
// Ctrl-C does: each ends at once with exit status 130 and says what became of its work.
func TestCtrlCStopsCommands(t *testing.T) {
	m := loadMailEnv(t)
	db := mailboxDB(t, m)
	silent, accepted := silentServer(t)
	_, port, _ := net.SplitHostPort(silent)
	point := func(smtp bool) {
		s, err := data.Open(db, currentUser())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		list, _ := s.List(context.Background())
		p, _ := s.Get(context.Background(), list[0].ID)
		if smtp {
			p.SMTP.Port, p.SMTPTimeout = atoi(port), 600
		} else {
			p.IMAP.Port = atoi(port)
		}
		if err := s.Save(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		smtp  bool // the silent server takes the place of SMTP, else of IMAP
		stdin string
		args  []string
		says  string
	}{
		{"lookup", false, "", []string{"lookup", "--ispdb", "https://" + silent + "/", "nobody@nowhere.test"}, ""},
		{"mailbox test", false, "", []string{"mailbox", "test", m.user}, "cancelled"},
		{"send", true, "text\n", []string{"send", "--from", m.user, "--to", "bob@example.test", "--subject", "stop"},
			"stopped; the message stays in the outbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			point(tt.smtp)
			for len(accepted) > 0 {
				<-accepted
			}
			child, out := mailroomProcess(t, tt.stdin, append([]string{"--db", db}, tt.args...)...)
			select {
			case <-accepted:
			case <-time.After(hangGuard):
				t.Fatalf("never connected:\n%s", out)
			}
			child.Process.Signal(os.Interrupt)
			if code := waitExit(t, child, out); code != exitStopped || !strings.Contains(out.String(), tt.says) {
				t.Errorf("exit %d, want %d saying %q:\n%s", code, exitStopped, tt.says, out)
			}
		})
	}
	s, err := data.Open(db, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	items, _ := s.OutboxItems(context.Background())
	if len(items) != 1 || items[0].State != data.OutboxQueued || items[0].LastError != mailclient.StoppedReason ||
		time.Until(items[0].NextAttempt) > 0 {
		t.Errorf("the stopped message: %+v", items)
	}
}
