package gui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// settingsStore is what the Settings screen reads and changes: the provider list subscribed to
// (refreshed through mailclient) and the one published from here.
type settingsStore interface {
	mailclient.SubscriptionStore
	mailclient.PublishStore
	Subscribe(ctx context.Context, source, publicKey string) (*data.Subscription, error)
	Unsubscribe(ctx context.Context) (int, error)
	LastPublication(ctx context.Context) (*data.Publication, error)
}

// settingsView is the "Settings" screen: how often mail is checked, the provider list this
// database follows, and publishing the list.
type settingsView struct {
	ui          *UI
	store       settingsStore
	sub         *data.Subscription // nil when not subscribed
	status      *widget.Label
	source      *escEntry
	sourceErr   *widget.Label
	key         *escEntry
	keyErr      *widget.Label
	subscribe   *widget.Button
	publish     *widget.Button
	published   *widget.Label
	refresh     *widget.Button
	unsubscribe *widget.Button
	syncEvery   *widget.Select
	theme       *widget.RadioGroup
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
	v := &settingsView{ui: u, store: u.store}
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.source = newEscEntry(nil, nil)
	v.source.SetPlaceHolder("https://intranet.example.com/mail/index.txt or a shared folder")
	v.source.OnChanged = func(string) { v.sourceErr.Hide() }
	v.source.OnSubmitted = func(string) { v.doSubscribe() }
	v.sourceErr = newErrorLabel()
	v.key = newEscEntry(nil, nil)
	v.key.SetPlaceHolder("The publisher's public key (RW…), or empty to read it from the list and compare")
	v.key.OnChanged = func(string) { v.keyErr.Hide() }
	v.key.OnSubmitted = func(string) { v.doSubscribe() }
	v.keyErr = newErrorLabel()
	v.subscribe = widget.NewButtonWithIcon("Subscribe…", theme.DownloadIcon(), v.doSubscribe)
	v.publish = widget.NewButtonWithIcon("Publish the provider list…", theme.UploadIcon(), func() { v.showPublish("", "") })
	v.published = widget.NewLabel("")
	v.published.Wrapping = fyne.TextWrapWord
	v.refresh = widget.NewButtonWithIcon("Refresh now", theme.ViewRefreshIcon(), v.doRefresh)
	v.unsubscribe = widget.NewButtonWithIcon("Unsubscribe", theme.CancelIcon(), v.doUnsubscribe)
	intro := widget.NewLabel("An office can keep one provider list for every computer: a publisher publishes it, signed, " +
		"to a shared folder (or puts that folder on an https server), and each person subscribes to it here with the " +
		"publisher's key, after comparing its fingerprint. Mailroom refreshes it at start and every few hours, and accepts " +
		"only newer copies signed by one of the list's publishers; its providers can be changed only by them.")
	intro.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle("Subscribe to a provider list", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.syncEvery = widget.NewSelect(nil, v.syncChosen)
	for _, c := range syncChoices {
		v.syncEvery.Options = append(v.syncEvery.Options, c.title)
		if time.Duration(c.minutes)*time.Minute == u.syncEvery {
			v.syncEvery.Selected = c.title
		}
	}
	applyTheme(u.app)
	look, choice := themeSetting(u.app)
	v.theme = choice
	mail := container.NewVBox(widget.NewLabelWithStyle("Check for new mail", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWrap(fyne.NewSize(320, 38), v.syncEvery), backgroundSetting(u), widget.NewSeparator(), look, widget.NewSeparator())
	form := widget.NewForm(
		widget.NewFormItem("List", container.NewVBox(v.source, v.sourceErr)),
		widget.NewFormItem("Publisher's key", container.NewVBox(v.key, v.keyErr)))
	publishTitle := widget.NewLabelWithStyle("Publish the provider list", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.content = container.NewVScroll(container.NewVBox(mail, title, intro, form, container.NewHBox(v.subscribe),
		v.status, container.NewHBox(v.refresh, v.unsubscribe), widget.NewSeparator(),
		publishTitle, v.published, container.NewHBox(v.publish)))
	return v
}

// syncChosen keeps how often mail is checked, for now and later starts.
func (v *settingsView) syncChosen(title string) {
	for _, c := range syncChoices {
		if c.title == title {
			v.ui.setSyncEvery(time.Duration(c.minutes) * time.Minute)
			v.ui.app.Preferences().SetInt(prefSyncMinutes, c.minutes)
		}
	}
}

func (v *settingsView) load() {
	var sub *data.Subscription
	var last *data.Publication
	v.ui.background(func(ctx context.Context) error {
		var err error
		sub, err = v.store.Subscription(ctx)
		if errors.Is(err, data.ErrNotFound) {
			sub, err = nil, nil
		}
		if err == nil {
			if last, err = v.store.LastPublication(ctx); errors.Is(err, data.ErrNotFound) {
				last, err = nil, nil
			}
		}
		return err
	}, func(err error) {
		if err != nil {
			v.status.SetText(v.ui.explain("read the subscription", err))
			return
		}
		v.sub = sub
		v.showPublished(last)
		v.show()
	})
}

// loadPublished reads again when this database last published the list (the screen follows
// publishes made elsewhere, such as mailroom providers publish, without touching the status
// of what the person is doing here).
func (v *settingsView) loadPublished() {
	var last *data.Publication
	v.ui.background(func(ctx context.Context) error {
		var err error
		if last, err = v.ui.store.LastPublication(ctx); errors.Is(err, data.ErrNotFound) {
			last, err = nil, nil
		}
		return err
	}, func(err error) {
		if err == nil {
			v.showPublished(last)
		}
	})
}

// showPublished says when this database last published the list, and where.
func (v *settingsView) showPublished(last *data.Publication) {
	if last == nil {
		v.published.SetText("Publishing writes this computer's providers, signed with your key, to a folder colleagues subscribe to. " +
			"Your key is made on the first publish; only publishers of the list can publish it (Operation permissions).")
		return
	}
	v.published.SetText(fmt.Sprintf("Last published: list number %d in %s, %s.", last.Sequence, last.Dir,
		last.PublishedAt.Local().Format("2 Jan 2006 15:04")))
}

func (v *settingsView) show() {
	setEnabled(v.unsubscribe, v.sub != nil)
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
		text += fmt.Sprintf("Last refreshed %s: list number %d, signed %s.", v.sub.LastGoodAt.Local().Format("2 Jan 2006 15:04"),
			v.sub.Sequence, v.sub.SignedAt.Local().Format("2 Jan 2006 15:04"))
	}
	if v.sub.LastError != "" {
		text += fmt.Sprintf(" The last attempt, %s, failed: %s",
			v.sub.LastAttemptAt.Local().Format("2 Jan 15:04"), v.sub.LastError)
	}
	v.status.Importance = widget.MediumImportance
	if v.sub.LastError != "" {
		v.status.Importance = widget.WarningImportance
	}
	v.status.SetText(text)
}

// doSubscribe checks the fields, reads who signed the list at the source, and asks to compare
// that key's fingerprint before trusting it, as with a certificate.
func (v *settingsView) doSubscribe() {
	source, key, ok := v.checkFields()
	if !ok {
		return
	}
	var signer *mailclient.ListSigner
	v.ui.background(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		var err error
		signer, err = mailclient.InspectList(ctx, nil, source, key)
		return err
	}, func(err error) {
		switch {
		case err == nil:
			v.askToTrust(source, signer)
		case errors.Is(err, data.ErrNotTrusted), errors.Is(err, mailclient.ErrBadSignature):
			v.keyErr.SetText("The list at this address is not signed by this key: check the key with its publisher.")
			v.keyErr.Show()
		default:
			v.ui.log.Warn("read the provider list to subscribe", "err", err)
			v.sourceErr.SetText(mailclient.RefreshMessage(err))
			v.sourceErr.Show()
		}
	})
}

// checkFields shows what is wrong beside the source and key fields; the key may be empty.
func (v *settingsView) checkFields() (source, key string, ok bool) {
	source, err := data.NormalizeSource(v.source.Text)
	if err != nil {
		v.sourceErr.SetText(err.Error())
		v.sourceErr.Show()
	}
	if strings.TrimSpace(v.key.Text) != "" {
		var kerr error
		if key, kerr = data.NormalizePublicKey(v.key.Text); kerr != nil {
			v.keyErr.SetText(kerr.Error())
			v.keyErr.Show()
			err = kerr
		}
	}
	return source, key, err == nil
}

// askToTrust shows the fingerprint of the key that signed the list and subscribes only when
// the person says it is the one their publisher gave them.
func (v *settingsView) askToTrust(source string, signer *mailclient.ListSigner) {
	msg := fmt.Sprintf("The provider list at %s is signed by %s (list number %d).\n\nFingerprint of the key:\n%s\n\n"+
		"Compare it with the fingerprint your publisher reads to you from their screen. Subscribe only when they are the "+
		"same: from then on Mailroom accepts this list only when one of its publishers signed it.",
		source, signer.Name, signer.Sequence, data.KeyFingerprint(signer.PublicKey))
	d := dialog.NewConfirm("Compare the fingerprint", msg, func(ok bool) {
		if !ok {
			return
		}
		v.ui.background(func(ctx context.Context) error {
			_, err := v.store.Subscribe(ctx, source, signer.PublicKey)
			return err
		}, func(err error) {
			if err != nil {
				showError(v.ui.win, "Subscribe", v.ui.explain("subscribe to the provider list", err))
				return
			}
			v.key.SetText("")
			v.doRefresh()
		})
	}, v.ui.win)
	d.SetConfirmText("Same fingerprint: subscribe")
	d.SetDismissText("Cancel")
	d.Show()
}

// doRefresh reads the list now and reports what changed.
func (v *settingsView) doRefresh() {
	var report *mailclient.RefreshReport
	v.ui.background(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		var err error
		report, err = mailclient.RefreshSubscription(ctx, v.store, nil)
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
				_, err := v.store.Unsubscribe(ctx)
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
	showError(u.win, "Provider list", fmt.Sprintf("Read list number %d, signed by %s: %s, %d added, %d updated, %d removed, %d unchanged.",
		report.Sequence, report.SignedBy, plural(report.Files, "file"), len(c.Added), len(c.Updated), len(c.Removed)+len(c.Released), len(c.Unchanged)))
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
				u.onUI(refresh)
			}
		}
	}()
}

// showPublish asks for the folder to publish the list in (folder, else the last one) and
// publishes it there; problem, when not "", is shown beside the folder.
func (v *settingsView) showPublish(folder, problem string) {
	dir := newEscEntry(nil, nil)
	dir.SetPlaceHolder("/mnt/share/providers")
	dir.SetText(folder)
	dirErr := newErrorLabel()
	if problem != "" {
		dirErr.SetText(problem)
		dirErr.Show()
	}
	dir.OnChanged = func(string) { dirErr.Hide() }
	var last *data.Publication
	v.ui.background(func(ctx context.Context) error {
		var err error
		last, err = v.store.LastPublication(ctx)
		return err
	}, func(err error) {
		if err == nil && dir.Text == "" {
			dir.SetText(last.Dir)
		}
	})
	var d dialog.Dialog
	browse := widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), func() {
		folderDialog("Publish the provider list to a folder", "Publish here", v.ui.win, dir.SetText).Show()
	})
	text := widget.NewLabel("Mailroom writes every provider of this list as a clientConfig file, with index.txt naming " +
		"each file and its SHA-256, and index.txt.minisig, signed with your key. Put the folder on the share or the " +
		"https server your colleagues subscribe to.")
	text.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(text, widget.NewForm(widget.NewFormItem("Folder",
		container.NewVBox(container.NewBorder(nil, nil, nil, browse, dir), dirErr))))
	d = dialog.NewCustomConfirm("Publish the provider list", "Publish", "Cancel", body, func(ok bool) {
		if ok {
			v.doPublish(dir.Text)
		}
	}, v.ui.win)
	d.Resize(fyne.NewSize(620, 300))
	d.Show()
	v.ui.win.Canvas().Focus(dir)
}

// doPublish publishes the list in folder and says how it went.
func (v *settingsView) doPublish(folder string) {
	folder = strings.TrimSpace(folder)
	if !filepath.IsAbs(folder) {
		v.showPublish(folder, "Enter the folder's full path, as in /mnt/share/providers")
		return
	}
	var r *mailclient.PublishReport
	v.published.SetText("Publishing…")
	v.ui.background(func(ctx context.Context) error {
		var err error
		r, err = mailclient.PublishProviders(ctx, v.store, v.ui.secrets, folder, nil)
		return err
	}, func(err error) {
		if err != nil {
			v.ui.log.Error("publish provider list", "err", err)
			v.published.SetText("")
			showError(v.ui.win, "Publish the provider list", mailclient.PublishMessage(err))
			v.ui.reload()
			return
		}
		msg := fmt.Sprintf("Published list number %d in %s: %s, signed by your key\n%s\nColleagues get it at their next refresh.",
			r.Sequence, r.Dir, plural(len(r.Export.Files)-r.Export.Failed(), "provider"), data.KeyFingerprint(r.SignedBy))
		if n := r.Export.Failed(); n > 0 {
			msg += fmt.Sprintf(" %s could not be written (a provider needs a domain and both servers).", plural(n, "provider"))
		}
		showError(v.ui.win, "Publish the provider list", msg)
		v.ui.reload()
	})
}
