package tileserve

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"
)

func TestEncodeBlank(t *testing.T) {
	for _, format := range []string{"png", "jpeg", "webp"} {
		for _, c := range []color.NRGBA{{0, 0, 0, 0}, {255, 255, 255, 255}, {12, 200, 99, 255}, {1, 2, 3, 128}} {
			for _, size := range [][2]int{{256, 256}, {512, 512}, {1, 1}, {300, 17}} {
				data, err := encodeBlank(format, size[0], size[1], c)
				if err != nil {
					t.Fatal(err)
				}
				img, got, err := image.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%s %v %v: %v", format, c, size, err)
				}
				if got != format {
					t.Fatalf("decoded as %s", got)
				}
				if b := img.Bounds(); b.Dx() != size[0] || b.Dy() != size[1] {
					t.Fatalf("%s: size %v", format, b)
				}
				want := c
				if format == "jpeg" {
					want.A = 255
				}
				for _, p := range [][2]int{{0, 0}, {size[0] - 1, size[1] - 1}, {size[0] / 2, size[1] / 3}} {
					px := color.NRGBAModel.Convert(img.At(p[0], p[1])).(color.NRGBA)
					tol := 0
					if format == "jpeg" {
						tol = 3
					}
					if !close(px, want, tol) {
						t.Errorf("%s %v: pixel %v = %v", format, c, p, px)
					}
				}
			}
		}
	}
}

func close(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	if a.A == 0 && b.A == 0 {
		return true
	}
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}
