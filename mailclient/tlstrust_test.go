package mailclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"mailroom/data"
)

// pins is an in-memory PinSource.
type pins map[string]string

func (p pins) CertPin(_ context.Context, host string, port int) (*data.CertPin, error) {
	fp, ok := p[fmt.Sprintf("%s:%d", host, port)]
	if !ok {
		return nil, data.ErrNotFound
	}
	return &data.CertPin{Host: host, Port: port, SHA256: fp}, nil
}

// handshakeWith runs a real TLS handshake over loopback between a server presenting cert and
// a client configured by trust for host, and returns the client's error.
func handshakeWith(t *testing.T, trust *Trust, cert tls.Certificate, host string) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		s.SetDeadline(time.Now().Add(5 * time.Second))
		s.Handshake()
		s.Read(make([]byte, 1))
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	cfg, err := trust.Config(context.Background(), host, port)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), cfg)
	if err != nil {
		return err
	}
	c.Close()
	return nil
}

func TestTrustVerifiesCompletely(t *testing.T) {
	ca := newTestCA(t)
	otherCA := newTestCA(t)
	good := issue(t, ca, leafOpts{})
	expired := issue(t, ca, leafOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	future := issue(t, ca, leafOpts{notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour)})
	elsewhere := issue(t, ca, leafOpts{names: []string{"mail.example.org"}})
	self := issue(t, nil, leafOpts{})
	selfExpiredElsewhere := issue(t, nil, leafOpts{names: []string{"other.example"},
		notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})

	tests := []struct {
		name     string
		roots    *x509.CertPool
		cert     tls.Certificate
		host     string
		pin      string       // fingerprint pinned for the server, "" for none
		wantOK   bool         // handshake succeeds
		reasons  []CertReason // of the *UntrustedCertError
		mismatch bool         // a *PinMismatchError
	}{
		{"signed by a trusted CA", ca.pool, good, "localhost", "", true, nil, false},
		{"by IP address", ca.pool, good, "127.0.0.1", "", true, nil, false},
		{"unknown CA", otherCA.pool, good, "localhost", "", false, []CertReason{ReasonUnknownAuthority}, false},
		{"self-signed", ca.pool, self, "localhost", "", false, []CertReason{ReasonUnknownAuthority}, false},
		{"expired", ca.pool, expired, "localhost", "", false, []CertReason{ReasonExpired}, false},
		{"not yet valid", ca.pool, future, "localhost", "", false, []CertReason{ReasonNotYetValid}, false},
		{"wrong host name", ca.pool, elsewhere, "localhost", "", false, []CertReason{ReasonHostname}, false},
		{"every reason at once", ca.pool, selfExpiredElsewhere, "localhost", "", false,
			[]CertReason{ReasonExpired, ReasonHostname, ReasonUnknownAuthority}, false},
		{"self-signed and pinned", ca.pool, self, "localhost", fingerprint(self), true, nil, false},
		{"expired and pinned", ca.pool, expired, "localhost", fingerprint(expired), true, nil, false},
		{"pinned, now another untrusted one", ca.pool, issue(t, nil, leafOpts{}), "localhost", fingerprint(self), false, nil, true},
		{"pinned, now one that verifies", ca.pool, good, "localhost", fingerprint(self), true, nil, false},
		{"a pin does not rescue the wrong host", ca.pool, elsewhere, "localhost", fingerprint(self), false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trust := &Trust{Roots: tt.roots, Pins: anyPortPin(tt.pin)}
			err := handshakeWith(t, trust, tt.cert, tt.host)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("handshake failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("handshake succeeded; want a refusal")
			}
			var ue *UntrustedCertError
			var pe *PinMismatchError
			switch {
			case tt.mismatch:
				if !errors.As(err, &pe) || !errors.Is(err, ErrPinMismatch) {
					t.Fatalf("err = %v, want a *PinMismatchError", err)
				}
				if pe.Cert.SHA256 != fingerprint(tt.cert) || pe.Pinned != tt.pin || pe.Host != tt.host {
					t.Errorf("mismatch error %+v", pe)
				}
			default:
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want an *UntrustedCertError", err)
				}
				if !slices.Equal(ue.Reasons, tt.reasons) {
					t.Errorf("reasons %v, want %v", ue.Reasons, tt.reasons)
				}
				info := CertInfoOf(tt.cert.Leaf)
				if ue.Cert.SHA256 != info.SHA256 || ue.Cert.Subject != info.Subject || ue.Cert.Issuer == "" ||
					!ue.Cert.NotAfter.Equal(tt.cert.Leaf.NotAfter) || ue.Host != tt.host || ue.Port <= 0 {
					t.Errorf("untrusted error %+v", ue)
				}
				if p := ue.Pin(); p.SHA256 != info.SHA256 || p.Host != tt.host || p.Port != ue.Port {
					t.Errorf("Pin() = %+v", p)
				}
			}
		})
	}
}

// anyPortPin pins fp for every host and port; nil PinSource when fp is "".
func anyPortPin(fp string) PinSource {
	if fp == "" {
		return nil
	}
	return pinAll(fp)
}

type pinAll string

func (p pinAll) CertPin(_ context.Context, host string, port int) (*data.CertPin, error) {
	return &data.CertPin{Host: host, Port: port, SHA256: string(p)}, nil
}

func TestTrustSystemRootsByDefault(t *testing.T) {
	// A zero Trust uses the system roots, which do not hold a CA made a moment ago.
	ca := newTestCA(t)
	err := handshakeWith(t, &Trust{}, issue(t, ca, leafOpts{}), "localhost")
	var ue *UntrustedCertError
	if !errors.As(err, &ue) || !ue.Has(ReasonUnknownAuthority) {
		t.Fatalf("err = %v, want unknown authority", err)
	}
}

func TestTrustProposedFingerprint(t *testing.T) {
	self := issue(t, nil, leafOpts{})
	state := tls.ConnectionState{PeerCertificates: []*x509.Certificate{self.Leaf}}
	ctx := context.Background()
	if _, err := (&Trust{Proposed: []string{"nonsense"}}).Config(ctx, "localhost", 1); err == nil {
		t.Error("a malformed proposed fingerprint was accepted")
	}
	tests := []struct {
		name     string
		proposed []string
		pins     PinSource
		ok       bool
	}{
		{"none", nil, nil, false},
		{"another", []string{strings.Repeat("ab", 32)}, nil, false},
		{"as people paste it", []string{strings.Repeat("ab", 32), FormatFingerprint(fingerprint(self))}, nil, true},
		{"over a stale pin", []string{fingerprint(self)}, pinAll(strings.Repeat("cd", 32)), true},
	}
	for _, tt := range tests {
		cfg, err := (&Trust{Proposed: tt.proposed, Pins: tt.pins}).Config(ctx, "localhost", 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.VerifyConnection(state); (err == nil) != tt.ok {
			t.Errorf("%s: VerifyConnection = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestTrustPinLookupFailure(t *testing.T) {
	_, err := (&Trust{Pins: brokenPins{}}).Config(context.Background(), "localhost", 993)
	if err == nil {
		t.Fatal("Config ignored a failing pin lookup")
	}
}

type brokenPins struct{}

func (brokenPins) CertPin(context.Context, string, int) (*data.CertPin, error) {
	return nil, errors.New("disk I/O error")
}

func TestTrustNeverSkipsWithoutVerifyConnection(t *testing.T) {
	cfg, err := (&Trust{}).Config(context.Background(), "localhost", 993)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.VerifyConnection == nil || cfg.ServerName != "localhost" || cfg.MinVersion < tls.VersionTLS12 {
		t.Fatalf("config %+v", cfg)
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{}); err == nil {
		t.Error("a connection without certificates was accepted")
	}
}

func TestFormatFingerprint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ab", "AB"},
		{"0a1b2c", "0A:1B:2C"},
	}
	for _, tt := range tests {
		if got := FormatFingerprint(tt.in); got != tt.want {
			t.Errorf("FormatFingerprint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
