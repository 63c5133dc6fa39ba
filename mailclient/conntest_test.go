package mailclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mailroom/data"
)

// recorder collects the steps of a test.
type recorder struct {
	mu    sync.Mutex
	steps []Step
}

func (r *recorder) step(s Step) {
	r.mu.Lock()
	r.steps = append(r.steps, s)
	r.mu.Unlock()
}

// done returns the kinds of side's finished steps, in order, a failed one marked with "!".
func (r *recorder) done(side Side) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.steps {
		switch {
		case s.Side != side || s.Status == StepRunning:
		case s.Status == StepFailed:
			out = append(out, string(s.Kind)+"!")
		default:
			out = append(out, string(s.Kind))
		}
	}
	return strings.Join(out, " ")
}

// text returns every word the steps carry, to look for the password in.
func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, s := range r.steps {
		fmt.Fprintf(&b, "%s %s %s %v\n", s.Title, s.Detail, s.Err, s.Cert)
	}
	return b.String()
}

// assertNoPassword fails when testPass appears in any of texts.
func assertNoPassword(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, testPass) {
			t.Errorf("the password appears in %q", s)
		}
	}
}

func TestConnectionEveryCombination(t *testing.T) {
	ca := newTestCA(t)
	cert := issue(t, ca, leafOpts{})
	secs := []data.Security{data.SecuritySSL, data.SecurityStartTLS, data.SecurityNone}
	wantIMAP := map[data.Security]string{
		data.SecuritySSL:      "connect tls greeting capabilities login folders",
		data.SecurityStartTLS: "connect starttls tls capabilities login folders",
		data.SecurityNone:     "connect greeting capabilities login folders",
	}
	wantSMTP := map[data.Security]string{
		data.SecuritySSL:      "connect tls greeting ehlo auth",
		data.SecurityStartTLS: "connect greeting ehlo starttls tls auth",
		data.SecurityNone:     "connect greeting ehlo auth",
	}
	for _, is := range secs {
		for _, ss := range secs {
			t.Run(fmt.Sprintf("imap %s, smtp %s", is, ss), func(t *testing.T) {
				s := Settings{Login: testUser, Trust: &Trust{Roots: ca.pool},
					IMAP: startIMAP(t, is, cert, &syncBuffer{}),
					SMTP: startSMTP(t, &fakeSMTP{cert: cert, implicitTLS: ss == data.SecuritySSL, offerTLS: ss == data.SecurityStartTLS}, ss)}
				rec := &recorder{}
				if err := TestConnection(context.Background(), s, testPass, rec.step); err != nil {
					t.Fatalf("TestConnection: %v", err)
				}
				if got := rec.done(Incoming); got != wantIMAP[is] {
					t.Errorf("incoming steps %q, want %q", got, wantIMAP[is])
				}
				if got := rec.done(Outgoing); got != wantSMTP[ss] {
					t.Errorf("outgoing steps %q, want %q", got, wantSMTP[ss])
				}
				assertNoPassword(t, rec.text())
			})
		}
	}
}

func TestConnectionReportsDetails(t *testing.T) {
	ca := newTestCA(t)
	cert := issue(t, ca, leafOpts{})
	s := Settings{Login: testUser, Trust: &Trust{Roots: ca.pool}, IMAP: startIMAP(t, data.SecuritySSL, cert, &syncBuffer{})}
	rec := &recorder{}
	if err := TestConnection(context.Background(), s, testPass, rec.step); err != nil {
		t.Fatal(err)
	}
	var tlsStep, folders Step
	for _, st := range rec.steps {
		if st.Status == StepDone && st.Kind == StepTLS {
			tlsStep = st
		}
		if st.Status == StepDone && st.Kind == StepFolders {
			folders = st
		}
	}
	if tlsStep.Cert == nil || tlsStep.Cert.SHA256 != fingerprint(cert) || tlsStep.Pinned ||
		!strings.Contains(tlsStep.Detail, FormatFingerprint(fingerprint(cert))) || !strings.Contains(tlsStep.Detail, "Unit Test CA") {
		t.Errorf("TLS step %+v", tlsStep)
	}
	if folders.Detail != "3 folders: Drafts, INBOX, Sent" {
		t.Errorf("folders step says %q", folders.Detail)
	}
}

func TestConnectionWrongPassword(t *testing.T) {
	ca := newTestCA(t)
	cert := issue(t, ca, leafOpts{})
	s := Settings{Login: testUser, Trust: &Trust{Roots: ca.pool},
		IMAP: startIMAP(t, data.SecuritySSL, cert, &syncBuffer{}),
		SMTP: startSMTP(t, &fakeSMTP{cert: cert, implicitTLS: true}, data.SecuritySSL)}
	rec := &recorder{}
	err := TestConnection(context.Background(), s, "wrong-"+testPass, rec.step)
	var se *SideError
	if !errors.Is(err, ErrAuthFailed) || !errors.As(err, &se) {
		t.Fatalf("err = %v, want ErrAuthFailed", err)
	}
	if rec.done(Incoming) != "connect tls greeting capabilities login!" || rec.done(Outgoing) != "connect tls greeting ehlo auth!" {
		t.Errorf("steps %q / %q", rec.done(Incoming), rec.done(Outgoing))
	}
	msg := Explain(err)
	for _, want := range []string{"Incoming mail (IMAP)", "Outgoing mail (SMTP)", "did not accept the login or password"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Explain = %q, lacks %q", msg, want)
		}
	}
	assertNoPassword(t, err.Error(), msg, rec.text())
	if strings.Contains(err.Error()+msg+rec.text(), "wrong-") {
		t.Error("the tried password appears in the error or steps")
	}
}

func TestConnectionRefusesMissingSTARTTLS(t *testing.T) {
	cert := issue(t, nil, leafOpts{})
	imapWire := &syncBuffer{}
	smtp := &fakeSMTP{cert: cert}
	// A plain IMAP server: no STARTTLS, and LOGINDISABLED as a server should say then.
	s := Settings{Login: testUser, IMAP: startIMAP(t, "plain", cert, imapWire), SMTP: startSMTP(t, smtp, data.SecurityStartTLS)}
	s.IMAP.Security = data.SecurityStartTLS
	err := TestConnection(context.Background(), s, testPass, nil)
	var side *SideError
	if !errors.As(err, &side) || !errors.Is(err, ErrStartTLSNotOffered) {
		t.Fatalf("err = %v, want ErrStartTLSNotOffered", err)
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if !errors.Is(e, ErrStartTLSNotOffered) {
			t.Errorf("side error %v is not ErrStartTLSNotOffered", e)
		}
	}
	if smtp.sawClearAuth() || strings.Contains(smtp.wire.String(), "AUTH") {
		t.Errorf("the SMTP server got AUTH: %q", smtp.wire.String())
	}
	if strings.Contains(imapWire.String(), " LOGIN ") || strings.Contains(imapWire.String(), testPass) {
		t.Errorf("the IMAP server got LOGIN: %q", imapWire.String())
	}
	if msg := Explain(err); !strings.Contains(msg, "does not offer STARTTLS, so Mailroom did not send your password") {
		t.Errorf("Explain = %q", msg)
	}
}

func TestConnectionPlainIMAPWithLoginDisabled(t *testing.T) {
	// Security "none" against a server that refuses passwords in clear: no LOGIN is sent.
	cert := issue(t, nil, leafOpts{})
	wire := &syncBuffer{}
	s := Settings{Login: testUser, IMAP: startIMAP(t, "plain", cert, wire)}
	s.IMAP.Security = data.SecurityNone
	err := TestConnection(context.Background(), s, testPass, nil)
	if !errors.Is(err, ErrLoginDisabled) {
		t.Fatalf("err = %v, want ErrLoginDisabled", err)
	}
	if strings.Contains(wire.String(), " LOGIN ") || strings.Contains(wire.String(), testPass) {
		t.Errorf("LOGIN was sent: %q", wire.String())
	}
}

func TestConnectionCertificateTrust(t *testing.T) {
	self := issue(t, nil, leafOpts{})
	s := Settings{Login: testUser, IMAP: startIMAP(t, data.SecuritySSL, self, &syncBuffer{}),
		SMTP: startSMTP(t, &fakeSMTP{cert: self, offerTLS: true}, data.SecurityStartTLS)}
	ctx := context.Background()

	// Not trusted: both sides stop at TLS with the certificate's details.
	err := TestConnection(ctx, s, testPass, nil)
	var ue *UntrustedCertError
	if !errors.As(err, &ue) || !ue.Has(ReasonUnknownAuthority) || ue.Cert.SHA256 != fingerprint(self) {
		t.Fatalf("err = %v, want an untrusted certificate", err)
	}
	for _, side := range err.(interface{ Unwrap() []error }).Unwrap() {
		if !errors.As(side, &ue) {
			t.Errorf("side %v is not an untrusted certificate", side)
		}
	}
	if msg := Explain(err); !strings.Contains(msg, "not trusted") || !strings.Contains(msg, FormatFingerprint(fingerprint(self))) {
		t.Errorf("Explain = %q", msg)
	}

	// Pinned: accepted, and the TLS steps say so.
	p := pins{fmt.Sprintf("127.0.0.1:%d", s.IMAP.Port): fingerprint(self), fmt.Sprintf("127.0.0.1:%d", s.SMTP.Port): fingerprint(self)}
	s.Trust = &Trust{Pins: p}
	rec := &recorder{}
	if err := TestConnection(ctx, s, testPass, rec.step); err != nil {
		t.Fatalf("pinned: %v", err)
	}
	for _, st := range rec.steps {
		if st.Kind == StepTLS && st.Status == StepDone && !st.Pinned {
			t.Errorf("TLS step not marked pinned: %+v", st)
		}
	}

	// Another certificate on a pinned host: refused as a possible interception.
	other := issue(t, nil, leafOpts{})
	s2 := Settings{Login: testUser, IMAP: startIMAP(t, data.SecuritySSL, other, &syncBuffer{})}
	s2.Trust = &Trust{Pins: pins{fmt.Sprintf("127.0.0.1:%d", s2.IMAP.Port): fingerprint(self)}}
	err = TestConnection(ctx, s2, testPass, nil)
	if !errors.Is(err, ErrPinMismatch) {
		t.Fatalf("err = %v, want ErrPinMismatch", err)
	}
	if msg := Explain(err); !strings.Contains(msg, "may be intercepted") {
		t.Errorf("Explain = %q", msg)
	}
}

func TestConnectionSilentServerTimesOut(t *testing.T) {
	silent := startSilent(t)
	tests := []struct {
		name string
		s    Settings
	}{
		{"imap ssl", Settings{IMAP: &Endpoint{Host: "127.0.0.1", Port: silent.Port, Security: data.SecuritySSL}}},
		{"imap starttls", Settings{IMAP: &Endpoint{Host: "127.0.0.1", Port: silent.Port, Security: data.SecurityStartTLS}}},
		{"imap none", Settings{IMAP: &Endpoint{Host: "127.0.0.1", Port: silent.Port, Security: data.SecurityNone}}},
		{"smtp ssl", Settings{SMTP: &Endpoint{Host: "127.0.0.1", Port: silent.Port, Security: data.SecuritySSL}}},
		{"smtp starttls", Settings{SMTP: &Endpoint{Host: "127.0.0.1", Port: silent.Port, Security: data.SecurityStartTLS}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.Login, tt.s.IMAPTimeout, tt.s.SMTPTimeout = testUser, 300*time.Millisecond, 300*time.Millisecond
			start := time.Now()
			err := TestConnection(context.Background(), tt.s, testPass, nil)
			var te *TimeoutError
			if !errors.As(err, &te) || te.After != 300*time.Millisecond {
				t.Fatalf("err = %v, want a *TimeoutError", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %s with a 300ms timeout", d)
			}
			if msg := Explain(err); !strings.Contains(msg, "did not answer within 300ms") {
				t.Errorf("Explain = %q", msg)
			}
		})
	}
}

func TestConnectionCancel(t *testing.T) {
	silent := startSilent(t)
	s := Settings{Login: testUser, IMAP: silent, SMTP: &Endpoint{Host: "127.0.0.1", Port: silent.Port, Security: data.SecuritySSL}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := TestConnection(ctx, s, testPass, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %s", d)
	}
	if msg := Explain(err); !strings.Contains(msg, "cancelled") {
		t.Errorf("Explain = %q", msg)
	}
}

func TestConnectionRefusedAndUnknownHost(t *testing.T) {
	s := Settings{Login: testUser, IMAP: closedPort(t)}
	err := TestConnection(context.Background(), s, testPass, nil)
	if msg := Explain(err); !strings.Contains(msg, "refused the connection") {
		t.Errorf("closed port: Explain(%v) = %q", err, msg)
	}
	s = Settings{Login: testUser, SMTP: &Endpoint{Host: "no-such-host.invalid", Port: 465, Security: data.SecuritySSL}, SMTPTimeout: 5 * time.Second}
	err = TestConnection(context.Background(), s, testPass, nil)
	if msg := Explain(err); !strings.Contains(msg, "no-such-host.invalid") {
		t.Errorf("unknown host: Explain(%v) = %q", err, msg)
	}
}

func TestConnectionNotTLS(t *testing.T) {
	// SSL configured, but the port speaks plain IMAP.
	cert := issue(t, nil, leafOpts{})
	s := Settings{Login: testUser, IMAP: startIMAP(t, data.SecurityNone, cert, &syncBuffer{}), IMAPTimeout: 2 * time.Second}
	s.IMAP.Security = data.SecuritySSL
	err := TestConnection(context.Background(), s, testPass, nil)
	if !errors.Is(err, ErrNotTLS) {
		t.Fatalf("err = %v, want ErrNotTLS", err)
	}
}

func TestConnectionNothingToTest(t *testing.T) {
	if err := TestConnection(context.Background(), Settings{}, testPass, nil); !errors.Is(err, ErrNothingToTest) {
		t.Errorf("err = %v", err)
	}
}

func TestSettingsFor(t *testing.T) {
	p := data.NewProvider()
	p.IMAP.Host, p.SMTP.Host, p.SMTPTimeout = "imap.example.net", "smtp.example.net", 12
	p.SMTPEnabled = false
	s := SettingsFor(p, "ann", nil)
	if s.IMAP == nil || s.IMAP.Host != "imap.example.net" || s.IMAP.Port != 993 || s.SMTP != nil ||
		s.SMTPTimeout != 12*time.Second || s.Login != "ann" {
		t.Errorf("SettingsFor = %+v", s)
	}
}
