package instance

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSecondStartHandsItsArgumentsToTheFirst(t *testing.T) {
	dir, db := filepath.Join(t.TempDir(), "run"), filepath.Join(t.TempDir(), "mail.db")
	p, err := Claim(dir, db)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []string, 1)
	p.Serve(func(args []string) { got <- args })

	if _, err := Claim(dir, db); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Claim: %v, want ErrRunning", err)
	}
	link := []string{"mailto:bob@example.test?subject=Hello%20there"}
	if err := Hand(dir, db, link, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if args := <-got; !reflect.DeepEqual(args, link) {
		t.Fatalf("the first start got %q, want %q", args, link)
	}
	if err := Hand(dir, db, nil, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if args := <-got; len(args) != 0 {
		t.Fatalf("a start without arguments handed %q", args)
	}

	// Another database is another Mailroom.
	other, err := Claim(dir, filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatalf("claim another database: %v", err)
	}
	other.Close()

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.socket); !os.IsNotExist(err) {
		t.Fatalf("the socket stays after Close: %v", err)
	}
	again, err := Claim(dir, db)
	if err != nil {
		t.Fatalf("claim after the first closed: %v", err)
	}
	if again.Stale {
		t.Fatal("a cleanly closed socket was taken for stale")
	}
	again.Close()
}

func TestStaleSocketIsReplaced(t *testing.T) {
	dir, db := filepath.Join(t.TempDir(), "run"), filepath.Join(t.TempDir(), "mail.db")
	if err := privateDir(dir); err != nil {
		t.Fatal(err)
	}
	_, socket := paths(dir, db)
	// What a crash leaves: the socket file, and nobody listening.
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(socket); err != nil {
		t.Fatal(err)
	}
	if err := Hand(dir, db, nil, 300*time.Millisecond); err == nil {
		t.Fatal("Hand succeeded with nobody listening")
	}

	p, err := Claim(dir, db)
	if err != nil {
		t.Fatalf("Claim over a stale socket: %v", err)
	}
	defer p.Close()
	if !p.Stale {
		t.Fatal("the stale socket was not noticed")
	}
	got := make(chan []string, 1)
	p.Serve(func(args []string) { got <- args })
	if err := Hand(dir, db, []string{"mailto:a@example.test"}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	<-got
}

func TestSamePathSpelledDifferentlyIsOneDatabase(t *testing.T) {
	dir, base := filepath.Join(t.TempDir(), "run"), t.TempDir()
	p, err := Claim(dir, filepath.Join(base, "mail.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := Claim(dir, filepath.Join(base, "sub", "..", "mail.db")); !errors.Is(err, ErrRunning) {
		t.Fatalf("Claim of the same file by another path: %v, want ErrRunning", err)
	}
}

func TestClaimHoldsWithoutASocket(t *testing.T) {
	// A socket's path has at most 108 bytes; this one is longer, so no socket can be made.
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	db := filepath.Join(t.TempDir(), "mail.db")
	p, err := Claim(dir, db)
	if err != nil {
		t.Fatal(err)
	}
	if p.NoSocket == nil {
		t.Fatal("a socket was made on a path too long for one")
	}
	p.Serve(func([]string) {})
	if _, err := Claim(dir, db); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Claim: %v, want ErrRunning: still one Mailroom on the database", err)
	}
	if err := Hand(dir, db, nil, 300*time.Millisecond); err == nil {
		t.Fatal("Hand succeeded with no socket")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
