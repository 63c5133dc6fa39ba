package mailclient

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mailroom/data"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    Address
		problem string // part of the reason; "" when it parses
	}{
		{"bob@example.com", Address{Addr: "bob@example.com"}, ""},
		{"  Bob <bob@Example.COM> ", Address{Name: "Bob", Addr: "bob@example.com"}, ""},
		{`"Smith, Bob" <bob@example.com>`, Address{Name: "Smith, Bob", Addr: "bob@example.com"}, ""},
		{"Jürgen <jürgen@bücher.example>", Address{Name: "Jürgen", Addr: "jürgen@xn--bcher-kva.example"}, ""},
		{"=?utf-8?q?J=C3=BCrgen?= <j@example.com>", Address{Name: "Jürgen", Addr: "j@example.com"}, ""},
		{"bob", Address{}, "has no @"},
		{"bob@", Address{}, "after @ is missing"},
		{"@example.com", Address{}, "before @ is missing"},
		{"a@b@c", Address{}, "exactly one @"},
		{`"Bob" <bob@example>`, Address{}, "needs a dot"},
		{"Bob <bob@example.com", Address{}, "< or > is missing"},
		{"bob smith@example.com", Address{}, "spaces"},
		{"", Address{}, "empty"},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in)
		switch {
		case tt.problem == "" && err != nil:
			t.Errorf("ParseAddress(%q): %v", tt.in, err)
		case tt.problem == "" && got != tt.want:
			t.Errorf("ParseAddress(%q) = %+v, want %+v", tt.in, got, tt.want)
		case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
			t.Errorf("ParseAddress(%q) = %v, want an error saying %q", tt.in, err, tt.problem)
		}
	}
}

func TestParseAddressListSplitsOutsideQuotes(t *testing.T) {
	good, bad := ParseAddressList(`"Smith, Ann" <ann@example.com>; bob@example.com,, bob, carl@`)
	if len(good) != 2 || good[0].Name != "Smith, Ann" || good[1].Addr != "bob@example.com" {
		t.Errorf("good = %+v", good)
	}
	if len(bad) != 2 || bad[0].Input != "bob" || bad[1].Input != "carl@" {
		t.Errorf("bad = %+v", bad)
	}
	back, _ := ParseAddressList(FormatAddressList(good))
	if fmt.Sprint(back) != fmt.Sprint(good) {
		t.Errorf("FormatAddressList does not read back: %v", back)
	}
}

func TestCheckComposition(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.txt")
	os.WriteFile(file, []byte("x"), 0o600)
	many := make([]string, 1000)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@example.com", i)
	}
	base := data.Composition{From: "ann@example.com", To: "bob@example.com", Subject: "Hi", Attachments: []string{file}}
	with := func(f func(c *data.Composition)) data.Composition { c := base; f(&c); return c }
	tests := []struct {
		name    string
		c       data.Composition
		field   string // "" when it passes
		says    string
		isEmpty bool
	}{
		{"good", base, "", "", false},
		{"bad to", with(func(c *data.Composition) { c.To = "bob, carl@example.com" }), FieldTo, "has no @", false},
		{"bad bcc", with(func(c *data.Composition) { c.Bcc = "a@b@c" }), FieldBcc, "exactly one @", false},
		{"nobody", with(func(c *data.Composition) { c.To = " , " }), FieldTo, "at least one recipient", false},
		{"thousand", with(func(c *data.Composition) { c.To = strings.Join(many, ", ") }), FieldTo, "at most 500", false},
		{"bad from", with(func(c *data.Composition) { c.From = "ann" }), FieldFrom, "has no @", false},
		{"gone file", with(func(c *data.Composition) { c.Attachments = []string{filepath.Join(dir, "gone.pdf")} }),
			FieldAttachments, "“gone.pdf” is no longer at", false},
		{"folder", with(func(c *data.Composition) { c.Attachments = []string{dir} }), FieldAttachments, "not a file", false},
		{"no subject", with(func(c *data.Composition) { c.Subject = " " }), "", "", true},
	}
	for _, tt := range tests {
		_, err := CheckComposition(&tt.c, false)
		var v *data.ValidationError
		switch {
		case tt.isEmpty:
			if !errors.Is(err, ErrEmptySubject) {
				t.Errorf("%s: %v, want ErrEmptySubject", tt.name, err)
			}
			if _, err := CheckComposition(&tt.c, true); err != nil {
				t.Errorf("%s allowed: %v", tt.name, err)
			}
		case tt.field == "":
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		case !errors.As(err, &v) || !strings.Contains(v.For(tt.field), tt.says):
			t.Errorf("%s: %v, want %s saying %q", tt.name, err, tt.field, tt.says)
		}
	}
}

func TestCheckCompositionUnreadableAttachment(t *testing.T) {
	if os.Geteuid() == 0 { // root reads every file: check it as an ordinary user instead
		runAsNobody(t, "^TestCheckCompositionUnreadableAttachment$")
		return
	}
	file := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(file, []byte("x"), 0o000)
	c := data.Composition{From: "ann@example.com", To: "bob@example.com", Subject: "s", Attachments: []string{file}}
	_, err := CheckComposition(&c, false)
	if err == nil || !strings.Contains(Explain(err), "permission denied") {
		t.Errorf("got %v", err)
	}
}

func TestBuildMessageHeadersCannotBeInjected(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.pdf")
	os.WriteFile(file, bytes.Repeat([]byte{0, 1, 2, 255}, 1000), 0o600)
	c := data.Composition{From: "Änn Ärger <ann@example.com>", To: "Bob <bob@bücher.example>", Bcc: "hidden@example.com",
		Subject: "Grüße\r\nBcc: x@example.com", Body: "Hallo\nzweite Zeile ü\n", Attachments: []string{file},
		InReplyTo: "<1@example.com>", References: []string{"<0@example.com>", "<1@example.com>"}}
	o, err := CheckComposition(&c, false)
	if err != nil {
		t.Fatal(err)
	}
	o.MessageID, o.Date = "<abc@example.com>", time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	m, err := BuildMessage(o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	size, err := MessageSize(m)
	if err != nil || size != int64(buf.Len()) {
		t.Errorf("MessageSize = %d %v, written %d", size, err, buf.Len())
	}
	msg, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if h.Get("Bcc") != "" {
		t.Errorf("a Bcc header: %q", h.Get("Bcc"))
	}
	subj, _ := new(mimeDecoder).DecodeHeader(h.Get("Subject"))
	if subj != "Grüße Bcc: x@example.com" {
		t.Errorf("Subject = %q", subj)
	}
	for k, want := range map[string]string{"Message-Id": "<abc@example.com>", "In-Reply-To": "<1@example.com>",
		"References": "<0@example.com> <1@example.com>", "Date": "Fri, 27 Nov 2026 10:00:00 +0000"} {
		if got := strings.Join(strings.Fields(h.Get(k)), " "); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if to := h.Get("To"); !strings.Contains(to, "bob@xn--bcher-kva.example") {
		t.Errorf("To = %q, want the punycode domain", to)
	}
	from, err := h.AddressList("From")
	if err != nil || from[0].Name != "Änn Ärger" {
		t.Errorf("From = %v %v", from, err)
	}
}

func TestMessageSizeFailsOnAttachmentRemovedAfterBuilding(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.bin")
	os.WriteFile(file, []byte("x"), 0o600)
	o := &OutMessage{From: Address{Addr: "a@example.com"}, To: []Address{{Addr: "b@example.com"}}, Subject: "s",
		Attachments: []string{file}, MessageID: "<x@example.com>", Date: time.Now()}
	m, err := BuildMessage(o)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(file)
	_, err = MessageSize(m)
	var ae *AttachmentError
	if !errors.As(err, &ae) || Temporary(err) {
		t.Errorf("MessageSize after removal: %v", err)
	}
}

// runAsNobody runs the tests matching pattern in a copy of this test binary as the user
// nobody, and fails when they fail: permission checks mean nothing to root.
func runAsNobody(t *testing.T, pattern string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailroom-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "test.bin")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	cmd := exec.Command(bin, "-test.run="+pattern, "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TMPDIR=" + os.TempDir(), "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}
