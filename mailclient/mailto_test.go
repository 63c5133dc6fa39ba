package mailclient

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"mailroom/data"
)

func TestParseMailto(t *testing.T) {
	tests := []struct {
		link string
		want data.Composition
	}{
		// The examples of RFC 6068, section 6.
		{"mailto:chris@example.com", data.Composition{To: "chris@example.com"}},
		{"mailto:infobot@example.com?subject=current-issue", data.Composition{To: "infobot@example.com", Subject: "current-issue"}},
		{"mailto:infobot@example.com?body=send%20current-issue", data.Composition{To: "infobot@example.com", Body: "send current-issue"}},
		{"mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
			data.Composition{To: "infobot@example.com", Body: "send current-issue\nsend index"}},
		{"mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
			data.Composition{To: "list@example.org", InReplyTo: "<3469A91.D10AF4C@example.com>"}},
		{"mailto:majordomo@example.com?body=subscribe%20bamboo-l", data.Composition{To: "majordomo@example.com", Body: "subscribe bamboo-l"}},
		{"mailto:joe@example.com?cc=bob@example.com&body=hello", data.Composition{To: "joe@example.com", Cc: "bob@example.com", Body: "hello"}},
		{"mailto:joe@example.com?cc=bob@example.com?body=hello", data.Composition{To: "joe@example.com", Cc: "bob@example.com?body=hello"}},
		{"mailto:gorby%25kremvax@example.com", data.Composition{To: "gorby%kremvax@example.com"}},
		{"mailto:unlikely%3Faddress@example.com?blat=foop", data.Composition{To: "unlikely?address@example.com"}},
		{"mailto:Mike%26family@example.org", data.Composition{To: "Mike&family@example.org"}},
		{"mailto:%22not%40me%22@example.org", data.Composition{To: `"not@me"@example.org`}},
		{"mailto:%22oh%5C%5Cno%22@example.org", data.Composition{To: `"oh\\no"@example.org`}},
		{"mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org", data.Composition{To: `"\\\"it's\ ugly\\\""@example.org`}},
		{"mailto:user@example.org?subject=caf%C3%A9", data.Composition{To: "user@example.org", Subject: "café"}},
		{"mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D", data.Composition{To: "user@example.org", Subject: "=?utf-8?Q?caf=C3=A9?="}},
		{"mailto:user@%E3%81%BB%E3%82%93%E3%81%A8%E3%81%86.example.org?subject=Test",
			data.Composition{To: "user@ほんとう.example.org", Subject: "Test"}},
		{"mailto:?to=addr1@an.example,addr2@an.example", data.Composition{To: "addr1@an.example, addr2@an.example"}},
		{"mailto:addr1@an.example,addr2@an.example", data.Composition{To: "addr1@an.example, addr2@an.example"}},
		{"mailto:addr1@an.example?to=addr2@an.example", data.Composition{To: "addr1@an.example, addr2@an.example"}},
		// The example, and what people's links look like.
		{"mailto:bob@example.test?cc=c@example.test&subject=Hello%20there&body=Hi",
			data.Composition{To: "bob@example.test", Cc: "c@example.test", Subject: "Hello there", Body: "Hi"}},
		{"MAILTO:bob@example.test?SUBJECT=Hi&Bcc=x@example.test&bcc=y@example.test",
			data.Composition{To: "bob@example.test", Bcc: "x@example.test, y@example.test", Subject: "Hi"}},
		{"mailto:", data.Composition{}},
		{"mailto:?", data.Composition{}},
		{"mailto:a@example.test?&&subject=x&", data.Composition{To: "a@example.test", Subject: "x"}},
		{"mailto:a@example.test?subject=1+1%3D2", data.Composition{To: "a@example.test", Subject: "1+1=2"}},
		{"mailto:a@example.test?subject=", data.Composition{To: "a@example.test"}},
		{"mailto:a@example.test?body=one%0Atwo%0Dthree%09tab", data.Composition{To: "a@example.test", Body: "one\ntwo\nthree\ttab"}},
		{"mailto:%41nn%20%3Cann@example.test%3E", data.Composition{To: "Ann <ann@example.test>"}},
		// A link may not set the sender, attach files or add headers it has no business with.
		{"mailto:a@example.test?from=boss@example.test&attach=/etc/passwd&attachment=C:%5Cx&x-mailer=evil&reply-to=z@example.test",
			data.Composition{To: "a@example.test"}},
		// An address the compose window will name as bad is passed on, not judged here.
		{"mailto:not-an-address", data.Composition{To: "not-an-address"}},
	}
	for _, tt := range tests {
		got, err := ParseMailto(tt.link)
		if err != nil {
			t.Errorf("ParseMailto(%q): %v", tt.link, err)
			continue
		}
		if got.To != tt.want.To || got.Cc != tt.want.Cc || got.Bcc != tt.want.Bcc || got.Subject != tt.want.Subject ||
			got.Body != tt.want.Body || got.InReplyTo != tt.want.InReplyTo || got.From != "" || len(got.Attachments) != 0 {
			t.Errorf("ParseMailto(%q) = %+v, want %+v", tt.link, got, tt.want)
		}
	}
}

func TestParseMailtoRefusesMalformedAndHostile(t *testing.T) {
	tests := []struct{ link, reason string }{
		{"https://example.test/", "not a mailto: link"},
		{"mail:a@example.test", "not a mailto: link"},
		{"", "not a mailto: link"},
		{"mailto:a@example.test?subject=Hi%0D%0ABcc:%20victim@example.test", "line break"},
		{"mailto:a@example.test?subject=Hi%0ABcc:%20victim@example.test", "line break"},
		{"mailto:a@example.test?subject=Hi%0D", "line break"},
		{"mailto:a@example.test%0D%0ABcc:victim@example.test", "line break"},
		{"mailto:a@example.test?cc=b@example.test%0ASubject:%20x", "line break"},
		{"mailto:a@example.test?to=b@example.test%0D%0A", "line break"},
		{"mailto:a@example.test?in-reply-to=%3Cx@y%3E%0D%0AX:%20y", "line break"},
		{"mailto:a@example.test?subject%0D%0ABcc=x", "line break"},
		{"mailto:a@example.test?subject=a\r\nBcc: x@example.test", "line break"},
		{"mailto:a@example.test?subject=nul%00byte", "control character"},
		{"mailto:a@example.test?body=nul%00byte", "control character"},
		{"mailto:a@example.test?body=esc%1B[2J", "control character"},
		{"mailto:a@example.test?subject=%", "hexadecimal"},
		{"mailto:a@example.test?subject=%4", "hexadecimal"},
		{"mailto:a@example.test?subject=%ZZ", "hexadecimal"},
		{"mailto:a%2", "hexadecimal"},
		{"mailto:a@example.test?subject=%FF%FE", "UTF-8"},
		{"mailto:a@example.test?body=%C3", "UTF-8"},
		{"mailto:a@example.test?subject", "no = and value"},
		{"mailto:a@example.test?subject=a&subject=b", "twice"},
		{"mailto:a@example.test?body=a&BODY=b", "twice"},
		{"mailto:a@example.test?in-reply-to=not-an-id", "message ID"},
		{"mailto:a@example.test?in-reply-to=%3Ca%3E%3Cb@c%3E", "message ID"},
		{"mailto:a@example.test#fragment", "#"},
		{"mailto:a@example.test?body=" + strings.Repeat("x", MaxMailtoLength), "longer than"},
	}
	for _, tt := range tests {
		got, err := ParseMailto(tt.link)
		var me *MailtoError
		if !errors.As(err, &me) {
			t.Errorf("ParseMailto(%q) = %+v, %v; want a *MailtoError", tt.link, got, err)
			continue
		}
		if !strings.Contains(me.Reason, tt.reason) {
			t.Errorf("ParseMailto(%q): reason %q, want it to say %q", tt.link, me.Reason, tt.reason)
		}
		if !reflect.DeepEqual(got, data.Composition{}) {
			t.Errorf("ParseMailto(%q) refused but returned %+v: nothing may be opened half", tt.link, got)
		}
	}
}

// FuzzParseMailto checks that no link, however odd, puts a line break into a header field or
// anything but plain text into the message, and that a refusal is always a plain *MailtoError.
func FuzzParseMailto(f *testing.F) {
	for _, s := range []string{
		"mailto:bob@example.test?cc=c@example.test&subject=Hello%20there&body=Hi",
		"mailto:?to=a@x,b@y&bcc=c@z&body=a%0D%0Ab",
		"mailto:a@b?subject=%0D%0ABcc:x",
		"mailto:%22not%40me%22@example.org?in-reply-to=%3Ca@b%3E",
		"mailto:a@b?subject=%C3%A9&body=%F0%9F%98%80",
		"mailto:a?&=&&x=%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		c, err := ParseMailto(link)
		if err != nil {
			var me *MailtoError
			if !errors.As(err, &me) || me.Reason == "" {
				t.Fatalf("ParseMailto(%q): %v is not a plain *MailtoError", link, err)
			}
			if !reflect.DeepEqual(c, data.Composition{}) {
				t.Fatalf("ParseMailto(%q) refused but returned %+v", link, c)
			}
			return
		}
		for name, v := range map[string]string{"to": c.To, "cc": c.Cc, "bcc": c.Bcc, "subject": c.Subject, "in-reply-to": c.InReplyTo} {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("ParseMailto(%q): %s %q holds a line break or NUL", link, name, v)
			}
			if !utf8.ValidString(v) {
				t.Fatalf("ParseMailto(%q): %s %q is not UTF-8", link, name, v)
			}
		}
		if strings.ContainsAny(c.Body, "\r\x00") || !utf8.ValidString(c.Body) {
			t.Fatalf("ParseMailto(%q): body %q is not plain text", link, c.Body)
		}
		if c.From != "" || c.MailboxID != 0 || len(c.Attachments) != 0 {
			t.Fatalf("ParseMailto(%q) set the sender or attachments: %+v", link, c)
		}
	})
}
