package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

// syncUsage is the synopsis of "mailroom sync".
const syncUsage = "mailroom sync [ADDRESS] [--folder NAME] [--headers-only]"

// syncCmd downloads new mail of one mailbox, or of every mailbox, into the database.
func syncCmd(e *env, args []string) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	folder := fs.String("folder", "", "sync only this folder")
	headersOnly := fs.Bool("headers-only", false, "do not download the bodies of messages kept on this computer")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 1 {
		fmt.Fprintln(e.stderr, "Usage: "+syncUsage)
		return 2
	}
	pos := fs.Args()
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		boxes, code := boxesToSync(ctx, e, s, pos)
		if boxes == nil {
			return code
		}
		secrets := data.NewSecrets()
		c := mailclient.NewCoordinator(s, secrets, mailclient.CoordinatorOptions{Log: e.log})
		status := 0
		for _, m := range boxes {
			code := syncOne(ctx, e, c, m, *folder)
			if code == 0 && !*headersOnly {
				code = downloadBodies(ctx, e, s, secrets, m)
			}
			if code != 0 {
				status = code
			}
			if ctx.Err() != nil {
				return 130
			}
		}
		return status
	})
}

// boxesToSync returns the mailbox named in pos, or every mailbox; nil and the exit status
// when there is none.
func boxesToSync(ctx context.Context, e *env, s *data.Store, pos []string) ([]*data.Mailbox, int) {
	if len(pos) == 1 {
		m, err := s.MailboxByAddress(ctx, pos[0])
		if err != nil {
			return nil, missingMailbox(e, pos[0], err)
		}
		return []*data.Mailbox{m}, 0
	}
	boxes, err := s.Mailboxes(ctx)
	if err != nil {
		return nil, fail(e, "list mailboxes", err)
	}
	if len(boxes) == 0 {
		fmt.Fprintln(e.stderr, "mailroom: you have no mailboxes (add one with mailroom mailbox add)")
		return nil, 1
	}
	return boxes, 0
}

// syncOne syncs folder ("" for all) of mailbox m through c, showing its progress.
func syncOne(ctx context.Context, e *env, c *mailclient.Coordinator, m *data.Mailbox, folder string) int {
	p := newProgressLine(e.stdout, m.Address)
	start := time.Now()
	stop := c.Listen(func(ev mailclient.SyncEvent) {
		switch {
		case ev.Mailbox.ID != m.ID:
		case ev.Kind == mailclient.SyncProgress:
			p.update(ev.Folder, ev.Done, ev.Total)
		case ev.Kind == mailclient.SyncWaiting:
			p.end()
			fmt.Fprintf(e.stdout, "%s: %s is being synced by another Mailroom (%s); waiting for it to finish.\n", m.Address, ev.Folder, ev.Owner)
		}
	})
	sums, err := c.Sync(ctx, m, folder)
	if ctx.Err() != nil {
		c.Stop()
	}
	stop()
	p.end()
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stdout, "%s: cancelled; the next sync continues where this one stopped.\n", m.Address)
		return 130
	case errors.Is(err, mailclient.ErrNoSuchFolder):
		fmt.Fprintf(e.stderr, "mailroom: %s has no folder %q\n", m.Address, folder)
		return 1
	case err != nil:
		return fail(e, "sync "+m.Address, err)
	}
	var added, changed, removed int
	for _, f := range sums {
		added, changed, removed = added+f.New, changed+f.Changed, removed+f.Removed
		if f.Reset {
			fmt.Fprintf(e.stdout, "%s: %s was renumbered on the server and was downloaded again.\n", m.Address, f.Folder)
		}
	}
	fmt.Fprintf(e.stdout, "%s: %d folders synced in %s: %d new, %d changed, %d removed.\n", m.Address, len(sums),
		time.Since(start).Round(time.Millisecond), added, changed, removed)
	return 0
}

// downloadBodies downloads the bodies of m's messages that are kept on this computer and not
// yet cached (mailclient.DownloadBodies), saying how many it stored.
func downloadBodies(ctx context.Context, e *env, s *data.Store, secrets *data.Secrets, m *data.Mailbox) int {
	p := newProgressLine(e.stdout, m.Address)
	n, err := mailclient.DownloadBodies(ctx, s, secrets, m, mailclient.BodyOptions{
		Progress: func(folder string, done int) { p.bodies(folder, done) }})
	p.end()
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stdout, "%s: cancelled; the next sync downloads the rest of the messages.\n", m.Address)
		return 130
	case err != nil:
		return fail(e, "download messages of "+m.Address, err)
	}
	if n > 0 {
		fmt.Fprintf(e.stdout, "%s: %d messages downloaded to keep on this computer.\n", m.Address, n)
	}
	return 0
}

// progressLine shows a sync's progress: one line rewritten in place on a terminal, a line
// per folder with new mail elsewhere.
type progressLine struct {
	w        io.Writer
	address  string
	terminal bool
	last     time.Time
	width    int
}

func newProgressLine(w io.Writer, address string) *progressLine {
	p := &progressLine{w: w, address: address}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progressLine) update(folder string, done, total int) {
	if !p.terminal {
		if total > 0 && done == total {
			fmt.Fprintf(p.w, "%s: %s: %d new messages\n", p.address, folder, total)
		}
		return
	}
	if done != total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("%s: %s", p.address, folder)
	if total > 0 {
		line += fmt.Sprintf(": %d of %d new messages (%d%%)", done, total, done*100/total)
	}
	pad := max(0, p.width-len(line))
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// bodies shows how many message bodies of folder are downloaded, on a terminal only.
func (p *progressLine) bodies(folder string, done int) {
	if !p.terminal || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("%s: %s: %d messages downloaded", p.address, folder, done)
	pad := max(0, p.width-len(line))
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

func (p *progressLine) end() {
	if p.terminal && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
}
