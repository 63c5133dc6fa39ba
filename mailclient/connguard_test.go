package mailclient

import (
	"errors"
	"fmt"
	"math/rand/v2"
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

// fetchAnswer is an answer to a sync's FETCH of one message, as Dovecot sends it.
func fetchAnswer(seq int) string {
	return fmt.Sprintf("* %d FETCH (UID %d FLAGS (\\Seen) INTERNALDATE \"01-Dec-2026 10:00:00 +0000\" RFC822.SIZE 412 "+
		"ENVELOPE (\"Tue, 1 Dec 2026 10:00:00 +0000\" \"Message %d about project 7\" ((\"Sender %d\" NIL \"sender%d\" \"example.org\")) "+
		"((\"Sender %d\" NIL \"sender%d\" \"example.org\")) ((\"Sender %d\" NIL \"sender%d\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.test\")) "+
		"NIL NIL NIL \"<%d@bench.example>\") BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 37 1 NIL NIL NIL NIL))\r\n",
		seq, seq, seq, seq, seq, seq, seq, seq, seq, seq)
}

// BenchmarkScannerFetch is the guard's reading of a sync's FETCH answers, in reads of 4 KB.
func BenchmarkScannerFetch(b *testing.B) {
	var sb strings.Builder
	for i := 1; i <= 500; i++ {
		sb.WriteString(fetchAnswer(i))
	}
	sb.WriteString("T1 OK Fetch completed.\r\n")
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		s := scanner{start: true}
		for p := in; len(p) > 0; {
			k := min(4096, len(p))
			if _, _, f := s.scan(p[:k], 0); f != nil {
				b.Fatal(f)
			}
			p = p[k:]
		}
	}
}

// byteScan is scanner.scan as it was, one byte at a time: the hot path must agree with it.
func byteScan(s *scanner, p []byte, bodyMax int64) (tagged, completed int, f *ServerFaultError) {
	for i := 0; i < len(p); {
		if s.lit > 0 {
			k := min(s.lit, int64(len(p)-i))
			s.lit -= k
			i += int(k)
			continue
		}
		b := p[i]
		i++
		if s.start {
			s.start, s.tagged, s.size, s.head, s.limit = false, b != '*' && b != '+', 0, s.head[:0], MaxAnswerSize
		}
		if len(s.head) < 10 {
			s.head = append(s.head, b)
			if isSearchAnswer(s.head) {
				s.limit = maxSearchAnswer
			}
		}
		s.size++
		if s.size > s.limit {
			return tagged, completed, &ServerFaultError{Kind: FaultLongAnswer, Size: s.size, Limit: s.limit}
		}
		n, isLit := s.announce(b)
		switch {
		case isLit:
			if f := s.literal(n, bodyMax); f != nil {
				return tagged, completed, f
			}
		case b == '\n':
			if s.tagged {
				tagged++
			}
			completed++
			s.start = true
		}
	}
	return tagged, completed, nil
}

// The guard's scan of any stream, cut anywhere, agrees with the byte-at-a-time scan: the
// same answers, the same literals and bodies, the same faults.
func TestScannerAgreesByteByByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{fetchAnswer(7), "* 1 FETCH (UID 1 BODY[] {12}\r\nab\r\n{3}\r\nxyzw)\r\n", "* 2 FETCH (BODY[]<0> {400000}\r\n",
		"* 3 FETCH (ENVELOPE (NIL {5}\r\nab\r\nc NIL))\r\n", "* SEARCH 1 2 3\r\n", "* sort 4 5\r\n", "T1 OK done\r\n",
		"+ go on\r\n", "* OK [CAPABILITY IMAP4rev1] hi\r\n", "{", "}", "{12", "}\r", "\r\n", "~{7}\r\n", "RFC822 {", "9}\r\n",
		strings.Repeat("x", 3000), strings.Repeat("y ", 40000), "* 4 FETCH (BODY[TEXT] {300000}\r\n", "{2000000}\r\n"}
	for round := range 3000 {
		var in []byte
		for range 1 + rng.IntN(12) {
			in = append(in, parts[rng.IntN(len(parts))]...)
		}
		if round%50 == 0 { // past the answer size
			in = append(in, strings.Repeat("z", MaxAnswerSize+10)...)
		}
		bodyMax := []int64{0, 350000, 5000000}[rng.IntN(3)]
		fast, slow := scanner{start: true}, scanner{start: true}
		var ft, fc, st, sc int
		var ff, sf *ServerFaultError
		for p := in; len(p) > 0 && ff == nil; {
			k := min(len(p), 1+rng.IntN(5000))
			t1, c1, f1 := fast.scan(p[:k], bodyMax)
			ft, fc, ff = ft+t1, fc+c1, f1
			p = p[k:]
		}
		for p := in; len(p) > 0 && sf == nil; {
			k := min(len(p), 1+rng.IntN(700))
			t1, c1, f1 := byteScan(&slow, p[:k], bodyMax)
			st, sc, sf = st+t1, sc+c1, f1
			p = p[k:]
		}
		if (ff == nil) != (sf == nil) || ff != nil && *ff != *sf || ff == nil && (ft != st || fc != sc || fast.lit != slow.lit || fast.size != slow.size) {
			t.Fatalf("%q (body %d): scan %d/%d %v, byte by byte %d/%d %v", in[:min(len(in), 300)], bodyMax, ft, fc, ff, st, sc, sf)
		}
	}
}
