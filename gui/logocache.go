package gui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
)

// logoStore is where the logo cache reads the providers' logos.
type logoStore interface {
	Logo(ctx context.Context, id int64) ([]byte, error)
}

// logoCache loads each provider's logo once, in the background, and calls refresh when one
// arrives so its view can show it.
type logoCache struct {
	ui      *UI
	store   logoStore
	logos   map[int64]fyne.Resource // nil value: none, or still loading
	refresh func()
}

func newLogoCache(u *UI, refresh func()) *logoCache {
	return &logoCache{ui: u, store: u.store, logos: map[int64]fyne.Resource{}, refresh: refresh}
}

// get returns the logo of provider id, or nil while it loads or when there is none.
func (c *logoCache) get(id int64) fyne.Resource {
	if r, ok := c.logos[id]; ok {
		return r
	}
	c.logos[id] = nil
	var img []byte
	c.ui.background(func(ctx context.Context) error {
		var err error
		img, err = c.store.Logo(ctx, id)
		return err
	}, func(err error) {
		if err == nil && len(img) > 0 {
			c.logos[id] = fyne.NewStaticResource(fmt.Sprintf("logo-%d.png", id), img)
			c.refresh()
		}
	})
	return nil
}

// reset forgets every logo, after the providers were read again.
func (c *logoCache) reset() { c.logos = map[int64]fyne.Resource{} }
