package gui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// outboxViewStore is what the Outbox screen lists and deletes.
type outboxViewStore interface {
	Drafts(ctx context.Context) ([]*data.Draft, error)
	OutboxItems(ctx context.Context) ([]*data.OutboxItem, error)
	DeleteDraft(ctx context.Context, id int64) error
	DeleteOutbox(ctx context.Context, id int64) error
}

// outboxView is the "Outbox" screen: drafts being written and messages on their way out.
type outboxView struct {
	ui      *UI
	store   outboxViewStore
	drafts  []*data.Draft
	items   []*data.OutboxItem
	list    *widget.List
	content fyne.CanvasObject
	compose *widget.Button
}

// outboxRow is one line of the screen: a draft or an outbox message.
type outboxRow struct {
	draft *data.Draft
	item  *data.OutboxItem
}

func newOutboxView(u *UI) *outboxView {
	v := &outboxView{ui: u, store: u.store}
	v.compose = widget.NewButtonWithIcon("New message", theme.MailComposeIcon(), func() { u.compose(data.Composition{}, 0) })
	v.compose.Importance = widget.HighImportance
	v.list = widget.NewList(func() int { return len(v.drafts) + len(v.items) }, v.createRow, v.updateRow)
	intro := widget.NewLabel("Drafts are saved as you type. A message you send waits here until its server accepts it; " +
		"when there is no network it is tried again by itself.")
	intro.Wrapping = fyne.TextWrapWord
	v.content = container.NewBorder(container.NewVBox(container.NewHBox(v.compose), intro), nil, nil, nil, v.list)
	return v
}

func (v *outboxView) row(i int) outboxRow {
	if i < len(v.drafts) {
		return outboxRow{draft: v.drafts[i]}
	}
	if i-len(v.drafts) < len(v.items) {
		return outboxRow{item: v.items[i-len(v.drafts)]}
	}
	return outboxRow{}
}

func (v *outboxView) createRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabel("")
	state.Wrapping = fyne.TextWrapWord
	open := widget.NewButtonWithIcon("Open", theme.DocumentCreateIcon(), nil)
	resend := widget.NewButtonWithIcon("Send again", theme.MailSendIcon(), nil)
	now := widget.NewButtonWithIcon("Send now", theme.MailSendIcon(), nil)
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), nil)
	return container.NewBorder(nil, nil, nil, container.NewHBox(open, resend, now, del), container.NewVBox(title, state))
}

func (v *outboxView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := v.row(i)
	c := o.(*fyne.Container)
	texts := c.Objects[0].(*fyne.Container).Objects
	title, state := texts[0].(*widget.Label), texts[1].(*widget.Label)
	btns := c.Objects[1].(*fyne.Container).Objects
	open, resend, now, del := btns[0].(*widget.Button), btns[1].(*widget.Button), btns[2].(*widget.Button), btns[3].(*widget.Button)
	var comp data.Composition
	switch {
	case r.draft != nil:
		comp = r.draft.Composition
		state.SetText("Draft, saved " + r.draft.UpdatedAt.Local().Format("2 Jan 15:04"))
		state.Importance = widget.MediumImportance
		d := r.draft
		open.OnTapped = func() { v.ui.compose(d.Composition, d.ID) }
		del.OnTapped = func() {
			v.confirmDelete("Delete this draft?", func(ctx context.Context) error { return v.store.DeleteDraft(ctx, d.ID) })
		}
		open.Show()
		resend.Hide()
		now.Hide()
		del.Show()
	case r.item != nil:
		it := r.item
		comp = it.Composition
		state.SetText(itemState(it))
		state.Importance = widget.MediumImportance
		if it.State == data.OutboxFailed || it.State == data.OutboxInterrupted {
			state.Importance = widget.DangerImportance
		}
		canRetry := it.State == data.OutboxFailed || it.State == data.OutboxInterrupted
		open.OnTapped = func() { v.ui.editOutbox(it) }
		open.Hidden = !canRetry
		resend.OnTapped = func() { v.ui.resend(it.ID) }
		resend.Hidden = !canRetry
		now.OnTapped = v.sendNow
		now.Hidden = !waiting(it)
		del.OnTapped = func() {
			v.confirmDelete("Delete this message from the outbox? It will not be sent.",
				func(ctx context.Context) error { return v.store.DeleteOutbox(ctx, it.ID) })
		}
		del.Hidden = it.State == data.OutboxSending
	}
	to := strings.TrimSpace(comp.To)
	if to == "" {
		to = "(no recipient yet)"
	}
	subject := comp.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	title.SetText(subject + " — to " + to)
	for _, b := range []*widget.Button{open, resend, now, del} {
		b.Refresh()
	}
}

// waiting reports whether it waits to be tried again after a temporary failure.
func waiting(it *data.OutboxItem) bool { return it.State == data.OutboxQueued && it.LastError != "" }

// unsent keeps the messages still on their way out: a sent message leaves the list, unless
// the copy for its Sent folder could not be saved yet (that is said on its row).
func unsent(items []*data.OutboxItem) []*data.OutboxItem {
	var out []*data.OutboxItem
	for _, it := range items {
		if it.State != data.OutboxSent || (it.SentCopy == data.SentCopyPending && it.LastError != "") {
			out = append(out, it)
		}
	}
	return out
}

// sendNow sends every waiting message at once instead of at its next try; the outbox reports
// each outcome, which reloads the list.
func (v *outboxView) sendNow() {
	v.ui.background(func(ctx context.Context) error {
		_, err := v.ui.outbox.Hurry(ctx)
		return err
	}, func(err error) {
		if err != nil {
			showError(v.ui.win, "Send now", v.ui.explain("send the waiting messages", err))
		}
	})
}

// itemState says where an outbox message is, in plain words.
func itemState(it *data.OutboxItem) string {
	switch it.State {
	case data.OutboxQueued:
		if waiting(it) {
			return fmt.Sprintf("Waiting: %s Mailroom tries again by itself at %s, or press Send now.",
				it.LastError, it.NextAttempt.Local().Format("15:04"))
		}
		return "Waiting to be sent"
	case data.OutboxSending:
		return "Sending…"
	case data.OutboxSent:
		if it.LastError != "" { // only a Sent copy that waits is still listed
			return it.LastError + " Mailroom tries again by itself."
		}
		return "Sent " + it.SentAt.Local().Format("2 Jan 15:04")
	case data.OutboxFailed:
		return "Not sent: " + it.LastError + " Open it to fix it, or send it again."
	case data.OutboxInterrupted:
		return "Maybe not sent: " + it.LastError
	}
	return string(it.State)
}

func (v *outboxView) confirmDelete(question string, del func(context.Context) error) {
	dialog.NewConfirm("Delete", question, func(ok bool) {
		if !ok {
			return
		}
		v.ui.background(del, func(err error) {
			if err != nil {
				showError(v.ui.win, "Delete", v.ui.explain("delete the message", err))
			}
			v.load()
		})
	}, v.ui.win).Show()
}

func (v *outboxView) load() {
	var drafts []*data.Draft
	var items []*data.OutboxItem
	v.ui.background(func(ctx context.Context) error {
		var err error
		if drafts, err = v.store.Drafts(ctx); err != nil {
			return err
		}
		items, err = v.store.OutboxItems(ctx)
		return err
	}, func(err error) {
		if err != nil {
			v.ui.log.Error("read outbox", "err", err)
			return
		}
		v.drafts, v.items = drafts, unsent(items)
		v.list.Refresh()
	})
}

// editOutbox opens a failed or interrupted message to fix it and send it again.
func (u *UI) editOutbox(it *data.OutboxItem) {
	w := u.compose(it.Composition, 0)
	w.outboxID = it.ID
	w.status.SetText(itemState(it))
}

// resend queues a failed or interrupted message again as it is.
func (u *UI) resend(id int64) {
	u.background(func(ctx context.Context) error { return u.outbox.Resend(ctx, id, nil, true) }, func(err error) {
		if err != nil {
			showError(u.win, "Send again", u.explain("send the message again", err))
		}
		u.outboxView.load()
	})
}
