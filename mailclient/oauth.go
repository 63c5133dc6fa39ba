package mailclient

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"mailroom/data"
)

// Errors of signing in with OAuth 2.0; Explain turns each into a sentence.
var (
	// ErrNoClientID: the provider signs in with OAuth 2.0 but has no application (client) ID.
	ErrNoClientID = errors.New("provider has no OAuth client ID")
	// ErrSignInDenied: the person (or the provider) declined in the browser (error=access_denied).
	ErrSignInDenied = errors.New("sign-in was declined in the browser")
	// ErrSignInState: the browser came back with another sign-in's state, or without one.
	ErrSignInState = errors.New("sign-in answer does not match the request")
	// ErrSignInTimeout: the browser did not come back in time.
	ErrSignInTimeout = errors.New("the browser did not come back")
	// ErrSignInAgain: the authorization server refused the saved refresh token (revoked or
	// expired, invalid_grant); the person must sign in again.
	ErrSignInAgain = errors.New("sign-in expired or was revoked")
	// ErrTokenEndpoint: the token endpoint could not be reached or answered with something
	// other than a token or an OAuth error.
	ErrTokenEndpoint = errors.New("token endpoint failed")
	// ErrTokenRefused: the mail server refused the access token (IMAP NO, SMTP 535).
	ErrTokenRefused = errors.New("server refused the access token")
)

// OAuthError is an OAuth 2.0 error answer (RFC 6749 §5.2, §4.1.2.1), without anything else of
// the response: error answers carry no token, but the log gets only what is needed.
type OAuthError struct {
	Code        string // e.g. "invalid_grant", "access_denied"
	Description string
}

func (e *OAuthError) Error() string {
	if e.Description == "" {
		return "oauth error " + e.Code
	}
	return fmt.Sprintf("oauth error %s: %s", e.Code, e.Description)
}

// Tokens are what a browser sign-in obtained: the access token for the mail servers, valid
// until Expiry, and the refresh token that gets new ones, which the caller saves in the
// keyring with the mailbox (SaveNewMailbox, UpdateMailbox).
type Tokens struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time // zero when the token endpoint did not say
}

// SignInTimeout is how long a browser sign-in waits for the browser to come back.
const SignInTimeout = 5 * time.Minute

// tokenHTTPTimeout bounds each request to a token endpoint.
const tokenHTTPTimeout = 30 * time.Second

// oauthConfig returns the OAuth 2.0 client of provider p, redirecting to redirect.
func oauthConfig(p *data.Provider, clientSecret, redirect string) (*oauth2.Config, error) {
	if p.OAuth.ClientID == "" {
		return nil, fmt.Errorf("provider %s: %w", p.Name, ErrNoClientID)
	}
	v := &data.ValidationError{}
	for field, u := range map[string]string{data.FieldOAuthAuthURL: p.OAuth.AuthURL, data.FieldOAuthTokenURL: p.OAuth.TokenURL} {
		if err := data.CheckOAuthURL(u); err != nil {
			v.Fields = append(v.Fields, &data.FieldError{Field: field, Msg: err.Error()})
		}
	}
	if len(v.Fields) > 0 {
		return nil, fmt.Errorf("provider %s endpoints: %w", p.Name, v)
	}
	style := oauth2.AuthStyleInParams // a public client sends its ID in the form
	if clientSecret != "" {
		style = oauth2.AuthStyleAutoDetect
	}
	return &oauth2.Config{
		ClientID: p.OAuth.ClientID, ClientSecret: clientSecret, RedirectURL: redirect, Scopes: p.OAuth.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.OAuth.AuthURL, TokenURL: p.OAuth.TokenURL, AuthStyle: style},
	}, nil
}

// tokenContext gives oauth2 an HTTP client with a timeout and the system's TLS verification.
func tokenContext(ctx context.Context, client *http.Client) context.Context {
	if client == nil {
		client = &http.Client{Timeout: tokenHTTPTimeout}
	}
	return context.WithValue(ctx, oauth2.HTTPClient, client)
}

// tokenError classifies a token endpoint's failure: an OAuth error answer (invalid_grant
// among them, as grantErr) or the endpoint being down.
func tokenError(what string, err error, grantErr error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		oe := &OAuthError{Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.ErrorCode == "invalid_grant" {
			return fmt.Errorf("%s: %w: %w", what, grantErr, oe)
		}
		return fmt.Errorf("%s: %w: %w", what, ErrTokenEndpoint, oe)
	}
	if errors.As(err, &re) {
		return fmt.Errorf("%s: %w: HTTP %s", what, ErrTokenEndpoint, re.Response.Status)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, context.Canceled)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w: %w", what, ErrTokenEndpoint, ue.Err) // the URL is in the provider card
	}
	return fmt.Errorf("%s: %w: %w", what, ErrTokenEndpoint, err)
}

// SignIn is a browser sign-in in progress (the authorization code flow with PKCE, RFC 7636,
// and a loopback redirect, RFC 8252 §7.3): URL is the address to open in the browser. Wait
// takes the browser's answer and exchanges it for tokens. A SignIn is used once.
type SignIn struct {
	// URL is the authorization endpoint's address with this sign-in's parameters.
	URL string

	cfg      *oauth2.Config
	verifier string
	state    string
	ln       net.Listener
	client   *http.Client
	once     sync.Once
	result   chan callback
}

type callback struct {
	code string
	err  error
}

// StartSignIn prepares the sign-in of address at provider p: it listens on a random port of
// 127.0.0.1 (only there) for the browser's return and returns the address to open. client,
// when not nil, is the HTTP client for the token endpoint. It fails with ErrNoClientID or a
// *data.ValidationError for an endpoint that is not https (or http to loopback).
func StartSignIn(p *data.Provider, address, clientSecret string, client *http.Client) (*SignIn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the browser: %w", err)
	}
	redirect := "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/"
	cfg, err := oauthConfig(p, clientSecret, redirect)
	if err != nil {
		ln.Close()
		return nil, err
	}
	state, err := randomState()
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &SignIn{cfg: cfg, verifier: oauth2.GenerateVerifier(), state: state, ln: ln, client: client, result: make(chan callback, 1)}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(s.verifier), oauth2.AccessTypeOffline,
		oauth2.SetAuthURLParam("login_hint", address)}
	if u, err := url.Parse(p.OAuth.AuthURL); err == nil && u.Hostname() == "accounts.google.com" {
		// Google issues a refresh token only with consent: without this, signing in again
		// after a revocation would come back with an access token alone.
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	s.URL = cfg.AuthCodeURL(state, opts...)
	return s, nil
}

func randomState() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sign-in state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Wait serves the one request the browser makes to the redirect address, closes the
// listener, and exchanges the code for tokens. It fails with ErrSignInDenied, ErrSignInState,
// ErrSignInTimeout (after timeout, or SignInTimeout when 0), ErrTokenEndpoint, ctx's error,
// or, when the token endpoint refuses the code, ErrTokenEndpoint with an *OAuthError.
func (s *SignIn) Wait(ctx context.Context, timeout time.Duration) (*Tokens, error) {
	if timeout <= 0 {
		timeout = SignInTimeout
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(s.ln)
	defer srv.Close()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var cb callback
	select {
	case cb = <-s.result:
	case <-timer.C:
		return nil, fmt.Errorf("sign-in: %w after %s", ErrSignInTimeout, timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("sign-in: %w", ctx.Err())
	}
	// One request, then no more: a second one finds the port closed. The page of the first
	// is delivered before its connection closes.
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	srv.Shutdown(shut)
	cancel()
	if cb.err != nil {
		return nil, cb.err
	}
	tok, err := s.cfg.Exchange(tokenContext(ctx, s.client), cb.code, oauth2.VerifierOption(s.verifier))
	if err != nil {
		return nil, tokenError("exchange the sign-in code", err, ErrTokenEndpoint)
	}
	if tok.RefreshToken == "" {
		return nil, fmt.Errorf("exchange the sign-in code: %w: %w", ErrTokenEndpoint,
			&OAuthError{Code: "no refresh token", Description: "the token endpoint issued an access token only"})
	}
	return &Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}, nil
}

// Close stops listening for the browser; a sign-in that is not waited for must be closed.
func (s *SignIn) Close() { s.ln.Close() }

// serve answers the browser's return to the redirect address. Only the first request to "/"
// counts; the page says to go back to Mailroom.
func (s *SignIn) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	first := false
	s.once.Do(func() { first = true })
	if !first {
		page(w, http.StatusConflict, "This sign-in is already finished", "Return to Mailroom.")
		return
	}
	s.ln.Close() // no new connection from now on; this one is still answered
	q := r.URL.Query()
	var cb callback
	switch {
	case q.Get("state") != s.state:
		cb.err = fmt.Errorf("sign-in: %w", ErrSignInState)
		page(w, http.StatusBadRequest, "Sign-in refused", "This answer does not belong to the sign-in Mailroom started. Return to Mailroom and sign in again.")
	case q.Get("error") == "access_denied":
		cb.err = fmt.Errorf("sign-in: %w: %w", ErrSignInDenied, &OAuthError{Code: "access_denied", Description: q.Get("error_description")})
		page(w, http.StatusOK, "Sign-in cancelled", "You did not allow Mailroom to use your mailbox. Return to Mailroom.")
	case q.Get("error") != "":
		cb.err = fmt.Errorf("sign-in: %w: %w", ErrTokenEndpoint, &OAuthError{Code: q.Get("error"), Description: q.Get("error_description")})
		page(w, http.StatusOK, "Sign-in failed", "The provider did not sign you in. Return to Mailroom.")
	case q.Get("code") == "":
		cb.err = fmt.Errorf("sign-in: %w: no code", ErrSignInState)
		page(w, http.StatusBadRequest, "Sign-in refused", "The answer has no sign-in code. Return to Mailroom and sign in again.")
	default:
		cb.code = q.Get("code")
		page(w, http.StatusOK, "Signed in", "You can close this page and return to Mailroom.")
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	s.result <- cb
}

func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>%s</title><h1>%s</h1><p>%s</p>",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}
