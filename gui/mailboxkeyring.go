package gui

import (
	"context"

	"fyne.io/fyne/v2/dialog"

	"mailroom/data"
	"mailroom/mailclient"
)

func (w *mailboxWindow) offerSessionOnly(m *data.Mailbox, password string, pins []*data.CertPin, after ...func(*data.Mailbox)) {
	d := dialog.NewConfirm("No keyring",
		mailclient.Explain(data.ErrNoKeyring)+"\n\nKeep the password in memory until Mailroom closes? It is never written to disk.",
		func(ok bool) {
			if ok {
				w.saveMailbox(m, password, pins, sessionSecrets{w.ui.secrets}, after...)
			}
		}, w.win)
	d.SetConfirmText("Keep for this session")
	d.SetDismissText("Cancel")
	d.Show()
}

// Secrets keeps mailbox passwords: the OS keyring, with a session-only fallback a person
// chooses explicitly. *data.Secrets has it.
type Secrets interface {
	mailclient.SecretStore
	SetForSession(ref, password string)
}

// sessionSecrets keeps passwords for this session only, in memory.
type sessionSecrets struct{ Secrets }

// Set keeps password in memory only.
func (s sessionSecrets) Set(_ context.Context, ref, password string) error {
	s.SetForSession(ref, password)
	return nil
}
