// Package hostileimap is a small IMAP server on 127.0.0.1 that misbehaves on purpose, so
// tests and benchmarks can show that a mail server cannot exhaust Mailroom: lines that never
// end, literals far larger than any header field, bodies larger than announced, answers one
// byte at a time, a hundred thousand folders, silence.
//
// It speaks IMAPS with a self-signed certificate made at start; clients trust it by pinning
// its Fingerprint, as `mailroom mailbox add --trust-cert` does. Any login is accepted. Its
// folders are INBOX (with Messages messages) and, in ManyFolders mode, Folders more.
package hostileimap

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how the server misbehaves.
type Mode string

// The modes. Good behaves, for comparison; each other mode breaks one rule.
const (
	Good            Mode = "good"
	GreetingLine    Mode = "greeting-line"    // the greeting is a line that never ends
	FetchLine       Mode = "fetch-line"       // a FETCH answer's subject is a line that never ends
	EnvelopeLiteral Mode = "envelope-literal" // a FETCH answer's subject is a literal of LiteralSize bytes
	BodyOversize    Mode = "body-oversize"    // BODY[] is a literal of LiteralSize bytes, RFC822.SIZE says 300
	Trickle         Mode = "trickle"          // after login, every answer goes out one byte per TrickleEvery
	ManyFolders     Mode = "many-folders"     // LIST answers Folders folders besides INBOX
	Silent          Mode = "silent"           // after the greeting, no answer at all
)

// Modes lists every mode but Good.
var Modes = []Mode{GreetingLine, FetchLine, EnvelopeLiteral, BodyOversize, Trickle, ManyFolders, Silent}

// Options shape a server; zero fields take the defaults.
type Options struct {
	LiteralSize  int64         // EnvelopeLiteral and BodyOversize; default 100 MB
	TrickleEvery time.Duration // Trickle; default 20 s
	Folders      int           // ManyFolders; default 100,000
	Messages     int           // messages in INBOX; default 3
}

// Server is a running hostile server.
type Server struct {
	// Fingerprint is the SHA-256 of the server's certificate, in hex.
	Fingerprint string

	mode Mode
	opt  Options
	ln   net.Listener
	sent atomic.Int64 // bytes the clients accepted
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
}

// Start listens on 127.0.0.1 (a free port) and serves mode until Close.
func Start(mode Mode, opt Options) (*Server, error) {
	if opt.LiteralSize <= 0 {
		opt.LiteralSize = 100 << 20
	}
	if opt.TrickleEvery <= 0 {
		opt.TrickleEvery = 20 * time.Second
	}
	if opt.Folders <= 0 {
		opt.Folders = 100000
	}
	if opt.Messages <= 0 {
		opt.Messages = 3
	}
	cert, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cert.Certificate[0])
	s := &Server{Fingerprint: hex.EncodeToString(sum[:]), mode: mode, opt: opt, conns: map[net.Conn]bool{},
		ln: tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})}
	s.wg.Go(s.serve)
	return s, nil
}

// Addr returns the host and port the server listens on.
func (s *Server) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Sent returns how many bytes the server has written to its clients (as far as the
// connections accepted them).
func (s *Server) Sent() int64 { return s.sent.Load() }

// Close stops the server and ends its connections.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			sess := &session{s: s, r: bufio.NewReader(c), w: &countingWriter{w: c, n: &s.sent}}
			sess.run()
		})
	}
}

// countingWriter counts what was written.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// trickleWriter writes one byte per every.
type trickleWriter struct {
	w     io.Writer
	every time.Duration
}

func (t *trickleWriter) Write(p []byte) (int, error) {
	for i := range p {
		time.Sleep(t.every)
		if _, err := t.w.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// session is one client connection.
type session struct {
	s         *Server
	r         *bufio.Reader
	w         io.Writer
	selected  string
	trickling bool
}

func (ss *session) printf(format string, args ...any) error {
	_, err := fmt.Fprintf(ss.w, format, args...)
	return err
}

// endless writes filler until the client stops reading.
func (ss *session) endless() {
	chunk := []byte(strings.Repeat("x", 64<<10))
	for {
		if _, err := ss.w.Write(chunk); err != nil {
			return
		}
	}
}

func (ss *session) run() {
	if ss.s.mode == GreetingLine {
		ss.printf("* OK ")
		ss.endless()
		return
	}
	if ss.printf("* OK [CAPABILITY IMAP4rev1] hostile server ready\r\n") != nil {
		return
	}
	for {
		tag, name, args, err := ss.readCommand()
		if err != nil {
			return
		}
		if ss.s.mode == Silent {
			continue
		}
		if !ss.answer(tag, name, args) {
			return
		}
	}
}

// readCommand reads one command, sending the continuation its literals need.
func (ss *session) readCommand() (tag, name, args string, err error) {
	var line strings.Builder
	for {
		l, err := ss.r.ReadString('\n')
		if err != nil {
			return "", "", "", err
		}
		l = strings.TrimRight(l, "\r\n")
		n, sync, ok := literalAt(l)
		if !ok {
			line.WriteString(l)
			break
		}
		line.WriteString(l[:strings.LastIndexByte(l, '{')])
		if sync {
			if err := ss.printf("+ go on\r\n"); err != nil {
				return "", "", "", err
			}
		}
		lit := make([]byte, min(n, 1<<20))
		if _, err := io.ReadFull(ss.r, lit); err != nil {
			return "", "", "", err
		}
		if _, err := io.CopyN(io.Discard, ss.r, n-int64(len(lit))); err != nil {
			return "", "", "", err
		}
		line.WriteString(strconv.Quote(string(lit)))
	}
	f := strings.SplitN(line.String(), " ", 3)
	for len(f) < 3 {
		f = append(f, "")
	}
	name = strings.ToUpper(f[1])
	if name == "UID" {
		sub := strings.SplitN(f[2], " ", 2)
		name = "UID " + strings.ToUpper(sub[0])
		if len(sub) > 1 {
			f[2] = sub[1]
		}
	}
	return f[0], name, f[2], nil
}

// literalAt reports whether line ends with a literal's announcement, {N} or {N+}.
func literalAt(line string) (n int64, sync, ok bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false, false
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false, false
	}
	num := line[i+1 : len(line)-1]
	sync = !strings.HasSuffix(num, "+")
	n, err := strconv.ParseInt(strings.TrimSuffix(num, "+"), 10, 64)
	return n, sync, err == nil && n >= 0
}

// answer answers one command; false ends the session.
func (ss *session) answer(tag, name, args string) bool {
	if ss.s.mode == Trickle && !ss.trickling && name != "CAPABILITY" && name != "LOGIN" {
		ss.w, ss.trickling = &trickleWriter{w: ss.w, every: ss.s.opt.TrickleEvery}, true
	}
	var err error
	switch name {
	case "CAPABILITY":
		err = ss.printf("* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag)
	case "LOGIN":
		err = ss.printf("%s OK logged in\r\n", tag)
	case "NOOP", "CHECK":
		err = ss.printf("%s OK done\r\n", tag)
	case "LOGOUT":
		ss.printf("* BYE bye\r\n%s OK done\r\n", tag)
		return false
	case "LIST":
		err = ss.list(tag)
	case "SELECT", "EXAMINE":
		err = ss.sel(tag, args)
	case "UID STORE":
		err = ss.printf("%s OK stored\r\n", tag)
	case "UID SEARCH":
		err = ss.search(tag)
	case "UID FETCH":
		return ss.fetch(tag, args)
	default:
		err = ss.printf("%s BAD not here\r\n", tag)
	}
	return err == nil
}

func (ss *session) list(tag string) error {
	bw := bufio.NewWriter(ss.w)
	fmt.Fprintf(bw, "* LIST () \"/\" INBOX\r\n")
	if ss.s.mode == ManyFolders {
		for i := range ss.s.opt.Folders {
			fmt.Fprintf(bw, "* LIST () \"/\" \"Folder%06d\"\r\n", i)
		}
	}
	fmt.Fprintf(bw, "%s OK done\r\n", tag)
	return bw.Flush()
}

func (ss *session) messages() int {
	if ss.selected == "INBOX" {
		return ss.s.opt.Messages
	}
	return 0
}

func (ss *session) sel(tag, args string) error {
	ss.selected = strings.Trim(strings.Fields(args + " x")[0], `"`)
	if strings.EqualFold(ss.selected, "INBOX") {
		ss.selected = "INBOX"
	}
	n := ss.messages()
	return ss.printf("* %d EXISTS\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT %d] ok\r\n%s OK [READ-ONLY] done\r\n",
		n, n+1, tag)
}

func (ss *session) search(tag string) error {
	var b strings.Builder
	b.WriteString("* SEARCH")
	for i := 1; i <= ss.messages(); i++ {
		fmt.Fprintf(&b, " %d", i)
	}
	return ss.printf("%s\r\n%s OK done\r\n", b.String(), tag)
}

const internalDate = `"01-Jan-2026 10:00:00 +0000"`

// envelope returns an ENVELOPE with subject (already quoted or a literal announcement).
func envelope(uid int, subject string) string {
	from := `(("Ann" NIL "ann" "example.test"))`
	return fmt.Sprintf(`ENVELOPE ("Thu, 1 Jan 2026 10:00:00 +0000" %s %s %s %s %s NIL NIL NIL "<m%d@example.test>")`,
		subject, from, from, from, from, uid)
}

const bodyStructure = `BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 300 10 NIL NIL NIL NIL)`

func (ss *session) fetch(tag, args string) bool {
	if strings.Contains(strings.ToUpper(args), "BODY.PEEK[") || strings.Contains(strings.ToUpper(args), "BODY[") {
		return ss.fetchBody(tag, args)
	}
	for uid := 1; uid <= ss.messages(); uid++ {
		head := fmt.Sprintf("* %d FETCH (UID %d FLAGS () INTERNALDATE %s RFC822.SIZE 300 ", uid, uid, internalDate)
		switch ss.s.mode {
		case FetchLine:
			if ss.printf(`%sENVELOPE (NIL "`, head) != nil {
				return false
			}
			ss.endless()
			return false
		case EnvelopeLiteral:
			if ss.printf("%sENVELOPE (NIL {%d}\r\n", head, ss.s.opt.LiteralSize) != nil {
				return false
			}
			if _, err := io.CopyN(ss.w, repeatReader('s'), ss.s.opt.LiteralSize); err != nil {
				return false
			}
			rest := strings.TrimPrefix(envelope(uid, ""), `ENVELOPE ("Thu, 1 Jan 2026 10:00:00 +0000" `)
			if ss.printf("%s %s)\r\n", rest, bodyStructure) != nil {
				return false
			}
			continue
		}
		if ss.printf("%s%s %s)\r\n", head, envelope(uid, fmt.Sprintf(`"Message %d"`, uid)), bodyStructure) != nil {
			return false
		}
	}
	return ss.printf("%s OK done\r\n", tag) == nil
}

func (ss *session) fetchBody(tag, args string) bool {
	uid, _ := strconv.Atoi(strings.Fields(args + " 1")[0])
	body := fmt.Sprintf("From: Ann <ann@example.test>\r\nSubject: Message %d\r\n\r\nHello.\r\n", uid)
	if ss.s.mode != BodyOversize {
		return ss.printf("* %d FETCH (UID %d BODY[]<0> {%d}\r\n%s)\r\n%s OK done\r\n", uid, uid, len(body), body, tag) == nil
	}
	if ss.printf("* %d FETCH (UID %d BODY[]<0> {%d}\r\n%s", uid, uid, ss.s.opt.LiteralSize, body) != nil {
		return false
	}
	if _, err := io.CopyN(ss.w, repeatReader('b'), ss.s.opt.LiteralSize-int64(len(body))); err != nil {
		return false
	}
	return ss.printf(")\r\n%s OK done\r\n", tag) == nil
}

// repeatReader reads c without end.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "hostile.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost", "hostile.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, errors.Join(errors.New("make certificate"), err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
