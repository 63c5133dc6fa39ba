package mailclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// noCrossHostRedirects returns a copy of c (http.DefaultClient's settings when nil) that
// follows a redirect only to https on the same host, as Thunderbird does for autoconfig: a
// redirect elsewhere could hand someone else's servers to the person.
func noCrossHostRedirects(c *http.Client) *http.Client {
	out := http.Client{}
	if c != nil {
		out = *c
	}
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Hostname(), via[0].URL.Hostname()) {
			return fmt.Errorf("%w: %s", ErrCrossHostRedirect, req.URL.Redacted())
		}
		return nil
	}
	return &out
}

// fetch GETs u and returns at most limit bytes of a 200 answer. A 404 or 410 is ErrNotListed,
// another status ErrHTTPStatus, a longer body ErrConfigTooLarge, an HTML page
// ErrNotClientConfig. ctx bounds the whole exchange.
func fetch(ctx context.Context, c *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/xml, text/xml, text/plain;q=0.5")
	resp, err := noCrossHostRedirects(c).Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("get %s: %w (%s)", u, ErrNotListed, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("get %s: %w: %s", u, ErrHTTPStatus, resp.Status)
	case resp.ContentLength > limit:
		return nil, fmt.Errorf("get %s: %w: %d bytes, at most %d", u, ErrConfigTooLarge, resp.ContentLength, limit)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" || mt == "application/xhtml+xml" {
		return nil, fmt.Errorf("get %s: %w: the server answered with a web page", u, ErrNotClientConfig)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("get %s: %w: more than %d bytes", u, ErrConfigTooLarge, limit)
	}
	return b, nil
}

// fetchClientConfig fetches and reads the clientConfig at u, filling %EMAILDOMAIN% with
// domain first when it is not "" (the ISP database's files serve many domains).
func fetchClientConfig(ctx context.Context, c *http.Client, u, domain string) (*ClientConfig, error) {
	b, err := fetch(ctx, c, u, MaxConfigSize)
	if err != nil {
		return nil, err
	}
	if looksLikeHTML(b) {
		return nil, fmt.Errorf("get %s: %w: the server answered with a web page", u, ErrNotClientConfig)
	}
	if domain != "" {
		b = bytes.ReplaceAll(b, []byte(phDomain), []byte(domain))
	}
	cc, err := ParseClientConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	return cc, nil
}

// looksLikeHTML reports whether b starts like a web page, whatever its Content-Type says.
func looksLikeHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}
