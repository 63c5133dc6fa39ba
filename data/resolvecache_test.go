package data

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// The resolve cache must never answer with what the database no longer says, whichever
// process changed it.
func TestResolveSeesChangesFromThisAndOtherStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	a := openStore(t, path, "ann")
	other := openStore(t, path, "ann") // a second window or process on the same file
	ctx := context.Background()
	p := mustSave(t, a, testProvider("Corp", "corp.example"))

	resolveHost := func(addr string) string {
		t.Helper()
		r, err := a.ResolveProvider(ctx, addr)
		if err != nil {
			t.Fatalf("ResolveProvider(%s): %v", addr, err)
		}
		return r.Provider.IMAP.Host
	}
	if h := resolveHost("ann@corp.example"); h != "imap.example.net" {
		t.Fatalf("host = %s", h)
	}

	q, _ := other.Get(ctx, p.ID)
	q.IMAP.Host = "imap.changed.example"
	if err := other.Save(ctx, q); err != nil {
		t.Fatal(err)
	}
	if h := resolveHost("ann@corp.example"); h != "imap.changed.example" {
		t.Errorf("after another store's change: host = %s", h)
	}

	if err := a.SetDomain(ctx, "", "mail.corp.example", mustSave(t, a, testProvider("Mail Corp")).ID); err != nil {
		t.Fatal(err)
	}
	r, err := a.ResolveProvider(ctx, "ann@mail.corp.example")
	if err != nil || r.Provider.Name != "Mail Corp" {
		t.Errorf("after adding a closer domain: %+v, %v", r, err)
	}

	if err := other.DeleteDomain(ctx, "corp.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ResolveProvider(ctx, "ann@corp.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the domain was deleted elsewhere: %v", err)
	}

	r, _ = a.ResolveProvider(ctx, "ann@mail.corp.example")
	r.Provider.Domains[0] = "mutated.example"
	again, _ := a.ResolveProvider(ctx, "ann@mail.corp.example")
	if again.Provider.Domains[0] != "mail.corp.example" {
		t.Error("a caller changing its result changed the cache")
	}
}
