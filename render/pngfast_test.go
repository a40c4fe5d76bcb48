package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"sync"
	"testing"
)

// PNGEncoder output decodes to the same pixels, opaque images as 24-bit
// RGB, images bigger than one IDAT chunk included, from goroutines
// sharing one encoder.
func TestPNGEncoder(t *testing.T) {
	noisy := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(rng.IntN(256))
	}
	opaque := image.NewNRGBA(image.Rect(0, 0, 257, 3))
	for i := 0; i < len(opaque.Pix); i += 4 {
		opaque.Pix[i], opaque.Pix[i+1], opaque.Pix[i+2], opaque.Pix[i+3] = uint8(i), uint8(i/7), 0x33, 0xff
	}
	sub := testImage().SubImage(image.Rect(10, 5, 50, 30)).(*image.NRGBA)
	var enc PNGEncoder
	var wg sync.WaitGroup
	for _, tc := range []struct {
		name      string
		img       *image.NRGBA
		colorType color.Model
	}{{"noisy", noisy, color.NRGBAModel}, {"opaque", opaque, color.RGBAModel}, {"sub-image", sub, color.NRGBAModel}} {
		for range 3 {
			wg.Go(func() {
				var b bytes.Buffer
				if err := enc.Encode(&b, tc.img); err != nil {
					t.Error(err)
					return
				}
				got, err := png.Decode(&b)
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					return
				}
				if got.ColorModel() != tc.colorType {
					t.Errorf("%s: colour model %v", tc.name, got.ColorModel())
				}
				bb := tc.img.Bounds()
				for y := bb.Min.Y; y < bb.Max.Y; y++ {
					for x := bb.Min.X; x < bb.Max.X; x++ {
						want := tc.img.NRGBAAt(x, y)
						g := color.NRGBAModel.Convert(got.At(x-bb.Min.X, y-bb.Min.Y)).(color.NRGBA)
						if want.A == 0 && g.A == 0 {
							continue
						}
						if g != want {
							t.Errorf("%s: pixel %d,%d is %v, want %v", tc.name, x, y, g, want)
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
}
