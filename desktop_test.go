package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// desktop is an X display of its own and the environment Mailroom processes run in there.
type desktop struct {
	t       *testing.T
	display string
	home    string // the temporary home of its processes
	run     string // their XDG_RUNTIME_DIR
	env     []string
	procs   []*exec.Cmd
}

// newDesktop starts Xvfb on a free display; Mailroom's folders go to a temporary home.
func newDesktop(t *testing.T) *desktop {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed: make test installs it", tool)
			}
			t.Skipf("%s is not installed (make test installs it)", tool)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { x.Process.Kill(); x.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not say its display: %v", err)
	}
	home := t.TempDir()
	// A socket's path has at most 108 bytes, so the run folder gets a short name of its own.
	run, err := os.MkdirTemp("", "mr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	d := &desktop{t: t, display: ":" + strings.TrimSpace(line), home: home, run: run}
	d.env = append(os.Environ(), "MAILROOM_TEST_AS_MAIN=1", "DISPLAY="+d.display, "HOME="+home,
		"XDG_RUNTIME_DIR="+run, "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	t.Cleanup(func() {
		for _, p := range d.procs {
			if p.ProcessState == nil {
				p.Process.Kill()
				p.Wait()
			}
		}
	})
	return d
}

// mailroom starts Mailroom with args in the background.
func (d *desktop) mailroom(args ...string) *exec.Cmd {
	d.t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = d.env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.procs = append(d.procs, cmd)
	return cmd
}

// windows returns the ids of the windows on the display titled exactly title.
func (d *desktop) windows(title string) []string {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+title+"$")
	cmd.Env = d.env
	out, _ := cmd.Output() // exit 1 when there is none
	return strings.Fields(string(out))
}

// waitWindows waits until n windows titled title show, and returns them.
func (d *desktop) waitWindows(title string, n int) []string {
	d.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ids := d.windows(title)
		if len(ids) == n || time.Now().After(deadline) {
			if len(ids) != n {
				d.t.Fatalf("%d windows titled %q, want %d", len(ids), title, n)
			}
			return ids
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// focused is the id of the window that has the keyboard.
func (d *desktop) focused() string {
	cmd := exec.Command("xdotool", "getwindowfocus")
	cmd.Env = d.env
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

const link = "mailto:bob@example.test?cc=c@example.test&subject=Hello%20there&body=Hi"

func TestSecondStartHandsItsLinkToTheFirstAndExits(t *testing.T) {
	d := newDesktop(t)
	db := filepath.Join(t.TempDir(), "mail.db")
	first := d.mailroom("--db", db)
	main := d.waitWindows("Mailroom", 1)[0]

	second := d.mailroom("--db", db, link)
	if err := second.Wait(); err != nil {
		t.Fatalf("the second start: %v, want exit code 0", err)
	}
	d.waitWindows("Hello there", 1)
	if n := len(d.windows("Mailroom")); n != 1 {
		t.Fatalf("%d main windows, want the first start's only", n)
	}

	// A start without a link brings the main window to the front, over the compose window.
	if err := d.mailroom("--db", db).Wait(); err != nil {
		t.Fatalf("the third start: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for d.focused() != main && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if f := d.focused(); f != main {
		t.Fatalf("the focus is on window %s, want the main window %s", f, main)
	}

	// Another database is another Mailroom.
	d.mailroom("--db", filepath.Join(t.TempDir(), "other.db"))
	d.waitWindows("Mailroom", 2)
	if first.ProcessState != nil {
		t.Fatalf("the first Mailroom ended: %v", first.ProcessState)
	}
}

func TestStaleSocketOfAKilledMailroomDoesNotBlockTheNextStart(t *testing.T) {
	d := newDesktop(t)
	db := filepath.Join(t.TempDir(), "mail.db")
	killed := d.mailroom("--db", db)
	d.waitWindows("Mailroom", 1)
	killed.Process.Signal(syscall.SIGKILL)
	killed.Wait()
	d.waitWindows("Mailroom", 0)
	sockets, _ := filepath.Glob(filepath.Join(d.run, "mailroom", "*.sock"))
	if len(sockets) != 1 {
		out, _ := os.ReadFile(filepath.Join(d.home, "data", "Mailroom", "mailroom.log"))
		t.Fatalf("sockets left by the killed Mailroom: %q, want its one; %s", sockets, out)
	}

	next := d.mailroom("--db", db, link)
	d.waitWindows("Mailroom", 1)
	d.waitWindows("Hello there", 1)
	if err := d.mailroom("--db", db, "mailto:carol@example.test?subject=Second").Wait(); err != nil {
		t.Fatalf("a start after the replacement: %v", err)
	}
	d.waitWindows("Second", 1)
	if next.ProcessState != nil {
		t.Fatalf("the Mailroom that replaced the stale socket ended: %v", next.ProcessState)
	}
}
