package mailclient

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/wneessen/go-mail/smtp"
)

// The SASL mechanisms that carry an OAuth 2.0 access token.
const (
	mechXOAuth2     = "XOAUTH2"     // Google's and Microsoft's; Microsoft offers only this one
	mechOAuthBearer = "OAUTHBEARER" // RFC 7628
)

// oauthMechanism returns the mechanism to use of those offered: OAUTHBEARER, the standard
// one, when offered, else XOAUTH2; "" when neither is.
func oauthMechanism(offered []string) string {
	switch {
	case slices.Contains(offered, mechOAuthBearer):
		return mechOAuthBearer
	case slices.Contains(offered, mechXOAuth2):
		return mechXOAuth2
	}
	return ""
}

// imapAuthMechanisms returns the AUTH= mechanisms of an IMAP capability set, upper case.
func imapAuthMechanisms(caps imap.CapSet) []string {
	var out []string
	for c := range caps {
		if m, ok := strings.CutPrefix(strings.ToUpper(string(c)), "AUTH="); ok {
			out = append(out, m)
		}
	}
	return out
}

// initialResponse returns the first message of mechanism mech for user with an access token.
func initialResponse(mech, user, host string, port int, token string) []byte {
	if mech == mechXOAuth2 {
		return []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
	}
	s := "n,a=" + saslName(user) + ",\x01host=" + host + "\x01port=" + strconv.Itoa(port) +
		"\x01auth=Bearer " + token + "\x01\x01"
	return []byte(s)
}

// saslName escapes a GS2 authzid (RFC 5801): "," and "=" are written =2C and =3D.
func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// oauthSASL is an IMAP SASL client for XOAUTH2 and OAUTHBEARER. emersion/go-sasl has only
// OAUTHBEARER, and its client returns an error on the server's error challenge without
// answering, which leaves the server waiting for the rest of the exchange until the deadline.
// Both mechanisms expect one more message from the client after an error challenge (RFC 7628
// §3.2.3: a single %x01; Google's and Microsoft's XOAUTH2 an empty one). An empty one would
// be written "=" by go-imap, which Dovecot answers with BAD, so %x01 is sent for both: the
// server then ends the exchange with NO and the failure is reported as a refused login.
type oauthSASL struct {
	mech    string
	initial []byte
	// challenge is the server's error challenge (a JSON status), kept for the log only.
	challenge string
}

var _ sasl.Client = (*oauthSASL)(nil)

func (c *oauthSASL) Start() (string, []byte, error) { return c.mech, c.initial, nil }

func (c *oauthSASL) Next(challenge []byte) ([]byte, error) {
	c.challenge = string(challenge)
	return []byte{0x01}, nil
}

// smtpOAuth is the SMTP side of oauthSASL for go-mail: go-mail has XOAUTH2 (which its
// auto-discovery never picks) but not OAUTHBEARER, and after a 334 error challenge both need
// the client's dummy reply before the server says 535.
type smtpOAuth struct {
	mech    string
	initial []byte
}

var _ smtp.Auth = (*smtpOAuth)(nil)

func (a *smtpOAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return a.mech, a.initial, nil }

func (a *smtpOAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.mech == mechXOAuth2 {
		return []byte{}, nil // an empty line: SMTP has no "=" to confuse it with
	}
	return []byte{0x01}, nil
}

// imapOAuth signs in to IMAP with the access token, by OAUTHBEARER or XOAUTH2, whichever the
// server offers. The token is sent only over TLS (or to a card that says "None").
func (r *stepper) imapOAuth(c *imapclient.Client, caps imap.CapSet, s Settings, token string) error {
	return r.run(StepLogin, "Sign in as "+s.Login+" (OAuth 2.0)", func(st *Step) error {
		mech := oauthMechanism(imapAuthMechanisms(caps))
		if mech == "" {
			return fmt.Errorf("imap AUTHENTICATE: offers %q: %w", strings.Join(imapAuthMechanisms(caps), " "), ErrNoAuthMechanism)
		}
		sc := &oauthSASL{mech: mech, initial: initialResponse(mech, s.Login, s.IMAP.Host, s.IMAP.Port, token)}
		if err := c.Authenticate(sc); err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				return fmt.Errorf("imap AUTHENTICATE %s: %w: %w: %w", mech, ErrTokenRefused, ErrAuthFailed,
					&ServerError{Command: "AUTHENTICATE " + mech, Text: ie.Text})
			}
			return fmt.Errorf("imap AUTHENTICATE %s: %w", mech, err)
		}
		st.Detail = "Signed in with " + mech
		return nil
	})
}

// smtpOAuth signs in to SMTP with the access token, by OAUTHBEARER or XOAUTH2, set
// explicitly: go-mail's own choice never picks XOAUTH2.
func (r *stepper) smtpOAuth(c *smtp.Client, e Endpoint, s Settings, token string) error {
	return r.run(StepAuth, "Sign in as "+s.Login+" (AUTH, OAuth 2.0)", func(st *Step) error {
		_, params := c.Extension("AUTH")
		mech := oauthMechanism(strings.Fields(strings.ToUpper(params)))
		if mech == "" {
			return fmt.Errorf("smtp AUTH offers %q: %w", params, ErrNoAuthMechanism)
		}
		a := &smtpOAuth{mech: mech, initial: initialResponse(mech, s.Login, e.Host, e.Port, token)}
		if err := c.Auth(a); err != nil {
			err = smtpError("AUTH", err)
			if errors.Is(err, ErrAuthFailed) {
				return fmt.Errorf("%w: %w", ErrTokenRefused, err)
			}
			return err
		}
		st.Detail = "Signed in with " + mech + "; no mail was sent"
		return nil
	})
}
