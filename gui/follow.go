package gui

import (
	"fyne.io/fyne/v2"

	"mailroom/data"
)

// onUI runs f on the UI goroutine, one at a time (the test driver's fyne.Do does not
// serialize), counted among the pending jobs until it has run. It is the one way work done
// elsewhere reaches the widgets.
func (u *UI) onUI(f func()) {
	u.jobs.Add(1)
	fyne.Do(func() {
		defer u.jobs.Done()
		u.applyMu.Lock()
		defer u.applyMu.Unlock()
		f()
	})
}

// follow calls reload on the UI goroutine whenever the store says one of kinds changed (in
// this process or another), with what changed, until the main window closes. Bursts of
// commits arrive as one call.
func (u *UI) follow(kinds data.Kind, reload func(data.Change)) {
	ch, stop := u.store.Changes(kinds)
	u.workers.Add(1)
	go func() {
		defer u.workers.Done()
		defer stop()
		for {
			select {
			case <-u.runCtx.Done():
				return
			case c, ok := <-ch:
				if !ok {
					return
				}
				u.onUI(func() { reload(c) })
			}
		}
	}()
}

// followStore has each screen follow the kinds of data it shows: it reloads itself when they
// change, whoever changed them, so no screen needs to tell another to refresh.
func (u *UI) followStore() {
	u.follow(data.KindMailboxes|data.KindProviders, func(data.Change) { u.mailboxes.load() })
	u.follow(data.KindMailboxes|data.KindFolders, func(data.Change) { u.mail.load() })
	u.follow(data.KindMessages, u.mail.messagesChanged)
	u.follow(data.KindOutbox|data.KindDrafts, func(data.Change) { u.outboxView.load() })
	u.follow(data.KindProviders|data.KindDomains|data.KindSubscription, func(data.Change) { u.providers.load() })
	u.follow(data.KindDomains|data.KindProviders, func(data.Change) { u.domains.load() })
	u.follow(data.KindPublishers|data.KindUsers|data.KindSubscription, func(data.Change) { u.perms.load() })
	u.follow(data.KindPublishers, func(data.Change) { u.settings.loadPublished() })
}

// messagesChanged shows what changed in the cached messages: the unread counts, and the
// list when it shows one of the folders that changed.
func (v *mailView) messagesChanged(c data.Change) {
	if len(v.mailboxes) > 0 {
		v.refreshCounts()
	}
	if v.folder != nil && c.Folder(v.folder.ID) {
		v.reloadList()
	}
}
