package mailclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

func readTestMessage(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "messages", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMessage(t *testing.T) {
	tests := []struct {
		file        string
		subject     string
		from        string
		text        []string // substrings of the text
		notText     []string
		fromHTML    bool
		attachments []string
	}{
		{file: "plain.eml", subject: "Plain hello", from: "Bob Sender <bob@example.net>", text: []string{"Hello Ann,\nthis is plain text."}},
		{file: "html-only.eml", subject: "HTML only", text: []string{"Weekly news", "Read the article <https://example.org/a>.", "Second paragraph & more"},
			notText: []string{"alert", "color:red", "tracker", "p.gif"}, fromHTML: true},
		{file: "alternative.eml", subject: "Alternative", text: []string{"The plain version."}, notText: []string{"HTML"}},
		{file: "attachments.eml", subject: "Rechnung für März", from: "Jürgen Müller <juergen@example.de>",
			text: []string{"Die Rechnung für März ist angehängt."}, attachments: []string{"Rechnung März.pdf", "../../etc/passwd"}},
		{file: "latin1.eml", subject: "Café crème", from: "François <francois@example.fr>", text: []string{"Un café crème, s'il vous plaît."}},
		{file: "cyrillic.eml", subject: "Привет", from: "Иван <ivan@example.ru>", text: []string{"Привет, мир!"}},
		{file: "broken.eml", subject: "Broken MIME", from: "broken@example.net"},
		{file: "minimal.eml", subject: "No headers to speak of", text: []string{"just a body"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rd := ParseMessage(readTestMessage(t, tt.file))
			if rd.Subject != tt.subject || (tt.from != "" && rd.From != tt.from) || rd.FromHTML != tt.fromHTML {
				t.Errorf("subject %q from %q html %v", rd.Subject, rd.From, rd.FromHTML)
			}
			for _, s := range tt.text {
				if !strings.Contains(rd.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, rd.Text)
				}
			}
			for _, s := range tt.notText {
				if strings.Contains(rd.Text, s) {
					t.Errorf("text has %q:\n%s", s, rd.Text)
				}
			}
			var names []string
			for _, a := range rd.Attachments {
				names = append(names, a.Name)
				if a.Size == 0 {
					t.Errorf("attachment %q has no size", a.Name)
				}
			}
			if strings.Join(names, "|") != strings.Join(tt.attachments, "|") {
				t.Errorf("attachments %q, want %q", names, tt.attachments)
			}
		})
	}
}

func TestAttachmentData(t *testing.T) {
	raw := readTestMessage(t, "attachments.eml")
	pdf, err := AttachmentData(raw, 0)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-1.4") {
		t.Errorf("attachment 0 = %q, %v", pdf, err)
	}
	if b, err := AttachmentData(raw, 1); err != nil || string(b) != "root:x:0:0" {
		t.Errorf("attachment 1 = %q, %v", b, err)
	}
	if _, err := AttachmentData(raw, 2); err != ErrNoAttachment {
		t.Errorf("attachment 2: %v", err)
	}
}

func TestSafeFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"Rechnung März.pdf", "Rechnung März.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Windows\system32\evil.dll`, "evil.dll"},
		{"..", "attachment"},
		{"...", "attachment"},
		{"", "attachment"},
		{"a..b.txt", "a.b.txt"},
		{".bashrc", "bashrc"},
		{"bad\x00name\r\n.txt", "badname.txt"},
		{"what?<x>|y*.txt", "what__x__y_.txt"},
		{"CON.txt", "_CON.txt"},
		{"nul", "_nul"},
		{"right\u202eto-left.exe", "rightto-left.exe"},
		{"trailing dots. . .", "trailing dots"},
		{strings.Repeat("é", 300) + ".pdf", strings.Repeat("é", 98) + ".pdf"},
		{"bad\xffutf8.txt", "badutf8.txt"},
	}
	for _, tt := range tests {
		if got := SafeFileName(tt.in); got != tt.want {
			t.Errorf("SafeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"a<br>b", "a\nb"},
		{"<script>x()</script>ok<style>.a{}</style>", "ok"},
		{`<img src="http://x/y.png" alt="Logo"> text`, "[Logo] text"},
		{"<p>a &lt;b&gt; &amp; c</p>", "a <b> & c"},
		{"<div>unclosed <b>bold", "unclosed bold"},
		{"<iframe src='http://x'>inside</iframe>after", "after"},
		{`See <a href="https://example.org/report">the report</a> now.`, "See the report <https://example.org/report> now."},
		{`<a href="https://example.org/">https://example.org</a>`, "https://example.org"},
		{`<a href="mailto:ann@example.org">ann@example.org</a>`, "ann@example.org"},
		{`<a href="mailto:ann@example.org">Write to Ann</a>`, "Write to Ann <mailto:ann@example.org>"},
		{`<a href="https://x.test/a"><img src="cid:1" alt="Logo"></a>`, "[Logo] <https://x.test/a>"},
		{`<a href="https://x.test/a"></a>`, "<https://x.test/a>"},
		{`<a href="#top">Top</a> <a href="javascript:run()">Run</a> <a href="/rel">Rel</a>`, "Top Run Rel"},
	}
	for _, tt := range tests {
		if got := HTMLToText(tt.in); got != tt.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseMessage feeds broken messages to the reader: it must never panic, and what it
// returns must stay within its limits and be printable.
func FuzzParseMessage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "messages", "*.eml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rd := ParseMessage(raw)
		if len(rd.Text) > MaxTextSize+len("\uFFFD")*MaxTextSize/2 {
			t.Fatalf("text of %d bytes", len(rd.Text))
		}
		for _, r := range rd.Text {
			if r != '\n' && r != '\t' && unicode.IsControl(r) {
				t.Fatalf("control character %U in text", r)
			}
		}
		for _, a := range rd.Attachments {
			n := SafeFileName(a.Name)
			if n == "" || strings.ContainsAny(n, `/\`) || strings.Contains(n, "..") {
				t.Fatalf("unsafe file name %q from %q", n, a.Name)
			}
			AttachmentData(raw, a.Index)
		}
	})
}
