package gui

import (
	"context"
	"errors"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// tokenSecrets is the UI's Secrets with access tokens kept in memory between connections
// (mailclient.Credentials), so sync, sending and tests of an OAuth 2.0 mailbox refresh its
// token only when it is about to expire.
type tokenSecrets struct {
	*mailclient.Credentials
	base Secrets
}

// withTokens wraps secrets so OAuth 2.0 mailboxes get access tokens from their saved sign-in.
func withTokens(secrets Secrets) tokenSecrets {
	if t, ok := secrets.(tokenSecrets); ok {
		return t
	}
	return tokenSecrets{Credentials: mailclient.NewCredentials(secrets, nil), base: secrets}
}

// signInSecret returns what saving m keeps in the keyring: the typed password, or for an OAuth
// 2.0 provider the refresh token of this window's sign-in ("" when editing without one, which
// keeps the saved one).
func (w *mailboxWindow) signInSecret(password string) string {
	if !w.oauth() {
		return password
	}
	if w.signIn.token == nil {
		return ""
	}
	return w.signIn.token.RefreshToken
}

// SetForSession keeps a password in memory for this session only.
func (s tokenSecrets) SetForSession(ref, password string) { s.base.SetForSession(ref, password) }

// signInPanel is the part of the mailbox window that replaces the password for a provider that
// signs in through the browser: a button, what is happening, and the address to open by hand
// when no browser opened.
type signInPanel struct {
	content fyne.CanvasObject
	button  *widget.Button
	status  *widget.Label
	link    *widget.Hyperlink // the authorization address, for when no browser opened
	copy    *widget.Button    // copies it
	address string            // the authorization address while waiting
	stop    *widget.Button
	links   *fyne.Container
	cancel  context.CancelFunc
	token   *mailclient.Tokens // the sign-in of this window; nil until done
}

func (w *mailboxWindow) buildSignIn() {
	s := &signInPanel{}
	s.button = widget.NewButtonWithIcon("Sign in with your browser", theme.LoginIcon(), w.startSignIn)
	s.button.Importance = widget.HighImportance
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.link = widget.NewHyperlink("Open the sign-in page", nil)
	s.copy = widget.NewButtonWithIcon("Copy its address", theme.ContentCopyIcon(), func() {
		w.win.Clipboard().SetContent(s.address)
	})
	s.copy.Importance = widget.LowImportance
	s.stop = widget.NewButton("Stop waiting", w.stopSignIn)
	links := container.NewHBox(s.link, s.copy, s.stop)
	links.Hide()
	s.links = links
	s.content = container.NewVBox(container.NewHBox(s.button), s.status, links)
	s.content.Hide()
	w.signIn = s
}

// oauth reports whether the chosen provider signs in through the browser.
func (w *mailboxWindow) oauth() bool { return w.provider != nil && w.provider.UsesOAuth() }

// updateSignIn shows the password or the sign-in button, as the provider wants.
func (w *mailboxWindow) updateSignIn() {
	s := w.signIn
	if !w.oauth() {
		s.content.Hide()
		w.password.Show()
		w.passwordLabel.SetText("Password")
		return
	}
	w.password.Hide()
	s.content.Show()
	w.passwordLabel.SetText("Sign-in")
	switch {
	case w.provider.NeedsClientID():
		s.button.Disable()
		s.status.Importance = widget.DangerImportance
		s.status.SetText(mailclient.Explain(mailclient.ErrNoClientID))
	case s.token != nil:
		s.button.Enable()
		s.status.Importance = widget.SuccessImportance
		s.status.SetText("Signed in. Save tests the connection and keeps the sign-in in the system keyring.")
	default:
		s.button.Enable()
		s.status.Importance = widget.MediumImportance
		s.status.SetText("Your browser opens at " + w.provider.Name + "'s sign-in page; Mailroom never sees your password.")
		if w.orig != nil {
			s.button.SetText("Sign in again")
			s.status.SetText("The saved sign-in is kept until you sign in again.")
		}
	}
}

// startSignIn opens the browser at the provider's sign-in page and waits for it to come back.
func (w *mailboxWindow) startSignIn() {
	s := w.signIn
	p := w.provider
	address := w.address.Text
	if p == nil && w.orig != nil {
		w.signInOnLoad = true // once the mailbox's provider is read
		return
	}
	w.signInOnLoad = false
	if !w.oauth() {
		return
	}
	if _, _, err := data.SplitAddress(address); err != nil {
		w.setError(data.FieldAddress, err.Error())
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.token = nil
	s.button.Disable()
	s.status.Importance = widget.MediumImportance
	s.status.SetText("Waiting for your browser (up to 5 minutes)…")
	creds := w.ui.creds
	var tok *mailclient.Tokens
	w.ui.background(func(context.Context) error {
		defer cancel()
		var err error
		tok, err = creds.SignInMailbox(ctx, p, address, func(addr string) error {
			u, err := url.Parse(addr)
			if err != nil {
				return err
			}
			w.ui.onUI(func() {
				s.address = addr
				s.link.SetURL(u)
				s.links.Show()
				if err := w.ui.app.OpenURL(u); err != nil {
					s.status.SetText("The browser did not open. Open the sign-in page below, or copy its address into your browser.")
				}
			})
			return nil
		}, 0)
		return err
	}, func(err error) {
		s.button.Enable()
		s.links.Hide()
		s.address = ""
		switch {
		case errors.Is(err, context.Canceled):
			s.status.Importance = widget.MediumImportance
			s.status.SetText("Sign-in stopped; nothing was saved.")
			return
		case err != nil:
			s.status.Importance = widget.DangerImportance
			s.status.SetText(w.ui.explain("sign in", err))
			return
		}
		s.token = tok
		w.changed(fieldPassword)
		w.updateSignIn()
	})
}

// stopSignIn cancels a sign-in that is waiting for the browser.
func (w *mailboxWindow) stopSignIn() {
	if w.signIn.cancel != nil {
		w.signIn.cancel()
	}
}
