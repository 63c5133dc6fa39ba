package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"mailroom/mailclient"
)

// stepPanel shows a connection test as it runs: incoming and outgoing side by side, one line
// per step with its result in plain words.
type stepPanel struct {
	in, out *fyne.Container
	lines   map[string]*widget.Label // side+kind -> its line
	content fyne.CanvasObject
}

func newStepPanel() *stepPanel {
	p := &stepPanel{in: container.NewVBox(), out: container.NewVBox(), lines: map[string]*widget.Label{}}
	head := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.content = container.NewGridWithColumns(2,
		container.NewVBox(head("Incoming mail (IMAP)"), p.in),
		container.NewVBox(head("Outgoing mail (SMTP)"), p.out))
	return p
}

func (p *stepPanel) reset() {
	p.in.RemoveAll()
	p.out.RemoveAll()
	p.lines = map[string]*widget.Label{}
}

// show adds or updates the line of st.
func (p *stepPanel) show(st mailclient.Step) {
	key := string(st.Side) + "/" + string(st.Kind)
	l, ok := p.lines[key]
	if !ok {
		l = widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		p.lines[key] = l
		if st.Side == mailclient.Outgoing {
			p.out.Add(l)
		} else {
			p.in.Add(l)
		}
	}
	switch st.Status {
	case mailclient.StepRunning:
		l.Importance = widget.MediumImportance
		l.SetText("…  " + st.Title)
	case mailclient.StepDone:
		l.Importance = widget.SuccessImportance
		text := "✓  " + st.Title
		if st.Detail != "" {
			text += ": " + st.Detail
		}
		l.SetText(text)
	case mailclient.StepFailed:
		l.Importance = widget.DangerImportance
		l.SetText("✗  " + st.Title)
	}
}
