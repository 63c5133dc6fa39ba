// Package mailclient talks to mail servers: connection tests, IMAP, SMTP and the trust placed
// in their TLS certificates. It never imports Fyne; progress leaves as plain callbacks.
package mailclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mailroom/data"
)

// PinSource looks up the certificate a person decided to trust for a server. *data.Store
// implements it.
type PinSource interface {
	// CertPin returns the pin of host and port, or an error wrapping data.ErrNotFound when
	// there is none.
	CertPin(ctx context.Context, host string, port int) (*data.CertPin, error)
}

// Trust decides which server certificates Mailroom accepts: those that verify against Roots
// (chain, host name, validity), and those whose SHA-256 fingerprint a person pinned for that
// host and port. Nothing else is ever accepted. The zero value uses the system roots (which
// honour SSL_CERT_FILE and SSL_CERT_DIR) and no pins.
type Trust struct {
	Roots *x509.CertPool   // nil for the system's
	Pins  PinSource        // nil for none
	Now   func() time.Time // nil for time.Now; tests move the clock
	// Proposed lists fingerprints a person has just confirmed for the servers this Trust is
	// used with (one mailbox's), before they are saved as pins: a certificate with one of
	// them is accepted like a pinned one, whatever Pins says. Any form NormalizeFingerprint
	// takes is accepted.
	Proposed []string
}

// ErrPinMismatch is wrapped by *PinMismatchError: a server presented a certificate other than
// the one a person pinned for it.
var ErrPinMismatch = errors.New("certificate differs from the pinned one")

// CertReason is one reason a certificate failed verification.
type CertReason string

// The reasons a certificate fails verification.
const (
	ReasonUnknownAuthority CertReason = "unknown authority" // self-signed, or signed by a CA the system does not trust
	ReasonExpired          CertReason = "expired"
	ReasonNotYetValid      CertReason = "not yet valid"
	ReasonHostname         CertReason = "wrong host name" // issued for other names
	ReasonOther            CertReason = "invalid"         // a broken chain, a certificate not meant for servers, ...
)

// CertInfo describes a server certificate for people deciding whether to trust it.
type CertInfo struct {
	Subject   string
	Issuer    string
	Names     []string // the DNS names and IP addresses it is valid for
	NotBefore time.Time
	NotAfter  time.Time
	SHA256    string // fingerprint of the DER certificate: 64 lowercase hex digits
}

// CertInfoOf returns the description of c.
func CertInfoOf(c *x509.Certificate) CertInfo {
	sum := sha256.Sum256(c.Raw)
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return CertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Names: names,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, SHA256: hex.EncodeToString(sum[:])}
}

// Pin returns the pin that trusts the certificate c describes, with its subject, issuer and
// validity, for the host and port the caller sets.
func (c CertInfo) Pin() *data.CertPin {
	return &data.CertPin{SHA256: c.SHA256, Subject: c.Subject, Issuer: c.Issuer, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
}

// FormatFingerprint returns a hex fingerprint as people compare it: uppercase pairs
// separated by colons.
func FormatFingerprint(hexFP string) string {
	var b strings.Builder
	for i := 0; i+1 < len(hexFP); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(hexFP[i : i+2]))
	}
	return b.String()
}

// UntrustedCertError is returned when a server's certificate fails verification and no pin
// trusts it. Pin returns what to record if the person decides to trust it anyway.
type UntrustedCertError struct {
	Host    string
	Port    int
	Cert    CertInfo
	Reasons []CertReason // at least one
	Err     error        // the verifier's own error, for the log
}

func (e *UntrustedCertError) Error() string {
	return fmt.Sprintf("untrusted certificate of %s:%d (%s), sha256 %s: %v", e.Host, e.Port, joinReasons(e.Reasons), e.Cert.SHA256, e.Err)
}

// Unwrap returns the verifier's error.
func (e *UntrustedCertError) Unwrap() error { return e.Err }

// Has reports whether r is among the reasons the certificate failed.
func (e *UntrustedCertError) Has(r CertReason) bool {
	for _, x := range e.Reasons {
		if x == r {
			return true
		}
	}
	return false
}

// Pin returns the pin that trusts this certificate for its host and port, to be saved with
// data.Store.SaveCertPin once the person has compared the fingerprint.
func (e *UntrustedCertError) Pin() *data.CertPin {
	p := e.Cert.Pin()
	p.Host, p.Port = e.Host, e.Port
	return p
}

// PinMismatchError is returned when a server whose certificate was pinned presents another
// one that does not verify either: the connection may be intercepted. It wraps ErrPinMismatch.
type PinMismatchError struct {
	Host   string
	Port   int
	Pinned string // the pinned fingerprint
	Cert   CertInfo
	// PinnedSubject, PinnedIssuer, PinnedNotBefore, PinnedNotAfter, PinnedBy and PinnedAt
	// tell, beside the new certificate, what the person trusted before and when; "" and zero
	// when the pin came from a Trust without a store, or was saved before Mailroom kept them.
	PinnedSubject   string
	PinnedIssuer    string
	PinnedNotBefore time.Time
	PinnedNotAfter  time.Time
	PinnedBy        string
	PinnedAt        time.Time
}

func (e *PinMismatchError) Error() string {
	return fmt.Sprintf("certificate of %s:%d has sha256 %s, pinned %s: %v", e.Host, e.Port, e.Cert.SHA256, e.Pinned, ErrPinMismatch)
}

// Unwrap returns ErrPinMismatch.
func (e *PinMismatchError) Unwrap() error { return ErrPinMismatch }

func joinReasons(rs []CertReason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// Config returns the TLS configuration for connecting to host on port. It looks the pin up
// first, so the handshake itself never waits for the database; it fails only when the pin
// cannot be read.
//
// Go's own verification cannot accept a pinned certificate, so the configuration sets
// InsecureSkipVerify and does the complete verification itself in VerifyConnection: the chain
// to the roots (with the intermediates the server sent), the host name, the validity period
// and the server-auth key usage, exactly as crypto/tls would. The handshake still proves the
// server holds the certificate's private key. A certificate failing that is accepted only
// when its fingerprint equals the pin.
func (t *Trust) Config(ctx context.Context, host string, port int) (*tls.Config, error) {
	return t.config(ctx, host, port, nil)
}

// handshake is what a connection test learns of a TLS handshake.
type handshake struct {
	state  tls.ConnectionState
	pinned bool // accepted by its pin, not by the roots
	done   bool
}

// config is Config, also recording the handshake in seen when it is not nil.
func (t *Trust) config(ctx context.Context, host string, port int, seen *handshake) (*tls.Config, error) {
	pin, err := t.pin(ctx, host, port)
	if err != nil {
		return nil, err
	}
	proposed, err := t.proposed()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		ServerName:         host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verification is done, completely, by VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			pinned, err := t.verify(cs.PeerCertificates, host, port, pin, proposed)
			if seen != nil {
				*seen = handshake{state: cs, pinned: pinned, done: err == nil}
			}
			return err
		},
	}, nil
}

// pin returns the pin of host:port, nil when none.
func (t *Trust) pin(ctx context.Context, host string, port int) (*data.CertPin, error) {
	if t.Pins == nil {
		return nil, nil
	}
	p, err := t.Pins.CertPin(ctx, host, port)
	if errors.Is(err, data.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read certificate pin of %s:%d: %w", host, port, err)
	}
	return p, nil
}

// proposed returns the Proposed fingerprints in stored form.
func (t *Trust) proposed() ([]string, error) {
	out := make([]string, 0, len(t.Proposed))
	for _, fp := range t.Proposed {
		n, err := data.NormalizeFingerprint(fp)
		if err != nil {
			return nil, fmt.Errorf("proposed fingerprint %q: %w", fp, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func (t *Trust) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// verify accepts certs, the server's chain leaf first, when it verifies for host, or when the
// leaf's fingerprint is pin or one of proposed (then pinned is true). A certificate that
// verifies is accepted even when a pin exists: the pin was only ever needed for one that does not.
func (t *Trust) verify(certs []*x509.Certificate, host string, port int, pin *data.CertPin, proposed []string) (pinned bool, err error) {
	if len(certs) == 0 {
		return false, fmt.Errorf("%s:%d sent no certificate", host, port)
	}
	leaf := certs[0]
	_, verr := leaf.Verify(t.options(certs, host, t.now()))
	if verr == nil {
		return false, nil
	}
	info := CertInfoOf(leaf)
	switch {
	case slices.Contains(proposed, info.SHA256):
		return true, nil
	case pin == nil:
		return false, &UntrustedCertError{Host: host, Port: port, Cert: info, Reasons: t.reasons(certs, host), Err: verr}
	case info.SHA256 != pin.SHA256:
		return false, &PinMismatchError{Host: host, Port: port, Pinned: pin.SHA256, Cert: info,
			PinnedSubject: pin.Subject, PinnedIssuer: pin.Issuer, PinnedNotBefore: pin.NotBefore, PinnedNotAfter: pin.NotAfter,
			PinnedBy: pin.DecidedBy, PinnedAt: pin.DecidedAt}
	}
	return true, nil
}

func (t *Trust) options(certs []*x509.Certificate, host string, at time.Time) x509.VerifyOptions {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	return x509.VerifyOptions{Roots: t.Roots, Intermediates: inter, DNSName: host, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

// reasons lists every way certs fail for host, not only the first one x509 reports, so a
// person sees "self-signed and expired" at once.
func (t *Trust) reasons(certs []*x509.Certificate, host string) []CertReason {
	leaf, now := certs[0], t.now()
	var rs []CertReason
	switch {
	case now.After(leaf.NotAfter):
		rs = append(rs, ReasonExpired)
	case now.Before(leaf.NotBefore):
		rs = append(rs, ReasonNotYetValid)
	}
	if leaf.VerifyHostname(host) != nil {
		rs = append(rs, ReasonHostname)
	}
	if r := t.chainReason(certs, now); r != "" && (r != ReasonOther || len(rs) == 0) {
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		rs = append(rs, ReasonOther)
	}
	return rs
}

// chainReason checks the chain alone, without the host name, now and at the middle of the
// leaf's validity (an expired leaf must not hide an unknown authority). It returns "" when the
// chain verifies at either moment.
func (t *Trust) chainReason(certs []*x509.Certificate, now time.Time) CertReason {
	leaf := certs[0]
	for _, at := range []time.Time{now, leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)} {
		_, err := leaf.Verify(t.options(certs, "", at))
		var ua x509.UnknownAuthorityError
		switch {
		case err == nil:
			return ""
		case errors.As(err, &ua):
			return ReasonUnknownAuthority
		}
	}
	return ReasonOther
}
