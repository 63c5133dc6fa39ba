package testenv

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"strings"
	"testing"
	"time"
)

const ann = "ann@example.test"

func tlsConfig(t *testing.T, s Servers) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", s.CAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// imapCmd sends one tagged command and returns the untagged lines and the tagged reply.
func imapCmd(t *testing.T, r *bufio.Reader, w net.Conn, tag, cmd string) (untagged []string, tagged string) {
	t.Helper()
	if _, err := fmt.Fprintf(w, "%s %s\r\n", tag, cmd); err != nil {
		t.Fatalf("sending %s: %v", tag, err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading reply to %s: %v", tag, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, tag+" ") {
			return untagged, line
		}
		untagged = append(untagged, line)
	}
}

func TestServersReachable(t *testing.T) {
	s := Load(t)
	pass, ok := s.Users[ann]
	if !ok {
		t.Fatalf("%s not among the test users %v", ann, s.Users)
	}
	cfg := tlsConfig(t, s)

	t.Run("IMAPS login", func(t *testing.T) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.IMAPSAddr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		greeting, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(greeting, "* OK") {
			t.Fatalf("greeting %q, %v", greeting, err)
		}
		_, reply := imapCmd(t, r, conn, "a1", fmt.Sprintf("LOGIN %q %q", ann, pass))
		if !strings.HasPrefix(reply, "a1 OK") {
			t.Fatalf("LOGIN: %s", reply)
		}
		_, reply = imapCmd(t, r, conn, "a2", "LOGOUT")
		if !strings.HasPrefix(reply, "a2 OK") {
			t.Fatalf("LOGOUT: %s", reply)
		}
	})

	t.Run("SMTPS AUTH PLAIN", func(t *testing.T) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.SMTPSAddr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		host, _, _ := net.SplitHostPort(s.SMTPSAddr)
		c, err := smtp.NewClient(conn, host)
		if err != nil {
			conn.Close()
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("localhost"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			t.Fatal("server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", ann, pass, host)); err != nil {
			t.Fatalf("AUTH PLAIN: %v", err)
		}
		if err := c.Quit(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("plain IMAP on 127.0.0.2 has LOGINDISABLED", func(t *testing.T) {
		if !strings.HasPrefix(s.IMAPPlainAddr, "127.0.0.2:") {
			t.Fatalf("IMAPPlainAddr = %q, want 127.0.0.2:port", s.IMAPPlainAddr)
		}
		conn, err := net.DialTimeout("tcp", s.IMAPPlainAddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		if greeting, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(greeting, "* OK") {
			t.Fatalf("greeting %q, %v", greeting, err)
		}
		untagged, reply := imapCmd(t, r, conn, "a1", "CAPABILITY")
		if !strings.HasPrefix(reply, "a1 OK") {
			t.Fatalf("CAPABILITY: %s", reply)
		}
		caps := strings.Join(untagged, " ")
		for _, want := range []string{"LOGINDISABLED", "STARTTLS"} {
			if !strings.Contains(caps, want) {
				t.Errorf("capabilities %q lack %s", caps, want)
			}
		}
	})

	t.Run("silent server never speaks", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", s.SilentAddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := conn.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); n != 0 || !ok || !ne.Timeout() {
			t.Fatalf("read %d bytes, err %v; want a timeout", n, err)
		}
	})
}
