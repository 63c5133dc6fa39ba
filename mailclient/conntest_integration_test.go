package mailclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// realServers loads the test environment, with a Trust whose only root is the test CA, the
// first user, and that user's password.
func realServers(t *testing.T) (testenv.Servers, *Trust, string, string) {
	t.Helper()
	srv := testenv.Load(t)
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", srv.CAFile)
	}
	user := "ann@example.test"
	pass, ok := srv.Users[user]
	if !ok {
		for u, p := range srv.Users {
			user, pass = u, p
			break
		}
	}
	return srv, &Trust{Roots: pool}, user, pass
}

// ep returns the Endpoint of a host:port address.
func ep(t *testing.T, addr string, sec data.Security) *Endpoint {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return &Endpoint{Host: host, Port: p, Security: sec}
}

func TestRealServersEveryTLSCombination(t *testing.T) {
	srv, trust, user, pass := realServers(t)
	imaps := map[data.Security]string{data.SecuritySSL: srv.IMAPSAddr, data.SecurityStartTLS: srv.IMAPStartTLSAddr}
	smtps := map[data.Security]string{data.SecuritySSL: srv.SMTPSAddr, data.SecurityStartTLS: srv.SubmissionAddr}
	for is, ia := range imaps {
		for ss, sa := range smtps {
			t.Run(fmt.Sprintf("imap %s, smtp %s", is, ss), func(t *testing.T) {
				s := Settings{Login: user, Trust: trust, IMAP: ep(t, ia, is), SMTP: ep(t, sa, ss)}
				rec := &recorder{}
				if err := TestConnection(context.Background(), s, pass, rec.step); err != nil {
					t.Fatalf("%v\n%s", err, Explain(err))
				}
				if !strings.HasSuffix(rec.done(Incoming), "login folders") || !strings.HasSuffix(rec.done(Outgoing), "auth") {
					t.Errorf("steps %q / %q", rec.done(Incoming), rec.done(Outgoing))
				}
				if !strings.Contains(rec.text(), "INBOX") {
					t.Errorf("no INBOX among the folders:\n%s", rec.text())
				}
				if strings.Contains(rec.text(), pass) {
					t.Error("the password appears in the steps")
				}
			})
		}
	}
}

func TestRealServersWrongPassword(t *testing.T) {
	srv, trust, user, pass := realServers(t)
	s := Settings{Login: user, Trust: trust, IMAP: ep(t, srv.IMAPSAddr, data.SecuritySSL), SMTP: ep(t, srv.SubmissionAddr, data.SecurityStartTLS)}
	wrong := pass + "-wrong"
	err := TestConnection(context.Background(), s, wrong, nil)
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("err = %v, want ErrAuthFailed", err)
	}
	for _, side := range err.(interface{ Unwrap() []error }).Unwrap() {
		if !errors.Is(side, ErrAuthFailed) {
			t.Errorf("side %v is not ErrAuthFailed", side)
		}
	}
	msg := Explain(err)
	if strings.Count(msg, "did not accept the login or password") != 2 {
		t.Errorf("Explain = %q", msg)
	}
	if strings.Contains(err.Error()+msg, wrong) {
		t.Error("the password appears in the error")
	}
}

func TestRealServersUntrustedThenPinnedThenChanged(t *testing.T) {
	srv, _, user, pass := realServers(t)
	ctx := context.Background()
	s := Settings{Login: user, IMAP: ep(t, srv.IMAPSAddr, data.SecuritySSL), SMTP: ep(t, srv.SubmissionAddr, data.SecurityStartTLS)}

	// Roots without the test CA: the certificate is not trusted.
	s.Trust = &Trust{Roots: x509.NewCertPool()}
	err := TestConnection(ctx, s, pass, nil)
	var ue *UntrustedCertError
	if !errors.As(err, &ue) || !ue.Has(ReasonUnknownAuthority) || ue.Cert.Issuer == "" || ue.Cert.SHA256 == "" {
		t.Fatalf("err = %v, want an untrusted certificate", err)
	}
	// Both sides, each with its own pin.
	p := pins{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if !errors.As(e, &ue) {
			t.Fatalf("side %v is not an untrusted certificate", e)
		}
		pin := ue.Pin()
		p[fmt.Sprintf("%s:%d", pin.Host, pin.Port)] = pin.SHA256
	}
	s.Trust = &Trust{Roots: x509.NewCertPool(), Pins: p}
	if err := TestConnection(ctx, s, pass, nil); err != nil {
		t.Fatalf("pinned: %v", err)
	}

	// A throw-away server on 127.0.0.1 presents another certificate where Dovecot's is pinned.
	other := issue(t, nil, leafOpts{})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{other}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	fake := ep(t, ln.Addr().String(), data.SecuritySSL)
	p[fmt.Sprintf("127.0.0.1:%d", fake.Port)] = p[srv.IMAPSAddr]
	err = TestConnection(ctx, Settings{Login: user, IMAP: fake, Trust: &Trust{Roots: x509.NewCertPool(), Pins: p}}, pass, nil)
	var pe *PinMismatchError
	if !errors.As(err, &pe) || pe.Cert.SHA256 != fingerprint(other) {
		t.Fatalf("err = %v, want a pin mismatch", err)
	}
	if msg := Explain(err); !strings.Contains(msg, "may be intercepted") {
		t.Errorf("Explain = %q", msg)
	}
}

func TestRealServerWithoutTLSBeforeLogin(t *testing.T) {
	srv, trust, user, pass := realServers(t)
	// On 127.0.0.2 Dovecot acts as a remote server: LOGINDISABLED until STARTTLS.
	s := Settings{Login: user, Trust: trust, IMAP: ep(t, srv.IMAPPlainAddr, data.SecurityNone)}
	if err := TestConnection(context.Background(), s, pass, nil); !errors.Is(err, ErrLoginDisabled) {
		t.Fatalf("security none: err = %v, want ErrLoginDisabled", err)
	}
	s.IMAP.Security = data.SecurityStartTLS
	if err := TestConnection(context.Background(), s, pass, nil); err != nil {
		t.Fatalf("STARTTLS on the same port: %v", err)
	}
}

func TestRealSilentServerTimesOut(t *testing.T) {
	srv, trust, user, pass := realServers(t)
	if srv.SilentAddr == "" {
		t.Fatal("the test environment provides no silent server")
	}
	s := Settings{Login: user, Trust: trust, IMAP: ep(t, srv.SilentAddr, data.SecuritySSL),
		SMTP: ep(t, srv.SilentAddr, data.SecurityStartTLS), IMAPTimeout: 500 * time.Millisecond, SMTPTimeout: time.Second}
	start := time.Now()
	err := TestConnection(context.Background(), s, pass, nil)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	msg := Explain(err)
	if !strings.Contains(msg, "did not answer within 500ms") || !strings.Contains(msg, "did not answer within 1 second") {
		t.Errorf("Explain = %q", msg)
	}
}
