package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"mailroom/data"
)

// PublishStore is what publishing the provider list needs of the store (*data.Store has it).
type PublishStore interface {
	SigningKeyStore
	// List returns the providers of the list (not the personal ones).
	List(ctx context.Context) ([]*data.Provider, error)
	// Publishers returns the publisher set this database publishes.
	Publishers(ctx context.Context) ([]data.Publisher, error)
	// ListPublishers returns the publishers of the subscribed list trusted now.
	ListPublishers(ctx context.Context) ([]data.Publisher, error)
	// PlanPublish returns the next number and publishers; data.ErrNotPublisher when the own
	// key is not among them.
	PlanPublish(ctx context.Context, found int64) (*data.PublishPlan, error)
	// RecordPublished notes the list published.
	RecordPublished(ctx context.Context, seq int64, dir string, at time.Time) error
}

// PublishReport is what one publish wrote.
type PublishReport struct {
	Dir        string
	Sequence   int64
	Publishers []data.Publisher
	SignedBy   string // the public key that signed it
	Export     *ExportReport
}

// PublishProviders writes the provider list to dir: every provider (see ExportProviders), an
// IndexFile naming each file with its SHA-256 and the publishers, and its minisign signature
// (SignatureFile) by this database's key, whose trusted comment carries the list's number and
// time. The number is above any this database published or accepted and above that of a valid
// list already in dir. The key pair is made on first use (see OwnPublicKey). progress, when
// not nil, is called after each provider. It fails with data.ErrNotPublisher, ErrEmptyList,
// data.ErrNoKeyring or ErrSigningKeyLost (wrapped), or when dir cannot be written.
func PublishProviders(ctx context.Context, store PublishStore, secrets SecretStore, dir string, progress func(done, total int)) (*PublishReport, error) {
	dir = filepath.Clean(dir)
	priv, own, err := signingKey(ctx, store, secrets)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	plan, err := store.PlanPublish(ctx, foundSequence(dir))
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	list, err := store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	report := &PublishReport{Dir: dir, Sequence: plan.Sequence, Publishers: plan.Publishers, SignedBy: own}
	report.Export, err = ExportProviders(ctx, list, dir, progress)
	if err != nil {
		return report, fmt.Errorf("publish: %w", err)
	}
	ix := &ListIndex{Publishers: plan.Publishers}
	for _, f := range report.Export.Files {
		if f.Path != "" {
			ix.Files = append(ix.Files, ListFile{Name: filepath.Base(f.Path), SHA256: f.SHA256})
		}
	}
	if len(ix.Files) == 0 {
		return report, fmt.Errorf("publish: %w", ErrEmptyList)
	}
	text, _ := ix.MarshalText()
	now := time.Now()
	if err := writeFileAtomic(filepath.Join(dir, IndexFile), text); err != nil {
		return report, fmt.Errorf("publish: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, SignatureFile), signList(priv, text, plan.Sequence, now)); err != nil {
		return report, fmt.Errorf("publish: %w", err)
	}
	if err := store.RecordPublished(ctx, plan.Sequence, dir, now); err != nil {
		return report, fmt.Errorf("publish: %w", err)
	}
	return report, nil
}

// maxFoundSequence bounds the number taken from a list found in the folder, so that a
// forged number cannot make the next one overflow.
const maxFoundSequence = 1 << 40

// foundSequence returns the number of the list already in dir, else 0: a colleague may have
// published there since. That list need not be signed by a publisher this database trusts
// (it may be a colleague revoked since); its signature must only match a key it names.
func foundSequence(dir string) int64 {
	index, err := readBounded(filepath.Join(dir, IndexFile), MaxIndexSize)
	if err != nil {
		return 0
	}
	sig, err := readBounded(filepath.Join(dir, SignatureFile), MaxSignatureSize)
	if err != nil {
		return 0
	}
	ix, err := parseListIndex(index)
	if err != nil {
		return 0
	}
	l, err := verifyList(index, sig, ix.Publishers)
	if err != nil || l.Sequence > maxFoundSequence {
		return 0
	}
	return l.Sequence
}

// ErrTooLarge is the reason a file of a provider list is not read: it is over its bound.
// The error is a *FileTooLargeError.
var ErrTooLarge = errors.New("the file is too large")

// FileTooLargeError names the file over its bound and the bound.
type FileTooLargeError struct {
	Name  string
	Limit int64
}

// Error says which file is over which bound.
func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("%s: %v: more than %d bytes", e.Name, ErrTooLarge, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *FileTooLargeError) Is(target error) bool { return target == ErrTooLarge }

// readBounded reads the file at path when it holds at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, &FileTooLargeError{Name: filepath.Base(path), Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &FileTooLargeError{Name: filepath.Base(path), Limit: limit}
	}
	return b, nil
}

// PublishMessage returns one plain sentence for an error of PublishProviders or OwnPublicKey.
func PublishMessage(err error) string {
	switch {
	case errors.Is(err, data.ErrNotPublisher):
		return "You are not a publisher of the office's provider list. Send your public key (mailroom providers key, or Operation permissions) to a publisher and ask them to grant you."
	case errors.Is(err, ErrSigningKeyLost):
		return "The secret key you sign the provider list with is not in this computer's keyring any more, so the list was not published. Restore the keyring from a backup, or see the log."
	case errors.Is(err, data.ErrNoKeyring):
		return "Mailroom keeps the key that signs the provider list in the system keyring, which is not available. Unlock or start the keyring, then publish again."
	case errors.Is(err, ErrEmptyList):
		return "There is no provider to publish: add or import providers first."
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return "The folder cannot be written: check that the share is mounted and writable, or choose another folder."
	case errors.Is(err, context.Canceled):
		return "Publishing was cancelled; the folder may hold some new files, but subscribers keep the last signed list."
	}
	return fmt.Sprintf("The provider list could not be published: %v.", err)
}

// PublishersMessage returns one plain sentence for an error of granting or revoking a publisher.
func PublishersMessage(err error) string {
	var ve *data.ValidationError
	switch {
	case errors.As(err, &ve):
		return ve.Fields[0].Msg
	case errors.Is(err, data.ErrLastPublisher):
		return "The provider list must keep at least one publisher: grant someone else first."
	case errors.Is(err, data.ErrSelfRevoke):
		return "You cannot remove yourself: grant a colleague, and ask them to revoke you."
	case errors.Is(err, data.ErrNotPublisher):
		return "You are not a publisher of the office's provider list, so you cannot change who publishes it."
	case errors.Is(err, data.ErrNotFound):
		return "That key is not one of the publishers."
	}
	return PublishMessage(err)
}
