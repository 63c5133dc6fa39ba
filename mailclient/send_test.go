package mailclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestTemporaryAndExplain(t *testing.T) {
	refused := fmt.Errorf("smtp RCPT TO: %w", errors.Join(
		&RecipientError{Addr: "x@example.com", Err: &ServerError{Command: "RCPT TO", Code: 550, Text: "5.1.1 unknown"}},
		&RecipientError{Addr: "y@example.com", Err: &ServerError{Command: "RCPT TO", Code: 550, Text: "5.1.1 gone"}}))
	tests := []struct {
		name      string
		err       error
		temporary bool
		says      string
	}{
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true, "refused the connection"},
		{"timeout", &TimeoutError{Op: "greeting", After: 40e9, Err: errors.New("i/o timeout")}, true, "within 40 seconds"},
		{"4xx", fmt.Errorf("smtp MAIL FROM: %w", &ServerError{Command: "MAIL FROM", Code: 451, Text: "try later"}), true, "try later"},
		{"5xx", fmt.Errorf("smtp DATA: %w", &ServerError{Command: "DATA", Code: 554, Text: "spam"}), false, "spam"},
		{"recipients", refused, false, "x@example.com (“5.1.1 unknown”); y@example.com"},
		{"too large", &SizeError{Size: 30e6, Limit: 10e6, Largest: "/tmp/film.mp4"}, false, "“film.mp4”"},
		{"attachment gone", &AttachmentError{Path: "/tmp/a.pdf", Err: syscall.ENOENT}, false, "no longer at /tmp/a.pdf"},
		{"unknown outcome", fmt.Errorf("smtp DATA: %w", ErrOutcomeUnknown), false, "Check your Sent folder"},
		{"password", fmt.Errorf("smtp AUTH: %w", ErrAuthFailed), false, "login or password"},
		{"certificate", &UntrustedCertError{Reasons: []CertReason{ReasonUnknownAuthority}}, false, "not trusted"},
		{"cancelled", context.Canceled, true, "cancelled"},
	}
	for _, tt := range tests {
		if got := Temporary(tt.err); got != tt.temporary {
			t.Errorf("%s: Temporary = %v", tt.name, got)
		}
		if got := Explain(tt.err); !strings.Contains(got, tt.says) {
			t.Errorf("%s: Explain = %q, want it to say %q", tt.name, got, tt.says)
		}
	}
}

func TestPickSentFolder(t *testing.T) {
	list := func(entries ...*imap.ListData) []*imap.ListData { return entries }
	tests := []struct {
		name string
		list []*imap.ListData
		want string
	}{
		{"special use wins", list(&imap.ListData{Mailbox: "Sent"}, &imap.ListData{Mailbox: "[Gmail]/Gesendet", Delim: '/',
			Attrs: []imap.MailboxAttr{imap.MailboxAttrSent}}), "[Gmail]/Gesendet"},
		{"by name under INBOX", list(&imap.ListData{Mailbox: "INBOX"}, &imap.ListData{Mailbox: "INBOX.Sent Items", Delim: '.'}), "INBOX.Sent Items"},
		{"not selectable skipped", list(&imap.ListData{Mailbox: "Sent", Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}},
			&imap.ListData{Mailbox: "Sent Messages"}), "Sent Messages"},
		{"none", list(&imap.ListData{Mailbox: "INBOX"}), ""},
	}
	for _, tt := range tests {
		got, err := pickSentFolder(tt.list)
		if got != tt.want || (tt.want == "") != errors.Is(err, ErrNoSentFolder) {
			t.Errorf("%s: %q %v, want %q", tt.name, got, err, tt.want)
		}
	}
}
