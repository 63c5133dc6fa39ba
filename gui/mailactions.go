package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// undoFor is how long "Deleted · Undo" stays in the status line after a delete.
const undoFor = 5 * time.Second

// mailActions are the Mail screen's actions beyond one message's flags: Move to…, Mark all
// read, and Undo after Delete.
type mailActions struct {
	v       *mailView
	move    *widget.Button
	markAll *widget.Button
	undoBar *fyne.Container // "Deleted · Undo", shown for undoFor after a delete
	undo    *widget.Button
	deleted int64 // the message Undo brings back
	shown   int   // counts deletes, so an older timer does not hide a newer bar
}

// newMail returns the Mail of v's screen: its changes redraw the list, and what the server
// refuses later is said in the status line.
func newMail(v *mailView) *mailclient.Mail {
	onUI := v.ui.onUI
	return &mailclient.Mail{Store: v.store, Secrets: v.ui.secrets, Log: v.ui.log,
		Changed:       func(id int64) { onUI(func() { v.changed(id) }) },
		FolderChanged: func(int64) { onUI(v.refreshCounts) }, // the list is redrawn by who asked
		Failed: func(a *data.Action, err error) {
			onUI(func() { v.status.SetText("The server refused to " + actionWords(a) + ": " + mailclient.Explain(err)) })
		},
	}
}

// actionWords names what action a did, for a sentence.
func actionWords(a *data.Action) string {
	switch {
	case a.IsDelete:
		return "delete the message"
	case a.Kind == data.ActionMove:
		return "move the message"
	case a.Kind == data.ActionFlagged:
		return "flag the message"
	case a.MessageID == 0:
		return "mark the folder read"
	}
	return "mark the message"
}

func newMailActions(v *mailView) *mailActions {
	m := &mailActions{v: v}
	m.move = widget.NewButtonWithIcon("Move to…", theme.FolderIcon(), m.showMoveMenu)
	m.markAll = widget.NewButtonWithIcon("Mark all read", theme.ConfirmIcon(), m.markFolderRead)
	m.undo = widget.NewButton("Undo", m.restore)
	m.undo.Importance = widget.LowImportance
	m.undoBar = container.NewHBox(widget.NewLabel("Deleted ·"), m.undo)
	m.undoBar.Hide()
	return m
}

// update enables the actions that fit what is shown and selected.
func (m *mailActions) update() {
	setEnabled(m.move, m.v.selected != nil && len(m.moveTargets()) > 0)
	setEnabled(m.markAll, m.v.folder != nil)
}

// moveTargets are the folders the selected message can move to: its mailbox's others.
func (m *mailActions) moveTargets() []*data.Folder {
	sel := m.v.selected
	if sel == nil {
		return nil
	}
	var out []*data.Folder
	for _, list := range m.v.folders {
		if len(list) == 0 || !hasFolder(list, sel.FolderID) {
			continue
		}
		for _, f := range list {
			if f.Selectable && f.ID != sel.FolderID {
				out = append(out, f)
			}
		}
	}
	return out
}

func hasFolder(list []*data.Folder, id int64) bool {
	for _, f := range list {
		if f.ID == id {
			return true
		}
	}
	return false
}

// moveMenu lists the folders to move the selected message to.
func (m *mailActions) moveMenu() *fyne.Menu {
	var items []*fyne.MenuItem
	for _, f := range m.moveTargets() {
		items = append(items, fyne.NewMenuItem(folderTitle(f), func() { m.moveTo(f) }))
	}
	return fyne.NewMenu("Move to", items...)
}

func (m *mailActions) showMoveMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(m.move)
	if c == nil {
		return
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(m.move).AddXY(0, m.move.Size().Height)
	widget.ShowPopUpMenuAtPosition(m.moveMenu(), c, pos)
}

// moveTo moves the selected message to folder f; it leaves the list at once.
func (m *mailActions) moveTo(f *data.Folder) {
	v := m.v
	if v.selected == nil {
		return
	}
	v.act("move the message", func(ctx context.Context, id int64) error { return v.mail.Move(ctx, id, f.ID) })
	v.selected = nil
	v.reader.clear()
	v.updateButtons()
}

// markFolderRead marks every message of the shown folder read.
func (m *mailActions) markFolderRead() {
	v := m.v
	f := v.folder
	if f == nil {
		return
	}
	v.ui.background(func(ctx context.Context) error { return v.mail.MarkFolderRead(ctx, f.ID) }, func(err error) {
		v.actionDone("mark the folder read", err)
		if v.folder == f { // applied, queued, or refused and put back in the cache: read it again
			v.reloadList()
		}
		v.refreshCounts()
	})
}

// offerUndo offers Undo for message id in the status line for undoFor.
func (m *mailActions) offerUndo(id int64) {
	m.deleted = id
	m.shown++
	shown := m.shown
	m.undoBar.Show()
	time.AfterFunc(undoFor, func() {
		m.v.ui.onUI(func() {
			if m.shown == shown {
				m.undoBar.Hide()
			}
		})
	})
}

// restore undoes the last delete: the message comes back to its list.
func (m *mailActions) restore() {
	id := m.deleted
	if id == 0 {
		return
	}
	m.deleted = 0
	m.undoBar.Hide()
	v := m.v
	var back *data.Message
	v.ui.background(func(ctx context.Context) error {
		if err := v.mail.Restore(ctx, id); err != nil && !errors.Is(err, mailclient.ErrQueued) {
			return err
		}
		back, _ = v.store.Message(ctx, id)
		return nil
	}, func(err error) {
		if errors.Is(err, data.ErrNothingToUndo) || errors.Is(err, mailclient.ErrCannotUndo) {
			v.status.SetText("The delete can no longer be undone; the message is in Trash.")
			return
		}
		v.actionDone("undo the delete", err)
		v.showBack(back)
		v.refreshCounts()
	})
}

// showBack shows message m, restored, again in the list when its folder is shown.
func (v *mailView) showBack(m *data.Message) {
	if m != nil && v.folder != nil && m.FolderID == v.folder.ID {
		v.reloadList()
	}
}

// actionDone says in the status line how an action ended: nothing when the server applied
// it, that it waits when the server cannot be reached, else why it failed.
func (v *mailView) actionDone(what string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, mailclient.ErrQueued):
		v.ui.log.Info(what+" waits for the server", "err", err)
		v.status.SetText("Working offline: the change is kept and made on the server when it can be reached.")
	default:
		v.ui.log.Warn(what, "err", err)
		v.status.SetText("Could not " + what + ": " + mailclient.Explain(err))
	}
}

// resumeActions applies the actions a previous run left queued.
func (v *mailView) resumeActions(ctx context.Context) {
	go func() {
		if err := v.mail.Resume(ctx); err != nil {
			v.ui.log.Warn("resume queued actions", "err", err)
		}
	}()
}
