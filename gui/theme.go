package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// prefTheme is the preference holding the chosen theme: "" (follow the system), "light" or "dark".
const prefTheme = "theme"

// themeChoices are the themes offered in Settings, the system's first.
var themeChoices = []struct{ title, pref string }{
	{"Follow the system", ""},
	{"Light", "light"},
	{"Dark", "dark"},
}

// fixedVariant is Fyne's theme always in one variant, light or dark, whatever the system's.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

// Color is the default theme's colour n in the chosen variant.
func (t fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// applyTheme makes a look as its theme preference says.
func applyTheme(a fyne.App) {
	switch a.Preferences().String(prefTheme) {
	case "light":
		a.Settings().SetTheme(fixedVariant{theme.DefaultTheme(), theme.VariantLight})
	case "dark":
		a.Settings().SetTheme(fixedVariant{theme.DefaultTheme(), theme.VariantDark})
	default:
		a.Settings().SetTheme(theme.DefaultTheme())
	}
}

// themeSetting is the Settings block choosing the theme; a choice applies at once and at
// later starts.
func themeSetting(a fyne.App) (fyne.CanvasObject, *widget.RadioGroup) {
	titles := make([]string, len(themeChoices))
	selected := themeChoices[0].title
	for i, c := range themeChoices {
		titles[i] = c.title
		if c.pref == a.Preferences().String(prefTheme) {
			selected = c.title
		}
	}
	choice := widget.NewRadioGroup(titles, nil)
	choice.Horizontal = true
	choice.Required = true
	choice.Selected = selected
	choice.OnChanged = func(title string) {
		for _, c := range themeChoices {
			if c.title == title {
				a.Preferences().SetString(prefTheme, c.pref)
				applyTheme(a)
			}
		}
	}
	heading := widget.NewLabelWithStyle("Theme", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewVBox(heading, choice), choice
}
