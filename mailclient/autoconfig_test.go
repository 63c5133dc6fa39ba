package mailclient

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"mailroom/data"
)

// config builds a clientConfig document around the given emailProvider body.
func config(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="example.com">` + body + `</emailProvider></clientConfig>`
}

func imapServer(host, port, socket, user string, auth ...string) string {
	return server("incomingServer", "imap", host, port, socket, user, auth...)
}

func smtpServer(host, port, socket, user string, auth ...string) string {
	return server("outgoingServer", "smtp", host, port, socket, user, auth...)
}

func server(elem, typ, host, port, socket, user string, auth ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<%s type="%s"><hostname>%s</hostname>`, elem, typ, host)
	if port != "" {
		fmt.Fprintf(&b, `<port>%s</port>`, port)
	}
	fmt.Fprintf(&b, `<socketType>%s</socketType><username>%s</username>`, socket, user)
	if len(auth) == 0 {
		auth = []string{"password-cleartext"}
	}
	for _, a := range auth {
		fmt.Fprintf(&b, `<authentication>%s</authentication>`, a)
	}
	return b.String() + "</" + elem + ">"
}

const goodServers = `<domain>example.com</domain><domain>Example.ORG</domain><displayName>Example Mail</displayName>`

func manyDomains(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<domain>d%d.io</domain>", i)
	}
	return b.String()
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<clientConfig version="1.1"><emailProvider id="lol.example"><displayName>&lol9;</displayName></emailProvider></clientConfig>`

func TestParseClientConfigRefuses(t *testing.T) {
	imap := imapServer("imap.example.com", "993", "SSL", "%EMAILADDRESS%")
	smtp := smtpServer("smtp.example.com", "465", "SSL", "%EMAILADDRESS%")
	tests := []struct {
		name  string
		doc   string
		want  error
		field string // for ErrInvalidSettings, the field named
		text  string // a piece of the reason
	}{
		{"empty file", "", ErrEmptyConfig, "", "empty"},
		{"only white space", " \n\t ", ErrEmptyConfig, "", "empty"},
		{"too large", "<clientConfig>" + strings.Repeat(" ", MaxConfigSize) + "</clientConfig>", ErrConfigTooLarge, "", "1048576"},
		{"billion laughs", billionLaughs, ErrDoctype, "", "DOCTYPE"},
		{"doctype without entities", `<!DOCTYPE clientConfig><clientConfig/>`, ErrDoctype, "", "DOCTYPE"},
		{"undeclared entity", config(`<displayName>&lol;</displayName>`), ErrMalformedXML, "", "entity"},
		{"not XML", "just some words", ErrMalformedXML, "", ""},
		{"unclosed element", `<clientConfig><emailProvider id="x">`, ErrMalformedXML, "", ""},
		{"wrong root element", `<html><body/></html>`, ErrNotClientConfig, "", "<html>"},
		{"no emailProvider", `<clientConfig version="1.1"><webMail/></clientConfig>`, ErrNoEmailProvider, "", "emailProvider"},
		{"no id and no domain", `<clientConfig><emailProvider>` + imap + smtp + `</emailProvider></clientConfig>`, ErrNoEmailProvider, "", "id"},
		{"POP3 only", config(goodServers + server("incomingServer", "pop3", "pop.example.com", "995", "SSL", "%EMAILADDRESS%") + smtp), ErrNoIMAP, "", "POP3"},
		{"no incoming server", config(goodServers + smtp), ErrNoIMAP, "", "no IMAP"},
		{"port 0", config(goodServers + imapServer("imap.example.com", "0", "SSL", "%EMAILADDRESS%") + smtp), ErrInvalidSettings, data.FieldIMAPPort, "IMAP port"},
		{"port 99999", config(goodServers + imap + smtpServer("smtp.example.com", "99999", "SSL", "%EMAILADDRESS%")), ErrInvalidSettings, data.FieldSMTPPort, "SMTP port"},
		{"port abc", config(goodServers + imapServer("imap.example.com", "abc", "SSL", "%EMAILADDRESS%") + smtp), ErrInvalidSettings, data.FieldIMAPPort, `"abc"`},
		{"port with spaces", config(goodServers + imapServer("imap.example.com", " 993 ", "SSL", "%EMAILADDRESS%") + smtp), ErrInvalidSettings, data.FieldIMAPPort, `" 993 "`},
		{"port with a sign", config(goodServers + imap + smtpServer("smtp.example.com", "+465", "SSL", "%EMAILADDRESS%")), ErrInvalidSettings, data.FieldSMTPPort, `"+465"`},
		{"host with spaces", config(goodServers + imapServer("imap example.com", "993", "SSL", "%EMAILADDRESS%") + smtp), ErrInvalidSettings, data.FieldIMAPHost, "IMAP host"},
		{"empty host", config(goodServers + imap + smtpServer(" ", "465", "SSL", "%EMAILADDRESS%")), ErrInvalidSettings, data.FieldSMTPHost, "SMTP host"},
		{"unknown socketType", config(goodServers + imapServer("imap.example.com", "993", "TLS", "%EMAILADDRESS%") + smtp), ErrInvalidSettings, data.FieldIMAPSec, `"TLS"`},
		{"placeholder without closing %", config(goodServers + imapServer("imap.example.com", "993", "SSL", "%EMAILADDRESS") + smtp), ErrUnknownPlaceholder, "", "%EMAILADDRESS"},
		{"unknown placeholder", config(goodServers + imapServer("imap.example.com", "993", "SSL", "%USERNAME%") + smtp), ErrUnknownPlaceholder, "", "%USERNAME%"},
		{"unknown placeholder in host", config(goodServers + imap + smtpServer("smtp.%DOMAIN%", "465", "SSL", "%EMAILADDRESS%")), ErrUnknownPlaceholder, "", "SMTP hostname"},
		{"host varies by domain", config(goodServers + imapServer("mail.%EMAILDOMAIN%", "993", "SSL", "%EMAILADDRESS%") + smtp), ErrPerAddressHost, "", "2 domains"},
		{"10,001 domains", config(manyDomains(MaxConfigDomains+1) + imap + smtp), ErrTooManyDomains, "", "10001"},
		{"100,000 domains", config(manyDomains(100_000) + imap + smtp), ErrConfigTooLarge, "", ""},
		{"id with a slash", `<clientConfig><emailProvider id="a/b"><domain>example.com</domain>` + imap + smtp + `</emailProvider></clientConfig>`, ErrInvalidSettings, "", "a/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := ParseClientConfig(strings.NewReader(tt.doc))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if cc != nil {
				t.Errorf("got a provider %+v with the error", cc.Provider)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("reason %q does not mention %q", err, tt.text)
			}
			if tt.field != "" {
				var ve *data.ValidationError
				if !errors.As(err, &ve) || ve.For(tt.field) == "" {
					t.Errorf("reason %q does not name field %s", err, tt.field)
				}
			}
		})
	}
}

func TestParseClientConfigMaps(t *testing.T) {
	imap := imapServer("IMAP.Example.com", "993", "SSL", "%EMAILADDRESS%")
	smtp := smtpServer("smtp.example.com", "465", "SSL", "%EMAILADDRESS%")
	tests := []struct {
		name    string
		doc     string
		check   func(*data.Provider) string // "" when p is as expected
		warning string                      // a piece of an expected warning; "" for none at all
	}{
		{"servers, security, login and domains", config(goodServers + imap +
			smtpServer("smtp.example.com", "587", "STARTTLS", "%EMAILADDRESS%")), func(p *data.Provider) string {
			want := data.Provider{Name: "Example Mail", IMAPEnabled: true, SMTPEnabled: true, LoginRule: data.LoginAddress,
				IMAP: data.Server{Host: "imap.example.com", Port: 993, Security: data.SecuritySSL},
				SMTP: data.Server{Host: "smtp.example.com", Port: 587, Security: data.SecurityStartTLS}}
			if p.Name != want.Name || p.IMAP != want.IMAP || p.SMTP != want.SMTP || p.LoginRule != want.LoginRule ||
				!p.IMAPEnabled || !p.SMTPEnabled || !slices.Equal(p.Domains, []string{"example.com", "example.org"}) {
				return fmt.Sprintf("got %+v", *p)
			}
			return ""
		}, ""},
		{"local part login", config(goodServers + imapServer("imap.example.com", "143", "STARTTLS", "%EMAILLOCALPART%") +
			smtpServer("smtp.example.com", "465", "SSL", "%EMAILLOCALPART%")), rule(data.LoginLocalPart), ""},
		{"SMTP login differs", config(goodServers + imapServer("imap.example.com", "143", "STARTTLS", "%EMAILLOCALPART%") + smtp),
			rule(data.LoginLocalPart), "one login for both"},
		{"other pattern is manual", config(goodServers + imapServer("imap.example.com", "993", "SSL", "%EMAILLOCALPART%.%EMAILDOMAIN%") + smtp),
			rule(data.LoginManual), "%EMAILLOCALPART%.%EMAILDOMAIN%"},
		{"no username is manual", config(goodServers + imapServer("imap.example.com", "993", "SSL", "") + smtp),
			rule(data.LoginManual), "no username"},
		{"plain is none", config(goodServers + imapServer("imap.example.com", "143", "plain", "%EMAILADDRESS%") + smtp),
			func(p *data.Provider) string { return want(p.IMAP.Security, data.SecurityNone) }, "not encrypted"},
		{"SMTP without port, STARTTLS", config(goodServers + imap + smtpServer("smtp.example.com", "", "STARTTLS", "%EMAILADDRESS%")),
			func(p *data.Provider) string { return want(p.SMTP.Port, 587) }, "no port"},
		{"SMTP without port, SSL", config(goodServers + imap + smtpServer("smtp.example.com", "", "SSL", "%EMAILADDRESS%")),
			func(p *data.Provider) string { return want(p.SMTP.Port, 465) }, "no port"},
		{"first IMAP server in file order", config(goodServers + server("incomingServer", "pop3", "pop.example.com", "995", "SSL", "%EMAILADDRESS%") +
			imapServer("imap1.example.com", "993", "SSL", "%EMAILADDRESS%") + imapServer("imap2.example.com", "993", "SSL", "%EMAILADDRESS%") + smtp +
			smtpServer("smtp2.example.com", "587", "STARTTLS", "%EMAILADDRESS%")),
			func(p *data.Provider) string {
				return want(p.IMAP.Host+" "+p.SMTP.Host, "imap1.example.com smtp.example.com")
			}, ""},
		{"OAuth2 only", config(goodServers + imapServer("imap.example.com", "993", "SSL", "%EMAILADDRESS%", "OAuth2") + smtp),
			rule(data.LoginAddress), "OAuth2"},
		{"OAuth2 and password", config(goodServers + imapServer("imap.example.com", "993", "SSL", "%EMAILADDRESS%", "OAuth2", "password-cleartext") + smtp),
			rule(data.LoginAddress), ""},
		{"no SMTP turns sending off", config(goodServers + imap),
			func(p *data.Provider) string { return want(p.SMTPEnabled, false) }, "sending is turned off"},
		{"name from the id", config(`<domain>example.com</domain>` + imap + smtp),
			func(p *data.Provider) string { return want(p.Name, "example.com") }, ""},
		{"display name with placeholder", config(`<domain>example.com</domain><displayName>%EMAILDOMAIN%</displayName>` +
			imapServer("%EMAILDOMAIN%", "993", "SSL", "%EMAILADDRESS%") + smtp),
			func(p *data.Provider) string { return want(p.Name+" "+p.IMAP.Host, "example.com example.com") }, "filled in"},
		{"invalid domain left out", config(`<domain>example.com</domain><domain>not a domain</domain>` + imap + smtp),
			func(p *data.Provider) string { return want(strings.Join(p.Domains, " "), "example.com") }, "not a domain"},
		{"BOM and comments", "\xef\xbb\xbf<!-- hi -->" + config(goodServers+imap+smtp), rule(data.LoginAddress), ""},
		{"exactly 10,000 domains", config(manyDomains(MaxConfigDomains) + imap + smtp),
			func(p *data.Provider) string { return want(len(p.Domains), MaxConfigDomains) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := ParseClientConfig(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatalf("ParseClientConfig: %v", err)
			}
			if msg := tt.check(cc.Provider); msg != "" {
				t.Error(msg)
			}
			if cc.ProviderID != "example.com" {
				t.Errorf("ProviderID = %q", cc.ProviderID)
			}
			joined := strings.Join(cc.Warnings, "\n")
			if tt.warning == "" && len(cc.Warnings) > 0 || !strings.Contains(joined, tt.warning) {
				t.Errorf("warnings %q, want one with %q", cc.Warnings, tt.warning)
			}
		})
	}
}

func rule(r data.LoginRule) func(*data.Provider) string {
	return func(p *data.Provider) string { return want(p.LoginRule, r) }
}

func want[T comparable](got, want T) string {
	if got != want {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	return ""
}

func TestCheckPlaceholders(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"plain", true},
		{"%EMAILADDRESS%", true},
		{"%EMAILLOCALPART%.%EMAILDOMAIN%", true},
		{"imap.%EMAILHOSTNAME%", true},
		{"%EMAILADDRESS", false},
		{"EMAILADDRESS%", false},
		{"%emailaddress%", false},
		{"%%", false},
		{"100% sure", false},
	}
	for _, tt := range tests {
		if err := checkPlaceholders("field", tt.in); (err == nil) != tt.ok {
			t.Errorf("checkPlaceholders(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestMarshalClientConfigRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    data.Provider
	}{
		{"address login", data.Provider{Name: "A & B <Mail>", IMAPEnabled: true, SMTPEnabled: true, LoginRule: data.LoginAddress,
			IMAP:    data.Server{Host: "imap.a.example", Port: 993, Security: data.SecuritySSL},
			SMTP:    data.Server{Host: "smtp.a.example", Port: 587, Security: data.SecurityStartTLS},
			Domains: []string{"b.example", "a.example"}, ExternalID: "a.example"}},
		{"manual login, plain", data.Provider{Name: "Plain", IMAPEnabled: true, SMTPEnabled: true, LoginRule: data.LoginManual,
			IMAP:    data.Server{Host: "mail.p.example", Port: 143, Security: data.SecurityNone},
			SMTP:    data.Server{Host: "mail.p.example", Port: 25, Security: data.SecurityNone},
			Domains: []string{"p.example"}}},
		{"disambiguated key", data.Provider{Name: "Zoho AU", IMAPEnabled: true, SMTPEnabled: true, LoginRule: data.LoginLocalPart,
			IMAP:    data.Server{Host: "imap.zoho.com.au", Port: 993, Security: data.SecuritySSL},
			SMTP:    data.Server{Host: "smtp.zoho.com.au", Port: 465, Security: data.SecuritySSL},
			Domains: []string{"zohomail.com.au", "zoho.com.au"}, ExternalID: "zoho.com/zoho.com.au"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := MarshalClientConfig(&tt.p)
			if err != nil {
				t.Fatalf("MarshalClientConfig: %v", err)
			}
			cc, err := ParseClientConfig(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("ParseClientConfig of\n%s\n: %v", b, err)
			}
			got, p := cc.Provider, tt.p
			if got.Name != p.Name || got.IMAP != p.IMAP || got.SMTP != p.SMTP || got.LoginRule != p.LoginRule ||
				!slices.Equal(slices.Sorted(slices.Values(got.Domains)), slices.Sorted(slices.Values(p.Domains))) {
				t.Errorf("round trip changed the provider:\n got %+v\nwant %+v", *got, p)
			}
			if wantID, _, _ := strings.Cut(p.ExternalID, "/"); wantID != "" && cc.ProviderID != wantID {
				t.Errorf("ProviderID = %q, want %q", cc.ProviderID, wantID)
			}
			if _, key, ok := strings.Cut(p.ExternalID, "/"); ok && got.Domains[0] != key {
				t.Errorf("first domain %q, want the key's %q", got.Domains[0], key)
			}
		})
	}
}

func TestMarshalClientConfigRefuses(t *testing.T) {
	base := data.Provider{Name: "X", IMAPEnabled: true, SMTPEnabled: true, LoginRule: data.LoginAddress,
		IMAP: data.Server{Host: "imap.x.example", Port: 993, Security: data.SecuritySSL},
		SMTP: data.Server{Host: "smtp.x.example", Port: 465, Security: data.SecuritySSL}, Domains: []string{"x.example"}}
	noDomains, noIMAP, noSMTP := base, base, base
	noDomains.Domains = nil
	noIMAP.IMAP.Host = ""
	noSMTP.SMTP.Host = ""
	for name, p := range map[string]data.Provider{"no domains": noDomains, "no IMAP host": noIMAP, "no SMTP host": noSMTP} {
		if _, err := MarshalClientConfig(&p); !errors.Is(err, ErrNotExportable) {
			t.Errorf("%s: err = %v, want ErrNotExportable", name, err)
		}
	}
}
