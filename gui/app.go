// Package gui is Mailroom's Fyne user interface: the main window, the providers grid,
// the provider card, the domains lookup and the operation permissions screen.
package gui

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// UI is Mailroom's window and the screens in it.
type UI struct {
	app     fyne.App
	store   *data.Store // each screen keeps the small interface of it that it uses, declared beside it
	secrets Secrets
	creds   *mailclient.Credentials // secrets' access tokens of OAuth 2.0 mailboxes
	log     *slog.Logger
	win     fyne.Window

	mailboxes  *mailboxesView
	mail       *mailView
	tabs       *container.AppTabs
	providers  *providersView
	domains    *domainsView
	perms      *permissionsView
	settings   *settingsView
	outboxView *outboxView
	outbox     *mailclient.Outbox
	sync       *mailclient.Coordinator // every sync, its schedule and the Inbox watchers; from ShowMain on
	syncView   *syncStatus             // shows the coordinator's progress and events
	bg         *background             // the tray icon, when Mailroom keeps running with its window closed
	clicks     *clickNotifier          // notifications that open what they announce; nil where there are none
	workers    sync.WaitGroup          // long-running loops (the outbox), stopped with the window
	stop       context.CancelFunc      // ends them

	discoverer  *mailclient.Discoverer // finds the settings of domains the list does not know
	typingPause time.Duration          // how long typing must pause before a search starts
	syncEvery   time.Duration          // how often mail is synced in the background; 0 for never
	watchIdle   bool                   // keep IDLE watchers on the Inboxes
	runCtx      context.Context        // ends when the main window closes
	cacheDir    string                 // Mailroom's folder in the user's cache (forwarded attachments)

	// isListPublisher: this person is a publisher of the subscribed list, so its providers
	// open for editing; read with the providers.
	isListPublisher bool

	jobs    pending    // background work not yet applied; tests wait on it
	applyMu sync.Mutex // one apply at a time even where fyne.Do does not serialize (the test driver)
}

// New builds the user interface over store, keeping mailbox passwords in secrets; call
// ShowMain to open the window.
func New(a fyne.App, store *data.Store, secrets Secrets, log *slog.Logger) *UI {
	tokens := withTokens(secrets)
	secrets = tokens
	u := &UI{app: a, store: store, secrets: secrets, creds: tokens.Credentials, log: log, typingPause: 600 * time.Millisecond, watchIdle: true, cacheDir: userCacheDir(),
		syncEvery: time.Duration(a.Preferences().IntWithFallback(prefSyncMinutes, 5)) * time.Minute}
	u.discoverer = &mailclient.Discoverer{Providers: store}
	u.win = mainWindow(a)
	u.bg = newBackground(u)
	u.clicks = sessionNotifier()
	u.mailboxes = newMailboxesView(u)
	u.mail = newMailView(u)
	u.providers = newProvidersView(u)
	u.domains = newDomainsView(u)
	u.perms = newPermissionsView(u)
	u.settings = newSettingsView(u)
	u.outboxView = newOutboxView(u)
	u.outbox = mailclient.NewOutbox(store, secrets, mailclient.OutboxOptions{Log: log, OnChange: u.sentShows, Mail: u.mail.mail})
	return u
}

// sentShows syncs the Sent folder of a message once its copy is there, so Sent shows it
// without waiting for the schedule. (The Outbox screen follows the store by itself.)
func (u *UI) sentShows(it *data.OutboxItem) {
	if u.sync == nil || it.State != data.OutboxSent || (it.SentCopy != data.SentCopyDone && it.SentCopy != data.SentCopySkipped) {
		return
	}
	go func() {
		if err := u.sync.SyncSent(u.runCtx, it.MailboxID); err != nil && u.runCtx.Err() == nil {
			u.log.Info("sync Sent after sending", "err", err)
		}
	}()
}

// ShowMain lays out and shows the main window at its remembered size, and loads its data.
func (u *UI) ShowMain() {
	tabs := container.NewAppTabs(
		container.NewTabItemWithIcon("Mail", theme.MailReplyAllIcon(), u.mail.content),
		container.NewTabItemWithIcon("Mailboxes", theme.MailComposeIcon(), u.mailboxes.content),
		container.NewTabItemWithIcon("Outbox", theme.MailSendIcon(), u.outboxView.content),
		container.NewTabItemWithIcon("Email providers", theme.StorageIcon(), u.providers.content),
		container.NewTabItemWithIcon("Provider domains", theme.ListIcon(), u.domains.content),
	)
	tabs.Append(container.NewTabItemWithIcon("Operation permissions", theme.AccountIcon(), u.perms.content))
	tabs.Append(container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), u.settings.content))
	tabs.SetTabLocation(container.TabLocationLeading)
	u.tabs = tabs
	u.win.SetContent(tabs)
	prefs := u.app.Preferences()
	u.win.Resize(fyne.NewSize(
		float32(prefs.FloatWithFallback("window.width", 1100)),
		float32(prefs.FloatWithFallback("window.height", 720))))
	ctx, stop := context.WithCancel(context.Background())
	u.stop, u.runCtx = stop, ctx
	u.win.SetOnClosed(func() {
		u.stopWorkers()
		savePosition(u.win, prefs)
		s := u.win.Canvas().Size()
		prefs.SetFloat("window.width", float64(s.Width))
		prefs.SetFloat("window.height", float64(s.Height))
	})
	u.installMainKeys(tabs)
	u.win.SetCloseIntercept(u.closeMain)
	u.bg.start()
	u.win.SetMaster()
	u.win.Show()
	restorePosition(u.win, prefs)
	u.followStore()
	u.reload()
	u.followProviderList(ctx)
	u.cleanForwardFiles()
	u.startSync(ctx)
	u.mail.resumeActions(ctx)
	u.workers.Add(1)
	go func() {
		defer u.workers.Done()
		if err := u.outbox.Run(ctx); err != nil && ctx.Err() == nil {
			u.log.Error("outbox stopped", "err", err)
		}
	}()
}

// startSync starts the coordinator of every sync (the start-up sync, the schedule, the Inbox
// watchers) until ctx ends, its events shown in the Mail screen's status line.
func (u *UI) startSync(ctx context.Context) {
	u.sync = mailclient.NewCoordinator(u.store, u.secrets, mailclient.CoordinatorOptions{
		Interval: u.syncEvery, Watch: u.watchIdle, Bodies: true, Mail: u.mail.mail, Log: u.log})
	u.syncView = newSyncStatus(u, u.mail.status, u.mail.bar)
	u.syncView.listen(u.sync)
	u.workers.Add(1)
	go func() {
		defer u.workers.Done()
		if err := u.sync.Run(ctx); err != nil && ctx.Err() == nil {
			u.log.Error("sync coordinator stopped", "err", err)
		}
	}()
}

// setSyncEvery changes how often mail is synced in the background; 0 for only on F5.
func (u *UI) setSyncEvery(d time.Duration) {
	u.syncEvery = d
	if u.sync != nil {
		u.sync.SetInterval(d)
	}
}

// showProviders brings the Email providers screen forward.
func (u *UI) showProviders() {
	for _, t := range u.tabs.Items {
		if t.Content == u.providers.content {
			u.tabs.Select(t)
		}
	}
}

// installMainKeys gives the main window the keys people know from mail programs.
func (u *UI) installMainKeys(tabs *container.AppTabs) {
	mail := func(f func()) func() {
		return func() {
			tabs.SelectIndex(0)
			f()
		}
	}
	shortcuts{
		ctrl(fyne.KeyN): func() { u.compose(data.Composition{}, 0) },
		ctrl(fyne.KeyQ): u.quit,
		ctrl(fyne.KeyR): mail(func() { u.mail.answer(false, false) }),
		{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}: mail(func() { u.mail.answer(true, false) }),
		ctrl(fyne.KeyL): mail(func() { u.mail.answer(false, true) }),
		ctrl(fyne.KeyF): mail(func() { u.win.Canvas().Focus(u.mail.search) }),
	}.install(u.win.Canvas())
	u.win.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		switch e.Name {
		case fyne.KeyF5:
			u.syncAll()
		case fyne.KeyDelete:
			u.mail.deleteSelected()
		}
	})
}

// attachDir is where the attachments of message id are put to be forwarded.
func (u *UI) attachDir(id int64) string {
	return filepath.Join(u.cacheDir, "forward", strconv.FormatInt(id, 10))
}

// userCacheDir is Mailroom's folder in the user's cache folder.
func userCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "Mailroom")
}

// stopWorkers ends the long-running loops and waits for them.
func (u *UI) stopWorkers() {
	if u.stop != nil {
		u.stop()
	}
	u.workers.Wait()
	u.mail.mail.Close()
}

// reload reads providers, domains and users again and shows them.
func (u *UI) reload() {
	u.mailboxes.load()
	u.mail.load()
	u.providers.load()
	u.domains.load()
	u.perms.load()
	u.settings.load()
	u.outboxView.load()
}

// background runs work off the UI goroutine, then apply with its result on the UI goroutine.
func (u *UI) background(work func(ctx context.Context) error, apply func(error)) {
	u.jobs.Add(1)
	go func() {
		defer u.jobs.Done()
		err := work(context.Background())
		u.onUI(func() { apply(err) })
	}()
}

// explain turns a store error into one plain sentence for a person; the log gets the chain.
func (u *UI) explain(action string, err error) string {
	u.log.Error(action, "err", err)
	switch {
	case errors.Is(err, data.ErrInUse):
		return "Mailboxes still use this provider, so it cannot be deleted. Remove those mailboxes first, or give them another provider."
	case errors.Is(err, data.ErrManaged):
		return "This provider comes from the subscribed provider list, so only its publishers can change it."
	case errors.Is(err, data.ErrConflict):
		return "Someone changed this provider while you were editing it. Close the card and open it again to see their changes."
	case errors.Is(err, data.ErrNotFound):
		return "This item no longer exists: someone deleted it."
	}
	var v *data.ValidationError
	if errors.As(err, &v) {
		return v.Fields[0].Msg
	}
	return "Mailroom could not " + action + ". The database may be busy or damaged; try again, and see the log for details."
}

// showError shows a plain message in a dialog over win.
func showError(win fyne.Window, title, msg string) {
	dialog.NewInformation(title, msg, win).Show()
}

// ShowStartupProblem shows, in a window of its own, why Mailroom cannot start (msg is one plain
// sentence); closing it ends the app.
func ShowStartupProblem(a fyne.App, msg string) {
	ShowProblem(a, "Mailroom cannot open its database", msg)
}

// ShowProblem shows, in a window of its own titled title, why Mailroom cannot go on (msg is one
// plain sentence); closing it ends the app.
func ShowProblem(a fyne.App, title, msg string) {
	w := mainWindow(a)
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	quit := widget.NewButton("Quit", w.Close)
	quit.Importance = widget.HighImportance
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.SetContent(container.NewBorder(container.NewHBox(widget.NewIcon(theme.ErrorIcon()), heading), container.NewHBox(layoutSpacer(), quit), nil, nil, text))
	w.Resize(fyne.NewSize(520, 200))
	w.SetMaster()
	w.Show()
}

// pending counts background work not yet applied. Unlike a sync.WaitGroup, work may start
// (from the outbox, a timer) while someone waits for it to settle.
type pending struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed while n is 0
}

// Add counts delta more (or, negative, fewer) pieces of work.
func (p *pending) Add(delta int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.zero == nil {
		p.zero = make(chan struct{})
		close(p.zero)
	}
	if p.n == 0 && delta > 0 {
		p.zero = make(chan struct{})
	}
	p.n += delta
	if p.n == 0 {
		close(p.zero)
	}
}

// Done counts one piece of work finished.
func (p *pending) Done() { p.Add(-1) }

// Wait returns once no work is pending.
func (p *pending) Wait() {
	for {
		p.mu.Lock()
		if p.zero == nil || p.n == 0 {
			p.mu.Unlock()
			return
		}
		ch := p.zero
		p.mu.Unlock()
		<-ch
	}
}
