package render

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func testImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			switch {
			case x < 16:
				img.SetNRGBA(x, y, color.NRGBA{}) // transparent
			case x < 32:
				img.SetNRGBA(x, y, color.NRGBA{0xff, 0, 0, 0x80})
			default:
				// A gradient with more than 256 colours.
				img.SetNRGBA(x, y, color.NRGBA{uint8(x * 4), uint8(y * 8), 0x40, 0xff})
			}
		}
	}
	return img
}

func TestEncodePNG(t *testing.T) {
	img := testImage()
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{0, 0}, {20, 5}, {40, 20}} {
		if g := color.NRGBAModel.Convert(got.At(p.X, p.Y)).(color.NRGBA); g != img.NRGBAAt(p.X, p.Y) {
			t.Errorf("pixel %v = %v, want %v", p, g, img.NRGBAAt(p.X, p.Y))
		}
	}
}

func TestEncodePNG8(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  *image.NRGBA
		tol  int
	}{
		{"gradient", testImage(), 8},
		{"few colours exact", func() *image.NRGBA {
			img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
			for i := range 64 {
				img.SetNRGBA(i%8, i/8, color.NRGBA{uint8(i * 3), 0x10, 0x20, uint8(255 - i)})
			}
			return img
		}(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := EncodePNG8(&buf, tc.img); err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			pal, ok := got.(*image.Paletted)
			if !ok {
				t.Fatalf("decoded %T, want *image.Paletted", got)
			}
			if len(pal.Palette) > 256 {
				t.Fatalf("%d colours", len(pal.Palette))
			}
			b := tc.img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					g := color.NRGBAModel.Convert(pal.At(x, y)).(color.NRGBA)
					w := tc.img.NRGBAAt(x, y)
					if w.A == 0 {
						if g.A != 0 {
							t.Fatalf("pixel %d,%d = %v, want transparent", x, y, g)
						}
						continue
					}
					if !near(g, w, tc.tol) {
						t.Fatalf("pixel %d,%d = %v, want %v ±%d", x, y, g, w, tc.tol)
					}
				}
			}
		})
	}
}

func TestEncodeJPEG(t *testing.T) {
	img := testImage()
	var buf bytes.Buffer
	if err := EncodeJPEG(&buf, img, 90); err != nil {
		t.Fatal(err)
	}
	got, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("bounds %v", got.Bounds())
	}
	// Transparent pixels come out white.
	if c := color.NRGBAModel.Convert(got.At(4, 4)).(color.NRGBA); !near(c, white, 8) {
		t.Errorf("transparent pixel = %v, want white", c)
	}
	// Half-transparent red over white is pink.
	if c := color.NRGBAModel.Convert(got.At(24, 16)).(color.NRGBA); !near(c, color.NRGBA{0xff, 0x7f, 0x7f, 0xff}, 12) {
		t.Errorf("half red pixel = %v, want pink", c)
	}
}
