package mailclient

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// After a deadline has passed the connection gives nothing more: a decoder that tries
// again does not wait the whole timeout again (go-imap tried four times: a server silent
// after its greeting was given up after 120 s, not the 30 s the message named).
func TestDeadlineConnStaysExpired(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	dc := newDeadlineConn(client, 50*time.Millisecond)
	defer dc.Close()
	buf := make([]byte, 10)
	if _, err := dc.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("first read: %v, want the deadline", err)
	}
	go server.Write([]byte("late"))
	n, err := dc.Read(buf)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second read: %d bytes, %v; want the deadline again at once", n, err)
	}
	if got := time.Duration(dc.expiredAfter.Load()); got != 50*time.Millisecond {
		t.Errorf("expired after %s, want the timeout in force", got)
	}
}

func TestIsBodyItem(t *testing.T) {
	for before, want := range map[string]bool{
		"* 1 FETCH (UID 1 BODY[] ":                     true,
		"* 1 FETCH (UID 1 BODY[]<0> ":                  true,
		"* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] ":    true,
		"* 1 FETCH (BINARY[1] ~":                       true,
		"* 1 FETCH (RFC822 ":                           true,
		"* 1 FETCH (rfc822.text ":                      true,
		`* 1 FETCH (ENVELOPE (NIL `:                    false,
		`* LIST () "/" `:                               false,
		`* 1 FETCH (ENVELOPE ("Mon, 1 Jan" "a]b" NIL `: false,
	} {
		if got := isBodyItem([]byte(before)); got != want {
			t.Errorf("isBodyItem(%q) = %v, want %v", before, got, want)
		}
	}
}

// The guard follows answers across literals: a tagged answer ends only at its last line.
func TestScannerFollowsLiterals(t *testing.T) {
	var s scanner
	s.start = true
	in := "* 1 FETCH (UID 1 ENVELOPE (NIL {5}\r\nab\r\nc NIL))\r\n* 2 EXISTS\r\nT1 OK done\r\n"
	for _, chunk := range []string{in[:20], in[20:37], in[37:]} { // split inside the literal
		tagged, completed, f := s.scan([]byte(chunk), 0)
		if f != nil {
			t.Fatal(f)
		}
		if chunk == in[37:] && (tagged != 1 || completed != 3) {
			t.Errorf("tagged %d, completed %d, want 1 and 3", tagged, completed)
		}
	}
	// A body is let through only when one is expected, up to its limit.
	s = scanner{start: true}
	body := "* 1 FETCH (UID 1 BODY[]<0> {400000}\r\n"
	if _, _, f := s.scan([]byte(body), 0); f == nil || f.Kind != FaultLargeField {
		t.Errorf("unexpected body: %v, want it held to a field's size", f)
	}
	s = scanner{start: true}
	if _, _, f := s.scan([]byte(body), 500000); f != nil {
		t.Errorf("expected body: %v", f)
	}
	s = scanner{start: true}
	if _, _, f := s.scan([]byte(body), 300000); f == nil || f.Kind != FaultLargeBody || f.Size != 400000 {
		t.Errorf("body over its limit: %v", f)
	}
	// A SEARCH answer may be long; any other one may not.
	s = scanner{start: true}
	long := strings.Repeat(" 1234567", MaxAnswerSize/8+10)
	if _, _, f := s.scan([]byte("* SEARCH"+long+"\r\n"), 0); f != nil {
		t.Errorf("long SEARCH: %v", f)
	}
	if _, _, f := s.scan([]byte("* OK"+long+"\r\n"), 0); f == nil || f.Kind != FaultLongAnswer {
		t.Errorf("long line: %v", f)
	}
}

// Commands are told from IDLE's DONE, SASL lines and literal data.
func TestScannerCountsCommands(t *testing.T) {
	var s scanner
	s.start = true
	for _, c := range []struct {
		sent     string
		commands int
		idle     bool
		lit      int64
	}{
		{"T1 LOGIN ann {5}\r\n", 1, false, 0},
		{"s3cre", 0, false, 5},
		{"t\r\n", 0, false, 0}, // the command goes on after the literal, counted once
		{"T2 IDLE\r\n", 1, true, 0},
		{"DONE\r\n", 0, false, 0},
		{"dGVzdA==\r\n", 0, false, 0},
		{"T3 SELECT INBOX\r\nT4 NOOP\r\n", 2, false, 0},
	} {
		n, idle, lit := s.scanCommands([]byte(c.sent))
		if n != c.commands || idle != c.idle || lit != c.lit {
			t.Errorf("%q: %d commands, idle %v, %d literal bytes; want %d, %v, %d", c.sent, n, idle, lit, c.commands, c.idle, c.lit)
		}
	}
}

func TestCapText(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},   // é is two bytes: not cut in half
		{"aéb", 3, "aé"}, // cut after it
		{"\xff\xff\xff\xff\xff", 3, "\xff\xff\xff"},
	} {
		if got := capText(c.in, c.n); got != c.want {
			t.Errorf("capText(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
