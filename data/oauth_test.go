package data

import (
	"context"
	"slices"
	"testing"
)

func oauthProvider(name string, domains ...string) *Provider {
	p := testProvider(name, domains...)
	p.IMAPAuth, p.SMTPAuth = AuthOAuth2, AuthOAuth2
	p.OAuth = OAuth2{
		AuthURL: "https://accounts.example.net/o/oauth2/auth", TokenURL: "https://oauth2.example.net/token",
		Scopes: []string{"https://mail.example.net/"}, ClientID: "123.apps.example.net",
	}
	return p
}

func TestOAuthProviderRoundTrips(t *testing.T) {
	s := newStore(t)
	p := oauthProvider("Example", "example.net")
	p.OAuth.Scopes = []string{" openid  email", "https://mail.example.net/", "email"}
	p.OAuth.Issuer = "accounts.example.net"
	mustSave(t, s, p)
	got, err := s.Get(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.IMAPAuth != AuthOAuth2 || got.SMTPAuth != AuthOAuth2 || got.OAuth.ClientID != "123.apps.example.net" ||
		got.OAuth.Issuer != "accounts.example.net" || got.OAuth.TokenURL != p.OAuth.TokenURL {
		t.Errorf("read back %+v %+v", got, got.OAuth)
	}
	if want := []string{"openid", "email", "https://mail.example.net/"}; !slices.Equal(got.OAuth.Scopes, want) {
		t.Errorf("scopes %q, want %q", got.OAuth.Scopes, want)
	}
	list, err := s.List(context.Background())
	if err != nil || len(list) != 1 || !list[0].UsesOAuth() || list[0].NeedsClientID() {
		t.Fatalf("List: %v %+v", err, list)
	}
	// A password provider reads back as one, with the default methods filled in.
	q := mustSave(t, s, testProvider("Plain", "plain.example"))
	got, _ = s.Get(context.Background(), q.ID)
	if got.IMAPAuth != AuthPassword || got.SMTPAuth != AuthPassword || got.UsesOAuth() {
		t.Errorf("password provider reads %q %q", got.IMAPAuth, got.SMTPAuth)
	}
}

func TestOAuthProviderWithoutClientIDIsSavedAndMarked(t *testing.T) {
	s := newStore(t)
	p := oauthProvider("Imported", "imported.example")
	p.OAuth.ClientID = ""
	mustSave(t, s, p)
	if !p.NeedsClientID() {
		t.Error("a provider without client ID is not marked")
	}
}

func TestOAuthFieldsRefuseBadInput(t *testing.T) {
	cases := []struct {
		name        string
		change      func(p *Provider)
		field, says string
	}{
		{"plain http", func(p *Provider) { p.OAuth.TokenURL = "http://oauth2.example.net/token" }, FieldOAuthTokenURL, "must use https"},
		{"no auth URL", func(p *Provider) { p.OAuth.AuthURL = "" }, FieldOAuthAuthURL, "Enter the address"},
		{"relative", func(p *Provider) { p.OAuth.AuthURL = "/auth" }, FieldOAuthAuthURL, "whole address"},
		{"other scheme", func(p *Provider) { p.OAuth.AuthURL = "ftp://x.example/" }, FieldOAuthAuthURL, "https://"},
		{"user in URL", func(p *Provider) { p.OAuth.AuthURL = "https://u:p@x.example/" }, FieldOAuthAuthURL, "user name"},
		{"no scopes", func(p *Provider) { p.OAuth.Scopes = []string{" "} }, FieldOAuthScopes, "Enter the scopes"},
		{"bad scope", func(p *Provider) { p.OAuth.Scopes = []string{"mäil"} }, FieldOAuthScopes, "cannot have"},
		{"client ID with space", func(p *Provider) { p.OAuth.ClientID = "a b" }, FieldOAuthClientID, "spaces"},
		{"bad method", func(p *Provider) { p.IMAPAuth = "kerberos" }, FieldIMAPAuth, "Choose"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			p := oauthProvider("Example", "example.net")
			c.change(p)
			err := s.Save(context.Background(), p)
			wantFieldError(t, err, c.field, c.says)
			if list, _ := s.List(context.Background()); len(list) != 0 {
				t.Errorf("saved anyway: %+v", list[0])
			}
		})
	}
}

func TestOAuthURLAllowsLoopbackHTTPOnly(t *testing.T) {
	for _, ok := range []string{"https://x.example/a", "http://127.0.0.1:8080/token", "http://[::1]/t", "http://localhost:9/t"} {
		if err := CheckOAuthURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1/t", "http://example.net/t", "http://127.0.0.1.example.net/t", "https://x.example/#frag"} {
		if err := CheckOAuthURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestMailboxSignInStateIsKeptAndCleared(t *testing.T) {
	s, pid := mailboxStore(t)
	ctx := context.Background()
	m := saveMailbox(t, s, &Mailbox{Address: "ann@example.net", ProviderID: pid, Login: "ann@example.net"})
	if err := s.SetMailboxState(ctx, m.ID, MailboxSignIn, "Sign in again."); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Mailbox(ctx, m.ID)
	if got.State != MailboxSignIn || got.LastError != "Sign in again." {
		t.Fatalf("state %q %q", got.State, got.LastError)
	}
	got.SenderName = "Ann" // an edit keeps the state it was read with
	saveMailbox(t, s, got)
	if again, _ := s.Mailbox(ctx, m.ID); again.State != MailboxSignIn {
		t.Errorf("after an edit the state is %q", again.State)
	}
	if err := s.SetMailboxState(ctx, m.ID, MailboxOK, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Mailbox(ctx, m.ID); got.State != MailboxOK {
		t.Errorf("state %q after OK", got.State)
	}
}
