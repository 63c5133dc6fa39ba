package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wneessen/go-mail/smtp"

	"mailroom/data"
)

// Errors of sending; Explain turns each into a sentence.
var (
	// ErrOutcomeUnknown: the connection failed after the whole message was sent but before
	// the server said whether it took it. It may have: sending again could deliver it twice.
	ErrOutcomeUnknown = errors.New("server did not confirm the message")
	// ErrNoSentFolder: the IMAP server has no folder marked \Sent nor one named like it.
	ErrNoSentFolder = errors.New("no Sent folder")
)

// SizeError is a message larger than the server accepts (its SIZE limit).
type SizeError struct {
	Size    int64  // the message's bytes, encoded
	Limit   int64  // the server's limit
	Largest string // the largest attachment's path; "" without attachments
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("message of %d bytes exceeds the server's limit of %d", e.Size, e.Limit)
}

func (e *SizeError) sentence() string {
	s := fmt.Sprintf("The message is %s with its attachments (encoded), but the server accepts at most %s.",
		megabytes(e.Size), megabytes(e.Limit))
	if e.Largest != "" {
		s += fmt.Sprintf(" Remove or shrink the largest attachment, “%s”, or share it through a link.", filepath.Base(e.Largest))
	}
	return s
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// RecipientError is a recipient the server refused.
type RecipientError struct {
	Addr string
	Err  *ServerError
}

func (e *RecipientError) Error() string { return fmt.Sprintf("recipient %s: %v", e.Addr, e.Err) }

// Unwrap returns the server's refusal.
func (e *RecipientError) Unwrap() error { return e.Err }

// Temporary reports whether sending again later may succeed without anyone changing
// anything: the network or the server was away (refused, timed out, unreachable) or the
// server answered 4xx. A 5xx, a certificate to decide on, a refused password, a message too
// large, an unreadable attachment and an unknown outcome are not temporary. A sign-in to do
// again (or a refused access token, refreshed at the next try) is: the outbox waits for it.
func Temporary(err error) bool {
	var (
		se *ServerError
		ue *UntrustedCertError
		pe *PinMismatchError
		sz *SizeError
		ae *AttachmentError
	)
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrSignInAgain), errors.Is(err, ErrTokenRefused):
		return true // the outbox waits until the person has signed in again
	case errors.Is(err, ErrOutcomeUnknown), errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &sz),
		errors.As(err, &ae), errors.Is(err, ErrAuthFailed), errors.Is(err, ErrStartTLSNotOffered),
		errors.Is(err, ErrNotTLS), errors.Is(err, ErrNoAuthMechanism), errors.Is(err, ErrLoginDisabled),
		errors.Is(err, ErrNoPassword), errors.Is(err, ErrProtocol), errors.Is(err, ErrSnapshotMissing),
		errors.Is(err, ErrNoClientID):
		return false
	case errors.As(err, &se):
		return se.Code >= 400 && se.Code < 500
	}
	return true // network, DNS, timeouts, cancellation: nothing reached the server for good
}

// SendSettings is how a message is sent and its Sent copy kept.
type SendSettings struct {
	Settings
	// SaveCopy appends a copy to the Sent folder over IMAP after the server accepted the
	// message (Settings.IMAP must be set); off when the provider's server saves sent messages.
	SaveCopy bool
	// Progress, when not nil, is told how many bytes of the message were handed to the
	// server, of total; calls never overlap and must not block for long.
	Progress func(sent, total int64)
	// DataEnding, when not nil, is called once the whole message is written, just before the
	// final dot that makes the server take it: up to there a broken connection leaves nothing
	// delivered, after it the server may have the message. An error from it abandons the
	// message without the dot (nothing is delivered) and is returned.
	DataEnding func() error
}

// SendSettingsFor returns the settings of sending from a mailbox with login at provider p.
func SendSettingsFor(p *data.Provider, login string, trust *Trust) SendSettings {
	s := SettingsFor(p, login, trust)
	s.SMTP = &Endpoint{Host: p.SMTP.Host, Port: p.SMTP.Port, Security: p.SMTP.Security}
	return SendSettings{Settings: s, SaveCopy: !p.ServerSavesSent && s.IMAP != nil}
}

// Send hands m (a *Message, or a snapshot of one), of size bytes (MessageSize), to the SMTP server for the envelope of o: the
// connection is encrypted as the settings say (STARTTLS is required, never skipped), signs
// in with password, checks size against the server's SIZE limit before any MAIL, and
// names each refused recipient. Every read and write has the settings' timeout; cancelling
// ctx closes the connection. A failure is classified by Temporary and explained by Explain.
func Send(ctx context.Context, s SendSettings, password string, o *OutMessage, m io.WriterTo, size int64) error {
	if s.SMTP == nil {
		return fmt.Errorf("send: %w", ErrNothingToTest)
	}
	if s.Trust == nil {
		s.Trust = &Trust{}
	}
	r := &stepper{ctx: ctx, side: Outgoing, emit: func(Step) {}, timeout: orDefault(s.SMTPTimeout, DefaultSMTPTimeout)}
	c, done, err := r.smtpSession(s.Settings, password)
	if err != nil {
		return err
	}
	defer done()
	if err := checkSize(c, o, size); err != nil {
		c.Quit()
		return err
	}
	if err := r.envelope(c, o); err != nil {
		return err
	}
	err = r.run(StepKind("data"), "Send the message", func(*Step) error { return r.data(c, m, size, s) })
	if err != nil {
		return err
	}
	c.Quit() // the message is accepted whatever QUIT answers
	return nil
}

// smtpSession connects, encrypts and signs in as the conntest steps do; done closes it all.
func (r *stepper) smtpSession(s Settings, password string) (*smtp.Client, func(), error) {
	e := *s.SMTP
	conn, stop, err := r.dial(e)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*smtp.Client, func(), error) { stop(); conn.Close(); return nil, nil, err }
	var nc net.Conn = conn
	if e.Security == data.SecuritySSL {
		if nc, err = r.handshake(s.Trust, e, conn); err != nil {
			return fail(err)
		}
	}
	var c *smtp.Client
	err = r.run(StepGreeting, "Wait for the server's greeting", func(*Step) error {
		if c, err = smtp.NewClient(nc, e.Host); err != nil {
			return smtpError("greeting", err)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if err := r.smtpHello(c, s.LocalName); err != nil {
		return fail(err)
	}
	if e.Security == data.SecurityStartTLS {
		if err := r.smtpStartTLS(c, s.Trust, e); err != nil {
			return fail(err)
		}
	}
	if s.Login != "" {
		if err := r.smtpAuth(c, e, s, password); err != nil {
			return fail(err)
		}
	}
	return c, func() { stop(); c.Close(); conn.Close() }, nil
}

// checkSize refuses a message larger than the server's SIZE limit before anything is sent.
func checkSize(c *smtp.Client, o *OutMessage, size int64) error {
	ok, param := c.Extension("SIZE")
	limit, err := strconv.ParseInt(strings.TrimSpace(param), 10, 64)
	if !ok || err != nil || limit <= 0 || size <= limit {
		return nil
	}
	e := &SizeError{Size: size, Limit: limit}
	var largest int64
	for _, p := range o.Attachments {
		if st, err := os.Stat(p); err == nil && st.Size() > largest {
			largest, e.Largest = st.Size(), p
		}
	}
	return e
}

// envelope sends MAIL and RCPT; when the server refuses recipients it resets and returns
// a *RecipientError for each, joined.
func (r *stepper) envelope(c *smtp.Client, o *OutMessage) error {
	return r.run(StepKind("envelope"), "Name the sender and recipients", func(*Step) error {
		if err := c.Mail("<" + o.From.Addr + ">"); err != nil {
			return smtpError("MAIL FROM", err)
		}
		var refused []error
		for _, rcpt := range o.Recipients() {
			err := c.Rcpt("<" + rcpt + ">")
			var te *textproto.Error
			switch {
			case errors.As(err, &te):
				refused = append(refused, &RecipientError{Addr: rcpt, Err: &ServerError{Command: "RCPT TO", Code: te.Code, Text: te.Msg}})
			case err != nil:
				return smtpError("RCPT TO", err)
			}
		}
		if len(refused) > 0 {
			c.Reset()
			return fmt.Errorf("smtp RCPT TO: %w", errors.Join(refused...))
		}
		return nil
	})
}

// data writes the message. A failure while writing closes the connection without the final
// dot, so the server drops the partial message; a connection lost while waiting for the
// server's verdict is ErrOutcomeUnknown.
func (r *stepper) data(c *smtp.Client, m io.WriterTo, size int64, s SendSettings) error {
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	var out io.Writer = w
	if s.Progress != nil {
		out = &progressWriter{w: w, total: size, report: s.Progress}
	}
	if _, err := m.WriteTo(out); err != nil {
		r.conn.Close()
		if cause := attachmentCause(err); cause != err {
			return cause
		}
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if s.DataEnding != nil {
		if err := s.DataEnding(); err != nil {
			r.conn.Close()
			return fmt.Errorf("smtp DATA: before the end: %w", err)
		}
	}
	err = w.Close()
	var te *textproto.Error
	switch {
	case errors.As(err, &te):
		return smtpError("DATA", err)
	case err != nil:
		return fmt.Errorf("smtp DATA: %w: %w", ErrOutcomeUnknown, err)
	}
	return nil
}

type progressWriter struct {
	w      io.Writer
	sent   int64
	total  int64
	report func(sent, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.sent += int64(n)
	p.report(p.sent, p.total)
	return n, err
}
