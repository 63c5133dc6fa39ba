package gui

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// ispdb serves one clientConfig for found.test, as Thunderbird's ISP database would, with the
// given servers.
func ispdb(t *testing.T, imapAddr, smtpAddr string) *mailclient.Discoverer {
	t.Helper()
	ih, ip := splitHostPort(t, imapAddr)
	sh, sp := splitHostPort(t, smtpAddr)
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="found.test">
  <domain>found.test</domain><displayName>Found Mail</displayName>
  <incomingServer type="imap"><hostname>%s</hostname><port>%d</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>%s</hostname><port>%d</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username></outgoingServer>
</emailProvider></clientConfig>`, ih, ip, sh, sp)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.1/found.test" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	noMX := func(context.Context, string) ([]*net.MX, error) {
		return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
	}
	return &mailclient.Discoverer{Client: loopbackClient(srv), ISPDBBase: srv.URL + "/v1.1/", LookupMX: noMX, Timeout: 2 * time.Second}
}

// loopbackClient trusts srv and connects to it whatever host a URL names, so no test asks DNS
// or leaves the machine: other hosts fail their TLS check against srv's certificate.
func loopbackClient(srv *httptest.Server) *http.Client {
	c := srv.Client()
	tr := c.Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	c.Transport = tr
	return c
}

// offlineDiscoverer finds nothing, at once, without any network traffic.
func offlineDiscoverer() *mailclient.Discoverer {
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Err: fmt.Errorf("tests stay offline")}
	}}
	return &mailclient.Discoverer{Client: &http.Client{Transport: tr}, LookupMX: func(context.Context, string) ([]*net.MX, error) {
		return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
	}, Timeout: time.Second}
}

func discoveringUI(t *testing.T, s *data.Store, d *mailclient.Discoverer) *UI {
	u := newTestUI(t, s)
	u.typingPause = 0
	u.discoverer = d
	return u
}

func TestUnknownDomainFindsSettingsAndAdminAddsThemToTheList(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := discoveringUI(t, s, ispdb(t, "imap.found.test:993", "smtp.found.test:465"))
	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@found.test") }) // at once, not typed: each prefix would start a search
	u.jobs.Wait()
	if !strings.Contains(w.providerHint.Text, "Found settings for found.test") ||
		!strings.Contains(w.providerHint.Text, "Thunderbird's database") || !w.useFound.Visible() || !w.addFound.Visible() {
		t.Fatalf("hint %q, use %v, add %v", w.providerHint.Text, w.useFound.Visible(), w.addFound.Visible())
	}
	test.Tap(w.addFound)
	u.jobs.Wait()
	r, err := s.ResolveProvider(context.Background(), "bob@found.test")
	if err != nil || r.Provider.IMAP.Host != "imap.found.test" {
		t.Fatalf("after adding to the list: %+v, %v", r, err)
	}
	if w.provider == nil || w.provider.ID != r.Provider.ID || w.login.Text != "ann@found.test" {
		t.Errorf("window provider %+v, login %q", w.provider, w.login.Text)
	}
}

func TestFoundSettingsUsedForOwnMailboxOnly(t *testing.T) {
	srv := testenv.Load(t)
	path := filepath.Join(t.TempDir(), "m.db")
	s := openStore(t, path, "ann")
	u := discoveringUI(t, s, ispdb(t, srv.IMAPSAddr, srv.SMTPSAddr))
	w := openMailboxUI(u, nil)
	act(u, func() { w.address.SetText("ann@found.test") }) // at once, not typed: each prefix would start a search
	u.jobs.Wait()
	if !w.useFound.Visible() || !w.addFound.Visible() {
		t.Fatalf("use %v, add %v", w.useFound.Visible(), w.addFound.Visible())
	}
	test.Tap(w.useFound)
	// The test servers know ann@example.test; the found settings point at them.
	w.address.OnChanged = nil
	w.address.SetText("ann@example.test")
	w.login.SetText("ann@example.test")
	test.Type(w.password, srv.Users["ann@example.test"])
	test.Tap(w.save)
	u.jobs.Wait()
	if !w.trust.Visible() {
		t.Fatalf("expected the untrusted test certificate: %q", w.result.Text)
	}
	test.Tap(w.trust)
	u.jobs.Wait()
	list, _ := s.Mailboxes(context.Background())
	if len(list) != 1 {
		t.Fatalf("mailboxes = %d: %q", len(list), w.result.Text)
	}
	own, err := s.Get(context.Background(), list[0].ProviderID)
	if err != nil || own.IMAP.Address() != srv.IMAPSAddr {
		t.Fatalf("the mailbox's settings: %+v, %v", own, err)
	}
	if listed, _ := s.List(context.Background()); len(listed) != 0 {
		t.Errorf("settings for one mailbox appeared on the provider list: %d", len(listed))
	}
	if _, err := mailclient.RemoveMailbox(context.Background(), s, u.secrets, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), own.ID); err == nil {
		t.Error("the mailbox's own settings outlived it")
	}
}
