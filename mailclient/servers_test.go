package mailclient

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"mailroom/data"
)

const (
	testUser = "ann@example.test"
	testPass = "s3cret-Pässword-7x"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// endpoint returns the Endpoint of a listener.
func endpoint(ln net.Listener, sec data.Security) *Endpoint {
	a := ln.Addr().(*net.TCPAddr)
	return &Endpoint{Host: "127.0.0.1", Port: a.Port, Security: sec}
}

// startIMAP runs the go-imap memory server on loopback with sec: implicit TLS, STARTTLS,
// or plain (LOGIN allowed in clear only when sec is none; STARTTLS not offered otherwise).
// The wire traffic of every connection is written to wire.
func startIMAP(t *testing.T, sec data.Security, cert tls.Certificate, wire *syncBuffer) *Endpoint {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(testUser, testPass)
	for _, f := range []string{"INBOX", "Sent", "Drafts"} {
		if err := u.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(u)
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:        imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:      discardLogger{},
		DebugWriter: wire,
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	switch sec {
	case data.SecurityStartTLS:
		opts.TLSConfig = tlsCfg
	case data.SecurityNone:
		opts.InsecureAuth = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := endpoint(ln, sec)
	if sec == data.SecuritySSL {
		ln = tls.NewListener(ln, tlsCfg)
	}
	srv := imapserver.New(opts)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return e
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// fakeSMTP is a tiny submission server: greeting, EHLO, STARTTLS (when offered), AUTH PLAIN
// and LOGIN for testUser, QUIT. It records what it received.
type fakeSMTP struct {
	cert        tls.Certificate
	implicitTLS bool
	offerTLS    bool
	wire        *syncBuffer // every line received
	mu          sync.Mutex
	clearAuth   bool // an AUTH command arrived before TLS
}

func startSMTP(t *testing.T, f *fakeSMTP, sec data.Security) *Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	e := endpoint(ln, sec)
	if f.wire == nil {
		f.wire = &syncBuffer{}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return e
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer func() { c.Close() }()
	isTLS := f.implicitTLS
	if isTLS {
		c = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{f.cert}})
	}
	r := bufio.NewReader(c)
	say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
	say("220 fake.example ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.wire.Write([]byte(line + "\n"))
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			say("250-fake.example")
			if f.offerTLS && !isTLS {
				say("250-STARTTLS")
			}
			say("250 AUTH PLAIN LOGIN")
		case "STARTTLS":
			if !f.offerTLS || isTLS {
				say("502 5.5.1 not here")
				continue
			}
			say("220 go ahead")
			c = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{f.cert}})
			r, isTLS = bufio.NewReader(c), true
		case "AUTH":
			if !isTLS {
				f.mu.Lock()
				f.clearAuth = true
				f.mu.Unlock()
			}
			say(f.auth(line))
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 5.5.2 unknown")
		}
	}
}

func (f *fakeSMTP) auth(line string) string {
	parts := strings.Fields(line)
	if len(parts) != 3 || strings.ToUpper(parts[1]) != "PLAIN" {
		return "504 5.5.4 only PLAIN with an initial response here"
	}
	raw, _ := base64.StdEncoding.DecodeString(parts[2])
	if bytes.Equal(raw, []byte("\x00"+testUser+"\x00"+testPass)) {
		return "235 2.7.0 ok"
	}
	return "535 5.7.8 Error: authentication failed: bad credentials"
}

func (f *fakeSMTP) sawClearAuth() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clearAuth
}

// startSilent accepts connections and never says a word.
func startSilent(t *testing.T) *Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return endpoint(ln, data.SecuritySSL)
}

// closedPort returns an endpoint on which nothing listens.
func closedPort(t *testing.T) *Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := endpoint(ln, data.SecuritySSL)
	ln.Close()
	return e
}

func portOf(e *Endpoint) string { return strconv.Itoa(e.Port) }
