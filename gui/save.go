package gui

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// Saving a message or an attachment streams it from the server (or the cache, when it holds
// the message whole) to the chosen file, whatever its size, with the bytes written so far
// shown and a Cancel button; a save that fails or is cancelled leaves no partial file.

// saveButtonText is the label of the button that saves attachment a of rd, with its size;
// in a message the reader shows cut short, the last attachment it lists may be the one cut,
// so its size is a lower bound (saving still writes it whole).
func saveButtonText(rd *mailclient.Reading, a mailclient.Attachment) string {
	size := humanSize(a.Size)
	if rd.Truncated && a.Index == len(rd.Attachments)-1 {
		size = "over " + size
	}
	return fmt.Sprintf("Save %s (%s)", orDash(a.Name, "attachment"), size)
}

// saveAttachment asks where to save attachment a of message m, under a safe file name.
func (v *mailView) saveAttachment(m *data.Message, a mailclient.Attachment) {
	v.chooseFile("Save attachment", mailclient.SafeFileName(a.Name), func(w fyne.URIWriteCloser) {
		v.saveTo(w, "Save attachment", orDash(a.Name, "attachment"), func(ctx context.Context, out io.Writer) (int64, error) {
			return v.mail.SaveAttachment(ctx, m.ID, a, out)
		})
	})
}

// saveEML asks where to save message m whole, as it came from the server.
func (v *mailView) saveEML(m *data.Message) {
	v.chooseFile("Save message", mailclient.SafeFileName(orDash(m.Subject, "message"))+".eml", func(w fyne.URIWriteCloser) {
		v.saveTo(w, "Save message", orDash(m.Subject, "(no subject)"), func(ctx context.Context, out io.Writer) (int64, error) {
			return v.mail.SaveMessage(ctx, m.ID, out)
		})
	})
}

// chooseFile shows the save dialog with name filled in and calls chosen with the file.
func (v *mailView) chooseFile(title, name string, chosen func(fyne.URIWriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			showError(v.ui.win, title, "The file could not be created: "+err.Error())
			return
		}
		if w != nil {
			chosen(w)
		}
	}, v.ui.win)
	d.SetFileName(name)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// saveTo runs save into w in the background, showing its progress in a dialog that can
// cancel it, and ends in one outcome: the status line says what was saved, or a dialog says
// why not (the partial file removed), or the status line says it was cancelled.
func (v *mailView) saveTo(w fyne.URIWriteCloser, title, what string, save func(context.Context, io.Writer) (int64, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	progress := widget.NewLabel("Saving " + what + "…")
	bar := widget.NewProgressBarInfinite()
	d := dialog.NewCustom(title, "Cancel", container.NewVBox(progress, bar), v.ui.win)
	d.SetOnClosed(cancel)
	d.Show()
	var written atomic.Int64
	stop := make(chan struct{})
	go func() { // the count, four times a second
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				n := written.Load()
				fyne.Do(func() { progress.SetText(fmt.Sprintf("Saving %s… %s written", what, humanSize(n))) })
			}
		}
	}()
	var n int64
	v.ui.background(func(context.Context) error {
		var err error
		n, err = save(ctx, &countInto{w: w, n: &written})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			storage.Delete(w.URI())
		}
		return err
	}, func(err error) {
		close(stop)
		bar.Stop()
		canceled := ctx.Err() != nil
		d.Hide()
		cancel()
		switch {
		case canceled:
			v.status.SetText("Saving " + what + " was cancelled; nothing was kept.")
		case err != nil:
			v.ui.log.Error("save", "what", what, "err", err)
			showError(v.ui.win, title, what+" could not be saved: "+mailclient.Explain(err))
		default:
			v.status.SetText(fmt.Sprintf("Saved %s (%s) to %s.", what, humanSize(n), w.URI().Path()))
		}
	})
}

// countInto passes writes on to w, adding their size to n.
type countInto struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countInto) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n.Add(int64(k))
	return k, err
}
