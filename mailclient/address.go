package mailclient

import (
	"fmt"
	"net/mail"
	"strings"

	"mailroom/data"
)

// Address is one checked email address.
type Address struct {
	Name string // display name; "" for none
	Addr string // local@domain, the domain in ASCII (punycode) form as it goes on the wire
}

// String returns a as a header wants it: the name quoted or encoded as needed.
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Addr}).String()
}

// Display returns a as people type and read it: "Name <local@domain>" with the domain in
// Unicode, the name quoted when it holds a comma or the like.
func (a Address) Display() string {
	addr := a.Addr
	if at := strings.LastIndex(addr, "@"); at >= 0 {
		addr = addr[:at+1] + data.DisplayDomain(addr[at+1:])
	}
	if a.Name == "" {
		return addr
	}
	name := a.Name
	if strings.ContainsAny(name, `",;<>@()[]:\.`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + addr + ">"
}

// AddressError is one typed address that cannot be used.
type AddressError struct {
	Input  string // the address as typed
	Reason string // a plain sentence
}

func (e *AddressError) Error() string { return fmt.Sprintf("address %q: %s", e.Input, e.Reason) }

// ParseAddress checks one address as typed ("bob@example.com", "Bob <bob@example.com>",
// "Bob Smith <bob@bücher.example>"). It returns an *AddressError saying what is wrong.
func ParseAddress(s string) (Address, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Address{}, &AddressError{Input: s, Reason: "The address is empty."}
	}
	if strings.ContainsAny(in, "\r\n\x00") {
		return Address{}, &AddressError{Input: in, Reason: "An address cannot contain line breaks."}
	}
	parsed, err := mail.ParseAddress(in)
	if err != nil {
		return Address{}, &AddressError{Input: in, Reason: diagnose(in)}
	}
	local, domain, err := data.SplitAddress(parsed.Address)
	if err != nil {
		return Address{}, &AddressError{Input: in, Reason: sentence(err.Error())}
	}
	return Address{Name: oneLine(parsed.Name), Addr: local + "@" + domain}, nil
}

// diagnose says why net/mail refused in, in the words people need.
func diagnose(in string) string {
	addr := in
	if l, r := strings.LastIndex(in, "<"), strings.LastIndex(in, ">"); l >= 0 && r > l {
		addr = strings.TrimSpace(in[l+1 : r])
	} else if l >= 0 || r >= 0 {
		return "A < or > is missing: write a name and address as Name <name@example.com>."
	}
	switch n := strings.Count(addr, "@"); {
	case n == 0:
		return "This is not an email address: it has no @, as in " + addr + "@example.com."
	case n > 1:
		return "An email address has exactly one @."
	case strings.HasSuffix(addr, "@"):
		return "The part after @ is missing, as in " + addr + "example.com."
	case strings.HasPrefix(addr, "@"):
		return "The part before @ is missing."
	case strings.ContainsAny(addr, " \t"):
		return "An email address cannot contain spaces."
	}
	return "This is not a valid email address; a name with a comma or dot needs quotes: \"Smith, Ann\" <ann@example.com>."
}

// sentence ends msg with a full stop.
func sentence(msg string) string {
	if strings.HasSuffix(msg, ".") {
		return msg
	}
	return msg + "."
}

// ParseAddressList checks a list of addresses as typed, separated by commas or semicolons
// (inside quotes or < > they are part of the address). Empty entries are skipped. It
// returns the good addresses, and an *AddressError for each bad one.
func ParseAddressList(s string) ([]Address, []*AddressError) {
	var good []Address
	var bad []*AddressError
	for _, entry := range splitList(s) {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		a, err := ParseAddress(entry)
		if err != nil {
			bad = append(bad, err.(*AddressError))
			continue
		}
		good = append(good, a)
	}
	return good, bad
}

// splitList splits s at commas and semicolons outside quotes, comments and angle brackets.
func splitList(s string) []string {
	var out []string
	var quoted, escaped bool
	depth, angle, start := 0, 0, 0
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && (quoted || depth > 0):
			escaped = true
		case r == '"' && depth == 0:
			quoted = !quoted
		case quoted:
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth > 0:
		case r == '<':
			angle++
		case r == '>' && angle > 0:
			angle--
		case (r == ',' || r == ';') && angle == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// FormatAddressList returns addrs as people type them, separated by commas; ParseAddressList
// reads it back.
func FormatAddressList(addrs []Address) string {
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = a.Display()
	}
	return strings.Join(parts, ", ")
}

// oneLine folds any line breaks and runs of spaces in s into single spaces, so a typed value
// can never start a header of its own.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\r' || r == '\n' || r == ' ' || r == '\t' || r == '\x00'
	}), " ")
}
