package render

import (
	"cmp"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"slices"
)

// EncodePNG writes img as a PNG (24-bit when opaque, else 32-bit with
// alpha) with a PNGEncoder of its own; servers keep one PNGEncoder to
// reuse its buffers.
func EncodePNG(w io.Writer, img *image.NRGBA) error {
	var e PNGEncoder
	return e.Encode(w, img)
}

// EncodePNG8 writes img as a paletted PNG of at most 256 colours, alpha
// included (tRNS). Images with at most 256 distinct colours keep them
// exactly; others are reduced by median cut, without dithering, which
// keeps flat map colours flat.
func EncodePNG8(w io.Writer, img *image.NRGBA) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, Quantize(img, 256))
}

// EncodeJPEG writes img as a JPEG of the given quality (1-100; out of
// range values are clamped), composed over opaque white since JPEG has no
// alpha.
func EncodeJPEG(w io.Writer, img *image.NRGBA, quality int) error {
	quality = max(1, min(100, quality))
	b := img.Bounds()
	out := image.NewRGBA(b)
	for i := 0; i+3 < len(img.Pix); i += 4 {
		a := uint32(img.Pix[i+3])
		for j := range 3 {
			v := uint32(img.Pix[i+j])
			out.Pix[i+j] = uint8((v*a + 255*(255-a) + 127) / 255)
		}
		out.Pix[i+3] = 255
	}
	return jpeg.Encode(w, out, &jpeg.Options{Quality: quality})
}

// Quantize reduces img to a paletted image of at most n colours (2..256)
// by median cut over its colour histogram (alpha counted as a channel).
func Quantize(img *image.NRGBA, n int) *image.Paletted {
	n = max(2, min(256, n))
	b := img.Bounds()
	hist := make(map[uint32]int)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			hist[packNRGBA(row[i:i+4])]++
		}
	}
	entries := make([]histEntry, 0, len(hist))
	for c, cnt := range hist {
		entries = append(entries, histEntry{c: c, n: cnt})
	}
	// Deterministic order regardless of map iteration.
	slices.SortFunc(entries, func(a, b histEntry) int { return cmp.Compare(a.c, b.c) })

	boxes := [][]histEntry{entries}
	for len(boxes) < n {
		// Split the box with the widest channel range (ties: the most
		// pixels).
		best, bestCh, bestRange := -1, 0, 0
		for i, bx := range boxes {
			if len(bx) < 2 {
				continue
			}
			ch, rg := widest(bx)
			if rg > bestRange {
				best, bestCh, bestRange = i, ch, rg
			}
		}
		if best < 0 {
			break
		}
		bx := boxes[best]
		slices.SortStableFunc(bx, func(a, b histEntry) int { return cmp.Compare(channel(a.c, bestCh), channel(b.c, bestCh)) })
		total := 0
		for _, e := range bx {
			total += e.n
		}
		cut, acc := 1, 0
		for i, e := range bx[:len(bx)-1] {
			acc += e.n
			cut = i + 1
			if acc*2 >= total {
				break
			}
		}
		boxes[best] = bx[:cut]
		boxes = append(boxes, bx[cut:])
	}

	pal := make(color.Palette, len(boxes))
	index := make(map[uint32]uint8, len(entries))
	for i, bx := range boxes {
		var s [4]int
		total := 0
		for _, e := range bx {
			for ch := range 4 {
				s[ch] += channel(e.c, ch) * e.n
			}
			total += e.n
			index[e.c] = uint8(i)
		}
		if total == 0 {
			pal[i] = color.NRGBA{}
			continue
		}
		pal[i] = color.NRGBA{
			R: uint8((s[0] + total/2) / total),
			G: uint8((s[1] + total/2) / total),
			B: uint8((s[2] + total/2) / total),
			A: uint8((s[3] + total/2) / total),
		}
	}
	if len(pal) == 0 {
		pal = color.Palette{color.NRGBA{}}
	}
	out := image.NewPaletted(b, pal)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		dst := out.Pix[out.PixOffset(b.Min.X, y):]
		for i, x := 0, 0; i+3 < len(row); i, x = i+4, x+1 {
			dst[x] = index[packNRGBA(row[i:i+4])]
		}
	}
	return out
}

type histEntry struct {
	c uint32
	n int
}

func packNRGBA(p []uint8) uint32 {
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

func channel(c uint32, ch int) int { return int(c>>(24-8*ch)) & 0xff }

func widest(bx []histEntry) (ch, rng int) {
	for k := range 4 {
		lo, hi := 255, 0
		for _, e := range bx {
			v := channel(e.c, k)
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi-lo > rng {
			ch, rng = k, hi-lo
		}
	}
	return ch, rng
}
