package mailclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// sentNames are folder names that mean Sent when no folder is marked \Sent, compared
// without case on the last part of the name.
var sentNames = []string{"sent", "sent items", "sent messages", "sent mail", "gesendet", "gesendete elemente",
	"gesendete objekte", "envoyés", "éléments envoyés", "enviados", "elementos enviados", "inviata", "posta inviata", "verzonden"}

// AppendSent appends m, of size bytes (MessageSize), to the Sent folder of the IMAP server
// in s, marked \Seen, with date as its internal date. The folder is the one marked \Sent
// (SPECIAL-USE), else the first named like Sent; without either it fails with
// ErrNoSentFolder. Every read and write has the settings' IMAP timeout.
func AppendSent(ctx context.Context, s Settings, password string, m *Message, size int64, date time.Time) error {
	if s.IMAP == nil {
		return fmt.Errorf("append to Sent: %w", ErrNothingToTest)
	}
	if s.Trust == nil {
		s.Trust = &Trust{}
	}
	r := &stepper{ctx: ctx, side: Incoming, emit: func(Step) {}, timeout: orDefault(s.IMAPTimeout, DefaultIMAPTimeout)}
	conn, stop, err := r.dial(*s.IMAP)
	if err != nil {
		return err
	}
	defer stop()
	defer conn.Close()
	c, err := r.appendSession(s.Trust, *s.IMAP, conn)
	if err != nil {
		return err
	}
	defer c.Close()
	caps, err := r.imapCaps(c)
	if err != nil {
		return err
	}
	if err := r.imapLogin(c, caps, s.Login, password); err != nil {
		return err
	}
	var folder string
	err = r.run(StepFolders, "Find the Sent folder", func(*Step) error {
		folder, err = sentFolder(c, caps)
		return err
	})
	if err != nil {
		return err
	}
	err = r.run(StepKind("append"), "Save a copy in "+folder, func(*Step) error {
		cmd := c.Append(folder, size, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
		if _, err := m.WriteTo(cmd); err != nil {
			cmd.Close()
			return fmt.Errorf("imap APPEND: %w", attachmentCause(err))
		}
		if err := cmd.Close(); err != nil {
			return imapError("APPEND", err)
		}
		if _, err := cmd.Wait(); err != nil {
			return imapError("APPEND", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Logout().Wait()
	return nil
}

// appendSession brings conn to an IMAP client past the greeting, encrypted as e says.
func (r *stepper) appendSession(trust *Trust, e Endpoint, conn net.Conn) (*imapclient.Client, error) {
	switch e.Security {
	case data.SecuritySSL:
		tc, err := r.handshake(trust, e, conn)
		if err != nil {
			return nil, err
		}
		c := imapclient.New(tc, nil)
		return c, r.imapGreeting(c)
	case data.SecurityStartTLS:
		var c *imapclient.Client
		err := r.run(StepStartTLS, "Switch to encryption (STARTTLS)", func(*Step) error {
			cfg, err := trust.Config(r.ctx, e.Host, e.Port)
			if err != nil {
				return err
			}
			c, err = imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: cfg})
			var ie *imap.Error
			if errors.As(err, &ie) {
				return fmt.Errorf("imap STARTTLS: %w: %w", ErrStartTLSNotOffered, &ServerError{Command: "STARTTLS", Text: ie.Text})
			} else if err != nil {
				return fmt.Errorf("imap STARTTLS: %w", tlsOrProtocol(err))
			}
			return nil
		})
		return c, err
	}
	c := imapclient.New(conn, nil)
	return c, r.imapGreeting(c)
}

// sentFolder returns the name of the Sent folder: marked \Sent, else named like it.
func sentFolder(c *imapclient.Client, caps imap.CapSet) (string, error) {
	var opts *imap.ListOptions
	if caps.Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		return "", imapError("LIST", err)
	}
	return pickSentFolder(list)
}

// pickSentFolder chooses the Sent folder among list: the one marked \Sent, else the first
// whose last name part is one of sentNames (in their order).
func pickSentFolder(list []*imap.ListData) (string, error) {
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrSent) && !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			return l.Mailbox, nil
		}
	}
	for _, want := range sentNames {
		for _, l := range list {
			name := l.Mailbox
			if l.Delim != 0 {
				name = name[strings.LastIndex(name, string(l.Delim))+1:]
			}
			if strings.EqualFold(name, want) && !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
				return l.Mailbox, nil
			}
		}
	}
	return "", fmt.Errorf("imap: %w", ErrNoSentFolder)
}
