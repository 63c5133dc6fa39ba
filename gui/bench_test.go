package gui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"mailroom/data"
)

// benchProviders makes n providers with three domains each, as the grid holds them.
func benchProviders(n int) []*data.Provider {
	list := make([]*data.Provider, n)
	for i := range list {
		p := data.NewProvider()
		p.ID = int64(i + 1)
		p.Name = fmt.Sprintf("Provider %05d Mail", i)
		p.IMAP.Host = fmt.Sprintf("imap.provider%05d.example", i)
		p.SMTP.Host = fmt.Sprintf("smtp.provider%05d.example", i)
		p.Domains = []string{fmt.Sprintf("provider%05d.example", i), fmt.Sprintf("p%05d.example", i), fmt.Sprintf("mail%05d.example", i)}
		list[i] = p
	}
	return list
}

var filterKeystrokes = []string{"p", "pr", "pro", "prov", "provider0", "provider01", "provider012", "mail0123"}

// BenchmarkFilter is one keystroke in the filter box over 10,000 providers and 30,000 domains.
func BenchmarkFilter(b *testing.B) {
	rows := newProviderRows(benchProviders(10000))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows.filter(filterKeystrokes[i%len(filterKeystrokes)])
	}
}

// BenchmarkFilterBaseline is the naive filter a grid would start with: lowercasing and
// searching each provider's name, hosts and domains on every keystroke.
func BenchmarkFilterBaseline(b *testing.B) {
	list := benchProviders(10000)
	var keep []*data.Provider
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := filterKeystrokes[i%len(filterKeystrokes)]
		keep = keep[:0]
		for _, p := range list {
			if strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(p.IMAP.Host, q) ||
				strings.Contains(p.SMTP.Host, q) || strings.Contains(strings.Join(p.Domains, " "), q) {
				keep = append(keep, p)
			}
		}
	}
}

// BenchmarkBindRow binds every cell of one grid row, as scrolling does.
func BenchmarkBindRow(b *testing.B) {
	test.NewTempApp(b)
	v := &providersView{rows: newProviderRows(benchProviders(10000))}
	cells := make([]*gridCell, colCount)
	for i := range cells {
		cells[i] = newGridCell(nil, nil)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		row := i % 10000
		for col := 1; col < colCount; col++ { // the logo column needs the store; its cache is a map lookup
			v.updateCell(widget.TableCellID{Row: row, Col: col}, cells[col])
		}
	}
}

// BenchmarkBindRowBaseline sets the same texts on plain labels: the least a row can cost.
func BenchmarkBindRowBaseline(b *testing.B) {
	test.NewTempApp(b)
	list := benchProviders(10000)
	labels := make([]*widget.Label, colCount)
	for i := range labels {
		labels[i] = widget.NewLabel("")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := list[i%10000]
		for col := 1; col < colCount; col++ {
			labels[col].SetText(cellText(p, col))
		}
	}
}
