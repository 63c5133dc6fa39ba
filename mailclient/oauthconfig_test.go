package mailclient

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mailroom/data"
)

// TestImportOAuth2Provider reads the ISP database's Gmail file: OAuth 2.0 for both servers,
// the <oAuth2> element's endpoints and scopes, no client ID (so the grid marks it); an
// administrator's client ID survives importing the file again, and export writes it all back.
func TestImportOAuth2Provider(t *testing.T) {
	gmail := filepath.Join(ispdbDir(t), "googlemail.com.xml")
	s := openStore(t, "ann")
	r := importOK(t, s, gmail)
	if got := result(t, r, "googlemail.com.xml"); got.Status != ImportAdded {
		t.Fatalf("import: %s %v", got.Status, got.Err)
	}
	p := byExternalID(t, s, "googlemail.com")
	if p.IMAPAuth != data.AuthOAuth2 || p.SMTPAuth != data.AuthOAuth2 || !p.NeedsClientID() {
		t.Fatalf("imported %q %q, needs client ID %v", p.IMAPAuth, p.SMTPAuth, p.NeedsClientID())
	}
	if p.OAuth.AuthURL != "https://accounts.google.com/o/oauth2/auth" || p.OAuth.TokenURL != "https://www.googleapis.com/oauth2/v3/token" ||
		p.OAuth.Issuer != "accounts.google.com" || !slices.Contains(p.OAuth.Scopes, "https://mail.google.com/") {
		t.Errorf("OAuth fields %+v", p.OAuth)
	}
	if !strings.Contains(strings.Join(result(t, r, "googlemail.com.xml").Warnings, " "), "client ID") {
		t.Errorf("no warning about the client ID: %q", result(t, r, "googlemail.com.xml").Warnings)
	}

	p.OAuth.ClientID = "123-office.apps.googleusercontent.com"
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if again := importOK(t, s, gmail); result(t, again, "googlemail.com.xml").Status != ImportUnchanged {
		t.Errorf("importing again: %s", result(t, again, "googlemail.com.xml").Status)
	}
	if kept := byExternalID(t, s, "googlemail.com"); kept.OAuth.ClientID != p.OAuth.ClientID {
		t.Errorf("the client ID became %q", kept.OAuth.ClientID)
	}

	out, err := MarshalClientConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<authentication>OAuth2</authentication>", "<oAuth2>", "<issuer>accounts.google.com</issuer>",
		"<authURL>https://accounts.google.com/o/oauth2/auth</authURL>", "<tokenURL>https://www.googleapis.com/oauth2/v3/token</tokenURL>",
		"<scope>https://mail.google.com/ ", "<clientID>123-office.apps.googleusercontent.com</clientID>"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("export lacks %s:\n%s", want, out)
		}
	}
	back, err := ParseClientConfig(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if !data.SameSignIn(back.Provider, p) {
		t.Errorf("round trip: %+v, want %+v", back.Provider.OAuth, p.OAuth)
	}
}

// TestImportOAuth2WithoutElementKeepsPassword: servers that list OAuth2 in a file without
// <oAuth2>, or only one of them, stay password providers, with the reason in the warnings.
func TestImportOAuth2WithoutElementKeepsPassword(t *testing.T) {
	file := func(imapAuth, smtpAuth, extra string) string {
		return `<clientConfig version="1.1"><emailProvider id="example.net"><domain>example.net</domain>
<displayName>Example</displayName>
<incomingServer type="imap"><hostname>imap.example.net</hostname><port>993</port><socketType>SSL</socketType>
<username>%EMAILADDRESS%</username>` + imapAuth + `</incomingServer>
<outgoingServer type="smtp"><hostname>smtp.example.net</hostname><port>465</port><socketType>SSL</socketType>
<username>%EMAILADDRESS%</username>` + smtpAuth + `</outgoingServer></emailProvider>` + extra + `</clientConfig>`
	}
	oauth := "<authentication>OAuth2</authentication>"
	element := "<oAuth2><issuer>x</issuer><scope>mail</scope><authURL>https://x.example/a</authURL><tokenURL>https://x.example/t</tokenURL></oAuth2>"
	for name, doc := range map[string]string{
		"no element": file(oauth, oauth, ""),
		"one side":   file(oauth, "<authentication>password-cleartext</authentication>", element),
	} {
		t.Run(name, func(t *testing.T) {
			cc, err := ParseClientConfig(strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if cc.Provider.UsesOAuth() || len(cc.Warnings) == 0 {
				t.Errorf("uses OAuth %v, warnings %q", cc.Provider.UsesOAuth(), cc.Warnings)
			}
		})
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "plainhttp.xml")
	os.WriteFile(bad, []byte(file(oauth, oauth, strings.Replace(element, "https://x.example/t", "http://x.example/t", 1))), 0o600)
	s := openStore(t, "ann")
	if got := result(t, importOK(t, s, bad), "plainhttp.xml"); got.Status != ImportSkipped || !strings.Contains(ProblemMessage(got.Err)+got.Err.Error(), "https") {
		t.Errorf("a plain-http token endpoint: %s %v", got.Status, got.Err)
	}
}

// TestPublishedListCarriesTheClientID: an office's administrator enters the client ID and
// publishes the list; a subscribed computer gets the provider ready to sign in, and a new
// client ID on the list replaces the old one there.
func TestPublishedListCarriesTheClientID(t *testing.T) {
	ctx := context.Background()
	admin := newPerson(t, "ann")
	importOK(t, admin.s, filepath.Join(ispdbDir(t), "googlemail.com.xml"))
	p := byExternalID(t, admin.s, "googlemail.com")
	p.OAuth.ClientID = "first.apps.googleusercontent.com"
	if err := admin.s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	admin.publish(t, dir)
	office := newPerson(t, "bob")
	office.subscribe(t, dir, admin.key(t))
	if _, err := RefreshSubscription(ctx, office.s, nil); err != nil {
		t.Fatal(err)
	}
	if got := byExternalID(t, office.s, "googlemail.com"); got.NeedsClientID() || got.OAuth.ClientID != p.OAuth.ClientID {
		t.Fatalf("subscribed provider has client ID %q", got.OAuth.ClientID)
	}
	p = byExternalID(t, admin.s, "googlemail.com")
	p.OAuth.ClientID = "second.apps.googleusercontent.com"
	if err := admin.s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	admin.publish(t, dir)
	if _, err := RefreshSubscription(ctx, office.s, nil); err != nil {
		t.Fatal(err)
	}
	if got := byExternalID(t, office.s, "googlemail.com"); got.OAuth.ClientID != "second.apps.googleusercontent.com" {
		t.Errorf("after the list changed: client ID %q", got.OAuth.ClientID)
	}
}
