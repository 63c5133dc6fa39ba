package mailclient

import (
	"context"
	"errors"
	"fmt"

	"mailroom/data"
)

// MailboxStore is what setting up and checking mailboxes needs of the database; *data.Store
// has it. Errors are those documented on data.Store.
type MailboxStore interface {
	PinSource
	Get(ctx context.Context, id int64) (*data.Provider, error)
	SaveMailbox(ctx context.Context, m *data.Mailbox) error
	DeleteMailbox(ctx context.Context, id int64) (*data.Mailbox, error)
	SetMailboxState(ctx context.Context, id int64, state data.MailboxState, lastError string) error
	SaveCertPin(ctx context.Context, p *data.CertPin) error
}

// SecretStore keeps passwords outside the database; *data.Secrets is the OS keyring.
type SecretStore interface {
	Set(ctx context.Context, ref, password string) error
	Get(ctx context.Context, ref string) (string, error)
	Delete(ctx context.Context, ref string) error
}

// PinRecorder collects, from the steps of a connection test, the certificates a person's pin
// or proposed fingerprint accepted, so they can be saved with the mailbox.
type PinRecorder struct {
	pinned map[Side]*data.CertPin
}

// Observe records st when it is a TLS step accepted by a pin.
func (r *PinRecorder) Observe(st Step) {
	if st.Status != StepDone || !st.Pinned || st.Cert == nil {
		return
	}
	if r.pinned == nil {
		r.pinned = map[Side]*data.CertPin{}
	}
	r.pinned[st.Side] = st.Cert.Pin()
}

// Pins returns the recorded pins with the host and port of their side in s.
func (r *PinRecorder) Pins(s Settings) []*data.CertPin {
	var out []*data.CertPin
	for side, pin := range r.pinned {
		ep := s.IMAP
		if side == Outgoing {
			ep = s.SMTP
		}
		if ep == nil {
			continue
		}
		p := *pin
		p.Host, p.Port = ep.Host, ep.Port
		out = append(out, &p)
	}
	return out
}

// SaveNewMailbox stores m as working, its password through secrets and the pins its test
// accepted. When secrets refuses the password (data.ErrNoKeyring among others) the mailbox is
// removed again and the error returned, so no mailbox is left without its password.
func SaveNewMailbox(ctx context.Context, store MailboxStore, secrets SecretStore, m *data.Mailbox, password string, pins []*data.CertPin) error {
	// The mailbox is "new" until its password and pins are saved too: the Coordinator
	// leaves a new mailbox alone, and syncs it once it is ready.
	m.State, m.LastError = data.MailboxNew, ""
	if err := store.SaveMailbox(ctx, m); err != nil {
		return fmt.Errorf("save mailbox %s: %w", m.Address, err)
	}
	if err := secrets.Set(ctx, m.KeyringRef, password); err != nil {
		if _, derr := store.DeleteMailbox(context.WithoutCancel(ctx), m.ID); derr != nil {
			err = errors.Join(err, fmt.Errorf("undo mailbox: %w", derr))
		}
		m.ID = 0
		return err
	}
	if err := savePins(ctx, store, pins); err != nil {
		return err
	}
	m.State = data.MailboxOK
	return store.SetMailboxState(ctx, m.ID, data.MailboxOK, "")
}

// UpdateMailbox stores the changed fields of a saved mailbox, its new password when one was
// typed (newPassword "" keeps the saved one), and the pins its test accepted.
func UpdateMailbox(ctx context.Context, store MailboxStore, secrets SecretStore, m *data.Mailbox, newPassword string, pins []*data.CertPin) error {
	if newPassword != "" {
		if err := secrets.Set(ctx, m.KeyringRef, newPassword); err != nil {
			return err
		}
	}
	m.State, m.LastError = data.MailboxOK, ""
	if err := store.SaveMailbox(ctx, m); err != nil {
		return fmt.Errorf("save mailbox %s: %w", m.Address, err)
	}
	return savePins(ctx, store, pins)
}

func savePins(ctx context.Context, store MailboxStore, pins []*data.CertPin) error {
	for _, pin := range pins {
		if err := store.SaveCertPin(ctx, pin); err != nil {
			return fmt.Errorf("save certificate pin of %s:%d: %w", pin.Host, pin.Port, err)
		}
	}
	return nil
}

// ErrNoPassword is returned by RetestMailbox when no password is saved for the mailbox.
var ErrNoPassword = errors.New("no password is saved for this mailbox")

// RetestMailbox tests the connection of a saved mailbox with its saved password and pins,
// reporting each step, and records the outcome as the mailbox's state (unless cancelled).
func RetestMailbox(ctx context.Context, store MailboxStore, secrets SecretStore, m *data.Mailbox, step func(Step)) error {
	p, err := store.Get(ctx, m.ProviderID)
	if err != nil {
		return fmt.Errorf("read provider of %s: %w", m.Address, err)
	}
	connected := false
	err = retryRefused(secrets, m, func() error {
		password, err := mailboxSecret(ctx, secrets, p, m)
		if connected = err == nil; !connected {
			return err
		}
		return TestConnection(ctx, SettingsFor(p, m.Login, &Trust{Pins: store}), password, step)
	})
	if !connected && !recorded(err) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	state, msg := StateOf(err)
	if serr := store.SetMailboxState(context.WithoutCancel(ctx), m.ID, state, msg); serr != nil {
		return errors.Join(err, fmt.Errorf("record state of %s: %w", m.Address, serr))
	}
	return err
}

// PasswordNotDeletedError is returned by RemoveMailbox when the mailbox is gone but the
// keyring could not delete its password; Err says why.
type PasswordNotDeletedError struct{ Err error }

// Error says that the password stayed behind, and why.
func (e *PasswordNotDeletedError) Error() string {
	return "mailbox removed, password not deleted: " + e.Err.Error()
}

// Unwrap returns why the keyring failed.
func (e *PasswordNotDeletedError) Unwrap() error { return e.Err }

// RemoveMailbox deletes mailbox id and everything kept for it, then its password. The mailbox
// goes first: an unavailable keyring must not keep it. A password already deleted by hand is
// not an error.
func RemoveMailbox(ctx context.Context, store MailboxStore, secrets SecretStore, id int64) (*data.Mailbox, error) {
	m, err := store.DeleteMailbox(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := secrets.Delete(ctx, m.KeyringRef); err != nil {
		return m, &PasswordNotDeletedError{Err: err}
	}
	return m, nil
}

// OwnSettingsStore keeps settings found for one person's mailbox outside the provider list;
// *data.Store has it.
type OwnSettingsStore interface {
	MailboxStore
	SavePersonalProvider(ctx context.Context, p *data.Provider, address string) error
	DeletePersonalProvider(ctx context.Context, id int64) error
}

// SaveNewMailboxWithOwnSettings saves p (settings found by discovery, not on the list) for
// this mailbox only, then the mailbox as SaveNewMailbox does; on failure neither is kept.
func SaveNewMailboxWithOwnSettings(ctx context.Context, store OwnSettingsStore, secrets SecretStore, m *data.Mailbox, p *data.Provider, password string, pins []*data.CertPin) error {
	own := *p
	if err := store.SavePersonalProvider(ctx, &own, m.Address); err != nil {
		return fmt.Errorf("save settings of %s: %w", m.Address, err)
	}
	m.ProviderID = own.ID
	if err := SaveNewMailbox(ctx, store, secrets, m, password, pins); err != nil {
		if derr := store.DeletePersonalProvider(context.WithoutCancel(ctx), own.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		return err
	}
	return nil
}
