package gui

import (
	"context"

	"fyne.io/fyne/v2/widget"
)

// keepStore is what the "Keep messages on this computer" box of the mailbox window needs
// of the store; *data.Store has it.
type keepStore interface {
	KeepMessages(ctx context.Context, mailboxID int64) (bool, error)
	SetKeepMessages(ctx context.Context, mailboxID int64, keep bool) error
}

// newKeepCheck returns the "Keep messages on this computer" box, on as for a new mailbox;
// changed is called when the person toggles it.
func newKeepCheck(changed func()) *widget.Check {
	c := widget.NewCheck("Keep messages on this computer (for reading offline and searching every message)", func(bool) { changed() })
	c.SetChecked(true)
	return c
}

// fillKeep shows whether mailbox id keeps its messages on this computer (on when unknown).
func fillKeep(c *widget.Check, store keepStore, id int64) {
	if keep, err := store.KeepMessages(context.Background(), id); err == nil {
		c.SetChecked(keep)
	}
}

// saveKeep records the box's state for mailbox id; run it off the UI goroutine with the
// state read on it.
func saveKeep(ctx context.Context, store keepStore, id int64, keep bool) error {
	return store.SetKeepMessages(ctx, id, keep)
}
