package gui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
)

func TestCardOAuthFieldsPresetsAndBadInput(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	c := u.openCard(nil)
	fillCard(c, "Gmail", "imap.gmail.com", "smtp.gmail.com")
	if c.oauth.card.Visible() {
		t.Fatal("the OAuth 2.0 fields show for a password provider")
	}
	act(u, func() { c.oauth.preset.SetSelected("Google") })
	if !c.oauth.card.Visible() || c.oauth.imapAuth.Selected != data.AuthOAuth2.Title() || c.oauth.smtpAuth.Selected != data.AuthOAuth2.Title() {
		t.Fatal("the Google preset did not turn on OAuth 2.0 for both servers")
	}
	if c.oauth.tokenURL.Text != "https://oauth2.googleapis.com/token" || !strings.Contains(c.oauth.scopes.Text, "https://mail.google.com/") ||
		!strings.Contains(c.oauth.register.Text, "Desktop app") {
		t.Errorf("preset filled %q %q %q", c.oauth.tokenURL.Text, c.oauth.scopes.Text, c.oauth.register.Text)
	}

	// Bad input is shown beside its field, and nothing is saved.
	act(u, func() {
		c.oauth.tokenURL.SetText("http://oauth2.example.net/token")
		c.oauth.scopes.SetText("")
		c.oauth.clientID.SetText("has a space")
		c.oauth.smtpAuth.SetSelected(data.AuthPassword.Title())
	})
	test.Tap(c.save)
	u.jobs.Wait()
	for field, want := range map[string]string{
		data.FieldOAuthTokenURL: "must use https", data.FieldOAuthScopes: "Enter the scopes",
		data.FieldOAuthClientID: "spaces", data.FieldSMTPAuth: "same way",
	} {
		if l := c.errs[field]; l == nil || !l.Visible() || !strings.Contains(l.Text, want) {
			t.Errorf("beside %s: %v, want %q", field, l, want)
		}
	}
	if list, _ := s.List(context.Background()); len(list) != 0 {
		t.Fatal("a card with bad OAuth 2.0 fields was saved")
	}

	// Without a client ID it is saved, and the grid says what it needs.
	act(u, func() {
		c.oauth.preset.SetSelected("Microsoft")
		c.oauth.preset.SetSelected("Google")
		c.oauth.clientID.SetText("")
	})
	test.Tap(c.save)
	u.jobs.Wait()
	list, _ := s.List(context.Background())
	if len(list) != 1 || !list[0].NeedsClientID() {
		t.Fatalf("saved %+v", list)
	}
	if got := cellText(u.providers.rows.at(0), colLogin); got != "Needs a client ID" {
		t.Errorf("grid login cell %q", got)
	}
}

// TestNewMailboxSignsInWithTheBrowser: for a provider that signs in through the browser the
// window shows "Sign in with your browser" instead of the password; the sign-in, driven by an
// HTTP client standing in for the browser against the test authorization server, is then
// tested against Dovecot and Postfix and saved with the refresh token in the keyring only.
func TestNewMailboxSignsInWithTheBrowser(t *testing.T) {
	srv := testenv.Load(t)
	dbPath := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, dbPath, "ann")
	p := testProvider(t, s, srv.IMAPSAddr, srv.SMTPSAddr)
	p.IMAPAuth, p.SMTPAuth = data.AuthOAuth2, data.AuthOAuth2
	p.OAuth = data.OAuth2{AuthURL: srv.OAuthURL + "/authorize", TokenURL: srv.OAuthURL + "/token", Scopes: []string{"mail"}}
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)

	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait()
	if w.password.Visible() || !w.signIn.content.Visible() || w.signIn.button.Text != "Sign in with your browser" {
		t.Fatal("the window asks for a password for an OAuth 2.0 provider")
	}
	if !w.signIn.button.Disabled() || !strings.Contains(w.signIn.status.Text, "client ID") {
		t.Errorf("without a client ID: button enabled %v, %q", !w.signIn.button.Disabled(), w.signIn.status.Text)
	}
	test.Tap(w.save)
	u.jobs.Wait()
	if l := w.errs[fieldPassword]; l == nil || !strings.Contains(l.Text, "Sign in with your browser first") {
		t.Errorf("saving before signing in: %v", l)
	}
	w.dirty = false
	w.close()

	p.OAuth.ClientID = srv.OAuthClientID
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	quiet(t, u) // the screens showing providers reload
	w = openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@example.test") })
	u.jobs.Wait()
	test.Tap(w.signIn.button)
	authURL := waitFor(t, u, func() string { return w.signIn.address })
	if !strings.Contains(authURL, "code_challenge_method=S256") || !strings.Contains(authURL, "login_hint=ann%40example.test") {
		t.Errorf("authorization address %s", authURL)
	}
	page := visit(t, authURL)
	u.jobs.Wait()
	if !strings.Contains(page, "return to Mailroom") || w.signIn.token == nil || !strings.Contains(w.signIn.status.Text, "Signed in") {
		t.Fatalf("after the browser came back: %q, %q", page, w.signIn.status.Text)
	}
	test.Tap(w.save)
	u.jobs.Wait()
	test.Tap(w.trust) // the test CA, compared and trusted as a person would
	u.jobs.Wait()
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 || list[0].State != data.MailboxOK {
		t.Fatalf("mailboxes %+v; %q", list, w.result.Text)
	}
	refresh, err := data.NewSecrets().Get(context.Background(), list[0].KeyringRef)
	if err != nil || refresh == "" {
		t.Fatalf("no refresh token in the keyring: %v", err)
	}
	defer data.NewSecrets().Delete(context.Background(), list[0].KeyringRef)

	// Revoked later: the mailbox says so and offers "Sign in again", which signs in afresh.
	if err := s.SetMailboxState(context.Background(), list[0].ID, data.MailboxSignIn, "Sign in again: revoked."); err != nil {
		t.Fatal(err)
	}
	act(u, u.mailboxes.load)
	u.jobs.Wait()
	act(u, func() { u.mailboxes.selected = list[0].ID; u.mailboxes.updateButtons() })
	if !u.mailboxes.signIn.Visible() || stateText(u.mailboxes.current()) != "Sign in again: revoked." {
		t.Fatalf("a mailbox to sign in again: button shown %v, state %q", u.mailboxes.signIn.Visible(), stateText(u.mailboxes.current()))
	}
	var again *mailboxWindow
	act(u, func() { again = u.openMailbox(u.mailboxes.current()); again.startSignIn() })
	visit(t, waitFor(t, u, func() string { return again.signIn.address }))
	u.jobs.Wait()
	test.Tap(again.save)
	u.jobs.Wait()
	after, _ := s.Mailboxes(context.Background())
	newRefresh, _ := data.NewSecrets().Get(context.Background(), list[0].KeyringRef)
	if after[0].State != data.MailboxOK || newRefresh == refresh || newRefresh == "" {
		t.Errorf("after signing in again: %q %q, refresh token replaced %v", after[0].State, again.result.Text, newRefresh != refresh)
	}
	s.Close()
	for _, name := range []string{dbPath, dbPath + "-wal"} {
		if b, err := os.ReadFile(name); err == nil && bytes.Contains(b, []byte(refresh)) {
			t.Errorf("the refresh token is in %s", filepath.Base(name))
		}
	}
}

// waitFor reads get on the UI until it returns something; the browser sign-in shows its
// address only once the background work has prepared it.
func waitFor(t *testing.T, u *UI, get func() string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var v string
		act(u, func() { v = get() })
		if v != "" {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the sign-in address never showed")
	return ""
}

// visit does what the browser does: follow the authorization server's redirect back to
// Mailroom, and return the page it lands on.
func visit(t *testing.T, authURL string) string {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
