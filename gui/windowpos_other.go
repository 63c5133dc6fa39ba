//go:build !windows && !(linux && !wayland && !ci)

package gui

func nativePosition(any) (x, y int, ok bool) { return 0, 0, false }

func moveNative(any, int, int) {}
