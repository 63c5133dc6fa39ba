package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"mailroom/data"
)

// ErrNoDraftsFolder is returned when a server has no folder for drafts: none marked \Drafts
// and none named like Drafts.
var ErrNoDraftsFolder = errors.New("no Drafts folder")

// draftsNames are folder names that mean Drafts when no folder is marked \Drafts.
var draftsNames = []string{"drafts", "draft", "entwürfe", "brouillons", "borradores", "bozze", "concepten"}

// DraftMessageID is the Message-ID of d's copy on the server: the same for every save of d,
// so a save finds the copy the one before left.
func DraftMessageID(d *data.Draft, from string) string {
	domain := "mailroom.invalid"
	if at := strings.LastIndex(from, "@"); at >= 0 && at < len(from)-1 {
		domain = strings.Trim(from[at+1:], "<> ")
	}
	return fmt.Sprintf("<draft-%d-%d@%s>", d.ID, d.CreatedAt.UnixNano(), domain)
}

// KeepDraft puts d, as it is now, in the Drafts folder of its mailbox's IMAP server, marked
// \Draft and \Seen, and then removes the copy an earlier save of d left there, so the folder
// holds one copy of each draft. It runs on the mailbox's one command connection (its worker),
// in turn with the mailbox's other requests and actions, so saving a draft again and again
// logs in no more than once. Addresses that are not yet right are left out of the copy, not
// refused. A draft with no mailbox chosen is kept locally only (nil). It fails with
// ErrNoDraftsFolder, or with the connection's error; the local draft is never touched.
func (a *Mail) KeepDraft(ctx context.Context, d *data.Draft) error {
	if d.MailboxID == 0 {
		return nil
	}
	mb, err := a.Store.Mailbox(ctx, d.MailboxID)
	if err != nil {
		return fmt.Errorf("draft %d: read mailbox: %w", d.ID, err)
	}
	m, size, id, err := draftMessage(d, mb)
	if err != nil {
		return err
	}
	return a.replaceDraft(ctx, mb.ID, m, size, id)
}

// DropDraft removes d's copy from the Drafts folder of its mailbox's server, once d has been
// sent or discarded, on the mailbox's connection as KeepDraft does. A draft never saved, or
// with no mailbox, has no copy (nil).
func (a *Mail) DropDraft(ctx context.Context, d *data.Draft) error {
	if d.MailboxID == 0 || d.ID == 0 {
		return nil
	}
	mb, err := a.Store.Mailbox(ctx, d.MailboxID)
	if err != nil {
		return fmt.Errorf("draft %d: read mailbox: %w", d.ID, err)
	}
	return a.replaceDraft(ctx, mb.ID, nil, 0, DraftMessageID(d, mb.Address))
}

// replaceDraft runs replaceDraftOn on the connection of mailbox boxID. Running it again on a
// fresh connection, when the reused one turned out dead, leaves one copy too: the second
// run finds and removes what the first may have appended.
func (a *Mail) replaceDraft(ctx context.Context, boxID int64, m io.WriterTo, size int64, id string) error {
	return a.workerOf(boxID).doSelecting(ctx, true, func(ic *imapConn) error { return replaceDraftOn(ic, m, size, id) })
}

// draftMessage builds d as the message its server copy is, with its Message-ID.
func draftMessage(d *data.Draft, mb *data.Mailbox) (*Message, int64, string, error) {
	from := Address{Name: mb.SenderName, Addr: mb.Address}
	parse := func(s string) []Address { ok, _ := ParseAddressList(s); return ok }
	var attached []string
	for _, a := range d.Attachments {
		if CheckAttachment(a) == nil {
			attached = append(attached, a)
		}
	}
	id := DraftMessageID(d, mb.Address)
	o := &OutMessage{From: from, To: parse(d.To), Cc: parse(d.Cc), Subject: strings.Join(strings.Fields(d.Subject), " "),
		Body: d.Body, Attachments: attached, InReplyTo: d.InReplyTo, References: d.References, MessageID: id, Date: time.Now()}
	m, err := BuildMessage(o)
	if err != nil {
		return nil, 0, "", fmt.Errorf("draft %d: %w", d.ID, err)
	}
	size, err := MessageSize(m)
	if err != nil {
		return nil, 0, "", fmt.Errorf("draft %d: %w", d.ID, err)
	}
	return m, size, id, nil
}

// replaceDraftOn appends m (when not nil) to the server's Drafts folder and then deletes
// the messages that were there before with Message-ID id (expunged where UIDPLUS allows it,
// else left marked \Deleted). It selects the Drafts folder.
func replaceDraftOn(ic *imapConn, m io.WriterTo, size int64, id string) error {
	folder, err := draftsFolder(ic.Client, ic.caps)
	if err != nil {
		return ic.failed("Find the Drafts folder", err)
	}
	if _, err := ic.Select(folder, nil).Wait(); err != nil {
		return ic.failed("Open "+folder, imapError("SELECT", err))
	}
	res, err := ic.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
	if err != nil {
		return ic.failed("Look for the draft in "+folder, imapError("UID SEARCH", err))
	}
	old := res.AllUIDs()
	if m != nil {
		if err := appendDraft(ic, folder, m, size); err != nil {
			return err
		}
	}
	if len(old) == 0 {
		return nil
	}
	set := imap.UIDSetNum(old...)
	if err := ic.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return ic.failed("Remove the draft's previous copy", imapError("UID STORE", err))
	}
	if ic.caps.Has(imap.CapUIDPlus) {
		if err := ic.UIDExpunge(set).Close(); err != nil {
			return ic.failed("Remove the draft's previous copy", imapError("UID EXPUNGE", err))
		}
	}
	return nil
}

// appendDraft appends m to folder, marked \Draft and \Seen.
func appendDraft(ic *imapConn, folder string, m io.WriterTo, size int64) error {
	return appendMessage(ic, "Save the draft in "+folder, folder, m, size, time.Now(), imap.FlagDraft, imap.FlagSeen)
}

func draftsFolder(c *imapclient.Client, caps imap.CapSet) (string, error) {
	return specialFolder(c, caps, pickDraftsFolder)
}

// pickDraftsFolder chooses the Drafts folder among list: the one marked \Drafts, else the
// first whose last name part is one of draftsNames (in their order).
func pickDraftsFolder(list []*imap.ListData) (string, error) {
	return pickFolder(list, imap.MailboxAttrDrafts, draftsNames, ErrNoDraftsFolder)
}
