package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

func subscribe(t *testing.T, s *data.Store, source string) {
	t.Helper()
	if _, err := s.Subscribe(context.Background(), source); err != nil {
		t.Fatalf("Subscribe(%s): %v", source, err)
	}
}

func TestRefreshFromAFolder(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "ann")
	dir := t.TempDir()
	writeConfig(t, dir, "alpha.example.xml", configBody("alpha.example", "alpha.example", "imap.alpha.example"))
	writeConfig(t, dir, "beta.example.xml", configBody("beta.example", "beta.example", "imap.beta.example"))
	writeConfig(t, dir, "notes.txt", "not a provider")
	os.Mkdir(filepath.Join(dir, "old"), 0o755)
	subscribe(t, s, dir)

	r, err := RefreshSubscription(ctx, s, nil)
	if err != nil {
		t.Fatalf("RefreshSubscription: %v", err)
	}
	if !slices.Equal(r.Changes.Added, []string{"alpha.example Mail", "beta.example Mail"}) || r.Files != 2 ||
		!slices.Equal(r.Ignored, []string{"notes.txt"}) || r.LastGoodAt.IsZero() {
		t.Fatalf("first refresh %+v %+v", r, r.Changes)
	}
	good := managedNames(t, s)
	goodAt := r.LastGoodAt

	// Each broken list is refused as a whole: the last good copy stays, the reason is recorded.
	huge := func() {
		f, err := os.Create(filepath.Join(dir, "beta.example.xml"))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(100 << 20) // sparse: 100 MB without using the disk
		f.Close()
	}
	tests := []struct {
		name   string
		break_ func()
		want   error
	}{
		{"an empty file", func() { writeConfig(t, dir, "beta.example.xml", "") }, ErrEmptyConfig},
		{"a 100 MB file", huge, ErrConfigTooLarge},
		{"billion laughs", func() {
			writeConfig(t, dir, "beta.example.xml", `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><clientConfig>&b;</clientConfig>`)
		}, ErrDoctype},
		{"an HTML file", func() { writeConfig(t, dir, "beta.example.xml", "<html><body>hi</body></html>") }, ErrNotClientConfig},
		{"a changed file beside a broken one", func() {
			writeConfig(t, dir, "alpha.example.xml", configBody("alpha.example", "alpha.example", "imap2.alpha.example"))
			writeConfig(t, dir, "beta.example.xml", "<clientConfig><emailProvider id='x'>")
		}, ErrMalformedXML},
		{"an empty folder", func() {
			os.Remove(filepath.Join(dir, "alpha.example.xml"))
			os.Remove(filepath.Join(dir, "beta.example.xml"))
		}, ErrEmptyList},
		{"a missing folder", func() { os.RemoveAll(dir) }, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.break_()
			r, err := RefreshSubscription(ctx, s, nil)
			if !errors.Is(err, tt.want) || r.Changes != nil {
				t.Fatalf("RefreshSubscription: %v, want %v", err, tt.want)
			}
			if got := managedNames(t, s); !slices.Equal(got, good) {
				t.Errorf("providers %v, want the last good %v", got, good)
			}
			sub, _ := s.Subscription(ctx)
			if sub.LastError != RefreshMessage(err) || !sub.LastGoodAt.Equal(goodAt) || !r.LastGoodAt.Equal(goodAt) {
				t.Errorf("subscription after the failure %+v", sub)
			}
			if strings.Contains(sub.LastError, "%!") {
				t.Errorf("badly formatted reason %q", sub.LastError)
			}
		})
	}
}

func TestRefreshFromHTTPS(t *testing.T) {
	ctx := context.Background()
	admin := openStore(t, "admin")
	for _, id := range []string{"alpha.example", "beta.example"} {
		p := data.NewProvider()
		p.Name, p.Domains, p.IMAP.Host, p.SMTP.Host = id, []string{id}, "imap."+id, "smtp."+id
		if err := admin.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	published := t.TempDir()
	if _, err := ExportProviders(ctx, listProviders(t, admin), published, nil); err != nil {
		t.Fatal(err)
	}
	index, _ := os.ReadFile(filepath.Join(published, IndexFile))
	if !strings.Contains(string(index), "\nalpha.example.xml\nbeta.example.xml\n") {
		t.Fatalf("index.txt written by the export:\n%s", index)
	}
	var indexOverride atomic.Value // string; "" serves the published one
	indexOverride.Store("")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := indexOverride.Load().(string); o != "" && r.URL.Path == "/list/"+IndexFile {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, o)
			return
		}
		http.StripPrefix("/list/", http.FileServer(http.Dir(published))).ServeHTTP(w, r)
	}))
	defer srv.Close()

	s := openStore(t, "ann")
	source := srv.URL + "/list/" + IndexFile
	subscribe(t, s, source)
	r, err := RefreshSubscription(ctx, s, srv.Client())
	if err != nil || len(r.Changes.Added) != 2 {
		t.Fatalf("RefreshSubscription = %+v, %v", r, err)
	}
	good := managedNames(t, s)

	t.Run("a file on another host", func(t *testing.T) {
		writeConfig(t, published, IndexFile, "alpha.example.xml\nhttps://elsewhere.test/beta.xml\n")
		if _, err := RefreshSubscription(ctx, s, srv.Client()); !errors.Is(err, ErrBadIndex) {
			t.Fatalf("RefreshSubscription: %v, want ErrBadIndex", err)
		}
	})
	t.Run("a missing file", func(t *testing.T) {
		writeConfig(t, published, IndexFile, "alpha.example.xml\ngone.xml\n")
		if _, err := RefreshSubscription(ctx, s, srv.Client()); !errors.Is(err, ErrBadListFile) || !errors.Is(err, ErrNotListed) {
			t.Fatalf("RefreshSubscription: %v, want ErrBadListFile", err)
		}
	})
	t.Run("an HTML index", func(t *testing.T) {
		indexOverride.Store("<html>Please sign in</html>")
		defer indexOverride.Store("")
		if _, err := RefreshSubscription(ctx, s, srv.Client()); !errors.Is(err, ErrNotClientConfig) {
			t.Fatalf("RefreshSubscription: %v", err)
		}
	})
	t.Run("an unreachable server", func(t *testing.T) {
		srv.Close()
		_, err := RefreshSubscription(ctx, s, srv.Client())
		if err == nil || !strings.Contains(RefreshMessage(err), "cannot be reached") {
			t.Fatalf("RefreshSubscription: %v (%s)", err, RefreshMessage(err))
		}
	})
	if got := managedNames(t, s); !slices.Equal(got, good) {
		t.Errorf("providers %v, want the last good %v", got, good)
	}
	sub, _ := s.Subscription(ctx)
	if !strings.Contains(sub.LastError, "cannot be reached") || sub.LastGoodAt.IsZero() {
		t.Errorf("subscription %+v", sub)
	}
}

func TestRefreshWithoutSubscription(t *testing.T) {
	s := openStore(t, "ann")
	if _, err := RefreshSubscription(context.Background(), s, nil); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("RefreshSubscription: %v", err)
	}
}

func TestRunSubscriptionRefreshesUntilCancelled(t *testing.T) {
	s := openStore(t, "ann")
	dir := t.TempDir()
	writeConfig(t, dir, "alpha.example.xml", configBody("alpha.example", "alpha.example", "imap.alpha.example"))
	subscribe(t, s, dir)
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		RunSubscription(ctx, s, nil, 20*time.Millisecond, func(r *RefreshReport, err error) {
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

func TestParseIndex(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"# list\n\na.xml\r\n  b.xml  \n", []string{"a.xml", "b.xml"}, true},
		{"", nil, true},
		{"<!DOCTYPE html><html>", nil, false},
		{"a.xml\x00", nil, false},
	}
	for _, tt := range tests {
		got, err := parseIndex([]byte(tt.in))
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("parseIndex(%q) = %v, %v", tt.in, got, err)
		}
	}
}
