package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

// lookupJSON is the output of mailroom lookup --json.
type lookupJSON struct {
	Address  string           `json:"address"`
	Provider string           `json:"provider"`
	Source   string           `json:"source"`
	Login    string           `json:"login"`
	IMAP     lookupServerJSON `json:"imap"`
	SMTP     lookupSMTPJSON   `json:"smtp"`
	Warning  string           `json:"warning,omitempty"` // the domain may imitate another
}

type lookupServerJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	Auth     string `json:"auth"` // "password" or "oauth2"
}

type lookupSMTPJSON struct {
	Host           string `json:"host"`
	Port           int    `json:"port"`
	Security       string `json:"security"`
	TimeoutSeconds int    `json:"timeout_seconds"`
	Auth           string `json:"auth"` // "password" or "oauth2"
}

// newDiscoverer builds the discovery the CLI uses: the store's domains lookup, the network.
func newDiscoverer(s *data.Store, ispdb string) *mailclient.Discoverer {
	return &mailclient.Discoverer{Providers: s, ISPDBBase: ispdb}
}

// lookup prints the settings found for an address and where they came from. It exits 0 when
// found, 1 when nothing was found or the address is malformed, 2 for bad usage.
func lookup(e *env, args []string) int {
	return runLookup(e, args, newDiscoverer)
}

func runLookup(e *env, args []string, discoverer func(*data.Store, string) *mailclient.Discoverer) int {
	fs := flag.NewFlagSet("lookup", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	ispdb := fs.String("ispdb", mailclient.DefaultISPDBBase, "base URL of the ISP database")
	address, ok := parseWithAddress(e, fs, args, "mailroom lookup ADDRESS [--json] [--ispdb URL]")
	if !ok {
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		found, err := discoverer(s, *ispdb).Discover(ctx, address, nil)
		if err != nil {
			e.log.Info("lookup", "address", address, "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.DiscoveryMessage(err))
			var de *mailclient.DiscoveryError
			if errors.As(err, &de) && !*asJSON {
				for _, a := range de.Attempts {
					fmt.Fprintf(e.stderr, "  %-11s %s: %s\n", a.Source, a.URL, mailclient.AttemptMessage(a.Err))
				}
			}
			return 1
		}
		if *asJSON {
			return printJSON(e, lookupResult(found))
		}
		printDiscovery(e, found)
		return 0
	})
}

func lookupResult(d *mailclient.Discovery) lookupJSON {
	p := d.Provider
	return lookupJSON{
		Address: d.Address, Provider: p.Name, Source: d.Source, Login: d.Login,
		IMAP: lookupServerJSON{Host: p.IMAP.Host, Port: p.IMAP.Port, Security: string(p.IMAP.Security), Auth: authName(p.IMAPAuth)},
		SMTP: lookupSMTPJSON{Host: p.SMTP.Host, Port: p.SMTP.Port, Security: string(p.SMTP.Security), TimeoutSeconds: p.SMTPTimeout,
			Auth: authName(p.SMTPAuth)},
		Warning: data.LookalikeWarning(d.Domain),
	}
}

func printDiscovery(e *env, d *mailclient.Discovery) {
	p := d.Provider
	from := d.Source
	if d.URL != "" {
		from += " " + d.URL
	}
	if d.MXHost != "" {
		from += " (through the mail server " + d.MXHost + ")"
	}
	login := d.Login
	if login == "" {
		login = "(entered by hand)"
	}
	fmt.Fprintf(e.stdout, "Address:  %s\n", d.Address)
	if w := data.LookalikeWarning(d.Domain); w != "" {
		fmt.Fprintf(e.stdout, "          warning: %s\n", w)
	}
	fmt.Fprintf(e.stdout, "Provider: %s\nFound in: %s\nLogin:    %s\n", p.Name, from, login)
	fmt.Fprintf(e.stdout, "IMAP:     %s\nSMTP:     %s, timeout %d s\n", serverText(p.IMAPEnabled, p.IMAP), serverText(p.SMTPEnabled, p.SMTP), p.SMTPTimeout)
	for _, w := range d.Warnings {
		fmt.Fprintf(e.stdout, "    warning: %s\n", w)
	}
}

// providersSubscribe makes this database follow a provider list signed by the publisher key
// given with --key, and refreshes it at once. It exits 0 when the first refresh worked, 1
// when it failed (the subscription stays) or the subscription was refused, 2 for bad usage.
func providersSubscribe(e *env, args []string) int {
	fs := flag.NewFlagSet("providers subscribe", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	key := fs.String("key", "", "the publisher's public key (mailroom providers key prints it)")
	const usage = "mailroom providers subscribe SOURCE --key PUBKEY  (SOURCE: https://…/index.txt, or the list's folder)"
	source, ok := parseWithAddress(e, fs, args, usage)
	if !ok {
		return 2
	}
	if *key == "" {
		fmt.Fprintln(e.stderr, "Usage: "+usage)
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		sub, err := s.Subscribe(ctx, source, *key)
		if err != nil {
			e.log.Error("subscribe", "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", subscribeProblem(err))
			return 1
		}
		fmt.Fprintf(e.stdout, "Subscribed to %s\nTrusting key %s\n", sub.Source, data.KeyFingerprint(*key))
		return refreshAndPrint(ctx, e, s, http.DefaultClient)
	})
}

func subscribeProblem(err error) string {
	var ve *data.ValidationError
	if errors.As(err, &ve) {
		if msg := ve.For(data.FieldSource); msg != "" {
			return msg
		}
		return "--key: " + ve.For(data.FieldPublicKey)
	}
	return fmt.Sprintf("The subscription could not be saved: %v.", err)
}

// providersUnsubscribe stops following the provider list; its providers stay as ordinary ones.
func providersUnsubscribe(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers unsubscribe")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		n, err := s.Unsubscribe(ctx)
		switch {
		case errors.Is(err, data.ErrNotFound):
			fmt.Fprintln(e.stderr, "mailroom: this database does not subscribe to a provider list")
			return 1
		case err != nil:
			e.log.Error("unsubscribe", "err", err)
			fmt.Fprintf(e.stderr, "mailroom: %s\n", subscribeProblem(err))
			return 1
		}
		fmt.Fprintf(e.stdout, "Unsubscribed; %d providers stay as ordinary providers\n", n)
		return 0
	})
}

// providersRefresh refreshes the subscribed list now and prints what changed and how old the
// copy in use is. It exits 1 when the refresh failed or there is no subscription.
func providersRefresh(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers refresh")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		return refreshAndPrint(ctx, e, s, http.DefaultClient)
	})
}

func refreshAndPrint(ctx context.Context, e *env, s *data.Store, client *http.Client) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	r, err := mailclient.RefreshSubscription(ctx, s, client)
	if r != nil {
		for _, name := range r.Ignored {
			fmt.Fprintf(e.stdout, "%s: ignored: not in the signed index\n", name)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(e.stdout, "    warning: %s\n", w)
		}
	}
	if err != nil {
		e.log.Error("refresh provider list", "err", err)
		fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.RefreshMessage(err))
		if r != nil {
			fmt.Fprintf(e.stdout, "Last refreshed: %s\n", stampText(r.LastGoodAt))
		}
		return 1
	}
	c := r.Changes
	for _, l := range []struct {
		what  string
		names []string
	}{{"added", c.Added}, {"updated", c.Updated}, {"removed", c.Removed}, {"kept for its mailboxes, no longer managed", c.Released}} {
		for _, n := range l.names {
			fmt.Fprintf(e.stdout, "%s: %s\n", n, l.what)
		}
	}
	fmt.Fprintf(e.stdout, "List number %d, signed by %s\n", r.Sequence, r.SignedBy)
	fmt.Fprintf(e.stdout, "%d files: %d added, %d updated, %d unchanged, %d removed, %d released\n", r.Files,
		len(c.Added), len(c.Updated), len(c.Unchanged), len(c.Removed), len(c.Released))
	fmt.Fprintf(e.stdout, "Last refreshed: %s\n", stampText(r.LastGoodAt))
	return 0
}

func stampText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}
