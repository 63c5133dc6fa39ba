package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs mailroom with args and returns its exit code, standard output and error.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func clientConfigFile(t *testing.T, dir, id, name string, incomingType string) {
	t.Helper()
	body := `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="` + id + `">
    <domain>` + id + `</domain>
    <displayName>` + name + `</displayName>
    <incomingServer type="` + incomingType + `">
      <hostname>mail.` + id + `</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.` + id + `</hostname><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>`
	if err := os.WriteFile(filepath.Join(dir, id+".xml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestProvidersImportExportCLI(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "mailroom.db")
	good := filepath.Join(tmp, "good")
	mixed := filepath.Join(tmp, "mixed")
	docs := filepath.Join(tmp, "docs")
	for _, d := range []string{good, mixed, docs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	clientConfigFile(t, good, "alpha.example", "Alpha Mail", "imap")
	clientConfigFile(t, good, "beta.example", "Beta Mail", "imap")
	clientConfigFile(t, mixed, "pop.example", "Pop Only", "pop3")
	os.WriteFile(filepath.Join(mixed, "notes.txt"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(docs, "README.md"), []byte("# docs"), 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // pieces the output must hold
		stderr   string
		notFound string // a piece stdout must not hold
	}{
		{"usage", []string{"providers", "import"}, 2, nil, "Usage: mailroom providers import", ""},
		{"import", []string{"providers", "import", good}, 0,
			[]string{`alpha.example.xml: imported "Alpha Mail"`, `beta.example.xml: imported "Beta Mail"`,
				"2 files: 2 imported, 0 updated, 0 unchanged, 0 skipped, 0 ignored"}, "", ""},
		{"import again", []string{"providers", "import", good}, 0,
			[]string{`alpha.example.xml: unchanged "Alpha Mail"`, "2 files: 0 imported, 0 updated, 2 unchanged"}, "", "imported \""},
		{"skipped file exits 1", []string{"providers", "import", mixed}, 1,
			[]string{"pop.example.xml: skipped: no IMAP server", "notes.txt: ignored: not an XML file", "1 skipped, 1 ignored"}, "", ""},
		{"a named file is read whatever its extension", []string{"providers", "import", filepath.Join(mixed, "notes.txt"), good}, 1,
			[]string{"notes.txt: skipped: malformed XML"}, "", ""},
		{"ignored files alone exit 0", []string{"providers", "import", docs}, 0,
			[]string{"README.md: ignored: not an XML file", "1 file: 0 imported"}, "", ""},
		{"export unknown name", []string{"providers", "export", "--dir", filepath.Join(tmp, "none"), "Gamma"}, 1,
			nil, `no provider is called "Gamma"`, ""},
		{"export one", []string{"providers", "export", "--dir", filepath.Join(tmp, "one"), "alpha mail"}, 0,
			[]string{"Alpha Mail: " + filepath.Join(tmp, "one", "alpha.example.xml"), "1 written, 0 not written"}, "", "Beta"},
		{"export all", []string{"providers", "export", "--dir", filepath.Join(tmp, "all")}, 0,
			[]string{"2 written, 0 not written"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"--db", db}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tt.notFound != "" && strings.Contains(out, tt.notFound) {
				t.Errorf("stdout holds %q:\n%s", tt.notFound, out)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
		})
	}

	// The export, imported into a new database, lists the same providers.
	fresh := filepath.Join(tmp, "fresh.db")
	if code, out, errOut := runCLI(t, "--db", fresh, "providers", "import", filepath.Join(tmp, "all")); code != 0 {
		t.Fatalf("import of the export: exit %d\n%s%s", code, out, errOut)
	}
	if a, b := listJSON(t, db), listJSON(t, fresh); len(a) != 2 || !sameProviders(a, b) {
		t.Errorf("providers after export and import:\n%+v\nwant\n%+v", b, a)
	}
}

func listJSON(t *testing.T, db string) []providerJSON {
	t.Helper()
	code, out, errOut := runCLI(t, "--db", db, "providers", "list", "--json")
	if code != 0 {
		t.Fatalf("providers list --json: exit %d: %s", code, errOut)
	}
	var list []providerJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("providers list --json printed no JSON: %v\n%s", err, out)
	}
	return list
}

func sameProviders(a, b []providerJSON) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.IMAP != y.IMAP || x.SMTP != y.SMTP || x.LoginRule != y.LoginRule ||
			strings.Join(x.Domains, " ") != strings.Join(y.Domains, " ") {
			return false
		}
	}
	return true
}
