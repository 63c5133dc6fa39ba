package gui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
	"mailroom/mailclient"
)

// maxSuggestions is how many addresses are offered at once under a recipients field.
const maxSuggestions = 4

// addressSuggestions offers, under a recipients field, the addresses seen in mail that match
// what is being typed after the last comma; a click (or Tab and Space) takes one.
type addressSuggestions struct {
	box   *fyne.Container
	entry *escEntry
}

// loadAddressBook reads the addresses seen in cached and sent mail, off the UI goroutine.
func (w *composeWindow) loadAddressBook() {
	var book []data.AddressUse
	w.ui.background(func(ctx context.Context) error {
		var err error
		book, err = w.store.AddressBook(ctx, 5000)
		return err
	}, func(err error) {
		if err != nil {
			w.ui.log.Warn("address book", "err", err)
			return
		}
		w.book = book
	})
}

// newSuggestions makes the (hidden) suggestions of entry.
func newSuggestions(entry *escEntry) *addressSuggestions {
	s := &addressSuggestions{box: container.NewHBox(), entry: entry}
	s.box.Hide()
	return s
}

// suggest shows the addresses of book that match the last address being typed in s's entry.
func (w *composeWindow) suggest(s *addressSuggestions) {
	s.box.RemoveAll()
	prefix, token := lastToken(s.entry.Text)
	for _, u := range matchAddresses(w.book, token, maxSuggestions) {
		u := u
		text := mailclient.Address{Name: u.Name, Addr: u.Address}.Display()
		b := widget.NewButton(text, func() {
			s.entry.SetText(prefix + text + ", ")
			s.entry.CursorColumn = len([]rune(s.entry.Text))
			s.entry.Refresh()
			s.box.Hide()
			w.win.Canvas().Focus(s.entry)
		})
		b.Importance = widget.LowImportance
		s.box.Add(b)
	}
	s.box.Hidden = len(s.box.Objects) == 0
	s.box.Refresh()
}

// lastToken splits typed recipients into what comes before the address being typed (up to
// and with the last comma and its space) and that address.
func lastToken(text string) (prefix, token string) {
	i := strings.LastIndex(text, ",")
	if i < 0 {
		return "", strings.TrimSpace(text)
	}
	rest := text[i+1:]
	return text[:i+1] + " ", strings.TrimSpace(rest)
}

// matchAddresses returns up to n addresses of book (most used first) whose address, or a word
// of whose name, starts with token, ignoring case; none for a token shorter than 2 letters.
func matchAddresses(book []data.AddressUse, token string, n int) []data.AddressUse {
	token = strings.ToLower(token)
	if len([]rune(token)) < 2 {
		return nil
	}
	var out []data.AddressUse
	for _, u := range book {
		if len(out) == n {
			break
		}
		if u.Address == token {
			continue // typed out already
		}
		if strings.HasPrefix(u.Address, token) || nameStarts(u.Name, token) {
			out = append(out, u)
		}
	}
	return out
}

func nameStarts(name, token string) bool {
	name = strings.ToLower(name)
	if strings.HasPrefix(name, token) {
		return true
	}
	for _, word := range strings.Fields(name) {
		if strings.HasPrefix(strings.Trim(word, `"'(`), token) {
			return true
		}
	}
	return false
}
