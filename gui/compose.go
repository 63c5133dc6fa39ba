package gui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// draftPause is how long typing must pause before the draft is saved.
const draftPause = 3 * time.Second

// composeStore is what a compose window reads and saves: the sending mailboxes, the address book
// and its draft (whose server copy goes through the Mail screen's mailbox workers).
type composeStore interface {
	Mailboxes(ctx context.Context) ([]*data.Mailbox, error)
	AddressBook(ctx context.Context, limit int) ([]data.AddressUse, error)
	SaveDraft(ctx context.Context, d *data.Draft) error
}

// composeWindow is a window in which one message is written: a draft saved as it is typed,
// sent through the outbox.
type composeWindow struct {
	formWindow
	ui        *UI
	store     composeStore
	draft     data.Draft // ID 0 until first saved
	mailboxes []*data.Mailbox

	from                 *widget.Select
	to, cc, bcc, subject *escEntry
	body                 *bodyEntry
	emptyBodyOK          bool                           // the person chose to send without text
	book                 []data.AddressUse              // addresses seen in mail, most used first
	suggestions          map[string]*addressSuggestions // of To, Cc and Bcc
	attachments          []string
	attachList           *fyne.Container
	status               *widget.Label
	send                 *widget.Button
	saveTimer            *time.Timer
	timerMu              sync.Mutex
	serverMu             sync.Mutex // one copy to the server's Drafts folder at a time
	outboxID             int64      // resending a failed outbox message instead of a draft
	closed               bool
}

// compose opens a compose window filled with c; draftID is the draft it continues (0 for new).
func (u *UI) compose(c data.Composition, draftID int64) *composeWindow {
	w := &composeWindow{ui: u, store: u.store}
	w.formWindow = newFormWindow(u.app, composeTitle(c.Subject), shortcuts{
		ctrl(fyne.KeyReturn): func() { w.submit(false) },
		ctrl(fyne.KeyEnter):  func() { w.submit(false) },
		ctrl(fyne.KeyS):      func() { w.saveDraft(nil) },
	})
	w.draft.ID, w.draft.Composition = draftID, c
	w.attachments = append([]string(nil), c.Attachments...)
	w.build()
	w.loadMailboxes(c.MailboxID)
	w.loadAddressBook()
	if draftID == 0 && c.Body == "" {
		w.insertSignature()
	}
	w.win.SetCloseIntercept(w.close)
	w.win.Resize(fyne.NewSize(760, 640))
	w.win.Show()
	if c.To == "" {
		w.win.Canvas().Focus(w.to)
	} else {
		w.win.Canvas().Focus(w.body)
	}
	// Addresses that came filled in (a mailto: link) are checked at once, not at the first key.
	for field, e := range map[string]*escEntry{mailclient.FieldTo: w.to, mailclient.FieldCc: w.cc, mailclient.FieldBcc: w.bcc} {
		if e.Text != "" {
			w.checkAddressesSoon(field, e)
		}
	}
	return w
}

// composeTitle is the title of a compose window: its subject, "New message" while there is none.
func composeTitle(subject string) string {
	if strings.TrimSpace(subject) == "" {
		return "New message"
	}
	return subject
}

func (w *composeWindow) build() {
	w.from = widget.NewSelect(nil, func(string) { w.changed(mailclient.FieldFrom) })
	entry := func(text, field string) *escEntry {
		e := w.formEntry(w.close)
		e.SetText(text)
		e.OnChanged = func(string) { w.changed(field) }
		return e
	}
	c := w.draft.Composition
	w.to, w.cc, w.bcc = entry(c.To, mailclient.FieldTo), entry(c.Cc, mailclient.FieldCc), entry(c.Bcc, mailclient.FieldBcc)
	w.suggestions = map[string]*addressSuggestions{}
	for field, e := range map[string]*escEntry{mailclient.FieldTo: w.to, mailclient.FieldCc: w.cc, mailclient.FieldBcc: w.bcc} {
		field, e := field, e
		sug := newSuggestions(e)
		w.suggestions[field] = sug
		e.OnChanged = func(string) {
			w.changed(field)
			w.checkAddressesSoon(field, e)
			w.suggest(sug)
		}
	}
	w.to.SetPlaceHolder("Ann Example <ann@example.com>, bob@example.com")
	w.subject = entry(c.Subject, mailclient.FieldSubject)
	w.subject.OnChanged = func(s string) {
		w.changed(mailclient.FieldSubject)
		w.win.SetTitle(composeTitle(s))
	}
	w.body = newBodyEntry(w.close, w.keys)
	w.body.Wrapping = fyne.TextWrapWord
	w.body.SetText(c.Body)
	w.body.OnChanged = func(string) { w.changed("body") }
	w.attachList = container.NewVBox()
	w.showAttachments()
	w.status = widget.NewLabel("")
	w.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), func() { w.submit(false) })
	w.send.Importance = widget.HighImportance
	attach := widget.NewButtonWithIcon("Attach…", theme.FileIcon(), w.chooseAttachment)
	save := widget.NewButtonWithIcon("Save draft", theme.DocumentSaveIcon(), func() { w.saveDraft(nil) })

	form := container.New(newFormLayout(),
		widget.NewLabel("From"), w.field(w.from, mailclient.FieldFrom),
		widget.NewLabel("To"), w.recipients(w.to, mailclient.FieldTo),
		widget.NewLabel("Cc"), w.recipients(w.cc, mailclient.FieldCc),
		widget.NewLabel("Bcc"), w.recipients(w.bcc, mailclient.FieldBcc),
		widget.NewLabel("Subject"), w.field(w.subject, mailclient.FieldSubject))
	attachments := container.New(newFormLayout(),
		widget.NewLabel("Attachments"), w.field(container.NewVBox(w.attachList, container.NewHBox(attach)), mailclient.FieldAttachments))
	buttons := container.NewBorder(nil, nil, nil, container.NewHBox(save, widget.NewButton("Close", w.close), w.send),
		newReasonLabel(w.status, w.win, "Draft"))
	bottom := container.NewVBox(attachments, buttons)
	// Laid out as a border, in the order Tab follows: the header fields, the text, then the
	// attachments and the buttons.
	w.win.SetContent(container.New(layout.NewBorderLayout(form, bottom, nil, nil), form, w.body, bottom))
	w.keys.install(w.win.Canvas())
}

// recipients is a recipients field with its error and the addresses it suggests below it.
func (w *composeWindow) recipients(e *escEntry, field string) fyne.CanvasObject {
	return container.NewVBox(w.field(e, field), w.suggestions[field].box)
}

// loadMailboxes offers the user's mailboxes as senders, the default (or want) first.
func (w *composeWindow) loadMailboxes(want int64) {
	list, err := w.store.Mailboxes(context.Background())
	if err != nil {
		w.ui.log.Error("list mailboxes", "err", err)
	}
	w.mailboxes = list
	var names []string
	chosen := ""
	for _, m := range list {
		name := m.Address
		if m.SenderName != "" {
			name = fmt.Sprintf("%s <%s>", m.SenderName, m.Address)
		}
		names = append(names, name)
		if m.ID == want || (want == 0 && m.IsDefault) {
			chosen = name
		}
	}
	w.from.Options = names
	if chosen != "" {
		w.from.SetSelected(chosen)
	}
	if len(list) == 0 {
		w.setError(mailclient.FieldFrom, "Add a mailbox first (Mailboxes → New mailbox); the message is kept as a draft.")
	}
	w.dirty = false
}

// checkAddressesSoon checks the addresses of a recipients field once typing pauses, and
// names beside it each one that is not an address; a last entry still being typed is left alone.
func (w *composeWindow) checkAddressesSoon(field string, e *escEntry) {
	typed := e.Text
	w.ui.jobs.Add(1)
	time.AfterFunc(w.ui.typingPause, func() {
		w.ui.onUI(func() {
			defer w.ui.jobs.Done()
			if e.Text != typed || w.closed {
				return // still typing
			}
			_, bad := mailclient.ParseAddressList(typed)
			var msgs []string
			for _, b := range bad {
				msgs = append(msgs, "“"+b.Input+"”: "+b.Reason)
			}
			w.setError(field, strings.Join(msgs, "\n"))
		})
	})
}

// insertSignature puts the sending mailbox's signature below an empty new message.
func (w *composeWindow) insertSignature() {
	i := w.from.SelectedIndex()
	if i < 0 || i >= len(w.mailboxes) || w.mailboxes[i].Signature == "" {
		return
	}
	w.body.SetText("\n\n-- \n" + w.mailboxes[i].Signature)
	w.body.CursorRow, w.body.CursorColumn = 0, 0
	w.dirty = false
}

// changed marks the message edited, clears the field's error, and saves the draft once typing pauses.
func (w *composeWindow) changed(field string) {
	w.formWindow.changed(field)
	w.timerMu.Lock()
	defer w.timerMu.Unlock()
	if w.saveTimer != nil {
		w.saveTimer.Stop()
	}
	w.saveTimer = time.AfterFunc(draftPause, func() {
		w.ui.onUI(func() {
			if w.dirty && !w.closed {
				w.saveDraft(nil)
			}
		})
	})
}

func (w *composeWindow) stopTimer() {
	w.timerMu.Lock()
	defer w.timerMu.Unlock()
	if w.saveTimer != nil {
		w.saveTimer.Stop()
	}
}

// composition reads the fields.
func (w *composeWindow) composition() data.Composition {
	c := w.draft.Composition
	c.MailboxID, c.From = 0, ""
	if i := w.from.SelectedIndex(); i >= 0 && i < len(w.mailboxes) {
		c.MailboxID = w.mailboxes[i].ID
		c.From = w.from.Selected
	}
	c.To, c.Cc, c.Bcc, c.Subject, c.Body = w.to.Text, w.cc.Text, w.bcc.Text, w.subject.Text, w.body.Text
	c.Attachments = append([]string(nil), w.attachments...)
	return c
}

// saveDraft keeps what is typed in the database, then runs then (when not nil).
func (w *composeWindow) saveDraft(then func()) {
	d := w.draft
	d.Composition = w.composition()
	w.dirty = false
	w.ui.background(func(ctx context.Context) error { return w.store.SaveDraft(ctx, &d) }, func(err error) {
		if err != nil {
			w.dirty = true
			w.status.SetText("The draft could not be saved: " + w.ui.explain("save the draft", err))
			return
		}
		w.draft.ID = d.ID
		w.draft.CreatedAt = d.CreatedAt
		w.draft.MailboxID = d.MailboxID // where its server copy is
		w.status.SetText("Draft saved " + time.Now().Format("15:04"))
		w.keepOnServer(d)
		if then != nil {
			then()
		}
	})
}

// keepOnServer puts draft d in its mailbox's Drafts folder on the server too, replacing the
// copy the previous save left there, on the mailbox's connection of the Mail screen (no login
// of its own); one save at a time per window, in the order they came. The local draft is what
// counts: a server that cannot be reached only says so.
func (w *composeWindow) keepOnServer(d data.Draft) {
	w.ui.background(func(ctx context.Context) error {
		w.serverMu.Lock()
		defer w.serverMu.Unlock()
		return w.ui.mail.mail.KeepDraft(ctx, &d)
	}, func(err error) {
		if err != nil {
			w.ui.log.Warn("keep draft on server", "draft", d.ID, "err", err)
			w.status.SetText("Draft saved " + time.Now().Format("15:04") + " here, not on the server: " + mailclient.Explain(err))
		}
	})
}

// dropFromServer removes the sent draft's copy from its server's Drafts folder.
func (w *composeWindow) dropFromServer() {
	d := w.draft
	if d.ID == 0 {
		return
	}
	w.ui.background(func(ctx context.Context) error {
		w.serverMu.Lock() // after any save still under way
		defer w.serverMu.Unlock()
		return w.ui.mail.mail.DropDraft(ctx, &d)
	}, func(err error) {
		if err != nil {
			w.ui.log.Warn("drop draft from server", "draft", d.ID, "err", err)
		}
	})
}

// submit checks the message and puts it in the outbox; an empty subject is asked about first.
func (w *composeWindow) submit(allowEmptySubject bool) {
	c := w.composition()
	if c.MailboxID == 0 {
		w.setError(mailclient.FieldFrom, "Choose the mailbox to send from")
		return
	}
	if !w.emptyBodyOK && len(c.Attachments) == 0 && emptyText(c.Body) {
		d := dialog.NewConfirm("No text", "This message has no text and no attachment. Send it anyway?", func(ok bool) {
			if ok {
				w.emptyBodyOK = true
				w.submit(allowEmptySubject)
			} else {
				w.win.Canvas().Focus(w.body)
			}
		}, w.win)
		d.SetConfirmText("Send")
		d.SetDismissText("Write something")
		d.Show()
		return
	}
	draftID, outboxID := w.draft.ID, w.outboxID
	w.send.Disable()
	w.ui.background(func(ctx context.Context) error {
		if outboxID != 0 {
			return w.ui.outbox.Resend(ctx, outboxID, &c, allowEmptySubject)
		}
		_, err := w.ui.outbox.Queue(ctx, c, draftID, allowEmptySubject)
		return err
	}, func(err error) {
		w.send.Enable()
		var v *data.ValidationError
		switch {
		case errors.Is(err, mailclient.ErrEmptySubject):
			d := dialog.NewConfirm("No subject", "Send this message without a subject?", func(ok bool) {
				if ok {
					w.submit(true)
				} else {
					w.win.Canvas().Focus(w.subject)
				}
			}, w.win)
			d.SetConfirmText("Send")
			d.SetDismissText("Add a subject")
			d.Show()
		case errors.As(err, &v):
			msgs := map[string]string{}
			for _, f := range v.Fields {
				if msgs[f.Field] == "" {
					msgs[f.Field] = f.Msg
				} else {
					msgs[f.Field] += "\n" + f.Msg
				}
			}
			w.errs.showAll(msgs)
			w.status.SetText("Fix what is marked in red; the message was not sent.")
		case err != nil:
			showError(w.win, "The message was not sent", mailclient.Explain(err))
		default:
			w.closed, w.dirty = true, false
			w.stopTimer()
			w.dropFromServer()
			w.win.Close()
		}
	})
}

// emptyText reports whether body has no text above its signature ("-- " on a line of its own).
func emptyText(body string) bool {
	text := body
	if i := strings.Index("\n"+body, "\n-- \n"); i >= 0 {
		text = body[:i]
	}
	return strings.TrimSpace(text) == ""
}

// bodyEntry is the text of a message. Tab moves on to the attachments and the buttons, as in
// every form, instead of typing a tab character.
type bodyEntry struct{ escEntry }

func newBodyEntry(onEscape func(), keys shortcuts) *bodyEntry {
	e := &bodyEntry{escEntry{onEscape: onEscape, keys: keys}}
	e.MultiLine = true
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab is false: Tab moves the focus on.
func (e *bodyEntry) AcceptsTab() bool { return false }

func (w *composeWindow) chooseAttachment() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		w.addAttachment(r.URI().Path())
	}, w.win)
	d.SetFilter(regularFiles{})
	d.Resize(fyne.NewSize(700, 500))
	d.Show()
}

// regularFiles lets the file dialog offer only files that can be attached: the dialog opens
// the file chosen, and opening a FIFO would block until something writes to it.
type regularFiles struct{}

// Matches reports whether u is a regular file.
func (regularFiles) Matches(u fyne.URI) bool {
	st, err := os.Stat(u.Path())
	return err == nil && st.Mode().IsRegular()
}

// addAttachment attaches the file at path; it is read when the message is queued, and what
// goes out is the file as it was then.
func (w *composeWindow) addAttachment(path string) {
	if err := mailclient.CheckAttachment(path); err != nil {
		w.setError(mailclient.FieldAttachments, mailclient.Explain(err))
		return
	}
	w.attachments = append(w.attachments, path)
	w.showAttachments()
	w.changed(mailclient.FieldAttachments)
}

func (w *composeWindow) showAttachments() {
	w.attachList.RemoveAll()
	for i, p := range w.attachments {
		i := i
		size := "missing"
		if st, err := os.Stat(p); err == nil {
			size = humanSize(st.Size())
		}
		rm := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() {
			w.attachments = append(w.attachments[:i], w.attachments[i+1:]...)
			w.showAttachments()
			w.changed(mailclient.FieldAttachments)
		})
		rm.Importance = widget.LowImportance
		w.attachList.Add(container.NewBorder(nil, nil, nil, rm, widget.NewLabel(filepath.Base(p)+" ("+size+")")))
	}
	w.attachList.Refresh()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// close closes the window; with changes not yet saved it asks whether to keep them as a draft.
// An empty new message leaves nothing behind.
func (w *composeWindow) close() {
	w.stopTimer()
	c := w.composition()
	empty := c.To == "" && c.Cc == "" && c.Bcc == "" && c.Subject == "" && c.Body == "" && len(c.Attachments) == 0
	if empty && w.draft.ID == 0 {
		w.dirty = false // nothing to keep
	}
	w.askBeforeClosing(closeQuestion{title: "Close this message?", message: "What you typed since the draft was last saved is not kept yet.",
		discard: "Discard changes", save: "Save draft", onSave: w.saveDraft}, func() { w.closed = true })
}
