package gui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// permissionsView is the "Operation permissions" screen: who may manage email providers.
type permissionsView struct {
	ui      *UI
	users   []data.User
	list    *fyne.Container
	content fyne.CanvasObject
}

func newPermissionsView(u *UI) *permissionsView {
	v := &permissionsView{ui: u, list: container.NewVBox()}
	intro := widget.NewLabel("People who hold “Manage email providers” may add, change and delete email providers and their domains. " +
		"The list shows everyone who has started Mailroom on this database; someone new appears here after their first start.")
	intro.Wrapping = fyne.TextWrapWord
	v.content = container.NewBorder(intro, nil, nil, nil, container.NewVScroll(v.list))
	return v
}

func (v *permissionsView) load() {
	var users []data.User
	v.ui.background(func(ctx context.Context) error {
		var err error
		users, err = v.ui.store.Users(ctx)
		return err
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Operation permissions", v.ui.explain("read the users", err))
			return
		}
		v.users = users
		v.rebuild()
	})
}

func (v *permissionsView) rebuild() {
	v.list.RemoveAll()
	header := container.NewGridWithColumns(2,
		widget.NewLabelWithStyle("User", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle(data.OperationTitle(data.OpManageProviders), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.list.Add(header)
	for _, us := range v.users {
		name := us.Name
		if us.IsActing {
			name += " (you)"
		}
		check := widget.NewCheck("", nil)
		check.SetChecked(us.Granted[data.OpManageProviders])
		user := us.Name
		check.OnChanged = func(on bool) { v.setGrant(user, on) }
		setEnabled(check, v.ui.canManage())
		v.list.Add(container.NewGridWithColumns(2, widget.NewLabel(name), check))
	}
	v.list.Refresh()
}

// setGrant grants or revokes the operation; on refusal the list shows the truth again.
func (v *permissionsView) setGrant(user string, on bool) {
	v.ui.background(func(ctx context.Context) error {
		if on {
			return v.ui.store.Grant(ctx, user, data.OpManageProviders)
		}
		return v.ui.store.Revoke(ctx, user, data.OpManageProviders)
	}, func(err error) {
		if err != nil {
			msg := v.ui.explain("change the permission", err)
			if errors.Is(err, data.ErrLastHolder) {
				msg = "At least one person must keep “Manage email providers”: grant it to someone else first."
			}
			showError(v.ui.win, "Operation permissions", msg)
		}
		v.ui.reload()
	})
}
