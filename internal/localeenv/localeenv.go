// Package localeenv lets Fyne read a C or POSIX locale without complaint. Fyne's lang package
// reads the locale while the program initializes and, under LANG=C.UTF-8 (Debian's default
// for cron, scripts and containers) or LANGUAGE=C, logs "Error parsing user locale C" to
// stderr before main runs. Imported for its effect by package main, this package runs first
// (it needs only os and strings, while Fyne's lang needs text/template, which sorts after
// it) and says what those locales mean: messages untranslated, that is in English.
package localeenv

import (
	"os"
	"strings"
)

func init() { fix(os.Getenv, os.Setenv) }

// fix sets LANGUAGE, which Fyne's locale lookup (github.com/jeandeaual/go-locale) prefers
// to LANG when the locale is not exactly "C" or "POSIX", so that it names languages only:
// C and POSIX entries are dropped, and "en" stands for a list left empty. LC_ALL and LANG
// are left alone, so the character set and what programs started from here see are
// unchanged; gettext ignores LANGUAGE under the C locale anyway.
func fix(getenv func(string) string, setenv func(string, string) error) {
	locale := ""
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return // go-locale then ignores LANGUAGE and reports no locale, which Fyne takes quietly
	}
	languages := getenv("LANGUAGE")
	if languages == "" {
		if locale != "" && isC(locale) {
			setenv("LANGUAGE", "en")
		}
		return
	}
	var kept []string
	for _, l := range strings.Split(languages, ":") {
		if l != "" && !isC(l) {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		kept = []string{"en"}
	}
	if fixed := strings.Join(kept, ":"); fixed != languages {
		setenv("LANGUAGE", fixed)
	}
}

// isC reports whether locale is C or POSIX, with or without a character set or modifier
// (C.UTF-8, POSIX@euro).
func isC(locale string) bool {
	name, _, _ := strings.Cut(locale, ".")
	name, _, _ = strings.Cut(name, "@")
	return name == "C" || name == "POSIX"
}
