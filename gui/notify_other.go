//go:build !linux

package gui

type clickNotifier struct{}

func sessionNotifier() *clickNotifier { return nil }

func (*clickNotifier) send(app, title, text string, open func()) bool { return false }
