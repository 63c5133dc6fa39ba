package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Start-up: the main window is put up before the database is open, so it appears as soon as
// a hello-world window would. Opening the store (its integrity check and migrations take a
// noticeable part of a second on a large cache) runs meanwhile, off the UI goroutine; New then
// builds the screens into this same window instead of opening a second one.

// startPage is what the main window shows while the database opens.
type startPage struct {
	*fyne.Container
}

// ShowStarting opens the main window at its remembered size with only "Opening your mail…" in
// it, and returns it. New and ShowStartupProblem use this window rather than opening another.
func ShowStarting(a fyne.App) fyne.Window {
	applyTheme(a) // the start page in the chosen theme already
	w := a.NewWindow("Mailroom")
	w.SetContent(startPage{container.NewCenter(widget.NewLabel("Opening your mail…"))})
	w.Resize(mainSize(a.Preferences()))
	w.SetMaster()
	w.Show()
	return w
}

// mainWindow is the window the main screens (or a start-up problem) go into: the one
// ShowStarting put up while it still shows its start page, else a new one.
func mainWindow(a fyne.App) fyne.Window {
	for _, w := range a.Driver().AllWindows() {
		if _, ok := w.Content().(startPage); ok {
			return w
		}
	}
	return a.NewWindow("Mailroom")
}

// mainSize is the main window's remembered size, 1100×720 the first time.
func mainSize(prefs fyne.Preferences) fyne.Size {
	return fyne.NewSize(
		float32(prefs.FloatWithFallback("window.width", 1100)),
		float32(prefs.FloatWithFallback("window.height", 720)))
}
