// Command hostile runs Mailroom's commands against each mode of the hostile IMAP server
// (internal/hostileimap) and prints, per mode, the command's peak RSS and time to failure,
// the sentence it ended with, and the largest text field the database holds, beside the
// goal: peak RSS at most 300 MB, an end within the command's budget with a plain sentence
// naming the server's fault, and nothing oversized stored.
//
// Each case gets a fresh database with one mailbox on the hostile server (its certificate
// pinned, its password in the keyring: run it under .ci/with-test-env.sh), then runs the real
// mailroom binary as a child and reads the child's peak RSS from its resource usage. Opening
// a message has no command of its own, so this program runs that itself in a child (-open).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mailroom/data"
	"mailroom/internal/hostileimap"
	"mailroom/mailclient"
)

const (
	address  = "ann@hostile.test"
	password = "hostile-test-password"
	goalRSS  = 300 // MB
	goalText = 64 << 10
)

// step is one thing a case runs.
type step struct {
	mode hostileimap.Mode
	cmd  string // "mailbox test", "sync" or "open" (open the first message, fetching its body)
}

var plan = []step{
	{hostileimap.GreetingLine, "mailbox test"},
	{hostileimap.GreetingLine, "sync"},
	{hostileimap.FetchLine, "sync"},
	{hostileimap.EnvelopeLiteral, "sync"},
	{hostileimap.BodyOversize, "open"},
	{hostileimap.Trickle, "mailbox test"},
	{hostileimap.Trickle, "sync"},
	{hostileimap.ManyFolders, "mailbox test"},
	{hostileimap.ManyFolders, "sync"},
	{hostileimap.Silent, "mailbox test"},
	{hostileimap.Silent, "sync"},
}

func main() {
	mailroom := flag.String("mailroom", "", "the mailroom binary")
	dir := flag.String("dir", os.TempDir(), "folder for the databases")
	only := flag.String("modes", "", "comma-separated modes to run; default all")
	limit := flag.Duration("limit", 10*time.Minute, "kill a command still running after this long")
	open := flag.String("open", "", "internal: open the first message of the mailbox in this database")
	flag.Parse()
	if *open != "" {
		os.Exit(openFirst(*open))
	}
	if *mailroom == "" {
		fmt.Fprintln(os.Stderr, "hostile: -mailroom is required")
		os.Exit(2)
	}
	fmt.Printf("%-17s %-13s %9s %9s %5s %10s %8s  %s\n", "mode", "command", "peak RSS", "time", "exit", "longest", "folders", "what the person was told")
	failed := false
	for _, st := range plan {
		if *only != "" && !strings.Contains(","+*only+",", ","+string(st.mode)+",") {
			continue
		}
		r, err := run(st, *mailroom, *dir, *limit)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hostile: %s %s: %v\n", st.mode, st.cmd, err)
			os.Exit(1)
		}
		ok := r.rssMB <= goalRSS && !r.killed && r.longest <= goalText && r.told != "" && r.inForce()
		mark := "ok"
		if !ok {
			mark, failed = "MISSED", true
		}
		fmt.Printf("%-17s %-13s %6d MB %8.1fs %5d %8d B %8d  %s [%s]\n", st.mode, st.cmd, r.rssMB, r.took.Seconds(), r.exit,
			r.longest, r.folders, r.told, mark)
	}
	fmt.Printf("goal: peak RSS <= %d MB, every command ends by itself (none killed at %s or above %d MB) with a sentence "+
		"(a timeout it names is the time it took), no stored text field over %d bytes\n", goalRSS, *limit, maxRSS>>20, goalText)
	if failed {
		os.Exit(1)
	}
}

// result is what one case measured.
type result struct {
	rssMB   int64
	took    time.Duration
	exit    int
	killed  bool
	told    string // the last line the command printed on stderr, or the mailbox's recorded error
	longest int64  // the longest text field of a stored message
	folders int
}

func run(st step, mailroom, dir string, limit time.Duration) (*result, error) {
	srv, err := hostileimap.Start(st.mode, hostileimap.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	db := filepath.Join(dir, fmt.Sprintf("hostile-%s-%s.db", st.mode, strings.ReplaceAll(st.cmd, " ", "-")))
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	if err := setUp(db, srv); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	switch st.cmd {
	case "open":
		if _, err := exec.Command(mailroom, "--db", db, "sync", address).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("sync before open: %w", err)
		}
		self, _ := os.Executable()
		cmd = exec.Command(self, "-open", db)
	case "mailbox test":
		cmd = exec.Command(mailroom, "--db", db, "mailbox", "test", address)
	default:
		cmd = exec.Command(mailroom, "--db", db, "sync", address)
	}
	// GNU time reports the peak RSS of the command alone (the rusage of a child of this
	// program would start from this program's own, which exec inherits).
	rssFile := db + ".rss"
	cmd = exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile}, cmd.Args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	r := &result{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	kill := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	timer := time.AfterFunc(limit, kill)
	watched := make(chan watch)
	go func() { watched <- watchRSS(cmd.Process.Pid, kill) }()
	cmd.Wait()
	w := <-watched
	r.killed = !timer.Stop() || w.killed
	r.took = time.Since(start)
	r.exit = cmd.ProcessState.ExitCode()
	r.rssMB = w.peakKB >> 10
	if b, err := os.ReadFile(rssFile); err == nil && !r.killed {
		var kb int64
		if _, err := fmt.Sscan(string(b), &kb); err == nil {
			r.rssMB = kb >> 10
		}
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if told, ok := strings.CutPrefix(line, "mailroom: "); ok {
			r.told = told
		}
	}
	if r.killed {
		r.told = "(killed) " + r.told
	}
	return r, inspect(db, r)
}

// maxRSS is where a command is killed rather than let exhaust the machine.
const maxRSS = 2 << 30

// watch is what watchRSS saw.
type watch struct {
	peakKB int64 // the command's peak RSS as last seen
	killed bool
}

// watchRSS polls the peak resident memory of the command that GNU time (pid) runs until it
// ends, calling kill above maxRSS.
func watchRSS(pid int, kill func()) watch {
	var w watch
	for {
		children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if err != nil {
			return w
		}
		for _, c := range strings.Fields(string(children)) {
			b, _ := os.ReadFile("/proc/" + c + "/status")
			for _, line := range strings.Split(string(b), "\n") {
				var kb int64
				if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
					w.peakKB = max(w.peakKB, kb)
				}
			}
		}
		if w.peakKB<<10 > maxRSS && !w.killed {
			kill()
			w.killed = true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inForce reports whether a command that says it gave up after N seconds did so in about
// that time (with a few seconds for starting and slack), not some multiple of it.
func (r *result) inForce() bool {
	m := regexp.MustCompile(`within (\d+) seconds`).FindStringSubmatch(r.told)
	if m == nil {
		return true
	}
	n, _ := strconv.Atoi(m[1])
	return r.took <= time.Duration(n)*time.Second*3/2+5*time.Second
}

// setUp creates a database with the mailbox on srv, its certificate pinned and its password
// in the keyring.
func setUp(db string, srv *hostileimap.Server) error {
	s, err := data.Open(db, currentUser())
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	p := data.NewProvider()
	p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Security = "Hostile", "127.0.0.1", srv.Addr().Port, data.SecuritySSL
	p.SMTPEnabled, p.SMTP.Host = false, "127.0.0.1"
	if err := s.Save(ctx, p); err != nil {
		return err
	}
	if err := s.SaveCertPin(ctx, &data.CertPin{Host: "127.0.0.1", Port: srv.Addr().Port, SHA256: srv.Fingerprint}); err != nil {
		return err
	}
	m := &data.Mailbox{Address: address, ProviderID: p.ID, Login: address}
	if err := s.SaveMailbox(ctx, m); err != nil {
		return err
	}
	return data.NewSecrets().Set(ctx, m.KeyringRef, password)
}

// inspect reads the longest stored text field, the folder count, and the mailbox's error.
func inspect(db string, r *result) error {
	h, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		return err
	}
	defer h.Close()
	var longest sql.NullInt64
	if err := h.QueryRow(`SELECT max(max(length(CAST(subject AS BLOB))), max(length(CAST(from_name AS BLOB))),
		max(length(CAST(from_addr AS BLOB))), max(length(CAST(to_addrs AS BLOB))), max(length(CAST(message_id AS BLOB))),
		max(length(CAST(keywords AS BLOB)))) FROM messages`).Scan(&longest); err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	r.longest = longest.Int64
	if err := h.QueryRow(`SELECT count(*) FROM folders`).Scan(&r.folders); err != nil {
		return fmt.Errorf("count folders: %w", err)
	}
	return nil
}

// openFirst opens the first message of the mailbox in db as the reader does, printing the
// sentence of a failure on stderr; it returns the exit status.
func openFirst(db string) int {
	s, err := data.Open(db, currentUser())
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailroom:", err)
		return 1
	}
	defer s.Close()
	ctx := context.Background()
	m, err := s.MailboxByAddress(ctx, address)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailroom:", err)
		return 1
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil || len(fs) == 0 {
		fmt.Fprintln(os.Stderr, "mailroom: no folders", err)
		return 1
	}
	page, err := s.MessagePage(ctx, fs[0].ID, data.Cursor{}, 1)
	if err != nil || len(page) == 0 {
		fmt.Fprintln(os.Stderr, "mailroom: no messages", err)
		return 1
	}
	mail := &mailclient.Mail{Store: s, Secrets: data.NewSecrets()}
	if _, err := mail.OpenMessage(ctx, page[0].ID); err != nil {
		fmt.Fprintln(os.Stderr, "mailroom:", mailclient.Explain(err))
		return 1
	}
	fmt.Fprintln(os.Stderr, "mailroom: the message opened")
	return 0
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "user"
}
