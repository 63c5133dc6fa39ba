package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// permissionsStore is what the Operation permissions screen needs of the database; *data.Store
// has it. Errors are those documented on data.Store.
type permissionsStore interface {
	mailclient.SigningKeyStore // this database's signing key (OwnPublicKey makes it on demand)
	Publishers(ctx context.Context) ([]data.Publisher, error)
	ListPublishers(ctx context.Context) ([]data.Publisher, error)
	IsListPublisher(ctx context.Context) bool
	GrantPublisher(ctx context.Context, publicKey, name string) (*data.Publisher, error)
	RevokePublisher(ctx context.Context, publicKey string) error
	Users(ctx context.Context) ([]data.User, error)
	User() string
}

// permissionsView is the "Operation permissions" screen: who may manage the office's email
// providers, that is who may sign the provider list everyone subscribes to.
type permissionsView struct {
	ui       *UI
	store    permissionsStore
	own      string           // this database's public key; "" before it is made
	shown    []data.Publisher // the publishers listed
	editable bool             // the person is a publisher and may grant and revoke
	status   *widget.Label
	ownKey   *widget.Entry
	ownPrint *widget.Label
	makeKey  *widget.Button
	copyKey  *widget.Button
	list     *fyne.Container
	name     *escEntry
	nameErr  *widget.Label
	key      *escEntry
	keyErr   *widget.Label
	keyPrint *widget.Label
	users    *widget.Label // who has opened this database
	grant    *widget.Button
	content  fyne.CanvasObject
}

func newPermissionsView(u *UI) *permissionsView {
	v := &permissionsView{ui: u, store: u.store, list: container.NewVBox(), status: widget.NewLabel("")}
	v.status.Wrapping = fyne.TextWrapWord
	intro := widget.NewLabel("“Manage the office's email providers” belongs to the publishers of the provider list: colleagues " +
		"accept a list only when one of them signed it. To grant a colleague, paste their public key (their Operation " +
		"permissions screen shows it, or mailroom providers key) and compare its fingerprint with them by phone or in person. " +
		"Grants and revocations take effect with the next publish (Settings → Publish the provider list…).")
	intro.Wrapping = fyne.TextWrapWord
	v.ownKey = widget.NewEntry()
	v.ownKey.Disable()
	v.ownPrint = widget.NewLabel("")
	v.makeKey = widget.NewButtonWithIcon("Make my key", theme.ContentAddIcon(), v.doMakeKey)
	v.copyKey = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		v.ui.app.Clipboard().SetContent(v.own)
	})
	v.name = newEscEntry(nil, nil)
	v.name.SetPlaceHolder("Their name, as colleagues know them")
	v.name.OnChanged = func(string) { v.nameErr.Hide() }
	v.nameErr = newErrorLabel()
	v.key = newEscEntry(nil, nil)
	v.key.MultiLine, v.key.Wrapping = true, fyne.TextWrap(fyne.TextTruncateClip)
	v.key.SetMinRowsVisible(2)
	v.key.SetPlaceHolder("Their public key: the line that starts with RW")
	v.key.OnChanged = v.keyChanged
	v.keyErr = newErrorLabel()
	v.keyPrint = widget.NewLabel("")
	v.users = widget.NewLabel("")
	v.users.Wrapping = fyne.TextWrapWord
	v.grant = widget.NewButtonWithIcon("Grant…", theme.ConfirmIcon(), v.doGrant)
	bold := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	mine := container.NewVBox(bold("Your key"),
		container.NewBorder(nil, nil, nil, container.NewHBox(v.copyKey, v.makeKey), v.ownKey), v.ownPrint)
	form := widget.NewForm(
		widget.NewFormItem("Name", container.NewVBox(v.name, v.nameErr)),
		widget.NewFormItem("Public key", container.NewVBox(v.key, v.keyErr, v.keyPrint)))
	grant := container.NewVBox(bold("Grant a colleague"), form, container.NewHBox(v.grant))
	top := container.NewVBox(intro, widget.NewSeparator(), mine, widget.NewSeparator(),
		bold("People who use this database"), v.users, widget.NewSeparator(),
		bold("Publishers"), v.status)
	v.content = container.NewBorder(top, container.NewVBox(widget.NewSeparator(), grant), nil, nil, container.NewVScroll(v.list))
	return v
}

// permissionsState is what the screen shows, read in one go off the UI goroutine.
type permissionsState struct {
	own        string
	publishers []data.Publisher
	fromList   bool // the publishers are those of the subscribed list, not yet this database's own set
	subscribed bool
	users      []data.User
}

func (v *permissionsView) load() {
	var st permissionsState
	v.ui.background(func(ctx context.Context) error {
		return v.read(ctx, &st)
	}, func(err error) {
		if err != nil {
			v.status.SetText(v.ui.explain("read the publishers", err))
			return
		}
		v.show(st)
	})
}

func (v *permissionsView) read(ctx context.Context, st *permissionsState) error {
	if k, err := v.store.SigningKey(ctx); err == nil {
		st.own = k.PublicKey
	} else if !errors.Is(err, data.ErrNotFound) {
		return err
	}
	var err error
	if st.users, err = v.store.Users(ctx); err != nil {
		return err
	}
	if st.publishers, err = v.store.Publishers(ctx); err != nil {
		return err
	}
	list, err := v.store.ListPublishers(ctx)
	if err != nil {
		return err
	}
	st.subscribed = len(list) > 0
	if len(st.publishers) == 0 && st.subscribed {
		st.publishers, st.fromList = list, true
	}
	if st.subscribed && !v.store.IsListPublisher(ctx) {
		st.publishers, st.fromList = list, true
	}
	return nil
}

func (v *permissionsView) show(st permissionsState) {
	v.own, v.shown = st.own, st.publishers
	v.users.SetText(usersText(st.users, v.store.User()))
	if v.own == "" {
		v.ownKey.SetText("")
		v.ownKey.SetPlaceHolder("Not made yet: it is made on your first publish, or now")
		v.ownPrint.SetText("")
		v.makeKey.Show()
		v.copyKey.Hide()
	} else {
		v.ownKey.SetText(v.own)
		v.ownPrint.SetText("Fingerprint: " + data.KeyFingerprint(v.own))
		v.makeKey.Hide()
		v.copyKey.Show()
	}
	isMine := false
	for _, p := range st.publishers {
		isMine = isMine || p.PublicKey == v.own && v.own != ""
	}
	v.editable = !st.subscribed || isMine
	if len(st.publishers) == 0 {
		v.editable = true
	}
	switch {
	case len(st.publishers) == 0:
		v.status.SetText("No publishers yet: your first publish makes you the first, and you can grant colleagues now.")
	case st.fromList && !isMine:
		v.status.SetText("These are the publishers of the provider list you subscribe to. You are not one of them, so you cannot change who publishes it.")
	case st.fromList:
		v.status.SetText("These are the publishers of the subscribed list; you are one of them.")
	default:
		v.status.SetText("The next publish names these publishers.")
	}
	setEnabled(v.grant, v.editable)
	setEnabled(v.name, v.editable)
	setEnabled(v.key, v.editable)
	v.rebuild()
}

func (v *permissionsView) rebuild() {
	v.list.RemoveAll()
	bold := fyne.TextStyle{Bold: true}
	v.list.Add(container.NewGridWithColumns(3, widget.NewLabelWithStyle("Name", fyne.TextAlignLeading, bold),
		widget.NewLabelWithStyle("Fingerprint", fyne.TextAlignLeading, bold), widget.NewLabel("")))
	for _, p := range v.shown {
		name := p.Name
		if p.PublicKey == v.own {
			name += " (you)"
		}
		revoke := widget.NewButtonWithIcon("Revoke…", theme.DeleteIcon(), func() { v.confirmRevoke(p) })
		setEnabled(revoke, v.editable && p.PublicKey != v.own && len(v.shown) > 1)
		v.list.Add(container.NewGridWithColumns(3, widget.NewLabel(name), widget.NewLabel(p.Fingerprint()),
			container.NewHBox(revoke)))
	}
	v.list.Refresh()
}

// keyChanged shows the fingerprint of a key as it is pasted, or why it is not one.
func (v *permissionsView) keyChanged(text string) {
	v.keyErr.Hide()
	if f := data.KeyFingerprint(text); f != "" {
		v.keyPrint.SetText("Fingerprint: " + f + " — compare it with your colleague's.")
	} else {
		v.keyPrint.SetText("")
	}
}

func (v *permissionsView) doMakeKey() {
	v.ui.background(func(ctx context.Context) error {
		_, err := mailclient.OwnPublicKey(ctx, v.store, v.ui.secrets)
		return err
	}, func(err error) {
		if err != nil {
			v.ui.log.Error("make provider list key", "err", err)
			showError(v.ui.win, "Your key", mailclient.PublishMessage(err))
		}
		v.load()
	})
}

// doGrant checks the fields, then asks to compare the fingerprint before granting, as with
// a certificate.
func (v *permissionsView) doGrant() {
	name, text := data.CleanName(v.name.Text), v.key.Text
	key, err := data.NormalizePublicKey(text)
	if err != nil {
		v.keyErr.SetText(err.Error())
		v.keyErr.Show()
	}
	if name == "" {
		v.nameErr.SetText("Enter the publisher's name, as colleagues know them")
		v.nameErr.Show()
	}
	if err != nil || name == "" {
		return
	}
	msg := fmt.Sprintf("Grant %s “Manage the office's email providers”?\n\nFingerprint of the key:\n%s\n\n"+
		"Compare it with the fingerprint %s reads to you from their screen. Grant only when they are the same: "+
		"from your next publish on, colleagues accept provider lists this key signs.", name, data.KeyFingerprint(key), name)
	d := dialog.NewConfirm("Compare the fingerprint", msg, func(ok bool) {
		if ok {
			v.grantKey(key, name)
		}
	}, v.ui.win)
	d.SetConfirmText("Same fingerprint: grant")
	d.SetDismissText("Cancel")
	d.Show()
}

func (v *permissionsView) grantKey(key, name string) {
	v.ui.background(func(ctx context.Context) error {
		if _, err := mailclient.OwnPublicKey(ctx, v.store, v.ui.secrets); err != nil {
			return err
		}
		_, err := v.store.GrantPublisher(ctx, key, name)
		return err
	}, func(err error) {
		var ve *data.ValidationError
		switch {
		case errors.As(err, &ve):
			if m := ve.For(data.FieldPublicKey); m != "" {
				v.keyErr.SetText(m)
				v.keyErr.Show()
			}
			if m := ve.For(data.FieldPublisherName); m != "" {
				v.nameErr.SetText(m)
				v.nameErr.Show()
			}
			return
		case err != nil:
			v.ui.log.Error("grant publisher", "err", err)
			showError(v.ui.win, "Operation permissions", mailclient.PublishersMessage(err))
		default:
			v.name.SetText("")
			v.key.SetText("")
		}
		v.load()
	})
}

func (v *permissionsView) confirmRevoke(p data.Publisher) {
	d := dialog.NewConfirm("Revoke a publisher",
		fmt.Sprintf("%s (fingerprint %s) will no longer be able to publish the provider list. Colleagues refuse "+
			"their lists from your next publish on.", p.Name, p.Fingerprint()),
		func(ok bool) {
			if !ok {
				return
			}
			v.ui.background(func(ctx context.Context) error {
				return v.store.RevokePublisher(ctx, p.PublicKey)
			}, func(err error) {
				if err != nil {
					v.ui.log.Error("revoke publisher", "err", err)
					showError(v.ui.win, "Operation permissions", mailclient.PublishersMessage(err))
				}
				v.load()
			})
		}, v.ui.win)
	d.SetConfirmText("Revoke")
	d.SetDismissText("Cancel")
	d.Show()
}

// usersText lists who has opened the database, since when, marking me.
func usersText(users []data.User, me string) string {
	var parts []string
	for _, u := range users {
		p := u.Name
		if u.Name == me {
			p += " (you)"
		}
		if !u.FirstSeen.IsZero() {
			p += ", since " + u.FirstSeen.Local().Format("2 Jan 2006")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}
