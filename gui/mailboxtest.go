package gui

import (
	"context"
	"errors"

	"mailroom/data"
	"mailroom/mailclient"
)

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
	settings := mailclient.SettingsFor(w.current(), m.Login, &mailclient.Trust{Pins: w.store, Proposed: w.proposed})
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
			w.ui.onUI(func() {
				w.steps.show(st)
			})
		})
	}, func(err error) {
		w.testBtn.Enable()
		w.save.Enable()
		w.lastErr = err
		w.lastPins = pins.Pins(settings) // certificates trusted in this test, kept by "Save anyway" too
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

// testFailed says why; an untrusted certificate is offered to be trusted after comparing its
// fingerprint, and any other failure may be saved anyway (never a certificate problem).
func (w *mailboxWindow) testFailed(err error) {
	w.ui.log.Warn("mailbox test", "err", err)
	w.showResult(false, mailclient.Explain(err))
	w.untrusted = untrustedCerts(err)
	w.renewed = renewedCerts(err)
	var pm *mailclient.PinMismatchError
	switch {
	case len(w.renewed) > 0:
		w.showRenewedChoice()
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
