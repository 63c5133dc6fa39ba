package gui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

var listDay = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// listMessages returns n messages with UIDs 1..n, one an hour, read, with subject "Message
// <uid>" and a body cached for each (so that opening, replying and forwarding need no server).
func listMessages(n int) []*data.Message {
	out := make([]*data.Message, n)
	for i := range out {
		uid := uint32(i + 1)
		out[i] = &data.Message{UID: uid, Date: listDay.Add(time.Duration(i) * time.Hour), Size: int64(1000 + i),
			Subject: fmt.Sprintf("Message %d", uid), FromName: "Bob", FromAddr: "bob@example.net",
			To: "Ann <ann@example.test>", Flags: data.Flags{Seen: true}}
	}
	return out
}

// inboxStore returns a store of "ann" with one mailbox (its server at a closed port) whose
// Inbox holds msgs, and that Inbox.
func inboxStore(t testing.TB, msgs []*data.Message) (*data.Store, *data.Folder) {
	t.Helper()
	s, err := data.Open(filepath.Join(t.TempDir(), "m.db"), "ann")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, fillInbox(t, s, msgs)
}

func fillInbox(t testing.TB, s *data.Store, msgs []*data.Message) *data.Folder {
	t.Helper()
	ctx := context.Background()
	p := data.NewProvider()
	p.Name, p.Domains = "Example Test", []string{"example.test"}
	p.IMAP.Host, p.IMAP.Port, p.SMTP.Host, p.SMTP.Port = "127.0.0.1", 1, "127.0.0.1", 1
	if err := s.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	m := &data.Mailbox{Address: "ann@example.test", ProviderID: p.ID, Login: "ann"}
	if err := s.SaveMailbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFolders(ctx, m.ID, []data.FolderInfo{{Name: "INBOX", Role: data.RoleInbox, Selectable: true},
		{Name: "Trash", Role: data.RoleTrash, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	fs, err := s.Folders(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for from := 0; from < len(msgs); from += 1000 {
		batch := msgs[from:min(from+1000, len(msgs))]
		if err := s.StoreMessages(ctx, fs[0].ID, batch, batch[len(batch)-1].UID); err != nil {
			t.Fatal(err)
		}
	}
	return fs[0]
}

// cacheBodies stores a small body for each message of folder f that the list shows first.
func cacheBodies(t *testing.T, s *data.Store, f *data.Folder, n int) {
	t.Helper()
	ctx := context.Background()
	page, _, err := s.MessageRange(ctx, f.ID, data.ListOrder{}, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page {
		raw := "From: Bob <bob@example.net>\r\nTo: ann@example.test\r\nSubject: " + m.Subject +
			"\r\nMessage-ID: <" + m.Subject[8:] + "@example.net>\r\n\r\nText of " + m.Subject + ".\r\n"
		if err := s.SaveMessageBody(ctx, m.ID, []byte(raw), false, "text"); err != nil {
			t.Fatal(err)
		}
	}
}

// typeShortcut hands sc to the focused widget as the desktop driver does, or to the window.
func typeShortcut(u *UI, sc fyne.Shortcut) {
	act(u, func() {
		if f, ok := u.win.Canvas().Focused().(fyne.Shortcutable); ok {
			f.TypedShortcut(sc)
			return
		}
		u.win.Canvas().(fyne.Shortcutable).TypedShortcut(sc)
	})
	u.jobs.Wait()
}

// typeKey hands key k to the focused widget as the desktop driver does, or to the window.
func typeKey(u *UI, k fyne.KeyName) {
	act(u, func() {
		if f := u.win.Canvas().Focused(); f != nil {
			f.TypedKey(&fyne.KeyEvent{Name: k})
			return
		}
		u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
	})
	u.jobs.Wait()
}

// closeOthers closes the windows opened besides the main window (compose windows).
func closeOthers(u *UI) {
	for _, w := range u.app.Driver().AllWindows() {
		if w != nil && w != u.win && w.Title() != "" {
			act(u, w.Close)
		}
	}
	u.jobs.Wait()
}

func windowTitles(u *UI) []string {
	var out []string
	for _, w := range u.app.Driver().AllWindows() {
		if w != u.win {
			out = append(out, w.Title())
		}
	}
	return out
}

// findObject returns the first object of type typ (as %T prints it) drawn in o, or nil.
func findObject(o fyne.CanvasObject, typ string) fyne.CanvasObject {
	if fmt.Sprintf("%T", o) == typ {
		return o
	}
	var children []fyne.CanvasObject
	switch w := o.(type) {
	case *fyne.Container:
		children = w.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(w).Objects()
	}
	for _, c := range children {
		if f := findObject(c, typ); f != nil {
			return f
		}
	}
	return nil
}

// shownTexts returns the texts of the labels drawn in o (rows of a list that are in view).
func shownTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
			return
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
			return
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// Ctrl+N, Ctrl+R, Ctrl+Shift+R, Ctrl+L, Ctrl+F and F5 work while the search box has the
// focus (Fyne gives shortcuts to the focused entry, which used to keep them), and the box
// still takes its own (select all) and text.
func TestShortcutsWorkWithFocusInTheSearchBox(t *testing.T) {
	s, f := inboxStore(t, listMessages(5))
	cacheBodies(t, s, f, 5)
	u := newTestUI(t, s)
	act(u, func() { u.mail.list.moveTo(0) })
	u.jobs.Wait()
	if u.mail.selected == nil || u.mail.selected.Subject != "Message 5" {
		t.Fatalf("selected %+v", u.mail.selected)
	}
	focusSearch := func() { act(u, func() { u.win.Canvas().Focus(u.mail.search) }) }
	for _, c := range []struct {
		sc    desktop.CustomShortcut
		title string
	}{
		{ctrl(fyne.KeyN), "New message"},
		{ctrl(fyne.KeyR), "Re: Message 5"},
		{desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}, "Re: Message 5"},
		{ctrl(fyne.KeyL), "Fwd: Message 5"},
	} {
		focusSearch()
		before := len(windowTitles(u))
		typeShortcut(u, &c.sc)
		titles := windowTitles(u)
		if len(titles) != before+1 || !slices.Contains(titles, c.title) {
			t.Errorf("%s in the search box: windows %q, want one more titled %q", c.sc.ShortcutName(), titles, c.title)
		}
		closeOthers(u) // the test driver hands a shortcut to the newest window's canvas
	}
	focusSearch()
	typeKey(u, fyne.KeyF5)
	if !strings.HasPrefix(u.mail.status.Text, "Sync") {
		t.Errorf("F5 in the search box: status %q", u.mail.status.Text)
	}
	act(u, func() { u.win.Canvas().Focus(u.mail.list.list) })
	typeShortcut(u, &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	if u.win.Canvas().Focused() != u.mail.search {
		t.Errorf("Ctrl+F from the list focused %T", u.win.Canvas().Focused())
	}
	act(u, func() { test.Type(u.mail.search, "message") })
	typeShortcut(u, &fyne.ShortcutSelectAll{})
	if u.mail.search.Text != "message" || u.mail.search.SelectedText() != "message" {
		t.Errorf("the search box holds %q, selected %q", u.mail.search.Text, u.mail.search.SelectedText())
	}
}

// With the list focused, Up/Down/PageUp/PageDown/Home/End move the selection and show the
// message; End reaches the last message of a folder whose end was never read; Enter opens.
func TestListKeysMoveThroughTheFolder(t *testing.T) {
	s, f := inboxStore(t, listMessages(450))
	cacheBodies(t, s, f, 5)
	u := newTestUI(t, s)
	act(u, func() { u.win.Canvas().Focus(u.mail.list.list) })
	shown := func(key fyne.KeyName, want string) {
		t.Helper()
		typeKey(u, key)
		if m := u.mail.selected; m == nil || m.Subject != want {
			t.Fatalf("after %s: selected %+v, want %q", key, m, want)
		}
		if !strings.Contains(u.mail.reader.subject.Text, want) {
			t.Errorf("after %s: the reader shows %q", key, u.mail.reader.subject.Text)
		}
	}
	shown(fyne.KeyDown, "Message 450")
	shown(fyne.KeyDown, "Message 449")
	shown(fyne.KeyUp, "Message 450")
	shown(fyne.KeyEnd, "Message 1")
	shown(fyne.KeyPageUp, fmt.Sprintf("Message %d", 1+u.mail.list.rowsShown()))
	shown(fyne.KeyHome, "Message 450")
	shown(fyne.KeyPageDown, fmt.Sprintf("Message %d", 450-u.mail.list.rowsShown()))
	act(u, u.mail.reader.clear)
	typeKey(u, fyne.KeyReturn)
	if !strings.HasPrefix(u.mail.reader.subject.Text, "Message") {
		t.Errorf("Enter opened %q", u.mail.reader.subject.Text)
	}
}

// The scrollbar stands for the whole folder: dragged to its end on 100,000 messages, the list
// shows the oldest ones at once (one page read there, not every page before it).
func TestScrollbarDraggedToTheEndShowsTheOldestMessages(t *testing.T) {
	s, _ := inboxStore(t, listMessages(100_000))
	u := newTestUI(t, s)
	l := u.mail.list
	if n := l.list.Length(); n != 100_000 {
		t.Fatalf("the list has %d rows, want the folder's 100000", n)
	}
	bar := findObject(l.list, "*widget.scrollBar")
	if bar == nil {
		t.Fatal("the list has no scrollbar")
	}
	// Drag the scrollbar's thumb down by the list's height: to the end.
	act(u, func() {
		d := bar.(fyne.Draggable)
		d.Dragged(&fyne.DragEvent{Dragged: fyne.NewDelta(0, l.list.Size().Height)})
		d.DragEnd()
	})
	u.jobs.Wait()
	texts := strings.Join(shownTexts(l.list), "|")
	if !strings.Contains(texts, "|Message 1|") || !strings.Contains(texts, "|Message 2|") {
		t.Fatalf("at the end the list shows %q", texts)
	}
	if len(l.pages) > keptPages {
		t.Errorf("%d pages kept", len(l.pages))
	}
	act(u, func() { test.Tap(l.sorts[data.SortDate]) }) // oldest first, from the top
	u.jobs.Wait()
	if l.list.GetScrollOffset() != 0 || l.messageAt(0) == nil || l.messageAt(0).Subject != "Message 1" {
		t.Errorf("oldest first: offset %v, first %+v", l.list.GetScrollOffset(), l.messageAt(0))
	}
}

// A refresh after the store changed (new mail arriving above) keeps the selected message
// selected and the rows in view in view.
func TestRefreshKeepsSelectionAndViewWhenMailArrives(t *testing.T) {
	msgs := listMessages(300)
	s, f := inboxStore(t, msgs)
	cacheBodies(t, s, f, 300)
	u := newTestUI(t, s)
	l := u.mail.list
	act(u, func() {
		l.list.ScrollToOffset(10 * l.rowStride())
		l.moveTo(12)
	})
	u.jobs.Wait()
	top := l.messageAt(l.rowAt(l.list.GetScrollOffset()))
	chosen := u.mail.selected
	if top == nil || chosen == nil || chosen.Subject != "Message 288" {
		t.Fatalf("top %+v, selected %+v", top, chosen)
	}
	arrived := listMessages(303)[300:]
	if err := s.StoreMessages(context.Background(), f.ID, arrived, 303); err != nil {
		t.Fatal(err)
	}
	act(u, u.mail.reloadList)
	u.jobs.Wait()
	if l.list.Length() != 303 || l.messageAt(0) == nil || l.messageAt(0).Subject != "Message 303" {
		t.Fatalf("after the change: %d rows, first %+v", l.list.Length(), l.messageAt(0))
	}
	if got := l.selected(); got == nil || got.ID != chosen.ID || l.selectedRow() != 15 {
		t.Errorf("selected %+v at row %d, want %q at row 15", got, l.selectedRow(), chosen.Subject)
	}
	if now := l.messageAt(l.rowAt(l.list.GetScrollOffset())); now == nil || now.ID != top.ID {
		t.Errorf("the top row in view is %+v, was %q", now, top.Subject)
	}
	if u.mail.reader.subject.Text != "Message 288" {
		t.Errorf("the reader shows %q", u.mail.reader.subject.Text)
	}
}

// The list is ordered and dated by the Date header: arrival where it is missing or in 2099.
func TestListOrdersAndDatesByTheDateHeader(t *testing.T) {
	arrive := func(h int) time.Time { return listDay.Add(time.Duration(h) * time.Hour) }
	s, _ := inboxStore(t, []*data.Message{
		{UID: 1, Date: arrive(10), SentDate: arrive(9), Subject: "written last"},
		{UID: 2, Date: arrive(11), Subject: "no Date header"},
		{UID: 3, Date: arrive(12), SentDate: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), Subject: "dated 2099"},
		{UID: 4, Date: arrive(13), SentDate: listDay.AddDate(0, -1, 0), Subject: "written first"},
	})
	u := newTestUI(t, s)
	texts := shownTexts(u.mail.list.list)
	want := []string{"dated 2099", "no Date header", "written last", "written first"}
	var subjects []string
	for _, tx := range texts {
		if slices.Contains(want, tx) {
			subjects = append(subjects, tx)
		}
	}
	if !slices.Equal(subjects, want) {
		t.Errorf("rows %q, want %q", subjects, want)
	}
	dateOf := func(subject string) string { // the row's cells: sender, subject, date, size
		if i := slices.Index(texts, subject); i >= 0 && i+1 < len(texts) {
			return texts[i+1]
		}
		return ""
	}
	for subject, d := range map[string]time.Time{"written first": listDay.AddDate(0, -1, 0), "dated 2099": arrive(12), "no Date header": arrive(11)} {
		if got := dateOf(subject); got != shortDate(d) {
			t.Errorf("%q dated %q, want %q", subject, got, shortDate(d))
		}
	}
}

// A click on a column header sorts by it, a second click reverses; a search that finds
// nothing says so; the toolbar acts only on a selected message.
func TestHeadersSortAndEmptySearchSaysSo(t *testing.T) {
	msgs := listMessages(30)
	for i, m := range msgs {
		m.Subject = fmt.Sprintf("%c subject", 'a'+(i*7)%26)
	}
	s, _ := inboxStore(t, msgs)
	u := newTestUI(t, s)
	l := u.mail.list
	if !u.mail.reply.Disabled() || !u.mail.del.Disabled() {
		t.Error("the toolbar acts with nothing selected")
	}
	act(u, func() { test.Tap(l.sorts[data.SortSubject]) })
	u.jobs.Wait()
	if first := l.messageAt(0); first == nil || first.Subject != "a subject" {
		t.Fatalf("sorted by subject, first %+v", first)
	}
	act(u, func() { test.Tap(l.sorts[data.SortSubject]) })
	u.jobs.Wait()
	if first := l.messageAt(0); first == nil || first.Subject != "z subject" {
		t.Fatalf("sorted by subject Z to A, first %+v", first)
	}
	act(u, func() { test.Tap(l.sorts[data.SortSize]) })
	u.jobs.Wait()
	if first := l.messageAt(0); first == nil || first.UID != 30 {
		t.Fatalf("sorted by size, first %+v", first)
	}
	act(u, func() { l.moveTo(3) })
	u.jobs.Wait()
	if u.mail.reply.Disabled() || u.mail.del.Disabled() {
		t.Error("the toolbar is disabled with a message selected")
	}
	act(u, func() { u.mail.search.SetText("nothingmatchesthis") })
	u.jobs.Wait()
	if !l.empty.Visible() || l.empty.Text != "No messages match “nothingmatchesthis”." {
		t.Errorf("empty search shows %q (visible %v)", l.empty.Text, l.empty.Visible())
	}
	if !u.mail.reply.Disabled() || !u.mail.del.Disabled() || u.mail.selected != nil {
		t.Error("the toolbar still acts on a message the list no longer shows")
	}
	act(u, func() { u.mail.search.SetText("subject") })
	u.jobs.Wait()
	if l.empty.Visible() || l.list.Length() != 30 {
		t.Errorf("a search with hits: empty %v, %d rows", l.empty.Visible(), l.list.Length())
	}
}

// After Delete the next message is selected and shown.
func TestDeleteSelectsTheNextMessage(t *testing.T) {
	s, f := inboxStore(t, listMessages(10))
	cacheBodies(t, s, f, 10)
	u := newTestUI(t, s)
	act(u, func() {
		u.win.Canvas().Focus(u.mail.list.list)
		u.mail.list.moveTo(2)
	})
	u.jobs.Wait()
	if u.mail.selected == nil || u.mail.selected.Subject != "Message 8" {
		t.Fatalf("selected %+v", u.mail.selected)
	}
	typeKey(u, fyne.KeyDelete)
	if m := u.mail.selected; m == nil || m.Subject != "Message 7" || u.mail.list.selected() == nil || u.mail.list.selected().ID != m.ID {
		t.Errorf("after Delete: selected %+v, in the list %+v", m, u.mail.list.selected())
	}
	if u.mail.reader.subject.Text != "Message 7" {
		t.Errorf("after Delete the reader shows %q", u.mail.reader.subject.Text)
	}
}

// With the focus in the reader's text (clicked to select some of it), the window's shortcuts,
// F5 and Delete still work, and typing does not change the text.
func TestShortcutsWorkWithFocusInTheReader(t *testing.T) {
	s, f := inboxStore(t, listMessages(5))
	cacheBodies(t, s, f, 5)
	u := newTestUI(t, s)
	act(u, func() { u.mail.list.moveTo(1) })
	u.jobs.Wait()
	body := u.mail.reader.body
	if body.Text != "Text of Message 4.\n" {
		t.Fatalf("the reader shows %q", body.Text)
	}
	focusReader := func() { act(u, func() { u.win.Canvas().Focus(body) }) }
	for sc, title := range map[*desktop.CustomShortcut]string{ctrlShortcut(fyne.KeyN): "New message",
		ctrlShortcut(fyne.KeyR): "Re: Message 4", ctrlShortcut(fyne.KeyL): "Fwd: Message 4"} {
		focusReader()
		typeShortcut(u, sc)
		if titles := windowTitles(u); !slices.Contains(titles, title) {
			t.Errorf("%s in the reader: windows %q, want %q", sc.ShortcutName(), titles, title)
		}
		closeOthers(u)
	}
	focusReader()
	act(u, func() { test.Type(body, "typed") })
	typeShortcut(u, &fyne.ShortcutPaste{Clipboard: u.win.Clipboard()})
	if body.Text != "Text of Message 4.\n" {
		t.Errorf("typing changed the reader's text to %q", body.Text)
	}
	typeKey(u, fyne.KeyF5)
	if !strings.HasPrefix(u.mail.status.Text, "Sync") {
		t.Errorf("F5 in the reader: status %q", u.mail.status.Text)
	}
	focusReader()
	typeKey(u, fyne.KeyDelete)
	if m := u.mail.selected; m == nil || m.Subject != "Message 3" {
		t.Errorf("Delete in the reader: selected %+v, want Message 3", m)
	}
}

func ctrlShortcut(k fyne.KeyName) *desktop.CustomShortcut {
	sc := ctrl(k)
	return &sc
}

// A folder with nothing to fetch shows no full progress bar, where it showed one for "0 of 0".
func TestSyncProgressShowsNoFullBarForNothingToFetch(t *testing.T) {
	u := newTestUI(t, openStore(t, filepath.Join(t.TempDir(), "m.db"), "ann"))
	v := u.mail
	st := newSyncStatus(u, v.status, v.bar)
	m := &data.Mailbox{ID: 1, Address: "ann@example.test"}
	act(u, func() {
		st.show(mailclient.SyncEvent{Kind: mailclient.SyncStarted, Mailbox: m})
		st.show(mailclient.SyncEvent{Kind: mailclient.SyncProgress, Mailbox: m, Folder: "INBOX", Done: 3, Total: 10})
	})
	if !v.bar.Visible() || v.bar.Value != 3 || v.bar.Max != 10 || v.status.Text != "Syncing ann@example.test, Inbox: 3 of 10" {
		t.Errorf("3 of 10: bar shown %v at %v of %v, status %q", v.bar.Visible(), v.bar.Value, v.bar.Max, v.status.Text)
	}
	act(u, func() {
		st.show(mailclient.SyncEvent{Kind: mailclient.SyncProgress, Mailbox: m, Folder: "Sent", Done: 0, Total: 0})
	})
	if (v.bar.Visible() && v.bar.Value >= v.bar.Max) || strings.Contains(v.status.Text, "0 of 0") {
		t.Errorf("0 of 0: bar shown %v at %v of %v, status %q", v.bar.Visible(), v.bar.Value, v.bar.Max, v.status.Text)
	}
}

// A refresh while the next page of a search's hits is being read does not stop the search
// from reading further pages.
func TestSearchReadsOnAfterARefresh(t *testing.T) {
	s, _ := inboxStore(t, listMessages(450))
	u := newTestUI(t, s)
	l := u.mail.list
	act(u, func() { u.mail.search.SetText("message") })
	u.jobs.Wait()
	if len(l.hits) != pageSize {
		t.Fatalf("%d hits read first", len(l.hits))
	}
	act(u, func() {
		l.searchMore()      // under way when the store changes
		u.mail.reloadList() // and its result is then dropped
	})
	u.jobs.Wait()
	act(u, l.searchMore)
	u.jobs.Wait()
	if len(l.hits) != 2*pageSize {
		t.Errorf("%d hits after reading on, want %d", len(l.hits), 2*pageSize)
	}
}

// A click on a message row selects and opens it and gives the list the keys; a click on a
// folder shows it and gives the tree the keys. (The click lands on the innermost tappable
// object, as the desktop driver delivers it.)
func TestClicksSelectAndFocus(t *testing.T) {
	s, f := inboxStore(t, listMessages(20))
	cacheBodies(t, s, f, 20)
	u := newTestUI(t, s)
	l := u.mail.list
	d := fyne.CurrentApp().Driver()
	act(u, func() {
		u.win.Canvas().Focus(u.mail.search)
		test.TapCanvas(u.win.Canvas(), d.AbsolutePositionForObject(l.list).Add(fyne.NewPos(200, 2.5*l.rowStride())))
	})
	u.jobs.Wait()
	if m := u.mail.selected; m == nil || m.Subject != "Message 18" || u.win.Canvas().Focused() != l.list {
		t.Errorf("a click on the third row: selected %+v, focus %T", m, u.win.Canvas().Focused())
	}
	typeKey(u, fyne.KeyDown)
	if m := u.mail.selected; m == nil || m.Subject != "Message 17" {
		t.Errorf("Down after the click: selected %+v", m)
	}
	var trash fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if n, ok := o.(*folderNode); ok && n.Text == "Trash" {
			trash = n
		}
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(u.mail.tree)
	if trash == nil {
		t.Fatal("no Trash in the folder tree")
	}
	act(u, func() {
		test.TapCanvas(u.win.Canvas(), d.AbsolutePositionForObject(trash).Add(fyne.NewPos(5, 5)))
	})
	u.jobs.Wait()
	if u.mail.folder == nil || u.mail.folder.Role != data.RoleTrash || u.win.Canvas().Focused() != u.mail.tree {
		t.Errorf("a click on Trash: folder %+v, focus %T", u.mail.folder, u.win.Canvas().Focused())
	}
}
