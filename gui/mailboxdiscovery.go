package gui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

// cancelDiscovery stops a search for settings that the typing has made useless.
func (w *mailboxWindow) cancelDiscovery() {
	if w.stopDiscovery != nil {
		w.stopDiscovery()
		w.stopDiscovery = nil
	}
	w.found = nil
	w.useFound.Hide()
	w.addFound.Hide()
}

// discoverSoon searches for the settings of address once the person stops typing.
func (w *mailboxWindow) discoverSoon(address string) {
	ctx, cancel := context.WithCancel(context.Background())
	w.ui.jobs.Add(1) // until the search starts or is called off
	var once sync.Once
	settled := func() { once.Do(w.ui.jobs.Done) }
	timer := time.AfterFunc(w.ui.typingPause, func() {
		w.ui.onUI(func() {
			defer settled()
			if ctx.Err() == nil {
				w.discover(ctx, address)
			}
		})
	})
	w.stopDiscovery = func() {
		if timer.Stop() {
			settled()
		}
		cancel()
	}
}

// discover asks the autoconfig sources for address's settings and shows what was found,
// and where, for the person to confirm.
func (w *mailboxWindow) discover(ctx context.Context, address string) {
	var found *mailclient.Discovery
	w.ui.background(func(context.Context) error {
		var err error
		found, err = w.ui.discoverer.Discover(ctx, address, nil)
		return err
	}, func(err error) {
		if ctx.Err() != nil || w.address.Text != address {
			return // the address changed meanwhile
		}
		if err != nil {
			w.ui.log.Info("discovery", "err", err)
			w.showHint(mailclient.DiscoveryMessage(err) + " Or choose a provider of the list below.")
			w.providerPick.Show()
			if _, domain, err := data.SplitAddress(address); err == nil {
				w.showServers(domain)
			}
			return
		}
		w.found = found
		p := found.Provider
		w.showHint(fmt.Sprintf("Found settings for %s (%s):\nincoming %s, %s; outgoing %s, %s.\nUse them only if they look right.",
			data.DisplayDomain(found.Domain), sourceTitle(found), p.IMAP.Address(), p.IMAP.Security.Title(),
			p.SMTP.Address(), p.SMTP.Security.Title()))
		w.useFound.Show()
		w.addFound.Show()
	})
}

// sourceTitle says in a few words where discovered settings came from.
func sourceTitle(d *mailclient.Discovery) string {
	src := d.Source
	via := ""
	if rest, ok := strings.CutPrefix(src, "mx+"); ok {
		src, via = rest, " for its mail server "+d.MXHost
	}
	switch src {
	case mailclient.SourceDomains:
		return "from the provider list" + via
	case mailclient.SourceAutoconfig, "well-known":
		return "from the domain's own configuration server" + via + ", " + d.URL
	}
	return "from Thunderbird's database of providers" + via + ", " + d.URL
}

// useDiscovered takes the found settings for this mailbox; they are saved with it.
func (w *mailboxWindow) useDiscovered() {
	if w.found == nil {
		return
	}
	p := *w.found.Provider
	p.ID = 0
	if p.Name == "" {
		p.Name = data.DisplayDomain(w.found.Domain)
	}
	w.setProvider(&p)
	w.useFound.Hide()
	w.addFound.Hide()
	w.showHint("These settings will be kept with this mailbox.")
	w.changed(data.FieldProvider)
}

// addDiscovered adds the found settings to the provider list, for everyone.
func (w *mailboxWindow) addDiscovered() {
	found := w.found
	if found == nil {
		return
	}
	var saved *data.Provider
	w.ui.background(func(ctx context.Context) error {
		var err error
		saved, err = mailclient.AddDiscovered(ctx, w.store, found)
		return err
	}, func(err error) {
		if err != nil {
			w.ui.log.Warn("add discovered provider", "err", err)
			w.showHint(mailclient.AddDiscoveredMessage(err))
			return
		}
		w.setProvider(saved)
		w.useFound.Hide()
		w.addFound.Hide()
		w.showHint("Added to the provider list.")
		w.changed(data.FieldProvider)
		w.loadProviders()
		w.ui.reload()
	})
}
