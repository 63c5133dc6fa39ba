package gui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/internal/testenv"
	"mailroom/mailclient"
)

// dropKey removes the store's signing key from the keyring when the test ends.
func dropKey(t *testing.T, s *data.Store) {
	t.Cleanup(func() {
		if k, err := s.SigningKey(context.Background()); err == nil {
			data.NewSecrets().Delete(context.Background(), k.KeyringRef)
		}
	})
}

// publishedList makes an administrator's database with one provider and publishes it in a
// folder; it returns the folder and the administrator's public key.
func publishedList(t *testing.T) (string, string) {
	t.Helper()
	admin := openStore(t, filepath.Join(t.TempDir(), "admin.db"), "ann")
	dropKey(t, admin)
	p := data.NewProvider()
	p.Name, p.Domains, p.IMAP.Host, p.SMTP.Host = "Office", []string{"office.test"}, "imap.office.test", "smtp.office.test"
	if err := admin.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "shared")
	r, err := mailclient.PublishProviders(context.Background(), admin, data.NewSecrets(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir, r.SignedBy
}

func TestPublishFromSettings(t *testing.T) {
	testenv.NeedKeyring(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	dropKey(t, s)
	p := data.NewProvider()
	p.Name, p.Domains, p.IMAP.Host, p.SMTP.Host = "Office", []string{"office.test"}, "imap.office.test", "smtp.office.test"
	if err := s.Save(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	dir := filepath.Join(t.TempDir(), "shared")
	act(u, func() { u.settings.doPublish("shared") })
	if msg := dialogText(t, u.win); !strings.Contains(msg, "full path") {
		t.Fatalf("a relative folder: dialog %q", msg)
	}
	entered := false
	for _, o := range overlayObjects(t, u.win) {
		if e, ok := o.(*escEntry); ok && e.Text == "shared" {
			entered = true
		}
	}
	if !entered {
		t.Error("the folder typed was lost")
	}
	act(u, func() { u.settings.doPublish(dir) })
	u.jobs.Wait()
	k, err := s.SigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msg := dialogText(t, u.win)
	if !strings.Contains(msg, "Published list number 1 in "+dir+": 1 provider, signed by your key\n"+data.KeyFingerprint(k.PublicKey)) {
		t.Fatalf("dialog %q", msg)
	}
	for _, f := range []string{"office.test.xml", mailclient.IndexFile, mailclient.SignatureFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(u.settings.published.Text, "Last published: list number 1 in "+dir) {
		t.Errorf("settings say %q", u.settings.published.Text)
	}
	if !strings.Contains(u.perms.ownPrint.Text, data.KeyFingerprint(k.PublicKey)) || len(u.perms.shown) != 1 {
		t.Errorf("permissions screen: %q, %d publishers", u.perms.ownPrint.Text, len(u.perms.shown))
	}
}

func TestSubscribeAsksToCompareTheFingerprint(t *testing.T) {
	testenv.NeedKeyring(t)
	list, adminKey := publishedList(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "bea")
	u := newTestUI(t, s)

	// A key that is not one is named beside its field.
	act(u, func() {
		u.settings.source.SetText(list)
		u.settings.key.SetText("RWQ-not-a-key")
		test.Tap(u.settings.subscribe)
	})
	if !u.settings.keyErr.Visible() || !strings.Contains(u.settings.keyErr.Text, "not a minisign public key") {
		t.Fatalf("key error %q", u.settings.keyErr.Text)
	}
	// Another real key: the list is not signed by it.
	other := openStore(t, filepath.Join(t.TempDir(), "o.db"), "mallory")
	dropKey(t, other)
	otherKey, err := mailclient.OwnPublicKey(context.Background(), other, data.NewSecrets())
	if err != nil {
		t.Fatal(err)
	}
	act(u, func() {
		u.settings.key.SetText(otherKey)
		test.Tap(u.settings.subscribe)
	})
	u.jobs.Wait()
	if !u.settings.keyErr.Visible() || !strings.Contains(u.settings.keyErr.Text, "not signed by this key") {
		t.Fatalf("key error %q", u.settings.keyErr.Text)
	}
	if _, err := s.Subscription(context.Background()); err == nil {
		t.Fatal("subscribed with a key that did not sign the list")
	}

	// No key: Mailroom reads who signed the list and asks to compare before trusting it.
	act(u, func() {
		u.settings.key.SetText("")
		test.Tap(u.settings.subscribe)
	})
	u.jobs.Wait()
	msg := dialogText(t, u.win)
	if !strings.Contains(msg, "signed by ann (list number 1)") || !strings.Contains(msg, data.KeyFingerprint(adminKey)) {
		t.Fatalf("compare dialog %q", msg)
	}
	act(u, func() { confirmTop(t, u) })
	quiet(t, u) // the screens showing providers reload
	if !strings.Contains(u.settings.status.Text, "Following "+list) || !strings.Contains(u.settings.status.Text, "list number 1") {
		t.Errorf("settings status = %q", u.settings.status.Text)
	}
	if u.providers.rows.len() != 1 || !strings.Contains(u.providers.banner.Text, "can be changed only by its publishers") {
		t.Fatalf("grid rows %d, banner %q", u.providers.rows.len(), u.providers.banner.Text)
	}
	full, _ := s.Get(context.Background(), u.providers.rows.at(0).ID)
	if c := u.openCard(full); !c.readOnly || c.save.Visible() {
		t.Error("a provider from the shared list is editable for a subscriber")
	}
	// The publishers screen shows the list's publishers, read-only.
	if len(u.perms.shown) != 1 || u.perms.shown[0].Name != "ann" || !u.perms.grant.Disabled() {
		t.Errorf("permissions: %+v, grant disabled %v", u.perms.shown, u.perms.grant.Disabled())
	}
	// A tampered file is refused, the last good copy stays and the reason shows.
	os.WriteFile(filepath.Join(list, "office.test.xml"), []byte("<clientConfig/>"), 0o644)
	act(u, func() { test.Tap(u.settings.refresh) })
	u.jobs.Wait()
	if !strings.Contains(u.settings.status.Text, "changed after it was published") || u.providers.rows.len() != 1 {
		t.Errorf("after a tampered refresh: status %q, rows %d", u.settings.status.Text, u.providers.rows.len())
	}
}

// publisherRow returns the revoke button of the row naming name.
func publisherRow(t *testing.T, u *UI, name string) *widget.Button {
	t.Helper()
	for _, row := range u.perms.list.Objects[1:] {
		cells := row.(*fyne.Container).Objects
		if strings.HasPrefix(cells[0].(*widget.Label).Text, name) {
			return cells[2].(*fyne.Container).Objects[0].(*widget.Button)
		}
	}
	t.Fatalf("no row for %s", name)
	return nil
}

func TestGrantAndRevokeOnThePermissionsScreen(t *testing.T) {
	testenv.NeedKeyring(t)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	dropKey(t, s)
	colleague := openStore(t, filepath.Join(t.TempDir(), "b.db"), "bea")
	dropKey(t, colleague)
	beaKey, err := mailclient.OwnPublicKey(context.Background(), colleague, data.NewSecrets())
	if err != nil {
		t.Fatal(err)
	}
	u := newTestUI(t, s)
	if !strings.Contains(u.perms.status.Text, "No publishers yet") || !u.perms.makeKey.Visible() {
		t.Fatalf("status %q", u.perms.status.Text)
	}
	act(u, func() {
		test.Type(u.perms.key, "RWQnot-a-key")
		test.Tap(u.perms.grant)
	})
	if !u.perms.keyErr.Visible() || !strings.Contains(u.perms.keyErr.Text, "not a minisign public key") || !u.perms.nameErr.Visible() {
		t.Fatalf("key error %q, name error %q", u.perms.keyErr.Text, u.perms.nameErr.Text)
	}
	act(u, func() {
		u.perms.key.SetText(mailclient.PublicKeyText(beaKey)) // as minisign writes it, two lines
		test.Type(u.perms.name, "Bea")
	})
	if !strings.Contains(u.perms.keyPrint.Text, data.KeyFingerprint(beaKey)) {
		t.Errorf("fingerprint beside the key: %q", u.perms.keyPrint.Text)
	}
	act(u, func() { test.Tap(u.perms.grant) })
	if msg := dialogText(t, u.win); !strings.Contains(msg, "Grant Bea") || !strings.Contains(msg, data.KeyFingerprint(beaKey)) {
		t.Fatalf("compare dialog %q", msg)
	}
	act(u, func() { confirmTop(t, u) })
	eventually(t, u, "the screen shows both publishers", func() bool { return len(u.perms.shown) == 2 }) // it follows the store
	pubs, _ := s.Publishers(context.Background())
	if len(pubs) != 2 || len(u.perms.shown) != 2 || u.perms.key.Text != "" {
		t.Fatalf("publishers %+v, shown %d", pubs, len(u.perms.shown))
	}
	if !publisherRow(t, u, "ann (you)").Disabled() {
		t.Error("one can revoke oneself")
	}
	act(u, func() { test.Tap(publisherRow(t, u, "Bea")) })
	if msg := dialogText(t, u.win); !strings.Contains(msg, "Bea (fingerprint "+data.KeyFingerprint(beaKey)+") will no longer") {
		t.Fatalf("revoke dialog %q", msg)
	}
	act(u, func() { confirmTop(t, u) })
	eventually(t, u, "the screen shows one publisher", func() bool { return len(u.perms.shown) == 1 })
	if pubs, _ := s.Publishers(context.Background()); len(pubs) != 1 || len(u.perms.shown) != 1 {
		t.Fatalf("after revoking: %+v", pubs)
	}
	if !publisherRow(t, u, "ann (you)").Disabled() {
		t.Error("the last publisher can be revoked")
	}
}
