package gui

import (
	"image/color"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"mailroom/data"
)

// Settings → Theme follows the system by default; Light and Dark apply at once, whatever the
// system's variant, and again at the next start.
func TestThemeChoiceAppliesAtOnceAndAtStart(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := newTestUI(t, s)
	if got := u.settings.theme.Selected; got != "Follow the system" {
		t.Fatalf("the theme chosen at first is %q, want Follow the system", got)
	}
	dark := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark)
	light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight)
	act(u, func() { u.settings.theme.SetSelected("Dark") })
	if got := backgroundColor(u.app, theme.VariantLight); !sameColor(got, dark) {
		t.Errorf("after choosing Dark, on a light system the background is %v, want %v", got, dark)
	}
	act(u, func() { u.settings.theme.SetSelected("Light") })
	if got := backgroundColor(u.app, theme.VariantDark); !sameColor(got, light) {
		t.Errorf("after choosing Light, on a dark system the background is %v, want %v", got, light)
	}
	act(u, func() { u.settings.theme.SetSelected("Follow the system") })
	if got := backgroundColor(u.app, theme.VariantDark); !sameColor(got, dark) {
		t.Errorf("following the system, on a dark system the background is %v, want %v", got, dark)
	}

	// The next start, with Dark chosen; this window's work ends first (two windows' applies
	// would race in Fyne's shared caches, which one window's lock does not cover).
	u.jobs.Wait()
	u.stopWorkers()
	u.jobs.Wait()
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefTheme, "dark")
	w := ShowStarting(a)
	if got := backgroundColor(a, theme.VariantLight); !sameColor(got, dark) {
		t.Errorf("a start with Dark chosen shows the background %v, want %v", got, dark)
	}
	next := New(a, s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	next.syncEvery, next.watchIdle, next.cacheDir = 0, false, t.TempDir()
	act(next, next.ShowMain)
	t.Cleanup(next.stopWorkers)
	next.jobs.Wait()
	if next.settings.theme.Selected != "Dark" || next.win != w {
		t.Errorf("at the next start Settings shows %q, want Dark", next.settings.theme.Selected)
	}
}

// backgroundColor is a's background colour when the system's variant is v.
func backgroundColor(a fyne.App, v fyne.ThemeVariant) color.Color {
	return a.Settings().Theme().Color(theme.ColorNameBackground, v)
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}
