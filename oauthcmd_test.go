package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// browserScript writes a stand-in for the person's browser, for $BROWSER: it opens the
// address, and follows the authorization server's redirect back to Mailroom, or (mode
// "deny") answers Mailroom as a browser whose user said no.
func browserScript(t *testing.T, mode string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "browser")
	script := `#!/usr/bin/env python3
import sys, http.client, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
q = urllib.parse.parse_qs(url.query)
if "` + mode + `" == "deny":
    back = q["redirect_uri"][0] + "?" + urllib.parse.urlencode({"error": "access_denied", "state": q["state"][0]})
else:
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    c.request("GET", url.path + "?" + url.query)
    back = c.getresponse().getheader("Location")
b = urllib.parse.urlparse(back)
c = http.client.HTTPConnection(b.hostname, b.port, timeout=30)
c.request("GET", b.path + "?" + b.query)
open(sys.argv[0] + ".page", "w").write(c.getresponse().read().decode())
`
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOAuthCommands sets a provider up with "providers oauth", adds a mailbox with "mailbox
// add --oauth" through $BROWSER, and checks the bad inputs: plain http endpoints, a provider
// without OAuth, a refused sign-in. Nothing is saved half, and no token is in the database,
// its WAL, the log or the output.
func TestOAuthCommands(t *testing.T) {
	m := loadMailEnv(t)
	srv := testenv.Load(t)
	db := testServersDB(t, m)
	var transcript strings.Builder
	do := func(stdin string, args ...string) (int, string, string) {
		code, out, errOut := cli(stdin, append([]string{"--db", db}, args...)...)
		transcript.WriteString(out + errOut)
		return code, out, errOut
	}
	imapFP, smtpFP := certFingerprint(t, m, m.imaps, false), certFingerprint(t, m, m.submission, true)

	code, _, errOut := do("", "mailbox", "add", m.user, "--oauth")
	if code != 2 || !strings.Contains(errOut, "signs in with a password") {
		t.Fatalf("--oauth for a password provider: %d %q", code, errOut)
	}
	code, _, errOut = do("", "providers", "oauth", "Test servers", "--client-id", srv.OAuthClientID,
		"--auth-url", srv.OAuthURL+"/authorize", "--token-url", "http://oauth.example.test/token", "--scope", "mail")
	if code != 1 || !strings.Contains(errOut, "must use https") {
		t.Fatalf("a plain-http token endpoint: %d %q", code, errOut)
	}
	if p := testProviderOf(t, db); p.UsesOAuth() {
		t.Fatal("the refused setup was saved")
	}
	code, out, errOut := do("", "providers", "oauth", "Test servers", "--client-id", srv.OAuthClientID,
		"--auth-url", srv.OAuthURL+"/authorize", "--token-url", srv.OAuthURL+"/token", "--scope", "mail")
	if code != 0 || !strings.Contains(out, "signs in with OAuth 2.0") {
		t.Fatalf("providers oauth: %d %q %q", code, out, errOut)
	}
	code, out, _ = do("", "lookup", m.user, "--json")
	if code != 0 || strings.Count(out, `"auth": "oauth2"`) != 2 {
		t.Errorf("lookup --json: %d %s", code, out)
	}
	code, _, errOut = do(m.pass+"\n", "mailbox", "add", m.user, "--password-stdin")
	if code != 2 || !strings.Contains(errOut, "--oauth") {
		t.Errorf("a password for an OAuth provider: %d %q", code, errOut)
	}

	t.Setenv("BROWSER", browserScript(t, "deny"))
	code, _, errOut = do("", "mailbox", "add", m.user, "--oauth", "--trust-cert", imapFP, "--trust-cert", smtpFP)
	if code != 1 || !strings.Contains(errOut, "declined") || !strings.Contains(errOut, "http://127.0.0.1:") {
		t.Fatalf("a declined sign-in: %d %q", code, errOut)
	}
	if code, out, _ := do("", "mailbox", "list", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("a declined sign-in saved a mailbox: %s", out)
	}

	browser := browserScript(t, "follow")
	t.Setenv("BROWSER", browser)
	code, out, errOut = do("", "mailbox", "add", m.user, "--oauth", "--trust-cert", imapFP, "--trust-cert", smtpFP)
	if code != 0 || !strings.Contains(out, "Added "+m.user) || !strings.Contains(out, "OAUTHBEARER") {
		t.Fatalf("mailbox add --oauth: %d\n%s\n%s", code, out, errOut)
	}
	if page, _ := os.ReadFile(browser + ".page"); !strings.Contains(string(page), "return to Mailroom") {
		t.Errorf("the browser landed on %q", page)
	}
	code, out, errOut = do("", "sync", m.user, "--folder", "INBOX")
	if code != 0 {
		t.Fatalf("sync: %d %s %s", code, out, errOut)
	}

	s, err := data.Open(db, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	box, err := s.MailboxByAddress(context.Background(), m.user)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	secrets := data.NewSecrets()
	refresh, err := secrets.Get(context.Background(), box.KeyringRef)
	if err != nil || len(refresh) < 20 {
		t.Fatalf("no refresh token in the keyring: %v", err)
	}
	if code, _, errOut := do("", "mailbox", "remove", m.user); code != 0 {
		t.Fatalf("remove: %s", errOut)
	}
	if _, err := secrets.Get(context.Background(), box.KeyringRef); err == nil {
		t.Error("the refresh token outlived its mailbox")
	}
	files := map[string][]byte{"output": []byte(transcript.String())}
	for _, name := range []string{db, db + "-wal", filepath.Join(filepath.Dir(db), "mailroom.log")} {
		if b, err := os.ReadFile(name); err == nil {
			files[filepath.Base(name)] = b
		}
	}
	for name, b := range files {
		if bytes.Contains(b, []byte(refresh)) {
			t.Errorf("the refresh token is in %s", name)
		}
	}
}

func testProviderOf(t *testing.T, db string) *data.Provider {
	t.Helper()
	s, err := data.Open(db, currentUser())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.List(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("providers %v %v", list, err)
	}
	return list[0]
}
