package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mailroom/data"
	"mailroom/mailclient"
)

// outboxCommands are the "mailroom outbox" commands; "mailroom outbox" alone lists.
func outboxCommands() []command {
	return []command{
		{name: "list", summary: "print what waits to be sent, and what was sent [--json]", run: outboxList},
		{name: "send", summary: "send every waiting message now, and say what became of each", run: outboxSend},
		{name: "resend", summary: "queue a failed or interrupted message again and send it: ID", run: outboxResend},
		{name: "remove", summary: "remove a waiting, failed, interrupted or sent message: ID", run: outboxRemove},
	}
}

// outboxCmd is "mailroom outbox [list|send|resend ID|remove ID]".
func outboxCmd(e *env, args []string) int {
	if len(args) == 0 {
		return outboxList(e, nil)
	}
	return dispatch(e, []string{"outbox"}, outboxCommands(), args)
}

func outboxList(e *env, args []string) int {
	fs := flag.NewFlagSet("outbox list", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom outbox list [--json]")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		items, err := s.OutboxItems(ctx)
		if err != nil {
			return fail(e, "list outbox", err)
		}
		if *asJSON {
			return printJSON(e, outboxJSON(items))
		}
		printOutbox(e, items)
		return 0
	})
}

// printOutbox prints items as a table, one line each.
func printOutbox(e *env, items []*data.OutboxItem) {
	if len(items) == 0 {
		fmt.Fprintln(e.stdout, "The outbox is empty.")
		return
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tFROM\tTO\tSUBJECT\tREASON")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.State, oneLine(it.From), oneLine(it.To), oneLine(it.Subject),
			outboxReason(it))
	}
	tw.Flush()
}

// outboxReason says why a message is where it is, or what remains to do; "" when nothing.
func outboxReason(it *data.OutboxItem) string {
	switch {
	case it.State == data.OutboxQueued && it.LastError != "":
		return fmt.Sprintf("%s (next try at %s)", it.LastError, it.NextAttempt.Local().Format("15:04"))
	case it.State == data.OutboxSent && it.SentCopy == data.SentCopyPending:
		return it.LastError
	case it.State == data.OutboxFailed || it.State == data.OutboxInterrupted:
		return it.LastError
	}
	return ""
}

// oneLine keeps a table cell on its line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type outboxItemJSON struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	From        string `json:"from"`
	To          string `json:"to"`
	Cc          string `json:"cc,omitempty"`
	Bcc         string `json:"bcc,omitempty"`
	Subject     string `json:"subject"`
	Reason      string `json:"reason,omitempty"`
	MessageID   string `json:"message_id"`
	Attempts    int    `json:"attempts"`
	NextAttempt string `json:"next_attempt,omitempty"`
	SentCopy    string `json:"sent_copy,omitempty"`
	SentAt      string `json:"sent_at,omitempty"`
	CreatedAt   string `json:"created_at"`
}

func outboxJSON(items []*data.OutboxItem) []outboxItemJSON {
	out := make([]outboxItemJSON, 0, len(items))
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, it := range items {
		j := outboxItemJSON{ID: it.ID, State: string(it.State), From: it.From, To: it.To, Cc: it.Cc, Bcc: it.Bcc,
			Subject: it.Subject, Reason: outboxReason(it), MessageID: it.MessageID, Attempts: it.Attempts,
			SentCopy: string(it.SentCopy), SentAt: stamp(it.SentAt), CreatedAt: stamp(it.CreatedAt)}
		if it.State == data.OutboxQueued {
			j.NextAttempt = stamp(it.NextAttempt)
		}
		out = append(out, j)
	}
	return out
}

func outboxSend(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom outbox send")
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		return sendWaiting(ctx, e, s, nil)
	})
}

// sendWaiting sends what waits in the outbox now (after first, when not nil, which queues
// something more), then prints what became of every message that was waiting or being
// sent, and returns the exit status: 0 when all of them were sent, exitTempFail when some
// wait to be tried again, 1 when some were refused or interrupted.
func sendWaiting(ctx context.Context, e *env, s *data.Store, first func(*mailclient.Outbox) int) int {
	out := mailclient.NewOutbox(s, data.NewSecrets(), mailclient.OutboxOptions{Log: e.log})
	if n, err := out.Recover(ctx); err != nil {
		return fail(e, "send", err)
	} else if n > 0 {
		fmt.Fprintf(e.stderr, "mailroom: %d message(s) may or may not have been sent: Mailroom stopped while sending them "+
			"(see mailroom outbox list)\n", n)
	}
	if first != nil {
		if code := first(out); code != 0 {
			return code
		}
	}
	before, err := s.OutboxItems(ctx)
	if err != nil {
		return fail(e, "send", err)
	}
	if err := out.SendNow(ctx); err != nil && ctx.Err() == nil {
		return fail(e, "send", err)
	}
	status := 0
	for _, was := range before {
		waiting := was.State == data.OutboxQueued || was.State == data.OutboxSending ||
			(was.State == data.OutboxSent && was.SentCopy == data.SentCopyPending)
		if !waiting {
			continue
		}
		it, err := s.OutboxItem(context.WithoutCancel(ctx), was.ID)
		if err != nil {
			return fail(e, "send", err)
		}
		status = max(status, reportItem(e, it))
	}
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "mailroom: stopped; what was not sent stays in the outbox and is sent the next time (mailroom outbox send).")
		return exitStopped
	}
	if status == 2 {
		return exitTempFail
	}
	return status
}

// reportItem prints what became of a message and returns 0 when it was sent, 2 when it waits
// to be tried again, and 1 when it was refused or interrupted.
func reportItem(e *env, it *data.OutboxItem) int {
	to := oneLine(it.To)
	switch it.State {
	case data.OutboxSent:
		fmt.Fprintf(e.stdout, "%d: sent to %s: %s\n", it.ID, to, it.MessageID)
		if it.SentCopy == data.SentCopyPending {
			fmt.Fprintf(e.stderr, "mailroom: %d: %s\n", it.ID, it.LastError)
		}
		return 0
	case data.OutboxQueued:
		fmt.Fprintf(e.stderr, "mailroom: %d: not sent yet: %s It stays in the outbox and is tried again.\n", it.ID, it.LastError)
		return 2
	}
	fmt.Fprintf(e.stderr, "mailroom: %d: not sent (%s): %s\n", it.ID, it.State, it.LastError)
	return 1
}

// outboxID parses the single ID argument of a command.
func outboxID(e *env, args []string, use string) (int64, bool) {
	if len(args) == 1 {
		if id, err := strconv.ParseInt(args[0], 10, 64); err == nil && id > 0 {
			return id, true
		}
	}
	fmt.Fprintln(e.stderr, "Usage: "+use+"  (the ID as mailroom outbox list shows it)")
	return 0, false
}

func outboxResend(e *env, args []string) int {
	id, ok := outboxID(e, args, "mailroom outbox resend ID")
	if !ok {
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		return sendWaiting(ctx, e, s, func(out *mailclient.Outbox) int {
			if err := out.Resend(ctx, id, nil, true); errors.Is(err, data.ErrNotFound) {
				fmt.Fprintf(e.stderr, "mailroom: no message %d was refused or interrupted (see mailroom outbox list)\n", id)
				return 1
			} else if err != nil {
				return fail(e, "resend", err)
			}
			return 0
		})
	})
}

func outboxRemove(e *env, args []string) int {
	id, ok := outboxID(e, args, "mailroom outbox remove ID")
	if !ok {
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		err := s.DeleteOutbox(ctx, id)
		if errors.Is(err, data.ErrNotFound) {
			fmt.Fprintf(e.stderr, "mailroom: there is no message %d to remove, or it is being sent now (see mailroom outbox list)\n", id)
			return 1
		} else if err != nil {
			return fail(e, "remove", err)
		}
		fmt.Fprintf(e.stdout, "Removed message %d from the outbox; it will not be sent.\n", id)
		return 0
	})
}
