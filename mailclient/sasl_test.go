package mailclient

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"mailroom/data"
)

func TestOAuthMechanismPrefersTheStandardOne(t *testing.T) {
	for _, c := range []struct {
		offered []string
		want    string
	}{
		{[]string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"}, mechOAuthBearer},
		{[]string{"PLAIN", "XOAUTH2"}, mechXOAuth2}, // Microsoft
		{[]string{"PLAIN", "LOGIN"}, ""},
		{nil, ""},
	} {
		if got := oauthMechanism(c.offered); got != c.want {
			t.Errorf("oauthMechanism(%q) = %q, want %q", c.offered, got, c.want)
		}
	}
	caps := imap.CapSet{"IMAP4rev1": {}, "AUTH=PLAIN": {}, "auth=xoauth2": {}}
	if got := oauthMechanism(imapAuthMechanisms(caps)); got != mechXOAuth2 {
		t.Errorf("from capabilities %v: %q", caps, got)
	}
}

func TestInitialResponses(t *testing.T) {
	x := string(initialResponse(mechXOAuth2, "ann@example.com", "imap.example.com", 993, "tok"))
	if x != "user=ann@example.com\x01auth=Bearer tok\x01\x01" {
		t.Errorf("XOAUTH2 %q", x)
	}
	b := string(initialResponse(mechOAuthBearer, "a,b=c@example.com", "imap.example.com", 993, "tok"))
	if b != "n,a=a=2Cb=3Dc@example.com,\x01host=imap.example.com\x01port=993\x01auth=Bearer tok\x01\x01" {
		t.Errorf("OAUTHBEARER %q", b)
	}
}

// TestOAuthSASLAnswersTheErrorChallenge: after the server's error challenge the client
// answers (so the server ends the exchange with NO at once) instead of failing and leaving
// the server waiting; IMAP never gets an empty answer, which go-imap would write as "=".
func TestOAuthSASLAnswersTheErrorChallenge(t *testing.T) {
	for _, mech := range []string{mechXOAuth2, mechOAuthBearer} {
		c := &oauthSASL{mech: mech, initial: []byte("x")}
		resp, err := c.Next([]byte(`{"status":"invalid_token"}`))
		if err != nil || string(resp) != "\x01" || !strings.Contains(c.challenge, "invalid_token") {
			t.Errorf("%s: %q %v", mech, resp, err)
		}
		a := &smtpOAuth{mech: mech}
		resp, err = a.Next([]byte(`{"status":"401"}`), true)
		if err != nil || resp == nil {
			t.Errorf("SMTP %s after 334: %q %v", mech, resp, err)
		}
		if resp, _ := a.Next(nil, false); resp != nil {
			t.Errorf("SMTP %s after 235: %q", mech, resp)
		}
	}
}

func TestSignInURLCarriesPKCEStateAndHint(t *testing.T) {
	p := data.NewProvider()
	p.Name = "Example"
	p.IMAPAuth, p.SMTPAuth = data.AuthOAuth2, data.AuthOAuth2
	p.OAuth = data.OAuth2{AuthURL: "https://accounts.google.com/o/oauth2/auth", TokenURL: "https://oauth2.googleapis.com/token",
		Scopes: []string{"https://mail.google.com/"}, ClientID: "id"}
	a, err := StartSignIn(p, "ann@gmail.com", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := StartSignIn(p, "ann@gmail.com", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "login_hint=ann%40gmail.com",
		"redirect_uri=http%3A%2F%2F127.0.0.1%3A", "response_type=code", "prompt=consent", "state="} {
		if !strings.Contains(a.URL, want) {
			t.Errorf("%s lacks %s", a.URL, want)
		}
	}
	if a.state == b.state || a.verifier == b.verifier || a.ln.Addr().String() == b.ln.Addr().String() {
		t.Error("two sign-ins share a state, a verifier or a port")
	}
	if host := a.ln.Addr().String(); !strings.HasPrefix(host, "127.0.0.1:") {
		t.Errorf("listening on %s", host)
	}
}
