package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

const (
	messagesUsage    = "mailroom messages [ADDRESS] [--folder NAME] [--search TEXT] [--limit N] [--json]"
	messageSaveUsage = "mailroom message save ID [--eml FILE] [--attachments DIR]"
)

// messageCommands are the "mailroom message" commands.
func messageCommands() []command {
	return []command{
		{name: "save", summary: "save a message whole and/or its attachments, byte for byte: ID [--eml FILE] [--attachments DIR]", run: messageSave},
	}
}

// messagesCmd prints the cached messages of one mailbox or of all, newest first.
func messagesCmd(e *env, args []string) int {
	fs := flag.NewFlagSet("messages", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	folder := fs.String("folder", "", "only this folder (INBOX, Sent, …)")
	search := fs.String("search", "", "only messages with all these words in subject, people or cached text")
	limit := fs.Int("limit", 50, fmt.Sprintf("at most this many messages (1 to %d)", data.MaxPage))
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 1 || *limit < 1 || *limit > data.MaxPage {
		fmt.Fprintln(e.stderr, "Usage: "+messagesUsage)
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		q := data.MessageQuery{Folder: *folder, Search: *search, Limit: *limit}
		if fs.NArg() == 1 {
			m, err := s.MailboxByAddress(ctx, fs.Arg(0))
			if err != nil {
				return missingMailbox(e, fs.Arg(0), err)
			}
			q.MailboxID = m.ID
		}
		if code := checkFolder(ctx, e, s, q); code != 0 {
			return code
		}
		list, err := s.QueryMessages(ctx, q)
		if err != nil {
			return fail(e, "list messages", err)
		}
		rows := make([]messageJSON, 0, len(list))
		for _, m := range list {
			rows = append(rows, messageRow(ctx, s, m))
		}
		if *asJSON {
			return printJSON(e, rows)
		}
		printMessages(e, rows)
		return 0
	})
}

// checkFolder says so and returns 1 when q names a folder that none of its mailboxes has.
func checkFolder(ctx context.Context, e *env, s *data.Store, q data.MessageQuery) int {
	if q.Folder == "" {
		return 0
	}
	boxes, err := s.Mailboxes(ctx)
	if err != nil {
		return fail(e, "list mailboxes", err)
	}
	for _, b := range boxes {
		if q.MailboxID != 0 && b.ID != q.MailboxID {
			continue
		}
		folders, err := s.Folders(ctx, b.ID)
		if err != nil {
			return fail(e, "list folders", err)
		}
		for _, f := range folders {
			if f.Name == q.Folder || (f.Role == data.RoleInbox && strings.EqualFold(q.Folder, "INBOX")) {
				return 0
			}
		}
	}
	fmt.Fprintf(e.stderr, "mailroom: there is no folder %q (run mailroom sync first, or check the name)\n", q.Folder)
	return 1
}

// messageJSON is one message as "mailroom messages --json" prints it.
type messageJSON struct {
	ID          int64    `json:"id"`
	Mailbox     string   `json:"mailbox"`
	Folder      string   `json:"folder"`
	UID         uint32   `json:"uid"`
	Date        string   `json:"date"` // RFC 3339
	From        string   `json:"from"`
	To          string   `json:"to"`
	Subject     string   `json:"subject"`
	Size        int64    `json:"size"`
	Flags       []string `json:"flags"`
	Attachments int      `json:"attachments"`
}

// messageRow is m as printed. Its attachments are counted in its cached body; a message
// never opened counts 1 when the server's structure of it shows any, else 0.
func messageRow(ctx context.Context, s *data.Store, m *data.ListedMessage) messageJSON {
	from := m.FromAddr
	if m.FromName != "" {
		from = m.FromName + " <" + m.FromAddr + ">"
	}
	atts := 0
	if m.HasAttachment {
		atts = 1
	}
	if raw, _, err := s.MessageBody(ctx, m.ID); err == nil {
		atts = mailclient.CountAttachments(raw)
	}
	return messageJSON{ID: m.ID, Mailbox: m.Mailbox, Folder: m.Folder, UID: m.UID,
		Date: m.Shown.Format(time.RFC3339), From: from, To: m.To, Subject: m.Subject, Size: m.Size,
		Flags: flagNames(m.Flags), Attachments: atts}
}

// flagNames returns the IMAP names of f: \Seen, \Answered, \Flagged, \Draft, then keywords.
func flagNames(f data.Flags) []string {
	out := []string{}
	for _, fl := range []struct {
		on   bool
		name string
	}{{f.Seen, `\Seen`}, {f.Answered, `\Answered`}, {f.Flagged, `\Flagged`}, {f.Draft, `\Draft`}} {
		if fl.on {
			out = append(out, fl.name)
		}
	}
	return append(out, f.Keywords...)
}

func printMessages(e *env, rows []messageJSON) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE\tFOLDER\tFROM\tSUBJECT\tSIZE\tFILES")
	for _, m := range rows {
		date, _ := time.Parse(time.RFC3339, m.Date)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", m.ID, date.Local().Format("2006-01-02 15:04"),
			m.Mailbox+" "+m.Folder, clip(m.From, 40), clip(m.Subject, 60), sizeText(m.Size), m.Attachments)
	}
	tw.Flush()
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// sizeText writes n as the window shows sizes: 900 bytes, 12 KB, 58.7 MB (of 1,048,576 bytes).
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// messageCmd is "mailroom message COMMAND".
func messageCmd(e *env, args []string) int {
	return dispatch(e, []string{"message"}, messageCommands(), args)
}

// messageSave writes message ID whole (--eml) and/or its attachments (--attachments), byte
// for byte, from the cache when it holds the message whole, else streamed from the server.
func messageSave(e *env, args []string) int {
	fs := flag.NewFlagSet("message save", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	eml := fs.String("eml", "", `the file to write the whole message to ("-": standard output)`)
	dir := fs.String("attachments", "", "the folder to write the attachments to, under safe names")
	if err := parseArgs(fs, args); err != nil || fs.NArg() != 1 || (*eml == "" && *dir == "") {
		fmt.Fprintln(e.stderr, "Usage: "+messageSaveUsage)
		return 2
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(e.stderr, "mailroom: %q is not a message ID (mailroom messages shows them)\n", fs.Arg(0))
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		if _, err := s.Message(ctx, id); errors.Is(err, data.ErrNotFound) {
			fmt.Fprintf(e.stderr, "mailroom: there is no message %d (mailroom messages shows them)\n", id)
			return 1
		}
		mail := &mailclient.Mail{Store: s, Secrets: data.NewSecrets()}
		out, err := openEML(e, *eml)
		if err != nil {
			fmt.Fprintf(e.stderr, "mailroom: %s\n", saveProblem(err))
			return 1
		}
		folder := &mailclient.AttachmentFolder{Dir: *dir}
		if *dir != "" {
			var whole io.Writer
			if *eml != "" {
				whole = out
			}
			err = mail.SaveAll(ctx, id, whole, folder.Create)
		} else {
			_, err = mail.SaveMessage(ctx, id, out)
		}
		if err = out.finish(err); err != nil {
			folder.Remove()
			e.log.Warn("save message", "id", id, "err", err)
			fmt.Fprintf(e.stderr, "mailroom: message %d was not saved: %s\n", id, saveProblem(err))
			return 1
		}
		if out.path != "" {
			fmt.Fprintf(e.stdout, "%s (%s)\n", out.path, sizeText(out.n))
		}
		for _, p := range folder.Paths {
			if info, err := os.Stat(p); err == nil {
				fmt.Fprintf(e.stdout, "%s (%s)\n", p, sizeText(info.Size()))
			}
		}
		return 0
	})
}

// saveProblem says in one sentence why saving failed: a file that exists or cannot be
// written is named with the reason, anything else is the server's or the connection's.
func saveProblem(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrExist) && errors.As(err, &pe):
		return pe.Path + " exists already; choose another name, or remove it first."
	case errors.Is(err, fs.ErrExist):
		return err.Error() + "; choose another name, or remove it first."
	case errors.As(err, &pe):
		return fmt.Sprintf("%s could not be written (%v); check the folder and the free space.", pe.Path, pe.Err)
	}
	return mailclient.Explain(err)
}

// emlFile is where --eml goes: a file written beside its final name and renamed into place
// once whole, standard output, or nowhere.
type emlFile struct {
	path string   // the final name; "" for standard output or none
	tmp  *os.File // the file being written
	w    io.Writer
	n    int64
}

// openEML opens the destination of --eml; a file that exists is never replaced.
func openEML(e *env, path string) (*emlFile, error) {
	switch path {
	case "":
		return &emlFile{}, nil
	case "-":
		return &emlFile{w: e.stdout}, nil
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, err
	}
	return &emlFile{path: path, tmp: tmp, w: tmp}, nil
}

// Write passes p on, counting it; with no destination it takes p and drops it.
func (f *emlFile) Write(p []byte) (int, error) {
	if f.w == nil {
		return len(p), nil
	}
	n, err := f.w.Write(p)
	f.n += int64(n)
	return n, err
}

// finish completes the file after a save that ended with err: renamed into place when all
// went well, removed otherwise. It returns the first error.
func (f *emlFile) finish(err error) error {
	if f.tmp == nil {
		return err
	}
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if _, statErr := os.Lstat(f.path); statErr == nil {
			err = &fs.PathError{Op: "create", Path: f.path, Err: fs.ErrExist} // made meanwhile
		} else {
			err = os.Rename(f.tmp.Name(), f.path)
		}
	}
	if err != nil {
		os.Remove(f.tmp.Name())
	}
	return err
}
