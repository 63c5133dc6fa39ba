package mailclient

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Limits on what an IMAP server may send. Beyond them the connection is closed and the
// command fails with a *ServerFaultError: no answer can make Mailroom hold more than a few
// megabytes of it, or wait for it without end.
const (
	// MaxAnswerSize is the most bytes one answer of the server may hold besides message
	// bodies: its lines and the strings it sends as literals. An ENVELOPE with a thousand
	// addresses or a BODYSTRUCTURE with a thousand parts is well under it.
	MaxAnswerSize = 1 << 20
	// maxSearchAnswer is that for SEARCH and SORT answers, which list a folder's UIDs on
	// one line: 64 MB is some eight million UIDs.
	maxSearchAnswer = 64 << 20
	// MaxFieldLiteral is the most bytes of one string sent as a literal outside a message
	// body, such as a header field in an ENVELOPE: header fields are kilobytes.
	MaxFieldLiteral = 256 << 10
	// MinProgress is the fewest bytes a command must move in each period of the IMAP
	// timeout while the server has bytes on their way: a server that trickles them is
	// given up after one or two periods, not kept forever.
	MinProgress = 64
	// MaxCommandTime is the longest one command may run however it moves (IDLE excepted,
	// which may last twice the timeout in force).
	MaxCommandTime = 15 * time.Minute
)

// FaultKind says how a server overstepped.
type FaultKind int

// The kinds of ServerFaultError.
const (
	FaultLongAnswer FaultKind = iota + 1 // a line or answer longer than MaxAnswerSize
	FaultLargeField                      // a literal longer than MaxFieldLiteral outside a body
	FaultLargeBody                       // a message body longer than the size the server gave
	FaultSlow                            // fewer than MinProgress bytes in one period of the timeout
	FaultTooLong                         // a command ran past its budget
)

// ServerFaultError is a server that broke the limits above; the connection was closed.
type ServerFaultError struct {
	Kind  FaultKind
	Size  int64         // the bytes announced or received
	Limit int64         // the limit in bytes
	After time.Duration // FaultSlow: the period; FaultTooLong: the budget
}

func (e *ServerFaultError) Error() string {
	switch e.Kind {
	case FaultLongAnswer:
		return fmt.Sprintf("server fault: an answer longer than %d bytes", e.Limit)
	case FaultLargeField:
		return fmt.Sprintf("server fault: a %d-byte literal outside a body (limit %d)", e.Size, e.Limit)
	case FaultLargeBody:
		return fmt.Sprintf("server fault: a %d-byte body (limit %d)", e.Size, e.Limit)
	case FaultSlow:
		return fmt.Sprintf("server fault: %d bytes in %s (at least %d needed)", e.Size, e.After, MinProgress)
	}
	return fmt.Sprintf("server fault: a command still running after %s", e.After)
}

// sentence says what the server did in plain words.
func (e *ServerFaultError) sentence() string {
	const broken = "The server is broken or hostile; tell your provider."
	switch e.Kind {
	case FaultLongAnswer:
		return fmt.Sprintf("The mail server sent a line of more than %s without ending it, which no working server does, "+
			"so Mailroom closed the connection. %s", byteSize(e.Limit), broken)
	case FaultLargeField:
		return fmt.Sprintf("The mail server sent %s where a header field of a few kilobytes belongs (Mailroom takes at most %s), "+
			"so Mailroom closed the connection. %s", byteSize(e.Size), byteSize(e.Limit), broken)
	case FaultLargeBody:
		return fmt.Sprintf("The mail server sent a message of %s, more than the size it had given for it, "+
			"so Mailroom closed the connection. %s", byteSize(e.Size), broken)
	case FaultSlow:
		return fmt.Sprintf("The mail server sent only %s in %s, far too slowly to go on, so Mailroom gave up. "+
			"It may be overloaded or misbehaving; try again later.", byteSize(e.Size), seconds(e.After))
	}
	return fmt.Sprintf("The mail server kept one command running for more than %s, so Mailroom gave up. "+
		"It may be overloaded or misbehaving; try again later.", minutes(e.After))
}

// byteSize writes n as people read sizes: 300 bytes, 256 KB, 100 MB.
func byteSize(n int64) string {
	switch {
	case n == 1:
		return "1 byte"
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", n>>10)
	case n < 1<<30:
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d GB", n>>30)
}

func minutes(d time.Duration) string {
	if d%time.Minute != 0 {
		return seconds(d)
	}
	if d == time.Minute {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// bodyLimit is the most bytes of a body fetched for a message of size bytes (0: unknown):
// its size with some slack for servers that count line ends differently, at most MaxBodySize,
// which is all that is ever asked for.
func bodyLimit(size int64) int64 {
	if size <= 0 {
		return MaxBodySize
	}
	return min(MaxBodySize, size+size/4+8<<10)
}

// wireGuard sits between the IMAP client and the (decrypted) connection and reads what the
// server sends as the client will: lines, and literals announced as {N} at a line's end. It
// ends the connection, recording a *ServerFaultError on dc, when an answer grows beyond
// MaxAnswerSize, a literal beyond MaxFieldLiteral (or, for an expected body, beyond
// expectBody's limit), or a command stops moving (see MinProgress and MaxCommandTime).
//
// Read is called by the client's one reading goroutine, Write by its writers one at a time.
type wireGuard struct {
	net.Conn
	dc *deadlineConn

	in  scanner // what the server sends; only Read touches it
	out scanner // what the client sends; only Write touches it

	bodyMax atomic.Int64 // > 0 while a body is expected: the largest accepted

	pending []byte // read before the connection: a greeting the server gave before STARTTLS

	mu          sync.Mutex
	greeting    bool // the greeting is awaited
	outstanding int  // commands sent and not yet answered (the greeting counts as one)
	idle        bool // the command outstanding is IDLE, which waits by design
	since       time.Time
	moved       int64 // bytes read, and literal bytes written
	movedAtTick int64
	read        int64 // bytes read
	readAtTick  int64
	timer       *time.Timer
}

// newWireGuard guards c, whose lowest layer is dc. The greeting is awaited as a command.
func newWireGuard(c net.Conn, dc *deadlineConn) *wireGuard {
	g := &wireGuard{Conn: c, dc: dc}
	g.in.start, g.out.start, g.greeting = true, true, true
	g.commandSent(false)
	return g
}

// expectBody lets message bodies (BODY[], BINARY[], RFC822) of a message of size bytes
// through until the returned func is called; at other times a body is held to
// MaxFieldLiteral like any literal.
func (g *wireGuard) expectBody(size int64) (done func()) {
	g.bodyMax.Store(bodyLimit(size))
	return func() { g.bodyMax.Store(0) }
}

// Read reads from the server, ending the connection at the first fault.
func (g *wireGuard) Read(p []byte) (int, error) {
	if f := g.dc.fault.Load(); f != nil {
		return 0, f
	}
	var n int
	var err error
	if len(g.pending) > 0 {
		n = copy(p, g.pending)
		g.pending = g.pending[n:]
	} else {
		n, err = g.Conn.Read(p)
	}
	if n > 0 {
		tagged, completed, f := g.in.scan(p[:n], g.bodyMax.Load())
		if f != nil {
			return 0, g.fail(f)
		}
		conts := g.in.conts
		g.in.conts = 0
		g.received(int64(n), tagged, completed, conts)
	}
	if err != nil {
		g.stop()
	}
	return n, err
}

// Close stops the budget and closes the connection.
func (g *wireGuard) Close() error {
	g.stop()
	return g.Conn.Close()
}

// stop ends the budget of every outstanding command: the connection is over.
func (g *wireGuard) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.outstanding, g.greeting = 0, false
	if g.timer != nil {
		g.timer.Stop()
	}
}

// Write sends to the server, noting each command that starts.
func (g *wireGuard) Write(p []byte) (int, error) {
	if f := g.dc.fault.Load(); f != nil {
		return 0, f
	}
	commands, idle, litBytes := g.out.scanCommands(p)
	for range commands {
		g.commandSent(idle)
	}
	n, err := g.Conn.Write(p)
	if litBytes > 0 {
		g.mu.Lock()
		g.moved += litBytes
		g.mu.Unlock()
	}
	return n, err
}

// fail records f as the connection's fault (the first one stands) and closes it.
func (g *wireGuard) fail(f *ServerFaultError) error {
	g.dc.fault.CompareAndSwap(nil, f)
	g.dc.Close()
	return g.dc.fault.Load()
}

// commandSent starts the budget of a command.
func (g *wireGuard) commandSent(idle bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.outstanding++
	g.idle = idle
	g.since, g.movedAtTick, g.readAtTick = time.Now(), g.moved, g.read
	if g.timer == nil {
		g.timer = time.AfterFunc(g.dc.currentTimeout(), g.tick)
	} else {
		g.timer.Reset(g.dc.currentTimeout())
	}
}

// received counts n bytes from the server that completed answers, tagged of them tagged,
// and conts continuation requests; the first answer is the greeting.
func (g *wireGuard) received(n int64, tagged, completed, conts int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.moved += n
	g.read += n
	if conts > 0 {
		// The server answered in full what was asked so far (go on with the literal): the
		// rest of the command is a period of its own, whose silence the read deadline tells.
		g.movedAtTick, g.readAtTick = g.moved, g.read
	}
	if g.greeting && completed > 0 {
		g.greeting = false
		tagged++
	}
	if tagged > 0 {
		g.outstanding = max(0, g.outstanding-tagged)
		if g.outstanding == 0 {
			g.idle = false
			g.timer.Stop()
		}
	}
}

// tick checks, once per period of the timeout, that the outstanding command still moves.
// A period without any byte is left to the read deadline, which calls it silence.
func (g *wireGuard) tick() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.outstanding == 0 {
		return
	}
	period := g.dc.currentTimeout()
	budget := max(MaxCommandTime, 2*period)
	ran := time.Since(g.since)
	got := g.moved - g.movedAtTick
	var f *ServerFaultError
	switch {
	case ran >= budget:
		f = &ServerFaultError{Kind: FaultTooLong, After: budget}
	case !g.idle && g.read > g.readAtTick && got < MinProgress:
		// The server trickles. (Only our own bytes, a literal such as a LOGIN's password,
		// and nothing from it: the server is silent, which the read deadline tells.)
		f = &ServerFaultError{Kind: FaultSlow, Size: got, After: period}
	}
	if f != nil {
		g.fail(f)
		return
	}
	g.movedAtTick, g.readAtTick = g.moved, g.read
	g.timer.Reset(min(period, budget-ran))
}

// scanner follows one direction of an IMAP stream: where answers (or commands) start and
// end, and which bytes are literals.
type scanner struct {
	start   bool  // the next byte starts an answer or command
	tagged  bool  // the current answer is tagged: it completes a command
	cont    bool  // the current answer is a continuation request ("+ ...")
	conts   int   // continuation requests completed, for the reader to take
	size    int64 // bytes of the current answer outside bodies
	limit   int64
	head    []byte // its first bytes, in headBuf
	headBuf [10]byte
	lit     int64 // bytes left of the literal being read
	litBody bool  // that literal is a body, not counted in size
	tail    [24]byte
	tailN   int
	// the announcement of a literal at a line's end: 1 after '{', 2 after '}', 3 after "}\r"
	ann     int
	annSize int64
	annBody bool
	// the first two words of a command, to tell commands from continuation lines
	words   int
	name    []byte
	isCmd   bool
	hadSep  bool
	counted bool
}

// scan reads p from the server. It returns how many answers p completed and how many of
// them were tagged, and the fault, if any; bodyMax > 0 allows bodies that long.
func (s *scanner) scan(p []byte, bodyMax int64) (tagged, completed int, f *ServerFaultError) {
	for i := 0; i < len(p); {
		if s.lit > 0 {
			k := min(s.lit, int64(len(p)-i))
			s.lit -= k
			i += int(k)
			continue
		}
		if !s.start && s.ann == 0 && len(s.head) == len(s.headBuf) {
			// The hot path, most of every line: the bytes up to the next '{' or line end
			// change nothing but the answer's size and the line's last bytes.
			k := s.plain(p[i:])
			if s.size+int64(k) > s.limit {
				return tagged, completed, &ServerFaultError{Kind: FaultLongAnswer, Size: s.limit + 1, Limit: s.limit}
			}
			s.size += int64(k)
			s.remember(p[i : i+k])
			if i += k; i == len(p) {
				break
			}
		}
		b := p[i]
		i++
		if s.start {
			s.start, s.tagged, s.cont, s.size, s.head, s.limit = false, b != '*' && b != '+', b == '+', 0, s.headBuf[:0], MaxAnswerSize
		}
		if len(s.head) < len(s.headBuf) {
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
			if s.cont {
				s.conts++
			}
			completed++
			s.start = true
		}
	}
	return tagged, completed, nil
}

// plain returns how many bytes p starts with that are neither '{' nor a line end.
func (s *scanner) plain(p []byte) int {
	k := bytes.IndexByte(p, '\n')
	if k < 0 {
		k = len(p)
	}
	if j := bytes.IndexByte(p[:k], '{'); j >= 0 {
		k = j
	}
	return k
}

// remember keeps the last bytes of p, bytes of the current line, in the tail, as announce
// does one byte at a time.
func (s *scanner) remember(p []byte) {
	if len(p) > len(s.tail) {
		s.tailN += len(p) - len(s.tail)
		p = p[len(p)-len(s.tail):]
	}
	for _, b := range p {
		s.tail[s.tailN%len(s.tail)] = b
		s.tailN++
	}
}

// literal begins a literal of n bytes announced in the current answer.
func (s *scanner) literal(n, bodyMax int64) *ServerFaultError {
	s.lit, s.litBody = n, s.annBody && bodyMax > 0
	switch {
	case s.litBody && n > bodyMax:
		return &ServerFaultError{Kind: FaultLargeBody, Size: n, Limit: bodyMax}
	case s.litBody:
		return nil
	case n > MaxFieldLiteral:
		return &ServerFaultError{Kind: FaultLargeField, Size: n, Limit: MaxFieldLiteral}
	case s.size+n > s.limit:
		return &ServerFaultError{Kind: FaultLongAnswer, Size: s.size + n, Limit: s.limit}
	}
	s.size += n
	return nil
}

// announce follows "{N}" (or "{N+}", or "~{N}") and the CRLF after it; it returns N when b
// ends such an announcement.
func (s *scanner) announce(b byte) (int64, bool) {
	switch {
	case b == '{':
		s.ann, s.annSize, s.annBody = 1, 0, isBodyItem(s.recent())
	case s.ann == 1 && b >= '0' && b <= '9':
		s.annSize = min(s.annSize*10+int64(b-'0'), 1<<50)
	case s.ann == 1 && b == '+':
	case s.ann == 1 && b == '}':
		s.ann = 2
	case s.ann == 2 && b == '\r':
		s.ann = 3
	case (s.ann == 2 || s.ann == 3) && b == '\n':
		s.ann = 0
		s.tailN = 0
		return s.annSize, true
	default:
		s.ann = 0
	}
	s.tail[s.tailN%len(s.tail)] = b
	s.tailN++
	if b == '\n' {
		s.tailN = 0
	}
	return 0, false
}

// recent returns the last bytes of the current line, oldest first.
func (s *scanner) recent() []byte {
	n := min(s.tailN, len(s.tail))
	out := make([]byte, 0, n)
	for i := s.tailN - n; i < s.tailN; i++ {
		out = append(out, s.tail[i%len(s.tail)])
	}
	return out
}

// isBodyItem reports whether a literal announced after before is a message body: after
// BODY[...], BINARY[...] (either with <origin>) or RFC822, RFC822.HEADER, RFC822.TEXT.
func isBodyItem(before []byte) bool {
	t := bytes.TrimRight(before, " ~")
	if bytes.HasSuffix(t, []byte(">")) {
		if i := bytes.LastIndexByte(t, '<'); i >= 0 {
			t = t[:i]
		}
	}
	if bytes.HasSuffix(t, []byte("]")) {
		return true
	}
	u := bytes.ToUpper(t)
	for _, item := range []string{"RFC822", "RFC822.HEADER", "RFC822.TEXT"} {
		if rest, ok := bytes.CutSuffix(u, []byte(item)); ok && (len(rest) == 0 || rest[len(rest)-1] == ' ' || rest[len(rest)-1] == '(') {
			return true
		}
	}
	return false
}

// isSearchAnswer reports whether an answer starting with head lists UIDs on one line.
func isSearchAnswer(head []byte) bool {
	return hasPrefixFold(head, "* SEARCH") || hasPrefixFold(head, "* SORT ")
}

// hasPrefixFold reports whether b starts with prefix, an upper-case ASCII word, in any case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// scanCommands reads p from the client. It returns how many commands start in p (lines
// whose first word is followed by a space, unlike DONE or a SASL response), whether the
// last is IDLE, and how many bytes of p were literal data.
func (s *scanner) scanCommands(p []byte) (commands int, idle bool, litBytes int64) {
	for i := 0; i < len(p); {
		if s.lit > 0 {
			k := min(s.lit, int64(len(p)-i))
			s.lit -= k
			i += int(k)
			litBytes += k
			continue
		}
		b := p[i]
		i++
		if s.start {
			s.start, s.words, s.name, s.isCmd, s.hadSep, s.counted = false, 0, s.name[:0], false, false, false
		}
		s.word(b)
		n, isLit := s.announce(b)
		if (isLit || b == '\n') && s.isCmd && !s.counted { // a command counts from its first line
			commands++
			s.counted = true
			idle = bytes.EqualFold(bytes.TrimRight(s.name, "\r\n"), []byte("IDLE"))
		}
		switch {
		case isLit:
			s.lit = n
		case b == '\n':
			s.start = true
		}
	}
	return commands, idle, litBytes
}

// word follows the first two words of a command line.
func (s *scanner) word(b byte) {
	switch {
	case b == ' ':
		if s.words == 0 && !s.hadSep {
			s.isCmd = true
		}
		s.words++
		s.hadSep = true
	case s.words == 1 && len(s.name) < 16:
		s.name = append(s.name, b)
	}
}

// why returns err of operation op as the connection explains it: the server's fault when a
// wireGuard ended the connection, a *TimeoutError (with the timeout in force when it passed)
// when a read or write hit its deadline, marked ErrConnectionLost when the server went away.
func (c *deadlineConn) why(op string, err error) error {
	if err == nil || c == nil {
		return err
	}
	var sf *ServerFaultError
	if f := c.fault.Load(); f != nil && !errors.As(err, &sf) {
		return fmt.Errorf("%w: %w", f, err)
	}
	var te *TimeoutError
	if c.timedOut() && !errors.As(err, &te) {
		return &TimeoutError{Op: op, After: time.Duration(c.expiredAfter.Load()), Err: err}
	}
	return c.lostOr(err)
}
