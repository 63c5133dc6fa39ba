package gui

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// pageSize is how many messages the list reads from the cache at a time; keptPages is how
// many such pages it keeps, those nearest to where the list is scrolled.
const (
	pageSize  = 100
	keptPages = 8
)

// messageListStore is what the message list reads from the cache.
type messageListStore interface {
	MessagesAt(ctx context.Context, folderID int64, order data.ListOrder, offset, limit int) (data.MessageSlice, error)
	MessagesNear(ctx context.Context, folderID int64, order data.ListOrder, at data.ListPosition, before, after, align int) (data.MessageSlice, error)
	SearchMessages(ctx context.Context, folderID int64, query string, after data.Cursor, limit int) ([]*data.Message, error)
}

// messageList is the Mail screen's list of the messages of one folder, or of a search in it.
// Its length is the folder's count and it reads the pages where it is scrolled, so the
// scrollbar stands for the whole folder; a search lists its hits newest first and reads more
// as it nears their end. Column headers sort it. It is touched on the UI goroutine only.
type messageList struct {
	store   messageListStore
	run     func(work func(context.Context) error, apply func(error)) // off the UI goroutine, then on it
	explain func(action string, err error) string
	onOpen  func(*data.Message) // a message was chosen (clicked, or moved to with the keys); nil: none is
	onError func(msg string)

	folder  *data.Folder
	query   string
	order   data.ListOrder
	total   int               // messages of the folder
	pages   map[int]*listPage // page number -> what of it was read
	loading map[int]bool
	hits    []*data.Message // of a search
	more    bool            // the search may find more after hits
	busy    bool            // a search (or its next page) is being read
	gen     int             // counts resets and reloads: what older reads bring is dropped
	loaded  bool            // the first read since the last reset has come back

	selectedID  int64
	selectedAt  data.ListPosition // where the selected message was last seen, for when its page is not kept
	pendingOpen widget.ListItemID // a row moved to with the keys before its page was read; -1 for none
	quiet       bool              // the program is selecting: do not open
	stride      float32           // a row's height and the space below it, once measured

	// The icons of the flag and attachment columns, made once the app runs (Fyne's theme
	// icons ask for the current app, which a package variable would do at start-up, logging
	// an error in every command-line run).
	flaggedIcon, attachmentIcon fyne.Resource

	list    *keyList
	header  *fyne.Container
	sorts   map[data.SortKey]*widget.Button
	from    *widget.Button
	empty   *widget.Label
	content fyne.CanvasObject
}

func newMessageList(store messageListStore, u *UI, keys map[fyne.KeyName]func(), onOpen func(*data.Message)) *messageList {
	l := &messageList{store: store, run: u.background, explain: u.explain, onOpen: onOpen,
		pages: map[int]*listPage{}, loading: map[int]bool{}, pendingOpen: -1, sorts: map[data.SortKey]*widget.Button{},
		flaggedIcon:    theme.NewColoredResource(theme.MediaRecordIcon(), theme.ColorNameWarning),
		attachmentIcon: theme.MailAttachmentIcon()}
	all := map[fyne.KeyName]func(){
		fyne.KeyUp: func() { l.move(-1) }, fyne.KeyDown: func() { l.move(1) },
		fyne.KeyPageUp: func() { l.move(-l.rowsShown()) }, fyne.KeyPageDown: func() { l.move(l.rowsShown()) },
		fyne.KeyHome: func() { l.moveTo(0) }, fyne.KeyEnd: func() { l.moveTo(l.length() - 1) },
		fyne.KeyReturn: l.openSelected, fyne.KeyEnter: l.openSelected,
	}
	for k, f := range keys {
		all[k] = f
	}
	l.list = newKeyList(all, l.length, l.createRow, l.updateRow)
	l.list.OnSelected = l.chosen
	l.empty = widget.NewLabel("")
	l.empty.Hide()
	l.header = l.newHeader()
	l.content = container.NewBorder(l.header, nil, nil, nil, container.NewStack(l.list, container.NewCenter(l.empty)))
	return l
}

// newHeader makes the column headers; a click sorts by the column, a second click reverses.
func (l *messageList) newHeader() *fyne.Container {
	button := func(text string, icon fyne.Resource, key data.SortKey) *widget.Button {
		b := widget.NewButtonWithIcon(text, icon, func() { l.sortBy(key) })
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		b.IconPlacement = widget.ButtonIconTrailingText
		l.sorts[key] = b
		return b
	}
	flag := button("", theme.NewColoredResource(theme.MediaRecordIcon(), theme.ColorNameForeground), data.SortFlag)
	flag.Alignment = widget.ButtonAlignCenter
	l.from = button("From", nil, data.SortFrom)
	h := container.New(columnsLayout{}, flag, widget.NewIcon(theme.MailAttachmentIcon()), l.from,
		button("Subject", nil, data.SortSubject), button("Date", nil, data.SortDate), button("Size", nil, data.SortSize))
	l.showOrder()
	return h
}

// sortBy orders the list by key: first as people expect it (newest, A to Z, largest and
// flagged first), a second click the other way round.
func (l *messageList) sortBy(key data.SortKey) {
	if key == data.SortTo || key == data.SortFrom {
		key = l.senderKey()
	}
	o := data.ListOrder{By: key, Ascending: key == data.SortFrom || key == data.SortTo || key == data.SortSubject}
	if l.order.By == key {
		o.Ascending = !l.order.Ascending
	}
	l.order = o
	l.showOrder()
	l.reset()
}

// senderKey is the key of the From column: who a message went to, in Sent and Drafts.
func (l *messageList) senderKey() data.SortKey {
	if l.folder != nil && (l.folder.Role == data.RoleSent || l.folder.Role == data.RoleDrafts) {
		return data.SortTo
	}
	return data.SortFrom
}

// showOrder puts an arrow on the header of the column the list is sorted by.
func (l *messageList) showOrder() {
	if l.senderKey() == data.SortTo {
		l.from.SetText("To")
	} else {
		l.from.SetText("From")
	}
	by := l.order.By
	if by == data.SortTo {
		by = data.SortFrom
	}
	for key, b := range l.sorts {
		switch {
		case key == data.SortFlag:
		case key != by:
			b.SetIcon(nil)
		case l.order.Ascending:
			b.SetIcon(theme.MenuDropUpIcon())
		default:
			b.SetIcon(theme.MenuDropDownIcon())
		}
	}
	if b := l.sorts[data.SortFlag]; by == data.SortFlag {
		b.Importance = widget.HighImportance
		b.Refresh()
	} else if b.Importance != widget.LowImportance {
		b.Importance = widget.LowImportance
		b.Refresh()
	}
}

// show lists folder f from its top, with nothing selected.
func (l *messageList) show(f *data.Folder) {
	l.folder = f
	if l.order.By == data.SortFrom || l.order.By == data.SortTo {
		l.order.By = l.senderKey()
	}
	l.showOrder()
	l.reset()
}

// search lists the messages that match query ("" lists the folder) from the top.
func (l *messageList) search(query string) {
	l.query = query
	l.reset()
}

// reset empties the list and reads its first page: after a change of folder, search or order.
func (l *messageList) reset() {
	if l.selectedID != 0 {
		l.onOpen(nil) // nothing is selected: the reader and the toolbar say so
	}
	// Back to the top while the list still has its rows (with none, the list would not
	// scroll); ScrollToTop fails before the list is first drawn.
	if l.list.GetScrollOffset() != 0 {
		l.list.ScrollToOffset(0)
	}
	l.gen++
	l.pages, l.loading, l.hits, l.more, l.busy = map[int]*listPage{}, map[int]bool{}, nil, l.query != "", false
	l.total, l.loaded, l.selectedID, l.selectedAt, l.pendingOpen = 0, false, 0, data.ListPosition{}, -1
	l.quietly(l.list.UnselectAll)
	l.list.Refresh()
	l.showEmpty()
	if l.folder == nil {
		return
	}
	if l.query != "" {
		l.searchMore()
	} else {
		l.readPage(0)
	}
}

// reload reads again what the list shows after the cache changed (new mail, a flag, a
// deletion), keeping the selected message selected and the rows in view in view where they
// still exist. The rows in view are read and then shown at once, so nothing flickers. Below
// the top they are read by key from the top row in view, as cheaply at any depth; the store
// says where that row went (new mail above it moves it down).
func (l *messageList) reload() {
	if l.folder == nil {
		return
	}
	l.gen++
	gen, folder, order, query := l.gen, l.folder, l.order, l.query
	offset := l.list.GetScrollOffset()
	top := l.rowAt(offset)
	first, last := top/pageSize, (top+l.rowsShown())/pageSize
	anchor, ok := l.positionOf(top)
	if offset == 0 {
		ok = false // the first page by offset is as cheap, and new mail shows at the top
	}
	selected := l.selectedAt
	if selected.ID != l.selectedID {
		selected = data.ListPosition{}
	}
	pages := map[int]*listPage{}
	var hits []*data.Message
	var total int
	at := -1 // where the anchor went
	want := max(len(l.hits), pageSize)
	l.run(func(ctx context.Context) error {
		if query != "" {
			var err error
			hits, err = readHits(ctx, l.store, folder.ID, query, want)
			return err
		}
		if ok {
			r, err := l.store.MessagesNear(ctx, folder.ID, order, anchor, top-first*pageSize, (last+1)*pageSize-top, pageSize)
			if err != nil {
				return err
			}
			place(pages, r)
			total, at = r.Total, r.At
		} else {
			for p := first; p <= last; p++ {
				r, err := l.store.MessagesAt(ctx, folder.ID, order, p*pageSize, pageSize)
				if err != nil {
					return err
				}
				place(pages, r)
				total = r.Total
			}
		}
		return l.locate(ctx, folder.ID, order, pages, &selected)
	}, func(err error) {
		if gen != l.gen {
			return
		}
		if err != nil {
			l.failed(err)
			return
		}
		// What was being read belongs to the older generation and is dropped when it comes.
		l.pages, l.loading, l.busy, l.loaded = pages, map[int]bool{}, false, true
		if query != "" {
			l.hits, l.more = hits, len(hits) >= want
		} else {
			l.total, l.selectedAt = total, selected
		}
		if at >= 0 && at != top {
			// New mail above does not push what a person reads down.
			l.list.ScrollToOffset(offset + float32(at-top)*l.rowStride())
		}
		l.list.Refresh()
		l.reselect()
		l.showEmpty()
	})
}

// locate finds where the selected message at sel went, when it is not among the pages just
// read: its row is shown selected wherever the list scrolls. A message no longer listed
// leaves sel empty.
func (l *messageList) locate(ctx context.Context, folderID int64, order data.ListOrder, pages map[int]*listPage, sel *data.ListPosition) error {
	if sel.ID == 0 {
		return nil
	}
	for p, page := range pages {
		if i := slices.IndexFunc(page.rows, func(m *data.Message) bool { return m != nil && m.ID == sel.ID }); i >= 0 {
			*sel = data.ListPosition{ID: sel.ID, Index: p*pageSize + i, Total: page.total, MaxID: page.maxID}
			return nil
		}
	}
	r, err := l.store.MessagesNear(ctx, folderID, order, *sel, 0, 1, 1)
	if err != nil || len(r.Messages) == 0 || r.Messages[0].ID != sel.ID {
		*sel = data.ListPosition{}
		return err
	}
	*sel = data.ListPosition{ID: sel.ID, Index: r.At, Total: r.Total, MaxID: r.MaxID}
	return nil
}

// listPage is what the list read of one page: its rows (nil where not read, as at the edges
// of what a refresh read), and the folder's count and the largest message id at the read,
// which say where a row went after a change.
type listPage struct {
	rows  []*data.Message
	total int
	maxID int64
}

// place puts the rows of r on their pages.
func place(pages map[int]*listPage, r data.MessageSlice) {
	for i, m := range r.Messages {
		at := r.Offset + i
		p := pages[at/pageSize]
		if p == nil {
			p = &listPage{rows: make([]*data.Message, pageSize), total: r.Total, maxID: r.MaxID}
			pages[at/pageSize] = p
		}
		p.rows[at%pageSize] = m
	}
}

// positionOf returns where the message of row i is, as the read of its page saw it.
func (l *messageList) positionOf(i int) (data.ListPosition, bool) {
	page := l.pages[i/pageSize]
	if page == nil || page.rows[i%pageSize] == nil {
		return data.ListPosition{}, false
	}
	return data.ListPosition{ID: page.rows[i%pageSize].ID, Index: i, Total: page.total, MaxID: page.maxID}, true
}

// readHits reads up to want hits of a search, MaxPage at a time.
func readHits(ctx context.Context, store messageListStore, folderID int64, query string, want int) ([]*data.Message, error) {
	var out []*data.Message
	var after data.Cursor
	for len(out) < want {
		page, err := store.SearchMessages(ctx, folderID, query, after, min(want-len(out), data.MaxPage))
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < min(want-len(out)+len(page), data.MaxPage) || len(page) == 0 {
			break
		}
		after = page[len(page)-1].Cursor()
	}
	return out, nil
}

// readPage reads page p of the folder, unless it is being read.
func (l *messageList) readPage(p int) {
	if l.loading[p] || l.folder == nil {
		return
	}
	l.loading[p] = true
	gen, folder, order := l.gen, l.folder, l.order
	var r data.MessageSlice
	l.run(func(ctx context.Context) error {
		var err error
		r, err = l.store.MessagesAt(ctx, folder.ID, order, p*pageSize, pageSize)
		return err
	}, func(err error) {
		if gen != l.gen {
			return
		}
		delete(l.loading, p)
		if err != nil {
			l.failed(err)
			return
		}
		delete(l.pages, p)
		place(l.pages, r)
		l.total, l.loaded = r.Total, true
		l.forgetFarPages(p)
		l.list.Refresh()
		l.reselect()
		l.showEmpty()
	})
}

// forgetFarPages keeps the keptPages pages nearest to page p.
func (l *messageList) forgetFarPages(p int) {
	if len(l.pages) <= keptPages {
		return
	}
	keys := make([]int, 0, len(l.pages))
	for k := range l.pages {
		keys = append(keys, k)
	}
	dist := func(k int) int { return max(k-p, p-k) }
	slices.SortFunc(keys, func(a, b int) int { return dist(a) - dist(b) })
	for _, k := range keys[keptPages:] {
		delete(l.pages, k)
	}
}

// searchMore reads the next page of the search's hits.
func (l *messageList) searchMore() {
	if !l.more || l.busy || l.folder == nil {
		return
	}
	l.busy = true
	gen, folder, query := l.gen, l.folder, l.query
	var after data.Cursor
	if n := len(l.hits); n > 0 {
		after = l.hits[n-1].Cursor()
	}
	var page []*data.Message
	l.run(func(ctx context.Context) error {
		var err error
		page, err = l.store.SearchMessages(ctx, folder.ID, query, after, pageSize)
		return err
	}, func(err error) {
		if gen != l.gen {
			return
		}
		l.busy = false
		if err != nil {
			l.failed(err)
			return
		}
		l.hits, l.more, l.loaded = append(l.hits, page...), len(page) == pageSize, true
		l.list.Refresh()
		l.reselect()
		l.showEmpty()
	})
}

func (l *messageList) failed(err error) {
	if l.onError != nil {
		l.onError(l.explain("read the messages", err))
	}
}

// showEmpty says why the list is empty: nothing matches the search, or the folder is empty.
func (l *messageList) showEmpty() {
	switch {
	case !l.loaded || l.length() > 0 || l.folder == nil:
		l.empty.Hide()
		return
	case l.query != "":
		l.empty.SetText("No messages match “" + l.query + "”.")
	default:
		l.empty.SetText("No messages in this folder.")
	}
	l.empty.Show()
}

// length is how many rows the list has: the folder's count, or the hits read so far.
func (l *messageList) length() int {
	if l.query != "" {
		return len(l.hits)
	}
	return l.total
}

// messageAt returns the message of row i, or nil when its page has not been read.
func (l *messageList) messageAt(i int) *data.Message {
	if i < 0 {
		return nil
	}
	if l.query != "" {
		if i < len(l.hits) {
			return l.hits[i]
		}
		return nil
	}
	if page := l.pages[i/pageSize]; page != nil && i%pageSize < len(page.rows) {
		return page.rows[i%pageSize]
	}
	return nil
}

// indexOf returns the row of message id among those read, or -1.
func (l *messageList) indexOf(id int64) int {
	if l.query != "" {
		return slices.IndexFunc(l.hits, func(m *data.Message) bool { return m.ID == id })
	}
	for p, page := range l.pages {
		if i := slices.IndexFunc(page.rows, func(m *data.Message) bool { return m != nil && m.ID == id }); i >= 0 {
			return p*pageSize + i
		}
	}
	return -1
}

// messages returns the messages read so far, in list order.
func (l *messageList) messages() []*data.Message {
	if l.query != "" {
		return l.hits
	}
	keys := make([]int, 0, len(l.pages))
	for k := range l.pages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []*data.Message
	for _, k := range keys {
		for _, m := range l.pages[k].rows {
			if m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// selected returns the selected message, or nil.
func (l *messageList) selected() *data.Message {
	if l.selectedID == 0 {
		return nil
	}
	return l.messageAt(l.indexOf(l.selectedID))
}

// selectedRow returns the selected row, or -1: among the rows read, else where the selected
// message was last seen (its page may have been let go while the list scrolled far away).
func (l *messageList) selectedRow() int {
	if l.selectedID == 0 {
		return -1
	}
	if i := l.indexOf(l.selectedID); i >= 0 {
		return i
	}
	if l.query == "" && l.selectedAt.ID == l.selectedID {
		return l.selectedAt.Index
	}
	return -1
}

// neighbour returns the message that takes the place of message id when it goes: the next
// one, else the one before; nil when there is none or it has not been read.
func (l *messageList) neighbour(id int64) *data.Message {
	i := l.indexOf(id)
	if i < 0 {
		return nil
	}
	if m := l.messageAt(i + 1); m != nil {
		return m
	}
	return l.messageAt(i - 1)
}

// choose selects message m (shown at once by the caller) as if it had been clicked.
func (l *messageList) choose(m *data.Message) {
	l.selectedID = m.ID
	l.reselect()
}

// reselect shows the selected message as selected where it is among the rows read, without
// opening it again or scrolling.
func (l *messageList) reselect() {
	if l.pendingOpen >= 0 {
		if m := l.messageAt(l.pendingOpen); m != nil {
			l.pendingOpen = -1
			l.selectedID = m.ID
			l.onOpen(m)
		}
	}
	if i := l.indexOf(l.selectedID); i >= 0 && l.query == "" {
		l.selectedAt, _ = l.positionOf(i)
	}
	i := l.selectedRow()
	if i < 0 {
		l.quietly(l.list.UnselectAll)
		return
	}
	offset := l.list.GetScrollOffset()
	l.quietly(func() { l.list.Select(i) })
	if l.list.GetScrollOffset() != offset {
		l.list.ScrollToOffset(offset)
	}
}

func (l *messageList) quietly(f func()) {
	l.quiet = true
	defer func() { l.quiet = false }()
	f()
}

// chosen opens the message of row id, clicked or moved to; a row not yet read opens when
// its page comes.
func (l *messageList) chosen(id widget.ListItemID) {
	if l.quiet {
		return
	}
	l.focus()
	m := l.messageAt(id)
	if m == nil {
		l.pendingOpen = id
		l.selectedID = 0
		return
	}
	l.pendingOpen = -1
	l.selectedID = m.ID
	l.selectedAt, _ = l.positionOf(id)
	l.onOpen(m)
}

// focus gives the list the keyboard focus. A tap on a row asks for it too, but for the
// embedded widget.List, which the desktop driver does not find in the window.
func (l *messageList) focus() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(l.list); c != nil && c.Focused() != l.list {
		c.Focus(l.list)
	}
}

// move selects the row delta rows from the selected one (the first when none is).
func (l *messageList) move(delta int) {
	from := l.selectedRow()
	if l.pendingOpen >= 0 {
		from = l.pendingOpen
	}
	if from < 0 {
		l.moveTo(0)
		return
	}
	l.moveTo(from + delta)
}

// moveTo selects row i (kept inside the list) and scrolls to it.
func (l *messageList) moveTo(i int) {
	n := l.length()
	if n == 0 {
		return
	}
	i = max(0, min(i, n-1))
	if i == l.selectedRow() {
		return // at the end already
	}
	l.list.UnselectAll()
	l.list.Select(i)
}

// openSelected shows the selected message again (Enter).
func (l *messageList) openSelected() {
	if m := l.selected(); m != nil {
		l.onOpen(m)
	}
}

// rowStride is the height of a row with the space between rows, as the list lays them out.
func (l *messageList) rowStride() float32 {
	if l.stride == 0 {
		l.stride = l.createRow().MinSize().Height + theme.Padding()
	}
	return l.stride
}

// rowAt returns the row at scroll offset y.
func (l *messageList) rowAt(y float32) int { return int(y / l.rowStride()) }

// rowsShown is how many rows fit in the list as it is laid out now.
func (l *messageList) rowsShown() int {
	return max(1, int(l.list.Size().Height/l.rowStride()))
}

// messageRow is one row of the list: its cells, and a tap on it selects it and gives the
// list the keyboard focus. The list's own tap handling asks for the focus for the embedded
// widget.List, which the desktop driver does not find in the window, so the arrow keys went
// elsewhere.
type messageRow struct {
	widget.BaseWidget
	cells *fyne.Container
	list  *messageList
	id    widget.ListItemID
}

// CreateRenderer draws the cells.
func (r *messageRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.cells) }

// Tapped gives the list the focus and selects the row (a selected row stays so).
func (r *messageRow) Tapped(*fyne.PointEvent) {
	r.list.focus()
	r.list.list.Select(r.id)
}

func (l *messageList) createRow() fyne.CanvasObject {
	label := func(align fyne.TextAlign) *widget.Label {
		t := widget.NewLabel("")
		t.Truncation = fyne.TextTruncateEllipsis
		t.Alignment = align
		return t
	}
	r := &messageRow{list: l, cells: container.New(columnsLayout{}, widget.NewIcon(nil), widget.NewIcon(nil),
		label(fyne.TextAlignLeading), label(fyne.TextAlignLeading), label(fyne.TextAlignLeading), label(fyne.TextAlignTrailing))}
	r.ExtendBaseWidget(r)
	return r
}

func (l *messageList) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	row := o.(*messageRow)
	row.id = id
	cells := row.cells.Objects
	flag, att := cells[0].(*widget.Icon), cells[1].(*widget.Icon)
	from, subject, date, size := cells[2].(*widget.Label), cells[3].(*widget.Label), cells[4].(*widget.Label), cells[5].(*widget.Label)
	if l.query != "" && id >= len(l.hits)-pageSize/4 {
		l.searchMore()
	}
	m := l.messageAt(id)
	if m == nil {
		if l.query == "" {
			l.readPage(id / pageSize)
		}
		setIcon(flag, nil)
		setIcon(att, nil)
		for _, t := range []*widget.Label{from, subject, date, size} {
			setLabel(t, "", false)
		}
		return
	}
	setIcon(flag, iconIf(m.Flags.Flagged, l.flaggedIcon))
	setIcon(att, iconIf(m.HasAttachment, l.attachmentIcon))
	unread := !m.Flags.Seen
	if l.senderKey() == data.SortTo {
		setLabel(from, orDash(m.To, "(no recipient)"), unread) // in Sent, who it went to matters
	} else {
		setLabel(from, orDash(m.From(), "(no sender)"), unread)
	}
	setLabel(subject, orDash(m.Subject, "(no subject)"), unread)
	setLabel(date, shortDate(m.ListDate()), unread)
	setLabel(size, humanSize(m.Size), unread)
}

// setLabel shows text on t, bold or not, redrawing it only when that changes: a refresh of
// the list then costs nothing for the rows that stayed the same (measuring text is the
// expensive part of drawing a row).
func setLabel(t *widget.Label, text string, bold bool) {
	if t.Text == text && t.TextStyle.Bold == bold {
		return
	}
	t.Text, t.TextStyle.Bold = text, bold
	t.Refresh()
}

func setIcon(i *widget.Icon, r fyne.Resource) {
	if i.Resource != r {
		i.SetResource(r)
	}
}

func iconIf(on bool, r fyne.Resource) fyne.Resource {
	if on {
		return r
	}
	return nil
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

// columnsLayout lays out the message list's columns, for its header and each row alike: flag
// and attachment icons, sender, subject, date and size. The subject takes the spare width.
type columnsLayout struct{}

const (
	iconColumn = 28
	dateColumn = 104
	sizeColumn = 76
)

// senderWidth is the sender column's share of width w.
func senderWidth(w float32) float32 { return max(110, min(240, w*0.26)) }

// Layout places the six cells side by side.
func (columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 6 {
		return
	}
	from := senderWidth(size.Width)
	subject := max(40, size.Width-2*iconColumn-from-dateColumn-sizeColumn)
	x := float32(0)
	for i, w := range []float32{iconColumn, iconColumn, from, subject, dateColumn, sizeColumn} {
		o := objs[i]
		if _, icon := o.(*widget.Icon); icon {
			s := min(w, size.Height, theme.IconInlineSize()+theme.Padding())
			o.Resize(fyne.NewSize(s, s))
			o.Move(fyne.NewPos(x+(w-s)/2, (size.Height-s)/2))
		} else {
			o.Resize(fyne.NewSize(w, size.Height))
			o.Move(fyne.NewPos(x, 0))
		}
		x += w
	}
}

// MinSize is one row's height, and room for every column with a short subject.
func (columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(2*iconColumn+senderWidth(0)+dateColumn+sizeColumn+80, h)
}
