package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// readerText shows a message's text, read-only, as plain text a person can select and copy.
// It is an entry and not a selectable label because a label's text keeps every key and
// shortcut once it has the focus; this one hands the window's shortcuts to the window, F5
// too, and runs its own keys (Delete deletes the message shown).
type readerText struct {
	widget.Entry
	keys map[fyne.KeyName]func()
}

func newReaderText(keys map[fyne.KeyName]func()) *readerText {
	t := &readerText{keys: keys}
	t.MultiLine, t.Wrapping = true, fyne.TextWrapWord
	t.ExtendBaseWidget(t)
	return t
}

// plain shows t without the box, border and cursor of an entry.
func (t *readerText) plain() fyne.CanvasObject {
	return container.NewThemeOverride(t, plainTextTheme{})
}

// TypedRune ignores typing: the text is not to be edited.
func (t *readerText) TypedRune(rune) {}

// TypedKey moves through the text, runs the window's keys and ignores editing keys.
func (t *readerText) TypedKey(k *fyne.KeyEvent) {
	if f, ok := t.keys[k.Name]; ok {
		f()
		return
	}
	switch k.Name {
	case fyne.KeyUp, fyne.KeyDown, fyne.KeyLeft, fyne.KeyRight, fyne.KeyPageUp, fyne.KeyPageDown, fyne.KeyHome, fyne.KeyEnd:
		t.Entry.TypedKey(k)
	default:
		if functionKey(k.Name) {
			if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil && c.OnTypedKey() != nil {
				c.OnTypedKey()(k)
			}
		}
	}
}

// TypedShortcut copies and selects all, ignores what would edit, and hands the rest to the
// window.
func (t *readerText) TypedShortcut(s fyne.Shortcut) {
	switch s.(type) {
	case *fyne.ShortcutCopy, *fyne.ShortcutSelectAll:
		t.Entry.TypedShortcut(s)
		return
	case *fyne.ShortcutCut, *fyne.ShortcutPaste, *fyne.ShortcutUndo, *fyne.ShortcutRedo:
		return
	}
	if entryShortcut(s) {
		if cs, ok := s.(interface{ Key() fyne.KeyName }); ok && cs.Key() != fyne.KeyBackspace && cs.Key() != fyne.KeyDelete {
			t.Entry.TypedShortcut(s) // moving and selecting by words
		}
		return
	}
	if c, ok := fyne.CurrentApp().Driver().CanvasForObject(t).(fyne.Shortcutable); ok {
		c.TypedShortcut(s)
	}
}

// TappedSecondary shows no menu: an entry's would offer Cut and Paste.
func (t *readerText) TappedSecondary(*fyne.PointEvent) {}

// plainTextTheme is the app's theme without an entry's box, border and cursor.
type plainTextTheme struct{}

func (plainTextTheme) current() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

// Color makes an entry's background, border and cursor (the primary colour) transparent.
func (p plainTextTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameInputBackground, theme.ColorNameInputBorder, theme.ColorNamePrimary:
		return color.Transparent
	}
	return p.current().Color(n, v)
}

// Font is the app theme's.
func (p plainTextTheme) Font(s fyne.TextStyle) fyne.Resource { return p.current().Font(s) }

// Icon is the app theme's.
func (p plainTextTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return p.current().Icon(n) }

// Size is the app theme's.
func (p plainTextTheme) Size(n fyne.ThemeSizeName) float32 { return p.current().Size(n) }
