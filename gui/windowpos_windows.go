package gui

import (
	"syscall"
	"unsafe"

	"fyne.io/fyne/v2/driver"
)

var (
	user32            = syscall.NewLazyDLL("user32.dll")
	procGetWindowRect = user32.NewProc("GetWindowRect")
	procSetWindowPos  = user32.NewProc("SetWindowPos")
	procMonitorFromPt = user32.NewProc("MonitorFromPoint")
)

type rect struct{ left, top, right, bottom int32 }

func nativePosition(ctx any) (x, y int, ok bool) {
	c, is := ctx.(driver.WindowsWindowContext)
	if !is || c.HWND == 0 {
		return 0, 0, false
	}
	var r rect
	if ret, _, _ := procGetWindowRect.Call(c.HWND, uintptr(unsafe.Pointer(&r))); ret == 0 {
		return 0, 0, false
	}
	return int(r.left), int(r.top), true
}

func moveNative(ctx any, x, y int) {
	c, is := ctx.(driver.WindowsWindowContext)
	if !is || c.HWND == 0 {
		return
	}
	// Only where a monitor still shows the window's title bar (MONITOR_DEFAULTTONULL).
	pt := uintptr(uint32(int32(x+50))) | uintptr(uint32(int32(y+10)))<<32
	if mon, _, _ := procMonitorFromPt.Call(pt, 0); mon == 0 {
		return
	}
	const swpNoSize, swpNoZOrder, swpNoActivate = 0x0001, 0x0004, 0x0010
	procSetWindowPos.Call(c.HWND, 0, uintptr(x), uintptr(y), 0, 0, swpNoSize|swpNoZOrder|swpNoActivate)
}
