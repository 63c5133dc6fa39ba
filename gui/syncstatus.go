package gui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"mailroom/mailclient"
)

// syncStatus is the Mail screen's status line and progress bar: it shows what the sync
// coordinator tells, and raises a notification for new mail. It starts no sync itself.
type syncStatus struct {
	ui     *UI
	label  *widget.Label
	bar    *widget.ProgressBar
	active map[int64]string // mailbox id -> address, of the syncs under way
	failed map[int64]string // mailbox id -> why its last sync failed, since the last round began
	cancel bool             // a sync of this round was cancelled
}

func newSyncStatus(u *UI, label *widget.Label, bar *widget.ProgressBar) *syncStatus {
	return &syncStatus{ui: u, label: label, bar: bar, active: map[int64]string{}, failed: map[int64]string{}}
}

// listen shows the coordinator's events until it is told to stop (the returned function).
func (s *syncStatus) listen(c *mailclient.Coordinator) func() {
	return c.Listen(func(e mailclient.SyncEvent) { s.ui.onUI(func() { s.show(e) }) })
}

// show applies one event; on the UI goroutine.
func (s *syncStatus) show(e mailclient.SyncEvent) {
	m := e.Mailbox.Address
	switch e.Kind {
	case mailclient.SyncStarted:
		if len(s.active) == 0 {
			s.failed, s.cancel = map[int64]string{}, false
		}
		s.active[e.Mailbox.ID] = m
		s.bar.Max, s.bar.Value = 1, 0
		s.bar.Show()
		s.label.SetText("Syncing " + m + "…")
	case mailclient.SyncProgress:
		if e.Total == 0 { // the folder's sync begins: how many are new is not known yet
			s.label.SetText(fmt.Sprintf("Syncing %s, %s…", m, folderName(e.Folder)))
			return
		}
		s.label.SetText(fmt.Sprintf("Syncing %s, %s: %d of %d", m, folderName(e.Folder), e.Done, e.Total))
		s.bar.Max = float64(e.Total)
		s.bar.SetValue(float64(e.Done))
	case mailclient.SyncWaiting:
		s.label.SetText(fmt.Sprintf("Waiting for another sync of %s, %s (%s) to finish…", m, e.Folder, e.Owner))
	case mailclient.SyncEnded:
		s.ended(e)
	case mailclient.MailArrived:
		s.ui.announce(e.New)
	case mailclient.WatchFailed:
		s.label.SetText(fmt.Sprintf("%s: %s Trying again in %s.", m, mailclient.Explain(e.Err), e.RetryIn.Round(time.Second)))
	case mailclient.WatchStopped:
		if !errors.Is(e.Err, mailclient.ErrNoIdle) {
			s.label.SetText(m + ": " + mailclient.Explain(e.Err))
		}
	}
}

// ended records one mailbox's sync outcome and, once none runs, says how the round went.
func (s *syncStatus) ended(e mailclient.SyncEvent) {
	delete(s.active, e.Mailbox.ID)
	switch {
	case errors.Is(e.Err, context.Canceled):
		s.cancel = true
	case e.Err != nil:
		s.failed[e.Mailbox.ID] = e.Mailbox.Address + ": " + mailclient.Explain(e.Err)
	}
	if len(s.active) > 0 {
		return
	}
	s.bar.Hide()
	switch {
	case s.cancel:
		s.label.SetText("Sync cancelled.")
	case len(s.failed) > 0:
		var why []string
		for _, w := range s.failed {
			why = append(why, w)
		}
		sort.Strings(why)
		s.label.SetText("Sync failed for " + strings.Join(why, " "))
	default:
		s.label.SetText("Up to date, " + time.Now().Format("15:04") + ".")
	}
}

// folderName is how a folder is named in the status line: the Inbox as people know it.
func folderName(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "Inbox"
	}
	return name
}

// syncAll syncs every mailbox now, or, while syncs run, cancels them (a second press).
func (u *UI) syncAll() {
	if u.sync == nil {
		return
	}
	if u.sync.Busy() {
		u.sync.Cancel()
		return
	}
	u.background(func(ctx context.Context) error { return u.sync.SyncAll(ctx) }, func(error) {})
}

// syncAll is the Mail screen's Sync button and F5.
func (v *mailView) syncAll() { v.ui.syncAll() }
