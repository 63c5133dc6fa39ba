package mailclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"mailroom/data"
)

// ExportResult is the outcome for one provider.
type ExportResult struct {
	Provider string
	Path     string   // the file written; "" when Err is set
	SHA256   string   // the SHA-256 of the file written, in hex
	Err      error    // why no file was written
	Warnings []string // what the file cannot say
}

// ExportReport lists the outcome for every provider, in the order given.
type ExportReport struct {
	Files []ExportResult
}

// Failed returns how many providers were not written.
func (r *ExportReport) Failed() int {
	n := 0
	for _, f := range r.Files {
		if f.Err != nil {
			n++
		}
	}
	return n
}

// ExportProviders writes each provider as a clientConfig 1.1 file in dir (created when
// missing), named after its emailProvider id, replacing a file of that name (PublishProviders
// adds the signed index that makes the folder a provider list). A provider that cannot be
// written (see MarshalClientConfig) is reported and the others still are. progress, when not
// nil, is called after each provider. It fails, with the report so far, when ctx is
// cancelled or dir cannot be written.
func ExportProviders(ctx context.Context, providers []*data.Provider, dir string, progress func(done, total int)) (*ExportReport, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &ExportReport{}, fmt.Errorf("export providers: %w", err)
	}
	report := &ExportReport{}
	used := map[string]bool{}
	for i, p := range providers {
		if err := ctx.Err(); err != nil {
			return report, fmt.Errorf("export providers: %w", err)
		}
		res := ExportResult{Provider: p.Name, Warnings: exportWarnings(p)}
		b, err := MarshalClientConfig(p)
		if err != nil {
			res.Err, res.Warnings = err, nil
		} else {
			path := filepath.Join(dir, configFileName(p, used))
			if err := writeFileAtomic(path, b); err != nil {
				report.Files = append(report.Files, res)
				return report, fmt.Errorf("export %s: %w", p.Name, err)
			}
			res.Path, res.SHA256 = path, sha256Hex(b)
		}
		report.Files = append(report.Files, res)
		if progress != nil {
			progress(i+1, len(providers))
		}
	}
	return report, nil
}

// sha256Hex returns the SHA-256 of b in hex.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func exportWarnings(p *data.Provider) []string {
	var w []string
	if !p.IMAPEnabled {
		w = append(w, "downloading is turned off in Mailroom, but the file lists the IMAP server")
	}
	if !p.SMTPEnabled {
		w = append(w, "sending is turned off in Mailroom, but the file lists the SMTP server")
	}
	if p.LoginRule == data.LoginManual {
		w = append(w, "the login is entered by hand, so the file gives no username pattern")
	}
	return w
}

// configFileName returns a file name for p that holds no path separator and no name used
// before in this export: its key (emailProvider id) with unsafe characters replaced.
func configFileName(p *data.Provider, used map[string]bool) string {
	key := p.ExternalID
	if key == "" {
		key = ConfigID(p)
	}
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, key)
	base = strings.TrimLeft(base, ".") // no hidden files, no ".."
	if base == "" {
		base = "provider-" + strconv.FormatInt(p.ID, 10)
	}
	name := base + ".xml"
	for n := 2; used[name]; n++ {
		name = fmt.Sprintf("%s-%d.xml", base, n)
	}
	used[name] = true
	return name
}

// writeFileAtomic writes b to path through a temporary file, so a reader never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".mailroom-export-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
