package gui

import (
	"context"
	"errors"

	"mailroom/data"
	"mailroom/mailclient"
)

// submit tests the mailbox and saves it when the test passes.
func (w *mailboxWindow) submit() {
	w.runTest(func(m *data.Mailbox, password string, pins []*data.CertPin) {
		w.saveMailbox(m, password, pins, w.ui.secrets)
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
	w.saveMailbox(m, password, w.lastPins, w.ui.secrets, func(saved *data.Mailbox) {
		w.store.SetMailboxState(context.Background(), saved.ID, data.MailboxError, failure)
	})
}

// store saves m (and its password, when one was typed) and closes the window. When the
// keyring is not available it offers to keep the password for this session only.
func (w *mailboxWindow) saveMailbox(m *data.Mailbox, password string, pins []*data.CertPin, secrets Secrets, after ...func(*data.Mailbox)) {
	found := w.current()
	secret, typed := w.signInSecret(password), w.signInSecret(w.password.Text)
	token, keep := w.signIn.token, w.keep.Checked
	w.ui.background(func(ctx context.Context) error {
		var err error
		switch {
		case w.orig == nil && found != nil && found.ID == 0:
			err = mailclient.SaveNewMailboxWithOwnSettings(ctx, w.store, secrets, m, found, secret, pins)
		case w.orig == nil:
			err = mailclient.SaveNewMailbox(ctx, w.store, secrets, m, secret, pins)
		default:
			err = mailclient.UpdateMailbox(ctx, w.store, secrets, m, typed, pins)
		}
		if err == nil && token != nil {
			w.ui.creds.Keep(m.KeyringRef, token)
		}
		if err == nil {
			err = saveKeep(ctx, w.store, m.ID, keep)
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
		w.ui.mailboxes.load()
		w.ui.mail.load() // the new mailbox's folders, and its first sync
		w.saved(m, len(after) > 0)
	})
}

// saved says that m was saved, keeping the test's steps and result in view, and goes on as the
// window of the saved mailbox: a later Save updates it.
func (w *mailboxWindow) saved(m *data.Mailbox, failing bool) {
	isNew := w.orig == nil
	c := *m
	w.orig = &c
	w.win.SetTitle("Mailbox — " + m.Address)
	setEnabled(w.address, false)
	w.password.SetText("")
	w.password.SetPlaceHolder("Leave empty to keep the saved password")
	if own := w.current(); own != nil && own.ID == 0 { // its own settings have an ID now
		p := *own
		p.ID = m.ProviderID
		login := w.login.Text
		w.typed = nil
		w.setProvider(&p)
		w.login.SetText(login)
		w.showHint("These settings are kept with this mailbox only.")
	}
	w.providerPick.Hide()
	w.useFound.Hide()
	w.addFound.Hide()
	w.saveAnyway.Hide()
	w.hideCertChoice()
	w.dirty = false
	w.closeBtn.SetText("Close")
	verb := "Saved"
	if !isNew {
		verb = "Changes saved"
	}
	switch {
	case failing:
		w.showResult(false, verb+", though the test failed: "+mailclient.Explain(w.lastErr)+
			" The Mailboxes list shows it as not working until a test passes.")
	case isNew:
		w.showResult(true, verb+": both servers work. Mailroom is downloading the mail of "+m.Address+" now; see Mail.")
	default:
		w.showResult(true, verb+": both servers work.")
	}
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
