package data

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// The scripts a domain label is checked against. A label may mix Latin only with the
// scripts written together with it in one language (Japanese kana and Han, Korean Hangul and
// Han, Chinese Bopomofo and Han), as browsers allow; any other mix is a possible imitation.
var labelScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek},
	{"Armenian", unicode.Armenian}, {"Hebrew", unicode.Hebrew}, {"Arabic", unicode.Arabic},
	{"Han", unicode.Han}, {"Hiragana", unicode.Hiragana}, {"Katakana", unicode.Katakana},
	{"Hangul", unicode.Hangul}, {"Bopomofo", unicode.Bopomofo}, {"Cherokee", unicode.Cherokee},
	{"Georgian", unicode.Georgian}, {"Thai", unicode.Thai}, {"Devanagari", unicode.Devanagari},
}

// allowedMixes are the sets of scripts one label may combine (besides Latin with each).
var allowedMixes = [][]string{
	{"Han", "Hiragana", "Katakana"},
	{"Han", "Hangul"},
	{"Han", "Bopomofo"},
}

// cyrillicLatinAlike are the Cyrillic letters that look like Latin ones in common fonts
// (Chromium's list): a label of only these, under a top-level domain that is not Cyrillic,
// reads as a Latin word it is not ("аррӏе" for "apple").
const cyrillicLatinAlike = "асԁеһіјӏорԛѕԝхуъьҽпгѵѡ"

// Lookalike says why domain d (stored or Unicode form) may imitate another domain: a label
// mixes scripts (Latin with a Cyrillic "і"), or is Cyrillic written only with letters that
// look Latin. It returns "" for a domain that reads as what it is.
func Lookalike(d string) string {
	u, err := idna.Display.ToUnicode(strings.ToLower(d))
	if err != nil {
		u = d
	}
	labels := strings.Split(strings.TrimSuffix(u, "."), ".")
	tld := labels[len(labels)-1]
	for _, label := range labels {
		scripts := scriptsOf(label)
		if !mixAllowed(scripts) {
			return fmt.Sprintf("it mixes %s letters", strings.Join(scripts, " and "))
		}
		if len(scripts) == 1 && scripts[0] == "Cyrillic" && !slices.Equal(scriptsOf(tld), scripts) && latinAlike(label) {
			return "its Cyrillic letters all look like Latin ones"
		}
	}
	return ""
}

// scriptsOf returns the scripts of label's letters, in the order of labelScripts; digits,
// hyphens and marks belong to none. A letter of a script not listed counts as "other".
func scriptsOf(label string) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, r := range label {
		if !unicode.IsLetter(r) {
			continue
		}
		found := false
		for _, s := range labelScripts {
			if unicode.Is(s.table, r) {
				add(s.name)
				found = true
				break
			}
		}
		if !found {
			add("other")
		}
	}
	return out
}

// mixAllowed reports whether one label may combine scripts.
func mixAllowed(scripts []string) bool {
	others := slices.DeleteFunc(slices.Clone(scripts), func(s string) bool { return s == "Latin" })
	switch {
	case len(others) == 0:
		return true
	case len(others) == 1 && len(scripts) == 1:
		return true // one script, not Latin
	}
	for _, mix := range allowedMixes {
		if !slices.ContainsFunc(others, func(s string) bool { return !slices.Contains(mix, s) }) {
			return true
		}
	}
	return false
}

func latinAlike(label string) bool {
	for _, r := range label {
		if unicode.IsLetter(r) && !strings.ContainsRune(cyrillicLatinAlike, r) {
			return false
		}
	}
	return true
}

// LookalikeWarning returns the sentence that goes beside lookalike domain d (see Lookalike),
// naming it in its ASCII form, or "" when d is not one.
func LookalikeWarning(d string) string {
	why := Lookalike(d)
	if why == "" {
		return ""
	}
	a, err := idna.Lookup.ToASCII(strings.ToLower(d))
	if err != nil {
		a = d
	}
	return fmt.Sprintf("%s may imitate another domain: %s. It is shown in its ASCII form.", a, why)
}

// bidiControls are the characters that reorder the text around them (RLO, LRI, …): in a
// name they can make "gmail.com" of "moc.liamg" and hide what follows.
const bidiControls = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

// StripBidi removes bidirectional control characters from s.
func StripBidi(s string) string {
	if !strings.ContainsAny(s, bidiControls) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(bidiControls, r) {
			return -1
		}
		return r
	}, s)
}
