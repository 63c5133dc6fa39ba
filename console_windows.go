package main

import (
	"os"
	"syscall"
)

// Mailroom for Windows is a GUI program (no console window opens when it starts), so what the
// command line prints would go nowhere. Started with arguments from a console (cmd,
// PowerShell), it writes to that console instead; output redirected to a file stays there.
func init() {
	if len(os.Args) < 2 {
		return
	}
	const attachParentProcess = ^uintptr(0) // (DWORD)-1
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	if ok, _, _ := attach.Call(attachParentProcess); ok == 0 {
		return // not started from a console: a desktop shortcut, a mailto: link
	}
	if out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		if unusable(os.Stdout) {
			os.Stdout = out
		}
		if unusable(os.Stderr) {
			os.Stderr = out
		}
	}
}

// unusable reports whether f is no stream: a GUI program started from a console gets none.
func unusable(f *os.File) bool {
	return f == nil || f.Fd() == 0 || syscall.Handle(f.Fd()) == syscall.InvalidHandle
}
