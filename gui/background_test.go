package gui

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"mailroom/assets"
	"mailroom/data"
)

// trayApp is the test app with the system tray a desktop offers: it keeps what is put there.
type trayApp struct {
	fyne.App
	menu *fyne.Menu
	icon fyne.Resource
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *trayApp) Icon() fyne.Resource               { return assets.Icon() }

func (a *trayApp) item(t *testing.T, label string) *fyne.MenuItem {
	t.Helper()
	if a.menu == nil {
		t.Fatal("no tray menu")
	}
	for _, i := range a.menu.Items {
		if strings.HasPrefix(i.Label, label) {
			return i
		}
	}
	t.Fatalf("no %q in the tray menu", label)
	return nil
}

func trayUI(t *testing.T) (*UI, *trayApp) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	a := &trayApp{App: test.NewTempApp(t)}
	u := New(a, s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.discoverer, u.typingPause, u.syncEvery, u.watchIdle = offlineDiscoverer(), 0, 0, false
	u.cacheDir = t.TempDir()
	act(u, u.ShowMain)
	t.Cleanup(u.stopWorkers)
	u.jobs.Wait()
	return u, a
}

func isOpen(u *UI, w fyne.Window) bool {
	for _, o := range u.app.Driver().AllWindows() {
		if o == w {
			return true
		}
	}
	return false
}

func TestClosingTheWindowKeepsMailroomInTheTrayWhenAsked(t *testing.T) {
	u, a := trayUI(t)
	if a.menu != nil {
		t.Fatal("a tray icon before the setting was turned on")
	}
	act(u, u.closeMain)
	if isOpen(u, u.win) || u.runCtx.Err() == nil {
		t.Fatal("with the setting off, closing the window did not end Mailroom")
	}

	u, a = trayUI(t)
	act(u, func() { u.bg.setKeep(true) })
	a.item(t, "Open Mailroom")
	a.item(t, "Quit")
	if a.item(t, "Quit").IsQuit != true {
		t.Error("Quit is not the menu's quit item")
	}
	act(u, u.closeMain)
	if !isOpen(u, u.win) || u.runCtx.Err() != nil {
		t.Fatal("with the setting on, closing the window ended Mailroom")
	}

	before := len(u.app.Driver().AllWindows())
	act(u, a.item(t, "Compose").Action)
	if n := len(u.app.Driver().AllWindows()); n != before+1 {
		t.Fatalf("Compose in the tray opened %d windows", n-before)
	}

	folders := map[int64][]*data.Folder{1: {{FolderInfo: data.FolderInfo{Role: data.RoleInbox}, Unread: 2}, {FolderInfo: data.FolderInfo{Role: data.RoleTrash}, Unread: 5}},
		2: {{FolderInfo: data.FolderInfo{Role: data.RoleInbox}, Unread: 1}}}
	act(u, func() { u.bg.setUnread(unreadInboxes(folders)) })
	if l := a.item(t, "3 unread").Label; l != "3 unread messages in the Inbox" {
		t.Errorf("count in the tray = %q", l)
	}
	if a.icon == nil || a.icon.Name() != "mailroom-unread-3.png" {
		t.Errorf("tray icon = %v, want one with the count", a.icon)
	}

	act(u, a.item(t, "Quit").Action)
	if isOpen(u, u.win) || u.runCtx.Err() == nil {
		t.Fatal("Quit in the tray did not end Mailroom")
	}
}
