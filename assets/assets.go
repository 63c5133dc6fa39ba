// Package assets holds Mailroom's bundled resources.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon returns Mailroom's application icon.
func Icon() fyne.Resource { return fyne.NewStaticResource("icon.png", iconPNG) }
