package gui

import (
	"context"
	"errors"
	"fmt"

	"mailroom/data"
)

// loadProviders reads the provider list for "Change…" off the UI goroutine: with thousands of
// providers the window would otherwise open late.
func (w *mailboxWindow) loadProviders() {
	var list []*data.Provider
	w.ui.background(func(ctx context.Context) error {
		var err error
		list, err = w.store.List(ctx)
		return err
	}, func(err error) {
		if err != nil {
			w.ui.log.Error("list providers", "err", err)
		}
		w.providers = list
		names := make([]string, len(list))
		for i, p := range list {
			names[i] = p.Name
		}
		w.providerPick.Options = names
		w.providerPick.Refresh()
	})
}

// resolve finds the provider of the typed address through the domains lookup. The lookup runs
// off the UI goroutine, so a keystroke never waits for the database; an answer for an address
// typed over meanwhile is dropped.
func (w *mailboxWindow) resolve() {
	if w.orig != nil {
		return
	}
	address := w.address.Text
	w.resolving++
	seq := w.resolving
	_, domain, err := data.SplitAddress(address)
	if err != nil {
		showLookalike(w.domainWarning, "")
		return // said on Test or Save, not while typing
	}
	showLookalike(w.domainWarning, domain)
	w.cancelDiscovery()
	var res *data.Resolution
	w.ui.background(func(ctx context.Context) error {
		var err error
		res, err = w.store.ResolveProvider(ctx, address)
		return err
	}, func(err error) {
		if seq != w.resolving {
			return // typed over meanwhile
		}
		w.resolved(address, domain, res, err)
	})
}

// resolved shows the provider the lookup found for address, or starts looking for its settings.
func (w *mailboxWindow) resolved(address, domain string, res *data.Resolution, err error) {
	if err != nil {
		if !errors.Is(err, data.ErrNotFound) {
			w.ui.log.Error("resolve provider", "err", err)
		}
		w.setProvider(nil)
		w.providerName.SetText("Unknown provider")
		w.providerPick.Hide()
		w.showHint(fmt.Sprintf("No provider in the list serves %s. Looking for its settings…", data.DisplayDomain(domain)))
		w.discoverSoon(address)
		return
	}
	w.hideServers()
	w.providerHint.Hide()
	w.providerPick.Hide()
	w.setProvider(res.Provider)
}

func (w *mailboxWindow) showHint(msg string) {
	w.providerHint.SetText(msg)
	w.providerHint.Show()
}

func (w *mailboxWindow) providerPicked(name string) {
	for _, p := range w.providers {
		if p.Name == name {
			var full *data.Provider
			w.ui.background(func(ctx context.Context) error {
				var err error
				full, err = w.store.Get(ctx, p.ID)
				return err
			}, func(err error) {
				if err != nil {
					w.ui.log.Error("get provider", "err", err)
					return
				}
				w.setProvider(full)
				w.changed(data.FieldProvider)
			})
			return
		}
	}
}

// current returns the settings the mailbox is tested and saved with: the chosen provider, or
// the servers typed by hand; nil for none yet.
func (w *mailboxWindow) current() *data.Provider {
	if w.provider != nil {
		return w.provider
	}
	return w.typed
}
