package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// gridCell is one cell of a grid: a label, or an image for the logo column. It selects its
// row on tap and opens it on double tap, which widget.Table does not offer by itself.
type gridCell struct {
	widget.BaseWidget
	label *widget.Label
	image *canvas.Image
	id    widget.TableCellID

	onTap       func(widget.TableCellID)
	onDoubleTap func(widget.TableCellID)
}

func newGridCell(onTap, onDoubleTap func(widget.TableCellID)) *gridCell {
	c := &gridCell{label: widget.NewLabel(""), image: canvas.NewImageFromResource(nil),
		onTap: onTap, onDoubleTap: onDoubleTap}
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.image.FillMode = canvas.ImageFillContain
	c.image.SetMinSize(fyne.NewSize(28, 28))
	c.ExtendBaseWidget(c)
	return c
}

func (c *gridCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(c.label, container.NewPadded(c.image)))
}

// setText shows s and hides the image.
func (c *gridCell) setText(s string) {
	c.image.Hide()
	c.label.Show()
	c.label.SetText(s)
}

// setImage shows r (nothing when nil) and hides the text.
func (c *gridCell) setImage(r fyne.Resource) {
	c.label.Hide()
	c.image.Show()
	if c.image.Resource != r {
		c.image.Resource = r
		c.image.Refresh()
	}
}

// Tapped selects the cell's row.
func (c *gridCell) Tapped(*fyne.PointEvent) {
	if c.onTap != nil {
		c.onTap(c.id)
	}
}

// DoubleTapped opens the cell's row.
func (c *gridCell) DoubleTapped(*fyne.PointEvent) {
	if c.onDoubleTap != nil {
		c.onDoubleTap(c.id)
	}
}

// gridTable is a widget.Table whose Enter key opens the focused row.
type gridTable struct {
	widget.Table
	onEnter func()
}

func newGridTable(length func() (int, int), create func() fyne.CanvasObject, update func(widget.TableCellID, fyne.CanvasObject)) *gridTable {
	t := &gridTable{}
	t.Length, t.CreateCell, t.UpdateCell = length, create, update
	t.ShowHeaderRow = true
	t.ExtendBaseWidget(t)
	return t
}

// TypedKey opens the selected row on Enter and otherwise moves as a table does.
func (t *gridTable) TypedKey(e *fyne.KeyEvent) {
	if (e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter) && t.onEnter != nil {
		t.onEnter()
		return
	}
	t.Table.TypedKey(e)
}
