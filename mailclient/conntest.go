package mailclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"mailroom/data"
)

// Default timeouts for every dial, read and write of a connection test.
const (
	DefaultIMAPTimeout = 30 * time.Second
	DefaultSMTPTimeout = data.DefaultTimeout * time.Second
)

// Side is one half of a mailbox's connection.
type Side string

// The sides of a connection test.
const (
	Incoming Side = "incoming" // IMAP
	Outgoing Side = "outgoing" // SMTP
)

// Title returns the words people see for s.
func (s Side) Title() string {
	if s == Incoming {
		return "Incoming mail (IMAP)"
	}
	return "Outgoing mail (SMTP)"
}

// StepKind names a step of a connection test.
type StepKind string

// The steps of a connection test, in the order they run on each side.
const (
	StepLookup       StepKind = "lookup"       // DNS
	StepConnect      StepKind = "connect"      // TCP
	StepTLS          StepKind = "tls"          // handshake, certificate
	StepGreeting     StepKind = "greeting"     // the server's first words
	StepStartTLS     StepKind = "starttls"     // switching a plain connection to TLS
	StepCapabilities StepKind = "capabilities" // IMAP CAPABILITY
	StepLogin        StepKind = "login"        // IMAP LOGIN
	StepFolders      StepKind = "folders"      // IMAP LIST
	StepEHLO         StepKind = "ehlo"         // SMTP EHLO
	StepAuth         StepKind = "auth"         // SMTP AUTH; no mail is sent
)

// StepStatus says where a step is.
type StepStatus string

// The states of a step: each step is reported Running, then Done or Failed.
const (
	StepRunning StepStatus = "running"
	StepDone    StepStatus = "done"
	StepFailed  StepStatus = "failed"
)

// Step is one report of a connection test's progress.
type Step struct {
	Side    Side
	Kind    StepKind
	Status  StepStatus
	Title   string        // what is being done, in plain words
	Detail  string        // the result in plain words, when Done
	Cert    *CertInfo     // the server's certificate, for a Done StepTLS
	Pinned  bool          // the certificate was accepted by its pin, for a Done StepTLS
	Err     error         // why it failed, when Failed; Explain turns it into a sentence
	Elapsed time.Duration // when Done or Failed
}

// Endpoint is one server of a connection test.
type Endpoint struct {
	Host     string
	Port     int
	Security data.Security
}

func (e Endpoint) address() string { return data.Server{Host: e.Host, Port: e.Port}.Address() }

// Settings is what a connection test needs besides the password.
type Settings struct {
	Login       string
	IMAP        *Endpoint     // nil: incoming mail is not tested
	SMTP        *Endpoint     // nil: outgoing mail is not tested
	IMAPTimeout time.Duration // each dial, read and write; 0 for DefaultIMAPTimeout
	SMTPTimeout time.Duration // each dial, read and write; 0 for DefaultSMTPTimeout
	Trust       *Trust        // nil for the system roots without pins
	LocalName   string        // the name given in EHLO; "" for "localhost"
	// IMAPAuth and SMTPAuth say how each side signs in; with data.AuthOAuth2 the secret
	// passed with the settings is an access token. "" is data.AuthPassword.
	IMAPAuth, SMTPAuth data.AuthMethod
}

// SettingsFor returns the settings of a mailbox with login at provider p: the servers p
// enables, and p's send-server timeout.
func SettingsFor(p *data.Provider, login string, trust *Trust) Settings {
	s := Settings{Login: login, Trust: trust, SMTPTimeout: time.Duration(p.SMTPTimeout) * time.Second,
		IMAPAuth: p.IMAPAuth, SMTPAuth: p.SMTPAuth}
	if p.IMAPEnabled {
		s.IMAP = &Endpoint{Host: p.IMAP.Host, Port: p.IMAP.Port, Security: p.IMAP.Security}
	}
	if p.SMTPEnabled {
		s.SMTP = &Endpoint{Host: p.SMTP.Host, Port: p.SMTP.Port, Security: p.SMTP.Security}
	}
	return s
}

// Errors of a connection test; Explain turns each into a sentence.
var (
	// ErrAuthFailed: the server refused the login or password (IMAP NO or AUTHENTICATIONFAILED
	// on LOGIN, SMTP 535).
	ErrAuthFailed = errors.New("login or password refused")
	// ErrStartTLSNotOffered: STARTTLS is configured but the server does not offer it; the
	// password was not sent.
	ErrStartTLSNotOffered = errors.New("server does not offer STARTTLS")
	// ErrLoginDisabled: the server does not accept a password over this connection.
	ErrLoginDisabled = errors.New("server disabled login on this connection")
	// ErrNotTLS: the server did not answer the TLS handshake with TLS.
	ErrNotTLS = errors.New("server does not speak TLS here")
	// ErrNoAuthMechanism: the SMTP server offers no sign-in method Mailroom can use.
	ErrNoAuthMechanism = errors.New("no supported AUTH mechanism")
	// ErrProtocol: the server does not speak the expected protocol on this port.
	ErrProtocol = errors.New("unexpected answer from server")
	// ErrNothingToTest: the settings enable neither IMAP nor SMTP.
	ErrNothingToTest = errors.New("neither incoming nor outgoing mail is enabled")
)

// SideError is a failure of one side of a connection test.
type SideError struct {
	Side Side
	Addr string // host:port
	Err  error
}

func (e *SideError) Error() string { return fmt.Sprintf("%s %s: %v", e.Side, e.Addr, e.Err) }

// Unwrap returns the cause.
func (e *SideError) Unwrap() error { return e.Err }

// ServerError is a refusal by the server, quoting its words.
type ServerError struct {
	Command string // what was refused, e.g. "LOGIN" or "EHLO"
	Code    int    // the SMTP reply code; 0 for IMAP
	Text    string // the server's text
}

func (e *ServerError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%s refused: %d %s", e.Command, e.Code, e.Text)
	}
	return fmt.Sprintf("%s refused: %s", e.Command, e.Text)
}

// TimeoutError is a step that got no answer in time.
type TimeoutError struct {
	Op    string        // the step's title
	After time.Duration // the timeout
	Err   error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: no answer within %s: %v", e.Op, e.After, e.Err)
}

// Unwrap returns the cause.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Timeout reports true, so TimeoutError is a net.Error timeout like the ones it replaces.
func (e *TimeoutError) Timeout() bool { return true }

// TestConnection checks the settings of a mailbox the way Mailroom will use them: the
// incoming (IMAP: look-up, connect, TLS, capabilities, login, folder list) and outgoing
// (SMTP: look-up, connect, TLS, greeting, EHLO, STARTTLS, AUTH; no mail is sent) servers side
// by side. step, when not nil, receives each step as it starts and ends; its calls never
// overlap, and it must not block for long. The password is sent only over TLS, or in clear
// only when the endpoint's security is data.SecurityNone. Cancelling ctx closes the
// connections at once.
//
// It returns nil when every tested side passed, else the failed sides' *SideError joined
// (errors.Join). Explain says what went wrong in plain words.
func TestConnection(ctx context.Context, s Settings, password string, step func(Step)) error {
	if s.IMAP == nil && s.SMTP == nil {
		return ErrNothingToTest
	}
	if s.Trust == nil {
		s.Trust = &Trust{}
	}
	var mu sync.Mutex
	emit := func(st Step) {
		if step != nil {
			mu.Lock()
			defer mu.Unlock()
			step(st)
		}
	}
	var wg sync.WaitGroup
	var imapErr, smtpErr error
	if s.IMAP != nil {
		wg.Go(func() { imapErr = sideErr(Incoming, *s.IMAP, testIMAP(ctx, s, password, emit)) })
	}
	if s.SMTP != nil {
		wg.Go(func() { smtpErr = sideErr(Outgoing, *s.SMTP, testSMTP(ctx, s, password, emit)) })
	}
	wg.Wait()
	return errors.Join(imapErr, smtpErr)
}

func sideErr(side Side, e Endpoint, err error) error {
	if err == nil {
		return nil
	}
	return &SideError{Side: side, Addr: e.address(), Err: err}
}

// stepper runs the steps of one side and reports them.
type stepper struct {
	ctx     context.Context
	side    Side
	emit    func(Step)
	timeout time.Duration
	conn    *deadlineConn // once connected
	guard   *wireGuard    // once the IMAP client reads through it
}

// run reports a step titled title, runs fn and reports its outcome; a failure is classified
// first (cancelled, timed out) and returned.
func (r *stepper) run(kind StepKind, title string, fn func(st *Step) error) error {
	start := time.Now()
	r.emit(Step{Side: r.side, Kind: kind, Status: StepRunning, Title: title})
	st := Step{Side: r.side, Kind: kind, Status: StepDone, Title: title}
	err := r.classify(title, fn(&st))
	st.Elapsed = time.Since(start)
	if err != nil {
		st.Status, st.Err, st.Detail, st.Cert = StepFailed, err, "", nil
	}
	r.emit(st)
	return err
}

func (r *stepper) classify(title string, err error) error {
	switch {
	case err == nil:
		return nil
	case r.ctx.Err() != nil:
		return fmt.Errorf("%s: %w", strings.ToLower(title), r.ctx.Err())
	case r.conn != nil && (r.conn.timedOut() || r.conn.fault.Load() != nil):
		return r.conn.why(title, err)
	}
	return err
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
