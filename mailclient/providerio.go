package mailclient

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"mailroom/data"
)

// ProviderImporter is what ImportProviders needs of the store (*data.Store has it).
type ProviderImporter interface {
	providerView
	// InProviderTx runs fn in one write transaction over a view of the providers with the
	// methods below, committed when fn returns nil; an import decides and writes each file
	// in one, so that another import at the same time cannot come between the two.
	InProviderTx(ctx context.Context, fn func(*data.ProviderTx) error) error
}

// providerView is what deciding on one file reads and writes; *data.Store and
// *data.ProviderTx have it.
type providerView interface {
	// ProviderByExternalID returns the provider imported under id, with logo and domains;
	// an error wrapping data.ErrNotFound when there is none.
	ProviderByExternalID(ctx context.Context, id string) (*data.Provider, error)
	// NameTaken reports whether a provider other than id is called name, ignoring case and spaces.
	NameTaken(ctx context.Context, name string, id int64) (bool, error)
	// Save validates and writes p in one transaction. It fails with a *data.ValidationError
	// (a taken name or domain among them), data.ErrManaged, data.ErrConflict
	// or data.ErrNotFound.
	Save(ctx context.Context, p *data.Provider) error
}

// ImportStatus is what an import did with one file.
type ImportStatus string

// The outcomes of one file.
const (
	ImportAdded     ImportStatus = "imported"  // a new provider
	ImportUpdated   ImportStatus = "updated"   // the provider imported from it before, changed
	ImportUnchanged ImportStatus = "unchanged" // the provider already says what the file says
	ImportSkipped   ImportStatus = "skipped"   // refused; Err says why
	ImportIgnored   ImportStatus = "ignored"   // not an XML file, found in a folder
)

// ErrDomainTaken is the reason a file is skipped when one of its domains belongs to another
// provider: an import never takes a domain away.
var ErrDomainTaken = errors.New("a domain already belongs to another provider")

// ErrNotXML is the reason a file found in a folder was not read.
var ErrNotXML = errors.New("not an XML file")

// ImportResult is the outcome for one file.
type ImportResult struct {
	Path     string
	Status   ImportStatus
	Provider string   // the provider's name, when the file was read
	Err      error    // why the file was skipped or ignored
	Warnings []string // what could not be carried over
}

// ImportReport lists the outcome of every file, in the order they were read.
type ImportReport struct {
	Files []ImportResult
}

// Count returns how many files ended with status s.
func (r *ImportReport) Count(s ImportStatus) int {
	n := 0
	for _, f := range r.Files {
		if f.Status == s {
			n++
		}
	}
	return n
}

// Summary counts the outcomes in one line, as "125 files: 86 imported, 0 updated, …".
func (r *ImportReport) Summary() string {
	files := "files"
	if len(r.Files) == 1 {
		files = "file"
	}
	return fmt.Sprintf("%d %s: %d imported, %d updated, %d unchanged, %d skipped, %d ignored", len(r.Files), files,
		r.Count(ImportAdded), r.Count(ImportUpdated), r.Count(ImportUnchanged), r.Count(ImportSkipped), r.Count(ImportIgnored))
}

// Line says in one line what happened to the file: its status and the provider or the reason.
func (f ImportResult) Line() string {
	switch f.Status {
	case ImportSkipped, ImportIgnored:
		return fmt.Sprintf("%s: %s: %v", f.Path, f.Status, f.Err)
	}
	return fmt.Sprintf("%s: %s %q", f.Path, f.Status, f.Provider)
}

// ImportProviders reads clientConfig files and folders (only *.xml files are read from a
// folder, its other files are reported as ignored) and adds or updates one provider per file.
// A provider is matched by its emailProvider id, never by name; a name held by another
// provider gets the id added. progress, when not nil, is called after each file.
// It returns the report so far and an error when the import cannot go on: ctx was cancelled,
// or the store failed; ProblemMessage words it.
func ImportProviders(ctx context.Context, store ProviderImporter, paths []string, progress func(done, total int)) (*ImportReport, error) {
	report := &ImportReport{Files: collectFiles(paths)}
	total := len(report.Files)
	for i := range report.Files {
		if err := ctx.Err(); err != nil {
			report.Files = report.Files[:i]
			return report, fmt.Errorf("import providers: %w", err)
		}
		res := &report.Files[i]
		if res.Status == "" {
			if err := importFile(ctx, store, res); err != nil {
				report.Files = report.Files[:i+1]
				return report, fmt.Errorf("import %s: %w", res.Path, err)
			}
		}
		if progress != nil {
			progress(i+1, total)
		}
	}
	return report, nil
}

// collectFiles lists the files to import: a named file as is, a folder's files recursively.
// Entries that will not be read already carry their status.
func collectFiles(paths []string) []ImportResult {
	var out []ImportResult
	for _, p := range paths {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			out = append(out, ImportResult{Path: p, Status: ImportSkipped, Err: fileProblem(err)})
		case !info.IsDir():
			out = append(out, ImportResult{Path: p})
		default:
			out = append(out, walkFolder(p)...)
		}
	}
	return out
}

func walkFolder(dir string) []ImportResult {
	var out []ImportResult
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			out = append(out, ImportResult{Path: path, Status: ImportSkipped, Err: fileProblem(err)})
		case d.IsDir(), d.Name() == IndexFile: // an export's index is no provider
		case !strings.EqualFold(filepath.Ext(path), ".xml"):
			out = append(out, ImportResult{Path: path, Status: ImportIgnored, Err: ErrNotXML})
		default:
			out = append(out, ImportResult{Path: path})
		}
		return nil
	})
	return out
}

// fileProblem says in a few words why a path cannot be read.
func fileProblem(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file or folder")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	}
	return err
}

// ReadClientConfigFile parses the clientConfig file at path. A file larger than MaxConfigSize,
// or one that is not a regular file, is refused before it is read.
func ReadClientConfigFile(path string) (*ClientConfig, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fileProblem(err)
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > MaxConfigSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrConfigTooLarge, info.Size(), MaxConfigSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileProblem(err)
	}
	defer f.Close()
	return ParseClientConfig(f)
}

// importFile reads one file into res. It returns an error only when the whole import must stop.
func importFile(ctx context.Context, store ProviderImporter, res *ImportResult) error {
	cc, err := ReadClientConfigFile(res.Path)
	if err != nil {
		res.Status, res.Err = ImportSkipped, err
		return nil
	}
	res.Warnings = cc.Warnings
	var status ImportStatus
	var p *data.Provider
	err = store.InProviderTx(ctx, func(tx *data.ProviderTx) error {
		status, p, err = applyConfig(ctx, tx, cc)
		return err
	})
	if p != nil {
		res.Provider = p.Name
	}
	if err == nil {
		res.Status = status
		return nil
	}
	if reason := skipReason(err); reason != nil {
		res.Status, res.Err = ImportSkipped, reason
		return nil
	}
	return err
}

// skipReason returns why a file is skipped when the store refused its provider alone, or nil
// when the refusal concerns every file (permission, a broken database).
func skipReason(err error) error {
	var ve *data.ValidationError
	switch {
	case errors.As(err, &ve):
		var taken []string
		for _, f := range ve.Fields {
			if f.Field == data.FieldDomains {
				taken = append(taken, f.Msg)
			}
		}
		if len(taken) > 0 {
			return fmt.Errorf("%w: %s", ErrDomainTaken, strings.Join(taken, "; "))
		}
		return &SettingsError{Validation: ve}
	case errors.Is(err, ErrDomainTaken):
		return err
	case errors.Is(err, data.ErrManaged):
		return fmt.Errorf("the provider comes from the subscribed provider list and changes only with it: %w", err)
	case errors.Is(err, data.ErrConflict), errors.Is(err, data.ErrNotFound):
		return fmt.Errorf("the provider changed during the import; import the file again: %w", err)
	}
	return nil
}

// applyConfig adds or updates the provider of cc, returning what it did and the provider.
func applyConfig(ctx context.Context, store providerView, cc *ClientConfig) (ImportStatus, *data.Provider, error) {
	old, key, err := matchProvider(ctx, store, cc)
	if err == nil && old == nil {
		old, err = byOwnDomains(ctx, store, cc)
	}
	if err != nil {
		return "", nil, err
	}
	p := cc.Provider
	if old != nil {
		merged := *old // keeps id, version, logo, timeout
		merged.IMAPEnabled, merged.IMAP = p.IMAPEnabled, p.IMAP
		merged.SMTPEnabled, merged.SMTP = p.SMTPEnabled, p.SMTP
		merged.LoginRule, merged.Domains = p.LoginRule, p.Domains
		merged.IMAPAuth, merged.SMTPAuth = p.IMAPAuth, p.SMTPAuth
		clientID := merged.OAuth.ClientID
		merged.OAuth = p.OAuth
		if merged.OAuth.ClientID == "" {
			merged.OAuth.ClientID = clientID // the administrator's, which the file does not know
		}
		p = &merged
	}
	p.ExternalID = key
	if p.Name, err = uniqueName(ctx, store, cc.Provider.Name, cc.ProviderID, p.ID); err != nil {
		return "", nil, err
	}
	if old != nil && sameCard(old, p) {
		return ImportUnchanged, old, nil
	}
	if err := store.Save(ctx, p); err != nil {
		return "", p, err
	}
	if old != nil && old.ExternalID == "" {
		withKey := *old
		withKey.ExternalID = key
		if sameCard(&withKey, p) {
			return ImportUnchanged, p, nil // only the file's id was noted, for the next import
		}
	}
	if old != nil {
		return ImportUpdated, p, nil
	}
	return ImportAdded, p, nil
}

// matchProvider finds the provider imported from cc before, and the key (external id) cc is
// stored under. The key is the emailProvider id; several files share one id (Zoho's regional
// files all say "zoho.com"), so a provider under that id with none of cc's domains is another
// provider, and cc is stored under "id/first-domain" instead.
func matchProvider(ctx context.Context, store providerView, cc *ClientConfig) (*data.Provider, string, error) {
	id := cc.ProviderID
	byID, err := findExternal(ctx, store, id)
	if err != nil {
		return nil, "", err
	}
	if byID != nil && sameSource(byID, cc.Provider) {
		return byID, id, nil
	}
	if len(cc.Provider.Domains) == 0 {
		if byID != nil {
			return nil, "", fmt.Errorf("%w: the id %s is already %q's, and the file has no domain to tell them apart",
				ErrDomainTaken, id, byID.Name)
		}
		return nil, id, nil
	}
	alt := id + "/" + cc.Provider.Domains[0]
	byAlt, err := findExternal(ctx, store, alt)
	if err != nil || byAlt != nil {
		return byAlt, alt, err
	}
	if byID != nil {
		return nil, alt, nil
	}
	return nil, id, nil
}

// ProviderByDomainsFinder is what an import also uses, when the store has it (*data.Store
// does), to recognise a file exported from this database.
type ProviderByDomainsFinder interface {
	// ProviderByDomains returns the provider whose domains are exactly domains; an error
	// wrapping data.ErrNotFound when there is none.
	ProviderByDomains(ctx context.Context, domains []string) (*data.Provider, error)
}

// byOwnDomains returns the provider made in Mailroom (it has no external id) whose domains are
// exactly cc's, or nil: a file exported from this database and imported back is that provider.
// A store without ProviderByDomains finds none.
func byOwnDomains(ctx context.Context, store providerView, cc *ClientConfig) (*data.Provider, error) {
	f, ok := store.(ProviderByDomainsFinder)
	if !ok {
		return nil, nil
	}
	p, err := f.ProviderByDomains(ctx, cc.Provider.Domains)
	if errors.Is(err, data.ErrNotFound) || err == nil && p.ExternalID != "" {
		return nil, nil
	}
	return p, err
}

// findExternal returns the provider under key, or nil when there is none.
func findExternal(ctx context.Context, store providerView, key string) (*data.Provider, error) {
	p, err := store.ProviderByExternalID(ctx, key)
	if errors.Is(err, data.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// sameSource reports whether stored provider p and imported q describe the same provider:
// they share a domain, or neither has any.
func sameSource(p, q *data.Provider) bool {
	if len(p.Domains) == 0 && len(q.Domains) == 0 {
		return true
	}
	return slices.ContainsFunc(q.Domains, func(d string) bool { return slices.Contains(p.Domains, d) })
}

// uniqueName returns name, or when another provider holds it, name with the provider id added.
func uniqueName(ctx context.Context, store providerView, name, id string, self int64) (string, error) {
	for i := 1; ; i++ {
		c := name
		switch {
		case i == 2:
			c = withSuffix(name, " ("+id+")")
		case i > 2:
			c = withSuffix(name, fmt.Sprintf(" (%s %d)", id, i-1))
		}
		taken, err := store.NameTaken(ctx, c, self)
		if err != nil || !taken {
			return c, err
		}
	}
}

// withSuffix appends suffix, shortening name so the result fits data.MaxNameLen.
func withSuffix(name, suffix string) string {
	r := []rune(name)
	if room := max(data.MaxNameLen-utf8.RuneCountInString(suffix), 0); len(r) > room {
		r = r[:room]
	}
	return data.CleanName(string(r)) + suffix
}

// sameCard reports whether an import would leave stored provider p as it is.
func sameCard(p, q *data.Provider) bool {
	return p.Name == q.Name && p.ExternalID == q.ExternalID && p.LoginRule == q.LoginRule &&
		p.IMAPEnabled == q.IMAPEnabled && p.IMAP == q.IMAP && p.SMTPEnabled == q.SMTPEnabled && p.SMTP == q.SMTP &&
		slices.Equal(slices.Sorted(slices.Values(p.Domains)), slices.Sorted(slices.Values(q.Domains))) &&
		data.SameSignIn(p, q)
}

// ProblemMessage returns one plain sentence for an error that stopped an import or export.
func ProblemMessage(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "Cancelled. The files handled before stay as they are."
	}
	return fmt.Sprintf("The providers could not be saved: %v.", err)
}
