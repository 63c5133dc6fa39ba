package data

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// annAndBob opens one database as ann, its first user, and then as bob.
func annAndBob(t *testing.T) (ann, bob *Store) {
	path := filepath.Join(t.TempDir(), "mailroom.db")
	return openStore(t, path, "ann"), openStore(t, path, "bob")
}

func TestFirstUserManagesProviders(t *testing.T) {
	ann, bob := annAndBob(t)
	if !ann.Can(OpManageProviders) {
		t.Error("the database's first user cannot manage providers")
	}
	if bob.Can(OpManageProviders) {
		t.Error("the second user can manage providers without a grant")
	}
	carol := openStore(t, ann.Path(), "carol")
	if carol.Can(OpManageProviders) {
		t.Error("the third user can manage providers without a grant")
	}
	again := openStore(t, ann.Path(), "bob")
	if again.Can(OpManageProviders) {
		t.Error("bob gained the grant by starting again")
	}

	users, err := bob.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "ann", Granted: map[string]bool{OpManageProviders: true}},
		{Name: "bob", Granted: map[string]bool{}, IsActing: true},
		{Name: "carol", Granted: map[string]bool{}},
	}
	if !reflect.DeepEqual(users, want) {
		t.Errorf("Users = %+v\nwant %+v", users, want)
	}
}

// changes lists every change that needs OpManageProviders, acting through s on the rows of
// provider id (which owns aol.com).
func changes(s *Store, id int64) map[string]func() error {
	ctx := context.Background()
	return map[string]func() error{
		"Save new": func() error { return s.Save(ctx, testProvider("Bob's", "bob.example")) },
		"Save update": func() error {
			p, err := s.Get(ctx, id)
			if err != nil {
				return err
			}
			p.SMTPTimeout = 99
			return s.Save(ctx, p)
		},
		"Delete":       func() error { return s.Delete(ctx, id) },
		"SetDomain":    func() error { return s.SetDomain(ctx, "", "bob.test", id) },
		"DeleteDomain": func() error { return s.DeleteDomain(ctx, "aol.com") },
		"Grant":        func() error { return s.Grant(ctx, "bob", OpManageProviders) },
		"Revoke":       func() error { return s.Revoke(ctx, "ann", OpManageProviders) },
	}
}

func TestWithoutGrantNothingChanges(t *testing.T) {
	ann, bob := annAndBob(t)
	id := mustSave(t, ann, testProvider("AOL", "aol.com")).ID
	before := dump(t, ann)
	for name, change := range changes(bob, id) {
		if err := change(); !errors.Is(err, ErrPermission) {
			t.Errorf("%s without the grant: %v, want ErrPermission", name, err)
		}
	}
	if after := dump(t, ann); after != before {
		t.Errorf("refused changes changed the database:\n%s\nthen\n%s", before, after)
	}
}

func TestGrantAllowsChanges(t *testing.T) {
	ctx := context.Background()
	ann, bob := annAndBob(t)
	id := mustSave(t, ann, testProvider("AOL", "aol.com")).ID
	if err := ann.Grant(ctx, "bob", OpManageProviders); err != nil {
		t.Fatal(err)
	}
	if !bob.Can(OpManageProviders) {
		t.Fatal("bob cannot manage providers after the grant")
	}
	all := changes(bob, id)
	for _, name := range []string{"Save new", "Save update", "SetDomain", "DeleteDomain", "Grant", "Revoke", "Delete"} {
		if err := all[name](); err != nil {
			t.Errorf("%s with the grant: %v", name, err)
		}
	}
	if ann.Can(OpManageProviders) {
		t.Error("bob revoked ann's grant, yet ann still holds it")
	}
	if err := ann.Save(ctx, testProvider("Ann's", "ann.example")); !errors.Is(err, ErrPermission) {
		t.Errorf("Save right after the revoke: %v, want ErrPermission", err)
	}
	if err := ann.Grant(ctx, "nobody", OpManageProviders); !errors.Is(err, ErrPermission) {
		t.Errorf("Grant by a user without the grant: %v, want ErrPermission", err)
	}
	if err := bob.Grant(ctx, "nobody", OpManageProviders); !errors.Is(err, ErrNotFound) {
		t.Errorf("Grant to an unknown user: %v, want ErrNotFound", err)
	}
}

func TestRevokeKeepsLastHolder(t *testing.T) {
	ctx := context.Background()
	ann, bob := annAndBob(t)
	before := dump(t, ann)
	err := ann.Revoke(ctx, "ann", OpManageProviders)
	if !errors.Is(err, ErrLastHolder) || !errors.Is(err, ErrPermission) {
		t.Fatalf("revoke of the last holder: %v, want ErrLastHolder, an ErrPermission", err)
	}
	if after := dump(t, ann); after != before {
		t.Error("refused revoke changed the database")
	}
	if !ann.Can(OpManageProviders) {
		t.Fatal("the last holder lost the grant")
	}

	if err := ann.Grant(ctx, "bob", OpManageProviders); err != nil {
		t.Fatal(err)
	}
	if err := bob.Revoke(ctx, "ann", OpManageProviders); err != nil {
		t.Fatalf("revoke while another holds it: %v", err)
	}
	if err := bob.Revoke(ctx, "bob", OpManageProviders); !errors.Is(err, ErrLastHolder) {
		t.Fatalf("revoke of the new last holder: %v, want ErrLastHolder", err)
	}
	users, _ := ann.Users(ctx)
	if len(users) != 2 || users[0].Granted[OpManageProviders] || !users[1].Granted[OpManageProviders] {
		t.Errorf("Users = %+v; want only bob holding the grant", users)
	}
}

func TestOperationTitle(t *testing.T) {
	if got := OperationTitle(OpManageProviders); got != "Manage email providers" {
		t.Errorf("OperationTitle = %q", got)
	}
}
