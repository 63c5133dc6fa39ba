package mailclient

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// cutProxy forwards TCP connections to target and, while limit is above zero, closes each
// connection once the server has sent limit bytes: a server that drops the line mid-FETCH.
type cutProxy struct {
	ln     net.Listener
	target string
	limit  atomic.Int64
}

func newCutProxy(t *testing.T, target string, limit int64) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	p.limit.Store(limit)
	t.Cleanup(func() { ln.Close() })
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *cutProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go io.Copy(s, c)
	var from io.Reader = s
	if n := p.limit.Load(); n > 0 {
		from = io.LimitReader(s, n)
	}
	io.Copy(c, from)
}

// A server that drops the connection in the middle of a FETCH leaves a consistent cache, a
// plain message, and a next sync that converges.
func TestSyncSurvivesAConnectionDroppedMidFetch(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "mailroom.db")
	e := newSyncEnv(t, dbPath)
	seedMaildir(t, e.dir, corpus(t, 2000), []string{"", "S"}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()

	proxy := newCutProxy(t, e.srv.IMAPSAddr, 400<<10)
	p, err := e.store.Get(ctx, e.box.ProviderID)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	p.IMAP.Port = atoi(t, port)
	if err := e.store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	pin, err := e.store.CertPin(ctx, p.IMAP.Host, atoi(t, strings.Split(e.srv.IMAPSAddr, ":")[1]))
	if err != nil {
		t.Fatal(err)
	}
	pin.Port = p.IMAP.Port
	if err := e.store.SaveCertPin(ctx, pin); err != nil {
		t.Fatal(err)
	}

	_, err = SyncMailbox(ctx, e.store, e.secrets, e.box, SyncOptions{Folder: e.folder, Batch: 100})
	if err == nil {
		t.Fatal("a sync through a dropped connection succeeded")
	}
	if msg := Explain(err); msg == "" || strings.Contains(msg, "EOF") {
		t.Errorf("message for people: %q", msg)
	}
	f := e.storedFolder(t)
	if f.Total >= 2000 || f.FetchedUID != uint32(f.Total) {
		t.Errorf("after the drop: %d stored, fetched up to %d", f.Total, f.FetchedUID)
	}
	checkIntegrity(t, dbPath)

	proxy.limit.Store(0) // the line holds again
	sums := e.sync(t)
	if sums[0].New != 2000-f.Total {
		t.Errorf("the next sync added %d to %d", sums[0].New, f.Total)
	}
	e.compare(t, e.client(t))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
