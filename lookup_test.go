package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// testLookup runs mailroom lookup against an ISP database served on 127.0.0.1; every other
// host name is dialled there too and fails its certificate check, so nothing leaves the machine.
func testLookup(t *testing.T, db string, args ...string) (int, string, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.1/example.test" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `<clientConfig version="1.1"><emailProvider id="example.test"><domain>example.test</domain>
			<displayName>Example Mail</displayName>
			<incomingServer type="imap"><hostname>imap.example.test</hostname><port>143</port><socketType>STARTTLS</socketType>
				<username>%EMAILLOCALPART%</username></incomingServer>
			<outgoingServer type="smtp"><hostname>smtp.example.test</hostname><port>465</port><socketType>SSL</socketType>
				<username>%EMAILLOCALPART%</username></outgoingServer></emailProvider></clientConfig>`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the certificate checks that fail on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := srv.Client()
	tr := client.Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	client = &http.Client{Transport: tr}
	var out, errb bytes.Buffer
	e := &env{dbPath: db, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := runLookup(e, args, func(s *data.Store, _ string) *mailclient.Discoverer {
		return &mailclient.Discoverer{Client: client, Providers: s, ISPDBBase: srv.URL + "/v1.1/", Timeout: 2 * time.Second,
			LookupMX: func(context.Context, string) ([]*net.MX, error) {
				return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
			}}
	})
	return code, out.String(), errb.String()
}

func TestLookupJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mailroom.db")
	code, out, errOut := testLookup(t, db, "--json", "Ann@example.test")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]any{
		"address": "Ann@example.test", "provider": "Example Mail", "source": "ispdb", "login": "Ann",
		"imap": map[string]any{"host": "imap.example.test", "port": 143.0, "security": "starttls", "auth": "password"},
		"smtp": map[string]any{"host": "smtp.example.test", "port": 465.0, "security": "ssl", "timeout_seconds": 40.0, "auth": "password"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lookup --json =\n%v\nwant\n%v", got, want)
	}

	code, out, _ = testLookup(t, db, "ann@example.test")
	if code != 0 || !strings.Contains(out, "Found in: ispdb https://127.0.0.1") || !strings.Contains(out, "imap.example.test:143 starttls") {
		t.Errorf("lookup: exit %d\n%s", code, out)
	}
}

func TestLookupNothingFound(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mailroom.db")
	code, out, errOut := testLookup(t, db, "--json", "ann@nowhere.test")
	if code != 1 || out != "" || !strings.Contains(errOut, "No settings were found for nowhere.test") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, _ := testLookup(t, db, "not-an-address"); code != 1 {
		t.Errorf("malformed address: exit %d", code)
	}
	if code, _, _ := testLookup(t, db); code != 2 {
		t.Errorf("no address: exit %d", code)
	}
}

func TestLookupFromTheDomainsList(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "mailroom.db")
	clientConfigFile(t, tmp, "alpha.example", "Alpha Mail", "imap")
	if code, out, errOut := runCLI(t, "--db", db, "providers", "import", filepath.Join(tmp, "alpha.example.xml")); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	code, out, errOut := testLookup(t, db, "--json", "ann@alpha.example")
	if code != 0 || !strings.Contains(out, `"source": "domains"`) || !strings.Contains(out, `"login": "ann@alpha.example"`) {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestPublishSubscribeGrantRevokeCLI(t *testing.T) {
	testenv.NeedKeyring(t)
	tmp := t.TempDir()
	admin, bea := filepath.Join(tmp, "admin.db"), filepath.Join(tmp, "bea.db")
	list := filepath.Join(tmp, "list")
	files := filepath.Join(tmp, "files")
	os.Mkdir(files, 0o755)
	clientConfigFile(t, files, "alpha.example", "Alpha Mail", "imap")
	if code, out, errOut := runCLI(t, "--db", admin, "providers", "import", files); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	key := func(db string) string {
		code, out, errOut := runCLI(t, "--db", db, "providers", "key")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "untrusted comment: minisign public key") ||
			!strings.Contains(errOut, "Fingerprint: ") {
			t.Fatalf("providers key: %d %q %q", code, out, errOut)
		}
		return lines[1]
	}
	adminKey, beaKey := key(admin), key(bea)
	if again := key(admin); again != adminKey {
		t.Fatalf("the key changed: %s, then %s", adminKey, again)
	}
	steps := []struct {
		name   string
		db     string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"publish usage", admin, []string{"providers", "publish"}, 2, nil, "Usage: mailroom providers publish --dir DIR"},
		{"publish", admin, []string{"providers", "publish", "--dir", list}, 0,
			[]string{"Published list number 1 in " + list + ": 1 providers", currentUser(), adminKey}, ""},
		{"subscribe usage", bea, []string{"providers", "subscribe", list}, 2, nil, "Usage: mailroom providers subscribe SOURCE --key PUBKEY"},
		{"a key that is not one", bea, []string{"providers", "subscribe", list, "--key", "RWQnope"}, 1, nil, "--key: This is not a minisign public key"},
		{"http refused", bea, []string{"providers", "subscribe", "http://intranet.example/index.txt", "--key", adminKey}, 1, nil, "Only https"},
		{"refresh without subscription", bea, []string{"providers", "refresh"}, 1, nil, "does not subscribe"},
		{"subscribe with the wrong key", bea, []string{"providers", "subscribe", list, "--key", beaKey}, 1, nil, "not one of its publishers"},
		{"subscribe", bea, []string{"providers", "subscribe", list, "--key", adminKey}, 0,
			[]string{"Subscribed to " + list, "Alpha Mail: added", "List number 1, signed by ", "1 files: 1 added", "Last refreshed: 20"}, ""},
		{"refresh unchanged", bea, []string{"providers", "refresh"}, 0, []string{"1 files: 0 added, 0 updated, 1 unchanged"}, ""},
		{"the subscriber lists the list's publishers", bea, []string{"providers", "publishers"}, 0,
			[]string{"Publishers of the subscribed provider list:", adminKey}, ""},
		{"the subscriber may not publish", bea, []string{"providers", "publish", "--dir", list}, 1, nil, "not a publisher"},
		{"grant a bad key", admin, []string{"providers", "publishers", "grant", "RWQnope", "--name", "Bea"}, 1, nil, "not a minisign public key"},
		{"grant", admin, []string{"providers", "publishers", "grant", beaKey, "--name", "Bea"}, 0, []string{"Bea ("}, ""},
		{"publish the grant", admin, []string{"providers", "publish", "--dir", list}, 0, []string{"list number 2", "Bea", beaKey}, ""},
		{"bea refreshes", bea, []string{"providers", "refresh"}, 0, []string{"List number 2"}, ""},
		{"bea publishes", bea, []string{"providers", "publish", "--dir", list}, 0, []string{"list number 3", "signed by key"}, ""},
		{"the last publisher stays", admin, []string{"providers", "publishers", "revoke", adminKey}, 1, nil, "grant a colleague"},
		{"revoke", admin, []string{"providers", "publishers", "revoke", beaKey}, 0, []string{"may no longer publish"}, ""},
		{"the publishers", admin, []string{"providers", "publishers"}, 0, []string{currentUser(), adminKey}, ""},
		{"publish the revocation", admin, []string{"providers", "publish", "--dir", list}, 0, []string{"list number 4"}, ""},
		{"unsubscribe", bea, []string{"providers", "unsubscribe"}, 0, []string{"1 providers stay"}, ""},
		{"unsubscribe again", bea, []string{"providers", "unsubscribe"}, 1, nil, "does not subscribe"},
	}
	for _, st := range steps {
		code, out, errOut := runCLI(t, append([]string{"--db", st.db}, st.args...)...)
		if code != st.code || st.stderr != "" && !strings.Contains(errOut, st.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", st.name, code, out, errOut)
		}
		for _, piece := range st.stdout {
			if !strings.Contains(out, piece) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, piece, out)
			}
		}
	}
	for _, db := range []string{admin, bea} {
		s, err := data.Open(db, "x")
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.SigningKey(context.Background())
		s.Close()
		if err == nil {
			data.NewSecrets().Delete(context.Background(), k.KeyringRef)
		}
	}
}

func TestLookupWarnsOfALookalikeDomain(t *testing.T) {
	db := filepath.Join(t.TempDir(), "mailroom.db")
	s, err := data.Open(db, "ann")
	if err != nil {
		t.Fatal(err)
	}
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "Lookalike", "imap.example.test", "smtp.example.test"
	p.Domains = []string{"gmаil.com"} // a Cyrillic а
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, out, errOut := testLookup(t, db, "ann@gmаil.com")
	if code != 0 || !strings.Contains(out, "Address:  ann@xn--gmil-63d.com") ||
		!strings.Contains(out, "warning: xn--gmil-63d.com may imitate another domain: it mixes Latin and Cyrillic letters") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = testLookup(t, db, "--json", "ann@gmаil.com")
	if code != 0 || !strings.Contains(out, `"warning": "xn--gmil-63d.com may imitate`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
}
