package gui

import (
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"fyne.io/fyne/v2/lang"
)

// Lists of names are sorted as people read them, by the Unicode collation of the user's
// language, not by code point: "Český" comes between "C" and "D", not after "Z".

// collationKeys returns a sort key for each of texts: comparing two keys as strings orders the
// texts as a reader of the user's language expects. Making a key costs a microsecond or two,
// so a list of thousands is keyed once, off the UI goroutine where it can be.
func collationKeys(texts []string) []string {
	c := collate.New(userLanguage())
	var buf collate.Buffer
	keys := make([]string, len(texts))
	for i, s := range texts {
		keys[i] = string(c.KeyFromString(&buf, s))
		buf.Reset()
	}
	return keys
}

// userLanguage is the language of the system's locale, or the root collation's when it has none.
func userLanguage() language.Tag {
	t, err := language.Parse(lang.SystemLocale().LanguageString())
	if err != nil {
		return language.Und
	}
	return t
}
