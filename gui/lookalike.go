package gui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// lookalikeMark starts the text of a grid or list cell whose domain may imitate another.
const lookalikeMark = "⚠ "

// newLookalikeLabel returns the hidden warning label that goes beside a domain, shown by
// showLookalike when the domain may imitate another (see data.Lookalike).
func newLookalikeLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.WarningImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// showLookalike shows l with domain's warning, or hides it when domain reads as what it is.
func showLookalike(l *widget.Label, domain string) {
	msg := ""
	if domain != "" {
		msg = data.LookalikeWarning(domain)
	}
	if msg == "" {
		l.Hide()
		return
	}
	l.SetText(lookalikeMark + msg)
	l.Show()
}

// domainCellText is a domain as a grid shows it: lookalike ones in ASCII form, marked.
func domainCellText(d string) string {
	if data.Lookalike(d) != "" {
		return lookalikeMark + data.DisplayDomain(d) + " (lookalike)"
	}
	return data.DisplayDomain(d)
}

// domainsCellText is the grid's narrow Domains column: how many, marked when one of them
// may imitate another domain (the status line under the grid names it, see lookalikeNote).
func domainsCellText(domains []string) string {
	n := strconv.Itoa(len(domains))
	if firstLookalike(domains) != "" {
		return n + " " + strings.TrimSpace(lookalikeMark)
	}
	return n
}

func firstLookalike(domains []string) string {
	for _, d := range domains {
		if data.Lookalike(d) != "" {
			return d
		}
	}
	return ""
}

// lookalikeNote names, for the grid's status line, the first of ps with a domain that may
// imitate another, in ASCII form, and how many more there are; "" when there is none.
func lookalikeNote(ps []*data.Provider) string {
	var first *data.Provider
	n := 0
	for _, p := range ps {
		if firstLookalike(p.Domains) != "" {
			if first == nil {
				first = p
			}
			n++
		}
	}
	if first == nil {
		return ""
	}
	note := fmt.Sprintf("%s%s has a domain that may imitate another: %s", lookalikeMark, first.Name, firstLookalike(first.Domains))
	if n > 1 {
		note += fmt.Sprintf(" (and %d more providers)", n-1)
	}
	return note
}
