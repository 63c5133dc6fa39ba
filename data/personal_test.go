package data

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// Settings found for one person's mailbox are theirs: anyone may keep them, nobody else sees
// them on the list, and they go with the last mailbox that used them.
func TestPersonalProviderIsUnlistedAndGoesWithItsMailbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	admin := openStore(t, path, "admin")
	listed := mustSave(t, admin, testProvider("Listed", "listed.example"))
	ann := openStore(t, path, "ann")
	ctx := context.Background()

	p := testProvider("Found Mail", "found.example")
	p.ExternalID = "found.example"
	if err := ann.SavePersonalProvider(ctx, p, "ann@found.example"); err != nil {
		t.Fatalf("found settings could not be kept: %v", err)
	}
	if p.ID == 0 || len(p.Domains) != 0 || p.ExternalID != "" || p.Name != "Found Mail for ann@found.example" {
		t.Errorf("saved %+v", p)
	}
	if _, err := ann.ResolveProvider(ctx, "bob@found.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("personal settings took a domain: %v", err)
	}
	list, _ := admin.List(ctx)
	if len(list) != 1 || list[0].ID != listed.ID {
		t.Errorf("the list shows %d providers", len(list))
	}
	twin := testProvider("Found Mail", "found.example")
	if err := ann.SavePersonalProvider(ctx, twin, "ann@found.example"); err != nil || twin.Name == p.Name {
		t.Errorf("a second copy: %q, %v (names must stay unique)", twin.Name, err)
	}

	m := saveMailbox(t, ann, &Mailbox{Address: "ann@found.example", ProviderID: p.ID, Login: "ann"})
	if err := ann.DeletePersonalProvider(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Get(ctx, p.ID); err != nil {
		t.Errorf("settings in use were deleted: %v", err)
	}
	if err := ann.DeletePersonalProvider(ctx, listed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Get(ctx, listed.ID); err != nil {
		t.Errorf("a provider of the list was deleted as personal: %v", err)
	}
	if _, err := ann.DeleteMailbox(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Get(ctx, p.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("settings outlived their last mailbox: %v", err)
	}
}

func TestProviderUsedByMailboxesIsNotDeleted(t *testing.T) {
	s := newStore(t)
	p := mustSave(t, s, testProvider("Used", "used.example"))
	saveMailbox(t, s, &Mailbox{Address: "ann@used.example", ProviderID: p.ID, Login: "ann"})
	if err := s.Delete(context.Background(), p.ID); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete of a provider in use: %v", err)
	}
	if _, err := s.Get(context.Background(), p.ID); err != nil {
		t.Errorf("the provider is gone: %v", err)
	}
}
