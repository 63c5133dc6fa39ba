package gui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// mailboxesStore is what the Mailboxes screen reads and changes; it retests and removes
// mailboxes through mailclient.
type mailboxesStore interface {
	mailclient.MailboxStore
	Mailboxes(ctx context.Context) ([]*data.Mailbox, error)
	SetDefaultMailbox(ctx context.Context, id int64) error
}

// mailboxesView is the "Mailboxes" screen: the current user's mailboxes.
type mailboxesView struct {
	ui       *UI
	store    mailboxesStore
	list     []*data.Mailbox
	rows     *widget.List
	add      *widget.Button
	test     *widget.Button
	edit     *widget.Button
	remove   *widget.Button
	makeDef  *widget.Button
	signIn   *widget.Button // "Sign in again", for a mailbox whose OAuth 2.0 sign-in was refused
	empty    fyne.CanvasObject
	content  fyne.CanvasObject
	selected int64
	logos    *logoCache
}

func newMailboxesView(u *UI) *mailboxesView {
	v := &mailboxesView{ui: u, store: u.store}
	v.logos = newLogoCache(u, func() { v.rows.Refresh() })
	v.add = widget.NewButtonWithIcon("New mailbox", theme.ContentAddIcon(), func() { u.openMailbox(nil) })
	v.test = widget.NewButtonWithIcon("Test", theme.MediaPlayIcon(), v.testSelected)
	v.edit = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), v.editSelected)
	v.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), v.removeSelected)
	v.makeDef = widget.NewButtonWithIcon("Use for sending", theme.MailSendIcon(), v.defaultSelected)
	v.signIn = widget.NewButtonWithIcon("Sign in again", theme.LoginIcon(), v.signInSelected)
	v.signIn.Importance = widget.HighImportance
	v.rows = widget.NewList(func() int { return len(v.list) }, v.createRow, v.updateRow)
	v.rows.OnSelected = func(id widget.ListItemID) {
		if id < len(v.list) {
			v.selected = v.list[id].ID
		}
		v.updateButtons()
	}
	v.empty = v.emptyState()
	toolbar := container.NewHBox(v.add, v.test, v.edit, v.remove, v.makeDef, v.signIn)
	v.content = container.NewBorder(toolbar, nil, nil, nil, container.NewStack(v.rows, v.empty))
	v.updateButtons()
	return v
}

func (v *mailboxesView) createRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	detail := widget.NewLabel("")
	state := newReasonLabel(widget.NewLabel(""), v.ui.win, "Mailbox")
	logo := canvas.NewImageFromResource(theme.MailComposeIcon())
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(28, 28))
	return container.NewBorder(nil, nil, logo, nil, container.NewGridWithColumns(3, title, detail, state))
}

// logo returns the logo of provider id, or a mail icon while it loads or when there is none.
func (v *mailboxesView) logo(id int64) fyne.Resource {
	if r := v.logos.get(id); r != nil {
		return r
	}
	return theme.MailComposeIcon()
}

func (v *mailboxesView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.list) {
		return
	}
	m := v.list[id]
	row := o.(*fyne.Container)
	grid := row.Objects[0].(*fyne.Container)
	if img, logo := row.Objects[1].(*canvas.Image), v.logo(m.ProviderID); img.Resource != logo {
		img.Resource = logo
		img.Refresh()
	}
	title := m.Address
	if m.IsDefault {
		title += "  (sends by default)"
	}
	grid.Objects[0].(*widget.Label).SetText(title)
	detail := m.ProviderName
	if m.SenderName != "" {
		detail = m.SenderName + " · " + detail
	}
	grid.Objects[1].(*widget.Label).SetText(detail)
	reason := grid.Objects[2].(*reasonLabel)
	reason.onTap = func() { v.rows.Select(id); v.showState(m) }
	state := reason.label
	state.SetText(stateText(m))
	state.Importance = widget.MediumImportance
	switch m.State {
	case data.MailboxOK:
		state.Importance = widget.SuccessImportance
	case data.MailboxError, data.MailboxSignIn:
		state.Importance = widget.DangerImportance
	}
	state.Refresh()
}

func stateText(m *data.Mailbox) string {
	switch m.State {
	case data.MailboxOK:
		return "Ready"
	case data.MailboxError:
		return "Not working: " + m.LastError
	case data.MailboxSignIn:
		return m.LastError // "Sign in again: …"
	}
	return "Not tested yet"
}

func (v *mailboxesView) emptyState() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Add your mailbox", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	text := widget.NewLabelWithStyle("Type your email address and password: Mailroom finds your provider's settings, "+
		"tests them, and keeps the password in your system's keyring.", fyne.TextAlignCenter, fyne.TextStyle{})
	text.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add your mailbox", theme.ContentAddIcon(), func() { v.ui.openMailbox(nil) })
	add.Importance = widget.HighImportance
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(480, 160),
		container.NewVBox(title, text, container.NewCenter(add))))
}

func (v *mailboxesView) load() {
	var list []*data.Mailbox
	v.ui.background(func(ctx context.Context) error {
		var err error
		list, err = v.store.Mailboxes(ctx)
		return err
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Mailboxes", v.ui.explain("read your mailboxes", err))
			return
		}
		v.list = list
		v.logos.reset()
		if len(list) > 0 {
			v.empty.Hide()
		} else {
			v.empty.Show()
		}
		found := false
		for _, m := range list {
			found = found || m.ID == v.selected
		}
		if !found {
			v.selected = 0
			v.rows.UnselectAll()
		}
		v.rows.Refresh()
		v.updateButtons()
	})
}

func (v *mailboxesView) current() *data.Mailbox {
	for _, m := range v.list {
		if m.ID == v.selected {
			return m
		}
	}
	return nil
}

func (v *mailboxesView) updateButtons() {
	m := v.current()
	for _, b := range []*widget.Button{v.test, v.edit, v.remove} {
		setEnabled(b, m != nil)
	}
	setEnabled(v.makeDef, m != nil && !m.IsDefault)
	v.signIn.Hidden = m == nil || m.State != data.MailboxSignIn
	v.signIn.Refresh()
}

// signInSelected opens the selected mailbox and starts its browser sign-in again; its cache,
// drafts and outbox stay as they are meanwhile.
func (v *mailboxesView) signInSelected() {
	if m := v.current(); m != nil {
		v.ui.openMailbox(m).startSignIn()
	}
}

func (v *mailboxesView) editSelected() {
	if m := v.current(); m != nil {
		v.ui.openMailbox(m)
	}
}

func (v *mailboxesView) defaultSelected() {
	m := v.current()
	if m == nil {
		return
	}
	v.ui.background(func(ctx context.Context) error { return v.store.SetDefaultMailbox(ctx, m.ID) }, func(err error) {
		if err != nil {
			showError(v.ui.win, "Mailboxes", v.ui.explain("change the default mailbox", err))
		}
		v.load()
	})
}

// testSelected tests the selected mailbox with its saved password, showing each step.
func (v *mailboxesView) testSelected() {
	m := v.current()
	if m == nil {
		return
	}
	panel := newStepPanel()
	result := widget.NewLabel("Testing…")
	result.Wrapping = fyne.TextWrapWord
	ctx, cancel := context.WithCancel(context.Background())
	steps := container.NewVScroll(panel.content)
	steps.SetMinSize(fyne.NewSize(700, 380))
	d := dialog.NewCustom("Test "+m.Address, "Close", container.NewBorder(result, nil, nil, nil, steps), v.ui.win)
	d.SetOnClosed(cancel)
	d.Resize(fyne.NewSize(760, 560))
	d.Show()
	v.ui.background(func(context.Context) error {
		defer cancel()
		return mailclient.RetestMailbox(ctx, v.store, v.ui.secrets, m, func(st mailclient.Step) {
			v.ui.onUI(func() {
				panel.show(st)
			})
		})
	}, func(err error) {
		if err != nil {
			v.ui.log.Warn("mailbox test", "err", err)
			result.Importance = widget.DangerImportance
			result.SetText(mailclient.Explain(err))
		} else {
			result.Importance = widget.SuccessImportance
			result.SetText(m.Address + " works.")
		}
		v.load()
	})
}

func (v *mailboxesView) removeSelected() {
	m := v.current()
	if m == nil {
		return
	}
	msg := fmt.Sprintf("Remove the mailbox %s from Mailroom? Its saved password and everything Mailroom keeps for it are deleted; the mail on the server stays.", m.Address)
	dialog.NewConfirm("Remove mailbox", msg, func(ok bool) {
		if !ok {
			return
		}
		v.ui.background(func(ctx context.Context) error {
			_, err := mailclient.RemoveMailbox(ctx, v.store, v.ui.secrets, m.ID)
			return err
		}, func(err error) {
			var pnd *mailclient.PasswordNotDeletedError
			switch {
			case errors.As(err, &pnd):
				v.ui.log.Warn("delete password", "err", err)
				showError(v.ui.win, "Mailbox removed", mailclient.Explain(err))
			case err != nil:
				showError(v.ui.win, "Remove mailbox", v.ui.explain("remove the mailbox", err))
			}
			v.load()
		})
	}, v.ui.win).Show()
}
