package mailclient

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailroom/data"
	"mailroom/internal/testenv"
)

// TestSigningKeyLivesOnlyInTheOSKeyring publishes with the real keyring (gnome-keyring in
// the test environment) and checks that the secret key is there and nowhere else.
func TestSigningKeyLivesOnlyInTheOSKeyring(t *testing.T) {
	testenv.NeedKeyring(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mailroom.db")
	s := openStoreAt(t, path, "ann")
	secrets := data.NewSecrets()
	admin := &person{s: s}
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	dir := t.TempDir()
	r, err := PublishProviders(ctx, s, secrets, dir, nil)
	if err != nil {
		t.Fatalf("PublishProviders: %v", err)
	}
	k, err := s.SigningKey(ctx)
	if err != nil || k.PublicKey != r.SignedBy {
		t.Fatalf("SigningKey = %+v, %v", k, err)
	}
	t.Cleanup(func() { secrets.Delete(ctx, k.KeyringRef) })
	secret, err := secrets.Get(ctx, k.KeyringRef)
	if err != nil || !strings.HasPrefix(secret, "untrusted comment:") {
		t.Fatalf("keyring entry %s: %v", k.KeyringRef, err)
	}
	secretLine := strings.TrimSpace(secret[strings.Index(secret, "\n"):])
	if again, err := OwnPublicKey(ctx, s, secrets); err != nil || again != k.PublicKey {
		t.Fatalf("the key changed on second use: %v, %v", again, err)
	}
	s.Close()
	for _, f := range []string{path, path + "-wal", filepath.Join(dir, IndexFile), filepath.Join(dir, SignatureFile)} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secretLine)) || bytes.Contains(b, []byte(secretLine[:40])) {
			t.Errorf("%s holds the secret key", f)
		}
	}
	// Without the keyring entry the key is said lost, and no new key silently replaces it.
	other := openStoreAt(t, path, "ann")
	if err := secrets.Delete(ctx, k.KeyringRef); err != nil {
		t.Fatal(err)
	}
	if _, err := PublishProviders(ctx, other, secrets, dir, nil); !errors.Is(err, ErrSigningKeyLost) {
		t.Fatalf("publish without the secret key: %v, want ErrSigningKeyLost", err)
	}
}
