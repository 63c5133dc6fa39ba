package data

import "strings"

// OAuthPreset is the authorization server of a well-known provider, to fill a card's OAuth 2.0
// fields. It has no client ID: each application registers its own with the provider.
type OAuthPreset struct {
	Name     string
	OAuth    OAuth2
	Register string // what an administrator registers to get a client ID, in plain words
	hosts    []string
}

// OAuthPresets are the presets the provider card offers.
var OAuthPresets = []OAuthPreset{
	{
		Name: "Google",
		OAuth: OAuth2{Issuer: "accounts.google.com", AuthURL: "https://accounts.google.com/o/oauth2/auth",
			TokenURL: "https://oauth2.googleapis.com/token", Scopes: []string{"https://mail.google.com/"}},
		Register: "In Google Cloud Console, create an OAuth client ID of type \"Desktop app\" " +
			"(loopback redirect http://127.0.0.1) and enter its client ID and client secret here.",
		hosts: []string{"gmail.com", "googlemail.com", "google.com"},
	},
	{
		Name: "Microsoft",
		OAuth: OAuth2{Issuer: "login.microsoftonline.com", AuthURL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
			TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
			Scopes:   []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"}},
		Register: "In Microsoft Entra (App registrations), register an application with the platform " +
			"\"Mobile and desktop applications\" and the redirect URI http://127.0.0.1, then enter its application (client) ID here. " +
			"No client secret is needed.",
		hosts: []string{"outlook.com", "office365.com", "hotmail.com", "live.com"},
	},
}

// PresetFor returns the preset whose servers p uses (imap.gmail.com, outlook.office365.com, …);
// false when none fits.
func PresetFor(p *Provider) (OAuthPreset, bool) {
	for _, pr := range OAuthPresets {
		for _, h := range pr.hosts {
			for _, host := range []string{p.IMAP.Host, p.SMTP.Host} {
				if host == h || strings.HasSuffix(host, "."+h) {
					return pr, true
				}
			}
		}
	}
	return OAuthPreset{}, false
}

// Apply sets p up to sign in with OAuth 2.0 at the preset's authorization server, keeping p's
// client ID.
func (pr OAuthPreset) Apply(p *Provider) {
	id := p.OAuth.ClientID
	p.IMAPAuth, p.SMTPAuth = AuthOAuth2, AuthOAuth2
	p.OAuth = pr.OAuth
	p.OAuth.Scopes = append([]string(nil), pr.OAuth.Scopes...)
	p.OAuth.ClientID = id
}
