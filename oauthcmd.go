package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"mailroom/data"
	"mailroom/mailclient"
)

// authName is the word lookup --json uses for a sign-in method.
func authName(a data.AuthMethod) string {
	if a == data.AuthOAuth2 {
		return "oauth2"
	}
	return "password"
}

func providersOAuth(e *env, args []string) int {
	const use = "mailroom providers oauth NAME --client-id ID [--client-secret-stdin] [--auth-url URL] [--token-url URL] [--scope SCOPE]..."
	fs := flag.NewFlagSet("providers oauth", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	clientID := fs.String("client-id", "", "the application (client) ID registered with the provider")
	secretStdin := fs.Bool("client-secret-stdin", false, "read the client secret from the first line of standard input")
	authURL := fs.String("auth-url", "", "authorization endpoint; default: the provider's, or Google's or Microsoft's for their servers")
	tokenURL := fs.String("token-url", "", "token endpoint; default as for --auth-url")
	var scopes stringList
	fs.Var(&scopes, "scope", "scope to ask for (may be repeated); default as for --auth-url")
	name, ok := parseWithAddress(e, fs, args, use)
	if !ok {
		return 2
	}
	if strings.TrimSpace(*clientID) == "" {
		fmt.Fprintln(e.stderr, "mailroom: give the client ID with --client-id")
		return 2
	}
	secret := ""
	if *secretStdin {
		var err error
		if secret, err = readPassword(e.stdin); err != nil {
			fmt.Fprintf(e.stderr, "mailroom: the client secret: %v\n", err)
			return 2
		}
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		p, err := providerByName(ctx, s, name)
		if err != nil {
			fmt.Fprintf(e.stderr, "mailroom: %v\n", err)
			return 1
		}
		if pr, ok := data.PresetFor(p); ok && !p.UsesOAuth() {
			pr.Apply(p)
		}
		p.IMAPAuth, p.SMTPAuth = data.AuthOAuth2, data.AuthOAuth2
		p.OAuth.ClientID = *clientID
		if *authURL != "" {
			p.OAuth.AuthURL = *authURL
		}
		if *tokenURL != "" {
			p.OAuth.TokenURL = *tokenURL
		}
		if len(scopes) > 0 {
			p.OAuth.Scopes = scopes
		}
		if err := p.Normalize(); err != nil {
			return fail(e, "set up oauth", err)
		}
		return saveOAuthProvider(ctx, e, s, p, secret, *secretStdin)
	})
}

// saveOAuthProvider saves p and, when given, its client secret in the keyring; a provider
// that cannot be saved leaves the keyring as it was.
func saveOAuthProvider(ctx context.Context, e *env, s *data.Store, p *data.Provider, secret string, setSecret bool) int {
	secrets := data.NewSecrets()
	ref := data.ClientSecretRef(p.ID)
	old, oldErr := secrets.Get(ctx, ref)
	if setSecret {
		if err := secrets.Set(ctx, ref, secret); err != nil {
			return fail(e, "save client secret", err)
		}
	}
	if err := s.Save(ctx, p); err != nil {
		if setSecret {
			if oldErr == nil {
				secrets.Set(context.WithoutCancel(ctx), ref, old)
			} else {
				secrets.Delete(context.WithoutCancel(ctx), ref)
			}
		}
		return fail(e, "save provider", err)
	}
	fmt.Fprintf(e.stdout, "%s signs in with OAuth 2.0: client ID %s, %s.\n", p.Name, p.OAuth.ClientID, p.OAuth.AuthURL)
	return 0
}

// mailboxAddOAuth is "mailbox add --oauth": the browser sign-in, then the same test and save
// as with a password; the refresh token goes to the keyring.
func mailboxAddOAuth(ctx context.Context, e *env, s *data.Store, m *data.Mailbox, p *data.Provider, trust []string) int {
	creds := mailclient.NewCredentials(data.NewSecrets(), nil)
	open := func(url string) error {
		fmt.Fprintf(e.stderr, "Sign in to %s in your browser; waiting up to 5 minutes (Ctrl-C cancels):\n  %s\n", m.Address, url)
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(e.stderr, "mailroom: the browser did not start (%v); open the address above yourself.\n", err)
		}
		return nil
	}
	tok, err := creds.SignInMailbox(ctx, p, m.Address, open, 0)
	if err != nil {
		return fail(e, "sign in", err)
	}
	tr := &mailclient.Trust{Pins: s, Proposed: trust}
	settings := mailclient.SettingsFor(p, m.Login, tr)
	var pins mailclient.PinRecorder
	err = mailclient.TestConnection(ctx, settings, tok.AccessToken, func(st mailclient.Step) {
		printStep(e.stdout, st)
		pins.Observe(st)
	})
	if err != nil {
		return fail(e, "test mailbox", err)
	}
	if err := mailclient.SaveNewMailbox(ctx, s, creds, m, tok.RefreshToken, pins.Pins(settings)); err != nil {
		return fail(e, "save mailbox", err)
	}
	fmt.Fprintf(e.stdout, "Added %s (signed in with OAuth 2.0).\n", m.Address)
	return 0
}

// openBrowser starts $BROWSER with url when BROWSER is set (the usual convention: a list of
// commands separated by ":", each with %s for the address or taking it as its last argument),
// else the system's opener. It does not wait for the browser.
func openBrowser(url string) error {
	if b := os.Getenv("BROWSER"); b != "" {
		var errs []error
		for _, c := range strings.Split(b, ":") {
			f := strings.Fields(c)
			if len(f) == 0 {
				continue
			}
			if strings.Contains(c, "%s") {
				for i := range f {
					f[i] = strings.ReplaceAll(f[i], "%s", url)
				}
			} else {
				f = append(f, url)
			}
			if err := startDetached(f[0], f[1:]...); err != nil {
				errs = append(errs, err)
				continue
			}
			return nil
		}
		return errors.Join(errs...)
	}
	switch runtime.GOOS {
	case "darwin":
		return startDetached("open", url)
	case "windows":
		return startDetached("rundll32", "url.dll,FileProtocolHandler", url)
	}
	return startDetached("xdg-open", url)
}

func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
