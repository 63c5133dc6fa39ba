package gui

import (
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// serverForm is the part of the mailbox window where a person types the servers of a domain
// for which nothing was found: incoming and outgoing host, port and security. What is typed
// is kept with that mailbox only, as discovered settings are.
type serverForm struct {
	imapHost, imapPort, smtpHost, smtpPort *escEntry
	imapSec, smtpSec                       *widget.Select
	imapWas, smtpWas                       data.Security // the security shown, to move a standard port along
	content                                *fyne.Container
}

// buildServers makes the hidden server fields of w, their errors beside them.
func (w *mailboxWindow) buildServers() {
	f := &serverForm{imapWas: data.SecuritySSL, smtpWas: data.SecuritySSL}
	entry := func(field, placeholder, text string) *escEntry {
		e := w.formEntry(w.close)
		e.SetPlaceHolder(placeholder)
		e.SetText(text)
		e.OnChanged = func(string) { w.changed(field) }
		return e
	}
	f.imapHost = entry(data.FieldIMAPHost, "imap.example.com", "")
	f.imapPort = entry(data.FieldIMAPPort, "", strconv.Itoa(data.PortIMAPS))
	f.smtpHost = entry(data.FieldSMTPHost, "smtp.example.com", "")
	f.smtpPort = entry(data.FieldSMTPPort, "", strconv.Itoa(data.PortSMTPS))
	security := func(imap bool, port *escEntry, was *data.Security, field string) *widget.Select {
		s := widget.NewSelect(titles(securities), nil)
		s.SetSelected(data.SecuritySSL.Title())
		s.OnChanged = func(title string) {
			sec := securities[max(indexOf(titles(securities), title), 0)]
			if port.Text == strconv.Itoa(data.StandardPort(imap, *was)) {
				port.SetText(strconv.Itoa(data.StandardPort(imap, sec)))
			}
			*was = sec
			w.changed(field)
		}
		return s
	}
	f.imapSec = security(true, f.imapPort, &f.imapWas, data.FieldIMAPSec)
	f.smtpSec = security(false, f.smtpPort, &f.smtpWas, data.FieldSMTPSec)
	intro := widget.NewLabel("Enter the servers your provider gave you; they are kept with this mailbox only.")
	intro.Wrapping = fyne.TextWrapWord
	server := func(host, port *escEntry, sec *widget.Select, hostField, portField string) fyne.CanvasObject {
		port.SetPlaceHolder("Port")
		row := container.NewBorder(nil, nil, nil, container.NewHBox(
			container.NewGridWrap(fyne.NewSize(80, host.MinSize().Height), port), sec), host)
		return container.NewVBox(row, w.errs.label(hostField), w.errs.label(portField))
	}
	f.content = container.NewVBox(intro, container.New(newFormLayout(),
		widget.NewLabel("Incoming mail (IMAP)"), server(f.imapHost, f.imapPort, f.imapSec, data.FieldIMAPHost, data.FieldIMAPPort),
		widget.NewLabel("Outgoing mail (SMTP)"), server(f.smtpHost, f.smtpPort, f.smtpSec, data.FieldSMTPHost, data.FieldSMTPPort)))
	f.content.Hide()
	w.servers = f
}

// showServers offers the server fields for domain, with the login to be typed (the address
// until changed), since no provider says how it is made.
func (w *mailboxWindow) showServers(domain string) {
	f := w.servers
	if f.imapHost.Text == "" && f.smtpHost.Text == "" {
		f.imapHost.SetPlaceHolder("imap." + domain)
		f.smtpHost.SetPlaceHolder("smtp." + domain)
	}
	f.content.Show()
	setEnabled(w.login, true)
	if w.login.Text == "" {
		w.login.SetText(strings.TrimSpace(w.address.Text))
	}
	w.login.SetPlaceHolder("The login your provider gave you")
}

// hideServers takes the server fields away once a provider serves the address after all.
func (w *mailboxWindow) hideServers() { w.servers.content.Hide() }

// typingServers reports whether the servers are typed by hand: no provider was chosen and the
// server fields are shown.
func (w *mailboxWindow) typingServers() bool { return w.provider == nil && w.servers.content.Visible() }

// typedProvider reads the server fields into settings for this mailbox only (ID 0), with the
// message of each bad field.
func (w *mailboxWindow) typedProvider(domain string, errs map[string]string) *data.Provider {
	f := w.servers
	p := data.NewProvider()
	p.Name, p.LoginRule = data.DisplayDomain(domain), data.LoginManual
	p.IMAP.Host, p.SMTP.Host = strings.TrimSpace(f.imapHost.Text), strings.TrimSpace(f.smtpHost.Text)
	p.IMAP.Security, p.SMTP.Security = f.imapWas, f.smtpWas
	for _, s := range []struct {
		port  *escEntry
		into  *int
		field string
	}{{f.imapPort, &p.IMAP.Port, data.FieldIMAPPort}, {f.smtpPort, &p.SMTP.Port, data.FieldSMTPPort}} {
		n, err := data.ParsePort(s.port.Text)
		if err != nil {
			errs[s.field] = err.Error()
			continue
		}
		*s.into = n
	}
	check := *p
	var v *data.ValidationError
	if err := check.Normalize(); errors.As(err, &v) {
		for _, fe := range v.Fields {
			if _, ok := errs[fe.Field]; !ok && fe.Field != data.FieldName {
				errs[fe.Field] = fe.Msg
			}
		}
	}
	return &check
}
