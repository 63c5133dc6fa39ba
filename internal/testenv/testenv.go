// Package testenv tells integration tests where the real mail servers started by
// .ci/mailservers.sh (usually through .ci/with-test-env.sh) are listening.
//
// The servers are a private Dovecot (IMAP) and Postfix (SMTP submission) on loopback,
// with certificates from a throw-away test CA. Mail to @example.test is delivered to the
// test users' Maildirs; mail to any other domain is silently discarded.
package testenv

import (
	"net"
	"os"
	"strings"
	"testing"
)

// Servers describes the running test mail servers.
type Servers struct {
	// CAFile is the PEM file of the test CA that signed every server certificate.
	// The certificate is valid for localhost, 127.0.0.1, 127.0.0.2 and mail.example.test.
	CAFile string

	// IMAPSAddr is the host:port of IMAP with implicit TLS.
	IMAPSAddr string
	// IMAPStartTLSAddr is the host:port of IMAP that offers STARTTLS, on 127.0.0.1.
	// Dovecot treats a connection from its own address as secure, so it would accept
	// LOGIN here even before STARTTLS; use IMAPPlainAddr to test that a client refuses
	// to send a password in the clear.
	IMAPStartTLSAddr string
	// IMAPPlainAddr is the host:port of IMAP on 127.0.0.2, where Dovecot behaves like a
	// remote server: it advertises LOGINDISABLED until STARTTLS has been done.
	IMAPPlainAddr string

	// SMTPSAddr is the host:port of SMTP submission with implicit TLS; AUTH is required.
	SMTPSAddr string
	// SubmissionAddr is the host:port of SMTP submission with mandatory STARTTLS;
	// AUTH is required.
	SubmissionAddr string

	// SilentAddr is the host:port of a listener that accepts TCP connections and never
	// sends a byte, for timeout tests.
	SilentAddr string

	// Users maps each test account's address (e.g. ann@example.test) to its password.
	Users map[string]string

	// MaildirRoot is the root of the test users' Maildirs; user u@d keeps its mail in
	// MaildirRoot/d/u/Maildir. Seeding by writing files there directly is much faster
	// than SMTP or APPEND. The tree is owned by the "mail" user, which Dovecot runs as:
	// chown anything created there to mail:mail (or create it with group/other write
	// permission) before Dovecot first opens the folder.
	MaildirRoot string

	// Dir is the folder holding the whole instance (configuration, logs, sockets).
	Dir string

	// OAuthURL is the base URL (http, loopback) of the test OAuth 2.0 authorization server,
	// .ci/oauth-server.py: /authorize redirects at once with a code for the login_hint user,
	// /token, /revoke, and /control/... change its behaviour (see the script). Dovecot checks
	// access tokens there, so IMAP and SMTP take XOAUTH2 and OAUTHBEARER with them.
	OAuthURL string
	// OAuthClientID is the only client ID the authorization server knows.
	OAuthClientID string
	// OAuthHTTPSURL is the same authorization server over https, with a certificate of the
	// test CA (CAFile).
	OAuthHTTPSURL string
}

// Load returns the test servers described by the MAILROOM_TEST_* environment variables.
// When they are absent it fails the test if CI=true (integration tests must never be
// skipped in CI) and skips it otherwise. A partial or malformed environment always fails.
func Load(t testing.TB) Servers {
	t.Helper()
	get := os.Getenv
	if get("MAILROOM_TEST_IMAPS_PORT") == "" && get("MAILROOM_TEST_CA") == "" {
		if get("CI") == "true" {
			t.Fatal("mail servers not running (MAILROOM_TEST_* unset) but CI=true; run tests via .ci/with-test-env.sh")
		}
		t.Skip("mail servers not running; use make test")
	}

	var missing []string
	need := func(key string) string {
		v := get(key)
		if v == "" {
			missing = append(missing, key)
		}
		return v
	}
	local := func(key string) string {
		p := need(key)
		if p == "" {
			return ""
		}
		return net.JoinHostPort("127.0.0.1", p)
	}
	s := Servers{
		CAFile:           need("MAILROOM_TEST_CA"),
		IMAPSAddr:        local("MAILROOM_TEST_IMAPS_PORT"),
		IMAPStartTLSAddr: local("MAILROOM_TEST_IMAP_STARTTLS_PORT"),
		IMAPPlainAddr:    need("MAILROOM_TEST_IMAP_PLAIN_ADDR"),
		SMTPSAddr:        local("MAILROOM_TEST_SMTPS_PORT"),
		SubmissionAddr:   local("MAILROOM_TEST_SUBMISSION_PORT"),
		SilentAddr:       need("MAILROOM_TEST_SILENT_ADDR"),
		MaildirRoot:      need("MAILROOM_TEST_MAILDIR"),
		Dir:              need("MAILROOM_TEST_DIR"),
		OAuthURL:         need("MAILROOM_TEST_OAUTH_URL"),
		OAuthClientID:    need("MAILROOM_TEST_OAUTH_CLIENT_ID"),
		OAuthHTTPSURL:    need("MAILROOM_TEST_OAUTH_HTTPS_URL"),
		Users:            map[string]string{},
	}
	for _, pair := range strings.Split(need("MAILROOM_TEST_USERS"), ",") {
		if pair == "" {
			continue
		}
		user, pass, ok := strings.Cut(pair, ":")
		if !ok || user == "" {
			t.Fatalf("malformed MAILROOM_TEST_USERS entry %q (want user:password)", pair)
		}
		s.Users[user] = pass
	}
	if len(missing) > 0 {
		t.Fatalf("incomplete mail test environment, missing %s", strings.Join(missing, ", "))
	}
	if len(s.Users) == 0 {
		t.Fatal("MAILROOM_TEST_USERS lists no users")
	}
	return s
}

// NeedKeyring skips a test that needs the OS keyring (gnome-keyring on the private D-Bus
// session that .ci/with-test-env.sh starts) when there is none, and fails it when CI=true.
func NeedKeyring(t testing.TB) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no D-Bus session but CI=true; run tests via .ci/with-test-env.sh")
		}
		t.Skip("no D-Bus session with a keyring; run via .ci/with-test-env.sh")
	}
}
