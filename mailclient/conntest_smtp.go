package mailclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"slices"
	"strings"

	"github.com/wneessen/go-mail/smtp"

	"mailroom/data"
)

// smtpExtensions are the EHLO keywords a connection test reports.
var smtpExtensions = []string{"STARTTLS", "AUTH", "SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING"}

// testSMTP runs the outgoing side of TestConnection. It signs in and quits: no mail is sent.
func testSMTP(ctx context.Context, s Settings, password string, emit func(Step)) error {
	e := *s.SMTP
	r := &stepper{ctx: ctx, side: Outgoing, emit: emit, timeout: orDefault(s.SMTPTimeout, DefaultSMTPTimeout)}
	conn, stop, err := r.dial(e)
	if err != nil {
		return err
	}
	defer stop()
	defer conn.Close()

	var nc net.Conn = conn
	if e.Security == data.SecuritySSL {
		if nc, err = r.handshake(s.Trust, e, conn); err != nil {
			return err
		}
	}
	var c *smtp.Client
	err = r.run(StepGreeting, "Wait for the server's greeting", func(st *Step) error {
		if c, err = smtp.NewClient(nc, e.Host); err != nil {
			return smtpError("greeting", err)
		}
		st.Detail = "The server answered as an SMTP server"
		return nil
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := r.smtpHello(c, s.LocalName); err != nil {
		return err
	}
	if e.Security == data.SecurityStartTLS {
		if err := r.smtpStartTLS(c, s.Trust, e); err != nil {
			return err
		}
	}
	if err := r.smtpAuth(c, e, s, password); err != nil {
		return err
	}
	c.Quit() // a courtesy; the test has passed whatever the answer
	return nil
}

func (r *stepper) smtpHello(c *smtp.Client, localName string) error {
	if localName == "" {
		localName = "localhost"
	}
	return r.run(StepEHLO, "Introduce Mailroom (EHLO)", func(st *Step) error {
		if err := c.Hello(localName); err != nil {
			return smtpError("EHLO", err)
		}
		st.Detail = extensionSummary(c)
		return nil
	})
}

// smtpStartTLS switches to TLS, or refuses to go on when the server does not offer it: the
// password is never sent over a plain connection that was meant to be encrypted.
func (r *stepper) smtpStartTLS(c *smtp.Client, trust *Trust, e Endpoint) error {
	var seen handshake
	err := r.run(StepStartTLS, "Switch to encryption (STARTTLS)", func(st *Step) error {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp: %w", ErrStartTLSNotOffered)
		}
		cfg, err := trust.config(r.ctx, e.Host, e.Port, &seen)
		if err != nil {
			return err
		}
		if err := c.StartTLS(cfg); err != nil {
			var te *textproto.Error
			if errors.As(err, &te) && !seen.done {
				return fmt.Errorf("smtp STARTTLS: %w: %w", ErrStartTLSNotOffered, smtpError("STARTTLS", err))
			}
			return fmt.Errorf("smtp STARTTLS: %w", tlsOrProtocol(err))
		}
		st.Detail = "The server switched to TLS; " + extensionSummary(c)
		return nil
	})
	if err != nil {
		return err
	}
	return r.run(StepTLS, "Set up encryption (TLS)", func(st *Step) error {
		describeTLS(st, seen)
		return nil
	})
}

// smtpAuth signs in with the best mechanism both sides know, and nothing else.
func (r *stepper) smtpAuth(c *smtp.Client, e Endpoint, s Settings, password string) error {
	login := s.Login
	if s.SMTPAuth == data.AuthOAuth2 {
		return r.smtpOAuth(c, e, s, password)
	}
	return r.run(StepAuth, "Sign in as "+login+" (AUTH)", func(st *Step) error {
		_, params := c.Extension("AUTH")
		offered := strings.Fields(strings.ToUpper(params))
		// In clear only because the provider card says the server is not encrypted.
		inClear := e.Security == data.SecurityNone
		var a smtp.Auth
		switch {
		case slices.Contains(offered, "PLAIN"):
			a = smtp.PlainAuth("", login, password, e.Host, inClear)
		case slices.Contains(offered, "LOGIN"):
			a = smtp.LoginAuth(login, password, e.Host, inClear)
		default:
			return fmt.Errorf("smtp AUTH offers %q: %w", params, ErrNoAuthMechanism)
		}
		if err := c.Auth(a); err != nil {
			return smtpError("AUTH", err)
		}
		st.Detail = "Signed in; no mail was sent"
		return nil
	})
}

// smtpError turns a reply into ours: 535 to AUTH is ErrAuthFailed, any other refusal a
// *ServerError quoting the server, and an answer that is not SMTP ErrProtocol.
func smtpError(cmd string, err error) error {
	var te *textproto.Error
	var pe textproto.ProtocolError
	switch {
	case errors.As(err, &te):
		se := &ServerError{Command: cmd, Code: te.Code, Text: te.Msg}
		if cmd == "AUTH" && te.Code == 535 {
			return fmt.Errorf("smtp %s: %w: %w", cmd, ErrAuthFailed, se)
		}
		return fmt.Errorf("smtp %s: %w", cmd, se)
	case errors.As(err, &pe):
		return fmt.Errorf("smtp %s: %w: %w", cmd, ErrProtocol, err)
	}
	return fmt.Errorf("smtp %s: %w", cmd, err)
}

// extensionSummary lists the EHLO keywords a person may care about, with their parameters.
func extensionSummary(c *smtp.Client) string {
	var parts []string
	for _, ext := range smtpExtensions {
		if ok, params := c.Extension(ext); ok {
			parts = append(parts, strings.TrimSpace(ext+" "+params))
		}
	}
	if len(parts) == 0 {
		return "No extensions"
	}
	return strings.Join(parts, "; ")
}
