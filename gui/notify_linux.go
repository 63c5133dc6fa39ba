package gui

import (
	"sync"

	"github.com/godbus/dbus/v5"
)

const notifications = "org.freedesktop.Notifications"

// clickNotifier sends freedesktop notifications with a default action (what a click on the
// notification does) and runs the matching callback when the notification server says it
// was clicked.
type clickNotifier struct {
	conn    *dbus.Conn
	mu      sync.Mutex
	pending map[uint32]func() // by notification id
}

// newClickNotifier listens on conn for clicks on notifications; nil without a session bus.
func newClickNotifier(conn *dbus.Conn) *clickNotifier {
	if conn == nil {
		return nil
	}
	n := &clickNotifier{conn: conn, pending: map[uint32]func(){}}
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(notifications)); err != nil {
		return nil
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go n.listen(signals)
	return n
}

// sessionNotifier is a clickNotifier on the session bus, nil when there is none.
func sessionNotifier() *clickNotifier {
	conn, err := dbus.SessionBus() // shared with Fyne; never closed
	if err != nil {
		return nil
	}
	return newClickNotifier(conn)
}

func (n *clickNotifier) listen(signals <-chan *dbus.Signal) {
	for s := range signals {
		if len(s.Body) == 0 {
			continue
		}
		id, ok := s.Body[0].(uint32)
		if !ok {
			continue
		}
		n.mu.Lock()
		open := n.pending[id]
		delete(n.pending, id)
		n.mu.Unlock()
		if s.Name == notifications+".ActionInvoked" && open != nil {
			open()
		}
	}
}

// send shows a notification whose click runs open; false when the server refused it.
func (n *clickNotifier) send(app, title, text string, open func()) bool {
	var id uint32
	err := n.conn.Object(notifications, "/org/freedesktop/Notifications").Call(notifications+".Notify", 0,
		app, uint32(0), "", title, text, []string{"default", "Open"}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	if err != nil {
		return false
	}
	n.mu.Lock()
	n.pending[id] = open
	n.mu.Unlock()
	return true
}
