package mailclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"mailroom/data"
)

// Explain returns what went wrong in err, in plain sentences for the person at the screen;
// "" for nil. The log gets err itself. Errors of both sides of a connection test are
// explained one after the other, each named.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var side *SideError
	if errors.As(err, &side) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			var parts []string
			for _, e := range j.Unwrap() {
				parts = append(parts, Explain(e))
			}
			return strings.Join(parts, " ")
		}
		return fmt.Sprintf("%s, %s: %s", side.Side.Title(), side.Addr, explainCause(side.Err))
	}
	return explainCause(err)
}

// explainCause explains one failure; the most specific cause is checked first.
func explainCause(err error) string {
	var (
		pnd *PasswordNotDeletedError
		ue  *UntrustedCertError
		pe  *PinMismatchError
		te  *TimeoutError
		se  *ServerError
		dns *net.DNSError
		ne  net.Error
		ae  *AttachmentError
		sz  *SizeError
		re  *RecipientError
		ve  *data.ValidationError
		sf  *ServerFaultError
		tf  *TooManyFoldersError
	)
	switch {
	case errors.As(err, &ve):
		return explainValidation(ve)
	case errors.As(err, &sf):
		return sf.sentence()
	case errors.As(err, &tf):
		return tf.sentence()
	case errors.As(err, &ae):
		return ae.sentence()
	case errors.As(err, &sz):
		return sz.sentence()
	case errors.As(err, &re):
		return explainRecipients(err)
	case errors.Is(err, ErrOutcomeUnknown):
		return "The connection broke after the whole message was sent but before the server confirmed it, " +
			"so it may have been sent. Check your Sent folder and the recipients before sending it again."
	case errors.Is(err, ErrSnapshotMissing):
		return "The copy of this message that Mailroom keeps for sending was removed from its data folder. " +
			"Open the message, check its attachments and send it again."
	case errors.Is(err, ErrNoSentFolder):
		return "The mail server has no Sent folder. Create a folder named Sent."
	case errors.Is(err, ErrEmptySubject):
		return "The message has no subject."
	case errors.Is(err, ErrFolderChanged):
		return "The folder was changed on the server since the last sync, so nothing was done. Sync the mailbox, then try again."
	case errors.Is(err, ErrNoTrash):
		return "The mailbox has no Trash folder to move the message to. Create a folder named Trash on the server, then sync."
	case errors.Is(err, ErrMessageGone):
		return "The message is no longer on the server; another mail program may have moved or deleted it. Sync the mailbox."
	case errors.Is(err, ErrNoIdle):
		return "The server does not announce new mail as it arrives, so Mailroom checks for it every few minutes instead."
	case errors.Is(err, ErrSyncTakenOver):
		return "Another Mailroom took over the sync of a folder after this one had stopped for a while. Sync again if mail is missing."
	case errors.Is(err, ErrNoSuchFolder):
		return "The server has no folder of that name. Sync the mailbox to see its folders, or check the name."
	case errors.As(err, &pnd):
		return "The mailbox was removed, but its password could not be deleted from the keyring. " + explainCause(pnd.Err)
	case errors.Is(err, context.Canceled):
		return "The test was cancelled."
	case errors.As(err, &pe):
		return "The server presented a different certificate from the one you trusted, so the connection may be intercepted. " +
			"Mailroom did not send your password. Trust the new certificate only if your provider confirms it changed " +
			"(new fingerprint " + FormatFingerprint(pe.Cert.SHA256) + ")."
	case errors.As(err, &ue):
		return explainUntrusted(ue)
	case errors.Is(err, ErrSignInAgain):
		return "Sign in again: the provider no longer accepts Mailroom's sign-in for this mailbox (it was revoked or has expired). " +
			"Your mail, drafts and outbox are kept; messages waiting to be sent leave once you have signed in."
	case errors.Is(err, ErrNoClientID):
		return "This provider signs in through the browser (OAuth 2.0) but has no application (client) ID yet. " +
			"An administrator must enter the office's client ID on the provider card."
	case errors.Is(err, ErrSignInDenied):
		return "The sign-in was declined in the browser, so nothing was saved. Sign in again and allow Mailroom to use your mailbox."
	case errors.Is(err, ErrSignInState):
		return "The browser came back with an answer that does not belong to this sign-in, so it was refused and nothing was saved. Sign in again."
	case errors.Is(err, ErrSignInTimeout):
		return "The browser did not come back within 5 minutes, so the sign-in was stopped and nothing was saved. Sign in again."
	case errors.Is(err, ErrTokenRefused):
		return "The server did not accept the sign-in token. Sign in again; if it keeps failing, the provider card's scopes may not include mail."
	case errors.Is(err, ErrTokenEndpoint):
		var oe *OAuthError
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			return "The provider's sign-in server presented a certificate the system does not trust, so Mailroom sent it nothing. " +
				"Check the provider card's endpoints."
		}
		if errors.As(err, &oe) {
			return fmt.Sprintf("The provider's sign-in server refused the request (%s). Sign in again; if it keeps failing, "+
				"check the provider card's client ID and endpoints.", oe.Code)
		}
		return "The provider's sign-in server could not be reached. Check your internet connection and try again."
	case errors.Is(err, ErrAuthFailed):
		return "The server did not accept the login or password. Check both and try again."
	case errors.Is(err, ErrStartTLSNotOffered):
		return "The server does not offer STARTTLS, so Mailroom did not send your password. Choose SSL, or check the port."
	case errors.Is(err, ErrLoginDisabled):
		return "The server does not accept a password over this connection. Choose SSL or STARTTLS."
	case errors.Is(err, ErrNotTLS):
		return "The server did not answer with TLS. Check that the security setting matches the port " +
			"(SSL is usually 993 for IMAP and 465 for SMTP; STARTTLS 143 and 587)."
	case errors.Is(err, ErrNoAuthMechanism):
		return "The server offers no sign-in method Mailroom supports. Check the port and security setting."
	case errors.Is(err, ErrNothingToTest):
		return "The provider enables neither downloading nor sending mail, so there is nothing to test."
	case errors.Is(err, ErrNoPassword):
		return "No password is saved for this mailbox. Edit the mailbox and enter the password again."
	case errors.Is(err, data.ErrNoKeyring):
		return "The system keyring is not available, so the password cannot be saved. Unlock or start your keyring " +
			"(for example GNOME Keyring or KWallet), or keep the password for this session only."
	case errors.As(err, &te):
		return fmt.Sprintf("The server did not answer within %s. It may be down or overloaded, or the port may be wrong.", seconds(te.After))
	case errors.As(err, &dns):
		return explainDNS(dns)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "The server refused the connection. Check the port number and the security setting."
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "The server cannot be reached. Check your internet connection."
	case errors.As(err, &se):
		return fmt.Sprintf("The server refused %s and said: “%s”", se.Command, strings.TrimSpace(se.Text))
	case errors.Is(err, ErrProtocol):
		return "The server did not answer as expected. Check the port number: it may belong to another service."
	case errors.As(err, &ne) && ne.Timeout():
		return "The server did not answer in time. It may be down, or the port may be wrong."
	case errors.Is(err, ErrConnectionLost), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "The server closed the connection unexpectedly. It may be restarting; try again in a moment."
	}
	return "The connection failed: " + err.Error()
}

// explainValidation joins the messages of every field.
func explainValidation(v *data.ValidationError) string {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = sentence(f.Msg)
	}
	return strings.Join(parts, " ")
}

// explainRecipients names every refused recipient with the server's words.
func explainRecipients(err error) string {
	var parts []string
	collect := func(e error) {
		var re *RecipientError
		if errors.As(e, &re) {
			parts = append(parts, fmt.Sprintf("%s (“%s”)", re.Addr, strings.TrimSpace(re.Err.Text)))
		}
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				collect(x)
			}
			break
		}
	}
	if len(parts) == 0 {
		collect(err)
	}
	return "The server refused these recipients: " + strings.Join(parts, "; ") + ". Correct the addresses and send again."
}

func explainUntrusted(e *UntrustedCertError) string {
	var why []string
	for _, r := range e.Reasons {
		switch r {
		case ReasonUnknownAuthority:
			why = append(why, "it is not signed by an authority your system trusts (it may be self-signed)")
		case ReasonExpired:
			why = append(why, "it expired on "+e.Cert.NotAfter.Format(time.DateOnly))
		case ReasonNotYetValid:
			why = append(why, "it is not valid before "+e.Cert.NotBefore.Format(time.DateOnly))
		case ReasonHostname:
			why = append(why, fmt.Sprintf("it is for %s, not %s", strings.Join(e.Cert.Names, ", "), e.Host))
		default:
			why = append(why, "it is not valid")
		}
	}
	return fmt.Sprintf("The server's certificate is not trusted: %s. Check the host name, or trust this certificate "+
		"after comparing its fingerprint %s with the one your provider gives.", strings.Join(why, "; "), FormatFingerprint(e.Cert.SHA256))
}

func explainDNS(e *net.DNSError) string {
	switch {
	case e.IsNotFound:
		return fmt.Sprintf("The server name %s was not found. Check the host name.", e.Name)
	case e.IsTimeout:
		return fmt.Sprintf("Looking up %s took too long. Check your internet connection.", e.Name)
	}
	return fmt.Sprintf("The server name %s could not be looked up. Check your internet connection.", e.Name)
}

func seconds(d time.Duration) string {
	if d%time.Second != 0 || d < time.Second {
		return d.String()
	}
	n := int(d / time.Second)
	if n == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", n)
}

// ExplainWaiting says why a message waits in the outbox after a temporary failure to send it.
// Explain speaks to someone entering settings, where a refused or unanswered connection most
// often means a wrong port; a message in the outbox goes through a mailbox whose settings were
// tested when it was saved, so there the same failures mean the server or the network is down,
// and changing the port would be the wrong thing to do. Other failures are explained as by
// Explain.
func ExplainWaiting(err error) string {
	var (
		te  *TimeoutError
		ne  net.Error
		dns *net.DNSError
	)
	server := "The outgoing mail server"
	if addr := dialedAddr(err); addr != "" {
		server += " (" + addr + ")"
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return server + " refused the connection: it is not running or is restarting. Nothing needs changing on your side."
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETDOWN):
		return server + " cannot be reached: the network is off or down."
	case errors.As(err, &dns) && !dns.IsNotFound:
		return fmt.Sprintf("The server name %s could not be looked up: the network is off or down.", dns.Name)
	case errors.As(err, &te):
		return fmt.Sprintf("%s did not answer within %s: it may be down or overloaded, or the network is slow.", server, seconds(te.After))
	case errors.As(err, &ne) && ne.Timeout():
		return server + " did not answer in time: it may be down or overloaded, or the network is slow."
	case errors.Is(err, ErrConnectionLost), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return server + " closed the connection before the message was accepted: it may be restarting."
	}
	return Explain(err)
}

// dialedAddr is the address of the connection that failed in err, "" when it names none.
func dialedAddr(err error) string {
	var side *SideError
	if errors.As(err, &side) && side.Addr != "" {
		return side.Addr
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	return ""
}
