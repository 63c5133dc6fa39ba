package mailclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// deadlineConn gives every Read and Write its own deadline, timeout from when it starts, so a
// silent server fails within that time however the protocol library waits. The libraries'
// own deadlines are ignored: ours are the ones that count.
type deadlineConn struct {
	net.Conn
	timeout atomic.Int64 // nanoseconds; an IDLE watcher lengthens it while it waits
	expired atomic.Bool
	lost    atomic.Bool // the server closed or reset the connection
	// expiredAfter is the timeout in force when a deadline passed, for the message.
	expiredAfter atomic.Int64
	// fault is what the server did wrong when a wireGuard above closed the connection.
	fault atomic.Pointer[ServerFaultError]
}

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	dc := &deadlineConn{Conn: c}
	dc.setTimeout(timeout)
	return dc
}

func (c *deadlineConn) setTimeout(d time.Duration) { c.timeout.Store(int64(d)) }

// currentTimeout returns the timeout in force.
func (c *deadlineConn) currentTimeout() time.Duration { return time.Duration(c.timeout.Load()) }

func (c *deadlineConn) Read(b []byte) (int, error) {
	if c.expired.Load() {
		// Decoders try again after an error (go-imap four times before it gives up), and
		// each try would wait the whole timeout again: once is the timeout.
		return 0, os.ErrDeadlineExceeded
	}
	t := c.currentTimeout()
	c.Conn.SetReadDeadline(deadlineIn(t))
	n, err := c.Conn.Read(b)
	c.note(err, t)
	return n, err
}

// deadlineIn is the deadline timeout t from now; none for 0 (see quiet).
func deadlineIn(t time.Duration) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Now().Add(t)
}

// quiet lets the server stay silent for as long as the caller sends no command (a sync
// waiting for a folder's lease, which another sync may hold for minutes): the read that is
// waiting for the server has no deadline until the returned func puts the timeout back. The
// next command's answer then has the usual timeout again.
func (c *deadlineConn) quiet() (restore func()) {
	t := c.currentTimeout()
	c.setTimeout(0)
	c.Conn.SetReadDeadline(time.Time{})
	return func() {
		c.setTimeout(t)
		c.Conn.SetReadDeadline(deadlineIn(t))
	}
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	t := c.currentTimeout()
	c.Conn.SetWriteDeadline(deadlineIn(t))
	n, err := c.Conn.Write(b)
	c.note(err, t)
	return n, err
}

func (c *deadlineConn) note(err error, timeout time.Duration) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.expired.CompareAndSwap(false, true) {
			c.expiredAfter.Store(int64(timeout))
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		c.lost.Store(true)
	}
}

// ErrConnectionLost is wrapped in the error of work cut short because the server closed or
// reset the connection: go-imap reports that only as text, so the connection itself tells.
var ErrConnectionLost = errors.New("the server closed the connection")

// lostOr returns err marked with ErrConnectionLost when the connection was lost meanwhile.
func (c *deadlineConn) lostOr(err error) error {
	if err == nil || c == nil || !c.lost.Load() || errors.Is(err, ErrConnectionLost) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrConnectionLost, err)
}

// timedOut reports whether a read or write has hit its deadline.
func (c *deadlineConn) timedOut() bool { return c.expired.Load() }

func (c *deadlineConn) SetDeadline(time.Time) error      { return nil }
func (c *deadlineConn) SetReadDeadline(time.Time) error  { return nil }
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

// dial looks host up and connects to the first of its addresses that answers, reporting both
// steps. The connection closes when ctx ends; call the returned stop to undo that.
func (r *stepper) dial(e Endpoint) (conn *deadlineConn, stop func() bool, err error) {
	var addrs []string
	if ip := net.ParseIP(e.Host); ip != nil {
		addrs = []string{ip.String()}
	} else {
		err = r.run(StepLookup, "Look up "+e.Host, func(st *Step) error {
			ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
			defer cancel()
			addrs, err = net.DefaultResolver.LookupHost(ctx, e.Host)
			st.Detail = strings.Join(addrs, ", ")
			return timeoutIfDeadline(err, "Look up "+e.Host, r.timeout)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	err = r.run(StepConnect, fmt.Sprintf("Connect to port %d", e.Port), func(st *Step) error {
		d := net.Dialer{Timeout: r.timeout}
		var raw net.Conn
		for _, a := range addrs {
			if raw, err = d.DialContext(r.ctx, "tcp", net.JoinHostPort(a, strconv.Itoa(e.Port))); err == nil {
				st.Detail = "Connected to " + raw.RemoteAddr().String()
				conn = newDeadlineConn(raw, r.timeout)
				return nil
			}
		}
		return timeoutIfDeadline(err, fmt.Sprintf("Connect to port %d", e.Port), r.timeout)
	})
	if err != nil {
		return nil, nil, err
	}
	r.conn = conn
	return conn, context.AfterFunc(r.ctx, func() { conn.Close() }), nil
}

// timeoutIfDeadline turns a network timeout into a *TimeoutError.
func timeoutIfDeadline(err error, op string, after time.Duration) error {
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		return &TimeoutError{Op: op, After: after, Err: err}
	}
	return err
}

// handshake runs a TLS handshake over conn for e as the Trust decides, reporting it as
// StepTLS with the certificate.
func (r *stepper) handshake(trust *Trust, e Endpoint, conn net.Conn) (*tls.Conn, error) {
	var tc *tls.Conn
	var seen handshake
	err := r.run(StepTLS, "Set up encryption (TLS)", func(st *Step) error {
		cfg, err := trust.config(r.ctx, e.Host, e.Port, &seen)
		if err != nil {
			return err
		}
		tc = tls.Client(conn, cfg)
		if err := tc.HandshakeContext(r.ctx); err != nil {
			return tlsError(err)
		}
		describeTLS(st, seen)
		return nil
	})
	return tc, err
}

// describeTLS fills a Done StepTLS from what the handshake showed.
func describeTLS(st *Step, seen handshake) {
	if !seen.done || len(seen.state.PeerCertificates) == 0 {
		return
	}
	info := CertInfoOf(seen.state.PeerCertificates[0])
	st.Cert, st.Pinned = &info, seen.pinned
	trusted := "trusted"
	if seen.pinned {
		trusted = "trusted because you pinned it"
	}
	st.Detail = fmt.Sprintf("%s; certificate for %s issued by %s, valid %s to %s, %s; SHA-256 %s",
		tls.VersionName(seen.state.Version), info.Subject, info.Issuer,
		info.NotBefore.Format(time.DateOnly), info.NotAfter.Format(time.DateOnly), trusted, FormatFingerprint(info.SHA256))
}

// tlsError marks a handshake that met no TLS at all.
func tlsError(err error) error {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return fmt.Errorf("tls handshake: %w: %w", ErrNotTLS, err)
	}
	return fmt.Errorf("tls handshake: %w", err)
}
