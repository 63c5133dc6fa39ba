package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"mailroom/internal/testenv"
)

// failingRing answers every call with err, after delay.
type failingRing struct {
	err   error
	delay time.Duration
}

func (r failingRing) Set(string, string, string) error { time.Sleep(r.delay); return r.err }
func (r failingRing) Get(string, string) (string, error) {
	time.Sleep(r.delay)
	return "", r.err
}
func (r failingRing) Delete(string, string) error { time.Sleep(r.delay); return r.err }

func TestSecretsClassifiesKeyringErrors(t *testing.T) {
	tests := []struct {
		name      string
		ring      failingRing
		wantGet   error
		deleteErr bool
	}{
		{"missing entry", failingRing{err: keyring.ErrNotFound}, ErrNotFound, false},
		{"no session bus", failingRing{err: errors.New("dbus: couldn't determine address of session bus")}, ErrNoKeyring, true},
		{"no secret service", failingRing{err: fmt.Errorf("The name org.freedesktop.secrets was not provided")}, ErrNoKeyring, true},
		{"prompt never answered", failingRing{delay: time.Second}, ErrNoKeyring, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Secrets{ring: tt.ring, timeout: 50 * time.Millisecond, session: map[string]string{}}
			ctx := context.Background()
			if _, err := s.Get(ctx, "ref"); !errors.Is(err, tt.wantGet) {
				t.Errorf("Get = %v, want %v", err, tt.wantGet)
			}
			if err := s.Delete(ctx, "ref"); (err != nil) != tt.deleteErr {
				t.Errorf("Delete = %v, want error %v", err, tt.deleteErr)
			}
			if tt.wantGet == ErrNoKeyring {
				if err := s.Set(ctx, "ref", "hunter2"); !errors.Is(err, ErrNoKeyring) {
					t.Errorf("Set = %v, want ErrNoKeyring", err)
				}
			}
		})
	}
}

func TestSecretsSessionFallback(t *testing.T) {
	s := &Secrets{ring: failingRing{err: errors.New("no bus")}, timeout: time.Second, session: map[string]string{}}
	ctx := context.Background()
	if err := s.Set(ctx, "ref", "hunter2"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("Set = %v", err)
	}
	s.SetForSession("ref", "hunter2")
	if p, err := s.Get(ctx, "ref"); p != "hunter2" || err != nil || !s.InSession("ref") {
		t.Fatalf("Get after SetForSession = %q, %v", p, err)
	}
	// The keyring fails, but the session copy is gone either way.
	s.Delete(ctx, "ref")
	if s.InSession("ref") {
		t.Error("Delete left the session copy")
	}
}

func TestSecretsCancel(t *testing.T) {
	s := &Secrets{ring: failingRing{delay: time.Second}, timeout: time.Minute, session: map[string]string{}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Get(ctx, "ref"); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrNoKeyring) {
		t.Errorf("Get with an ended context = %v", err)
	}
}

func TestSecretsKeyringRoundTrip(t *testing.T) {
	testenv.NeedKeyring(t)
	s := NewSecrets()
	ctx := context.Background()
	ref := fmt.Sprintf("test-%d@example.test#0001", time.Now().UnixNano())
	t.Cleanup(func() { s.Delete(ctx, ref) })
	if _, err := s.Get(ctx, ref); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set = %v, want ErrNotFound", err)
	}
	for _, pw := range []string{"first pässword", "second:one\x01"} {
		if err := s.Set(ctx, ref, pw); err != nil {
			t.Fatalf("Set: %v", err)
		}
		if got, err := s.Get(ctx, ref); got != pw || err != nil {
			t.Fatalf("Get = %q, %v; want %q", got, err, pw)
		}
	}
	if err := s.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, ref); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
	if err := s.Delete(ctx, ref); err != nil {
		t.Errorf("Delete of a missing entry = %v, want nil", err)
	}
}

// TestSecretsNoKeyring runs the helper below in a child process whose session bus address
// points nowhere: the D-Bus connection is cached for the process, so the change cannot be
// made in this one.
func TestSecretsNoKeyring(t *testing.T) {
	if os.Getenv("MAILROOM_NO_KEYRING_CHILD") == "1" {
		s := NewSecrets()
		ctx := context.Background()
		err := s.Set(ctx, "nobody@example.test#0", "hunter2")
		if !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("Set = %v, want ErrNoKeyring", err)
		}
		if _, err := s.Get(ctx, "nobody@example.test#0"); !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("Get = %v, want ErrNoKeyring", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecretsNoKeyring$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MAILROOM_NO_KEYRING_CHILD=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+t.TempDir()+"/no-bus")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("ErrNoKeyring took %s; it must come at once", d)
	}
}
