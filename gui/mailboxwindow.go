package gui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

const fieldPassword, fieldLoadFrom = "password", "load_from"

// mailboxWindowStore is what the mailbox window reads and saves: the providers it looks up, the
// mailbox (through mailclient, with its own settings or discovered ones), its pins and whether
// it keeps its messages.
type mailboxWindowStore interface {
	mailclient.OwnSettingsStore
	mailclient.DiscoveredSaver
	keepStore
	List(ctx context.Context) ([]*data.Provider, error)
	ResolveProvider(ctx context.Context, address string) (*data.Resolution, error)
}

// mailboxWindow is the window in which a person sets up a new mailbox or edits one.
type mailboxWindow struct {
	formWindow
	ui    *UI
	store mailboxWindowStore
	orig  *data.Mailbox // nil for a new mailbox

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
	resolving                                  int            // counts lookups, so only the latest one's answer is shown
	servers                                    *serverForm    // typed by hand when nothing was found
	typed                                      *data.Provider // what the server fields held at the last collect
	signInOnLoad                               bool           // "Sign in again" was asked before the provider was read

	steps      *stepPanel
	result     *widget.Label
	certInfo   *widget.Label
	trust      *widget.Button
	saveAnyway *widget.Button
	testBtn    *widget.Button
	save       *widget.Button
	closeBtn   *widget.Button // "Cancel", "Close" once saved

	proposed   []string // fingerprints the person compared and chose to trust
	untrusted  []*mailclient.UntrustedCertError
	renewed    []*mailclient.PinMismatchError // servers whose certificate changed since it was pinned
	lastErr    error
	lastPins   []*data.CertPin // the certificates the last test accepted by the person's decision
	cancelTest context.CancelFunc
	lastThen   func(m *data.Mailbox, password string, pins []*data.CertPin) // what the last test was for
}

// openMailbox opens the window for m; nil sets up a new mailbox.
func (u *UI) openMailbox(m *data.Mailbox) *mailboxWindow {
	w := &mailboxWindow{ui: u, store: u.store, orig: m}
	title := "New mailbox"
	if m != nil {
		title = "Mailbox — " + m.Address
	}
	w.formWindow = newFormWindow(u.app, title, shortcuts{ctrl(fyne.KeyS): func() { w.submit() }})
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
	w.address = w.formEntry(w.close)
	w.address.SetPlaceHolder("ann@example.com")
	w.address.OnChanged = func(string) { w.changed(data.FieldAddress); w.resolve() }
	w.login = w.formEntry(w.close)
	w.login.OnChanged = func(string) { w.changed(data.FieldLogin) }
	w.password = w.formEntry(w.close)
	w.password.Password = true
	w.password.OnChanged = func(string) { w.changed(fieldPassword) }
	w.passwordLabel = widget.NewLabel("Password")
	w.buildSignIn()
	w.buildServers()
	w.sender = w.formEntry(w.close)
	w.sender.SetPlaceHolder("Ann Example")
	w.sender.OnChanged = func(string) { w.changed(data.FieldSenderName) }
	w.signature = widget.NewMultiLineEntry()
	w.signature.SetMinRowsVisible(3)
	w.signature.OnChanged = func(string) { w.changed(data.FieldSignature) }
	w.loadFrom = w.formEntry(w.close)
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
			container.NewHBox(w.useFound, w.addFound), w.providerPick, w.servers.content), data.FieldProvider),
		widget.NewLabel("Login"), w.field(w.login, data.FieldLogin),
		widget.NewLabel("Sender name"), w.field(w.sender, data.FieldSenderName),
		widget.NewLabel("Signature"), w.field(w.signature, data.FieldSignature),
		widget.NewLabel("Load emails from"), w.field(w.loadFrom, fieldLoadFrom),
		layoutSpacer(), w.keep,
	)
	test := container.NewVBox(widget.NewSeparator(), w.steps.content, w.certInfo)
	w.closeBtn = widget.NewButton("Cancel", w.close)
	buttons := container.NewHBox(w.testBtn, layoutSpacer(), w.trust, w.saveAnyway, w.closeBtn, w.save)
	// The result stays in view below the form, however long the steps are.
	w.win.SetContent(container.NewBorder(nil, container.NewVBox(w.result, buttons), nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(form, test)))))
	w.keys.install(w.win.Canvas())
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
	w.hideServers()
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
	var p *data.Provider
	w.ui.background(func(ctx context.Context) error {
		var err error
		p, err = w.store.Get(ctx, m.ProviderID)
		return err
	}, func(err error) {
		if err != nil {
			w.ui.log.Error("get provider", "err", err)
			return
		}
		dirty := w.dirty
		w.setProvider(p)
		w.login.SetText(m.Login) // the saved one, not the rule's
		w.dirty = dirty
		if w.signInOnLoad {
			w.startSignIn()
		}
	})
	w.login.SetText(m.Login)
	w.password.SetPlaceHolder("Leave empty to keep the saved password")
	w.sender.SetText(m.SenderName)
	w.signature.SetText(m.Signature)
	if !m.LoadFrom.IsZero() {
		w.loadFrom.SetText(m.LoadFrom.Format(time.DateOnly))
	}
	fillKeep(w.keep, w.store, m.ID)
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
	w.typed = nil
	if w.typingServers() {
		_, domain, _ := data.SplitAddress(m.Address)
		w.typed = w.typedProvider(domain, errs)
	}
	prov := w.current()
	if prov == nil {
		errs[data.FieldProvider] = "Choose the provider of this mailbox"
	} else {
		m.ProviderID = prov.ID
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
	if prov != nil && prov.ID == 0 {
		delete(errs, data.FieldProvider) // found or typed settings, saved with the mailbox
	}
	w.errs.showAll(errs)
	return m, errs
}

func (w *mailboxWindow) showResult(ok bool, msg string) {
	w.result.Importance = widget.SuccessImportance
	if !ok {
		w.result.Importance = widget.DangerImportance
	}
	w.result.SetText(msg)
}

// close closes the window, asking first when something was typed and not saved.
func (w *mailboxWindow) close() {
	if w.cancelTest != nil {
		w.cancelTest()
	}
	w.stopSignIn()
	w.cancelDiscovery()
	w.askBeforeClosing(closeQuestion{title: "Discard this mailbox?", message: "What you typed here is not saved.", discard: "Discard"}, func() {})
}
