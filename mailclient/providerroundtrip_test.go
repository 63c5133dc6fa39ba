package mailclient

import (
	"context"
	"errors"
	"testing"
	"time"

	"mailroom/data"
)

func TestExportThenImportIntoTheSameDatabase(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "ann")
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.SMTP.Host = "By Hand", "imap.hand.example", "smtp.hand.example"
	p.Domains = []string{"hand.example", "hand2.example"}
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exp, err := ExportProviders(ctx, listProviders(t, s), dir, nil)
	if err != nil || exp.Failed() > 0 {
		t.Fatalf("ExportProviders: %v %+v", err, exp)
	}
	for i, want := range []ImportStatus{ImportUnchanged, ImportUnchanged} {
		r := importOK(t, s, dir)
		if got := result(t, r, "hand.example.xml"); got.Status != want {
			t.Fatalf("import %d: %s %v, want %s", i+1, got.Status, got.Err, want)
		}
	}
	list := listProviders(t, s)
	if len(list) != 1 || list[0].ID != p.ID || list[0].ExternalID != "hand.example" || list[0].Name != "By Hand" {
		t.Fatalf("providers after the round trip: %+v", list)
	}
}

func TestImportSkipsManagedProviders(t *testing.T) {
	ctx := context.Background()
	admin, colleague := newPerson(t, "ann"), newPerson(t, "bea")
	admin.addProvider(t, "alpha.example", "imap.alpha.example")
	dir := t.TempDir()
	admin.publish(t, dir)
	s := colleague.s
	colleague.subscribe(t, dir, admin.key(t))
	if _, err := RefreshSubscription(ctx, s, nil); err != nil {
		t.Fatalf("RefreshSubscription: %v", err)
	}
	other := t.TempDir()
	writeConfig(t, other, "alpha.example.xml", configBody("alpha.example", "alpha.example", "imap2.alpha.example"))
	r := importOK(t, s, other)
	if got := result(t, r, "alpha.example.xml"); got.Status != ImportSkipped || !errors.Is(got.Err, data.ErrManaged) {
		t.Fatalf("import over a managed provider: %s %v", got.Status, got.Err)
	}
}

func TestAddDiscovered(t *testing.T) {
	ctx := context.Background()
	ds := newDiscoveryServer(t)
	ds.handle("ispdb.test/v1.1/example.test", serve(configBody("example.test", "example.test", "imap.example.test"), 0))
	s := openStore(t, "ann")
	found, err := ds.discoverer(time.Second).Discover(ctx, "ann@example.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := AddDiscovered(ctx, s, found)
	if err != nil || p.ID == 0 || p.ExternalID != "example.test" || len(p.Domains) != 1 || p.Domains[0] != "example.test" {
		t.Fatalf("AddDiscovered = %+v, %v", p, err)
	}
	// Now the domains lookup finds it first.
	d := ds.discoverer(time.Second)
	d.Providers = s
	again, err := d.Discover(ctx, "bob@example.test", nil)
	if err != nil || again.Source != SourceDomains || again.Provider.ID != p.ID {
		t.Fatalf("Discover after adding = %+v, %v", again, err)
	}
	if same, err := AddDiscovered(ctx, s, again); err != nil || same.ID != p.ID {
		t.Fatalf("AddDiscovered of a listed provider = %+v, %v", same, err)
	}
	// Another domain served by the same clientConfig id joins that provider.
	other := *found
	other.Domain = "example2.test"
	joined, err := AddDiscovered(ctx, s, &other)
	if err != nil || joined.ID != p.ID || len(joined.Domains) != 2 {
		t.Fatalf("AddDiscovered of a second domain = %+v, %v", joined, err)
	}
}
