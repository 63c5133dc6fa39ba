package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/draw"
)

// Logo limits.
const (
	MaxLogoFileSize = 2 << 20 // bytes of the chosen file
	MaxLogoSide     = 4096    // pixels, width or height, read from the header before decoding
	LogoThumbSide   = 128     // pixels of the stored thumbnail, at most
	maxStoredLogo   = 256 << 10
)

// ErrBadLogo is wrapped by every logo refusal; its message is a plain sentence.
var ErrBadLogo = errors.New("logo refused")

type logoError struct{ msg string }

func (e *logoError) Error() string { return e.msg }
func (e *logoError) Unwrap() error { return ErrBadLogo }

func badLogo(format string, a ...any) error { return &logoError{fmt.Sprintf(format, a...)} }

// LogoFromFile reads an image file and returns its logo thumbnail (see MakeLogo).
// The file's size is checked before anything is read.
func LogoFromFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badLogo("The file cannot be opened: %v", errors.Unwrap(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxLogoFileSize {
		return nil, badLogo("The file is %.1f MiB; a logo may be at most 2 MiB", float64(st.Size())/(1<<20))
	}
	return MakeLogo(f)
}

// MakeLogo checks that r holds a PNG, JPEG or GIF image of at most 2 MiB and 4096×4096
// pixels, reading the header before decoding so that no huge image is ever allocated, and
// returns it scaled to fit 128×128 as PNG. Refusals wrap ErrBadLogo with a plain sentence.
func MakeLogo(r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxLogoFileSize+1))
	if err != nil {
		return nil, badLogo("The file cannot be read")
	}
	if len(raw) > MaxLogoFileSize {
		return nil, badLogo("The file is larger than 2 MiB")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, badLogo("The file is not a PNG, JPEG or GIF image")
	}
	if format != "png" && format != "jpeg" && format != "gif" {
		return nil, badLogo("The file is a %s image; a logo must be PNG, JPEG or GIF", format)
	}
	if cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, badLogo("The image is %d×%d pixels; a logo may be at most %d×%d", cfg.Width, cfg.Height, MaxLogoSide, MaxLogoSide)
	}
	if cfg.Width == 0 || cfg.Height == 0 {
		return nil, badLogo("The image is empty")
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, badLogo("The %s image is damaged or incomplete", format)
	}
	return encodeThumb(img)
}

func encodeThumb(img image.Image) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > LogoThumbSide || h > LogoThumbSide {
		if w >= h {
			w, h = LogoThumbSide, max(1, h*LogoThumbSide/b.Dx())
		} else {
			w, h = max(1, w*LogoThumbSide/b.Dy()), LogoThumbSide
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst); err != nil {
		return nil, fmt.Errorf("encode logo: %w", err)
	}
	return buf.Bytes(), nil
}

// The decoders MakeLogo accepts; registered here so that no other format slips in.
var (
	_ = gif.Decode
	_ = jpeg.Decode
)
