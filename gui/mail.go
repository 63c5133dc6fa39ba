package gui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// pageSize is how many messages the list reads from the cache at a time.
const pageSize = 200

// mailView is the "Mail" screen: folders of every mailbox, the message list and the reader,
// side by side, with the sync status below.
type mailView struct {
	ui        *UI
	mail      *mailclient.Mail
	mailboxes []*data.Mailbox
	folders   map[int64][]*data.Folder // mailbox id -> folders
	tree      *keyTree
	synced    bool                         // the sync at start was started
	watchers  map[int64]context.CancelFunc // mailbox id -> its Inbox watcher (IDLE)
	lastSync  time.Time                    // when the last sync ended
	failures  int                          // syncs failed in a row, for the backoff

	folder   *data.Folder // shown in the list
	msgs     []*data.Message
	more     bool // the cache may hold more messages after the last one read
	loading  bool
	query    string
	list     *keyList
	search   *escEntry
	selected *data.Message

	reader     *readerPane
	welcome    *fyne.Container // shown instead of the mail while there is no mailbox
	firstSteps *fyne.Container // its buttons
	status     *widget.Label
	bar        *widget.ProgressBar
	syncing    context.CancelFunc
	content    fyne.CanvasObject

	reply, replyAll, forward, del, markRead, flag *widget.Button
}

func newMailView(u *UI) *mailView {
	v := &mailView{ui: u, folders: map[int64][]*data.Folder{}}
	v.mail = &mailclient.Mail{Store: u.store, Secrets: u.secrets}
	keys := map[fyne.KeyName]func(){fyne.KeyF5: v.syncAll, fyne.KeyDelete: v.deleteSelected}
	v.tree = newKeyTree(keys, v.childIDs, v.isBranch, v.createNode, v.updateNode)
	v.tree.OnSelected = v.folderChosen
	v.list = newKeyList(keys, func() int { return len(v.msgs) }, v.createRow, v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		if id < len(v.msgs) {
			v.open(v.msgs[id])
		}
	}
	v.search = newEscEntry(func() { v.search.SetText("") }, nil)
	v.search.SetPlaceHolder("Search subject, people and text")
	v.search.OnChanged = func(q string) { v.query = strings.TrimSpace(q); v.reloadList() }
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
	toolbar := container.NewHBox(compose, v.reply, v.replyAll, v.forward, v.del, v.markRead, v.flag, sync)

	lists := container.NewHSplit(v.tree, container.NewHSplit(container.NewBorder(v.search, nil, nil, nil, v.list), v.reader.content))
	lists.Offset = 0.2
	lists.Trailing.(*container.Split).Offset = 0.42
	mail := container.NewBorder(toolbar, container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(220, 30), v.bar), newReasonLabel(v.status, v.ui.win, "Mail")),
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

// Tree nodes: "m<id>" is a mailbox, "f<id>" a folder of it.
func (v *mailView) childIDs(id widget.TreeNodeID) []widget.TreeNodeID {
	var out []widget.TreeNodeID
	if id == "" {
		for _, m := range v.mailboxes {
			out = append(out, "m"+strconv.FormatInt(m.ID, 10))
		}
		return out
	}
	if id[0] != 'm' {
		return nil
	}
	mid, _ := strconv.ParseInt(id[1:], 10, 64)
	for _, f := range v.folders[mid] {
		if f.Selectable {
			out = append(out, "f"+strconv.FormatInt(f.ID, 10))
		}
	}
	return out
}

func (v *mailView) isBranch(id widget.TreeNodeID) bool { return id == "" || id[0] == 'm' }

func (v *mailView) createNode(bool) fyne.CanvasObject { return widget.NewLabel("") }

func (v *mailView) updateNode(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	n, _ := strconv.ParseInt(id[1:], 10, 64)
	if id[0] == 'm' {
		for _, m := range v.mailboxes {
			if m.ID == n {
				l.TextStyle.Bold = true
				l.SetText(m.Address)
			}
		}
		return
	}
	if f := v.folderByID(n); f != nil {
		text := folderTitle(f)
		l.TextStyle.Bold = f.Unread > 0
		if f.Unread > 0 {
			text += fmt.Sprintf(" (%d)", f.Unread)
		}
		l.SetText(text)
	}
}

func (v *mailView) folderByID(id int64) *data.Folder {
	for _, list := range v.folders {
		for _, f := range list {
			if f.ID == id {
				return f
			}
		}
	}
	return nil
}

// folderTitle names a folder as people know it: by its role, else its name.
func folderTitle(f *data.Folder) string {
	switch f.Role {
	case data.RoleInbox:
		return "Inbox"
	case data.RoleSent:
		return "Sent"
	case data.RoleDrafts:
		return "Drafts"
	case data.RoleTrash:
		return "Trash"
	case data.RoleJunk:
		return "Junk"
	case data.RoleArchive:
		return "Archive"
	}
	if f.Delimiter != "" {
		if i := strings.LastIndex(f.Name, f.Delimiter); i >= 0 {
			return f.Name[i+len(f.Delimiter):]
		}
	}
	return f.Name
}

// load reads the mailboxes and their folders from the cache.
func (v *mailView) load() {
	var boxes []*data.Mailbox
	folders := map[int64][]*data.Folder{}
	v.ui.background(func(ctx context.Context) error {
		var err error
		if boxes, err = v.ui.store.Mailboxes(ctx); err != nil {
			return err
		}
		for _, m := range boxes {
			if folders[m.ID], err = v.ui.store.Folders(ctx, m.ID); err != nil {
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
		v.watchInboxes()
		v.welcome.Hidden = len(boxes) > 0
		v.welcome.Refresh()
		v.tree.Refresh()
		for _, m := range boxes {
			v.tree.OpenBranch("m" + strconv.FormatInt(m.ID, 10))
		}
		if !v.synced && v.ui.syncEvery > 0 {
			v.synced = true
			v.syncNow()
		}
		if v.folder == nil {
			v.chooseInbox()
		} else if f := v.folderByID(v.folder.ID); f != nil {
			v.folder = f
			v.reloadList()
		}
	})
}

// chooseInbox shows the Inbox of the default mailbox.
func (v *mailView) chooseInbox() {
	for _, m := range v.mailboxes {
		for _, f := range v.folders[m.ID] {
			if f.Role == data.RoleInbox && (m.IsDefault || v.folder == nil) {
				v.tree.Select("f" + strconv.FormatInt(f.ID, 10))
			}
		}
	}
}

func (v *mailView) folderChosen(id widget.TreeNodeID) {
	if id[0] != 'f' {
		return
	}
	n, _ := strconv.ParseInt(id[1:], 10, 64)
	if f := v.folderByID(n); f != nil {
		v.folder = f
		v.selected = nil
		v.reader.clear()
		v.reloadList()
	}
}

// reloadList reads the first page of the folder (or of the search) again.
func (v *mailView) reloadList() {
	v.msgs, v.more, v.loading = nil, v.folder != nil, false
	v.list.UnselectAll()
	v.list.Refresh()
	v.loadMore()
}

// loadMore reads the next page after the last message shown; the list asks for it as it
// scrolls near its end, so the whole folder is never in memory.
func (v *mailView) loadMore() {
	if !v.more || v.loading || v.folder == nil {
		return
	}
	v.loading = true
	folder, query := v.folder, v.query
	var after data.Cursor
	if n := len(v.msgs); n > 0 {
		after = v.msgs[n-1].Cursor()
	}
	var page []*data.Message
	v.ui.background(func(ctx context.Context) error {
		var err error
		if query != "" {
			page, err = v.ui.store.SearchMessages(ctx, folder.ID, query, after, pageSize)
		} else {
			page, err = v.ui.store.MessagePage(ctx, folder.ID, after, pageSize)
		}
		return err
	}, func(err error) {
		v.loading = false
		if v.folder != folder || v.query != query {
			return // the person moved on meanwhile
		}
		if err != nil {
			v.status.SetText(v.ui.explain("read the messages", err))
			return
		}
		v.msgs = append(v.msgs, page...)
		v.more = len(page) == pageSize
		v.list.Refresh()
	})
}

func (v *mailView) createRow() fyne.CanvasObject {
	from := widget.NewLabel("")
	from.Truncation = fyne.TextTruncateEllipsis
	date := widget.NewLabel("")
	subject := widget.NewLabel("")
	subject.Truncation = fyne.TextTruncateEllipsis
	marks := widget.NewLabel("")
	return container.NewVBox(container.NewBorder(nil, nil, nil, date, from), container.NewBorder(nil, nil, nil, marks, subject))
}

func (v *mailView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.msgs) {
		return
	}
	if id >= len(v.msgs)-pageSize/4 {
		v.loadMore()
	}
	m := v.msgs[id]
	rows := o.(*fyne.Container).Objects
	top, bottom := rows[0].(*fyne.Container).Objects, rows[1].(*fyne.Container).Objects
	from, date := top[0].(*widget.Label), top[1].(*widget.Label)
	subject, marks := bottom[0].(*widget.Label), bottom[1].(*widget.Label)
	unread := !m.Flags.Seen
	from.TextStyle.Bold, subject.TextStyle.Bold = unread, unread
	if v.folder != nil && (v.folder.Role == data.RoleSent || v.folder.Role == data.RoleDrafts) {
		from.SetText("To: " + orDash(m.To, "(no recipient)")) // in Sent, who it went to matters
	} else {
		from.SetText(orDash(m.From(), "(no sender)"))
	}
	subject.SetText(orDash(m.Subject, "(no subject)"))
	date.SetText(shortDate(m.Date))
	var mk []string
	if m.Flags.Flagged {
		mk = append(mk, "flagged")
	}
	if m.HasAttachment {
		mk = append(mk, "attachment")
	}
	mk = append(mk, humanSize(m.Size))
	marks.SetText(strings.Join(mk, " · "))
}

func orDash(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

// shortDate shows today's messages by time, this year's by day, older ones by date.
func shortDate(t time.Time) string {
	t = t.Local()
	now := time.Now()
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}

// open shows message m in the reader, fetching its body the first time.
func (v *mailView) open(m *data.Message) {
	v.selected = m
	v.updateButtons()
	v.reader.show(m)
}

// changed redraws message id after an action changed it (or undid the change).
func (v *mailView) changed(id int64) {
	var m *data.Message
	v.ui.background(func(ctx context.Context) error {
		var err error
		m, err = v.ui.store.Message(ctx, id)
		return err
	}, func(err error) {
		for i, have := range v.msgs {
			if have.ID == id {
				if err != nil { // gone: deleted or moved
					v.msgs = append(v.msgs[:i], v.msgs[i+1:]...)
				} else {
					v.msgs[i] = m
				}
				v.list.Refresh()
				break
			}
		}
		if v.selected != nil && v.selected.ID == id && m != nil {
			v.selected = m
			v.updateButtons()
		}
		v.refreshCounts()
	})
}

// refreshCounts reads the folders' unread counts again for the tree.
func (v *mailView) refreshCounts() {
	boxes := v.mailboxes
	folders := map[int64][]*data.Folder{}
	v.ui.background(func(ctx context.Context) error {
		for _, m := range boxes {
			var err error
			if folders[m.ID], err = v.ui.store.Folders(ctx, m.ID); err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		if err == nil {
			v.folders = folders
			v.ui.bg.setUnread(unreadInboxes(folders))
			v.tree.Refresh()
		}
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
}

// act runs a message action; it applies at once and reports here if the server refuses.
func (v *mailView) act(what string, fn func(ctx context.Context, id int64) error) {
	m := v.selected
	if m == nil {
		return
	}
	v.ui.background(func(ctx context.Context) error { return fn(ctx, m.ID) }, func(err error) {
		if err != nil {
			v.ui.log.Warn(what, "err", err)
			v.status.SetText("Could not " + what + ": " + mailclient.Explain(err))
		}
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

func (v *mailView) deleteSelected() {
	if v.selected == nil {
		return
	}
	v.act("delete the message", v.mail.Delete)
	v.selected = nil
	v.reader.clear()
	v.updateButtons()
}

// syncAll brings every mailbox's cache in step with its server, showing progress; a second
// press cancels.
func (v *mailView) syncAll() {
	if v.syncing != nil {
		v.syncing()
		return
	}
	v.syncNow()
}

// syncNow starts a sync unless one is running (the schedule uses it).
func (v *mailView) syncNow() {
	if v.syncing != nil || len(v.mailboxes) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.syncing = cancel
	boxes := v.mailboxes
	v.bar.Show()
	v.status.SetText("Syncing…")
	var failed, arrived []string
	v.ui.background(func(context.Context) error {
		defer cancel()
		for _, m := range boxes {
			sums, err := mailclient.SyncMailbox(ctx, v.ui.store, v.ui.secrets, m, mailclient.SyncOptions{
				Progress: func(folder string, done, total int) {
					fyne.Do(func() {
						v.ui.applyMu.Lock()
						defer v.ui.applyMu.Unlock()
						v.status.SetText(fmt.Sprintf("Syncing %s, %s: %d of %d", m.Address, folder, done, total))
						if total > 0 {
							v.bar.Max = float64(total)
							v.bar.SetValue(float64(done))
						}
					})
				},
				Waiting: func(folder, owner string) {
					fyne.Do(func() {
						v.ui.applyMu.Lock()
						defer v.ui.applyMu.Unlock()
						v.status.SetText(fmt.Sprintf("Waiting for another sync of %s, %s (%s) to finish…", m.Address, folder, owner))
					})
				}})
			if errors.Is(err, context.Canceled) {
				return err
			}
			if err != nil {
				v.ui.log.Warn("sync", "mailbox", m.Address, "err", err)
				failed = append(failed, m.Address+": "+mailclient.Explain(err))
			}
			if n := newInInbox(sums); n > 0 {
				arrived = append(arrived, fmt.Sprintf("%s in %s", plural(n, "new message"), m.Address))
			}
		}
		return nil
	}, func(err error) {
		v.syncing = nil
		v.bar.Hide()
		v.failures++
		switch {
		case errors.Is(err, context.Canceled):
			v.status.SetText("Sync cancelled.")
		case len(failed) > 0:
			v.status.SetText("Sync failed for " + strings.Join(failed, " "))
		default:
			v.failures = 0
			v.status.SetText("Up to date, " + time.Now().Format("15:04") + ".")
		}
		v.lastSync = time.Now()
		if len(arrived) > 0 {
			v.ui.app.SendNotification(fyne.NewNotification("New mail", strings.Join(arrived, "; ")))
		}
		v.load()
		v.ui.mailboxes.load()
	})
}

// newInInbox counts the messages a sync added to the Inbox.
func newInInbox(sums []mailclient.FolderSummary) int {
	n := 0
	for _, s := range sums {
		if strings.EqualFold(s.Folder, "INBOX") {
			n += s.New
		}
	}
	return n
}

// retryAfter is how long to wait before the next scheduled sync: interval after a success;
// after failures 30 seconds, doubling, up to interval.
func retryAfter(failures int, interval time.Duration) time.Duration {
	if failures == 0 {
		return interval
	}
	d := 30 * time.Second
	for i := 1; i < failures && d < interval; i++ {
		d *= 2
	}
	return min(d, interval)
}

// syncOnSchedule syncs every u.syncEvery (read each time, as Settings may change it) until ctx
// ends, and sooner after a failure.
func (v *mailView) syncOnSchedule(ctx context.Context) {
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fyne.Do(func() {
					v.ui.applyMu.Lock()
					defer v.ui.applyMu.Unlock()
					interval := v.ui.syncEvery
					if interval > 0 && time.Since(v.lastSync) >= retryAfter(v.failures, interval) {
						v.syncNow()
					}
				})
			}
		}
	}()
}

// watchInboxes keeps one IDLE watcher per mailbox while the window is open, so new mail
// shows (and is announced) as it arrives; where a server has no IDLE, the schedule polls.
func (v *mailView) watchInboxes() {
	if v.ui.runCtx == nil || !v.ui.watchIdle {
		return
	}
	if v.watchers == nil {
		v.watchers = map[int64]context.CancelFunc{}
	}
	keep := map[int64]bool{}
	for _, m := range v.mailboxes {
		keep[m.ID] = true
		if _, ok := v.watchers[m.ID]; !ok {
			ctx, cancel := context.WithCancel(v.ui.runCtx)
			v.watchers[m.ID] = cancel
			v.watch(ctx, m)
		}
	}
	for id, cancel := range v.watchers {
		if !keep[id] {
			cancel()
			delete(v.watchers, id)
		}
	}
}

// watch runs the Inbox watcher of mailbox m until ctx ends.
func (v *mailView) watch(ctx context.Context, m *data.Mailbox) {
	onUI := func(f func()) {
		fyne.Do(func() {
			v.ui.applyMu.Lock()
			defer v.ui.applyMu.Unlock()
			f()
		})
	}
	opts := mailclient.WatchOptions{
		Changed: func(mailclient.FolderSummary) { onUI(v.refreshAfterWatch) },
		Failed: func(err error, retryIn time.Duration) {
			v.ui.log.Info("inbox watcher", "mailbox", m.Address, "err", err)
			onUI(func() {
				v.status.SetText(fmt.Sprintf("%s: %s Trying again in %s.", m.Address, mailclient.Explain(err), retryIn.Round(time.Second)))
			})
		},
	}
	v.ui.workers.Add(1)
	go func() {
		defer v.ui.workers.Done()
		err := mailclient.WatchInbox(ctx, v.ui.store, v.ui.secrets, m, func(n mailclient.NewMail) {
			onUI(func() { v.announce(n) })
		}, opts)
		if err != nil && ctx.Err() == nil && !errors.Is(err, mailclient.ErrNoIdle) {
			v.ui.log.Warn("inbox watcher stopped", "mailbox", m.Address, "err", err)
			onUI(func() { v.status.SetText(m.Address + ": " + mailclient.Explain(err)) })
		}
	}()
}

// refreshAfterWatch shows what a watcher's sync changed: counts, and the list when it shows an Inbox.
func (v *mailView) refreshAfterWatch() {
	if v.folder == nil { // the first sync of this mailbox: show its Inbox
		v.load()
		return
	}
	v.refreshCounts()
	if v.folder != nil && v.folder.Role == data.RoleInbox && v.query == "" && len(v.msgs) <= pageSize {
		v.reloadList()
	}
}

// announce raises a desktop notification for mail that has just arrived.
func (v *mailView) announce(n mailclient.NewMail) {
	if n.Inbox.New == 0 {
		return
	}
	text := fmt.Sprintf("%s in %s", plural(n.Inbox.New, "new message"), n.Mailbox.Address)
	if len(n.Latest) > 0 {
		text += ": " + orDash(n.Latest[0].From(), "(no sender)") + " — " + orDash(n.Latest[0].Subject, "(no subject)")
	}
	latest := n.Latest
	var open func()
	if len(latest) > 0 {
		open = func() { v.ui.showMessage(latest[0]) }
	}
	v.ui.notify("New mail", text, open)
	v.refreshAfterWatch()
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
		f, err := v.ui.store.Folder(ctx, m.FolderID)
		if err != nil {
			return err
		}
		if box, err = v.ui.store.Mailbox(ctx, f.MailboxID); err != nil {
			return err
		}
		if _, err := v.mail.OpenMessage(ctx, m.ID); err != nil {
			return err
		}
		raw, _, err := v.ui.store.MessageBody(ctx, m.ID)
		if err != nil {
			return err
		}
		orig = mailclient.OriginalOf(raw)
		if forward {
			attachments, err = mailclient.SaveAttachmentsForForward(raw, v.ui.attachDir(m.ID))
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
	body    *widget.Label
	banner  *widget.Label
	atts    *fyne.Container
	content fyne.CanvasObject
	shown   int64
}

func newReaderPane(v *mailView) *readerPane {
	r := &readerPane{v: v, head: widget.NewLabel(""), body: widget.NewLabel(""), banner: widget.NewLabel(""),
		atts: container.NewVBox(), subject: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	r.subject.Wrapping = fyne.TextWrapWord
	r.head.Wrapping, r.body.Wrapping, r.banner.Wrapping = fyne.TextWrapWord, fyne.TextWrapWord, fyne.TextWrapWord
	r.body.Selectable = true
	r.banner.Importance = widget.WarningImportance
	r.clear()
	r.content = container.NewBorder(container.NewVBox(r.banner, r.subject, r.head, r.atts, widget.NewSeparator()), nil, nil, nil,
		container.NewVScroll(r.body))
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
	r.head.SetText(fmt.Sprintf("From: %s <%s>\nTo: %s\nDate: %s", m.FromName, m.FromAddr, m.To, m.Date.Local().Format("Mon 2 Jan 2006 15:04")))
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
		r.atts.Add(widget.NewButtonWithIcon(fmt.Sprintf("Save %s (%s)", orDash(a.Name, "attachment"), humanSize(a.Size)),
			theme.DownloadIcon(), func() { r.v.ui.saveAttachment(m.ID, a) }))
	}
	r.atts.Add(widget.NewButtonWithIcon("Save as .eml", theme.DocumentSaveIcon(), func() { r.v.ui.saveEML(m) }))
}

// saveAttachment writes one attachment where the person chooses, under a safe file name.
func (u *UI) saveAttachment(id int64, a mailclient.Attachment) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		raw, _, err := u.store.MessageBody(context.Background(), id)
		if err == nil {
			var b []byte
			if b, err = mailclient.AttachmentData(raw, a.Index); err == nil {
				_, err = w.Write(b)
			}
		}
		if err != nil {
			showError(u.win, "Save attachment", "The attachment could not be saved: "+mailclient.Explain(err))
		}
	}, u.win)
	d.SetFileName(mailclient.SafeFileName(a.Name))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// saveEML writes the whole message as it came from the server.
func (u *UI) saveEML(m *data.Message) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		raw, _, err := u.store.MessageBody(context.Background(), m.ID)
		if err == nil {
			_, err = w.Write(raw)
		}
		if err != nil {
			showError(u.win, "Save message", "The message could not be saved: "+mailclient.Explain(err))
		}
	}, u.win)
	d.SetFileName(mailclient.SafeFileName(orDash(m.Subject, "message")) + ".eml")
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}
