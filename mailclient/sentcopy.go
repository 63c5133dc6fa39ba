package mailclient

import (
	"context"
	"fmt"
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
// ErrNoSentFolder. Every read and write has the settings' IMAP timeout.
func AppendSent(ctx context.Context, s Settings, password string, m *Message, size int64, date time.Time) error {
	if s.IMAP == nil {
		return fmt.Errorf("append to Sent: %w", ErrNothingToTest)
	}
	ic, err := dialIMAP(ctx, s, password, nil)
	if err != nil {
		return err
	}
	defer ic.close()
	folder, err := sentFolder(ic.Client, ic.caps)
	if err != nil {
		return ic.failed("Find the Sent folder", err)
	}
	cmd := ic.Append(folder, size, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
	if _, err := m.WriteTo(cmd); err != nil {
		cmd.Close()
		return ic.failed("Save a copy in "+folder, fmt.Errorf("imap APPEND: %w", attachmentCause(err)))
	}
	if err := cmd.Close(); err != nil {
		return ic.failed("Save a copy in "+folder, imapError("APPEND", err))
	}
	if _, err := cmd.Wait(); err != nil {
		return ic.failed("Save a copy in "+folder, imapError("APPEND", err))
	}
	return nil
}

func sentFolder(c *imapclient.Client, caps imap.CapSet) (string, error) {
	var opts *imap.ListOptions
	if caps.Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		return "", imapError("LIST", err)
	}
	return pickSentFolder(list)
}

// pickSentFolder chooses the Sent folder among list: the one marked \Sent, else the first
// whose last name part is one of sentNames (in their order).
func pickSentFolder(list []*imap.ListData) (string, error) {
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrSent) && !slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) {
			return l.Mailbox, nil
		}
	}
	for _, want := range sentNames {
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
	return "", fmt.Errorf("imap: %w", ErrNoSentFolder)
}
