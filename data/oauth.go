package data

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// AuthMethod is how a mailbox signs in to one of its provider's servers.
type AuthMethod string

// The sign-in choices of a provider card, for incoming and outgoing mail each.
const (
	AuthPassword AuthMethod = "password" // a password typed by the person (LOGIN, AUTH PLAIN)
	AuthOAuth2   AuthMethod = "oauth2"   // OAuth 2.0 through the browser (SASL XOAUTH2, OAUTHBEARER)
)

// Title returns the words people see for a.
func (a AuthMethod) Title() string {
	switch a {
	case AuthPassword:
		return "Password"
	case AuthOAuth2:
		return "OAuth 2.0 (browser)"
	}
	return string(a)
}

func (a AuthMethod) valid() bool { return a == AuthPassword || a == AuthOAuth2 }

// OAuth2 is a provider's OAuth 2.0 authorization server and the application registered there.
// The client secret, when there is one, is not here: it is kept in the OS keyring (see
// ClientSecretRef). Desktop applications are public clients and use PKCE instead.
type OAuth2 struct {
	Issuer   string   // the clientConfig <issuer>, for people; "" for none
	AuthURL  string   // the authorization endpoint
	TokenURL string   // the token endpoint
	Scopes   []string // the scopes asked for
	ClientID string   // the application (client) ID; "" until an administrator enters it
}

// Limits of the OAuth 2.0 fields.
const (
	MaxURLLen      = 2000
	MaxClientIDLen = 500
	MaxScopes      = 20
)

// Field names of the OAuth 2.0 part of a provider card, used in validation errors.
const (
	FieldIMAPAuth      = "imap_auth"
	FieldSMTPAuth      = "smtp_auth"
	FieldOAuthAuthURL  = "oauth_auth_url"
	FieldOAuthTokenURL = "oauth_token_url"
	FieldOAuthScopes   = "oauth_scopes"
	FieldOAuthClientID = "oauth_client_id"
)

// UsesOAuth reports whether incoming or outgoing mail of p signs in with OAuth 2.0.
func (p *Provider) UsesOAuth() bool {
	return p.IMAPEnabled && p.IMAPAuth == AuthOAuth2 || p.SMTPEnabled && p.SMTPAuth == AuthOAuth2
}

// NeedsClientID reports whether p signs in with OAuth 2.0 but has no client ID yet, as a
// provider imported from a clientConfig file has: an administrator must enter one.
func (p *Provider) NeedsClientID() bool { return p.UsesOAuth() && p.OAuth.ClientID == "" }

// SameSignIn reports whether p and q sign in the same way, with the same OAuth 2.0 fields.
func SameSignIn(p, q *Provider) bool {
	auth := func(a AuthMethod) AuthMethod {
		if a == "" {
			return AuthPassword
		}
		return a
	}
	return auth(p.IMAPAuth) == auth(q.IMAPAuth) && auth(p.SMTPAuth) == auth(q.SMTPAuth) &&
		p.OAuth.Issuer == q.OAuth.Issuer && p.OAuth.AuthURL == q.OAuth.AuthURL && p.OAuth.TokenURL == q.OAuth.TokenURL &&
		p.OAuth.ClientID == q.OAuth.ClientID && slices.Equal(p.OAuth.Scopes, q.OAuth.Scopes)
}

// ClientSecretRef returns the keyring entry name of the OAuth 2.0 client secret of provider id.
func ClientSecretRef(id int64) string { return fmt.Sprintf("provider#%d#oauth-client-secret", id) }

// normalizeOAuth checks the sign-in methods and, when either is OAuth 2.0, the OAuth fields.
func normalizeOAuth(v *ValidationError, p *Provider) {
	if p.IMAPAuth == "" {
		p.IMAPAuth = AuthPassword
	}
	if p.SMTPAuth == "" {
		p.SMTPAuth = AuthPassword
	}
	if !p.IMAPAuth.valid() {
		v.add(FieldIMAPAuth, "Choose how incoming mail signs in")
	}
	if !p.SMTPAuth.valid() {
		v.add(FieldSMTPAuth, "Choose how outgoing mail signs in")
	} else if p.IMAPEnabled && p.SMTPEnabled && p.IMAPAuth != p.SMTPAuth {
		// One mailbox keeps one secret in the keyring: a password or a refresh token.
		v.add(FieldSMTPAuth, "Outgoing mail must sign in the same way as incoming mail")
	}
	o := &p.OAuth
	o.Issuer = strings.TrimSpace(o.Issuer)
	o.ClientID = strings.TrimSpace(o.ClientID)
	o.Scopes = cleanScopes(o.Scopes)
	o.AuthURL, o.TokenURL = strings.TrimSpace(o.AuthURL), strings.TrimSpace(o.TokenURL)
	if p.IMAPAuth != AuthOAuth2 && p.SMTPAuth != AuthOAuth2 {
		return // fields kept as they are, unused
	}
	if err := CheckOAuthURL(o.AuthURL); err != nil {
		v.add(FieldOAuthAuthURL, err.Error())
	}
	if err := CheckOAuthURL(o.TokenURL); err != nil {
		v.add(FieldOAuthTokenURL, err.Error())
	}
	switch {
	case len(o.Scopes) == 0:
		v.add(FieldOAuthScopes, "Enter the scopes to ask for, for example https://mail.google.com/")
	case len(o.Scopes) > MaxScopes:
		v.add(FieldOAuthScopes, fmt.Sprintf("At most %d scopes are allowed", MaxScopes))
	}
	for _, s := range o.Scopes {
		if strings.ContainsAny(s, "\"\\") || !isPrintableASCII(s) {
			v.add(FieldOAuthScopes, fmt.Sprintf("The scope %q contains characters a scope cannot have", s))
			break
		}
	}
	switch {
	case utf8.RuneCountInString(o.ClientID) > MaxClientIDLen:
		v.add(FieldOAuthClientID, fmt.Sprintf("The client ID is longer than %d characters", MaxClientIDLen))
	case o.ClientID != "" && (!isPrintableASCII(o.ClientID) || strings.Contains(o.ClientID, " ")):
		v.add(FieldOAuthClientID, "The client ID cannot contain spaces or symbols outside ASCII")
	}
}

// cleanScopes splits scopes given as separate entries or separated by spaces, dropping empty
// ones and repeats.
func cleanScopes(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		for _, f := range strings.Fields(s) {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// CheckOAuthURL checks an authorization or token endpoint: an absolute https URL, or http only
// to this computer's loopback address (tokens travel only over TLS). The error says what is
// wrong in plain words.
func CheckOAuthURL(s string) error {
	if s == "" {
		return fmt.Errorf("Enter the address, starting with https://")
	}
	if len(s) > MaxURLLen {
		return fmt.Errorf("The address is longer than %d characters", MaxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("Enter a whole address, such as https://accounts.example.com/o/oauth2/auth")
	}
	if u.User != nil || u.Fragment != "" {
		return fmt.Errorf("The address cannot contain a user name or a # part")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("The address must use https, because tokens travel only over encrypted connections")
	}
	return fmt.Errorf("The address must start with https://")
}

// IsLoopbackHost reports whether host names this computer's loopback interface.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// oauthColumns are the OAuth 2.0 columns of providers, read after providerColumns.
const oauthColumns = `, p.imap_auth, p.smtp_auth, p.oauth_issuer, p.oauth_auth_url, p.oauth_token_url,
	p.oauth_scopes, p.oauth_client_id`

// oauthDest returns the scan destinations of oauthColumns into p and the scopes' text,
// which setScopes then splits.
func oauthDest(p *Provider, scopes *string) []any {
	return []any{&p.IMAPAuth, &p.SMTPAuth, &p.OAuth.Issuer, &p.OAuth.AuthURL, &p.OAuth.TokenURL, scopes, &p.OAuth.ClientID}
}

// writeOAuth stores the OAuth 2.0 fields of provider p, already written otherwise.
func writeOAuth(tx *sql.Tx, p *Provider) error {
	_, err := tx.Exec(`UPDATE providers SET imap_auth = ?, smtp_auth = ?, oauth_issuer = ?, oauth_auth_url = ?,
		oauth_token_url = ?, oauth_scopes = ?, oauth_client_id = ? WHERE id = ?`,
		p.IMAPAuth, p.SMTPAuth, p.OAuth.Issuer, p.OAuth.AuthURL, p.OAuth.TokenURL,
		strings.Join(p.OAuth.Scopes, " "), p.OAuth.ClientID, p.ID)
	if err != nil {
		return fmt.Errorf("write sign-in of provider %d: %w", p.ID, err)
	}
	return nil
}
