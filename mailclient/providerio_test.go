package mailclient

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"mailroom/data"
)

// ispdbDir returns the sample of Thunderbird's ISP database beside the clone
// (../shared/ispdb from the module root). It skips the test when the folder is absent, except
// in CI (CI=true), where that is a failure.
func ispdbDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
	ispdb := filepath.Join(dir, "..", "shared", "ispdb")
	if _, err := os.Stat(ispdb); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the ISPDB sample is missing in CI: %v", err)
		}
		t.Skipf("the ISPDB sample is not here: %v", err)
	}
	return ispdb
}

func openStore(t *testing.T, user string) *data.Store {
	t.Helper()
	return openStoreAt(t, filepath.Join(t.TempDir(), "mailroom.db"), user)
}

func openStoreAt(t *testing.T, path, user string) *data.Store {
	t.Helper()
	s, err := data.Open(path, user)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func listProviders(t *testing.T, s *data.Store) []*data.Provider {
	t.Helper()
	list, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return list
}

func importOK(t *testing.T, s ProviderImporter, paths ...string) *ImportReport {
	t.Helper()
	r, err := ImportProviders(context.Background(), s, paths, nil)
	if err != nil {
		t.Fatalf("ImportProviders: %v", err)
	}
	return r
}

func result(t *testing.T, r *ImportReport, base string) ImportResult {
	t.Helper()
	for _, f := range r.Files {
		if filepath.Base(f.Path) == base {
			return f
		}
	}
	t.Fatalf("no report line for %s", base)
	return ImportResult{}
}

func byExternalID(t *testing.T, s *data.Store, id string) *data.Provider {
	t.Helper()
	p, err := s.ProviderByExternalID(context.Background(), id)
	if err != nil {
		t.Fatalf("ProviderByExternalID(%q): %v", id, err)
	}
	return p
}

func TestImportISPDB(t *testing.T) {
	dir := ispdbDir(t)
	s := openStore(t, "ann")
	var calls []int
	r, err := ImportProviders(context.Background(), s, []string{dir}, func(done, total int) {
		calls = append(calls, done)
		if total != len(calls) && done == total {
			t.Errorf("progress done=%d total=%d after %d calls", done, total, len(calls))
		}
	})
	if err != nil {
		t.Fatalf("ImportProviders: %v", err)
	}

	entries, _ := os.ReadDir(dir)
	if len(r.Files) != len(entries) || len(calls) != len(entries) {
		t.Fatalf("%d report lines and %d progress calls for %d files", len(r.Files), len(calls), len(entries))
	}
	xmlFiles := 0
	for _, f := range r.Files {
		isXML := strings.HasSuffix(f.Path, ".xml")
		if isXML {
			xmlFiles++
		}
		switch {
		case !isXML && (f.Status != ImportIgnored || !errors.Is(f.Err, ErrNotXML)):
			t.Errorf("%s: %s %v, want ignored as not XML", f.Path, f.Status, f.Err)
		case isXML && f.Status != ImportAdded && f.Status != ImportSkipped:
			t.Errorf("%s: %s on the first import", f.Path, f.Status)
		case f.Status == ImportSkipped && f.Err == nil:
			t.Errorf("%s: skipped without a reason", f.Path)
		}
	}
	if xmlFiles != 123 {
		t.Errorf("%d XML files, the sample has 123", xmlFiles)
	}
	list := listProviders(t, s)
	if len(list) != r.Count(ImportAdded) || len(list) < 80 {
		t.Fatalf("%d providers for %d imported files", len(list), r.Count(ImportAdded))
	}
	names := map[string]bool{}
	for _, p := range list {
		key := strings.ToLower(p.Name)
		if names[key] {
			t.Errorf("two providers are called %q", p.Name)
		}
		names[key] = true
	}

	t.Run("spot checks", func(t *testing.T) { spotCheckISPDB(t, s, r) })

	t.Run("import again changes nothing", func(t *testing.T) {
		again := importOK(t, s, dir)
		if n := again.Count(ImportUnchanged); n != len(list) {
			t.Errorf("%d unchanged, want %d", n, len(list))
		}
		if again.Count(ImportAdded)+again.Count(ImportUpdated) != 0 {
			t.Errorf("the second import added or updated: %+v", again.Files)
		}
		if after := listProviders(t, s); !reflect.DeepEqual(list, after) {
			t.Errorf("List changed by the second import")
		}
	})

	t.Run("export and import gives the same providers", func(t *testing.T) {
		out := t.TempDir()
		exp, err := ExportProviders(context.Background(), list, out, nil)
		if err != nil || exp.Failed() > 0 {
			t.Fatalf("ExportProviders: %v, %d failed", err, exp.Failed())
		}
		fresh := openStore(t, "bob")
		back := importOK(t, fresh, out)
		if back.Count(ImportAdded) != len(list) {
			t.Fatalf("%d imported from the export, want %d: %+v", back.Count(ImportAdded), len(list), back.Files)
		}
		compareProviders(t, list, listProviders(t, fresh))
		// Into the store it came from, the export is the same providers again.
		if same := importOK(t, s, out); same.Count(ImportUnchanged) != len(list) {
			t.Errorf("re-importing the export into the original store: %d unchanged of %d", same.Count(ImportUnchanged), len(list))
		}
	})
}

func spotCheckISPDB(t *testing.T, s *data.Store, r *ImportReport) {
	aol := byExternalID(t, s, "aol.com")
	if aol.Name != "AOL Mail" || aol.LoginRule != data.LoginAddress ||
		aol.IMAP != (data.Server{Host: "imap.aol.com", Port: 993, Security: data.SecuritySSL}) ||
		aol.SMTP != (data.Server{Host: "smtp.aol.com", Port: 465, Security: data.SecuritySSL}) ||
		len(aol.Domains) != 19 || !slices.Contains(aol.Domains, "aim.com") || !slices.Contains(aol.Domains, "mail.gm0.yahoodns.net") {
		t.Errorf("aol.com imported as %+v", *aol)
	}
	o2 := byExternalID(t, s, "o2.pl")
	if o2.LoginRule != data.LoginLocalPart || o2.IMAP.Host != "poczta.o2.pl" ||
		o2.SMTP != (data.Server{Host: "poczta.o2.pl", Port: 465, Security: data.SecuritySSL}) || len(o2.Domains) != 4 {
		t.Errorf("o2.pl (first SMTP server is SSL 465, login is the local part) imported as %+v", *o2)
	}
	if ee := byExternalID(t, s, "mail.ee"); ee.IMAP.Host != "mail.ee" || ee.SMTP.Host != "mail.ee" {
		t.Errorf("mail.ee hosts %s, %s; want %%EMAILDOMAIN%% filled in", ee.IMAP.Host, ee.SMTP.Host)
	}
	// Five regional Zoho files share the id zoho.com: five providers, each with its own domains.
	zoho := map[string]string{}
	for _, f := range []string{"zoho.com.xml", "zoho.com.au.xml", "zoho.in.xml", "zoho.jp.xml", "zohocloud.ca.xml"} {
		res := result(t, r, f)
		if res.Status != ImportAdded {
			t.Errorf("%s: %s %v", f, res.Status, res.Err)
		}
		zoho[res.Provider] = f
	}
	if len(zoho) != 5 {
		t.Errorf("the Zoho files made %d providers: %v", len(zoho), zoho)
	}
	for file, want := range map[string]error{
		"bay.wind.ne.jp.xml": ErrNoIMAP,
		"inbox.lv.xml":       ErrPerAddressHost,
	} {
		if res := result(t, r, file); res.Status != ImportSkipped || !errors.Is(res.Err, want) {
			t.Errorf("%s: %s %v, want skipped with %v", file, res.Status, res.Err, want)
		}
	}
}

// compareProviders checks that two lists hold the same providers in what a clientConfig
// carries: name, servers, login rule, domains, source id.
func compareProviders(t *testing.T, want, got []*data.Provider) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d providers, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.Name || g.IMAP != w.IMAP || g.SMTP != w.SMTP || g.IMAPEnabled != w.IMAPEnabled ||
			g.SMTPEnabled != w.SMTPEnabled || g.LoginRule != w.LoginRule || !slices.Equal(g.Domains, w.Domains) ||
			g.ExternalID != w.ExternalID {
			t.Errorf("provider %d:\n got %+v\nwant %+v", i, *g, *w)
		}
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// provider returns a clientConfig file for one provider with IMAP and SMTP on host.
func provider(id, name, host string, domains ...string) string {
	var ds strings.Builder
	for _, d := range domains {
		ds.WriteString("<domain>" + d + "</domain>")
	}
	return `<clientConfig version="1.1"><emailProvider id="` + id + `">` + ds.String() +
		`<displayName>` + name + `</displayName>` +
		imapServer("imap."+host, "993", "SSL", "%EMAILADDRESS%") + smtpServer("smtp."+host, "465", "SSL", "%EMAILADDRESS%") +
		`</emailProvider></clientConfig>`
}

func TestImportBadInput(t *testing.T) {
	dir := t.TempDir()
	imap := imapServer("imap.example.com", "993", "SSL", "%EMAILADDRESS%")
	smtp := smtpServer("smtp.example.com", "465", "SSL", "%EMAILADDRESS%")
	files := map[string]string{
		"empty.xml":         "",
		"laughs.xml":        billionLaughs,
		"noprovider.xml":    `<clientConfig version="1.1"></clientConfig>`,
		"port0.xml":         config(goodServers + imapServer("imap.example.com", "0", "SSL", "%EMAILADDRESS%") + smtp),
		"port99999.xml":     config(goodServers + imap + smtpServer("smtp.example.com", "99999", "SSL", "%EMAILADDRESS%")),
		"portabc.xml":       config(goodServers + imapServer("imap.example.com", "abc", "SSL", "%EMAILADDRESS%") + smtp),
		"spaces.xml":        config(goodServers + imapServer("imap .example.com", "993", "SSL", "%EMAILADDRESS%") + smtp),
		"placeholder.xml":   config(goodServers + imapServer("imap.example.com", "993", "SSL", "%EMAILADDRESS") + smtp),
		"manydomains.xml":   config(manyDomains(100_000) + imap + smtp),
		"wrongroot.xml":     `<rss version="2.0"/>`,
		"good.xml":          provider("good.example", "Good Mail", "good.example", "good.example"),
		"notes.txt":         "not a config",
		"logo.png":          "\x89PNG\r\n",
		"sub/nested.XML":    provider("nested.example", "Nested Mail", "nested.example", "nested.example"),
		"sub/.hidden":       "x",
		"sub/readme.md.bak": "x",
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		writeFile(t, dir, name, body)
	}
	huge, err := os.Create(filepath.Join(dir, "huge.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := huge.Truncate(100 << 20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	huge.Close()

	s := openStore(t, "ann")
	r := importOK(t, s, dir, filepath.Join(dir, "missing.xml"))
	tests := []struct {
		file   string
		status ImportStatus
		err    error
		text   string
	}{
		{"empty.xml", ImportSkipped, ErrEmptyConfig, "empty"},
		{"huge.xml", ImportSkipped, ErrConfigTooLarge, "104857600 bytes"},
		{"laughs.xml", ImportSkipped, ErrDoctype, "DOCTYPE"},
		{"noprovider.xml", ImportSkipped, ErrNoEmailProvider, "emailProvider"},
		{"port0.xml", ImportSkipped, ErrInvalidSettings, "IMAP port"},
		{"port99999.xml", ImportSkipped, ErrInvalidSettings, "SMTP port"},
		{"portabc.xml", ImportSkipped, ErrInvalidSettings, "IMAP port"},
		{"spaces.xml", ImportSkipped, ErrInvalidSettings, "IMAP host"},
		{"placeholder.xml", ImportSkipped, ErrUnknownPlaceholder, "%EMAILADDRESS"},
		{"manydomains.xml", ImportSkipped, ErrConfigTooLarge, "bytes"},
		{"wrongroot.xml", ImportSkipped, ErrNotClientConfig, "<rss>"},
		{"notes.txt", ImportIgnored, ErrNotXML, "not an XML file"},
		{"logo.png", ImportIgnored, ErrNotXML, "not an XML file"},
		{".hidden", ImportIgnored, ErrNotXML, "not an XML file"},
		{"readme.md.bak", ImportIgnored, ErrNotXML, "not an XML file"},
		{"missing.xml", ImportSkipped, nil, "no such file"},
		{"good.xml", ImportAdded, nil, ""},
		{"nested.XML", ImportAdded, nil, ""},
	}
	if len(r.Files) != len(tests) {
		t.Errorf("%d report lines for %d files", len(r.Files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := result(t, r, tt.file)
			if res.Status != tt.status || tt.err != nil && !errors.Is(res.Err, tt.err) {
				t.Errorf("%s %v, want %s %v", res.Status, res.Err, tt.status, tt.err)
			}
			if tt.text != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), tt.text)) {
				t.Errorf("reason %v does not mention %q", res.Err, tt.text)
			}
		})
	}
	if n := len(listProviders(t, s)); n != 2 {
		t.Errorf("%d providers, want the 2 good ones", n)
	}
}

func TestImportSharedNames(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "gmx.net.xml", provider("gmx.net", "GMX Freemail", "gmx.net", "gmx.net", "gmx.de"))
	b := writeFile(t, dir, "gmx.com.xml", provider("gmx.com", "GMX Freemail", "gmx.com", "gmx.com"))
	s := openStore(t, "ann")
	importOK(t, s, a, b)
	if p := byExternalID(t, s, "gmx.net"); p.Name != "GMX Freemail" {
		t.Errorf("first file's provider is called %q", p.Name)
	}
	second := byExternalID(t, s, "gmx.com")
	if second.Name != "GMX Freemail (gmx.com)" {
		t.Errorf("second file's provider is called %q, want the id added", second.Name)
	}
	before := listProviders(t, s)
	if again := importOK(t, s, b, a); again.Count(ImportUnchanged) != 2 {
		t.Errorf("importing again in the other order: %+v", again.Files)
	}
	if !reflect.DeepEqual(before, listProviders(t, s)) {
		t.Error("importing again changed the providers")
	}

	// A changed file updates its provider, found by id even under a new name.
	writeFile(t, dir, "gmx.com.xml", provider("gmx.com", "GMX Mail", "mail.gmx.com", "gmx.com", "gmx.us"))
	r := importOK(t, s, b)
	if res := r.Files[0]; res.Status != ImportUpdated {
		t.Fatalf("changed file: %s %v", res.Status, res.Err)
	}
	p := byExternalID(t, s, "gmx.com")
	if p.ID != second.ID || p.Name != "GMX Mail" || p.IMAP.Host != "imap.mail.gmx.com" || p.Version != second.Version+1 ||
		!slices.Equal(p.Domains, []string{"gmx.com", "gmx.us"}) || p.SMTPTimeout != second.SMTPTimeout {
		t.Errorf("updated provider %+v, was %+v", *p, *second)
	}
	if n := len(listProviders(t, s)); n != 2 {
		t.Errorf("%d providers after the update, want 2", n)
	}
}

func TestImportSharedID(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		writeFile(t, dir, "zoho.com.au.xml", provider("zoho.com", "Zoho AU", "zoho.com.au", "zoho.com.au", "zohomail.com.au")),
		writeFile(t, dir, "zoho.com.xml", provider("zoho.com", "Zoho US", "zoho.com", "zoho.com", "zohomail.com")),
		writeFile(t, dir, "zoho.in.xml", provider("zoho.com", "Zoho IN", "zoho.in", "zoho.in")),
	}
	s := openStore(t, "ann")
	if r := importOK(t, s, files...); r.Count(ImportAdded) != 3 {
		t.Fatalf("first import: %+v", r.Files)
	}
	before := listProviders(t, s)
	if len(before) != 3 {
		t.Fatalf("%d providers, want 3", len(before))
	}
	slices.Reverse(files)
	if r := importOK(t, s, files...); r.Count(ImportUnchanged) != 3 {
		t.Errorf("second import in reverse order: %+v", r.Files)
	}
	if !reflect.DeepEqual(before, listProviders(t, s)) {
		t.Error("importing again changed the providers")
	}
}

func TestImportNeverTakesADomain(t *testing.T) {
	s := openStore(t, "ann")
	mine := data.NewProvider()
	mine.Name, mine.IMAP.Host, mine.SMTP.Host, mine.Domains = "My Mail", "imap.mine.example", "smtp.mine.example", []string{"shared.example"}
	if err := s.Save(context.Background(), mine); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "other.xml", provider("other.example", "Other", "other.example", "other.example", "shared.example"))
	r := importOK(t, s, path)
	res := r.Files[0]
	if res.Status != ImportSkipped || !errors.Is(res.Err, ErrDomainTaken) || !strings.Contains(res.Err.Error(), "My Mail") {
		t.Errorf("%s %v, want skipped: shared.example belongs to My Mail", res.Status, res.Err)
	}
	list := listProviders(t, s)
	if len(list) != 1 || !slices.Equal(list[0].Domains, []string{"shared.example"}) || list[0].Version != mine.Version {
		t.Errorf("the store changed: %+v", list)
	}
}

func TestImportCancelled(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"a.example", "b.example", "c.example"} {
		writeFile(t, dir, id+".xml", provider(id, id, id, id))
	}
	s := openStore(t, "ann")
	ctx, cancel := context.WithCancel(context.Background())
	r, err := ImportProviders(ctx, s, []string{dir}, func(done, total int) {
		if done == 1 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || len(r.Files) != 1 {
		t.Errorf("err %v with %d report lines, want Canceled after 1", err, len(r.Files))
	}
	if n := len(listProviders(t, s)); n != 1 {
		t.Errorf("%d providers, want the 1 imported before cancelling", n)
	}
}

func TestExportFileNames(t *testing.T) {
	mk := func(id int64, name, ext string, domains ...string) *data.Provider {
		p := data.NewProvider()
		p.ID, p.Name, p.ExternalID, p.Domains = id, name, ext, domains
		p.IMAP.Host, p.SMTP.Host = "imap.x.example", "smtp.x.example"
		return p
	}
	list := []*data.Provider{
		mk(1, "Zoho", "zoho.com", "zoho.com"),
		mk(2, "Zoho AU", "zoho.com/zoho.com.au", "zoho.com.au"),
		mk(3, "Dots", "../../etc/passwd", "dots.example"),
		mk(4, "Mine", "", "mine.example"),
		mk(5, "Twin", "", "zoho.com"), // same file name as the first
		mk(6, "No domain", ""),
	}
	dir := t.TempDir()
	r, err := ExportProviders(context.Background(), list, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"zoho.com.xml", "zoho.com_zoho.com.au.xml", "_.._etc_passwd.xml", "mine.example.xml", "zoho.com-2.xml", ""}
	for i, f := range r.Files {
		if got := filepath.Base(f.Path); f.Path == "" && want[i] != "" || f.Path != "" && got != want[i] {
			t.Errorf("%s written to %q, want %q", f.Provider, f.Path, want[i])
		}
		if f.Path != "" && filepath.Dir(f.Path) != dir {
			t.Errorf("%s written outside the folder: %s", f.Provider, f.Path)
		}
	}
	if last := r.Files[5]; !errors.Is(last.Err, ErrNotExportable) || r.Failed() != 1 {
		t.Errorf("provider without domains: %v, %d failed", last.Err, r.Failed())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("%d files in the folder, want 5 (no temporary files left)", len(entries))
	}
	fs.WalkDir(os.DirFS(dir), ".", func(path string, d fs.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), ".mailroom-export") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
}
