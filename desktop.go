package main

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"mailroom/assets"
	"mailroom/gui"
	"mailroom/internal/instance"
)

// handOverTimeout is how long a second start waits for the running Mailroom to take its arguments.
const handOverTimeout = 20 * time.Second

// claimInstance makes this process the one Mailroom window on e.dbPath. When another already
// runs there it hands args (a mailto: link) to it instead, and handed is true with the exit
// code. A claim that cannot be made (no local sockets here) is logged and Mailroom runs anyway.
func claimInstance(e *env, args []string) (p *instance.Primary, handed bool, code int) {
	dir := instance.Dir()
	p, err := instance.Claim(dir, e.dbPath)
	switch {
	case err == nil:
		if p.Stale {
			e.log.Info("replaced the socket of a Mailroom that ended without closing it", "db", e.dbPath)
		}
		if p.NoSocket != nil {
			e.log.Warn("later starts on this database cannot hand over their links", "err", p.NoSocket)
		}
		return p, false, 0
	case !errors.Is(err, instance.ErrRunning):
		e.log.Warn("running without the one-window check", "err", err)
		return nil, false, 0
	}
	if err := instance.Hand(dir, e.dbPath, args, handOverTimeout); err != nil {
		e.log.Error("hand over to the running Mailroom", "db", e.dbPath, "err", err)
		return nil, true, startupProblem(e, "Mailroom already runs on "+e.dbPath+
			" but does not answer. Close that Mailroom (or end it in the task manager), then start it again.")
	}
	e.log.Info("handed over to the running Mailroom", "db", e.dbPath, "args", len(args))
	return nil, true, 0
}

// serveInstance gives what later starts hand over to open, on the UI goroutine.
func serveInstance(p *instance.Primary, open func(args []string)) {
	if p == nil {
		return
	}
	p.Serve(func(args []string) { fyne.Do(func() { open(args) }) })
}

// startupProblem says msg on stderr and in a window of its own, and returns exit code 1
// once that window is closed.
func startupProblem(e *env, msg string) int {
	fmt.Fprintf(e.stderr, "mailroom: %s\n", msg)
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon())
	gui.ShowProblem(a, "Mailroom is already running", msg)
	a.Run()
	return 1
}
