package mailclient

import (
	"fmt"
	"mime"
	"slices"
	"strings"
	"testing"
	"time"
)

type mimeDecoder = mime.WordDecoder

func TestReplyAndForwardSubjects(t *testing.T) {
	tests := []struct{ in, reply, forward string }{
		{"Lunch", "Re: Lunch", "Fwd: Lunch"},
		{"Re: Lunch", "Re: Lunch", "Fwd: Re: Lunch"},
		{"Re: Re: AW: RE[2]: sv: Lunch", "Re: Lunch", "Fwd: Re: Re: AW: RE[2]: sv: Lunch"},
		{"Fwd: Fw: WG: Lunch", "Re: Fwd: Fw: WG: Lunch", "Fwd: Lunch"},
		{"", "Re: ", "Fwd: "},
		{"Reply needed", "Re: Reply needed", "Fwd: Reply needed"},
		{"Re:\r\nBcc: x@example.com", "Re: Bcc: x@example.com", "Fwd: Re: Bcc: x@example.com"},
	}
	for _, tt := range tests {
		if got := ReplySubject(tt.in); got != tt.reply {
			t.Errorf("ReplySubject(%q) = %q, want %q", tt.in, got, tt.reply)
		}
		if got := ForwardSubject(tt.in); got != tt.forward {
			t.Errorf("ForwardSubject(%q) = %q, want %q", tt.in, got, tt.forward)
		}
	}
}

func addrs(s ...string) []Address {
	out := make([]Address, len(s))
	for i, a := range s {
		out[i] = Address{Addr: a}
	}
	return out
}

func TestReplyRecipients(t *testing.T) {
	me := Address{Name: "Ann", Addr: "ann@example.com"}
	tests := []struct {
		name   string
		orig   Original
		all    bool
		to, cc string
	}{
		{"reply", Original{From: addrs("bob@example.com"), To: addrs("ann@example.com", "carl@example.com")}, false,
			"bob@example.com", ""},
		{"reply-to wins", Original{From: addrs("bob@example.com"), ReplyTo: addrs("list@example.com")}, false,
			"list@example.com", ""},
		{"all minus me and my alias", Original{From: addrs("bob@example.com"),
			To: addrs("ANN@example.com", "carl@example.com"), Cc: addrs("ann.alias@example.com", "dora@example.com", "bob@example.com")},
			true, "bob@example.com, carl@example.com", "dora@example.com"},
		{"my own message", Original{From: addrs("ann@example.com"), To: addrs("bob@example.com")}, true,
			"bob@example.com", ""},
	}
	for _, tt := range tests {
		c := Reply(&tt.orig, me, []string{"ann.alias@example.com"}, tt.all)
		if c.To != tt.to || c.Cc != tt.cc {
			t.Errorf("%s: to %q cc %q, want %q %q", tt.name, c.To, c.Cc, tt.to, tt.cc)
		}
		if c.From != "Ann <ann@example.com>" {
			t.Errorf("%s: from %q", tt.name, c.From)
		}
	}
}

func TestReplyThreadingAndQuote(t *testing.T) {
	many := make([]string, 30)
	for i := range many {
		many[i] = fmt.Sprintf("<%d@x>", i)
	}
	tests := []struct {
		name string
		orig Original
		refs []string
	}{
		{"first reply", Original{MessageID: "<a@x>"}, []string{"<a@x>"}},
		{"in thread", Original{MessageID: "<c@x>", InReplyTo: "<b@x>", References: []string{"<a@x>", "<b@x>"}},
			[]string{"<a@x>", "<b@x>", "<c@x>"}},
		{"only in-reply-to", Original{MessageID: "<c@x>", InReplyTo: "<b@x>"}, []string{"<b@x>", "<c@x>"}},
		{"long thread keeps the first", Original{MessageID: "<z@x>", References: many},
			append(append([]string{"<0@x>"}, many[len(many)-18:]...), "<z@x>")},
	}
	for _, tt := range tests {
		tt.orig.From = addrs("bob@example.com")
		c := Reply(&tt.orig, Address{Addr: "ann@example.com"}, nil, false)
		if c.InReplyTo != tt.orig.MessageID || !slices.Equal(c.References, tt.refs) {
			t.Errorf("%s: in-reply-to %q references %v, want %v", tt.name, c.InReplyTo, c.References, tt.refs)
		}
	}
	orig := Original{From: []Address{{Name: "Bob", Addr: "bob@example.com"}}, Date: time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC),
		Body: "Hello\r\n\r\n> earlier\n"}
	c := Reply(&orig, Address{Addr: "ann@example.com"}, nil, false)
	want := "\n\nOn Fri, 2 Jan 2026 at 15:04, Bob <bob@example.com> wrote:\n> Hello\n>\n>> earlier\n"
	if c.Body != want {
		t.Errorf("quoted body %q, want %q", c.Body, want)
	}
}

func TestForwardKeepsAttachmentsAndHeaders(t *testing.T) {
	orig := Original{Subject: "Re: Plan", From: addrs("bob@example.com"), To: addrs("ann@example.com"), Body: "the plan\n"}
	c := Forward(&orig, Address{Addr: "ann@example.com"}, []string{"/tmp/plan.pdf"})
	if c.Subject != "Fwd: Re: Plan" || !slices.Equal(c.Attachments, []string{"/tmp/plan.pdf"}) || c.InReplyTo != "" {
		t.Errorf("Forward = %+v", c)
	}
	for _, want := range []string{"Forwarded message", "From: bob@example.com", "To: ann@example.com", "the plan"} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("forward body lacks %q: %q", want, c.Body)
		}
	}
}
