package mailclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/wneessen/go-mail/smtp"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// browser stands in for the person's browser: it opens the authorization address, follows the
// authorization server's redirect to Mailroom's loopback address once, and keeps the page
// it lands on. change, when not nil, edits the redirect before it is followed.
type browser struct {
	t      *testing.T
	change func(u *url.URL)
	wg     sync.WaitGroup
	mu     sync.Mutex
	status int
	page   string
	err    error
}

var noRedirects = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// open is the function given to SignInMailbox; the browser works in the background, as a real
// one does, while Mailroom waits for it.
func (b *browser) open(authURL string) error {
	b.wg.Go(func() {
		status, page, err := b.visit(authURL)
		b.mu.Lock()
		b.status, b.page, b.err = status, page, err
		b.mu.Unlock()
	})
	return nil
}

func (b *browser) visit(authURL string) (int, string, error) {
	resp, err := noRedirects.Get(authURL)
	if err != nil {
		return 0, "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, "", errors.New("authorize answered " + resp.Status)
	}
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return 0, "", err
	}
	if b.change != nil {
		b.change(to)
	}
	return get(to.String())
}

func get(u string) (int, string, error) {
	resp, err := noRedirects.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

// landed returns the status and page the browser ended on, once it has.
func (b *browser) landed() (int, string) {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		b.t.Fatalf("browser: %v", b.err)
	}
	return b.status, b.page
}

// oauthProvider returns a provider for the test servers that signs in through the test
// authorization server, IMAP over SSL and SMTP with STARTTLS.
func oauthProvider(t *testing.T, srv testenv.Servers) *data.Provider {
	t.Helper()
	imaps, sub := ep(t, srv.IMAPSAddr, data.SecuritySSL), ep(t, srv.SubmissionAddr, data.SecurityStartTLS)
	p := data.NewProvider()
	p.Name = "Loopback OAuth"
	p.IMAP = data.Server{Host: imaps.Host, Port: imaps.Port, Security: data.SecuritySSL}
	p.SMTP = data.Server{Host: sub.Host, Port: sub.Port, Security: data.SecurityStartTLS}
	p.IMAPAuth, p.SMTPAuth = data.AuthOAuth2, data.AuthOAuth2
	p.OAuth = data.OAuth2{AuthURL: srv.OAuthURL + "/authorize", TokenURL: srv.OAuthURL + "/token",
		Scopes: []string{"mail", "offline_access"}, ClientID: srv.OAuthClientID}
	return p
}

// control calls one of the test authorization server's /control endpoints.
func control(t *testing.T, srv testenv.Servers, path string) string {
	t.Helper()
	resp, err := http.Post(srv.OAuthURL+"/control/"+path, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("control %s: %s %s", path, resp.Status, b)
	}
	return string(b)
}

// refreshes returns how many refresh grants the authorization server has answered.
func refreshes(t *testing.T, srv testenv.Servers) string {
	t.Helper()
	_, body, err := get(srv.OAuthURL + "/control/stats")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(body, `"refresh_token": `)
	return strings.SplitN(body[i+len(`"refresh_token": `):], ",", 2)[0]
}

// TestOAuthSignInSyncSendRefreshRevoke is the whole life of an OAuth 2.0 mailbox against the
// real Dovecot, Postfix and keyring: sign in through the browser, test, save, sync and send;
// the access token is refreshed before it expires and kept in memory meanwhile; a revoked
// sign-in turns the mailbox to "Sign in again" with its cache kept and its outbox waiting,
// and signing in again sends what waited. No token is ever written to the database, its WAL
// or the log.
func TestOAuthSignInSyncSendRefreshRevoke(t *testing.T) {
	srv, trust, user, _ := realServers(t)
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "mailroom.db")
	store, err := data.Open(dbPath, "tester")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p := oauthProvider(t, srv)
	if err := store.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Endpoint{ep(t, srv.IMAPSAddr, data.SecuritySSL), ep(t, srv.SubmissionAddr, data.SecurityStartTLS)} {
		pin := &data.CertPin{Host: e.Host, Port: e.Port, SHA256: serverFingerprint(t, srv.IMAPSAddr)}
		if err := store.SaveCertPin(ctx, pin); err != nil {
			t.Fatal(err)
		}
	}
	// Tokens live 30 s, less than the refresh margin: every use refreshes, so refreshing is
	// seen without waiting for a clock.
	control(t, srv, "expires_in?seconds=30")
	defer control(t, srv, "expires_in?seconds=3600")

	keyring := data.NewSecrets()
	creds := NewCredentials(keyring, nil)
	var seen []string // every token met, to look for in the files afterwards
	b := &browser{t: t}
	tok, err := creds.SignInMailbox(ctx, p, user, b.open, 0)
	if err != nil {
		t.Fatalf("SignInMailbox: %v", err)
	}
	if status, page := b.landed(); status != 200 || !strings.Contains(page, "return to Mailroom") {
		t.Errorf("browser landed on %d %q", status, page)
	}
	seen = append(seen, tok.AccessToken, tok.RefreshToken)

	var steps []Step
	err = TestConnection(ctx, SettingsFor(p, user, trust), tok.AccessToken, func(st Step) { steps = append(steps, st) })
	if err != nil {
		t.Fatalf("TestConnection: %v (%s)", err, Explain(err))
	}
	var mechs []string
	for _, st := range steps {
		if st.Status == StepDone && (st.Kind == StepLogin || st.Kind == StepAuth) {
			mechs = append(mechs, st.Detail)
		}
	}
	if len(mechs) != 2 || !strings.Contains(strings.Join(mechs, "|"), "OAUTHBEARER") {
		t.Errorf("sign-in steps %q, want both with OAUTHBEARER", mechs)
	}
	m := &data.Mailbox{Address: user, ProviderID: p.ID, Login: user}
	if err := SaveNewMailbox(ctx, store, creds, m, tok.RefreshToken, nil); err != nil {
		t.Fatal(err)
	}
	defer keyring.Delete(ctx, m.KeyringRef)
	creds.Keep(m.KeyringRef, tok)
	if saved, _ := keyring.Get(ctx, m.KeyringRef); saved != tok.RefreshToken {
		t.Fatal("the refresh token is not in the keyring")
	}

	before := refreshes(t, srv)
	if _, err := SyncMailbox(ctx, store, creds, m, SyncOptions{Folder: "INBOX"}); err != nil {
		t.Fatalf("sync: %v (%s)", err, Explain(err))
	}
	if refreshes(t, srv) == before {
		t.Error("a token about to expire was not refreshed before the sync")
	}
	rotated, _ := keyring.Get(ctx, m.KeyringRef)
	if rotated == tok.RefreshToken {
		t.Error("the rotated refresh token was not saved")
	}
	seen = append(seen, rotated)

	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	outbox := NewOutbox(store, creds, OutboxOptions{Roots: trust.Roots, Log: log})
	send := func(subject string) *data.OutboxItem {
		t.Helper()
		it, err := outbox.Queue(ctx, data.Composition{MailboxID: m.ID, From: user, To: user, Subject: subject, Body: "Hello"}, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := outbox.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := store.OutboxItem(ctx, it.ID)
		return got
	}
	if it := send("OAuth one"); it.State != data.OutboxSent {
		t.Fatalf("sent message is %q: %s", it.State, it.LastError)
	}

	// Long-lived tokens from now on: one refresh, then the token in memory serves.
	control(t, srv, "expires_in?seconds=3600")
	at, err := creds.AccessToken(ctx, p, m)
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, at)
	before = refreshes(t, srv)
	if _, err := SyncMailbox(ctx, store, creds, m, SyncOptions{Folder: "INBOX"}); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if again, _ := creds.AccessToken(ctx, p, m); again != at || refreshes(t, srv) != before {
		t.Error("a valid access token was refreshed again instead of kept")
	}
	// Two users of the mailbox at once (a sync and the Inbox watcher) with no token in memory:
	// one refresh, whose rotated refresh token the other does not reuse.
	creds.forget(m.KeyringRef)
	var wg sync.WaitGroup
	got := make([]string, 4)
	errs := make([]error, 4)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = creds.AccessToken(ctx, p, m) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("concurrent refreshes: %v; same token %v", errs[i], got[i] == got[0])
		}
	}
	seen = append(seen, got[0])
	cached := messageCount(t, store, m)
	if cached == 0 {
		t.Fatal("the sync cached no message")
	}

	// Revoked at the provider: the server refuses the token in memory, the refresh is refused,
	// and the mailbox says to sign in again, keeping its cache; the outbox waits.
	control(t, srv, "revoke?user="+url.QueryEscape(user))
	_, err = SyncMailbox(ctx, store, creds, m, SyncOptions{Folder: "INBOX"})
	if !errors.Is(err, ErrSignInAgain) {
		t.Fatalf("sync after revoke: %v, want ErrSignInAgain", err)
	}
	box, _ := store.Mailbox(ctx, m.ID)
	if box.State != data.MailboxSignIn || !strings.HasPrefix(box.LastError, "Sign in again") {
		t.Errorf("mailbox state %q %q", box.State, box.LastError)
	}
	if n := messageCount(t, store, m); n != cached {
		t.Errorf("the cache went from %d to %d messages", cached, n)
	}
	waiting := send("OAuth two")
	if waiting.State == data.OutboxSent || waiting.State == data.OutboxFailed {
		t.Fatalf("after revoke the message is %q, want it waiting", waiting.State)
	}

	// Sign in again: the new refresh token replaces the old one and the message leaves.
	b = &browser{t: t}
	tok2, err := creds.SignInMailbox(ctx, p, user, b.open, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.landed()
	seen = append(seen, tok2.AccessToken, tok2.RefreshToken)
	if err := UpdateMailbox(ctx, store, creds, box, tok2.RefreshToken, nil); err != nil {
		t.Fatal(err)
	}
	if err := RetestMailbox(ctx, store, creds, box, nil); err != nil {
		t.Fatalf("retest after signing in again: %v", err)
	}
	outbox = NewOutbox(store, creds, OutboxOptions{Roots: trust.Roots, Log: log,
		Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if err := outbox.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if it, _ := store.OutboxItem(ctx, waiting.ID); it.State != data.OutboxSent {
		t.Errorf("the waiting message is %q after signing in again: %s", it.State, it.LastError)
	}
	if at, _ := creds.AccessToken(ctx, p, m); at != "" {
		seen = append(seen, at)
	}

	store.Close()
	files := map[string][]byte{"log": logBuf.Bytes()}
	for _, name := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		if b, err := os.ReadFile(name); err == nil {
			files[filepath.Base(name)] = b
		}
	}
	for _, tk := range seen {
		for name, b := range files {
			if tk != "" && bytes.Contains(b, []byte(tk)) {
				t.Errorf("a token is in %s", name)
			}
		}
	}
}

func messageCount(t *testing.T, store *data.Store, m *data.Mailbox) int {
	t.Helper()
	folders, err := store.Folders(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range folders {
		n += f.Total
	}
	return n
}

// signInError runs a sign-in of ann at p whose browser does what visit says, and returns the
// error of the sign-in.
func signInError(t *testing.T, p *data.Provider, visit func(authURL string) error, timeout time.Duration) error {
	t.Helper()
	creds := NewCredentials(passwordsStore{}, nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	_, err := creds.SignInMailbox(context.Background(), p, "ann@example.test", func(u string) error {
		wg.Go(func() {
			if err := visit(u); err != nil {
				t.Errorf("browser: %v", err)
			}
		})
		return nil
	}, timeout)
	return err
}

// passwordsStore is an empty SecretStore: the sign-ins here save nothing.
type passwordsStore struct{}

func (passwordsStore) Get(context.Context, string) (string, error) { return "", data.ErrNotFound }
func (passwordsStore) Set(context.Context, string, string) error   { return errors.New("not saved") }
func (passwordsStore) Delete(context.Context, string) error        { return nil }

func redirectOf(authURL string) (*url.URL, url.Values) {
	u, _ := url.Parse(authURL)
	q := u.Query()
	to, _ := url.Parse(q.Get("redirect_uri"))
	return to, q
}

func TestOAuthSignInBadAnswers(t *testing.T) {
	srv, _, _, _ := realServers(t)
	p := oauthProvider(t, srv)
	p.ID = 0

	t.Run("state mismatch, then the port is closed", func(t *testing.T) {
		var second error
		err := signInError(t, p, func(u string) error {
			to, q := redirectOf(u)
			to.RawQuery = url.Values{"code": {"abc"}, "state": {q.Get("state") + "x"}}.Encode()
			status, page, err := get(to.String())
			if err != nil {
				return err
			}
			if status != http.StatusBadRequest || !strings.Contains(page, "does not belong") {
				t.Errorf("page %d %q", status, page)
			}
			_, _, second = get(to.String())
			return nil
		}, 0)
		if !errors.Is(err, ErrSignInState) {
			t.Fatalf("err %v, want ErrSignInState", err)
		}
		if second == nil {
			t.Error("a second request to the loopback port was answered")
		}
	})
	t.Run("the person says no", func(t *testing.T) {
		err := signInError(t, p, func(u string) error {
			to, q := redirectOf(u)
			to.RawQuery = url.Values{"error": {"access_denied"}, "state": {q.Get("state")}}.Encode()
			_, _, err := get(to.String())
			return err
		}, 0)
		if !errors.Is(err, ErrSignInDenied) || !strings.Contains(Explain(err), "declined") {
			t.Fatalf("err %v (%s), want ErrSignInDenied", err, Explain(err))
		}
	})
	t.Run("the token endpoint refuses the code", func(t *testing.T) {
		b := &browser{t: t, change: func(u *url.URL) {
			q := u.Query()
			q.Set("code", "made-up")
			u.RawQuery = q.Encode()
		}}
		err := signInError(t, p, func(u string) error { return b.open(u) }, 0)
		b.landed()
		var oe *OAuthError
		if !errors.Is(err, ErrTokenEndpoint) || !errors.As(err, &oe) || oe.Code != "invalid_grant" {
			t.Fatalf("err %v, want invalid_grant from the token endpoint", err)
		}
	})
	t.Run("the token endpoint is down", func(t *testing.T) {
		down := *p
		down.OAuth.TokenURL = "http://" + closedAddr(t) + "/token"
		b := &browser{t: t}
		err := signInError(t, &down, func(u string) error { return b.open(u) }, 0)
		b.landed()
		var oe *OAuthError
		if !errors.Is(err, ErrTokenEndpoint) || errors.As(err, &oe) || !strings.Contains(Explain(err), "could not be reached") {
			t.Fatalf("err %v (%s), want the endpoint down", err, Explain(err))
		}
	})
	t.Run("the browser never comes back", func(t *testing.T) {
		err := signInError(t, p, func(string) error { return nil }, 50*time.Millisecond)
		if !errors.Is(err, ErrSignInTimeout) {
			t.Fatalf("err %v, want ErrSignInTimeout", err)
		}
	})
	t.Run("no client ID", func(t *testing.T) {
		none := *p
		none.OAuth.ClientID = ""
		err := signInError(t, &none, func(string) error { t.Error("the browser was opened"); return nil }, 0)
		if !errors.Is(err, ErrNoClientID) || !strings.Contains(Explain(err), "administrator") {
			t.Fatalf("err %v (%s), want ErrNoClientID", err, Explain(err))
		}
	})
	t.Run("an endpoint over plain http to another host", func(t *testing.T) {
		plain := *p
		plain.OAuth.TokenURL = "http://oauth.example.test/token"
		err := signInError(t, &plain, func(string) error { t.Error("the browser was opened"); return nil }, 0)
		var ve *data.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.For(data.FieldOAuthTokenURL), "must use https") {
			t.Fatalf("err %v, want the token URL refused", err)
		}
	})
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestOAuthRefusedTokenOnBothServers: a token the servers do not accept is an IMAP NO and an
// SMTP 535, each explained as a refused sign-in, over both mechanisms, and no connection
// hangs waiting for the client's reply to the error challenge.
func TestOAuthRefusedTokenOnBothServers(t *testing.T) {
	srv, trust, user, _ := realServers(t)
	p := oauthProvider(t, srv)
	err := TestConnection(context.Background(), SettingsFor(p, user, trust), "not-a-token", nil)
	var sides int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		if !errors.Is(e, ErrTokenRefused) {
			t.Errorf("%v, want ErrTokenRefused", e)
		}
		sides++
	}
	if sides != 2 || !strings.Contains(Explain(err), "did not accept the sign-in token") {
		t.Errorf("%d sides; %s", sides, Explain(err))
	}
	for _, mech := range []string{mechXOAuth2, mechOAuthBearer} {
		t.Run(mech, func(t *testing.T) {
			testMechanism(t, srv, trust, user, mech)
		})
	}
}

// testMechanism signs in over IMAP and SMTP with one mechanism, first with a bad token (a NO
// and a 535, not a BAD or a hang) and then with a good one.
func testMechanism(t *testing.T, srv testenv.Servers, trust *Trust, user, mech string) {
	b := &browser{t: t}
	tok, err := NewCredentials(passwordsStore{}, nil).SignInMailbox(context.Background(), oauthProvider(t, srv), user, b.open, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.landed()
	cfg := &tls.Config{RootCAs: trust.Roots, ServerName: "127.0.0.1"}
	imaps := ep(t, srv.IMAPSAddr, data.SecuritySSL)
	for _, token := range []string{"bad-token", tok.AccessToken} {
		c, err := imapclient.DialTLS(srv.IMAPSAddr, &imapclient.Options{TLSConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
		c.WaitGreeting()
		sc := &oauthSASL{mech: mech, initial: initialResponse(mech, user, imaps.Host, imaps.Port, token)}
		err = c.Authenticate(sc)
		var ie *imap.Error
		if token == "bad-token" && (!errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo) {
			t.Errorf("IMAP %s with a bad token: %v, want NO", mech, err)
		}
		if token != "bad-token" && err != nil {
			t.Errorf("IMAP %s: %v", mech, err)
		}
		c.Close()

		sub := ep(t, srv.SubmissionAddr, data.SecurityStartTLS)
		conn, err := net.DialTimeout("tcp", srv.SubmissionAddr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		sc2, err := smtp.NewClient(conn, sub.Host)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc2.StartTLS(cfg); err != nil {
			t.Fatal(err)
		}
		err = sc2.Auth(&smtpOAuth{mech: mech, initial: initialResponse(mech, user, sub.Host, sub.Port, token)})
		if token == "bad-token" && !errors.Is(smtpError("AUTH", err), ErrAuthFailed) {
			t.Errorf("SMTP %s with a bad token: %v, want 535", mech, err)
		}
		if token != "bad-token" && err != nil {
			t.Errorf("SMTP %s: %v", mech, err)
		}
		sc2.Close()
	}
}

// TestOAuthOverHTTPSVerifiesTheCertificate: the token endpoint over https is used only when
// its certificate verifies: with the system's roots (which lack the test CA) the code
// exchange fails before anything is sent, with the test CA it succeeds.
func TestOAuthOverHTTPSVerifiesTheCertificate(t *testing.T) {
	srv, trust, user, _ := realServers(t)
	p := oauthProvider(t, srv)
	p.OAuth.AuthURL, p.OAuth.TokenURL = srv.OAuthHTTPSURL+"/authorize", srv.OAuthHTTPSURL+"/token"
	tlsBrowser := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust.Roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	visit := func(u string) error {
		resp, err := tlsBrowser.Get(u)
		if err != nil {
			return err
		}
		resp.Body.Close()
		_, _, err = get(resp.Header.Get("Location"))
		return err
	}
	var wg sync.WaitGroup
	open := func(u string) error { wg.Go(func() { visit(u) }); return nil }

	_, err := NewCredentials(passwordsStore{}, nil).SignInMailbox(context.Background(), p, user, open, 0)
	wg.Wait()
	var ue *tls.CertificateVerificationError
	if !errors.Is(err, ErrTokenEndpoint) || !errors.As(err, &ue) || !strings.Contains(Explain(err), "does not trust") {
		t.Fatalf("with the system roots: %v, want a certificate the system does not trust", err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust.Roots}}}
	tok, err := NewCredentials(passwordsStore{}, client).SignInMailbox(context.Background(), p, user, open, 0)
	wg.Wait()
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("with the test CA: %v", err)
	}
}
