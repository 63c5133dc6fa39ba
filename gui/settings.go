package gui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// settingsView is the "Settings" screen: for now, the provider list this database follows.
type settingsView struct {
	ui          *UI
	sub         *data.Subscription // nil when not subscribed
	status      *widget.Label
	source      *escEntry
	sourceErr   *widget.Label
	subscribe   *widget.Button
	refresh     *widget.Button
	unsubscribe *widget.Button
	syncEvery   *widget.Select
	content     fyne.CanvasObject
}

// prefSyncMinutes is the preference holding how often mail is checked; 0 for only on demand.
const prefSyncMinutes = "sync.minutes"

// syncChoices are the intervals offered for checking mail, in minutes.
var syncChoices = []struct {
	title   string
	minutes int
}{{"Every minute", 1}, {"Every 5 minutes", 5}, {"Every 15 minutes", 15}, {"Every hour", 60}, {"Only when I press Sync (F5)", 0}}

func newSettingsView(u *UI) *settingsView {
	v := &settingsView{ui: u}
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.source = newEscEntry(nil, nil)
	v.source.SetPlaceHolder("https://intranet.example.com/mail/index.txt or a shared folder")
	v.source.OnChanged = func(string) { v.sourceErr.Hide() }
	v.source.OnSubmitted = func(string) { v.doSubscribe() }
	v.sourceErr = newErrorLabel()
	v.subscribe = widget.NewButtonWithIcon("Subscribe", theme.DownloadIcon(), v.doSubscribe)
	v.refresh = widget.NewButtonWithIcon("Refresh now", theme.ViewRefreshIcon(), v.doRefresh)
	v.unsubscribe = widget.NewButtonWithIcon("Unsubscribe", theme.CancelIcon(), v.doUnsubscribe)
	intro := widget.NewLabel("An office can keep one provider list for every computer: an administrator exports it " +
		"(Email providers → Export…) to a shared folder or an https server, and each computer subscribes to it here. " +
		"Mailroom refreshes it at start and every few hours; providers from the list can be changed only there.")
	intro.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle("Subscribe to a provider list", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.syncEvery = widget.NewSelect(nil, v.syncChosen)
	for _, c := range syncChoices {
		v.syncEvery.Options = append(v.syncEvery.Options, c.title)
		if time.Duration(c.minutes)*time.Minute == u.syncEvery {
			v.syncEvery.Selected = c.title
		}
	}
	mail := container.NewVBox(widget.NewLabelWithStyle("Check for new mail", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWrap(fyne.NewSize(320, 38), v.syncEvery), backgroundSetting(u), widget.NewSeparator())
	v.content = container.NewVBox(mail, title, intro,
		container.NewBorder(nil, nil, nil, v.subscribe, v.source), v.sourceErr,
		v.status, container.NewHBox(v.refresh, v.unsubscribe))
	return v
}

// syncChosen keeps how often mail is checked, for now and later starts.
func (v *settingsView) syncChosen(title string) {
	for _, c := range syncChoices {
		if c.title == title {
			v.ui.syncEvery = time.Duration(c.minutes) * time.Minute
			v.ui.app.Preferences().SetInt(prefSyncMinutes, c.minutes)
		}
	}
}

func (v *settingsView) load() {
	var sub *data.Subscription
	v.ui.background(func(ctx context.Context) error {
		var err error
		sub, err = v.ui.store.Subscription(ctx)
		if errors.Is(err, data.ErrNotFound) {
			sub, err = nil, nil
		}
		return err
	}, func(err error) {
		if err != nil {
			v.status.SetText(v.ui.explain("read the subscription", err))
			return
		}
		v.sub = sub
		v.show()
	})
}

func (v *settingsView) show() {
	manage := v.ui.canManage()
	setEnabled(v.source, manage)
	setEnabled(v.subscribe, manage)
	setEnabled(v.unsubscribe, manage && v.sub != nil)
	setEnabled(v.refresh, v.sub != nil)
	if v.sub == nil {
		v.status.SetText("This database follows no provider list.")
		return
	}
	if v.source.Text == "" {
		v.source.SetText(v.sub.Source)
	}
	text := "Following " + v.sub.Source + ". "
	if v.sub.LastGoodAt.IsZero() {
		text += "It has not been read successfully yet."
	} else {
		text += "Last refreshed " + v.sub.LastGoodAt.Local().Format("2 Jan 2006 15:04") + "."
	}
	if v.sub.LastError != "" {
		text += fmt.Sprintf(" The last attempt, %s, failed: %s The providers from the last good copy are kept.",
			v.sub.LastAttemptAt.Local().Format("2 Jan 15:04"), v.sub.LastError)
	}
	v.status.Importance = widget.MediumImportance
	if v.sub.LastError != "" {
		v.status.Importance = widget.WarningImportance
	}
	v.status.SetText(text)
}

func (v *settingsView) doSubscribe() {
	source := v.source.Text
	v.ui.background(func(ctx context.Context) error {
		_, err := v.ui.store.Subscribe(ctx, source)
		return err
	}, func(err error) {
		var ve *data.ValidationError
		switch {
		case errors.As(err, &ve):
			v.sourceErr.SetText(ve.Fields[0].Msg)
			v.sourceErr.Show()
		case err != nil:
			showError(v.ui.win, "Subscribe", v.ui.explain("subscribe to the provider list", err))
		default:
			v.doRefresh()
		}
	})
}

// doRefresh reads the list now and reports what changed.
func (v *settingsView) doRefresh() {
	var report *mailclient.RefreshReport
	v.ui.background(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		var err error
		report, err = mailclient.RefreshSubscription(ctx, v.ui.store, nil)
		return err
	}, func(err error) { v.ui.refreshed(report, err, true) })
}

func (v *settingsView) doUnsubscribe() {
	dialog.NewConfirm("Unsubscribe", "Stop following the provider list? Its providers stay, as ordinary ones that can be edited here.",
		func(ok bool) {
			if !ok {
				return
			}
			v.ui.background(func(ctx context.Context) error {
				_, err := v.ui.store.Unsubscribe(ctx)
				return err
			}, func(err error) {
				if err != nil {
					showError(v.ui.win, "Unsubscribe", v.ui.explain("unsubscribe", err))
				}
				v.source.SetText("")
				v.ui.reload()
			})
		}, v.ui.win).Show()
}

// refreshed shows the outcome of a refresh of the provider list: always on the Settings
// screen, and in a dialog when the person asked for it.
func (u *UI) refreshed(report *mailclient.RefreshReport, err error, asked bool) {
	if err != nil {
		u.log.Warn("refresh provider list", "err", err)
	}
	u.reload()
	if !asked {
		return
	}
	if err != nil {
		showError(u.win, "Provider list", mailclient.RefreshMessage(err))
		return
	}
	c := report.Changes
	showError(u.win, "Provider list", fmt.Sprintf("Read %s: %d added, %d updated, %d removed, %d unchanged.",
		plural(report.Files, "file"), len(c.Added), len(c.Updated), len(c.Removed)+len(c.Released), len(c.Unchanged)))
}

// followProviderList refreshes the subscribed provider list now and every few hours until ctx
// ends. Each refresh is ordinary background work, so it ends in one visible outcome.
func (u *UI) followProviderList(ctx context.Context) {
	refresh := func() {
		var report *mailclient.RefreshReport
		u.background(func(context.Context) error {
			var err error
			report, err = mailclient.RefreshSubscription(ctx, u.store, nil)
			return err
		}, func(err error) {
			if !errors.Is(err, mailclient.ErrNotSubscribed) && ctx.Err() == nil {
				u.refreshed(report, err, false)
			}
		})
	}
	refresh()
	go func() {
		t := time.NewTicker(mailclient.SubscriptionInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fyne.Do(refresh)
			}
		}
	}()
}
