package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// Fyne 2.7 remembers no window position and has no call to read or set one, so Mailroom asks
// the window system itself through the window's native handle: X11 and Windows here
// (windowpos_x11.go, windowpos_windows.go). On Wayland a program may not place its windows,
// and on macOS this is not done yet: there the desktop chooses the place.

const (
	prefWindowX = "window.x"
	prefWindowY = "window.y"
)

// savePosition keeps where win is on the screen, where the platform can say.
func savePosition(win fyne.Window, prefs fyne.Preferences) {
	native, ok := win.(driver.NativeWindow)
	if !ok {
		return
	}
	native.RunNative(func(ctx any) {
		if x, y, ok := nativePosition(ctx); ok {
			prefs.SetInt(prefWindowX, x)
			prefs.SetInt(prefWindowY, y)
		}
	})
}

// restorePosition puts a shown win back where it was last, when that place is still on a screen.
func restorePosition(win fyne.Window, prefs fyne.Preferences) {
	x, y := prefs.IntWithFallback(prefWindowX, -1<<30), prefs.IntWithFallback(prefWindowY, -1<<30)
	native, ok := win.(driver.NativeWindow)
	if !ok || x == -1<<30 || y == -1<<30 {
		return
	}
	native.RunNative(func(ctx any) { moveNative(ctx, x, y) })
}
