package data

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxNameLen is the longest provider name accepted, in characters.
const MaxNameLen = 100

// nameKey is the form in which provider names must be unique: case and spacing ignored.
func nameKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// CleanName trims a provider name, folds runs of white space into one space and removes
// bidirectional control characters (see StripBidi).
func CleanName(name string) string { return strings.Join(strings.Fields(StripBidi(name)), " ") }

// ParsePort reads a TCP port typed by a person; the error says what is wrong in plain words.
// Only digits are a port: " 993 " and "+993" are refused, as a clientConfig file or a form
// that writes them is wrong about something else too.
func ParsePort(s string) (int, error) {
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("Enter a port number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("The port must be a whole number from 1 to 65535, in digits only (no spaces or signs)")
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("The port must be from 1 to 65535")
	}
	return n, nil
}

// ParseTimeout reads a send-server response timeout in seconds (1 to 600).
func ParseTimeout(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < MinTimeout || n > MaxTimeout {
		return 0, fmt.Errorf("The timeout must be a whole number of seconds from %d to %d", MinTimeout, MaxTimeout)
	}
	return n, nil
}

// Timeout limits, in seconds.
const (
	MinTimeout     = 1
	MaxTimeout     = 600
	DefaultTimeout = 40
)

// NormalizeHost checks a server host name or IP address and returns it in stored form:
// lowercase ASCII for names (internationalized names as punycode), brackets removed from IPv6.
func NormalizeHost(s string) (string, error) {
	h := strings.TrimSpace(s)
	if h == "" {
		return "", fmt.Errorf("Enter the server's host name or IP address")
	}
	if strings.Contains(h, "://") {
		return "", fmt.Errorf("Enter only the host name, without %q", h[:strings.Index(h, "://")+3])
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), nil
	}
	if strings.ContainsAny(h, " \t/:@[]") {
		return "", fmt.Errorf("A host name cannot contain spaces or any of / : @ [ ]")
	}
	name, err := asciiName(strings.TrimSuffix(h, "."))
	if err != nil {
		return "", err
	}
	return name, nil
}

// asciiName validates a DNS name and returns its lowercase ASCII form.
func asciiName(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("The name is empty")
	}
	a, err := idna.Lookup.ToASCII(strings.ToLower(s))
	if err != nil {
		return "", fmt.Errorf("%q is not a valid name: check for empty parts (..), spaces or symbols", s)
	}
	if len(a) > 253 {
		return "", fmt.Errorf("The name is longer than 253 characters")
	}
	for _, label := range strings.Split(a, ".") {
		if err := checkLabel(label); err != nil {
			return "", err
		}
	}
	return a, nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return fmt.Errorf("The name has an empty part (two dots in a row, or a dot at the start)")
	case len(label) > 63:
		return fmt.Errorf("A part of the name is longer than 63 characters")
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("A part of the name cannot start or end with a hyphen: %q", label)
	}
	for _, c := range label {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("The name may contain only letters, digits, hyphens and dots")
		}
	}
	return nil
}

// NormalizeDomain checks an email domain and returns its stored form: lowercase ASCII
// (internationalized names as punycode), without a trailing dot.
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSpace(s)
	if strings.Contains(d, "@") {
		return "", fmt.Errorf("Enter only the domain, the part after @ (for example gmail.com)")
	}
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", fmt.Errorf("Enter a domain, for example gmail.com")
	}
	if !strings.Contains(d, ".") {
		return "", fmt.Errorf("%q is not a full domain: it needs a dot, as in %s.com", d, d)
	}
	if strings.ContainsAny(d, " \t/:[]") {
		return "", fmt.Errorf("A domain cannot contain spaces or any of / : [ ]")
	}
	return asciiName(d)
}

// DisplayDomain returns a stored domain as people read it: Unicode for internationalized
// names, except lookalike ones (see Lookalike), which stay in their ASCII form as browsers
// show them.
func DisplayDomain(d string) string {
	if Lookalike(d) != "" {
		return d
	}
	u, err := idna.Display.ToUnicode(d)
	if err != nil {
		return d
	}
	return u
}

// SplitAddress checks an email address and returns its local part and normalized domain.
func SplitAddress(address string) (local, domain string, err error) {
	a := strings.TrimSpace(address)
	switch {
	case a == "":
		return "", "", fmt.Errorf("Enter an email address")
	case utf8.RuneCountInString(a) > 254:
		return "", "", fmt.Errorf("The address is longer than 254 characters")
	case strings.Count(a, "@") != 1:
		return "", "", fmt.Errorf("An email address has exactly one @, as in ann@example.com")
	case strings.ContainsAny(a, " \t\r\n<>"):
		return "", "", fmt.Errorf("An email address cannot contain spaces or < >")
	}
	at := strings.LastIndex(a, "@")
	local = a[:at]
	if local == "" {
		return "", "", fmt.Errorf("Enter the part before @, as in ann@example.com")
	}
	if _, err := mail.ParseAddress(local + "@example.com"); err != nil {
		return "", "", fmt.Errorf("The part before @ is not valid")
	}
	domain, err = NormalizeDomain(a[at+1:])
	if err != nil {
		return "", "", err
	}
	return local, domain, nil
}
