package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"mailroom/data"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"auth", fmt.Errorf("imap LOGIN: %w: %w", ErrAuthFailed, &ServerError{Command: "LOGIN", Text: "nope"}), "did not accept the login or password"},
		{"server text", fmt.Errorf("smtp EHLO: %w", &ServerError{Command: "EHLO", Code: 554, Text: "go away "}), "refused EHLO and said: “go away”"},
		{"unknown host", &net.DNSError{Name: "imap.example.invalid", IsNotFound: true}, "imap.example.invalid was not found"},
		{"dns down", &net.DNSError{Name: "x.example", Err: "server misbehaving"}, "could not be looked up"},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "refused the connection"},
		{"timeout", &TimeoutError{Op: "greeting", After: 40 * time.Second}, "did not answer within 40 seconds"},
		{"cancelled", fmt.Errorf("login: %w", context.Canceled), "cancelled"},
		{"keyring", fmt.Errorf("save: %w", data.ErrNoKeyring), "keyring is not available"},
		{"not tls", fmt.Errorf("x: %w", ErrNotTLS), "did not answer with TLS"},
		{"expired", &UntrustedCertError{Host: "h", Reasons: []CertReason{ReasonExpired}, Cert: CertInfo{NotAfter: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)}}, "expired on 2020-01-02"},
		{"wrong host", &UntrustedCertError{Host: "imap.a.example", Reasons: []CertReason{ReasonHostname}, Cert: CertInfo{Names: []string{"b.example"}}}, "it is for b.example, not imap.a.example"},
		{"mismatch", &PinMismatchError{Host: "h"}, "may be intercepted"},
		{"one side", &SideError{Side: Outgoing, Addr: "smtp.example:465", Err: ErrStartTLSNotOffered}, "Outgoing mail (SMTP), smtp.example:465: The server does not offer STARTTLS"},
		{"folder changed", fmt.Errorf("INBOX: %w", ErrFolderChanged), "changed on the server since the last sync"},
		{"no trash", ErrNoTrash, "has no Trash folder"},
		{"message gone", fmt.Errorf("FETCH BODY: %w", ErrMessageGone), "no longer on the server"},
		{"no such folder", fmt.Errorf("sync: %q: %w", "Foo", ErrNoSuchFolder), "has no folder of that name"},
		{"no idle", fmt.Errorf("watch ann@example.net: 127.0.0.1:993: %w", ErrNoIdle), "checks for it every few minutes"},
		{"closed", fmt.Errorf("IDLE: %w", io.ErrUnexpectedEOF), "closed the connection unexpectedly"},
		{"other", errors.New("boom"), "The connection failed: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.err); !strings.Contains(got, tt.want) || (tt.want == "" && got != "") {
				t.Errorf("Explain(%v) = %q, want it to contain %q", tt.err, got, tt.want)
			}
		})
	}
}

// A message waiting in the outbox goes through settings that were tested: a server that is
// down is said to be down, never "check the port".
func TestExplainWaitingSaysTheServerIsDown(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 465}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"refused", fmt.Errorf("smtp: %w", &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: syscall.ECONNREFUSED}), "(127.0.0.1:465) refused the connection: it is not running"},
		{"timeout", &TimeoutError{Op: "greeting", After: 40 * time.Second}, "did not answer within 40 seconds: it may be down"},
		{"no route", &net.OpError{Op: "dial", Err: syscall.ENETUNREACH}, "the network is off"},
		{"dns down", &net.DNSError{Name: "smtp.example", Err: "server misbehaving"}, "smtp.example could not be looked up: the network"},
		{"lost", fmt.Errorf("DATA: %w", io.ErrUnexpectedEOF), "closed the connection before the message was accepted"},
		{"auth", fmt.Errorf("AUTH: %w", ErrAuthFailed), "did not accept the login or password"},
	}
	for _, tt := range tests {
		got := ExplainWaiting(tt.err)
		if !strings.Contains(got, tt.want) || strings.Contains(strings.ToLower(got), "port") {
			t.Errorf("%s: ExplainWaiting = %q, want %q and no word of the port", tt.name, got, tt.want)
		}
	}
}
