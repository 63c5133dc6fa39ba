package gui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"mailroom/data"
)

// Columns of the providers grid.
const (
	colLogo = iota
	colName
	colIncoming
	colOutgoing
	colLogin
	colDomains
	colCount
)

var columnTitles = [colCount]string{"Logo", "Name", "Incoming server", "Outgoing server", "Login", "Domains"}

// providerRows is the grid's model: every provider, and the filtered, sorted view of them.
// The filter runs over a lowercase haystack built once per load, so a keystroke costs one
// substring search per provider and no allocation per row.
type providerRows struct {
	all    []*data.Provider
	hay    []string
	order  []int // indexes of all, sorted by the current column
	view   []int // order, filtered
	query  string
	sortBy int
	desc   bool
	keys   map[int][]string // sort keys of all by column, made the first time it is sorted by
}

// newProviderRows is the model of list sorted by name, the order people read names in. It
// keys every name by collation, so with thousands of providers it is made off the UI goroutine.
func newProviderRows(list []*data.Provider) *providerRows {
	return sortedProviderRows(list, colName, false)
}

// sortedProviderRows is the model of list sorted by column col, descending when desc.
func sortedProviderRows(list []*data.Provider, col int, desc bool) *providerRows {
	r := &providerRows{all: list, sortBy: col, desc: desc, keys: map[int][]string{}}
	r.hay = make([]string, len(list))
	for i, p := range list {
		var b strings.Builder
		b.WriteString(strings.ToLower(p.Name))
		for _, s := range []string{p.IMAP.Host, p.SMTP.Host} {
			b.WriteByte('\n')
			b.WriteString(s)
		}
		for _, d := range p.Domains {
			b.WriteByte('\n')
			b.WriteString(d)
			if u := data.DisplayDomain(d); u != d {
				b.WriteByte('\n')
				b.WriteString(u)
			}
		}
		r.hay[i] = b.String()
	}
	r.resort()
	return r
}

func (r *providerRows) len() int { return len(r.view) }

// shown returns the providers of the view, in its order.
func (r *providerRows) shown() []*data.Provider {
	out := make([]*data.Provider, len(r.view))
	for i, j := range r.view {
		out[i] = r.all[j]
	}
	return out
}

// ordered returns every provider, filtered out or not, in the grid's order.
func (r *providerRows) ordered() []*data.Provider {
	out := make([]*data.Provider, len(r.order))
	for i, j := range r.order {
		out[i] = r.all[j]
	}
	return out
}

func (r *providerRows) at(row int) *data.Provider {
	if row < 0 || row >= len(r.view) {
		return nil
	}
	return r.all[r.view[row]]
}

// rowOf returns the view row of provider id, or -1.
func (r *providerRows) rowOf(id int64) int {
	for row, i := range r.view {
		if r.all[i].ID == id {
			return row
		}
	}
	return -1
}

// filter keeps the providers whose name, host or domain contains q, ignoring case.
func (r *providerRows) filter(q string) {
	r.query = strings.ToLower(strings.TrimSpace(q))
	r.view = r.view[:0]
	for _, i := range r.order {
		if r.query == "" || strings.Contains(r.hay[i], r.query) {
			r.view = append(r.view, i)
		}
	}
}

// sortColumn sorts by col, reversing the order when col is already the sort column.
func (r *providerRows) sortColumn(col int) {
	if col == r.sortBy {
		r.desc = !r.desc
	} else {
		r.sortBy, r.desc = col, false
	}
	r.resort()
}

func (r *providerRows) resort() {
	r.order = make([]int, len(r.all))
	for i := range r.order {
		r.order[i] = i
	}
	keys := r.columnKeys(r.sortBy)
	sort.SliceStable(r.order, func(a, b int) bool {
		ka, kb := keys[r.order[a]], keys[r.order[b]]
		if r.desc {
			return ka > kb
		}
		return ka < kb
	})
	r.view = make([]int, 0, len(r.all))
	r.filter(r.query)
}

// columnKeys returns the sort key of each provider in column col: the count of domains, whether
// there is a logo, or the collation key of the column's text.
func (r *providerRows) columnKeys(col int) []string {
	if keys, ok := r.keys[col]; ok {
		return keys
	}
	keys := make([]string, len(r.all))
	for i, p := range r.all {
		switch col {
		case colDomains:
			keys[i] = fmt.Sprintf("%09d", len(p.Domains))
		case colLogo:
			keys[i] = "1"
			if p.Logo != nil {
				keys[i] = "0"
			}
		default:
			keys[i] = cellText(p, col)
		}
	}
	if col != colDomains && col != colLogo {
		keys = collationKeys(keys)
	}
	r.keys[col] = keys
	return keys
}

// cellText is what the grid shows for p in column col.
func cellText(p *data.Provider, col int) string {
	switch col {
	case colName:
		return p.Name
	case colIncoming:
		if !p.IMAPEnabled {
			return "—"
		}
		return p.IMAP.Address() + " · " + securityShort(p.IMAP.Security)
	case colOutgoing:
		if !p.SMTPEnabled {
			return "—"
		}
		return p.SMTP.Address() + " · " + securityShort(p.SMTP.Security) + " · " + strconv.Itoa(p.SMTPTimeout) + " s"
	case colLogin:
		if s := signInText(p); s != "" {
			return s
		}
		return loginText(p)
	case colDomains:
		return domainsCellText(p.Domains)
	}
	return ""
}

func loginText(p *data.Provider) string {
	switch p.LoginRule {
	case data.LoginManual:
		return "Entered manually"
	case data.LoginLocalPart:
		return "User name"
	}
	return "Email address"
}

// signInText is what the Login column says of a provider that signs in through the browser
// (the login is then the address, typed in the browser), and of one that cannot yet.
func signInText(p *data.Provider) string {
	switch {
	case p.NeedsClientID():
		return "Needs a client ID"
	case p.UsesOAuth():
		return "OAuth 2.0 (browser)"
	}
	return ""
}

func securityShort(s data.Security) string {
	switch s {
	case data.SecuritySSL:
		return "SSL"
	case data.SecurityStartTLS:
		return "STARTTLS"
	}
	return "Not encrypted"
}
