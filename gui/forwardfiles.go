package gui

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"mailroom/data"
)

// forwardAttachments copies the attachments of message m for a forward to attach, streamed
// from the server when the cache does not hold the message whole, and returns their paths.
func (v *mailView) forwardAttachments(ctx context.Context, m *data.Message) ([]string, error) {
	return v.mail.SaveAttachmentsForForward(ctx, m.ID, v.ui.attachDir(m.ID))
}

// forwardRoot is the folder under which forwarded messages' attachments are kept until sent.
func (u *UI) forwardRoot() string { return filepath.Join(u.cacheDir, "forward") }

// cleanForwardFiles removes the attachment copies made for forwarding that no draft and no
// unsent message needs any more, once they are a day old (a compose window may be open).
func (u *UI) cleanForwardFiles() {
	root := u.forwardRoot()
	u.background(func(ctx context.Context) error {
		needed := map[string]bool{}
		drafts, err := u.store.Drafts(ctx)
		if err != nil {
			return err
		}
		for _, d := range drafts {
			for _, p := range d.Attachments {
				needed[p] = true
			}
		}
		items, err := u.store.OutboxItems(ctx)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.State != data.OutboxSent {
				for _, p := range it.Attachments {
					needed[p] = true
				}
			}
		}
		return removeUnneeded(root, needed, time.Now().Add(-24*time.Hour))
	}, func(err error) {
		if err != nil {
			u.log.Warn("clean forwarded attachments", "err", err)
		}
	})
}

// removeUnneeded deletes the files below root older than before that needed does not name,
// and the folders left empty.
func removeUnneeded(root string, needed map[string]bool, before time.Time) error {
	dirs, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, d := range dirs {
		dir := filepath.Join(root, d.Name())
		files, _ := os.ReadDir(dir)
		left := len(files)
		for _, f := range files {
			p := filepath.Join(dir, f.Name())
			if info, err := f.Info(); err == nil && !needed[p] && info.ModTime().Before(before) {
				if os.Remove(p) == nil {
					left--
				}
			}
		}
		if left == 0 {
			os.Remove(dir)
		}
	}
	return nil
}
