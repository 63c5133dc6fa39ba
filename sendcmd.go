package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"mailroom/data"
	"mailroom/mailclient"
)

// exitTempFail is the exit status of a send that failed for now and stays queued
// (EX_TEMPFAIL of sysexits.h).
const exitTempFail = 75

// sendCmd is "mailroom send": the body from standard input, queued in the outbox and sent
// with every other message due.
func sendCmd(e *env, args []string) int {
	const use = "mailroom send --from ADDRESS --to ADDR[,ADDR] [--cc ...] [--bcc ...] --subject TEXT [--attach FILE]... < BODY"
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	from := fs.String("from", "", "the address of one of your mailboxes")
	var to, cc, bcc, attach stringList
	fs.Var(&to, "to", "recipients, separated by commas (may be repeated)")
	fs.Var(&cc, "cc", "copy recipients")
	fs.Var(&bcc, "bcc", "hidden copy recipients")
	fs.Var(&attach, "attach", "a file to attach (may be repeated)")
	subject := fs.String("subject", "", "the subject")
	if err := parseArgs(fs, args); err != nil || fs.NArg() > 0 || *from == "" {
		fmt.Fprintln(e.stderr, "Usage: "+use)
		return 2
	}
	subjectGiven := false
	fs.Visit(func(f *flag.Flag) { subjectGiven = subjectGiven || f.Name == "subject" })
	if !subjectGiven {
		fmt.Fprintln(e.stderr, "mailroom: give a --subject (--subject \"\" sends without one)")
		return 2
	}
	body, err := io.ReadAll(e.stdin)
	if err != nil {
		fmt.Fprintf(e.stderr, "mailroom: read the message from standard input: %v\n", err)
		return 2
	}
	return withStore(e, func(ctx context.Context, s *data.Store) int {
		mb, err := s.MailboxByAddress(ctx, *from)
		if errors.Is(err, data.ErrNotFound) {
			fmt.Fprintf(e.stderr, "mailroom: you have no mailbox %s; add it with mailroom mailbox add\n", *from)
			return 1
		} else if err != nil {
			return fail(e, "send", err)
		}
		c := data.Composition{MailboxID: mb.ID, To: to.String(), Cc: cc.String(), Bcc: bcc.String(),
			Subject: *subject, Body: string(body)}
		for _, a := range attach {
			abs, err := filepath.Abs(a)
			if err != nil {
				abs = a
			}
			c.Attachments = append(c.Attachments, abs)
		}
		out := mailclient.NewOutbox(s, data.NewSecrets(), mailclient.OutboxOptions{Log: e.log})
		it, err := out.Queue(ctx, c, 0, true)
		var v *data.ValidationError
		if errors.As(err, &v) {
			for _, f := range v.Fields {
				fmt.Fprintf(e.stderr, "mailroom: --%s: %s\n", flagOf(f.Field), strings.TrimSuffix(f.Msg, "."))
			}
			return 2
		} else if err != nil {
			return fail(e, "queue", err)
		}
		if _, err := out.Recover(ctx); err != nil {
			return fail(e, "send", err)
		}
		if err := out.SendDue(ctx); err != nil && ctx.Err() == nil {
			return fail(e, "send", err)
		}
		if ctx.Err() != nil {
			fmt.Fprintln(e.stderr, "mailroom: stopped; the message stays in the outbox and is sent the next time (mailroom outbox send).")
			return exitStopped
		}
		return reportSent(ctx, e, s, it.ID)
	})
}

// flagOf names the flag of a composition field.
func flagOf(field string) string {
	if field == mailclient.FieldAttachments {
		return "attach"
	}
	return field
}

// reportSent says what became of outbox message id and returns the exit status.
func reportSent(ctx context.Context, e *env, s *data.Store, id int64) int {
	it, err := s.OutboxItem(ctx, id)
	if err != nil {
		return fail(e, "send", err)
	}
	switch it.State {
	case data.OutboxSent:
		fmt.Fprintf(e.stdout, "Sent %s.\n", it.MessageID)
		if it.SentCopy == data.SentCopyPending {
			fmt.Fprintf(e.stderr, "mailroom: %s\n", it.LastError)
		}
		return 0
	case data.OutboxQueued:
		fmt.Fprintf(e.stderr, "mailroom: not sent yet: %s\nIt stays in the outbox and is tried again when Mailroom runs.\n", it.LastError)
		return exitTempFail
	}
	fmt.Fprintf(e.stderr, "mailroom: not sent: %s\nIt stays in the outbox (%s).\n", it.LastError, it.State)
	return 1
}
