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

func TestProvidersSubscribeCLI(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "mailroom.db")
	list := filepath.Join(tmp, "list")
	os.Mkdir(list, 0o755)
	clientConfigFile(t, list, "alpha.example", "Alpha Mail", "imap")
	os.WriteFile(filepath.Join(list, "readme.txt"), []byte("hi"), 0o644)

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"usage", []string{"providers", "subscribe"}, 2, nil, "Usage: mailroom providers subscribe"},
		{"refresh without subscription", []string{"providers", "refresh"}, 1, nil, "does not subscribe"},
		{"http refused", []string{"providers", "subscribe", "http://intranet.example/index.txt"}, 1, nil, "Only https"},
		{"subscribe", []string{"providers", "subscribe", list}, 0,
			[]string{"Subscribed to " + list, "readme.txt: ignored", "Alpha Mail: added", "1 files: 1 added", "Last refreshed: 20"}, ""},
		{"refresh unchanged", []string{"providers", "refresh"}, 0, []string{"1 files: 0 added, 0 updated, 1 unchanged"}, ""},
		{"the list shows the managed provider", []string{"providers", "list", "--json"}, 0, []string{`"Alpha Mail"`}, ""},
		{"broken file keeps the last good copy", nil, 1, []string{"Last refreshed: 20"}, "none of it was applied"},
		{"unsubscribe", []string{"providers", "unsubscribe"}, 0, []string{"1 providers stay"}, ""},
		{"unsubscribe again", []string{"providers", "unsubscribe"}, 1, nil, "does not subscribe"},
	}
	for _, st := range steps {
		args := st.args
		if args == nil {
			os.WriteFile(filepath.Join(list, "broken.xml"), nil, 0o644)
			args = []string{"providers", "refresh"}
		}
		code, out, errOut := runCLI(t, append([]string{"--db", db}, args...)...)
		if code != st.code || st.stderr != "" && !strings.Contains(errOut, st.stderr) {
			t.Errorf("%s: exit %d, stderr %q", st.name, code, errOut)
		}
		for _, piece := range st.stdout {
			if !strings.Contains(out, piece) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, piece, out)
			}
		}
	}
}
