package gui

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

var securities = []data.Security{data.SecuritySSL, data.SecurityStartTLS, data.SecurityNone}
var loginRules = []data.LoginRule{data.LoginManual, data.LoginLocalPart, data.LoginAddress}

// serverFields are the inputs of one mail server on the card.
type serverFields struct {
	imap     bool
	enabled  *widget.Check
	host     *escEntry
	port     *escEntry
	security *widget.RadioGroup
	warning  *widget.Label
	sec      data.Security // the security shown, to tell whether the port is still its standard one
}

// providerCardStore is what a provider card saves, and where it looks up who owns the domains typed.
type providerCardStore interface {
	Save(ctx context.Context, p *data.Provider) error
	ResolveProvider(ctx context.Context, address string) (*data.Resolution, error)
}

// providerCard is the window in which one provider is viewed or edited.
type providerCard struct {
	formWindow
	ui       *UI
	store    providerCardStore
	orig     *data.Provider
	readOnly bool
	loading  bool

	name      *escEntry
	imap      *serverFields
	smtp      *serverFields
	timeout   *escEntry
	savesSent *widget.Check // "The server saves sent messages"
	login     *widget.Select
	logo      []byte
	logoImg   *canvas.Image
	domains   *domainEditor
	oauth     *oauthFields
	save      *widget.Button
	summary   *widget.Label // how many fields need fixing, beside Save
}

// openCard opens a card for p; nil opens an empty card for a new provider.
func (u *UI) openCard(p *data.Provider) *providerCard {
	if p == nil {
		p = data.NewProvider()
	}
	c := &providerCard{ui: u, store: u.store, orig: p, readOnly: p.ManagedBy != "" && !u.isListPublisher}
	title := "New email provider"
	if p.ID != 0 {
		title = "Email provider — " + p.Name
	}
	c.formWindow = newFormWindow(u.app, title, shortcuts{ctrl(fyne.KeyS): func() { c.submit() }})
	c.build()
	c.fill(p)
	c.win.Resize(fyne.NewSize(660, 780))
	c.win.SetCloseIntercept(c.close)
	c.keys.install(c.win.Canvas())
	c.win.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyEscape {
			c.close()
		}
	})
	c.win.Show()
	c.win.Canvas().Focus(c.name)
	return c
}

func (c *providerCard) build() {
	c.name = c.entry("")
	c.imap = c.serverFields(true, "Download emails using protocol")
	c.smtp = c.serverFields(false, "Allow sending emails")
	c.timeout = c.entry("40")
	c.savesSent = widget.NewCheck("The server saves sent messages (as Gmail does): Mailroom adds no copy to Sent",
		func(bool) { c.changed("saves_sent") })
	c.login = widget.NewSelect(titles(loginRules), func(string) { c.changed(data.FieldLoginRule) })
	c.logoImg = canvas.NewImageFromResource(nil)
	c.logoImg.FillMode = canvas.ImageFillContain
	c.logoImg.SetMinSize(fyne.NewSize(64, 64))
	c.domains = newDomainEditor(func() { c.changed(data.FieldDomains) }, c.close, c.keys)
	c.watchDomainOwners()
	c.buildOAuth()
	c.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), c.submit)
	c.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Close", c.close)

	imapForm := container.New(newFormLayout(),
		widget.NewLabel("Protocol"), widget.NewLabel("IMAP"),
		widget.NewLabel("Incoming server"), c.field(c.imap.host, data.FieldIMAPHost),
		widget.NewLabel("Port"), c.field(c.imap.port, data.FieldIMAPPort),
		widget.NewLabel("Security"), container.NewVBox(c.imap.security, c.imap.warning),
		widget.NewLabel("Sign-in"), c.errs.beside(c.oauth.imapAuth, data.FieldIMAPAuth))
	smtpForm := container.New(newFormLayout(),
		widget.NewLabel("Outgoing server"), c.field(c.smtp.host, data.FieldSMTPHost),
		widget.NewLabel("Port"), c.field(c.smtp.port, data.FieldSMTPPort),
		widget.NewLabel("Response timeout (seconds)"), c.field(c.timeout, data.FieldSMTPTimeout),
		widget.NewLabel("Security"), container.NewVBox(c.smtp.security, c.smtp.warning),
		widget.NewLabel("Sign-in"), c.errs.beside(c.oauth.smtpAuth, data.FieldSMTPAuth),
		widget.NewLabel(""), c.savesSent)
	logoButtons := container.NewHBox(widget.NewButton("Choose…", c.chooseLogo), widget.NewButton("Remove", c.removeLogo))
	form := container.NewVBox(
		container.New(newFormLayout(), widget.NewLabelWithStyle("Name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), c.field(c.name, data.FieldName)),
		c.errs.label(data.FieldProtocols),
		widget.NewCard("", "", container.NewVBox(c.imap.enabled, imapForm)),
		widget.NewCard("", "", container.NewVBox(c.smtp.enabled, smtpForm)),
		c.oauth.card,
		container.New(newFormLayout(),
			widget.NewLabel("Login"), c.field(c.login, data.FieldLoginRule),
			widget.NewLabel("Logo"), c.field(container.NewHBox(c.logoImg, container.NewCenter(logoButtons)), data.FieldLogo),
			widget.NewLabel("Domains"), c.field(c.domains.content, data.FieldDomains)),
	)
	var top fyne.CanvasObject
	if c.readOnly {
		why := "This provider comes from the subscribed provider list (" + c.orig.ManagedBy + "), so only its publishers can change it."
		l := widget.NewLabel(why)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		top = l
		c.save.Hide()
	}
	c.summary = widget.NewLabel("")
	c.summary.Importance = widget.DangerImportance
	c.win.SetContent(container.NewBorder(top, container.NewHBox(c.summary, layoutSpacer(), cancel, c.save), nil, nil,
		container.NewVScroll(container.NewPadded(form))))
}

func (c *providerCard) serverFields(imap bool, title string) *serverFields {
	f := &serverFields{imap: imap}
	f.enabled = widget.NewCheck(title, func(bool) {
		c.changed(data.FieldProtocols)
		c.updateEnabled()
	})
	f.host = c.entry("")
	f.port = c.entry("")
	f.warning = widget.NewLabel("Passwords and mail would travel unencrypted: use this only for a server on your own network.")
	f.warning.Wrapping = fyne.TextWrapWord
	f.warning.Importance = widget.DangerImportance
	f.warning.Hide()
	f.security = widget.NewRadioGroup(titles(securities), func(s string) { c.securityChanged(f, s) })
	f.security.Horizontal = true
	f.security.Required = true
	return f
}

// securityChanged moves a standard port along with the security (993↔143, 465↔587) and warns
// when the connection would not be encrypted.
func (c *providerCard) securityChanged(f *serverFields, title string) {
	i := indexOf(titles(securities), title)
	if i < 0 {
		return
	}
	sec := securities[i]
	if !c.loading && f.sec != "" && f.port.Text == strconv.Itoa(data.StandardPort(f.imap, f.sec)) {
		f.port.SetText(strconv.Itoa(data.StandardPort(f.imap, sec)))
	}
	f.sec = sec
	f.warning.Hidden = sec != data.SecurityNone
	f.warning.Refresh()
	field := data.FieldIMAPSec
	if !f.imap {
		field = data.FieldSMTPSec
	}
	c.changed(field)
}

// entry makes an entry of the card: Escape in it closes the card, as everywhere else in it.
func (c *providerCard) entry(text string) *escEntry {
	e := c.formEntry(func() { c.close() })
	e.SetText(text)
	return e
}

// field puts o above the error label of field name, and wires o's changes.
func (c *providerCard) field(o fyne.CanvasObject, name string) fyne.CanvasObject {
	if e, ok := o.(*escEntry); ok {
		e.OnChanged = func(string) { c.changed(name) }
	}
	return c.formWindow.field(o, name)
}

// changed marks the card as edited and clears the error shown for field.
func (c *providerCard) changed(field string) {
	if c.loading {
		return
	}
	c.formWindow.changed(field)
	c.countErrors()
}

// countErrors keeps the count beside Save true as fields are fixed: it counts the errors
// still shown. It says nothing until a Save has shown some.
func (c *providerCard) countErrors() {
	if c.summary.Text == "" {
		return
	}
	n := 0
	for _, l := range c.errs {
		if l.Visible() && l.Text != "" {
			n++
		}
	}
	c.summary.SetText(errorSummary(n))
}

// errorSummary is what the card says beside Save when n fields need fixing.
func errorSummary(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "Fix the field marked in red, then save again."
	}
	return fmt.Sprintf("Fix the %d fields marked in red, then save again.", n)
}

// showErrors shows each field's message beside it (clearing the others) and a count beside Save.
func (c *providerCard) showErrors(errs map[string]string) {
	c.errs.showAll(errs)
	c.summary.SetText(errorSummary(len(errs)))
}

// fill shows p in the fields.
func (c *providerCard) fill(p *data.Provider) {
	c.loading = true
	defer func() { c.loading = false }()
	c.name.SetText(p.Name)
	fillServer(c.imap, p.IMAPEnabled, p.IMAP)
	fillServer(c.smtp, p.SMTPEnabled, p.SMTP)
	c.timeout.SetText(strconv.Itoa(p.SMTPTimeout))
	c.savesSent.SetChecked(p.ServerSavesSent)
	c.login.SetSelected(p.LoginRule.Title())
	c.setLogo(p.Logo)
	c.domains.set(p.Domains)
	c.fillOAuth(p)
	c.updateEnabled()
}

func fillServer(f *serverFields, on bool, s data.Server) {
	f.enabled.SetChecked(on)
	f.host.SetText(s.Host)
	f.port.SetText(strconv.Itoa(s.Port))
	f.sec = ""
	f.security.SetSelected(s.Security.Title())
	f.sec = s.Security
}

// updateEnabled disables what cannot be changed: everything when read-only, a server's
// fields while its protocol is off.
func (c *providerCard) updateEnabled() {
	for _, f := range []*serverFields{c.imap, c.smtp} {
		on := !c.readOnly && f.enabled.Checked
		for _, w := range []fyne.Disableable{f.host, f.port, f.security} {
			setEnabled(w, on)
		}
		setEnabled(f.enabled, !c.readOnly)
	}
	setEnabled(c.timeout, !c.readOnly && c.smtp.enabled.Checked)
	setEnabled(c.savesSent, !c.readOnly && c.smtp.enabled.Checked)
	setEnabled(c.name, !c.readOnly)
	setEnabled(c.login, !c.readOnly)
	c.domains.setReadOnly(c.readOnly)
	c.updateOAuth()
}

// collect reads the fields into a provider, with the errors of fields that do not parse.
func (c *providerCard) collect() (*data.Provider, map[string]string) {
	p := *c.orig
	errs := map[string]string{}
	p.Name = c.name.Text
	p.IMAPEnabled, p.IMAP = c.imap.enabled.Checked, collectServer(c.imap, errs, data.FieldIMAPPort)
	p.SMTPEnabled, p.SMTP = c.smtp.enabled.Checked, collectServer(c.smtp, errs, data.FieldSMTPPort)
	if t, err := data.ParseTimeout(c.timeout.Text); err != nil {
		if p.SMTPEnabled {
			errs[data.FieldSMTPTimeout] = err.Error()
		}
	} else {
		p.SMTPTimeout = t
	}
	if i := indexOf(titles(loginRules), c.login.Selected); i >= 0 {
		p.LoginRule = loginRules[i]
	}
	p.ServerSavesSent = c.savesSent.Checked
	p.Logo = c.logo
	p.Domains = c.domains.list()
	c.collectOAuth(&p)
	return &p, errs
}

func collectServer(f *serverFields, errs map[string]string, portField string) data.Server {
	s := data.Server{Host: f.host.Text, Security: f.sec}
	if port, err := data.ParsePort(f.port.Text); err == nil {
		s.Port = port
	} else if f.enabled.Checked {
		errs[portField] = err.Error()
	} else {
		s.Port = data.StandardPort(f.imap, f.sec)
	}
	return s
}

// submit validates the card and saves it in the background; errors appear beside their fields.
func (c *providerCard) submit() {
	if c.readOnly {
		return
	}
	p, errs := c.collect()
	check := *p
	var v *data.ValidationError
	if err := check.Normalize(); errors.As(err, &v) {
		for _, f := range v.Fields {
			if _, taken := errs[f.Field]; !taken {
				errs[f.Field] = f.Msg
			}
		}
	}
	c.showErrors(errs)
	if len(errs) > 0 {
		return
	}
	c.save.Disable()
	secret := c.oauth.secret.Text
	var secretErr error
	c.ui.background(func(ctx context.Context) error {
		if err := c.store.Save(ctx, p); err != nil {
			return err
		}
		secretErr = c.saveClientSecret(ctx, p, secret)
		return nil
	}, func(err error) {
		c.save.Enable()
		if err != nil {
			c.saveFailed(err)
			return
		}
		if secretErr != nil {
			showError(c.ui.win, "The client secret was not kept", "The provider was saved, but its client secret was not: "+
				c.ui.explain("save the client secret", secretErr)+" Open the card and enter it again.")
		}
		c.dirty = false
		c.orig = p
		c.ui.reload()
		c.win.Close()
	})
}

func (c *providerCard) saveFailed(err error) {
	var v *data.ValidationError
	if errors.As(err, &v) {
		errs := map[string]string{}
		for _, f := range v.Fields {
			if _, taken := errs[f.Field]; !taken {
				errs[f.Field] = f.Msg
			}
		}
		c.showErrors(errs)
		return
	}
	showError(c.win, "The provider was not saved", c.ui.explain("save the provider", err))
}

// close closes the card, asking first when it has unsaved changes.
func (c *providerCard) close() {
	if c.readOnly {
		c.dirty = false
	}
	c.askBeforeClosing(closeQuestion{title: "Discard changes?", message: "This provider has changes that are not saved.", discard: "Discard"}, func() {})
}

func (c *providerCard) chooseLogo() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		if r.URI().Scheme() == "file" {
			c.loadLogoFile(r.URI().Path())
			return
		}
		c.logoChosen(data.MakeLogo(r))
	}, c.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".PNG", ".JPG", ".JPEG", ".GIF"}))
	d.Resize(fyne.NewSize(620, 480))
	d.Show()
}

// loadLogoFile takes the image file at path as the logo, or shows why not.
func (c *providerCard) loadLogoFile(path string) { c.logoChosen(data.LogoFromFile(path)) }

// logoChosen takes a new logo, or shows why it was refused and keeps the previous one.
func (c *providerCard) logoChosen(img []byte, err error) {
	if err != nil {
		msg := err.Error()
		if !errors.Is(err, data.ErrBadLogo) {
			msg = "The file cannot be used as a logo."
		}
		c.setError(data.FieldLogo, msg+" The previous logo is kept.")
		return
	}
	c.setLogo(img)
	c.changed(data.FieldLogo)
}

func (c *providerCard) removeLogo() {
	if c.logo == nil {
		return
	}
	c.setLogo(nil)
	c.changed(data.FieldLogo)
}

func (c *providerCard) setLogo(img []byte) {
	c.logo = img
	if img == nil {
		c.logoImg.Resource = theme.FileImageIcon()
	} else {
		c.logoImg.Resource = fyne.NewStaticResource("logo.png", img)
	}
	c.logoImg.Refresh()
}

func titles[T interface{ Title() string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.Title()
	}
	return out
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}
