package mailclient

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// ErrIMAPDisabled is returned when a mailbox's provider has incoming mail (IMAP) switched off.
var ErrIMAPDisabled = errors.New("incoming mail (IMAP) is not enabled for this provider")

// imapConn is a logged-in IMAP connection, made exactly as the connection test makes it:
// the same TLS trust and pins, the same STARTTLS rules, a deadline on every read and write.
// Cancelling the context it was dialled with closes it.
type imapConn struct {
	*imapclient.Client
	conn    *deadlineConn
	guard   *wireGuard
	stop    func() bool
	timeout time.Duration
	caps    imap.CapSet // after login
}

// dialIMAP connects to s.IMAP and logs in with password. handler, when not nil, receives
// the server's unilateral data (new messages, expunges) as IDLE needs.
func dialIMAP(ctx context.Context, s Settings, password string, handler *imapclient.UnilateralDataHandler) (*imapConn, error) {
	if s.IMAP == nil {
		return nil, ErrIMAPDisabled
	}
	trust := s.Trust
	if trust == nil {
		trust = &Trust{}
	}
	r := &stepper{ctx: ctx, side: Incoming, emit: func(Step) {}, timeout: orDefault(s.IMAPTimeout, DefaultIMAPTimeout)}
	conn, stop, err := r.dial(*s.IMAP)
	if err != nil {
		return nil, &SideError{Side: Incoming, Addr: s.IMAP.address(), Err: err}
	}
	ic := &imapConn{conn: conn, stop: stop, timeout: r.timeout}
	opts := &imapclient.Options{WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}, UnilateralDataHandler: handler}
	err = func() error {
		c, err := r.imapSession(trust, *s.IMAP, conn, opts)
		if err != nil {
			return err
		}
		ic.Client, ic.guard = c, r.guard
		caps, err := r.imapCaps(c)
		if err != nil {
			return err
		}
		return r.imapLogin(c, caps, s, password)
	}()
	if err != nil {
		ic.close()
		return nil, &SideError{Side: Incoming, Addr: s.IMAP.address(), Err: err}
	}
	ic.caps = ic.Caps()
	return ic, nil
}

// failed returns err of operation op as the connection explains it: the server's fault
// when it overstepped, a timeout when a read or write hit its deadline, marked
// ErrConnectionLost when the server went away.
func (ic *imapConn) failed(op string, err error) error {
	return ic.conn.why(op, err)
}

// close logs out (a courtesy, bounded by the connection's deadlines) and closes.
func (ic *imapConn) close() {
	if ic.Client != nil {
		done := make(chan struct{})
		go func() {
			ic.Logout().Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		ic.Client.Close()
	}
	ic.stop()
	ic.conn.Close()
}

// has reports whether the server offers capability c.
func (ic *imapConn) has(c imap.Cap) bool { return ic.caps.Has(c) }

// wrapIMAP wraps a command's failure with what was being done; a refusal keeps the server's
// words as a *ServerError.
func wrapIMAP(what string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %w", what, &ServerError{Command: what, Text: ie.Text})
	}
	return fmt.Errorf("%s: %w", what, err)
}
