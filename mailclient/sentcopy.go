package mailclient

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// sentNames are folder names that mean Sent when no folder is marked \Sent, compared
// without case on the last part of the name.
var sentNames = []string{"sent", "sent items", "sent messages", "sent mail", "gesendet", "gesendete elemente",
	"gesendete objekte", "envoyés", "éléments envoyés", "enviados", "elementos enviados", "inviata", "posta inviata", "verzonden"}

// AppendSent appends m, of size bytes (MessageSize), to the Sent folder of the IMAP server
// in s, marked \Seen, with date as its internal date. The folder is the one marked \Sent
// (SPECIAL-USE), else the first named like Sent; without either it fails with
// ErrNoSentFolder. When ifMissing is not "" (an earlier attempt may have appended it), the
// folder is first searched for a message with that Message-ID, and nothing is appended when
// there is one: already then reports true. Every read and write has the settings' IMAP timeout.
func AppendSent(ctx context.Context, s Settings, password string, m io.WriterTo, size int64, date time.Time,
	ifMissing string) (already bool, err error) {
	if s.IMAP == nil {
		return false, fmt.Errorf("append to Sent: %w", ErrNothingToTest)
	}
	ic, err := dialIMAP(ctx, s, password, nil)
	if err != nil {
		return false, err
	}
	defer ic.close()
	return appendSentOn(ic, m, size, date, ifMissing)
}

// AppendSent is the function AppendSent on the one command connection of mailbox
// mailboxID (its worker), in turn with the mailbox's other requests and actions, with the
// mailbox's saved password and pins: a copy after each message sent logs in no more than
// once. messageID is the message's; lookFirst says an earlier attempt may have appended it
// (look for it first). When the reused connection turns out dead midway, the copy is made on
// a fresh one, looking first, so it is there once.
func (a *Mail) AppendSent(ctx context.Context, mailboxID int64, m io.WriterTo, size int64, date time.Time,
	messageID string, lookFirst bool) (already bool, err error) {
	err = a.workerOf(mailboxID).doSelecting(ctx, true, func(ic *imapConn) error {
		ifMissing := ""
		if lookFirst {
			ifMissing = messageID
		}
		lookFirst = true // a second run follows a connection lost after this one began
		var err error
		already, err = appendSentOn(ic, m, size, date, ifMissing)
		return err
	})
	return already, err
}

// appendSentOn is AppendSent on ic; it may select the Sent folder.
func appendSentOn(ic *imapConn, m io.WriterTo, size int64, date time.Time, ifMissing string) (bool, error) {
	folder, err := sentFolder(ic.Client, ic.caps)
	if err != nil {
		return false, ic.failed("Find the Sent folder", err)
	}
	if ifMissing != "" {
		found, err := hasMessageID(ic.Client, folder, ifMissing)
		if err != nil {
			return false, ic.failed("Look for the message in "+folder, err)
		}
		if found {
			return true, nil
		}
	}
	return false, appendTo(ic, folder, m, size, date)
}

// hasMessageID reports whether folder holds a message whose Message-ID is id.
func hasMessageID(c *imapclient.Client, folder, id string) (bool, error) {
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return false, imapError("EXAMINE", err)
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
	if err != nil {
		return false, imapError("UID SEARCH", err)
	}
	return len(res.AllUIDs()) > 0, nil
}

// appendTo appends m to folder, marked \Seen.
func appendTo(ic *imapConn, folder string, m io.WriterTo, size int64, date time.Time) error {
	return appendMessage(ic, "Save a copy in "+folder, folder, m, size, date, imap.FlagSeen)
}

// appendMessage appends m (size bytes) to folder with flags and date; what names the step
// in errors.
func appendMessage(ic *imapConn, what, folder string, m io.WriterTo, size int64, date time.Time, flags ...imap.Flag) error {
	cmd := ic.Append(folder, size, &imap.AppendOptions{Flags: flags, Time: date})
	if _, err := m.WriteTo(cmd); err != nil {
		cmd.Close()
		return ic.failed(what, fmt.Errorf("imap APPEND: %w", attachmentCause(err)))
	}
	if err := cmd.Close(); err != nil {
		return ic.failed(what, imapError("APPEND", err))
	}
	if _, err := cmd.Wait(); err != nil {
		return ic.failed(what, imapError("APPEND", err))
	}
	return nil
}

func sentFolder(c *imapclient.Client, caps imap.CapSet) (string, error) {
	return specialFolder(c, caps, pickSentFolder)
}

// specialFolder lists the folders (with their special use where the server has it) and
// returns the one pick chooses.
func specialFolder(c *imapclient.Client, caps imap.CapSet, pick func([]*imap.ListData) (string, error)) (string, error) {
	var opts *imap.ListOptions
	if caps.Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		return "", imapError("LIST", err)
	}
	return pick(list)
}

// pickSentFolder chooses the Sent folder among list: the one marked \Sent, else the first
// whose last name part is one of sentNames (in their order).
func pickSentFolder(list []*imap.ListData) (string, error) {
	return pickFolder(list, imap.MailboxAttrSent, sentNames, ErrNoSentFolder)
}

// pickFolder chooses among list the selectable folder marked attr, else the first whose last
// name part is one of names (in their order); notFound when there is none.
func pickFolder(list []*imap.ListData, attr imap.MailboxAttr, names []string, notFound error) (string, error) {
	for _, l := range list {
		if slices.Contains(l.Attrs, attr) && !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			return l.Mailbox, nil
		}
	}
	for _, want := range names {
		for _, l := range list {
			name := l.Mailbox
			if l.Delim != 0 {
				name = name[strings.LastIndex(name, string(l.Delim))+1:]
			}
			if strings.EqualFold(name, want) && !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
				return l.Mailbox, nil
			}
		}
	}
	return "", fmt.Errorf("imap: %w", notFound)
}
