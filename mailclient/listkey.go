package mailclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"aead.dev/minisign"

	"mailroom/data"
)

// ErrSigningKeyLost is returned when the database has a signing key whose secret half is no
// longer in this computer's keyring (another computer, or a keyring that was reset).
var ErrSigningKeyLost = errors.New("the provider list's secret key is not in the system keyring")

// SigningKeyStore is what the signing key needs of the store (*data.Store has it).
type SigningKeyStore interface {
	// SigningKey returns the own key; an error wrapping data.ErrNotFound before the first.
	SigningKey(ctx context.Context) (*data.SigningKey, error)
	// SetSigningKey records the own key's public half; data.ErrConflict when there is one.
	SetSigningKey(ctx context.Context, publicKey, ref string) error
}

// signingKeyRef is the keyring entry of a secret key, under data.KeyringService.
func signingKeyRef(pub minisign.PublicKey) string {
	return fmt.Sprintf("provider-list-signing-key-%X", pub.ID())
}

// OwnPublicKey returns this database's public key for signing the provider list (the base64
// line of minisign's format), making the key pair on first use: the secret half goes only to
// the OS keyring. It fails with data.ErrNoKeyring (wrapped) or ErrSigningKeyLost; the
// secret key never appears in an error.
func OwnPublicKey(ctx context.Context, store SigningKeyStore, secrets SecretStore) (string, error) {
	_, pub, err := signingKey(ctx, store, secrets)
	return pub, err
}

// PublicKeyText returns a public key as minisign writes its .pub file.
func PublicKeyText(publicKey string) string {
	k, err := data.ParsePublicKey(publicKey)
	if err != nil {
		return publicKey
	}
	b, _ := k.MarshalText()
	return string(b) + "\n"
}

// signingKey returns the own key pair, making it on first use.
func signingKey(ctx context.Context, store SigningKeyStore, secrets SecretStore) (minisign.PrivateKey, string, error) {
	k, err := store.SigningKey(ctx)
	if errors.Is(err, data.ErrNotFound) {
		return newSigningKey(ctx, store, secrets)
	}
	if err != nil {
		return minisign.PrivateKey{}, "", err
	}
	text, err := secrets.Get(ctx, k.KeyringRef)
	if errors.Is(err, data.ErrNotFound) {
		return minisign.PrivateKey{}, "", fmt.Errorf("signing key %s: %w", data.KeyFingerprint(k.PublicKey), ErrSigningKeyLost)
	}
	if err != nil {
		return minisign.PrivateKey{}, "", fmt.Errorf("read signing key: %w", err)
	}
	var priv minisign.PrivateKey
	if priv.UnmarshalText([]byte(text)) != nil || !publicOf(priv).Equal(mustKey(k.PublicKey)) {
		return minisign.PrivateKey{}, "", fmt.Errorf("signing key %s: the keyring holds another key: %w",
			data.KeyFingerprint(k.PublicKey), ErrSigningKeyLost)
	}
	return priv, k.PublicKey, nil
}

// newSigningKey makes a key pair, keeps the secret half in the keyring and records the
// public half; when another process recorded one first, that one is used.
func newSigningKey(ctx context.Context, store SigningKeyStore, secrets SecretStore) (minisign.PrivateKey, string, error) {
	pub, priv, err := minisign.GenerateKey(nil)
	if err != nil {
		return minisign.PrivateKey{}, "", fmt.Errorf("make signing key: %w", err)
	}
	text, err := priv.MarshalText()
	if err != nil {
		return minisign.PrivateKey{}, "", fmt.Errorf("make signing key: %w", err)
	}
	ref := signingKeyRef(pub)
	if err := secrets.Set(ctx, ref, strings.TrimSpace(string(text))); err != nil {
		return minisign.PrivateKey{}, "", fmt.Errorf("keep signing key: %w", err)
	}
	if err := store.SetSigningKey(ctx, pub.String(), ref); err != nil {
		secrets.Delete(ctx, ref)
		if errors.Is(err, data.ErrConflict) {
			return signingKey(ctx, store, secrets)
		}
		return minisign.PrivateKey{}, "", err
	}
	return priv, pub.String(), nil
}

func publicOf(priv minisign.PrivateKey) minisign.PublicKey {
	pub, _ := priv.Public().(minisign.PublicKey)
	return pub
}

func mustKey(text string) minisign.PublicKey {
	k, _ := data.ParsePublicKey(text)
	return k
}
