//go:build linux && !wayland && !ci

package gui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <unistd.h>

// Like GLFW: the position of a window is that of its top-left corner on the root window.
static int mr_window_pos(unsigned long w, int *x, int *y) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 0;
	Window child;
	int ok = XTranslateCoordinates(d, (Window)w, DefaultRootWindow(d), 0, 0, x, y, &child);
	XCloseDisplay(d);
	return ok;
}

// mr_managed reports whether a window manager has taken w on (it sets WM_STATE then).
static int mr_managed(Display *d, Window w) {
	Atom state = XInternAtom(d, "WM_STATE", True), type;
	if (state == None) return 0;
	int format;
	unsigned long n, after;
	unsigned char *data = NULL;
	int ok = XGetWindowProperty(d, w, state, 0, 2, False, AnyPropertyType, &type, &format, &n, &after, &data) == Success && type != None;
	if (data) XFree(data);
	return ok;
}

// Moves w to x, y when its top-left part would still be on the screen. A window manager
// places a window as it likes when it takes it on, so the move waits for that (up to 2 s:
// without a window manager nobody takes the window on, and the move works at once).
static int mr_move_window(unsigned long w, int x, int y) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 0;
	int s = DefaultScreen(d);
	int ok = x >= 0 && y >= 0 && x + 100 <= DisplayWidth(d, s) && y + 50 <= DisplayHeight(d, s);
	if (ok) {
		for (int i = 0; i < 100 && !mr_managed(d, (Window)w); i++) usleep(20000);
		XMoveWindow(d, (Window)w, x, y);
		XFlush(d);
	}
	XCloseDisplay(d);
	return ok;
}
*/
import "C"

import "fyne.io/fyne/v2/driver"

func nativePosition(ctx any) (x, y int, ok bool) {
	c, is := ctx.(driver.X11WindowContext)
	if !is || c.WindowHandle == 0 {
		return 0, 0, false
	}
	var cx, cy C.int
	if C.mr_window_pos(C.ulong(c.WindowHandle), &cx, &cy) == 0 {
		return 0, 0, false
	}
	return int(cx), int(cy), true
}

// moveNative moves the window in the background: it may wait for the window manager.
// The window's id stays valid while it waits, as the main window lives as long as Mailroom.
func moveNative(ctx any, x, y int) {
	if c, is := ctx.(driver.X11WindowContext); is && c.WindowHandle != 0 {
		go C.mr_move_window(C.ulong(c.WindowHandle), C.int(x), C.int(y))
	}
}
