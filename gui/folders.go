package gui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

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

// folderNode is a node's label; a tap on it selects the node and gives the tree the keyboard
// focus (F5, Delete), which the tree's own tap asks for the embedded widget.Tree, not found
// by the desktop driver.
type folderNode struct {
	widget.Label
	tree *keyTree
	uid  widget.TreeNodeID
}

// Tapped gives the tree the focus and selects the node.
func (n *folderNode) Tapped(*fyne.PointEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(n.tree); c != nil && c.Focused() != n.tree {
		c.Focus(n.tree)
	}
	n.tree.Select(n.uid)
}

func (v *mailView) createNode(bool) fyne.CanvasObject {
	n := &folderNode{tree: v.tree}
	n.ExtendBaseWidget(n)
	return n
}

func (v *mailView) updateNode(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
	node := o.(*folderNode)
	node.uid = id
	l := &node.Label
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
		v.open(nil)
		v.list.show(f)
	}
}

// refreshCounts reads the folders' unread counts again for the tree.
func (v *mailView) refreshCounts() {
	boxes := v.mailboxes
	folders := map[int64][]*data.Folder{}
	v.ui.background(func(ctx context.Context) error {
		for _, m := range boxes {
			var err error
			if folders[m.ID], err = v.store.Folders(ctx, m.ID); err != nil {
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
