package gui

import (
	"strconv"

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
		return lookalikeMark + data.DisplayDomain(d) + " (may imitate another domain)"
	}
	return data.DisplayDomain(d)
}

// domainsCellText is the grid's Domains column: how many, and the first lookalike one.
func domainsCellText(domains []string) string {
	n := strconv.Itoa(len(domains))
	for _, d := range domains {
		if data.Lookalike(d) != "" {
			return n + " " + domainCellText(d)
		}
	}
	return n
}
