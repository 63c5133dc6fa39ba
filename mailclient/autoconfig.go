// Package mailclient is Mailroom's network side: IMAP, SMTP, autoconfig and TLS trust.
// It never imports Fyne; progress leaves it as plain callbacks.
package mailclient

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"mailroom/data"
)

// Limits on one clientConfig file, so that a hostile or broken file cannot exhaust memory.
const (
	MaxConfigSize    = 1 << 20 // bytes
	MaxConfigDomains = 10_000
)

// Reasons a clientConfig file is refused; ParseClientConfig wraps them with the details.
// Their text reads as the end of "skipped: ...".
var (
	ErrEmptyConfig        = errors.New("the file is empty")
	ErrConfigTooLarge     = errors.New("the file is too large")
	ErrDoctype            = errors.New("the file has a DOCTYPE")
	ErrMalformedXML       = errors.New("malformed XML")
	ErrNotClientConfig    = errors.New("not a clientConfig file")
	ErrNoEmailProvider    = errors.New("no emailProvider")
	ErrNoIMAP             = errors.New("no IMAP server")
	ErrUnknownPlaceholder = errors.New("unknown placeholder")
	ErrPerAddressHost     = errors.New("the server depends on the address")
	ErrTooManyDomains     = errors.New("too many domains")
	ErrInvalidSettings    = errors.New("invalid settings")
)

// SettingsError is a clientConfig whose settings fail the provider card's validation. It
// matches both ErrInvalidSettings and the *data.ValidationError naming each bad field.
type SettingsError struct {
	Validation *data.ValidationError
}

// Error lists each bad field in the words of the card.
func (e *SettingsError) Error() string {
	parts := make([]string, 0, len(e.Validation.Fields))
	for _, f := range e.Validation.Fields {
		parts = append(parts, fieldLabel(f.Field)+": "+f.Msg)
	}
	return ErrInvalidSettings.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is find ErrInvalidSettings and errors.As the validation error.
func (e *SettingsError) Unwrap() []error { return []error{ErrInvalidSettings, e.Validation} }

func fieldLabel(field string) string {
	switch field {
	case data.FieldName:
		return "name"
	case data.FieldIMAPHost:
		return "IMAP host"
	case data.FieldIMAPPort:
		return "IMAP port"
	case data.FieldIMAPSec:
		return "IMAP socketType"
	case data.FieldSMTPHost:
		return "SMTP host"
	case data.FieldSMTPPort:
		return "SMTP port"
	case data.FieldSMTPSec:
		return "SMTP socketType"
	case data.FieldDomains:
		return "domains"
	case data.FieldLoginRule:
		return "username"
	case data.FieldOAuthAuthURL:
		return "oAuth2 authURL"
	case data.FieldOAuthTokenURL:
		return "oAuth2 tokenURL"
	case data.FieldOAuthScopes:
		return "oAuth2 scope"
	case data.FieldOAuthClientID:
		return "oAuth2 clientID"
	case data.FieldSMTPAuth, data.FieldIMAPAuth:
		return "authentication"
	}
	return field
}

// ClientConfig is one clientConfig file in Mailroom's terms.
type ClientConfig struct {
	ProviderID string         // the emailProvider id, lowercase
	Provider   *data.Provider // normalized, not yet stored (ID 0)
	Warnings   []string       // what the import could not carry over, in plain words
}

// The clientConfig 1.1 elements Mailroom reads and writes; the rest are ignored.
type xmlClientConfig struct {
	XMLName   xml.Name           `xml:"clientConfig"`
	Version   string             `xml:"version,attr,omitempty"`
	Providers []xmlEmailProvider `xml:"emailProvider"`
	OAuth2    *xmlOAuth2         `xml:"oAuth2,omitempty"`
}

// xmlOAuth2 is the <oAuth2> element of Thunderbird's ISP database: the authorization server of
// the servers that list <authentication>OAuth2</authentication>. clientID is Mailroom's own
// addition, so that an office's published list carries the client ID its administrator entered;
// Thunderbird ignores it.
type xmlOAuth2 struct {
	Issuer   string `xml:"issuer,omitempty"`
	Scope    string `xml:"scope,omitempty"`
	AuthURL  string `xml:"authURL"`
	TokenURL string `xml:"tokenURL"`
	ClientID string `xml:"clientID,omitempty"`
}

type xmlEmailProvider struct {
	ID               string      `xml:"id,attr"`
	Domains          []string    `xml:"domain"`
	DisplayName      string      `xml:"displayName"`
	DisplayShortName string      `xml:"displayShortName,omitempty"`
	Incoming         []xmlServer `xml:"incomingServer"`
	Outgoing         []xmlServer `xml:"outgoingServer"`
}

type xmlServer struct {
	Type           string   `xml:"type,attr"`
	Hostname       string   `xml:"hostname"`
	Port           string   `xml:"port"`
	SocketType     string   `xml:"socketType"`
	Username       string   `xml:"username,omitempty"`
	Authentication []string `xml:"authentication"`
}

// Placeholders of the autoconfig format.
const (
	phAddress   = "%EMAILADDRESS%"
	phLocalPart = "%EMAILLOCALPART%"
	phDomain    = "%EMAILDOMAIN%"
	phHostname  = "%EMAILHOSTNAME%"
)

// ParseClientConfig reads one clientConfig document (at most MaxConfigSize bytes) and maps
// its first emailProvider to a provider card: the first IMAP incoming server and the first
// SMTP outgoing server, their socketType as security, the username pattern as login rule,
// every domain. It fails with an error wrapping one of the Err* reasons of this package
// (or a *SettingsError) and then returns no provider.
func ParseClientConfig(r io.Reader) (*ClientConfig, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(b) > MaxConfigSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrConfigTooLarge, MaxConfigSize)
	}
	doc, err := decodeClientConfig(b)
	if err != nil {
		return nil, err
	}
	return mapClientConfig(doc)
}

// decodeClientConfig checks the document's shape before decoding it: no DOCTYPE (its entities
// are the billion-laughs attack), and clientConfig as the root element.
func decodeClientConfig(b []byte) (*xmlClientConfig, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ErrEmptyConfig
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: no root element", ErrMalformedXML)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedXML, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(bytes.ToUpper(bytes.TrimSpace(t)), []byte("DOCTYPE")) {
				return nil, fmt.Errorf("%w: Mailroom does not read document type definitions, whose entities can expand without bound", ErrDoctype)
			}
			return nil, fmt.Errorf("%w: unexpected <!%s>", ErrMalformedXML, firstWord(string(t)))
		case xml.StartElement:
			if t.Name.Local != "clientConfig" {
				return nil, fmt.Errorf("%w: the root element is <%s>, not <clientConfig>", ErrNotClientConfig, t.Name.Local)
			}
			doc := &xmlClientConfig{}
			if err := d.DecodeElement(doc, &t); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformedXML, err)
			}
			return doc, nil
		}
	}
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// mapClientConfig turns a decoded document into a validated provider card.
func mapClientConfig(doc *xmlClientConfig) (*ClientConfig, error) {
	if len(doc.Providers) == 0 {
		return nil, fmt.Errorf("%w: the clientConfig holds no <emailProvider>", ErrNoEmailProvider)
	}
	ep := doc.Providers[0]
	cc := &ClientConfig{Provider: data.NewProvider()}
	if v := strings.TrimSpace(doc.Version); v != "" && v != "1.1" {
		cc.warn("the file is clientConfig version %s; Mailroom reads version 1.1", v)
	}
	if len(doc.Providers) > 1 {
		cc.warn("the file holds %d emailProviders; only the first was read", len(doc.Providers))
	}
	if len(ep.Domains) > MaxConfigDomains {
		return nil, fmt.Errorf("%w: %d, at most %d per file", ErrTooManyDomains, len(ep.Domains), MaxConfigDomains)
	}
	p := cc.Provider
	p.Domains = cc.domains(ep.Domains)
	id, err := providerID(ep.ID, p.Domains)
	if err != nil {
		return nil, err
	}
	cc.ProviderID = id
	if p.Name, err = cc.name(ep, id, p.Domains); err != nil {
		return nil, err
	}
	verr := &data.ValidationError{}
	imap, err := firstServer(ep.Incoming, "imap")
	if err != nil {
		return nil, err
	}
	if err := cc.server(verr, imap, p.Domains, true, &p.IMAP); err != nil {
		return nil, err
	}
	if p.LoginRule, err = cc.loginRule(imap); err != nil {
		return nil, err
	}
	if err := cc.outgoing(verr, ep.Outgoing, imap); err != nil {
		return nil, err
	}
	cc.oauth(doc.OAuth2, imap, ep.Outgoing)
	if err := p.Normalize(); err != nil {
		var ve *data.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		verr.Fields = append(verr.Fields, ve.Fields...)
	}
	if len(verr.Fields) > 0 {
		return nil, &SettingsError{Validation: dedupeFields(verr)}
	}
	return cc, nil
}

func (cc *ClientConfig) warn(format string, args ...any) {
	cc.Warnings = append(cc.Warnings, fmt.Sprintf(format, args...))
}

// dedupeFields keeps the first message per field: a port the file spells "abc" is reported
// once, not again by Normalize as out of range.
func dedupeFields(v *data.ValidationError) *data.ValidationError {
	seen := map[string]bool{}
	out := &data.ValidationError{}
	for _, f := range v.Fields {
		if !seen[f.Field] {
			seen[f.Field] = true
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}

// domains returns the file's domains in stored form, in file order, dropping (with a warning)
// those that are not domains at all.
func (cc *ClientConfig) domains(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	var bad []string
	for _, d := range in {
		n, err := data.NormalizeDomain(d)
		if err != nil {
			bad = append(bad, strings.TrimSpace(d))
			continue
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(bad) > 0 {
		cc.warn("left out %d invalid domain(s): %s", len(bad), quoteFew(bad, 5))
	}
	if len(out) == 0 {
		cc.warn("the file names no valid domain, so no address will find this provider")
	}
	return out
}

func quoteFew(items []string, n int) string {
	q := make([]string, 0, n)
	for i, s := range items {
		if i == n {
			q = append(q, fmt.Sprintf("and %d more", len(items)-n))
			break
		}
		q = append(q, strconv.Quote(s))
	}
	return strings.Join(q, ", ")
}

// providerID returns the emailProvider id in the lowercase form Thunderbird uses; a file
// without one is known by its first domain.
func providerID(raw string, domains []string) (string, error) {
	id := strings.ToLower(strings.TrimSpace(raw))
	if id == "" && len(domains) > 0 {
		return domains[0], nil
	}
	switch {
	case id == "":
		return "", fmt.Errorf("%w: the emailProvider has neither an id nor a domain", ErrNoEmailProvider)
	case len(id) > 200 || strings.ContainsAny(id, "/\\ \t\r\n%"):
		return "", fmt.Errorf("%w: the emailProvider id %q is not a host-name-like id", ErrInvalidSettings, raw)
	}
	return id, nil
}

// name returns the provider's name: the displayName, else the short one, else the id. A name
// that varies with the address (%EMAILDOMAIN%) becomes the provider's first domain.
func (cc *ClientConfig) name(ep xmlEmailProvider, id string, domains []string) (string, error) {
	name := data.CleanName(ep.DisplayName)
	if name == "" {
		name = data.CleanName(ep.DisplayShortName)
	}
	if name == "" {
		name = id
	}
	if err := checkPlaceholders("displayName", name); err != nil {
		return "", err
	}
	if strings.Contains(name, "%") {
		fixed := id
		if len(domains) > 0 {
			fixed = domains[0]
		}
		cc.warn("the display name %s varies with the address; the provider is called %s", name, fixed)
		name = fixed
	}
	if r := []rune(name); len(r) > data.MaxNameLen {
		name = data.CleanName(string(r[:data.MaxNameLen]))
		cc.warn("the display name was cut to %d characters", data.MaxNameLen)
	}
	return name, nil
}

// firstServer returns the first server of type typ in file order.
func firstServer(servers []xmlServer, typ string) (*xmlServer, error) {
	pop := false
	for i := range servers {
		t := strings.ToLower(strings.TrimSpace(servers[i].Type))
		if t == typ {
			return &servers[i], nil
		}
		pop = pop || t == "pop3"
	}
	if typ != "imap" {
		return nil, nil
	}
	if pop {
		return nil, fmt.Errorf("%w: the file offers only POP3, and Mailroom reads mail over IMAP", ErrNoIMAP)
	}
	return nil, fmt.Errorf("%w: the file lists no IMAP incoming server", ErrNoIMAP)
}

// server fills dst from x, reporting a bad socketType or port as field errors on verr.
func (cc *ClientConfig) server(verr *data.ValidationError, x *xmlServer, domains []string, imap bool, dst *data.Server) error {
	proto, portF, secF := "SMTP", data.FieldSMTPPort, data.FieldSMTPSec
	if imap {
		proto, portF, secF = "IMAP", data.FieldIMAPPort, data.FieldIMAPSec
	}
	host, err := cc.host(proto, x.Hostname, domains)
	if err != nil {
		return err
	}
	dst.Host = host
	sec, ok := security(x.SocketType)
	if !ok {
		verr.Fields = append(verr.Fields, &data.FieldError{Field: secF,
			Msg: fmt.Sprintf("%q is not one of SSL, STARTTLS or plain", strings.TrimSpace(x.SocketType))})
	}
	dst.Security = sec
	if sec == data.SecurityNone {
		cc.warn("the %s server %s is not encrypted (socketType plain)", proto, host)
	}
	if strings.TrimSpace(x.Port) == "" {
		dst.Port = data.StandardPort(imap, sec)
		cc.warn("the %s server has no port; using %d", proto, dst.Port)
		return nil
	}
	n, err := data.ParsePort(x.Port)
	if err != nil {
		verr.Fields = append(verr.Fields, &data.FieldError{Field: portF,
			Msg: fmt.Sprintf("%q is not a whole number from 1 to 65535, in digits only", x.Port)})
		n = -1
	}
	dst.Port = n
	return nil
}

// host returns a server's host name; %EMAILDOMAIN% is filled in only when the provider has one
// domain, since a card holds one host for all its domains.
func (cc *ClientConfig) host(proto, raw string, domains []string) (string, error) {
	h := strings.TrimSpace(raw)
	if err := checkPlaceholders(proto+" hostname", h); err != nil {
		return "", err
	}
	if !strings.Contains(h, "%") {
		return h, nil
	}
	if len(domains) == 1 && !strings.Contains(strings.ReplaceAll(h, phDomain, ""), "%") {
		fixed := strings.ReplaceAll(h, phDomain, domains[0])
		cc.warn("the %s host %s was filled in as %s", proto, h, fixed)
		return fixed, nil
	}
	return "", fmt.Errorf("%w: the %s host %s changes with each address, and one Mailroom provider for %d domains has one host",
		ErrPerAddressHost, proto, h, len(domains))
}

func security(socketType string) (data.Security, bool) {
	switch strings.ToUpper(strings.TrimSpace(socketType)) {
	case "SSL":
		return data.SecuritySSL, true
	case "STARTTLS":
		return data.SecurityStartTLS, true
	case "PLAIN":
		return data.SecurityNone, true
	}
	return data.SecuritySSL, false
}

// loginRule maps the IMAP username pattern to a login rule.
func (cc *ClientConfig) loginRule(x *xmlServer) (data.LoginRule, error) {
	u := strings.TrimSpace(x.Username)
	if err := checkPlaceholders("IMAP username", u); err != nil {
		return "", err
	}
	switch u {
	case phAddress:
		return data.LoginAddress, nil
	case phLocalPart:
		return data.LoginLocalPart, nil
	case "":
		cc.warn("the file gives no username pattern; each mailbox's login is entered by hand")
	default:
		cc.warn("the username pattern %s has no Mailroom rule; each mailbox's login is entered by hand", u)
	}
	return data.LoginManual, nil
}

// outgoing fills the card's SMTP server from the first SMTP outgoing server; without one,
// sending is turned off.
func (cc *ClientConfig) outgoing(verr *data.ValidationError, servers []xmlServer, imap *xmlServer) error {
	p := cc.Provider
	smtp, _ := firstServer(servers, "smtp")
	if smtp == nil {
		p.SMTPEnabled = false
		p.SMTP = data.Server{Port: data.PortSMTPS, Security: data.SecuritySSL}
		cc.warn("the file lists no SMTP server, so sending is turned off")
		return nil
	}
	if err := cc.server(verr, smtp, p.Domains, false, &p.SMTP); err != nil {
		return err
	}
	u := strings.TrimSpace(smtp.Username)
	if err := checkPlaceholders("SMTP username", u); err != nil {
		return err
	}
	if u != "" && u != strings.TrimSpace(imap.Username) {
		cc.warn("the SMTP username pattern %s differs from the IMAP one; Mailroom uses one login for both", u)
	}
	return nil
}

// oauth sets the card up for OAuth 2.0 when every server it uses lists OAuth2 and the file
// has an <oAuth2> element; else it keeps password sign-in, saying why when OAuth2 was offered.
func (cc *ClientConfig) oauth(o *xmlOAuth2, imap *xmlServer, outgoing []xmlServer) {
	offers := func(x *xmlServer) bool {
		return x != nil && slices.ContainsFunc(x.Authentication, func(a string) bool { return strings.EqualFold(strings.TrimSpace(a), "OAuth2") })
	}
	smtp, _ := firstServer(outgoing, "smtp")
	p := cc.Provider
	both := offers(imap) && (!p.SMTPEnabled || offers(smtp))
	switch {
	case !offers(imap) && !offers(smtp):
		return
	case o == nil:
		cc.oauthOnly(imap, outgoing)
		return
	case !both:
		cc.warn("only one of the servers signs in with OAuth2; Mailroom signs in to both the same way, so password sign-in was set up")
		return
	}
	p.IMAPAuth, p.SMTPAuth = data.AuthOAuth2, data.AuthOAuth2
	p.OAuth = data.OAuth2{Issuer: strings.TrimSpace(o.Issuer), AuthURL: strings.TrimSpace(o.AuthURL),
		TokenURL: strings.TrimSpace(o.TokenURL), Scopes: strings.Fields(o.Scope), ClientID: strings.TrimSpace(o.ClientID)}
	if p.OAuth.ClientID == "" {
		cc.warn("the provider signs in with OAuth 2.0 (the browser); an administrator must enter the office's client ID on its card")
	}
}

// oauthOnly warns when a server offers OAuth2 and no other way to sign in.
func (cc *ClientConfig) oauthOnly(imap *xmlServer, outgoing []xmlServer) {
	only := func(x *xmlServer) bool {
		if x == nil || len(x.Authentication) == 0 {
			return false
		}
		for _, a := range x.Authentication {
			if !strings.EqualFold(strings.TrimSpace(a), "OAuth2") {
				return false
			}
		}
		return true
	}
	smtp, _ := firstServer(outgoing, "smtp")
	if only(imap) || only(smtp) {
		cc.warn("the provider offers only OAuth2 sign-in, so password login may not work")
	}
}

// checkPlaceholders fails when s holds a %...% token other than the four the format defines,
// or a % without its partner (%EMAILADDRESS).
func checkPlaceholders(field, s string) error {
	for i := 0; i < len(s); {
		start := strings.IndexByte(s[i:], '%')
		if start < 0 {
			return nil
		}
		start += i
		end := strings.IndexByte(s[start+1:], '%')
		if end < 0 {
			return fmt.Errorf("%w in the %s: %q has no closing %%", ErrUnknownPlaceholder, field, clip(s[start:]))
		}
		tok := s[start : start+end+2]
		switch tok {
		case phAddress, phLocalPart, phDomain, phHostname:
		default:
			return fmt.Errorf("%w in the %s: %q", ErrUnknownPlaceholder, field, clip(tok))
		}
		i = start + end + 2
	}
	return nil
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
