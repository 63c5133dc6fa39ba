package gui

import (
	"os"
	"slices"
	"testing"

	"github.com/godbus/dbus/v5"
)

// notificationServer stands where a desktop's notification server does: it keeps what it is
// asked to show, and tells of clicks as the real ones do.
type notificationServer struct {
	conn    *dbus.Conn
	actions chan []string
}

func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.actions <- actions
	return 42, nil
}

func (s *notificationServer) click(id uint32) error {
	return s.conn.Emit("/org/freedesktop/Notifications", notifications+".ActionInvoked", id, "default")
}

func TestClickingANotificationOpensWhatItAnnounces(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no D-Bus session: run the tests through .ci/with-test-env.sh")
		}
		t.Skip("no D-Bus session (.ci/with-test-env.sh starts one)")
	}
	serverConn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer serverConn.Close()
	if reply, err := serverConn.RequestName(notifications, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("take the notification server's name: %v %v", reply, err)
	}
	srv := &notificationServer{conn: serverConn, actions: make(chan []string, 1)}
	if err := serverConn.Export(srv, "/org/freedesktop/Notifications", notifications); err != nil {
		t.Fatal(err)
	}

	appConn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer appConn.Close()
	n := newClickNotifier(appConn)
	opened := make(chan bool, 1)
	if !n.send("io.mailroom.app", "New mail", "1 new message in ann@example.test", func() { opened <- true }) {
		t.Fatal("the notification was not sent")
	}
	if actions := <-srv.actions; !slices.Contains(actions, "default") {
		t.Fatalf("actions %q: a click would do nothing", actions)
	}
	if err := srv.click(41); err != nil { // someone else's notification
		t.Fatal(err)
	}
	if err := srv.click(42); err != nil {
		t.Fatal(err)
	}
	<-opened
	select {
	case <-opened:
		t.Fatal("one click opened twice")
	default:
	}
}
