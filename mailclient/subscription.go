package mailclient

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mailroom/data"
)

// IndexFile is the file of a published provider list that names its clientConfig files, one
// per line, relative to itself. ExportProviders writes it; a subscription to an https URL
// points at it.
const IndexFile = "index.txt"

// Limits on a provider list.
const (
	MaxIndexSize = 64 << 10 // bytes of index.txt
	MaxListFiles = 2000     // clientConfig files in one list
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
	// ApplySubscription makes source's providers exactly list in one transaction, or changes nothing.
	ApplySubscription(ctx context.Context, source string, list []*data.Provider) (*data.SubscriptionChanges, error)
	// RecordRefreshFailure notes why a refresh of source failed, keeping the providers.
	RecordRefreshFailure(ctx context.Context, source, reason string) error
}

// RefreshReport is what one refresh did.
type RefreshReport struct {
	Source     string
	Changes    *data.SubscriptionChanges // nil when the refresh failed
	Files      int                       // clientConfig files read
	Ignored    []string                  // files of a folder that are not XML
	Warnings   []string                  // "file: what it could not carry over"
	LastGoodAt time.Time                 // when the list was last applied; zero when never
}

// RefreshSubscription reads the whole subscribed list (client is used for an https source;
// nil means http.DefaultClient's settings, TLS verification on) and applies it in one
// transaction. Any unreadable or invalid file, an empty list, or a clash with a provider of
// this database refuses the whole refresh: the providers stay as the last good refresh left
// them, and the reason and time are recorded. It returns the report (LastGoodAt says how old
// the copy in use is) and an error wrapping ErrNotSubscribed, one of the list errors, a
// *data.ValidationError or ctx's error; RefreshMessage words it.
func RefreshSubscription(ctx context.Context, store SubscriptionStore, client *http.Client) (*RefreshReport, error) {
	sub, err := store.Subscription(ctx)
	if errors.Is(err, data.ErrNotFound) {
		return nil, fmt.Errorf("refresh: %w", ErrNotSubscribed)
	}
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	report := &RefreshReport{Source: sub.Source, LastGoodAt: sub.LastGoodAt}
	list, err := readList(ctx, client, sub.Source, report)
	if err == nil {
		report.Changes, err = store.ApplySubscription(ctx, sub.Source, list)
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

// readList reads every clientConfig of the list at source and returns their providers keyed
// as an import keys them.
func readList(ctx context.Context, client *http.Client, source string, report *RefreshReport) ([]*data.Provider, error) {
	var configs []namedConfig
	var err error
	if data.IsURLSource(source) {
		configs, err = readURLList(ctx, client, source)
	} else {
		configs, err = readFolderList(source, report)
	}
	if err != nil {
		return nil, err
	}
	if len(configs) == 0 {
		return nil, ErrEmptyList
	}
	report.Files = len(configs)
	return keyConfigs(configs, report), nil
}

type namedConfig struct {
	name string
	cc   *ClientConfig
}

// keyConfigs gives each provider its external id: the emailProvider id, or for a second file
// under one id "id/first-domain", as ImportProviders does.
func keyConfigs(configs []namedConfig, report *RefreshReport) []*data.Provider {
	used := map[string]bool{}
	out := make([]*data.Provider, 0, len(configs))
	for _, c := range configs {
		p := c.cc.Provider
		p.ExternalID = c.cc.ProviderID
		if used[p.ExternalID] && len(p.Domains) > 0 {
			p.ExternalID += "/" + p.Domains[0]
		}
		used[p.ExternalID] = true
		for _, w := range c.cc.Warnings {
			report.Warnings = append(report.Warnings, c.name+": "+w)
		}
		out = append(out, p)
	}
	return out
}

// readFolderList reads the folder's *.xml files (not its subfolders); other files are noted
// as ignored. A file that cannot be read or used fails the whole list.
func readFolderList(dir string, report *RefreshReport) ([]namedConfig, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read folder %s: %w", dir, err)
	}
	var out []namedConfig
	for _, e := range entries {
		switch {
		case e.IsDir() || e.Name() == IndexFile || strings.HasPrefix(e.Name(), "."):
			continue
		case !strings.EqualFold(filepath.Ext(e.Name()), ".xml"):
			report.Ignored = append(report.Ignored, e.Name())
			continue
		}
		if len(out) == MaxListFiles {
			return nil, fmt.Errorf("%w: more than %d files", ErrBadListFile, MaxListFiles)
		}
		cc, err := ReadClientConfigFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadListFile, e.Name(), err)
		}
		out = append(out, namedConfig{e.Name(), cc})
	}
	return out, nil
}

// readURLList fetches the index at indexURL and every file it names, each on the index's host.
func readURLList(ctx context.Context, client *http.Client, indexURL string) ([]namedConfig, error) {
	base, err := url.Parse(indexURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadIndex, err)
	}
	ictx, cancel := context.WithTimeout(ctx, listFetchTimeout)
	b, err := fetch(ictx, client, indexURL, MaxIndexSize)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	names, err := parseIndex(b)
	if err != nil {
		return nil, err
	}
	out := make([]namedConfig, 0, len(names))
	for _, name := range names {
		u, err := listFileURL(base, name)
		if err != nil {
			return nil, err
		}
		fctx, cancel := context.WithTimeout(ctx, listFetchTimeout)
		cc, err := fetchClientConfig(fctx, client, u, "")
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadListFile, name, err)
		}
		out = append(out, namedConfig{name, cc})
	}
	return out, nil
}

// parseIndex returns the file names of an index: one per line; blank lines and lines
// starting with # are skipped.
func parseIndex(b []byte) ([]string, error) {
	if looksLikeHTML(b) || bytes.IndexByte(b, 0) >= 0 {
		return nil, fmt.Errorf("%w: it looks like a web page or a binary file", ErrBadIndex)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(names) == MaxListFiles {
			return nil, fmt.Errorf("%w: more than %d files", ErrBadIndex, MaxListFiles)
		}
		names = append(names, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadIndex, err)
	}
	return names, nil
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
	switch {
	case errors.Is(err, ErrNotSubscribed):
		return "This Mailroom does not subscribe to a provider list."
	case errors.Is(err, context.Canceled):
		return "The refresh was cancelled; the providers stay as they were."
	case errors.Is(err, ErrEmptyList):
		return "The provider list is empty (is the share mounted?); the last good copy is kept."
	case errors.Is(err, ErrBadListFile):
		return fmt.Sprintf("The provider list has a file Mailroom cannot use, so none of it was applied: %v. The last good copy is kept.", unwrapFirst(err))
	case errors.Is(err, ErrBadIndex), errors.Is(err, ErrNotClientConfig):
		return "The provider list's index.txt is not a list of file names; check the address. The last good copy is kept."
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
