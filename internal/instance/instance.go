// Package instance keeps one Mailroom window per user and database. The first start claims
// the database: it holds a lock file and listens on a local socket in a folder only its user
// can open, both named for the database's path. A later start on the same database finds the
// lock taken and hands its arguments (a mailto: link, or nothing) to the first over the socket.
//
// The lock, not the socket, says whether Mailroom runs: the OS releases it when a process
// dies, however it dies, so a socket file left behind by a crash is recognised as stale and
// replaced. Go's AF_UNIX sockets work on Linux, macOS and Windows 10 (1803) and later.
package instance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrRunning is returned by Claim when another process already holds the database.
var ErrRunning = errors.New("mailroom already runs on this database")

// maxMessage bounds what one start may hand over (a long mailto: link fits).
const maxMessage = 1 << 20

// Primary is the claim of the process that runs Mailroom on a database.
type Primary struct {
	lock   *os.File
	ln     net.Listener
	socket string
	// Stale is true when a socket left by a Mailroom that ended without cleaning up was replaced.
	Stale bool
	// NoSocket says why there is no socket when none could be made (Wine has no AF_UNIX, a
	// path may be too long): the claim holds, but later starts cannot hand anything over.
	NoSocket error
	wg       sync.WaitGroup
}

type message struct {
	Args []string `json:"args"`
}

// paths returns the lock file and socket for dbPath inside dir.
func paths(dir, dbPath string) (lock, socket string) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		abs = dbPath
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(filepath.Clean(abs)))
	key := hex.EncodeToString(sum[:8])
	return filepath.Join(dir, key+".lock"), filepath.Join(dir, key+".sock")
}

// Claim makes this process the one running Mailroom on dbPath, using dir (see Dir) for its
// lock and socket. It returns ErrRunning when another process holds the claim, or another
// error when the lock cannot be taken (Mailroom can then run without the check).
func Claim(dir, dbPath string) (*Primary, error) {
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	lockPath, socket := paths(dir, dbPath)
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open instance lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	p := &Primary{lock: f, socket: socket}
	if _, err := os.Lstat(socket); err == nil {
		// Nobody holds the lock, so no Mailroom listens there any more.
		p.Stale = true
		if err := os.Remove(socket); err != nil {
			f.Close()
			return nil, fmt.Errorf("remove stale instance socket: %w", err)
		}
	}
	if p.ln, err = net.Listen("unix", socket); err != nil {
		p.ln, p.NoSocket = nil, fmt.Errorf("listen on instance socket: %w", err)
	}
	return p, nil
}

// Serve answers later starts until Close, calling handle with the arguments each hands over.
// handle runs on Serve's own goroutine, one start at a time, and should return quickly.
func (p *Primary) Serve(handle func(args []string)) {
	if p.ln == nil {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			conn, err := p.ln.Accept()
			if err != nil {
				return // closed
			}
			p.answer(conn, handle)
		}
	}()
}

// answer reads one start's arguments, hands them to handle and says it has them.
func (p *Primary) answer(conn net.Conn, handle func([]string)) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(conn, maxMessage)).ReadBytes('\n')
	var m message
	if err != nil || json.Unmarshal(line, &m) != nil {
		return
	}
	handle(m.Args)
	io.WriteString(conn, "ok\n")
}

// Close stops answering, removes the socket and releases the claim.
func (p *Primary) Close() error {
	var err error
	if p.ln != nil {
		err = p.ln.Close()
	}
	p.wg.Wait()
	if cerr := p.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// Hand gives args to the Mailroom running on dbPath and waits, up to timeout, until it says
// it has them. The running one may still be starting, so a refused connection is retried.
func Hand(dir, dbPath string, args []string, timeout time.Duration) error {
	_, socket := paths(dir, dbPath)
	deadline := time.Now().Add(timeout)
	for {
		err := handOnce(socket, args, deadline)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("hand over to the running mailroom: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func handOnce(socket string, args []string, deadline time.Time) error {
	conn, err := net.DialTimeout("unix", socket, time.Until(deadline))
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	msg, err := json.Marshal(message{Args: args})
	if err != nil {
		return err
	}
	if _, err := conn.Write(append(msg, '\n')); err != nil {
		return err
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if reply != "ok\n" {
		return fmt.Errorf("unexpected answer %q", reply)
	}
	return nil
}
