package mailclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mailroom/data"
)

// discoveryNames are the host names the test server's certificate is valid for. The client
// dials 127.0.0.1 whatever the name, and TLS still checks the name against the certificate.
var discoveryNames = []string{"autoconfig.example.test", "example.test", "ispdb.test",
	"autoconfig.mailhost.test", "mailhost.test", "elsewhere.test"}

// discoveryServer is one HTTPS server on 127.0.0.1 answering for every discoveryName with the
// handler registered for "host/path" (query left out); unregistered ones get 404.
type discoveryServer struct {
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
}

func newDiscoveryServer(t *testing.T) *discoveryServer {
	t.Helper()
	ca := newTestCA(t)
	ds := &discoveryServer{routes: map[string]http.HandlerFunc{}}
	ds.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ds.mu.Lock()
		h := ds.routes[r.Host+r.URL.Path]
		ds.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	ds.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // clients hanging up on purpose
	ds.srv.TLS = &tls.Config{Certificates: []tls.Certificate{issue(t, ca, leafOpts{names: discoveryNames})}}
	ds.srv.StartTLS()
	t.Cleanup(ds.srv.Close)
	addr := ds.srv.Listener.Addr().String()
	ds.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	t.Cleanup(ds.client.CloseIdleConnections)
	return ds
}

func (ds *discoveryServer) handle(hostPath string, h http.HandlerFunc) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.routes[hostPath] = h
}

const (
	pathAutoconfig = "/mail/config-v1.1.xml"
	pathWellKnown  = "/.well-known/autoconfig/mail/config-v1.1.xml"
)

// configBody is a clientConfig for id whose IMAP host is imapHost.
func configBody(id, domain, imapHost string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="` + id + `">
  <domain>` + domain + `</domain><displayName>` + id + ` Mail</displayName>
  <incomingServer type="imap"><hostname>` + imapHost + `</hostname><port>993</port>
    <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>smtp.` + domain + `</hostname><port>587</port>
    <socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></outgoingServer>
</emailProvider></clientConfig>`
}

// serve answers with body after delay (cut short when the client gives up).
func serve(body string, delay time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, body)
	}
}

func noMX(context.Context, string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

func (ds *discoveryServer) discoverer(timeout time.Duration) *Discoverer {
	return &Discoverer{Client: ds.client, ISPDBBase: "https://ispdb.test/v1.1", LookupMX: noMX, Timeout: timeout}
}

func TestDiscoverEachSourceAlone(t *testing.T) {
	tests := []struct {
		name     string
		route    string
		imapHost string
		source   string
		url      string
	}{
		{"autoconfig", "autoconfig.example.test" + pathAutoconfig, "imap.autoconfig.test", SourceAutoconfig,
			"https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=ann%40example.test"},
		{"well-known", "example.test" + pathWellKnown, "imap.wellknown.test", SourceWellKnown,
			"https://example.test/.well-known/autoconfig/mail/config-v1.1.xml"},
		{"ispdb", "ispdb.test/v1.1/example.test", "imap.ispdb.test", SourceISPDB, "https://ispdb.test/v1.1/example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			ds.handle(tt.route, serve(configBody("example.test", "example.test", tt.imapHost), 0))
			var seen []Attempt
			got, err := ds.discoverer(2*time.Second).Discover(context.Background(), " ann@Example.TEST ", func(a Attempt) { seen = append(seen, a) })
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if got.Source != tt.source || got.URL != tt.url || got.Provider.IMAP.Host != tt.imapHost ||
				got.Address != "ann@example.test" || got.Login != "ann" || got.ConfigID != "example.test" || got.Provider.ID != 0 {
				t.Errorf("Discover = %+v", got)
			}
			if len(seen) == 0 {
				t.Error("progress was not called")
			}
		})
	}
}

func TestDiscoverFromTheDomainsList(t *testing.T) {
	ds := newDiscoveryServer(t)
	s := openStore(t, "ann")
	p := data.NewProvider()
	p.Name, p.Domains, p.IMAP.Host, p.SMTP.Host = "Listed", []string{"example.test"}, "imap.listed.test", "smtp.listed.test"
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	ds.handle("autoconfig.example.test"+pathAutoconfig, serve(configBody("example.test", "example.test", "imap.autoconfig.test"), 0))
	d := ds.discoverer(2 * time.Second)
	d.Providers = s
	got, err := d.Discover(context.Background(), "ann@example.test", nil)
	if err != nil || got.Source != SourceDomains || got.Provider.ID != p.ID || got.URL != "" || got.Login != "ann@example.test" {
		t.Fatalf("Discover = %+v, %v", got, err)
	}
}

func TestDiscoverPriority(t *testing.T) {
	autoconfig := "autoconfig.example.test" + pathAutoconfig
	ispdb := "ispdb.test/v1.1/example.test"
	// Generous against a loaded machine (TLS under -race): what is tested is the order in
	// which sources win, not how fast they answer.
	const timeout = 4 * time.Second
	tests := []struct {
		name       string
		autoconfig http.HandlerFunc
		source     string
		max        time.Duration // when set, Discover must not have waited for the timeout
	}{
		{"a slow higher source that succeeds in time wins",
			serve(configBody("example.test", "example.test", "imap.autoconfig.test"), 300*time.Millisecond), SourceAutoconfig, 0},
		{"a higher source that fails lets the next win",
			func(w http.ResponseWriter, r *http.Request) { http.Error(w, "broken", http.StatusInternalServerError) }, SourceISPDB, timeout},
		{"a higher source that times out lets the next win",
			serve(configBody("example.test", "example.test", "imap.autoconfig.test"), time.Minute), SourceISPDB, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			ds.handle(autoconfig, tt.autoconfig)
			ds.handle(ispdb, serve(configBody("example.test", "example.test", "imap.ispdb.test"), 0))
			start := time.Now()
			got, err := ds.discoverer(timeout).Discover(context.Background(), "ann@example.test", nil)
			if err != nil || got.Source != tt.source {
				t.Fatalf("Discover = %+v, %v; want source %s", got, err, tt.source)
			}
			if took := time.Since(start); tt.max > 0 && took >= tt.max {
				t.Errorf("took %v: it waited for the timeout of the source that had failed", took)
			}
		})
	}
}

func TestDiscoverRefusesBadAnswers(t *testing.T) {
	route := "autoconfig.example.test" + pathAutoconfig
	body := configBody("example.test", "example.test", "imap.example.test")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.test/config.xml", http.StatusFound)
		}, ErrCrossHostRedirect},
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Welcome</body></html>")
		}, ErrNotClientConfig},
		{"html page called xml", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, "\n<html><body>Welcome</body></html>")
		}, ErrNotClientConfig},
		{"empty", serve("", 0), ErrEmptyConfig},
		{"billion laughs", serve(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><clientConfig>&lol2;</clientConfig>`, 0), ErrDoctype},
		{"announces 100 MB", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "104857600")
			w.WriteHeader(http.StatusOK)
		}, ErrConfigTooLarge},
		{"streams 100 MB", func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("<a/>", 16<<10))
			for i := 0; i < (100<<20)/len(chunk); i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, ErrConfigTooLarge},
		{"too slow", serve(body, time.Minute), context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			ds.handle(route, tt.handler)
			ds.handle("elsewhere.test/config.xml", serve(body, 0))
			_, err := ds.discoverer(3*time.Second).Discover(context.Background(), "ann@example.test", nil)
			var de *DiscoveryError
			if !errors.As(err, &de) || !errors.Is(err, ErrNothingFound) {
				t.Fatalf("Discover: %v, want a DiscoveryError", err)
			}
			if len(de.Attempts) != 4 || de.Attempts[0].Source != SourceAutoconfig || !errors.Is(de.Attempts[0].Err, tt.want) {
				t.Fatalf("attempts %+v, want the first to fail with %v", de.Attempts, tt.want)
			}
			if msg := AttemptMessage(de.Attempts[0].Err); msg == "not usable" {
				t.Errorf("AttemptMessage(%v) = %q", de.Attempts[0].Err, msg)
			}
		})
	}
}

func TestDiscoverFollowsSameHostRedirect(t *testing.T) {
	ds := newDiscoveryServer(t)
	ds.handle("example.test"+pathWellKnown, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/mail/config.xml", http.StatusMovedPermanently)
	})
	ds.handle("example.test/mail/config.xml", serve(configBody("example.test", "example.test", "imap.example.test"), 0))
	got, err := ds.discoverer(time.Second).Discover(context.Background(), "ann@example.test", nil)
	if err != nil || got.Source != SourceWellKnown {
		t.Fatalf("Discover = %+v, %v", got, err)
	}
}

func TestDiscoverThroughMX(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(ds *discoveryServer, s *data.Store)
		source string
		host   string
	}{
		{"ispdb of the mail server's domain", func(ds *discoveryServer, s *data.Store) {
			// The ISP database's file names the host by %EMAILDOMAIN%, filled with the base domain.
			ds.handle("ispdb.test/v1.1/mailhost.test", serve(configBody("mailhost.test", "mailhost.test", "imap.%EMAILDOMAIN%"), 0))
		}, SourceMX + "+" + SourceISPDB, "imap.mailhost.test"},
		{"domains list of the mail server's domain", func(ds *discoveryServer, s *data.Store) {
			p := data.NewProvider()
			p.Name, p.Domains, p.IMAP.Host, p.SMTP.Host = "Hosted", []string{"mailhost.test"}, "imap.hosted.test", "smtp.hosted.test"
			if err := s.Save(context.Background(), p); err != nil {
				panic(err)
			}
		}, SourceMX + "+" + SourceDomains, "imap.hosted.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := newDiscoveryServer(t)
			s := openStore(t, "ann")
			tt.setup(ds, s)
			d := ds.discoverer(time.Second)
			d.Providers = s
			d.LookupMX = func(_ context.Context, name string) ([]*net.MX, error) {
				if name != "example.test" {
					return nil, fmt.Errorf("unexpected MX lookup of %s", name)
				}
				return []*net.MX{{Host: "backup.mailhost.test.", Pref: 20}, {Host: "mx1.eu.mailhost.test.", Pref: 10}}, nil
			}
			got, err := d.Discover(context.Background(), "ann@example.test", nil)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if got.Source != tt.source || got.MXHost != "mx1.eu.mailhost.test" || got.Provider.IMAP.Host != tt.host ||
				got.Domain != "example.test" || got.Address != "ann@example.test" {
				t.Errorf("Discover = %+v", got)
			}
		})
	}
}

func TestDiscoverNothingFound(t *testing.T) {
	ds := newDiscoveryServer(t)
	var mu sync.Mutex
	var seen []string
	_, err := ds.discoverer(time.Second).Discover(context.Background(), "ann@example.test", func(a Attempt) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, a.Source)
	})
	var de *DiscoveryError
	if !errors.As(err, &de) || len(de.Attempts) != 4 || len(seen) != 4 {
		t.Fatalf("Discover: %v; progress saw %v", err, seen)
	}
	for i, src := range []string{SourceAutoconfig, SourceWellKnown, SourceISPDB, SourceMX} {
		if de.Attempts[i].Source != src {
			t.Errorf("attempt %d is %s, want %s", i, de.Attempts[i].Source, src)
		}
	}
	if msg := DiscoveryMessage(err); !strings.Contains(msg, "No settings were found for example.test") {
		t.Errorf("DiscoveryMessage = %q", msg)
	}
	if _, err := ds.discoverer(time.Second).Discover(context.Background(), "not an address", nil); err == nil || errors.Is(err, ErrNothingFound) {
		t.Errorf("a malformed address: %v", err)
	}
}

func TestMXBase(t *testing.T) {
	tests := []struct {
		mxs        []*net.MX
		host, base string
		ok         bool
	}{
		{[]*net.MX{{Host: "aspmx.l.google.com.", Pref: 1}}, "aspmx.l.google.com", "google.com", true},
		{[]*net.MX{{Host: "mx.b.co.uk.", Pref: 5}, {Host: "mx.a.example.", Pref: 1}}, "mx.a.example", "a.example", true},
		{[]*net.MX{{Host: "mail.provider.co.uk", Pref: 1}}, "mail.provider.co.uk", "provider.co.uk", true},
		{[]*net.MX{{Host: ".", Pref: 0}}, "", "", false},
		{nil, "", "", false},
	}
	for _, tt := range tests {
		host, base, err := mxBase(tt.mxs)
		if host != tt.host || base != tt.base || (err == nil) != tt.ok {
			t.Errorf("mxBase(%v) = %q, %q, %v", tt.mxs, host, base, err)
		}
	}
}
