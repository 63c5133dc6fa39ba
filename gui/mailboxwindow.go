package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

const fieldPassword, fieldLoadFrom = "password", "load_from"

// mailboxWindow is the window in which a person sets up a new mailbox or edits one.
type mailboxWindow struct {
	ui   *UI
	win  fyne.Window
	orig *data.Mailbox // nil for a new mailbox

	address, login, password, sender, loadFrom *escEntry
	passwordLabel                              *widget.Label
	signIn                                     *signInPanel
	signature                                  *widget.Entry
	keep                                       *widget.Check // Keep messages on this computer
	providerName                               *widget.Label
	providerLogo                               *canvas.Image
	providerPick                               *widget.Select
	providerHint                               *widget.Label
	domainWarning                              *widget.Label // beside the address of a lookalike domain
	providers                                  []*data.Provider
	provider                                   *data.Provider // ID 0: settings found by discovery, saved with the mailbox
	found                                      *mailclient.Discovery
	useFound, addFound                         *widget.Button
	stopDiscovery                              func()

	steps      *stepPanel
	result     *widget.Label
	certInfo   *widget.Label
	trust      *widget.Button
	saveAnyway *widget.Button
	testBtn    *widget.Button
	save       *widget.Button
	errs       fieldErrors

	proposed   []string // fingerprints the person compared and chose to trust
	untrusted  []*mailclient.UntrustedCertError
	lastErr    error
	cancelTest context.CancelFunc
	lastThen   func(m *data.Mailbox, password string, pins []*data.CertPin) // what the last test was for
	dirty      bool
	onSaved    func(*data.Mailbox) // for tests
	keys       shortcuts
}

// openMailbox opens the window for m; nil sets up a new mailbox.
func (u *UI) openMailbox(m *data.Mailbox) *mailboxWindow {
	w := &mailboxWindow{ui: u, orig: m, errs: fieldErrors{}}
	w.keys = shortcuts{ctrl(fyne.KeyS): func() { w.submit() }}
	title := "New mailbox"
	if m != nil {
		title = "Mailbox — " + m.Address
	}
	w.win = u.app.NewWindow(title)
	w.build()
	w.loadProviders()
	if m != nil {
		w.fill(m)
	}
	w.win.SetCloseIntercept(w.close)
	w.win.Resize(fyne.NewSize(760, 720))
	w.win.Show()
	w.win.Canvas().Focus(w.address)
	return w
}

func (w *mailboxWindow) build() {
	w.address = newEscEntry(w.close, w.keys)
	w.address.SetPlaceHolder("ann@example.com")
	w.address.OnChanged = func(string) { w.changed(data.FieldAddress); w.resolve() }
	w.login = newEscEntry(w.close, w.keys)
	w.login.OnChanged = func(string) { w.changed(data.FieldLogin) }
	w.password = newEscEntry(w.close, w.keys)
	w.password.Password = true
	w.password.OnChanged = func(string) { w.changed(fieldPassword) }
	w.passwordLabel = widget.NewLabel("Password")
	w.buildSignIn()
	w.sender = newEscEntry(w.close, w.keys)
	w.sender.SetPlaceHolder("Ann Example")
	w.sender.OnChanged = func(string) { w.changed(data.FieldSenderName) }
	w.signature = widget.NewMultiLineEntry()
	w.signature.SetMinRowsVisible(3)
	w.signature.OnChanged = func(string) { w.changed(data.FieldSignature) }
	w.loadFrom = newEscEntry(w.close, w.keys)
	w.loadFrom.SetPlaceHolder("All mail (or a date such as 2025-01-31)")
	w.loadFrom.OnChanged = func(string) { w.changed(fieldLoadFrom) }
	w.keep = newKeepCheck(func() { w.dirty = true })

	w.providerName = widget.NewLabelWithStyle("Type the address to find its provider", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.providerLogo = canvas.NewImageFromResource(nil)
	w.providerLogo.FillMode = canvas.ImageFillContain
	w.providerLogo.SetMinSize(fyne.NewSize(32, 32))
	w.providerPick = widget.NewSelect(nil, w.providerPicked)
	w.providerPick.PlaceHolder = "Choose a provider"
	w.providerPick.Hide()
	w.providerHint = widget.NewLabel("")
	w.providerHint.Wrapping = fyne.TextWrapWord
	w.providerHint.Hide()
	w.domainWarning = newLookalikeLabel()
	w.useFound = widget.NewButtonWithIcon("Use these settings", theme.ConfirmIcon(), w.useDiscovered)
	w.useFound.Importance = widget.HighImportance
	w.useFound.Hide()
	w.addFound = widget.NewButtonWithIcon("Add to the provider list", theme.ContentAddIcon(), w.addDiscovered)
	w.addFound.Hide()
	change := widget.NewButton("Change…", func() { w.providerPick.Show() })
	change.Importance = widget.LowImportance

	w.steps = newStepPanel()
	w.result = widget.NewLabel("")
	w.result.Wrapping = fyne.TextWrapWord
	w.certInfo = widget.NewLabel("")
	w.certInfo.Wrapping = fyne.TextWrapWord
	w.certInfo.Hide()
	w.trust = widget.NewButtonWithIcon("Trust this certificate", theme.ConfirmIcon(), w.trustCertificate)
	w.trust.Hide()
	w.saveAnyway = widget.NewButton("Save anyway", w.saveWithoutTest)
	w.saveAnyway.Hide()
	w.testBtn = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), func() { w.runTest(nil) })
	w.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), w.submit)
	w.save.Importance = widget.HighImportance

	form := container.New(newFormLayout(),
		widget.NewLabel("Email address"), w.field(container.NewVBox(w.address, w.domainWarning), data.FieldAddress),
		w.passwordLabel, w.field(container.NewVBox(w.password, w.signIn.content), fieldPassword),
		widget.NewLabel("Provider"), w.field(container.NewVBox(
			container.NewBorder(nil, nil, w.providerLogo, change, w.providerName), w.providerHint,
			container.NewHBox(w.useFound, w.addFound), w.providerPick), data.FieldProvider),
		widget.NewLabel("Login"), w.field(w.login, data.FieldLogin),
		widget.NewLabel("Sender name"), w.field(w.sender, data.FieldSenderName),
		widget.NewLabel("Signature"), w.field(w.signature, data.FieldSignature),
		widget.NewLabel("Load emails from"), w.field(w.loadFrom, fieldLoadFrom),
		layoutSpacer(), w.keep,
	)
	test := container.NewVBox(widget.NewSeparator(), w.steps.content, w.result, w.certInfo,
		container.NewHBox(w.trust, w.saveAnyway))
	buttons := container.NewHBox(w.testBtn, layoutSpacer(), widget.NewButton("Cancel", w.close), w.save)
	w.win.SetContent(container.NewBorder(nil, buttons, nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(form, test)))))
	w.keys.install(w.win.Canvas())
}

// field puts o above the error label of field name.
func (w *mailboxWindow) field(o fyne.CanvasObject, name string) fyne.CanvasObject {
	return w.errs.beside(o, name)
}

func (w *mailboxWindow) setError(field, msg string) { w.errs.set(field, msg) }

func (w *mailboxWindow) changed(field string) {
	w.dirty = true
	w.setError(field, "")
}

func (w *mailboxWindow) loadProviders() {
	list, err := w.ui.store.List(context.Background())
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
}

// resolve finds the provider of the typed address through the domains lookup.
func (w *mailboxWindow) resolve() {
	if w.orig != nil {
		return
	}
	_, domain, err := data.SplitAddress(w.address.Text)
	if err != nil {
		showLookalike(w.domainWarning, "")
		return // said on Test or Save, not while typing
	}
	showLookalike(w.domainWarning, domain)
	w.cancelDiscovery()
	res, err := w.ui.store.ResolveProvider(context.Background(), w.address.Text)
	if err != nil {
		w.setProvider(nil)
		w.providerName.SetText("Unknown provider")
		w.providerPick.Hide()
		w.showHint(fmt.Sprintf("No provider in the list serves %s. Looking for its settings…", data.DisplayDomain(domain)))
		w.discoverSoon(w.address.Text)
		return
	}
	w.providerHint.Hide()
	w.providerPick.Hide()
	w.setProvider(res.Provider)
}

func (w *mailboxWindow) showHint(msg string) {
	w.providerHint.SetText(msg)
	w.providerHint.Show()
}

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
		fyne.Do(func() {
			w.ui.applyMu.Lock()
			defer w.ui.applyMu.Unlock()
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
			w.showHint(mailclient.DiscoveryMessage(err) + " Or choose the provider below.")
			w.providerPick.Show()
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
		saved, err = mailclient.AddDiscovered(ctx, w.ui.store, found)
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

func (w *mailboxWindow) providerPicked(name string) {
	for _, p := range w.providers {
		if p.Name == name {
			full, err := w.ui.store.Get(context.Background(), p.ID)
			if err == nil {
				w.setProvider(full)
				w.changed(data.FieldProvider)
			}
			return
		}
	}
}

// setProvider shows p and fills the login by its rule; only "enter manually" lets it be typed.
func (w *mailboxWindow) setProvider(p *data.Provider) {
	w.provider = p
	w.updateSignIn()
	if p == nil {
		w.providerLogo.Resource = nil
		w.providerLogo.Refresh()
		setEnabled(w.login, true)
		return
	}
	w.providerName.SetText(p.Name)
	if len(p.Logo) > 0 {
		w.providerLogo.Resource = fyne.NewStaticResource("logo.png", p.Logo)
	} else {
		w.providerLogo.Resource = theme.MailComposeIcon()
	}
	w.providerLogo.Refresh()
	w.setError(data.FieldProvider, "")
	if p.LoginRule == data.LoginManual {
		setEnabled(w.login, true)
		w.login.SetPlaceHolder("The login your provider gave you")
		return
	}
	w.login.SetText(p.LoginRule.Login(strings.TrimSpace(w.address.Text)))
	setEnabled(w.login, false)
}

func (w *mailboxWindow) fill(m *data.Mailbox) {
	w.address.SetText(m.Address)
	setEnabled(w.address, false)
	if p, err := w.ui.store.Get(context.Background(), m.ProviderID); err == nil {
		w.setProvider(p)
	}
	w.login.SetText(m.Login)
	w.password.SetPlaceHolder("Leave empty to keep the saved password")
	w.sender.SetText(m.SenderName)
	w.signature.SetText(m.Signature)
	if !m.LoadFrom.IsZero() {
		w.loadFrom.SetText(m.LoadFrom.Format(time.DateOnly))
	}
	fillKeep(w.keep, w.ui.store, m.ID)
	w.dirty = false
}

// collect reads the fields into a mailbox; the map holds the message of each bad field.
func (w *mailboxWindow) collect() (*data.Mailbox, map[string]string) {
	m := &data.Mailbox{}
	if w.orig != nil {
		c := *w.orig
		m = &c
	}
	errs := map[string]string{}
	m.Address, m.Login, m.SenderName, m.Signature = w.address.Text, w.login.Text, w.sender.Text, w.signature.Text
	if w.provider == nil {
		errs[data.FieldProvider] = "Choose the provider of this mailbox"
	} else {
		m.ProviderID = w.provider.ID
	}
	m.LoadFrom = time.Time{}
	if t := strings.TrimSpace(w.loadFrom.Text); t != "" {
		d, err := time.Parse(time.DateOnly, t)
		if err != nil {
			errs[fieldLoadFrom] = "Enter a date as year-month-day, such as 2025-01-31, or leave it empty for all mail"
		}
		m.LoadFrom = d
	}
	switch {
	case w.oauth() && w.orig == nil && w.signIn.token == nil:
		errs[fieldPassword] = "Sign in with your browser first"
	case !w.oauth() && w.orig == nil && w.password.Text == "":
		errs[fieldPassword] = "Enter the password of this mailbox"
	}
	var v *data.ValidationError
	if err := m.Normalize(); errors.As(err, &v) {
		for _, f := range v.Fields {
			if _, ok := errs[f.Field]; !ok {
				errs[f.Field] = f.Msg
			}
		}
	}
	if w.provider != nil && w.provider.ID == 0 {
		delete(errs, data.FieldProvider) // found settings, saved with the mailbox
	}
	w.errs.showAll(errs)
	return m, errs
}

// password returns the typed password, or the saved one when editing and none was typed.
func (w *mailboxWindow) currentPassword(ctx context.Context) (string, error) {
	if w.oauth() {
		switch {
		case w.signIn.token != nil:
			return w.signIn.token.AccessToken, nil
		case w.orig != nil:
			return w.ui.creds.AccessToken(ctx, w.provider, w.orig)
		}
		return "", mailclient.ErrNoPassword
	}
	if w.password.Text != "" || w.orig == nil {
		return w.password.Text, nil
	}
	pw, err := w.ui.secrets.Get(ctx, w.orig.KeyringRef)
	if errors.Is(err, data.ErrNotFound) {
		return "", mailclient.ErrNoPassword
	}
	return pw, err
}

// runTest tests both servers with the fields as they are; then, when not nil, runs after a
// successful test with the settings used, so their accepted pins can be saved.
func (w *mailboxWindow) runTest(then func(m *data.Mailbox, password string, pins []*data.CertPin)) {
	m, errs := w.collect()
	if len(errs) > 0 {
		w.showResult(false, "Fix the fields marked in red first.")
		return
	}
	if w.cancelTest != nil {
		w.cancelTest()
	}
	w.lastThen = then
	ctx, cancel := context.WithCancel(context.Background())
	w.cancelTest = cancel
	w.steps.reset()
	w.hideCertChoice()
	w.saveAnyway.Hide()
	w.showResult(true, "Testing…")
	w.testBtn.Disable()
	w.save.Disable()
	settings := mailclient.SettingsFor(w.provider, m.Login, &mailclient.Trust{Pins: w.ui.store, Proposed: w.proposed})
	var pins mailclient.PinRecorder
	var password string
	w.ui.background(func(context.Context) error {
		defer cancel()
		var err error
		if password, err = w.currentPassword(ctx); err != nil {
			return err
		}
		return mailclient.TestConnection(ctx, settings, password, func(st mailclient.Step) {
			pins.Observe(st)
			fyne.Do(func() {
				w.ui.applyMu.Lock()
				defer w.ui.applyMu.Unlock()
				w.steps.show(st)
			})
		})
	}, func(err error) {
		w.testBtn.Enable()
		w.save.Enable()
		w.lastErr = err
		if err != nil {
			w.testFailed(err)
			return
		}
		w.showResult(true, "Both servers work.")
		if then != nil {
			then(m, password, pins.Pins(settings))
		}
	})
}

func (w *mailboxWindow) showResult(ok bool, msg string) {
	w.result.Importance = widget.SuccessImportance
	if !ok {
		w.result.Importance = widget.DangerImportance
	}
	w.result.SetText(msg)
}

// testFailed says why; an untrusted certificate is offered to be trusted after comparing its
// fingerprint, and any other failure may be saved anyway (never a certificate problem).
func (w *mailboxWindow) testFailed(err error) {
	w.ui.log.Warn("mailbox test", "err", err)
	w.showResult(false, mailclient.Explain(err))
	w.untrusted = untrustedCerts(err)
	var pm *mailclient.PinMismatchError
	switch {
	case len(w.untrusted) > 0 && len(w.untrusted) == len(sideErrors(err)):
		w.showResult(false, "The server's certificate is not trusted: it is not signed by an authority your system trusts. "+
			"Compare its fingerprint below with the one your provider or administrator gave you before you trust it.")
		w.showCertChoice()
	case len(w.untrusted) > 0:
		w.showCertChoice()
	case errors.As(err, &pm), errors.Is(err, context.Canceled):
	default:
		w.saveAnyway.Show()
	}
}

// sideErrors returns the failures joined in err, one per side of a connection test.
func sideErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, sideErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// untrustedCerts returns every untrusted certificate among the failures in err.
func untrustedCerts(err error) []*mailclient.UntrustedCertError {
	var out []*mailclient.UntrustedCertError
	for _, e := range sideErrors(err) {
		var u *mailclient.UntrustedCertError
		if errors.As(e, &u) {
			out = append(out, u)
		}
	}
	return out
}

func (w *mailboxWindow) showCertChoice() {
	var b strings.Builder
	places := map[string][]string{} // fingerprint -> host:port presenting it
	var order []*mailclient.UntrustedCertError
	for _, u := range w.untrusted {
		if places[u.Cert.SHA256] == nil {
			order = append(order, u)
		}
		places[u.Cert.SHA256] = append(places[u.Cert.SHA256], fmt.Sprintf("%s:%d", u.Host, u.Port))
	}
	for _, u := range order {
		fmt.Fprintf(&b, "Certificate of %s\nSubject: %s\nIssued by: %s\nValid: %s to %s\nSHA-256 fingerprint: %s\n\n",
			strings.Join(places[u.Cert.SHA256], " and "), u.Cert.Subject, u.Cert.Issuer,
			u.Cert.NotBefore.Format(time.DateOnly), u.Cert.NotAfter.Format(time.DateOnly), mailclient.FormatFingerprint(u.Cert.SHA256))
	}
	b.WriteString("Trust it only if this fingerprint is the one your provider or administrator gave you.")
	w.certInfo.SetText(b.String())
	w.certInfo.Show()
	w.trust.Show()
	// The decision is the one thing to do next: ask it where it cannot be missed.
	info := widget.NewLabel(b.String())
	info.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Certificate not trusted", "Trust this certificate", "Not now", info, func(ok bool) {
		if ok {
			w.trustCertificate()
		}
	}, w.win)
	d.Resize(fyne.NewSize(640, 360))
	d.Show()
}

func (w *mailboxWindow) hideCertChoice() {
	w.certInfo.Hide()
	w.trust.Hide()
}

// trustCertificate records the person's decision and tests again, going on with what the test
// was for (saving, when it was); the pins are saved with the mailbox.
func (w *mailboxWindow) trustCertificate() {
	for _, u := range w.untrusted {
		w.proposed = append(w.proposed, u.Cert.SHA256)
	}
	w.runTest(w.lastThen)
}

// submit tests the mailbox and saves it when the test passes.
func (w *mailboxWindow) submit() {
	w.runTest(func(m *data.Mailbox, password string, pins []*data.CertPin) {
		w.store(m, password, pins, w.ui.secrets)
	})
}

// saveWithoutTest saves a mailbox whose test failed (not for certificate problems), marked
// with the failure so the Mailboxes list shows it.
func (w *mailboxWindow) saveWithoutTest() {
	m, errs := w.collect()
	if len(errs) > 0 {
		return
	}
	failure := mailclient.Explain(w.lastErr)
	password := w.password.Text
	w.store(m, password, nil, w.ui.secrets, func(saved *data.Mailbox) {
		w.ui.store.SetMailboxState(context.Background(), saved.ID, data.MailboxError, failure)
	})
}

// store saves m (and its password, when one was typed) and closes the window. When the
// keyring is not available it offers to keep the password for this session only.
func (w *mailboxWindow) store(m *data.Mailbox, password string, pins []*data.CertPin, secrets Secrets, after ...func(*data.Mailbox)) {
	found := w.provider
	secret, typed := w.signInSecret(password), w.signInSecret(w.password.Text)
	token, keep := w.signIn.token, w.keep.Checked
	w.ui.background(func(ctx context.Context) error {
		var err error
		switch {
		case w.orig == nil && found != nil && found.ID == 0:
			err = mailclient.SaveNewMailboxWithOwnSettings(ctx, w.ui.store, secrets, m, found, secret, pins)
		case w.orig == nil:
			err = mailclient.SaveNewMailbox(ctx, w.ui.store, secrets, m, secret, pins)
		default:
			err = mailclient.UpdateMailbox(ctx, w.ui.store, secrets, m, typed, pins)
		}
		if err == nil && token != nil {
			w.ui.creds.Keep(m.KeyringRef, token)
		}
		if err == nil {
			err = saveKeep(ctx, w.ui.store, m.ID, keep)
		}
		return err
	}, func(err error) {
		if errors.Is(err, data.ErrNoKeyring) {
			w.offerSessionOnly(m, password, pins, after...)
			return
		}
		if err != nil {
			w.saveFailed(err)
			return
		}
		for _, f := range after {
			f(m)
		}
		w.dirty = false
		w.ui.mailboxes.load()
		w.ui.mail.load() // the new mailbox's folders, and its first sync
		if w.onSaved != nil {
			w.onSaved(m)
		}
		w.win.Close()
	})
}

func (w *mailboxWindow) saveFailed(err error) {
	var v *data.ValidationError
	if errors.As(err, &v) {
		for _, f := range v.Fields {
			w.setError(f.Field, f.Msg)
		}
		return
	}
	w.ui.log.Error("save mailbox", "err", err)
	showError(w.win, "The mailbox was not saved", mailclient.Explain(err))
}

func (w *mailboxWindow) offerSessionOnly(m *data.Mailbox, password string, pins []*data.CertPin, after ...func(*data.Mailbox)) {
	d := dialog.NewConfirm("No keyring",
		mailclient.Explain(data.ErrNoKeyring)+"\n\nKeep the password in memory until Mailroom closes? It is never written to disk.",
		func(ok bool) {
			if ok {
				w.store(m, password, pins, sessionSecrets{w.ui.secrets}, after...)
			}
		}, w.win)
	d.SetConfirmText("Keep for this session")
	d.SetDismissText("Cancel")
	d.Show()
}

// close closes the window, asking first when something was typed and not saved.
func (w *mailboxWindow) close() {
	if w.cancelTest != nil {
		w.cancelTest()
	}
	w.stopSignIn()
	w.cancelDiscovery()
	if !w.dirty {
		w.win.Close()
		return
	}
	d := dialog.NewConfirm("Discard this mailbox?", "What you typed here is not saved.", func(discard bool) {
		if discard {
			w.dirty = false
			w.win.Close()
		}
	}, w.win)
	d.SetConfirmText("Discard")
	d.SetDismissText("Keep editing")
	d.Show()
}

// Secrets keeps mailbox passwords: the OS keyring, with a session-only fallback a person
// chooses explicitly. *data.Secrets has it.
type Secrets interface {
	mailclient.SecretStore
	SetForSession(ref, password string)
}

// sessionSecrets keeps passwords for this session only, in memory.
type sessionSecrets struct{ Secrets }

// Set keeps password in memory only.
func (s sessionSecrets) Set(_ context.Context, ref, password string) error {
	s.SetForSession(ref, password)
	return nil
}
