package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// exitStopped is the exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells do).
const exitStopped = 130

// interruptible returns a context that Ctrl-C (or SIGTERM) cancels, so that a command stops
// cleanly, keeping what is done and saying so. Only the first signal is caught: from then on
// the signals have their usual effect again, so a second Ctrl-C ends at once a command that
// does not stop by itself. The CancelFunc releases the signals.
func interruptible() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
			cancel(errInterrupted)
		case <-ctx.Done():
		}
		signal.Stop(sig)
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// errInterrupted is the cause of a context that Ctrl-C cancelled.
var errInterrupted = interruptedError{}

type interruptedError struct{}

func (interruptedError) Error() string { return "interrupted" }

// stoppedStatus returns exitStopped when Ctrl-C ended a command that did not finish (it has
// said what became of its work), and the command's own status code otherwise.
func stoppedStatus(ctx context.Context, code int) int {
	if code == 0 || context.Cause(ctx) != errInterrupted {
		return code
	}
	return exitStopped
}
