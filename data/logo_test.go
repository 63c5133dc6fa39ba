package data

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var red = color.RGBA{R: 220, G: 20, B: 30, A: 255}

func solid(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, red)
		}
	}
	return img
}

func noise(w, h int) image.Image {
	rng := rand.New(rand.NewPCG(3, 4))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256))
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngClaiming returns a PNG signature and an IHDR chunk, with a correct CRC, claiming w×h
// pixels, followed by IEND: a header any decoder believes, with no pixels behind it.
func pngClaiming(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA; compression, filter and interlace 0
	writeChunk(&b, "IHDR", ihdr)
	writeChunk(&b, "IEND", nil)
	return b.Bytes()
}

func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	body := append([]byte(typ), data...)
	b.Write(body)
	binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(body))
}

func TestMakeLogoScalesToPNGThumbnail(t *testing.T) {
	for _, tc := range []struct {
		name         string
		file         func(t *testing.T) []byte
		wantW, wantH int
	}{
		{"wide PNG", func(t *testing.T) []byte { return encodePNG(t, solid(300, 150)) }, 128, 64},
		{"tall JPEG", func(t *testing.T) []byte { return encodeJPEG(t, solid(200, 400)) }, 64, 128},
		{"small GIF kept at its size", func(t *testing.T) []byte { return encodeGIF(t, solid(64, 32)) }, 64, 32},
		{"square PNG", func(t *testing.T) []byte { return encodePNG(t, solid(129, 129)) }, 128, 128},
		{"thin strip keeps a pixel", func(t *testing.T) []byte { return encodePNG(t, solid(1000, 3)) }, 128, 1},
		{"largest side accepted", func(t *testing.T) []byte { return encodePNG(t, solid(MaxLogoSide, 2)) }, 128, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thumb, err := MakeLogo(bytes.NewReader(tc.file(t)))
			if err != nil {
				t.Fatalf("MakeLogo: %v", err)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb))
			if err != nil || format != "png" {
				t.Fatalf("thumbnail is %q: %v", format, err)
			}
			if cfg.Width != tc.wantW || cfg.Height != tc.wantH {
				t.Fatalf("thumbnail %d×%d, want %d×%d", cfg.Width, cfg.Height, tc.wantW, tc.wantH)
			}
			img, _ := png.Decode(bytes.NewReader(thumb))
			r, g, b, a := img.At(tc.wantW/2, tc.wantH/2).RGBA()
			if r>>8 < 180 || g>>8 > 70 || b>>8 > 70 || a>>8 != 255 {
				t.Errorf("middle pixel %d,%d,%d,%d; want the picture's red", r>>8, g>>8, b>>8, a>>8)
			}
		})
	}
}

func TestLogoOfNoiseFitsProvider(t *testing.T) {
	thumb, err := MakeLogo(bytes.NewReader(encodePNG(t, noise(600, 400))))
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	p := testProvider("Noisy")
	p.Logo = thumb
	mustSave(t, s, p)
	got, err := s.Logo(context.Background(), p.ID)
	if err != nil || !bytes.Equal(got, thumb) {
		t.Fatalf("stored logo differs (%d bytes, %v)", len(got), err)
	}
}

func TestMakeLogoRefuses(t *testing.T) {
	whole := encodePNG(t, noise(200, 200))
	palettedGIF := image.NewPaletted(image.Rect(0, 0, MaxLogoSide+1, 1), palette.Plan9)
	for _, tc := range []struct {
		name string
		file func(t *testing.T) []byte
		says string
	}{
		{"text named .png", func(*testing.T) []byte { return []byte("just some notes, not a picture\n") }, "not a PNG, JPEG or GIF"},
		{"empty", func(*testing.T) []byte { return nil }, "not a PNG, JPEG or GIF"},
		{"truncated PNG", func(*testing.T) []byte { return whole[:len(whole)/2] }, "damaged or incomplete"},
		{"PNG claiming 30000×30000", func(*testing.T) []byte { return pngClaiming(30000, 30000) }, "30000×30000"},
		{"PNG one pixel too wide", func(*testing.T) []byte { return pngClaiming(MaxLogoSide+1, 10) }, "4097×10"},
		{"PNG claiming 0×10", func(*testing.T) []byte { return pngClaiming(0, 10) }, ""},
		{"GIF one pixel too wide", func(t *testing.T) []byte { return encodeGIF(t, palettedGIF) }, "4097×1"},
		{"over 2 MiB", func(*testing.T) []byte { return append(pngClaiming(10, 10), make([]byte, 3<<20)...) }, "2 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thumb, err := MakeLogo(bytes.NewReader(tc.file(t)))
			if !errors.Is(err, ErrBadLogo) {
				t.Fatalf("MakeLogo = %d bytes, %v; want ErrBadLogo", len(thumb), err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("message %q; want it to mention %q", err, tc.says)
			}
		})
	}
}

func TestLogoFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	thumb, err := LogoFromFile(write("logo.jpg", encodeJPEG(t, solid(256, 256))))
	if err != nil {
		t.Fatalf("LogoFromFile of a JPEG: %v", err)
	}
	if cfg, _ := png.DecodeConfig(bytes.NewReader(thumb)); cfg.Width != 128 || cfg.Height != 128 {
		t.Errorf("thumbnail %d×%d", cfg.Width, cfg.Height)
	}

	big := write("big.png", append(encodePNG(t, solid(10, 10)), make([]byte, 3<<20)...))
	sparse := filepath.Join(dir, "sparse.png")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(pngClaiming(10, 10))
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for path, says := range map[string]string{
		big:                                 "3.0 MiB",
		sparse:                              "50.0 MiB",
		write("notes.png", []byte("hello")): "not a PNG, JPEG or GIF",
		filepath.Join(dir, "missing.png"):   "cannot be opened",
		dir:                                 "cannot be read",
	} {
		_, err := LogoFromFile(path)
		if !errors.Is(err, ErrBadLogo) {
			t.Errorf("LogoFromFile(%s): %v, want ErrBadLogo", filepath.Base(path), err)
		} else if !strings.Contains(err.Error(), says) {
			t.Errorf("LogoFromFile(%s): %q; want it to mention %q", filepath.Base(path), err, says)
		}
	}
}
