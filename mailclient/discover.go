package mailclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"

	"mailroom/data"
)

// Where discovered settings came from. A source found through the domain's mail server is
// SourceMX + "+" + the inner source, as in "mx+ispdb".
const (
	SourceDomains    = "domains"    // the providers domains lookup of this database
	SourceAutoconfig = "autoconfig" // https://autoconfig.<domain>/mail/config-v1.1.xml
	SourceWellKnown  = "well-known" // https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml
	SourceISPDB      = "ispdb"      // the ISP database, Thunderbird's by default
	SourceMX         = "mx"         // the base domain of the domain's mail server, through the others
)

// DefaultISPDBBase is Thunderbird's public ISP database; the domain is appended to it.
const DefaultISPDBBase = "https://autoconfig.thunderbird.net/v1.1/"

// DefaultDiscoveryTimeout is how long one source may take.
const DefaultDiscoveryTimeout = 5 * time.Second

// Reasons one discovery source gives nothing; Attempt.Err wraps them.
var (
	ErrNothingFound      = errors.New("no settings found")
	ErrNotListed         = errors.New("not listed")
	ErrCrossHostRedirect = errors.New("redirected to another host")
	ErrHTTPStatus        = errors.New("unexpected HTTP status")
	ErrMXSameDomain      = errors.New("the mail server is in the domain itself")
)

// ProviderResolver looks an address up in the providers domains list (*data.Store has it).
type ProviderResolver interface {
	// ResolveProvider returns the provider of address's domain or a parent domain; an error
	// wrapping data.ErrNotFound when there is none.
	ResolveProvider(ctx context.Context, address string) (*data.Resolution, error)
}

// Discoverer finds the settings of an address whose domain is not in the providers list.
// The zero value works: it uses http.DefaultTransport (TLS verification on), the system
// resolver, Thunderbird's ISP database and DefaultDiscoveryTimeout, and skips the domains
// lookup. Tests point it at 127.0.0.1 through Client's transport (a DialContext mapping host
// names to the test server, so TLS still checks the names) and LookupMX.
type Discoverer struct {
	Client    *http.Client     // redirects to another host are refused whatever its policy
	Providers ProviderResolver // the domains lookup; nil to skip it
	ISPDBBase string           // the domain is appended; DefaultISPDBBase when ""
	LookupMX  func(ctx context.Context, name string) ([]*net.MX, error)
	Timeout   time.Duration // per source
}

// Discovery is what was found for an address: settings to show and have confirmed.
type Discovery struct {
	Address  string
	Domain   string         // the address's domain, stored form
	Provider *data.Provider // from the list (ID set) or from a clientConfig (ID 0, not saved)
	Login    string         // by the provider's login rule; "" when entered by hand
	Source   string         // one of the Source* constants, or "mx+" one of them
	URL      string         // the clientConfig's address; "" for the domains lookup
	MXHost   string         // the mail server the settings were found through, for SourceMX
	ConfigID string         // the clientConfig's emailProvider id; "" for the domains lookup
	Warnings []string       // what the clientConfig could not carry over
}

// Attempt is the outcome of one source, reported as it finishes.
type Attempt struct {
	Source string
	URL    string // what was asked: a URL, or the domain for the domains and MX lookups
	Err    error  // nil when the source found settings
}

// DiscoveryError is returned when no source found settings; it matches ErrNothingFound.
type DiscoveryError struct {
	Address  string
	Attempts []Attempt // every source, in order of priority
}

// Error lists why each source failed.
func (e *DiscoveryError) Error() string {
	parts := make([]string, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		parts = append(parts, fmt.Sprintf("%s: %v", a.Source, a.Err))
	}
	return fmt.Sprintf("discover %s: %v (%s)", e.Address, ErrNothingFound, strings.Join(parts, "; "))
}

// Unwrap lets errors.Is find ErrNothingFound.
func (e *DiscoveryError) Unwrap() error { return ErrNothingFound }

// probe is one source to try.
type probe struct {
	source  string
	target  string
	timeout time.Duration
	run     func(ctx context.Context) (*Discovery, error)
}

// Discover tries every source at once, each within its timeout, and returns the settings of
// the first by priority that finds them (domains, autoconfig, well-known, ispdb, mx): a
// lower-priority success waits until those before it have failed. The rest are cancelled
// once that is decided. progress, when not nil, is called with each source's outcome as it
// finishes, from Discover's goroutine. It fails with a plain-words error for a malformed
// address, a *DiscoveryError when nothing was found, or ctx's error.
func (d *Discoverer) Discover(ctx context.Context, address string, progress func(Attempt)) (*Discovery, error) {
	local, domain, err := data.SplitAddress(address)
	if err != nil {
		return nil, err
	}
	address = local + "@" + domain
	found, attempts := d.first(ctx, d.probes(local, domain, true), progress)
	if found == nil {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("discover %s: %w", address, err)
		}
		return nil, &DiscoveryError{Address: address, Attempts: attempts}
	}
	found.Address, found.Domain = address, domain
	found.Login = found.Provider.LoginRule.Login(address)
	return found, nil
}

// probes lists the sources for local@domain in order of priority.
func (d *Discoverer) probes(local, domain string, withMX bool) []probe {
	autoconfigURL := "https://autoconfig." + domain + "/mail/config-v1.1.xml?emailaddress=" + url.QueryEscape(local+"@"+domain)
	wellKnownURL := "https://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml"
	ispdbURL := d.ispdbBase() + domain
	ps := []probe{}
	if d.Providers != nil {
		ps = append(ps, probe{SourceDomains, domain, d.timeout(), func(ctx context.Context) (*Discovery, error) {
			return d.fromDomains(ctx, local+"@"+domain)
		}})
	}
	for _, p := range []struct{ source, url string }{
		{SourceAutoconfig, autoconfigURL}, {SourceWellKnown, wellKnownURL}, {SourceISPDB, ispdbURL},
	} {
		ps = append(ps, probe{p.source, p.url, d.timeout(), func(ctx context.Context) (*Discovery, error) {
			return d.fromURL(ctx, p.source, p.url, domain)
		}})
	}
	if withMX {
		// The lookup, then the inner sources, each within a timeout.
		ps = append(ps, probe{SourceMX, domain, 2 * d.timeout(), func(ctx context.Context) (*Discovery, error) {
			return d.fromMX(ctx, local, domain)
		}})
	}
	return ps
}

func (d *Discoverer) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DefaultDiscoveryTimeout
}

func (d *Discoverer) ispdbBase() string {
	base := d.ISPDBBase
	if base == "" {
		base = DefaultISPDBBase
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base
}

type outcome struct {
	i   int
	res *Discovery
	err error
}

// first runs probes concurrently and returns the result of the first by priority that
// succeeds, or nil, with the attempts that finished, in order of priority. It returns only
// when every probe has ended.
func (d *Discoverer) first(ctx context.Context, probes []probe, progress func(Attempt)) (*Discovery, []Attempt) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	ch := make(chan outcome, len(probes))
	for i, p := range probes {
		wg.Go(func() {
			pctx, pcancel := context.WithTimeout(ctx, p.timeout)
			defer pcancel()
			res, err := p.run(pctx)
			if err == nil && res == nil {
				err = ErrNotListed
			}
			ch <- outcome{i, res, err}
		})
	}
	done := make([]*outcome, len(probes))
	next := 0
	for range probes {
		o := <-ch
		done[o.i] = &o
		if progress != nil {
			progress(Attempt{Source: probes[o.i].source, URL: probes[o.i].target, Err: o.err})
		}
		for next < len(probes) && done[next] != nil {
			if done[next].err == nil {
				return done[next].res, nil
			}
			next++
		}
	}
	attempts := make([]Attempt, len(probes))
	for i, o := range done {
		attempts[i] = Attempt{Source: probes[i].source, URL: probes[i].target, Err: o.err}
	}
	return nil, attempts
}

// fromDomains looks address up in the providers list.
func (d *Discoverer) fromDomains(ctx context.Context, address string) (*Discovery, error) {
	res, err := d.Providers.ResolveProvider(ctx, address)
	if errors.Is(err, data.ErrNotFound) {
		return nil, fmt.Errorf("%w in the providers list", ErrNotListed)
	}
	if err != nil {
		return nil, err
	}
	return &Discovery{Provider: res.Provider, Source: SourceDomains}, nil
}

// fromURL fetches and reads the clientConfig at u.
func (d *Discoverer) fromURL(ctx context.Context, source, u, domain string) (*Discovery, error) {
	cc, err := fetchClientConfig(ctx, d.Client, u, domain)
	if err != nil {
		return nil, err
	}
	return &Discovery{Provider: cc.Provider, Source: source, URL: u, ConfigID: cc.ProviderID, Warnings: cc.Warnings}, nil
}

// fromMX looks up domain's mail server and tries the other sources for its base domain.
func (d *Discoverer) fromMX(ctx context.Context, local, domain string) (*Discovery, error) {
	lookup := d.LookupMX
	if lookup == nil {
		lookup = net.DefaultResolver.LookupMX
	}
	lctx, cancel := context.WithTimeout(ctx, d.timeout())
	mxs, err := lookup(lctx, domain)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("look up the mail server of %s: %w", domain, err)
	}
	host, base, err := mxBase(mxs)
	if err != nil {
		return nil, err
	}
	if base == domain {
		return nil, fmt.Errorf("%w: %s", ErrMXSameDomain, host)
	}
	found, _ := d.first(ctx, d.probes(local, base, false), nil)
	if found == nil {
		return nil, fmt.Errorf("%w for %s, the base domain of the mail server %s", ErrNothingFound, base, host)
	}
	found.Source, found.MXHost = SourceMX+"+"+found.Source, host
	return found, nil
}

// mxBase returns the preferred mail server of mxs and its registrable domain
// (aspmx.l.google.com gives google.com).
func mxBase(mxs []*net.MX) (host, base string, err error) {
	var best *net.MX
	for _, mx := range mxs {
		h := strings.TrimSuffix(mx.Host, ".")
		if h == "" {
			continue // "." is a null MX: the domain takes no mail
		}
		if best == nil || mx.Pref < best.Pref {
			best = mx
		}
	}
	if best == nil {
		return "", "", fmt.Errorf("%w: the domain has no mail server", ErrNotListed)
	}
	host, err = data.NormalizeDomain(best.Host)
	if err != nil {
		return "", "", fmt.Errorf("mail server %q: %v", best.Host, err)
	}
	base, err = publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return "", "", fmt.Errorf("base domain of %s: %w", host, err)
	}
	return host, base, nil
}

// DiscoveryMessage returns one plain sentence for an error of Discover.
func DiscoveryMessage(err error) string {
	var de *DiscoveryError
	switch {
	case errors.As(err, &de):
		_, domain, _ := strings.Cut(de.Address, "@")
		return fmt.Sprintf("No settings were found for %s. Enter the servers by hand, or ask your email provider for them.",
			data.DisplayDomain(domain))
	case errors.Is(err, context.Canceled):
		return "The search was cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		return "The search took too long. Check the network connection and try again."
	}
	return err.Error() // SplitAddress's own plain words
}

// AttemptMessage returns a few plain words on why one source found nothing.
func AttemptMessage(err error) string {
	var ue *url.Error
	switch {
	case err == nil:
		return "found"
	case errors.Is(err, ErrNotListed), errors.Is(err, ErrNothingFound):
		return "not found"
	case errors.Is(err, ErrCrossHostRedirect):
		return "refused: it redirects to another server"
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, ErrNotClientConfig), errors.Is(err, ErrMalformedXML), errors.Is(err, ErrDoctype),
		errors.Is(err, ErrEmptyConfig):
		return "the answer is not a mail configuration"
	case errors.Is(err, ErrConfigTooLarge):
		return "the answer is too large"
	case errors.As(err, &ue):
		return "cannot be reached"
	}
	return "not usable"
}
