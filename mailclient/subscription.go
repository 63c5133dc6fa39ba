package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mailroom/data"
)

// IndexFile is the file of a published provider list that names its clientConfig files
// (beside it) with their SHA-256, and its publishers; SignatureFile signs it. PublishProviders
// writes both; a subscription to an https URL points at it.
const IndexFile = "index.txt"

// Limits on a provider list.
const (
	MaxIndexSize = 512 << 10 // bytes of index.txt
	MaxListFiles = 2000      // clientConfig files in one list
)

// SubscriptionInterval is how often RunSubscription refreshes the list.
const SubscriptionInterval = 4 * time.Hour

// listFetchTimeout bounds each request of a refresh.
const listFetchTimeout = 30 * time.Second

// Reasons a refresh is refused as a whole; the last good copy then stays.
var (
	ErrNotSubscribed = errors.New("no provider list subscription")
	ErrEmptyList     = errors.New("the provider list holds no clientConfig file")
	ErrBadIndex      = errors.New("the index is not a list of file names")
	ErrBadListFile   = errors.New("a file of the provider list cannot be used")
)

// SubscriptionStore is what a refresh needs of the store (*data.Store has it).
type SubscriptionStore interface {
	// Subscription returns the list followed; an error wrapping data.ErrNotFound when none.
	Subscription(ctx context.Context) (*data.Subscription, error)
	// ListPublishers returns the publishers whose signature is trusted now.
	ListPublishers(ctx context.Context) ([]data.Publisher, error)
	// ApplySubscription makes source's providers exactly list in one transaction, or changes
	// nothing: data.ErrNotTrusted or data.ErrReplayed when signed does not qualify.
	ApplySubscription(ctx context.Context, source string, signed *data.SignedCopy, list []*data.Provider) (*data.SubscriptionChanges, error)
	// RecordRefreshFailure notes why a refresh of source failed, keeping the providers.
	RecordRefreshFailure(ctx context.Context, source, reason string) error
}

// RefreshReport is what one refresh did.
type RefreshReport struct {
	Source     string
	Changes    *data.SubscriptionChanges // nil when the refresh failed
	Files      int                       // clientConfig files read
	Ignored    []string                  // files of a folder that the index does not name
	Sequence   int64                     // the number of the copy read; 0 when it could not be checked
	SignedBy   string                    // the name of the publisher who signed it
	Warnings   []string                  // "file: what it could not carry over"
	LastGoodAt time.Time                 // when the list was last applied; zero when never
}

// RefreshSubscription reads the whole subscribed list (client is used for an https source;
// nil means http.DefaultClient's settings, TLS verification on) and applies it in one
// transaction. The copy is accepted only when its index is signed by a publisher trusted now,
// its number is above the last accepted one (or it is that copy again), and every file it
// names matches its SHA-256; its publishers are trusted from then on. Files the index does
// not name are ignored. A missing or bad signature, another signer, an older copy, a changed,
// missing, unreadable, oversized or invalid file, an empty list, or a clash with a provider of
// this database refuses the whole refresh: the providers stay as the last good refresh left
// them, and the reason and time are recorded. It returns the report (LastGoodAt says how old
// the copy in use is) and an error wrapping ErrNotSubscribed, one of the list errors,
// data.ErrNotTrusted, data.ErrReplayed, a *data.ValidationError or ctx's error;
// RefreshMessage words it.
func RefreshSubscription(ctx context.Context, store SubscriptionStore, client *http.Client) (*RefreshReport, error) {
	sub, err := store.Subscription(ctx)
	if errors.Is(err, data.ErrNotFound) {
		return nil, fmt.Errorf("refresh: %w", ErrNotSubscribed)
	}
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	report := &RefreshReport{Source: sub.Source, LastGoodAt: sub.LastGoodAt}
	var signed *SignedList
	var list []*data.Provider
	trusted, err := store.ListPublishers(ctx)
	if err == nil {
		signed, list, err = readList(ctx, client, sub.Source, trusted, report)
	}
	if err == nil {
		report.Changes, err = store.ApplySubscription(ctx, sub.Source, signed.signedCopy(), list)
	}
	if err != nil {
		report.Changes = nil
		if ctx.Err() == nil {
			if rerr := store.RecordRefreshFailure(ctx, sub.Source, RefreshMessage(err)); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		return report, fmt.Errorf("refresh %s: %w", sub.Source, err)
	}
	if sub, err := store.Subscription(ctx); err == nil {
		report.LastGoodAt = sub.LastGoodAt
	}
	return report, nil
}

// RunSubscription refreshes the subscribed list now and then every interval
// (SubscriptionInterval when 0) until ctx ends, calling done after each refresh that had a
// subscription to work on. It is meant for a goroutine started with the application.
func RunSubscription(ctx context.Context, store SubscriptionStore, client *http.Client, interval time.Duration, done func(*RefreshReport, error)) {
	if interval <= 0 {
		interval = SubscriptionInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r, err := RefreshSubscription(ctx, store, client)
		if !errors.Is(err, ErrNotSubscribed) && ctx.Err() == nil && done != nil {
			done(r, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// listFileURL resolves name against the index's URL; the file must stay on the same https host.
func listFileURL(base *url.URL, name string) (string, error) {
	ref, err := url.Parse(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadIndex, name, err)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "https" || !strings.EqualFold(u.Host, base.Host) {
		return "", fmt.Errorf("%w: %q is not on %s", ErrBadIndex, name, base.Host)
	}
	return u.String(), nil
}

// RefreshMessage returns one plain sentence for an error of RefreshSubscription, as recorded
// for the settings screen.
func RefreshMessage(err error) string {
	var ve *data.ValidationError
	var ue *url.Error
	var big *FileTooLargeError
	switch {
	case errors.Is(err, ErrNotSubscribed):
		return "This Mailroom does not subscribe to a provider list."
	case errors.Is(err, context.Canceled):
		return "The refresh was cancelled; the providers stay as they were."
	case errors.Is(err, ErrNoListKey):
		return "Mailroom has no publisher key to check this provider list with: subscribe again with the key your publisher gives you. The last good copy is kept."
	case errors.Is(err, ErrNoSignature):
		return "The provider list is not signed (index.txt.minisig is missing), so none of it was applied; ask its publisher to publish it again. The last good copy is kept."
	case errors.Is(err, data.ErrNotTrusted):
		return "The provider list is signed by a key that is not one of its publishers (or no longer is), so none of it was applied. The last good copy is kept."
	case errors.Is(err, ErrBadSignature):
		return "The provider list's signature does not match its index: it was changed after it was signed, or damaged, so none of it was applied. The last good copy is kept."
	case errors.Is(err, data.ErrReplayed):
		return "The provider list found is older than the copy in use (a replayed or restored copy), so it was not applied. The last good copy is kept."
	case errors.Is(err, ErrFileChanged):
		return fmt.Sprintf("A file of the provider list was changed after it was published, so none of it was applied: %v. The last good copy is kept.", unwrapFirst(err))
	case errors.As(err, &big):
		return fmt.Sprintf("The provider list's %s is larger than Mailroom reads (%d bytes at most), so none of it was applied. The last good copy is kept.", big.Name, big.Limit)
	case errors.Is(err, ErrEmptyList):
		return "The provider list is empty (is the share mounted?); the last good copy is kept."
	case errors.Is(err, ErrBadListFile):
		return fmt.Sprintf("The provider list has a file Mailroom cannot use, so none of it was applied: %v. The last good copy is kept.", unwrapFirst(err))
	case errors.Is(err, ErrBadIndex), errors.Is(err, ErrNotClientConfig):
		return "The provider list's index.txt is not a Mailroom provider list; check the address. The last good copy is kept."
	case errors.As(err, &ve):
		return fmt.Sprintf("The provider list clashes with a provider of this computer: %v. Change or delete that provider; the last good copy is kept.", ve)
	case errors.Is(err, fs.ErrNotExist):
		return "The provider list's folder cannot be found (is the share mounted?); the last good copy is kept."
	case errors.Is(err, ErrNotListed), errors.Is(err, ErrHTTPStatus):
		return "The provider list's address answers with an error; check it. The last good copy is kept."
	case errors.As(err, &ue), errors.Is(err, context.DeadlineExceeded):
		return "The provider list cannot be reached; the last good copy is kept."
	}
	return fmt.Sprintf("The provider list cannot be read: %v. The last good copy is kept.", err)
}

// unwrapFirst returns the part of an ErrBadListFile error after the sentinel: "file: reason".
func unwrapFirst(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, ErrBadListFile.Error()+": "); ok {
		return rest
	}
	return msg
}
