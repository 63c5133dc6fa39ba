package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name under which Mailroom's passwords are kept in the OS
// keyring; each entry's user name is a mailbox's KeyringRef.
const KeyringService = "Mailroom"

// ErrNoKeyring is returned when the OS keyring cannot be used: no Secret Service is running,
// it is locked, or it refused the request. The caller may then offer SetForSession.
// mailclient.Explain turns it into a sentence for people.
var ErrNoKeyring = errors.New("system keyring not available")

// keyringTimeout bounds one keyring call: a keyring that shows an unlock prompt nobody answers
// must not hang the caller.
const keyringTimeout = 30 * time.Second

// ring is the part of go-keyring that Secrets uses.
type ring interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

type osRing struct{}

func (osRing) Set(service, user, password string) error { return keyring.Set(service, user, password) }
func (osRing) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osRing) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Secrets keeps mailbox passwords in the OS keyring, and, only when the caller asks for it
// with SetForSession, in this process's memory until it ends. Passwords are never written
// anywhere else. Its methods are safe for concurrent use.
type Secrets struct {
	ring    ring
	timeout time.Duration

	mu      sync.Mutex
	session map[string]string // ref -> password, kept for this session only
}

// NewSecrets returns a Secrets over the OS keyring.
func NewSecrets() *Secrets {
	return &Secrets{ring: osRing{}, timeout: keyringTimeout, session: map[string]string{}}
}

// Set stores password in the OS keyring under ref, replacing any earlier one. It fails with
// ErrNoKeyring (wrapped) when the keyring cannot be used, or ctx's error.
func (s *Secrets) Set(ctx context.Context, ref, password string) error {
	if err := s.call(ctx, func() error { return s.ring.Set(KeyringService, ref, password) }); err != nil {
		return fmt.Errorf("save password %s: %w", ref, err)
	}
	s.mu.Lock()
	delete(s.session, ref) // the keyring's copy is the one that counts now
	s.mu.Unlock()
	return nil
}

// SetForSession keeps password in memory under ref until the process ends, for a person who
// chose to go on without a keyring. Get returns it before looking in the keyring.
func (s *Secrets) SetForSession(ref, password string) {
	s.mu.Lock()
	s.session[ref] = password
	s.mu.Unlock()
}

// InSession reports whether ref's password is kept for this session only.
func (s *Secrets) InSession(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.session[ref]
	return ok
}

// Get returns the password stored under ref. It fails with ErrNotFound when there is none,
// ErrNoKeyring (wrapped) when the keyring cannot be used, or ctx's error.
func (s *Secrets) Get(ctx context.Context, ref string) (string, error) {
	s.mu.Lock()
	p, ok := s.session[ref]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	err := s.call(ctx, func() error {
		var err error
		p, err = s.ring.Get(KeyringService, ref)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read password %s: %w", ref, err)
	}
	return p, nil
}

// Delete removes the password stored under ref, from memory and from the keyring. An entry
// that is already missing is not an error. It fails with ErrNoKeyring (wrapped) when the
// keyring cannot be used, or ctx's error.
func (s *Secrets) Delete(ctx context.Context, ref string) error {
	s.mu.Lock()
	delete(s.session, ref)
	s.mu.Unlock()
	err := s.call(ctx, func() error { return s.ring.Delete(KeyringService, ref) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete password %s: %w", ref, err)
	}
	return nil
}

// call runs fn, a keyring call that cannot be cancelled, and stops waiting for it when ctx
// ends or the timeout passes; the keyring's errors become ErrNotFound or ErrNoKeyring.
func (s *Secrets) call(ctx context.Context, fn func() error) error {
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return keyringError(err)
	case <-timer.C:
		return fmt.Errorf("no answer within %s: %w", s.timeout, ErrNoKeyring)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// keyringError maps go-keyring's errors to the store's: a missing entry is ErrNotFound, and
// anything else but an oversized password means the keyring itself failed.
func keyringError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("the password is too long for the keyring: %w", err)
	}
	return fmt.Errorf("%w: %w", ErrNoKeyring, err)
}
