package mailclient

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"mailroom/data"
)

// providerSummary is the list of providers as one comparable text: name, servers, domains.
func providerSummary(t *testing.T, s *data.Store) string {
	var b strings.Builder
	for _, p := range listProviders(t, s) {
		b.WriteString(p.Name + " " + p.IMAP.Address() + " " + p.SMTP.Address() + " " + strings.Join(p.Domains, ",") + "\n")
	}
	return b.String()
}

// Two imports of the same files at once, through two stores on one file as two Mailroom
// processes would: neither may report a file skipped that an import alone takes, and the
// list ends as one import makes it.
func TestTwoImportsAtOnceSkipNothingFalsely(t *testing.T) {
	dir := ispdbDir(t)
	ref := openStore(t, "ann")
	alone := importOK(t, ref, dir)
	skippedAlone := map[string]bool{}
	for _, f := range alone.Files {
		if f.Status == ImportSkipped {
			skippedAlone[f.Path] = true
		}
	}
	want := providerSummary(t, ref)

	for round := range 4 {
		path := filepath.Join(t.TempDir(), "mailroom.db")
		a, b := openStoreAt(t, path, "ann"), openStoreAt(t, path, "ann")
		reports := make([]*ImportReport, 2)
		errs := make([]error, 2)
		var start, done sync.WaitGroup
		start.Add(1)
		for i, s := range []*data.Store{a, b} {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				reports[i], errs[i] = ImportProviders(context.Background(), s, []string{dir}, nil)
			}()
		}
		start.Done()
		done.Wait()
		for i, r := range reports {
			if errs[i] != nil {
				t.Fatalf("round %d, import %d: %v", round, i, errs[i])
			}
			for _, f := range r.Files {
				if f.Status == ImportSkipped && !skippedAlone[f.Path] {
					t.Errorf("round %d, import %d: %s skipped: %.100v", round, i, filepath.Base(f.Path), f.Err)
				}
				if errors.Is(f.Err, ErrDomainTaken) && !skippedAlone[f.Path] {
					t.Errorf("round %d: a domain of %s seemed taken by the other import", round, f.Path)
				}
			}
		}
		if got := providerSummary(t, a); got != want {
			t.Errorf("round %d: the list after two imports differs from one import's:\n%s", round, diffLines(want, got))
		}
	}
}

// diffLines lists the lines only in want (-) or only in got (+).
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
