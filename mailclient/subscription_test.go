package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aead.dev/minisign"

	"mailroom/data"
)

func writeConfig(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func managedNames(t *testing.T, s *data.Store) []string {
	t.Helper()
	var out []string
	for _, p := range listProviders(t, s) {
		if p.ManagedBy != "" {
			out = append(out, p.Name+" "+p.IMAP.Host)
		}
	}
	return out
}

// person is one person's Mailroom: their own database and keyring.
type person struct {
	s       *data.Store
	secrets *memSecrets
}

func newPerson(t *testing.T, user string) *person {
	t.Helper()
	return &person{s: openStore(t, user), secrets: &memSecrets{m: map[string]string{}}}
}

func (p *person) key(t *testing.T) string {
	t.Helper()
	k, err := OwnPublicKey(context.Background(), p.s, p.secrets)
	if err != nil {
		t.Fatalf("OwnPublicKey: %v", err)
	}
	return k
}

// secretKey returns the person's secret key from their keyring, to forge lists in tests.
func (p *person) secretKey(t *testing.T) minisign.PrivateKey {
	t.Helper()
	priv, _, err := signingKey(context.Background(), p.s, p.secrets)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func (p *person) publish(t *testing.T, dir string) *PublishReport {
	t.Helper()
	r, err := PublishProviders(context.Background(), p.s, p.secrets, dir, nil)
	if err != nil {
		t.Fatalf("PublishProviders: %v", err)
	}
	return r
}

func (p *person) subscribe(t *testing.T, source, key string) {
	t.Helper()
	if _, err := p.s.Subscribe(context.Background(), source, key); err != nil {
		t.Fatalf("Subscribe(%s): %v", source, err)
	}
}

func (p *person) addProvider(t *testing.T, id, imapHost string) {
	t.Helper()
	pr := data.NewProvider()
	pr.Name, pr.Domains, pr.IMAP.Host, pr.SMTP.Host = id, []string{id}, imapHost, "smtp."+id
	if err := p.s.Save(context.Background(), pr); err != nil {
		t.Fatal(err)
	}
}

func (p *person) setIMAPHost(t *testing.T, name, host string) {
	t.Helper()
	for _, pr := range listProviders(t, p.s) {
		if pr.Name == name {
			pr.IMAP.Host = host
			if err := p.s.Save(context.Background(), pr); err != nil {
				t.Fatalf("change %s: %v", name, err)
			}
			return
		}
	}
	t.Fatalf("no provider %s", name)
}

// signDir writes an index of every .xml file in dir with their real hashes and signs it with
// key as list number seq: what a publisher holding key could publish.
func signDir(t *testing.T, dir string, key minisign.PrivateKey, seq int64, publishers []data.Publisher) {
	t.Helper()
	ix := &ListIndex{Publishers: publishers}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xml") {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			ix.Files = append(ix.Files, ListFile{Name: e.Name(), SHA256: sha256Hex(b)})
		}
	}
	text, _ := ix.MarshalText()
	writeConfig(t, dir, IndexFile, string(text))
	writeConfig(t, dir, SignatureFile, string(signList(key, text, seq, time.Now())))
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	os.MkdirAll(to, 0o755)
	entries, _ := os.ReadDir(from)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeConfig(t, to, e.Name(), string(b))
	}
}

func TestPublishSubscribeChangePublishRefreshFromAFolder(t *testing.T) {
	ctx := context.Background()
	admin, colleague := newPerson(t, "ann"), newPerson(t, "bea")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	admin.addProvider(t, "beta.example", "imap.beta.example")
	dir := t.TempDir()
	r := admin.publish(t, dir)
	if r.Sequence != 1 || len(r.Publishers) != 1 || r.Publishers[0].PublicKey != admin.key(t) || r.Publishers[0].Name != "ann" {
		t.Fatalf("first publish %+v", r)
	}
	writeConfig(t, dir, "planted.xml", configBody("evil.example", "alpha.example", "imap.evil.example"))
	writeConfig(t, dir, "notes.txt", "not a provider")

	colleague.subscribe(t, dir, admin.key(t))
	rep, err := RefreshSubscription(ctx, colleague.s, nil)
	if err != nil {
		t.Fatalf("RefreshSubscription: %v", err)
	}
	if !slices.Equal(rep.Changes.Added, []string{"alpha.example", "beta.example"}) || rep.Files != 2 || rep.Sequence != 1 ||
		rep.SignedBy != "ann" || !slices.Equal(rep.Ignored, []string{"notes.txt", "planted.xml"}) {
		t.Fatalf("first refresh %+v %+v", rep, rep.Changes)
	}
	admin.setIMAPHost(t, "alpha.example", "imap2.alpha.example")
	if r := admin.publish(t, dir); r.Sequence != 2 {
		t.Fatalf("second publish number %d", r.Sequence)
	}
	rep, err = RefreshSubscription(ctx, colleague.s, nil)
	if err != nil || !slices.Equal(rep.Changes.Updated, []string{"alpha.example"}) || rep.Sequence != 2 {
		t.Fatalf("refresh after the change = %+v, %v", rep, err)
	}
	// The same copy again changes nothing and is no error.
	if rep, err = RefreshSubscription(ctx, colleague.s, nil); err != nil || rep.Changes.Changed() {
		t.Fatalf("refresh of the same copy = %+v, %v", rep, err)
	}
	if got := managedNames(t, colleague.s); !slices.Equal(got, []string{"alpha.example imap2.alpha.example", "beta.example imap.beta.example"}) {
		t.Fatalf("colleague's providers %v", got)
	}
	pubs, _ := colleague.s.ListPublishers(ctx)
	if len(pubs) != 1 || pubs[0].Name != "ann" {
		t.Fatalf("publishers on the subscriber %+v", pubs)
	}
}

func TestMinisignVerifiesAPublishedList(t *testing.T) {
	bin, err := exec.LookPath("minisign")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("minisign is not installed but CI=true; .ci/install-deps.sh installs it")
		}
		t.Skip("minisign is not installed; .ci/install-deps.sh installs it")
	}
	admin := newPerson(t, "ann")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	dir := t.TempDir()
	admin.publish(t, dir)
	cmd := exec.Command(bin, "-Vm", IndexFile, "-P", admin.key(t))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature and comment signature verified") ||
		!strings.Contains(string(out), "Trusted comment: mailroom provider list sequence:1 time:") {
		t.Fatalf("minisign -Vm: %v\n%s", err, out)
	}
	// And it refuses the index once changed.
	writeConfig(t, dir, IndexFile, "publisher x\n")
	cmd = exec.Command(bin, "-Vm", IndexFile, "-P", admin.key(t))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("minisign accepted a changed index:\n%s", out)
	}
}

func TestSecondPublisherPublishesFromTheirOwnDatabaseUntilRevoked(t *testing.T) {
	ctx := context.Background()
	admin, bea, carl := newPerson(t, "ann"), newPerson(t, "bea"), newPerson(t, "carl")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	dir := t.TempDir()
	admin.publish(t, dir)
	for _, p := range []*person{bea, carl} {
		p.subscribe(t, dir, admin.key(t))
		if _, err := RefreshSubscription(ctx, p.s, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Bea may not publish the office's list yet.
	if _, err := PublishProviders(ctx, bea.s, bea.secrets, dir, nil); !errors.Is(err, data.ErrNotPublisher) {
		t.Fatalf("publish before the grant: %v, want ErrNotPublisher", err)
	}
	if _, err := admin.s.GrantPublisher(ctx, bea.key(t), "Bea"); err != nil {
		t.Fatal(err)
	}
	if r := admin.publish(t, dir); r.Sequence != 2 || len(r.Publishers) != 2 {
		t.Fatalf("publish with the grant %+v", r)
	}
	for _, p := range []*person{bea, carl} {
		if _, err := RefreshSubscription(ctx, p.s, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Bea changes a provider of the list in her own database and publishes it.
	bea.setIMAPHost(t, "alpha.example", "imap.bea.example")
	bea.addProvider(t, "gamma.example", "imap.gamma.example")
	r := bea.publish(t, dir)
	if r.Sequence != 3 || len(r.Publishers) != 2 {
		t.Fatalf("Bea's publish %+v", r)
	}
	rep, err := RefreshSubscription(ctx, carl.s, nil)
	if err != nil || rep.SignedBy != "Bea" || rep.Sequence != 3 {
		t.Fatalf("Carl's refresh of Bea's list = %+v, %v", rep, err)
	}
	if got := managedNames(t, carl.s); !slices.Equal(got, []string{"alpha.example imap.bea.example", "gamma.example imap.gamma.example"}) {
		t.Fatalf("Carl's providers %v", got)
	}
	// Ann revokes Bea (publishing after the number Bea's list found in the folder).
	if err := admin.s.RevokePublisher(ctx, bea.key(t)); err != nil {
		t.Fatal(err)
	}
	if r := admin.publish(t, dir); r.Sequence != 4 || len(r.Publishers) != 1 {
		t.Fatalf("publish after the revoke %+v", r)
	}
	if _, err := RefreshSubscription(ctx, carl.s, nil); err != nil {
		t.Fatal(err)
	}
	good := managedNames(t, carl.s)
	// Bea, not having refreshed, still publishes: her list is refused as a whole.
	bea.setIMAPHost(t, "alpha.example", "imap.evil.example")
	if r := bea.publish(t, dir); r.Sequence != 5 {
		t.Fatalf("Bea's late publish %+v", r)
	}
	_, err = RefreshSubscription(ctx, carl.s, nil)
	if !errors.Is(err, data.ErrNotTrusted) || !slices.Equal(managedNames(t, carl.s), good) {
		t.Fatalf("refresh of the revoked publisher's list: %v, providers %v", err, managedNames(t, carl.s))
	}
	sub, _ := carl.s.Subscription(ctx)
	if !strings.Contains(sub.LastError, "not one of its publishers") || sub.Sequence != 4 || sub.LastAttemptAt.IsZero() {
		t.Fatalf("Carl's subscription %+v", sub)
	}
	// Once Bea refreshes (from Ann's list, republished), she is no longer a publisher.
	admin.publish(t, dir)
	if _, err := RefreshSubscription(ctx, bea.s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := PublishProviders(ctx, bea.s, bea.secrets, dir, nil); !errors.Is(err, data.ErrNotPublisher) {
		t.Fatalf("publish after being revoked: %v, want ErrNotPublisher", err)
	}
}

func TestRefusedListsKeepTheLastGoodCopy(t *testing.T) {
	ctx := context.Background()
	admin, colleague := newPerson(t, "ann"), newPerson(t, "bea")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	admin.addProvider(t, "beta.example", "imap.beta.example")
	dir := t.TempDir()
	admin.publish(t, dir) // number 1
	older := t.TempDir()
	copyDir(t, dir, older)
	admin.setIMAPHost(t, "beta.example", "imap2.beta.example")
	admin.publish(t, dir) // number 2
	colleague.subscribe(t, dir, admin.key(t))
	if _, err := RefreshSubscription(ctx, colleague.s, nil); err != nil {
		t.Fatal(err)
	}
	good := managedNames(t, colleague.s)
	published := t.TempDir()
	copyDir(t, dir, published)
	stranger := newPerson(t, "mallory")
	key, publishers := admin.secretKey(t), []data.Publisher{{Name: "ann", PublicKey: admin.key(t)}}
	huge := func(name string) func() {
		return func() {
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			f.Truncate(100 << 20) // sparse: 100 MB without using the disk
			f.Close()
		}
	}
	badFile := func(body string) func() {
		return func() {
			writeConfig(t, dir, "beta.example.xml", body)
			signDir(t, dir, key, 9, publishers)
		}
	}
	tests := []struct {
		name   string
		break_ func()
		want   error
	}{
		{"a changed provider file", func() {
			writeConfig(t, dir, "alpha.example.xml", configBody("alpha.example", "alpha.example", "imap.evil.example"))
		}, ErrFileChanged},
		{"a missing signature", func() { os.Remove(filepath.Join(dir, SignatureFile)) }, ErrNoSignature},
		{"a garbage signature", func() { writeConfig(t, dir, SignatureFile, "untrusted comment: x\nRWQgarbage\n") }, ErrBadSignature},
		{"a signature of another index", func() {
			writeConfig(t, dir, IndexFile, strings.Replace(readFile(t, dir, IndexFile), "ann", "ann2", 1))
		}, ErrBadSignature},
		{"a key not among the publishers", func() {
			signDir(t, dir, stranger.secretKey(t), 9, []data.Publisher{{Name: "ann", PublicKey: stranger.key(t)}})
		}, data.ErrNotTrusted},
		{"a replayed older list", func() { copyDir(t, older, dir) }, data.ErrReplayed},
		{"the same number with another index", func() {
			writeConfig(t, dir, "alpha.example.xml", configBody("alpha.example", "alpha.example", "imap.evil.example"))
			signDir(t, dir, key, 2, publishers)
		}, data.ErrReplayed},
		{"an index naming a missing file", func() {
			writeConfig(t, dir, IndexFile, readFile(t, dir, IndexFile)+"file "+strings.Repeat("0", 64)+" gone.xml\n")
			text := readFile(t, dir, IndexFile)
			writeConfig(t, dir, SignatureFile, string(signList(key, []byte(text), 9, time.Now())))
		}, fs.ErrNotExist},
		{"an index naming a file elsewhere", func() {
			text := readFile(t, dir, IndexFile) + "file " + strings.Repeat("0", 64) + " ../secret.xml\n"
			writeConfig(t, dir, IndexFile, text)
			writeConfig(t, dir, SignatureFile, string(signList(key, []byte(text), 9, time.Now())))
		}, ErrBadIndex},
		{"a huge index", huge(IndexFile), ErrTooLarge},
		{"a huge signature", huge(SignatureFile), ErrTooLarge},
		{"a huge file", huge("beta.example.xml"), ErrTooLarge},
		{"an empty file", badFile(""), ErrEmptyConfig},
		{"billion laughs", badFile(`<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><clientConfig>&b;</clientConfig>`), ErrDoctype},
		{"an HTML file", badFile("<html><body>hi</body></html>"), ErrNotClientConfig},
		{"a missing folder", func() { os.RemoveAll(dir) }, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(dir)
			copyDir(t, published, dir)
			tt.break_()
			r, err := RefreshSubscription(ctx, colleague.s, nil)
			if !errors.Is(err, tt.want) || r.Changes != nil {
				t.Fatalf("RefreshSubscription: %v, want %v", err, tt.want)
			}
			if got := managedNames(t, colleague.s); !slices.Equal(got, good) {
				t.Errorf("providers %v, want the last good %v", got, good)
			}
			sub, _ := colleague.s.Subscription(ctx)
			if sub.LastError != RefreshMessage(err) || sub.Sequence != 2 || sub.LastAttemptAt.IsZero() {
				t.Errorf("subscription after the failure %+v", sub)
			}
			if strings.Contains(sub.LastError, "%!") || strings.Contains(sub.LastError, "The provider list cannot be read:") {
				t.Errorf("reason not worded: %q", sub.LastError)
			}
		})
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRefreshFromHTTPS(t *testing.T) {
	ctx := context.Background()
	admin, colleague := newPerson(t, "ann"), newPerson(t, "bea")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	admin.addProvider(t, "beta.example", "imap.beta.example")
	published := t.TempDir()
	admin.publish(t, published)
	var indexOverride atomic.Value // string; "" serves the published one
	indexOverride.Store("")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := indexOverride.Load().(string); o != "" && r.URL.Path == "/list/"+IndexFile {
			if strings.HasPrefix(o, "<html") {
				w.Header().Set("Content-Type", "text/html")
			}
			fmt.Fprint(w, o)
			return
		}
		http.StripPrefix("/list/", http.FileServer(http.Dir(published))).ServeHTTP(w, r)
	}))
	defer srv.Close()

	source := srv.URL + "/list/" + IndexFile
	colleague.subscribe(t, source, admin.key(t))
	r, err := RefreshSubscription(ctx, colleague.s, srv.Client())
	if err != nil || len(r.Changes.Added) != 2 {
		t.Fatalf("RefreshSubscription = %+v, %v", r, err)
	}
	// An index served under another name has its signature beside it, named after it.
	staged := t.TempDir()
	copyDir(t, published, staged)
	if err := os.Rename(staged, filepath.Join(published, "renamed")); err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(published, "renamed", IndexFile), filepath.Join(published, "renamed", "office.txt"))
	os.Rename(filepath.Join(published, "renamed", SignatureFile), filepath.Join(published, "renamed", "office.txt.minisig"))
	third := newPerson(t, "carl")
	third.subscribe(t, srv.URL+"/list/renamed/office.txt", admin.key(t))
	if r, err := RefreshSubscription(ctx, third.s, srv.Client()); err != nil || len(r.Changes.Added) != 2 {
		t.Fatalf("refresh of a renamed index = %+v, %v", r, err)
	}

	admin.setIMAPHost(t, "alpha.example", "imap2.alpha.example")
	admin.publish(t, published)
	r, err = RefreshSubscription(ctx, colleague.s, srv.Client())
	if err != nil || !slices.Equal(r.Changes.Updated, []string{"alpha.example"}) || r.Sequence != 2 {
		t.Fatalf("refresh after the change = %+v, %v", r, err)
	}
	good := managedNames(t, colleague.s)

	t.Run("TLS verification stays on", func(t *testing.T) {
		if _, err := RefreshSubscription(ctx, colleague.s, nil); err == nil {
			t.Fatal("a refresh trusted the test server's certificate without being told to")
		}
	})
	t.Run("a tampered file", func(t *testing.T) {
		writeConfig(t, published, "beta.example.xml", configBody("beta.example", "beta.example", "imap.evil.example"))
		if _, err := RefreshSubscription(ctx, colleague.s, srv.Client()); !errors.Is(err, ErrFileChanged) {
			t.Fatalf("RefreshSubscription: %v, want ErrFileChanged", err)
		}
	})
	t.Run("an HTML index", func(t *testing.T) {
		indexOverride.Store("<html>Please sign in</html>")
		defer indexOverride.Store("")
		if _, err := RefreshSubscription(ctx, colleague.s, srv.Client()); !errors.Is(err, ErrNotClientConfig) {
			t.Fatalf("RefreshSubscription: %v", err)
		}
	})
	t.Run("a huge index", func(t *testing.T) {
		indexOverride.Store(strings.Repeat("# padding\n", MaxIndexSize/10+1))
		defer indexOverride.Store("")
		if _, err := RefreshSubscription(ctx, colleague.s, srv.Client()); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("RefreshSubscription: %v, want ErrTooLarge", err)
		}
	})
	t.Run("an unreachable server", func(t *testing.T) {
		srv.Close()
		_, err := RefreshSubscription(ctx, colleague.s, srv.Client())
		if err == nil || !strings.Contains(RefreshMessage(err), "cannot be reached") {
			t.Fatalf("RefreshSubscription: %v (%s)", err, RefreshMessage(err))
		}
	})
	if got := managedNames(t, colleague.s); !slices.Equal(got, good) {
		t.Errorf("providers %v, want the last good %v", got, good)
	}
	sub, _ := colleague.s.Subscription(ctx)
	if !strings.Contains(sub.LastError, "cannot be reached") || sub.LastGoodAt.IsZero() {
		t.Errorf("subscription %+v", sub)
	}
}

func TestAListWithoutTrustedKeysIsRefused(t *testing.T) {
	// What migration 0009 leaves of a subscription made before lists were signed: no key.
	_, err := verifyList([]byte("x"), []byte("y"), nil)
	if !errors.Is(err, ErrNoListKey) || !strings.Contains(RefreshMessage(err), "subscribe again") {
		t.Fatalf("verifyList without keys: %v (%s)", err, RefreshMessage(err))
	}
}

func TestRefreshWithoutSubscription(t *testing.T) {
	s := openStore(t, "ann")
	if _, err := RefreshSubscription(context.Background(), s, nil); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("RefreshSubscription: %v", err)
	}
}

func TestRunSubscriptionRefreshesUntilCancelled(t *testing.T) {
	admin, colleague := newPerson(t, "ann"), newPerson(t, "bea")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	dir := t.TempDir()
	admin.publish(t, dir)
	colleague.subscribe(t, dir, admin.key(t))
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		RunSubscription(ctx, colleague.s, nil, 20*time.Millisecond, func(r *RefreshReport, err error) {
			if err != nil {
				t.Errorf("refresh: %v", err)
			}
			if n.Add(1) == 3 {
				cancel()
			}
		})
	}()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("RunSubscription did not stop")
	}
	if n.Load() < 3 {
		t.Errorf("%d refreshes", n.Load())
	}
}

func TestParseListIndex(t *testing.T) {
	key := newPersonKey(t)
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		in    string
		files int
		ok    bool
	}{
		{"# list\n\npublisher " + key + " Ann Admin\r\nfile " + sum + " a.xml\n  file " + sum + " b.xml  \n", 2, true},
		{"publisher " + key + " Ann\n", 0, true},
		{"file " + sum + " a.xml\n", 0, false},                                                    // no publisher
		{"publisher " + key + "\n", 0, false},                                                     // no name
		{"publisher RWQshort Ann\n", 0, false},                                                    // not a key
		{"publisher " + key + " Ann\nfile abc a.xml\n", 0, false},                                 // not a hash
		{"publisher " + key + " Ann\nfile " + sum + " a.xml\nfile " + sum + " a.xml\n", 0, false}, // twice
		{"publisher " + key + " Ann\nfile " + sum + " .hidden.xml\n", 0, false},
		{"publisher " + key + " Ann\nfile " + sum + " notes.txt\n", 0, false},
		{"publisher " + key + " Ann\na.xml\n", 0, false}, // the old format
		{"<!DOCTYPE html><html>", 0, false},
		{"publisher " + key + " Ann\x00", 0, false},
	}
	for _, tt := range tests {
		ix, err := parseListIndex([]byte(tt.in))
		if (err == nil) != tt.ok || err == nil && len(ix.Files) != tt.files {
			t.Errorf("parseListIndex(%q) = %+v, %v", tt.in, ix, err)
		}
		if err != nil && !errors.Is(err, ErrBadIndex) {
			t.Errorf("parseListIndex(%q): %v, want ErrBadIndex", tt.in, err)
		}
	}
}

func newPersonKey(t *testing.T) string {
	pub, _, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub.String()
}
