// Command mkicons writes Mailroom's icon at the sizes desktops look for, as
// DIR/hicolor/NxN/apps/NAME.png (the layout of the freedesktop icon theme):
//
//	go run ./internal/cmd/mkicons -src assets/icon.png -name io.mailroom.app -dir build/icons
package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"
)

var sizes = []int{16, 24, 32, 48, 64, 128, 256}

func main() {
	src := flag.String("src", "assets/icon.png", "the icon, a square PNG of at least 256 px")
	name := flag.String("name", "io.mailroom.app", "icon name (the desktop entry's Icon=)")
	dir := flag.String("dir", "icons", "folder to write hicolor/… into")
	flag.Parse()
	if err := write(*src, *name, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "mkicons:", err)
		os.Exit(1)
	}
}

func write(src, name, dir string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode %s: %w", src, err)
	}
	for _, n := range sizes {
		dst := image.NewRGBA(image.Rect(0, 0, n, n))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
		path := filepath.Join(dir, "hicolor", fmt.Sprintf("%dx%d", n, n), "apps", name+".png")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := png.Encode(out, dst); err != nil {
			out.Close()
			return fmt.Errorf("encode %s: %w", path, err)
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	return nil
}
