package main

import (
	"flag"
	"fmt"
	"strings"

	"mailroom/data"
	"mailroom/mailclient"
)

// providersImport adds or updates providers from clientConfig files and folders. It exits 0
// when every file was imported, updated or unchanged, 1 when any was skipped or the import
// stopped, 2 for bad usage.
func providersImport(e *env, args []string) int {
	fs := flag.NewFlagSet("providers import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if err := parseArgs(fs, args); err != nil || fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers import PATH...  (clientConfig files, or folders of them)")
		return 2
	}
	s, ok := openStore(e)
	if !ok {
		return 1
	}
	defer s.Close()
	ctx, stop := interruptible()
	defer stop()
	report, err := mailclient.ImportProviders(ctx, s, fs.Args(), nil)
	printImportReport(e, report)
	if err != nil {
		e.log.Error("import providers", "err", err)
		fmt.Fprintf(e.stderr, "mailroom: %s\n", mailclient.ProblemMessage(err))
		return stoppedStatus(ctx, 1)
	}
	if report.Count(mailclient.ImportSkipped) > 0 {
		return 1
	}
	return 0
}

func printImportReport(e *env, r *mailclient.ImportReport) {
	for _, f := range r.Files {
		fmt.Fprintln(e.stdout, f.Line())
		for _, w := range f.Warnings {
			fmt.Fprintf(e.stdout, "    warning: %s\n", w)
		}
	}
	fmt.Fprintln(e.stdout, r.Summary())
}

// providersExport writes the named providers, or all, as clientConfig files. It exits 1 when a
// name is unknown (before writing anything) or a provider could not be written, 2 for bad usage.
func providersExport(e *env, args []string) int {
	fs := flag.NewFlagSet("providers export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("dir", ".", "folder to write the files in")
	if err := parseArgs(fs, args); err != nil {
		fmt.Fprintln(e.stderr, "Usage: mailroom providers export [--dir DIR] [NAME...]")
		return 2
	}
	s, ok := openStore(e)
	if !ok {
		return 1
	}
	defer s.Close()
	ctx, stop := interruptible()
	defer stop()
	list, err := s.List(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "mailroom: the providers cannot be read: %v\n", err)
		return 1
	}
	chosen, unknown := chooseProviders(list, fs.Args())
	if len(unknown) > 0 {
		for _, n := range unknown {
			fmt.Fprintf(e.stderr, "mailroom: no provider is called %q; see mailroom providers list\n", n)
		}
		return 1
	}
	report, err := mailclient.ExportProviders(ctx, chosen, *dir, nil)
	for _, f := range report.Files {
		if f.Err != nil {
			fmt.Fprintf(e.stdout, "%s: not written: %v\n", f.Provider, f.Err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s: %s\n", f.Provider, f.Path)
		for _, w := range f.Warnings {
			fmt.Fprintf(e.stdout, "    warning: %s\n", w)
		}
	}
	if err != nil {
		e.log.Error("export providers", "err", err)
		fmt.Fprintf(e.stderr, "mailroom: the files cannot be written in %s: %v\n", *dir, err)
		return 1
	}
	fmt.Fprintf(e.stdout, "%d written, %d not written\n", len(report.Files)-report.Failed(), report.Failed())
	if report.Failed() > 0 {
		return 1
	}
	return 0
}

// chooseProviders returns the providers called names (ignoring case and spacing), or all of
// list when names is empty, and the names no provider has.
func chooseProviders(list []*data.Provider, names []string) (chosen []*data.Provider, unknown []string) {
	if len(names) == 0 {
		return list, nil
	}
	key := func(n string) string { return strings.ToLower(data.CleanName(n)) }
	for _, n := range names {
		found := false
		for _, p := range list {
			if key(p.Name) == key(n) {
				chosen, found = append(chosen, p), true
				break
			}
		}
		if !found {
			unknown = append(unknown, n)
		}
	}
	return chosen, unknown
}
