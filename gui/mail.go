package gui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// mailViewStore is what the Mail screen reads and changes: the folder tree, the message list,
// the reader, and the actions it hands to mailclient.Mail.
type mailViewStore interface {
	messageListStore
	mailclient.MessageStore
	Mailboxes(ctx context.Context) ([]*data.Mailbox, error)
	Folders(ctx context.Context, mailboxID int64) ([]*data.Folder, error)
}

// mailView is the "Mail" screen: folders of every mailbox, the message list and the reader,
// side by side, with the sync status below.
type mailView struct {
	ui        *UI
	store     mailViewStore
	mail      *mailclient.Mail
	mailboxes []*data.Mailbox
	folders   map[int64][]*data.Folder // mailbox id -> folders
	tree      *keyTree

	folder   *data.Folder // shown in the list
	query    string
	list     *messageList
	search   *escEntry
	selected *data.Message // shown in the reader, and what the toolbar acts on

	reader     *readerPane
	welcome    *fyne.Container // shown instead of the mail while there is no mailbox
	firstSteps *fyne.Container // its buttons
	status     *widget.Label
	bar        *widget.ProgressBar
	content    fyne.CanvasObject

	reply, replyAll, forward, del, markRead, flag *widget.Button

	actions *mailActions // Move to…, Mark all read, Undo
}

func newMailView(u *UI) *mailView {
	v := &mailView{ui: u, store: u.store, folders: map[int64][]*data.Folder{}}
	v.mail = newMail(v)
	v.actions = newMailActions(v)
	keys := map[fyne.KeyName]func(){fyne.KeyF5: v.syncAll, fyne.KeyDelete: v.deleteSelected}
	v.tree = newKeyTree(keys, v.childIDs, v.isBranch, v.createNode, v.updateNode)
	v.tree.OnSelected = v.folderChosen
	v.list = newMessageList(v.store, u, keys, v.open)
	v.list.onError = func(msg string) { v.status.SetText(msg) }
	v.search = newEscEntry(func() { v.search.SetText("") }, nil)
	v.search.SetPlaceHolder("Search subject, people and text")
	v.search.OnChanged = func(q string) { v.query = strings.TrimSpace(q); v.list.search(v.query) }
	v.reader = newReaderPane(v)
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis
	v.bar = widget.NewProgressBar()
	v.bar.Hide()

	compose := widget.NewButtonWithIcon("Compose", theme.MailComposeIcon(), func() { u.compose(data.Composition{}, 0) })
	v.reply = widget.NewButtonWithIcon("Reply", theme.MailReplyIcon(), func() { v.answer(false, false) })
	v.replyAll = widget.NewButtonWithIcon("Reply all", theme.MailReplyAllIcon(), func() { v.answer(true, false) })
	v.forward = widget.NewButtonWithIcon("Forward", theme.MailForwardIcon(), func() { v.answer(false, true) })
	v.del = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), v.deleteSelected)
	v.markRead = widget.NewButtonWithIcon("Unread", theme.VisibilityOffIcon(), v.toggleSeen)
	v.flag = widget.NewButtonWithIcon("Flag", theme.InfoIcon(), v.toggleFlag)
	sync := widget.NewButtonWithIcon("Sync", theme.ViewRefreshIcon(), v.syncAll)
	toolbar := container.NewHBox(compose, v.reply, v.replyAll, v.forward, v.del, v.markRead, v.flag, v.actions.move, v.actions.markAll, sync)

	// The list above the reader, as in Thunderbird's classic view: its columns need the width.
	lists := container.NewHSplit(v.tree, container.NewVSplit(container.NewBorder(v.search, nil, nil, nil, v.list.content), v.reader.content))
	lists.Offset = 0.2
	lists.Trailing.(*container.Split).Offset = 0.5
	mail := container.NewBorder(toolbar, container.NewBorder(nil, nil, v.actions.undoBar, container.NewGridWrap(fyne.NewSize(220, 30), v.bar), newReasonLabel(v.status, v.ui.win, "Mail")),
		nil, nil, lists)
	v.welcome = v.welcomePage()
	v.content = container.NewStack(mail, v.welcome)
	v.updateButtons()
	return v
}

// welcomePage greets a first start: add your mailbox; an administrator may first set up the
// email providers, by hand or from files.
func (v *mailView) welcomePage() *fyne.Container {
	title := widget.NewLabelWithStyle("Welcome to Mailroom", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	text := widget.NewLabelWithStyle("Add your mailbox: type your address and password, and Mailroom finds the rest.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	text.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add your mailbox", theme.ContentAddIcon(), func() { v.ui.openMailbox(nil) })
	add.Importance = widget.HighImportance
	buttons := container.NewHBox(add)
	v.firstSteps = buttons
	buttons.Add(widget.NewButtonWithIcon("Set up email providers", theme.StorageIcon(), func() { v.ui.showProviders() }))
	imp := widget.NewButtonWithIcon("Import providers…", theme.DownloadIcon(), nil)
	imp.OnTapped = func() { v.ui.providers.showImportMenu(imp) }
	buttons.Add(imp)
	page := container.NewStack(canvasBackground(), container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 170),
		container.NewVBox(title, text, container.NewCenter(buttons)))))
	page.Hide()
	return page
}

// load reads the mailboxes and their folders from the cache.
func (v *mailView) load() {
	var boxes []*data.Mailbox
	folders := map[int64][]*data.Folder{}
	v.ui.background(func(ctx context.Context) error {
		var err error
		if boxes, err = v.store.Mailboxes(ctx); err != nil {
			return err
		}
		for _, m := range boxes {
			if folders[m.ID], err = v.store.Folders(ctx, m.ID); err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			v.status.SetText(v.ui.explain("read your folders", err))
			return
		}
		v.mailboxes, v.folders = boxes, folders
		v.ui.bg.setUnread(unreadInboxes(folders))
		v.welcome.Hidden = len(boxes) > 0
		v.welcome.Refresh()
		v.tree.Refresh()
		for _, m := range boxes {
			v.tree.OpenBranch("m" + strconv.FormatInt(m.ID, 10))
		}
		if v.folder == nil {
			v.chooseInbox()
		} else if f := v.folderByID(v.folder.ID); f != nil {
			v.folder = f
			v.reloadList()
		}
	})
}

// open shows message m in the reader, fetching its body the first time; nil shows none.
func (v *mailView) open(m *data.Message) {
	v.selected = m
	v.updateButtons()
	if m == nil {
		v.reader.clear()
		return
	}
	v.reader.show(m)
}

// reloadList shows the list again after the cache changed (new mail, flags, a deletion),
// keeping the selected message and the rows in view where they still exist.
func (v *mailView) reloadList() { v.list.reload() }

// changed redraws message id after an action changed it (or undid the change).
func (v *mailView) changed(id int64) {
	var m *data.Message
	v.ui.background(func(ctx context.Context) error {
		var err error
		m, err = v.store.Message(ctx, id)
		return err
	}, func(err error) {
		v.reloadList()
		if v.selected != nil && v.selected.ID == id && m != nil {
			v.selected = m
			v.updateButtons()
		}
		v.refreshCounts()
	})
}

func (v *mailView) updateButtons() {
	m := v.selected
	for _, b := range []*widget.Button{v.reply, v.replyAll, v.forward, v.del, v.markRead, v.flag} {
		setEnabled(b, m != nil)
	}
	if m != nil && !m.Flags.Seen {
		v.markRead.SetText("Read")
	} else {
		v.markRead.SetText("Unread")
	}
	if m != nil && m.Flags.Flagged {
		v.flag.SetText("Unflag")
	} else {
		v.flag.SetText("Flag")
	}
	v.actions.update()
}

// act runs a message action; it applies at once and reports here if the server refuses.
func (v *mailView) act(what string, fn func(ctx context.Context, id int64) error) {
	m := v.selected
	if m == nil {
		return
	}
	v.ui.background(func(ctx context.Context) error { return fn(ctx, m.ID) }, func(err error) {
		v.actionDone(what, err)
		v.changed(m.ID)
	})
}

func (v *mailView) toggleSeen() {
	if m := v.selected; m != nil {
		seen := !m.Flags.Seen
		v.act("mark the message", func(ctx context.Context, id int64) error { return v.mail.SetSeen(ctx, id, seen) })
	}
}

func (v *mailView) toggleFlag() {
	if m := v.selected; m != nil {
		on := !m.Flags.Flagged
		v.act("flag the message", func(ctx context.Context, id int64) error { return v.mail.SetFlagged(ctx, id, on) })
	}
}

// deleteSelected deletes the selected message and selects the next one in its place.
func (v *mailView) deleteSelected() {
	m := v.selected
	if m == nil {
		return
	}
	next := v.list.neighbour(m.ID)
	v.act("delete the message", v.mail.Delete)
	v.actions.offerUndo(m.ID)
	if next != nil {
		v.list.choose(next)
	}
	v.open(next)
}

// answer opens a compose window replying to (or forwarding) the selected message.
func (v *mailView) answer(all, forward bool) {
	m := v.selected
	if m == nil {
		return
	}
	var orig *mailclient.Original
	var box *data.Mailbox
	var attachments []string
	v.ui.background(func(ctx context.Context) error {
		f, err := v.store.Folder(ctx, m.FolderID)
		if err != nil {
			return err
		}
		if box, err = v.store.Mailbox(ctx, f.MailboxID); err != nil {
			return err
		}
		if _, err := v.mail.OpenMessage(ctx, m.ID); err != nil {
			return err
		}
		raw, _, err := v.store.MessageBody(ctx, m.ID)
		if err != nil {
			return err
		}
		orig = mailclient.OriginalOf(raw)
		if forward {
			attachments, err = v.forwardAttachments(ctx, m)
		}
		return err
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Reply", "The message could not be read: "+mailclient.Explain(err))
			return
		}
		me := mailclient.Address{Name: box.SenderName, Addr: box.Address}
		var c data.Composition
		if forward {
			c = mailclient.Forward(orig, me, attachments)
		} else {
			c = mailclient.Reply(orig, me, v.myAddresses(), all)
		}
		c.MailboxID = box.ID
		v.ui.compose(c, 0)
	})
}

func (v *mailView) myAddresses() []string {
	var out []string
	for _, m := range v.mailboxes {
		out = append(out, m.Address)
	}
	return out
}

// readerPane shows one message: its headers, its text, its attachments.
type readerPane struct {
	v       *mailView
	subject *widget.Label
	head    *widget.Label
	body    *readerText
	banner  *widget.Label
	atts    *fyne.Container
	content fyne.CanvasObject
	shown   int64
}

func newReaderPane(v *mailView) *readerPane {
	r := &readerPane{v: v, head: widget.NewLabel(""), body: newReaderText(map[fyne.KeyName]func(){fyne.KeyDelete: v.deleteSelected}), banner: widget.NewLabel(""),
		atts: container.NewVBox(), subject: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	r.subject.Wrapping = fyne.TextWrapWord
	r.head.Wrapping, r.banner.Wrapping = fyne.TextWrapWord, fyne.TextWrapWord
	r.banner.Importance = widget.WarningImportance
	r.clear()
	r.content = container.NewBorder(container.NewVBox(r.banner, r.subject, r.head, r.atts, widget.NewSeparator()), nil, nil, nil,
		r.body.plain())
	return r
}

func (r *readerPane) clear() {
	r.shown = 0
	r.subject.SetText("")
	r.head.SetText("Choose a message to read it.")
	r.body.SetText("")
	r.banner.Hide()
	r.atts.RemoveAll()
}

func (r *readerPane) show(m *data.Message) {
	r.shown = m.ID
	r.subject.SetText(orDash(m.Subject, "(no subject)"))
	r.head.SetText(fmt.Sprintf("From: %s <%s>\nTo: %s\nDate: %s", m.FromName, m.FromAddr, m.To, m.ListDate().Local().Format("Mon 2 Jan 2006 15:04")))
	r.body.SetText("Opening…")
	r.atts.RemoveAll()
	var rd *mailclient.Reading
	r.v.ui.background(func(ctx context.Context) error {
		var err error
		rd, err = r.v.mail.OpenMessage(ctx, m.ID)
		return err
	}, func(err error) {
		if r.shown != m.ID {
			return
		}
		r.banner.Hide()
		if rd == nil {
			r.body.SetText("")
			r.banner.SetText("The message could not be opened: " + mailclient.Explain(err))
			r.banner.Show()
			return
		}
		if err != nil { // read from the cache; the server could not be told it was read
			r.banner.SetText("Working offline: " + mailclient.Explain(err))
			r.banner.Show()
		}
		r.showReading(m, rd)
		r.v.changed(m.ID)
	})
}

func (r *readerPane) showReading(m *data.Message, rd *mailclient.Reading) {
	r.subject.SetText(orDash(rd.Subject, "(no subject)"))
	head := []string{"From: " + rd.From, "To: " + rd.To}
	if rd.Cc != "" {
		head = append(head, "Cc: "+rd.Cc)
	}
	if !rd.Date.IsZero() {
		head = append(head, "Date: "+rd.Date.Local().Format("Mon 2 Jan 2006 15:04"))
	}
	r.head.SetText(strings.Join(head, "\n"))
	text := rd.Text
	if rd.FromHTML {
		text = "[This message was written in HTML; it is shown as text, without pictures or links loaded.]\n\n" + text
	}
	if rd.Truncated {
		text += "\n\n[The message is too long to show whole; save it as .eml to read all of it.]"
	}
	r.body.SetText(text)
	r.atts.RemoveAll()
	for _, a := range rd.Attachments {
		a := a
		r.atts.Add(widget.NewButtonWithIcon(saveButtonText(rd, a), theme.DownloadIcon(), func() { r.v.saveAttachment(m, a) }))
	}
	r.atts.Add(widget.NewButtonWithIcon("Save as .eml", theme.DocumentSaveIcon(), func() { r.v.saveEML(m) }))
}
