package mailclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"mailroom/data"
)

// refreshMargin is how long before its expiry an access token is replaced, so a token never
// runs out in the middle of a connection being set up.
const refreshMargin = 2 * time.Minute

// Credentials gives each mailbox what its servers take: the saved password, or for a provider
// that signs in with OAuth 2.0 an access token, kept in memory only and refreshed (with the
// refresh token saved in the keyring) before it expires. It is a SecretStore itself, passing
// passwords through to the one it wraps, so one value serves sync, sending and tests. Its
// methods are safe for concurrent use.
type Credentials struct {
	SecretStore
	client *http.Client // for token endpoints; nil for a default with a timeout

	mu     sync.Mutex
	tokens map[string]*oauth2.Token // keyring ref -> the access token in use
	// refreshing is held while a refresh token is used: servers rotate refresh tokens, so two
	// refreshes with the same one at once (a sync and the Inbox watcher) would have the second
	// refused as if the sign-in had been revoked.
	refreshing sync.Mutex
}

// NewCredentials returns Credentials over secrets; client, when not nil, is the HTTP client
// for token endpoints.
func NewCredentials(secrets SecretStore, client *http.Client) *Credentials {
	return &Credentials{SecretStore: secrets, client: client, tokens: map[string]*oauth2.Token{}}
}

// Set saves a password or refresh token under ref and forgets any access token of ref.
func (c *Credentials) Set(ctx context.Context, ref, secret string) error {
	c.forget(ref)
	return c.SecretStore.Set(ctx, ref, secret)
}

// Delete removes ref's saved secret and its access token.
func (c *Credentials) Delete(ctx context.Context, ref string) error {
	c.forget(ref)
	return c.SecretStore.Delete(ctx, ref)
}

// forget drops the access token of ref, so the next use refreshes it.
func (c *Credentials) forget(ref string) {
	c.mu.Lock()
	delete(c.tokens, ref)
	c.mu.Unlock()
}

// AccessToken returns a valid access token for mailbox m at provider p, refreshing it with the
// saved refresh token when it is missing or about to expire; a refresh token the server
// replaces is saved in its place. It fails with ErrNoPassword (nothing saved), ErrNoClientID,
// ErrSignInAgain (the refresh token was refused), ErrTokenEndpoint, or the keyring's errors.
func (c *Credentials) AccessToken(ctx context.Context, p *data.Provider, m *data.Mailbox) (string, error) {
	if at, ok := c.cached(m.KeyringRef); ok {
		return at, nil
	}
	c.refreshing.Lock()
	defer c.refreshing.Unlock()
	if at, ok := c.cached(m.KeyringRef); ok { // refreshed by another caller meanwhile
		return at, nil
	}
	refresh, err := c.SecretStore.Get(ctx, m.KeyringRef)
	if errors.Is(err, data.ErrNotFound) {
		return "", fmt.Errorf("%s: %w", m.Address, ErrNoPassword)
	}
	if err != nil {
		return "", fmt.Errorf("read sign-in of %s: %w", m.Address, err)
	}
	secret, err := clientSecret(ctx, c.SecretStore, p)
	if err != nil {
		return "", err
	}
	cfg, err := oauthConfig(p, secret, "")
	if err != nil {
		return "", err
	}
	fresh, err := cfg.TokenSource(tokenContext(ctx, c.client), &oauth2.Token{RefreshToken: refresh}).Token()
	if err != nil {
		return "", tokenError("refresh the sign-in of "+m.Address, err, ErrSignInAgain)
	}
	if fresh.RefreshToken != "" && fresh.RefreshToken != refresh {
		if err := c.SecretStore.Set(ctx, m.KeyringRef, fresh.RefreshToken); err != nil {
			return "", fmt.Errorf("save the new sign-in of %s: %w", m.Address, err)
		}
	}
	if fresh.Expiry.IsZero() {
		fresh.Expiry = time.Now().Add(time.Hour) // RFC 6749 makes expires_in optional
	}
	c.mu.Lock()
	c.tokens[m.KeyringRef] = fresh
	c.mu.Unlock()
	return fresh.AccessToken, nil
}

// cached returns the access token of ref when it is not about to expire.
func (c *Credentials) cached(ref string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tok := c.tokens[ref]
	if tok != nil && time.Until(tok.Expiry) > refreshMargin {
		return tok.AccessToken, true
	}
	return "", false
}

// clientSecret returns the OAuth 2.0 client secret of provider p from the keyring; "" when
// it has none (a public client, the usual case for desktop applications).
func clientSecret(ctx context.Context, secrets SecretStore, p *data.Provider) (string, error) {
	if p.ID == 0 {
		return "", nil
	}
	s, err := secrets.Get(ctx, data.ClientSecretRef(p.ID))
	if errors.Is(err, data.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read client secret of %s: %w", p.Name, err)
	}
	return s, nil
}

// accessTokens is what mailboxSecret needs of Credentials.
type accessTokens interface {
	AccessToken(ctx context.Context, p *data.Provider, m *data.Mailbox) (string, error)
	forget(ref string)
}

// mailboxSecret returns what m's servers take at provider p: the saved password, or an access
// token when p signs in with OAuth 2.0 (through secrets when it is a *Credentials, which keeps
// access tokens between connections; else refreshed for this use only).
func mailboxSecret(ctx context.Context, secrets PasswordSource, p *data.Provider, m *data.Mailbox) (string, error) {
	if !p.UsesOAuth() {
		password, err := secrets.Get(ctx, m.KeyringRef)
		if errors.Is(err, data.ErrNotFound) {
			return "", fmt.Errorf("%s: %w", m.Address, ErrNoPassword)
		}
		if err != nil {
			return "", fmt.Errorf("read password of %s: %w", m.Address, err)
		}
		return password, nil
	}
	return tokensOf(secrets).AccessToken(ctx, p, m)
}

func tokensOf(secrets PasswordSource) accessTokens {
	return withTokens(secrets).(accessTokens)
}

// withTokens returns secrets as a source that also keeps OAuth 2.0 access tokens: secrets
// itself when it does (Credentials), else Credentials around it. A long-lived user of secrets
// (the outbox) wraps it once, so that its access tokens are kept between messages instead of
// refreshed for each.
func withTokens(secrets PasswordSource) PasswordSource {
	switch t := secrets.(type) {
	case accessTokens:
		return secrets
	case SecretStore:
		return NewCredentials(t, nil)
	}
	return NewCredentials(readOnlySecrets{secrets}, nil)
}

// readOnlySecrets is a PasswordSource used where a SecretStore is needed: a refresh token
// the server replaces cannot be saved through it.
type readOnlySecrets struct{ PasswordSource }

func (readOnlySecrets) Set(context.Context, string, string) error {
	return errors.New("this secret store cannot save")
}
func (readOnlySecrets) Delete(context.Context, string) error {
	return errors.New("this secret store cannot delete")
}

// forgetRefused drops the access token of m after a server refused it, so the next
// connection refreshes it first (it may have been revoked before its expiry).
func forgetRefused(secrets PasswordSource, m *data.Mailbox, err error) {
	if errors.Is(err, ErrTokenRefused) {
		tokensOf(secrets).forget(m.KeyringRef)
	}
}

// retryRefused runs use, which connects with m's secret; when a server refused the access
// token, the token is dropped and use runs once more with a refreshed one, so a revoked sign-in
// is found out (ErrSignInAgain) at once rather than at the next sync.
func retryRefused(secrets PasswordSource, m *data.Mailbox, use func() error) error {
	err := use()
	if !errors.Is(err, ErrTokenRefused) {
		return err
	}
	forgetRefused(secrets, m, err)
	if err = use(); errors.Is(err, ErrTokenRefused) {
		forgetRefused(secrets, m, err)
	}
	return err
}

// recorded reports whether err, met before a connection was made, is still an outcome to
// record as the mailbox's state: a sign-in to do again, a provider without client ID, or a
// token endpoint that failed.
// Other such errors (no password, a keyring that is locked) are the caller's to show.
func recorded(err error) bool {
	return errors.Is(err, ErrSignInAgain) || errors.Is(err, ErrNoClientID) || errors.Is(err, ErrTokenEndpoint)
}

// StateOf returns the mailbox state and sentence that err, the outcome of a test or sync,
// leaves: MailboxSignIn when the sign-in must be done again.
func StateOf(err error) (data.MailboxState, string) {
	switch {
	case err == nil:
		return data.MailboxOK, ""
	case errors.Is(err, ErrSignInAgain):
		return data.MailboxSignIn, Explain(err)
	}
	return data.MailboxError, Explain(err)
}

// SignInMailbox runs the browser sign-in of address at provider p: it prepares the sign-in,
// calls open with the address the browser must show (open may also just print it), and waits
// up to timeout (SignInTimeout when 0) for the browser to come back. It returns the tokens;
// the caller tests the connection with the access token and saves the refresh token with the
// mailbox (SaveNewMailbox). Errors are those of StartSignIn and SignIn.Wait, or open's.
func (c *Credentials) SignInMailbox(ctx context.Context, p *data.Provider, address string, open func(url string) error, timeout time.Duration) (*Tokens, error) {
	secret, err := clientSecret(ctx, c.SecretStore, p)
	if err != nil {
		return nil, err
	}
	s, err := StartSignIn(p, address, secret, c.client)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := open(s.URL); err != nil {
		return nil, fmt.Errorf("open the browser: %w", err)
	}
	return s.Wait(ctx, timeout)
}

// Keep holds tok as the access token of ref, just obtained by a sign-in, so the first
// connection after it needs no refresh.
func (c *Credentials) Keep(ref string, tok *Tokens) {
	if tok == nil || tok.AccessToken == "" {
		return
	}
	t := oauth2.Token{AccessToken: tok.AccessToken, Expiry: tok.Expiry} // the keyring has the refresh token
	if t.Expiry.IsZero() {
		t.Expiry = time.Now().Add(time.Hour)
	}
	c.mu.Lock()
	c.tokens[ref] = &t
	c.mu.Unlock()
}
