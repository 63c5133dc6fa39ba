package mailclient

import (
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

	"mailroom/data"
)

// readList reads the signed index of the list at source, checks it against trusted, and
// reads every clientConfig it names, checking each against its SHA-256. The providers are
// keyed as an import keys them.
func readList(ctx context.Context, client *http.Client, source string, trusted []data.Publisher, report *RefreshReport) (*SignedList, []*data.Provider, error) {
	get, err := listReader(ctx, client, source)
	if err != nil {
		return nil, nil, err
	}
	index, err := get(IndexFile, MaxIndexSize)
	if err != nil {
		return nil, nil, fmt.Errorf("index: %w", err)
	}
	sig, err := get(SignatureFile, MaxSignatureSize)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotListed) {
		return nil, nil, fmt.Errorf("%w: no %s beside the index", ErrNoSignature, SignatureFile)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	signed, err := verifyList(index, sig, trusted)
	if err != nil {
		return nil, nil, err
	}
	report.Sequence = signed.Sequence
	report.SignedBy = publisherName(signed.Signer, signed.Index.Publishers, trusted)
	if len(signed.Index.Files) == 0 {
		return nil, nil, ErrEmptyList
	}
	if !data.IsURLSource(source) {
		report.Ignored = unlisted(source, signed.Index)
	}
	configs := make([]namedConfig, 0, len(signed.Index.Files))
	for _, f := range signed.Index.Files {
		b, err := get(f.Name, MaxConfigSize)
		if err == nil {
			err = checkFile(f, b)
		}
		var cc *ClientConfig
		if err == nil {
			cc, err = parseListFile(b)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadListFile, f.Name, err)
		}
		configs = append(configs, namedConfig{f.Name, cc})
	}
	report.Files = len(configs)
	return signed, keyConfigs(configs, report), nil
}

// listReader returns how to read a file of the list at source by its name beside the index
// (IndexFile and SignatureFile stand for the index at source and its signature), at most
// limit bytes: from the folder, or from the index's https host.
func listReader(ctx context.Context, client *http.Client, source string) (func(name string, limit int64) ([]byte, error), error) {
	if !data.IsURLSource(source) {
		return func(name string, limit int64) ([]byte, error) {
			return readBounded(filepath.Join(source, name), limit)
		}, nil
	}
	base, err := url.Parse(source)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadIndex, err)
	}
	return func(name string, limit int64) ([]byte, error) {
		u := source // the index itself, whatever its name
		switch name {
		case IndexFile:
		case SignatureFile: // beside the index, named after it as minisign names signatures
			sig := *base
			sig.Path, sig.RawPath, sig.RawQuery, sig.Fragment = base.Path+".minisig", "", "", ""
			u = sig.String()
		default:
			if u, err = listFileURL(base, name); err != nil {
				return nil, err
			}
		}
		fctx, cancel := context.WithTimeout(ctx, listFetchTimeout)
		defer cancel()
		b, err := fetch(fctx, client, u, limit)
		if errors.Is(err, ErrConfigTooLarge) {
			err = &FileTooLargeError{Name: name, Limit: limit}
		}
		return b, err
	}, nil
}

// parseListFile reads one clientConfig of a list.
func parseListFile(b []byte) (*ClientConfig, error) {
	if looksLikeHTML(b) {
		return nil, fmt.Errorf("%w: it is a web page", ErrNotClientConfig)
	}
	return ParseClientConfig(bytes.NewReader(b))
}

// unlisted returns the files of the folder dir that the index does not name: they are not
// part of the list, whoever put them there.
func unlisted(dir string, ix *ListIndex) []string {
	named := map[string]bool{IndexFile: true, SignatureFile: true}
	for _, f := range ix.Files {
		named[f.Name] = true
	}
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !e.IsDir() && !named[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// publisherName returns the name the index, else the trusted set, gives the key.
func publisherName(key string, sets ...[]data.Publisher) string {
	for _, set := range sets {
		for _, p := range set {
			if p.PublicKey == key && p.Name != "" {
				return p.Name
			}
		}
	}
	return data.KeyFingerprint(key)
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

// ListSigner is who signed the list found at a source.
type ListSigner struct {
	PublicKey string
	Name      string // as the list's index names them
	Sequence  int64
}

// InspectList reads the index and signature of the list at source (not its files) and
// returns who signed it: the holder of publicKey, or when publicKey is "" one of the
// publishers the index names, for the person to compare its fingerprint before trusting it.
// It fails as a refresh does (ErrNoSignature, ErrBadSignature, data.ErrNotTrusted when
// publicKey did not sign it, ErrBadIndex, or the source's error).
func InspectList(ctx context.Context, client *http.Client, source, publicKey string) (*ListSigner, error) {
	src, err := data.NormalizeSource(source)
	if err != nil {
		return nil, &data.ValidationError{Fields: []*data.FieldError{{Field: data.FieldSource, Msg: err.Error()}}}
	}
	get, err := listReader(ctx, client, src)
	if err != nil {
		return nil, err
	}
	index, err := get(IndexFile, MaxIndexSize)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	sig, err := get(SignatureFile, MaxSignatureSize)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotListed) {
		return nil, fmt.Errorf("%w: no %s beside the index", ErrNoSignature, SignatureFile)
	}
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	var trusted []data.Publisher
	if publicKey != "" {
		trusted = []data.Publisher{{PublicKey: publicKey}}
	} else {
		ix, err := parseListIndex(index)
		if err != nil {
			return nil, err
		}
		trusted = ix.Publishers
	}
	l, err := verifyList(index, sig, trusted)
	if err != nil {
		return nil, err
	}
	return &ListSigner{PublicKey: l.Signer, Name: publisherName(l.Signer, l.Index.Publishers), Sequence: l.Sequence}, nil
}
