package mailclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// testIMAP runs the incoming side of TestConnection.
func testIMAP(ctx context.Context, s Settings, password string, emit func(Step)) error {
	e := *s.IMAP
	r := &stepper{ctx: ctx, side: Incoming, emit: emit, timeout: orDefault(s.IMAPTimeout, DefaultIMAPTimeout)}
	conn, stop, err := r.dial(e)
	if err != nil {
		return err
	}
	defer stop()
	defer conn.Close()

	c, err := r.imapSession(s.Trust, e, conn, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	caps, err := r.imapCaps(c)
	if err != nil {
		return err
	}
	if err := r.imapLogin(c, caps, s, password); err != nil {
		return err
	}
	err = r.run(StepFolders, "List folders", func(st *Step) error {
		list, err := listFolders(c, nil)
		if err != nil {
			return imapError("LIST", err)
		}
		st.Detail = folderSummary(list)
		return nil
	})
	if err != nil {
		return err
	}
	c.Logout().Wait() // a courtesy; the test has passed whatever the answer
	return nil
}

// imapSession brings conn to an IMAP client past the greeting, encrypted as e says. opts,
// when not nil, are the client's options (its TLSConfig is replaced by the Trust's).
func (r *stepper) imapSession(trust *Trust, e Endpoint, conn net.Conn, opts *imapclient.Options) (*imapclient.Client, error) {
	var o imapclient.Options
	if opts != nil {
		o = *opts
	}
	switch e.Security {
	case data.SecuritySSL:
		tc, err := r.handshake(trust, e, conn)
		if err != nil {
			return nil, err
		}
		r.guard = newWireGuard(tc, r.conn)
		c := imapclient.New(r.guard, &o)
		return c, r.imapGreeting(c)
	case data.SecurityStartTLS:
		return r.imapStartTLS(trust, e, o)
	}
	r.guard = newWireGuard(conn, r.conn)
	c := imapclient.New(r.guard, &o)
	return c, r.imapGreeting(c)
}

func (r *stepper) imapGreeting(c *imapclient.Client) error {
	return r.run(StepGreeting, "Wait for the server's greeting", func(st *Step) error {
		if err := c.WaitGreeting(); err != nil {
			return fmt.Errorf("imap greeting: %w: %v", ErrProtocol, err)
		}
		st.Detail = "The server answered as an IMAP server"
		return nil
	})
}

// imapStartTLS reads the greeting, asks for STARTTLS and does the handshake. A server that
// refuses STARTTLS gets nothing more: the password is never sent over a plain connection
// that was meant to be encrypted.
func (r *stepper) imapStartTLS(trust *Trust, e Endpoint, o imapclient.Options) (*imapclient.Client, error) {
	var c *imapclient.Client
	var seen handshake
	err := r.run(StepStartTLS, "Switch to encryption (STARTTLS)", func(st *Step) error {
		cfg, err := trust.config(r.ctx, e.Host, e.Port, &seen)
		if err != nil {
			return err
		}
		r.guard, err = startTLS(r.ctx, r.conn, cfg)
		var ie *imap.Error
		switch {
		case errors.As(err, &ie):
			return fmt.Errorf("imap STARTTLS: %w: %w", ErrStartTLSNotOffered, &ServerError{Command: "STARTTLS", Text: ie.Text})
		case err != nil:
			return fmt.Errorf("imap STARTTLS: %w", tlsOrProtocol(err))
		}
		c = imapclient.New(r.guard, &o)
		st.Detail = "The server switched to TLS"
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The handshake is reported as a step of its own, like with SSL.
	r.run(StepTLS, "Set up encryption (TLS)", func(st *Step) error {
		describeTLS(st, seen)
		return nil
	})
	return c, nil
}

// tlsOrProtocol keeps the trust errors of a handshake done inside a protocol library, and
// marks a failed handshake of any other kind.
func tlsOrProtocol(err error) error {
	var ue *UntrustedCertError
	var pe *PinMismatchError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		return err
	}
	return tlsError(err)
}

func (r *stepper) imapCaps(c *imapclient.Client) (imap.CapSet, error) {
	var caps imap.CapSet
	err := r.run(StepCapabilities, "Ask what the server supports", func(st *Step) error {
		// The greeting's capabilities when it gave them (Dovecot, Gmail, … do): no round
		// trip for a CAPABILITY command; otherwise the command is sent.
		if caps = c.Caps(); caps == nil {
			var err error
			if caps, err = c.Capability().Wait(); err != nil {
				return imapError("CAPABILITY", err)
			}
		}
		if !caps.Has(imap.CapIMAP4rev1) && !caps.Has(imap.CapIMAP4rev2) {
			return fmt.Errorf("imap capabilities lack IMAP4rev1: %w", ErrProtocol)
		}
		st.Detail = capSummary(caps)
		return nil
	})
	return caps, err
}

func (r *stepper) imapLogin(c *imapclient.Client, caps imap.CapSet, s Settings, password string) error {
	login := s.Login
	if s.IMAPAuth == data.AuthOAuth2 {
		return r.imapOAuth(c, caps, s, password)
	}
	return r.run(StepLogin, "Log in as "+login, func(st *Step) error {
		if caps.Has(imap.CapLoginDisabled) {
			return fmt.Errorf("imap: %w", ErrLoginDisabled)
		}
		if err := c.Login(login, password).Wait(); err != nil {
			return imapError("LOGIN", err)
		}
		st.Detail = "Logged in"
		return nil
	})
}

// imapError turns a command's failure into ours: a refused LOGIN is ErrAuthFailed, any other
// refusal a *ServerError quoting the server.
func imapError(cmd string, err error) error {
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return fmt.Errorf("imap %s: %w", cmd, err)
	}
	se := &ServerError{Command: cmd, Text: ie.Text}
	if cmd == "LOGIN" && (ie.Code == imap.ResponseCodeAuthenticationFailed || ie.Type == imap.StatusResponseTypeNo) {
		return fmt.Errorf("imap %s: %w: %w", cmd, ErrAuthFailed, se)
	}
	return fmt.Errorf("imap %s: %w", cmd, se)
}

// capSummary lists the capabilities people may care about, sorted.
func capSummary(caps imap.CapSet) string {
	var names []string
	for c := range caps {
		names = append(names, string(c))
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// folderSummary says how many folders there are and names the first few.
func folderSummary(list []*imap.ListData) string {
	names := make([]string, 0, len(list))
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	slices.Sort(names)
	const shown = 8
	switch {
	case len(names) == 0:
		return "No folders"
	case len(names) > shown:
		return fmt.Sprintf("%d folders: %s, …", len(names), strings.Join(names[:shown], ", "))
	case len(names) == 1:
		return "1 folder: " + names[0]
	}
	return fmt.Sprintf("%d folders: %s", len(names), strings.Join(names, ", "))
}
