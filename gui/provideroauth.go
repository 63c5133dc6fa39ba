package gui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

var authMethods = []data.AuthMethod{data.AuthPassword, data.AuthOAuth2}

// oauthFields are the OAuth 2.0 inputs of the provider card: how each server signs in, and,
// when one signs in through the browser, the authorization server and the office's application.
type oauthFields struct {
	imapAuth, smtpAuth *widget.RadioGroup
	preset             *widget.Select
	register           *widget.Label // what to register with the provider to get a client ID
	authURL, tokenURL  *escEntry
	scopes             *escEntry
	clientID           *escEntry
	secret             *escEntry // typed only to save or replace it in the keyring
	issuer             string    // from an imported file, kept as it is
	card               *widget.Card
}

func (c *providerCard) buildOAuth() {
	o := &oauthFields{}
	radio := func(field string) *widget.RadioGroup {
		r := widget.NewRadioGroup(titles(authMethods), func(string) {
			c.changed(field)
			c.updateOAuth()
		})
		r.Horizontal, r.Required = true, true
		return r
	}
	o.imapAuth, o.smtpAuth = radio(data.FieldIMAPAuth), radio(data.FieldSMTPAuth)
	o.authURL, o.tokenURL, o.scopes, o.clientID = c.entry(""), c.entry(""), c.entry(""), c.entry("")
	o.authURL.SetPlaceHolder("https://accounts.example.com/o/oauth2/auth")
	o.tokenURL.SetPlaceHolder("https://accounts.example.com/o/oauth2/token")
	o.scopes.SetPlaceHolder("Scopes separated by spaces")
	o.clientID.SetPlaceHolder("The office's own, from its registration with the provider")
	o.secret = c.entry("")
	o.secret.Password = true
	o.secret.SetPlaceHolder("Optional; kept in the system keyring. Type to save or replace it")
	o.secret.OnChanged = func(string) { c.changed("oauth_client_secret") }
	o.register = widget.NewLabel("")
	o.register.Wrapping = fyne.TextWrapWord
	var names []string
	for _, p := range data.OAuthPresets {
		names = append(names, p.Name)
	}
	o.preset = widget.NewSelect(names, c.presetChosen)
	o.preset.PlaceHolder = "Fill in from a preset…"
	intro := widget.NewLabel("Each application registers its own client with the provider: enter the office's client ID. " +
		"Register a desktop app (Google) or a “Mobile and desktop applications” platform (Microsoft) with the redirect http://127.0.0.1.")
	intro.Wrapping = fyne.TextWrapWord
	form := container.New(newFormLayout(),
		widget.NewLabel("Preset"), o.preset,
		widget.NewLabel("Authorization endpoint"), c.field(o.authURL, data.FieldOAuthAuthURL),
		widget.NewLabel("Token endpoint"), c.field(o.tokenURL, data.FieldOAuthTokenURL),
		widget.NewLabel("Scopes"), c.field(o.scopes, data.FieldOAuthScopes),
		widget.NewLabel("Application (client) ID"), c.field(o.clientID, data.FieldOAuthClientID),
		widget.NewLabel("Client secret"), c.field(o.secret, "oauth_client_secret"))
	o.card = widget.NewCard("", "OAuth 2.0 sign-in (browser)", container.NewVBox(intro, form, o.register))
	c.oauth = o
}

// presetChosen fills the endpoints and scopes of a preset, keeping the client ID.
func (c *providerCard) presetChosen(name string) {
	o := c.oauth
	for _, pr := range data.OAuthPresets {
		if pr.Name != name {
			continue
		}
		o.authURL.SetText(pr.OAuth.AuthURL)
		o.tokenURL.SetText(pr.OAuth.TokenURL)
		o.scopes.SetText(strings.Join(pr.OAuth.Scopes, " "))
		o.issuer = pr.OAuth.Issuer
		o.register.SetText(pr.Register)
		if !c.loading {
			o.imapAuth.SetSelected(data.AuthOAuth2.Title())
			o.smtpAuth.SetSelected(data.AuthOAuth2.Title())
		}
	}
}

// fillOAuth shows p's sign-in fields.
func (c *providerCard) fillOAuth(p *data.Provider) {
	o := c.oauth
	o.imapAuth.SetSelected(authOf(p.IMAPAuth).Title())
	o.smtpAuth.SetSelected(authOf(p.SMTPAuth).Title())
	o.authURL.SetText(p.OAuth.AuthURL)
	o.tokenURL.SetText(p.OAuth.TokenURL)
	o.scopes.SetText(strings.Join(p.OAuth.Scopes, " "))
	o.clientID.SetText(p.OAuth.ClientID)
	o.issuer = p.OAuth.Issuer
	if pr, ok := data.PresetFor(p); ok {
		o.register.SetText(pr.Register)
	}
	c.updateOAuth()
}

func authOf(a data.AuthMethod) data.AuthMethod {
	if a == "" {
		return data.AuthPassword
	}
	return a
}

// collectOAuth reads the sign-in fields into p.
func (c *providerCard) collectOAuth(p *data.Provider) {
	o := c.oauth
	if i := indexOf(titles(authMethods), o.imapAuth.Selected); i >= 0 {
		p.IMAPAuth = authMethods[i]
	}
	if i := indexOf(titles(authMethods), o.smtpAuth.Selected); i >= 0 {
		p.SMTPAuth = authMethods[i]
	}
	p.OAuth = data.OAuth2{Issuer: o.issuer, AuthURL: o.authURL.Text, TokenURL: o.tokenURL.Text,
		Scopes: strings.Fields(o.scopes.Text), ClientID: o.clientID.Text}
}

// updateOAuth shows the OAuth 2.0 fields only while a server signs in through the browser.
func (c *providerCard) updateOAuth() {
	o := c.oauth
	on := o.imapAuth.Selected == data.AuthOAuth2.Title() || o.smtpAuth.Selected == data.AuthOAuth2.Title()
	o.card.Hidden = !on
	o.card.Refresh()
	for _, w := range []fyne.Disableable{o.imapAuth, o.smtpAuth, o.preset, o.authURL, o.tokenURL, o.scopes, o.clientID, o.secret} {
		setEnabled(w, !c.readOnly)
	}
}

// saveClientSecret keeps a typed client secret of saved provider p in the keyring.
func (c *providerCard) saveClientSecret(ctx context.Context, p *data.Provider, secret string) error {
	if secret == "" || !p.UsesOAuth() {
		return nil
	}
	if err := c.ui.secrets.Set(ctx, data.ClientSecretRef(p.ID), secret); err != nil {
		return fmt.Errorf("save client secret of %s: %w", p.Name, err)
	}
	return nil
}
