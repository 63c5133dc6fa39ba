package mailclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// startTLSTag tags the one command Mailroom sends itself, before the IMAP client takes over.
const startTLSTag = "S1"

// startTLS reads the server's greeting on conn, asks for STARTTLS and, once the server
// agrees, does the TLS handshake with cfg. It returns the encrypted connection, guarded,
// with a greeting of its own for the IMAP client to read first (the server sends none after
// STARTTLS). It is done here rather than by the IMAP client so that what the server sends
// is guarded before and after the switch alike. A refusal is an *imap.Error with the
// server's words; a server that sends anything between its agreement and the handshake
// (which could be injected in clear) is ErrProtocol.
func startTLS(ctx context.Context, conn *deadlineConn, cfg *tls.Config) (*wireGuard, error) {
	clear := newWireGuard(conn, conn)
	br := bufio.NewReader(clear)
	greeting, err := br.ReadString('\n')
	if err != nil {
		return nil, conn.why("Wait for the server's greeting", fmt.Errorf("imap greeting: %w: %v", ErrProtocol, err))
	}
	if !strings.HasPrefix(strings.ToUpper(greeting), "* OK") {
		return nil, fmt.Errorf("imap greeting: %w: %.100q", ErrProtocol, greeting)
	}
	if _, err := clear.Write([]byte(startTLSTag + " STARTTLS\r\n")); err != nil {
		return nil, conn.why("Switch to encryption (STARTTLS)", err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, conn.why("Switch to encryption (STARTTLS)", fmt.Errorf("imap STARTTLS: %w: %v", ErrProtocol, err))
		}
		rest, ok := strings.CutPrefix(line, startTLSTag+" ")
		if !ok {
			continue // untagged data, such as CAPABILITY
		}
		status, text, _ := strings.Cut(strings.TrimRight(rest, "\r\n"), " ")
		switch strings.ToUpper(status) {
		case "OK":
		case "NO", "BAD":
			return nil, &imap.Error{Type: imap.StatusResponseType(strings.ToUpper(status)), Text: text}
		default:
			return nil, fmt.Errorf("imap STARTTLS: %w: %.100q", ErrProtocol, line)
		}
		break
	}
	if br.Buffered() > 0 {
		return nil, fmt.Errorf("imap STARTTLS: %w: the server sent data before the handshake", ErrProtocol)
	}
	clear.stop()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	g := newWireGuard(tc, conn)
	g.pending = []byte("* OK encrypted\r\n")
	return g, nil
}
