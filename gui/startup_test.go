package gui

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"mailroom/data"
)

// The window put up before the database opens is the one the screens are built into: a start
// shows one main window, never a second beside the first.
func TestStartingWindowBecomesTheMainWindow(t *testing.T) {
	a := test.NewTempApp(t)
	w := ShowStarting(a)
	s := openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann")
	u := New(a, s, data.NewSecrets(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	u.syncEvery, u.watchIdle, u.cacheDir = 0, false, t.TempDir()
	act(u, u.ShowMain)
	t.Cleanup(u.stopWorkers)
	u.jobs.Wait()
	if u.win != w {
		t.Fatal("the screens went into a new window instead of the one shown at start")
	}
	if n := mailroomWindows(a); n != 1 {
		t.Fatalf("%d windows are open after start, want the one main window", n)
	}
	if w.Content() != u.tabs {
		t.Fatal("the main window still shows its start page")
	}
}

// A database that cannot be opened is explained in the window already shown.
func TestStartupProblemUsesTheStartingWindow(t *testing.T) {
	a := test.NewTempApp(t)
	w := ShowStarting(a)
	ShowStartupProblem(a, "x.db is not a Mailroom database, or it is damaged. Choose another file with --db.")
	if n := mailroomWindows(a); n != 1 {
		t.Fatalf("%d windows are open, want the problem in the one shown at start", n)
	}
	if _, ok := w.Content().(startPage); ok {
		t.Fatal("the window still says it is opening the mail")
	}
}

// mailroomWindows counts the windows titled "Mailroom".
func mailroomWindows(a fyne.App) int {
	n := 0
	for _, w := range a.Driver().AllWindows() {
		if w.Title() == "Mailroom" {
			n++
		}
	}
	return n
}
