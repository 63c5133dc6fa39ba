package mailclient

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"mailroom/data"
)

// ErrNotExportable is returned for a provider that a clientConfig file cannot describe in a
// way Thunderbird accepts.
var ErrNotExportable = errors.New("cannot be written as a clientConfig file")

// ConfigID returns the emailProvider id a provider is exported under: the id it was imported
// from, else its first domain. A provider imported under a disambiguated key ("id/domain")
// gets back the file's own id.
func ConfigID(p *data.Provider) string {
	if id, _, _ := strings.Cut(p.ExternalID, "/"); id != "" {
		return id
	}
	if len(p.Domains) > 0 {
		return p.Domains[0]
	}
	return ""
}

// MarshalClientConfig writes p as a clientConfig 1.1 document with one emailProvider, one IMAP
// incoming server and one SMTP outgoing server. Thunderbird needs a domain and both servers,
// so a provider without them fails with ErrNotExportable.
func MarshalClientConfig(p *data.Provider) ([]byte, error) {
	switch {
	case len(p.Domains) == 0:
		return nil, fmt.Errorf("%w: it has no domains", ErrNotExportable)
	case strings.TrimSpace(p.IMAP.Host) == "":
		return nil, fmt.Errorf("%w: it has no IMAP server", ErrNotExportable)
	case strings.TrimSpace(p.SMTP.Host) == "":
		return nil, fmt.Errorf("%w: it has no SMTP server", ErrNotExportable)
	}
	doc := xmlClientConfig{Version: "1.1", Providers: []xmlEmailProvider{{
		ID:               ConfigID(p),
		Domains:          exportDomains(p),
		DisplayName:      p.Name,
		DisplayShortName: p.Name,
		Incoming:         []xmlServer{exportServer("imap", p.IMAP, p.LoginRule, p.IMAPAuth)},
		Outgoing:         []xmlServer{exportServer("smtp", p.SMTP, p.LoginRule, p.SMTPAuth)},
	}}}
	if p.IMAPAuth == data.AuthOAuth2 || p.SMTPAuth == data.AuthOAuth2 {
		doc.OAuth2 = &xmlOAuth2{Issuer: p.OAuth.Issuer, Scope: strings.Join(p.OAuth.Scopes, " "),
			AuthURL: p.OAuth.AuthURL, TokenURL: p.OAuth.TokenURL, ClientID: p.OAuth.ClientID}
		if doc.OAuth2.Issuer == "" {
			if u, err := url.Parse(p.OAuth.AuthURL); err == nil {
				doc.OAuth2.Issuer = u.Hostname() // Thunderbird wants one
			}
		}
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write clientConfig of %s: %w", p.Name, err)
	}
	out := append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), b...)
	return append(out, '\n'), nil
}

// exportDomains lists the domains in stored (ASCII) form, which Thunderbird requires, sorted,
// with the one in a disambiguated key first so that importing the file again finds that key.
func exportDomains(p *data.Provider) []string {
	out := slices.Sorted(slices.Values(p.Domains))
	_, key, _ := strings.Cut(p.ExternalID, "/")
	if i := slices.Index(out, key); i > 0 {
		out = slices.Concat([]string{key}, out[:i], out[i+1:])
	}
	return out
}

func exportServer(typ string, s data.Server, rule data.LoginRule, auth data.AuthMethod) xmlServer {
	x := xmlServer{Type: typ, Hostname: s.Host, Port: strconv.Itoa(s.Port), SocketType: socketType(s.Security),
		Authentication: []string{"password-cleartext"}}
	if auth == data.AuthOAuth2 {
		x.Authentication = []string{"OAuth2"}
	}
	switch rule {
	case data.LoginAddress:
		x.Username = phAddress
	case data.LoginLocalPart:
		x.Username = phLocalPart
	}
	return x
}

func socketType(s data.Security) string {
	switch s {
	case data.SecuritySSL:
		return "SSL"
	case data.SecurityStartTLS:
		return "STARTTLS"
	}
	return "plain"
}
