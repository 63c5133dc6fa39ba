package mailclient

import (
	"errors"
	"fmt"

	"mailroom/data"
)

// ErrSyncTakenOver is returned when a folder's sync lost its lease to another sync (it had
// stopped for longer than data.LeaseTTL): it stops rather than write over the other's work.
var ErrSyncTakenOver = errors.New("another sync took over the folder")

// holdFolder takes folder f's sync lease, waiting while another sync (another window's, or
// another Mailroom process's) holds it, and returns the lease with f's state read again
// under it: what the other sync stored must be what this one starts from, or it would take
// the other's new messages for expunged ones, or drop the folder as renumbered.
func (sy *syncer) holdFolder(f *data.Folder) (*data.FolderLease, *data.Folder, error) {
	var waiting func(string)
	if sy.opt.Waiting != nil {
		waiting = func(owner string) { sy.opt.Waiting(f.Name, owner) }
	}
	// No command is outstanding while it waits: the connection may stay silent meanwhile.
	restore := sy.ic.conn.quiet()
	lease, err := sy.store.AcquireFolderLease(sy.ctx, f.ID, waiting)
	restore()
	if err != nil {
		return nil, nil, err
	}
	fresh, err := sy.store.Folder(lease.Context(), f.ID)
	if err != nil {
		return nil, nil, errors.Join(err, lease.Release())
	}
	return lease, fresh, nil
}

// releaseFolder gives the lease up and returns the folder sync's outcome err, which is
// ErrSyncTakenOver when the lease was lost during it.
func (sy *syncer) releaseFolder(lease *data.FolderLease, err error) error {
	switch {
	case lease.Lost() && err == nil:
		err = ErrSyncTakenOver
	case lease.Lost(): // err is then the cancelled context's, which is no cancel by the person
		err = fmt.Errorf("%w (%v)", ErrSyncTakenOver, err)
	}
	return errors.Join(err, lease.Release())
}
