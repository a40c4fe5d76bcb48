package tileserve

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// encodeBlank makes a uniform tile of size w×h in format name. Opaque
// formats get c with full alpha.
func encodeBlank(format string, w, h int, c color.NRGBA) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "png":
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
		}
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, img); err != nil {
			return nil, err
		}
	case "jpeg":
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
		}
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			return nil, err
		}
	case "webp":
		return uniformWebP(w, h, c), nil
	}
	return buf.Bytes(), nil
}

// uniformWebP encodes a single-colour image as lossless WebP (VP8L).
// Go's standard library has no WebP encoder, but a uniform image needs only
// the simplest corner of the format: no transforms, no colour cache, and five
// one-symbol prefix codes, so that every pixel costs zero bits.
func uniformWebP(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	alphaUsed := uint32(0)
	if c.A != 255 {
		alphaUsed = 1
	}
	bw.write(alphaUsed, 1)
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // one prefix code group for the whole image
	// Green (with length codes), red, blue, alpha, distance.
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		if sym < 2 {
			bw.write(0, 1)
			bw.write(uint32(sym), 1)
		} else {
			bw.write(1, 1)
			bw.write(uint32(sym), 8)
		}
	}
	payload := append([]byte{0x2f}, bw.bytes()...)
	if len(payload)%2 == 1 {
		payload = append(payload, 0)
	}
	out := make([]byte, 0, 20+len(payload))
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(4+8+len(payload)))
	out = append(out, "WEBPVP8L"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(payload)))
	return append(out, payload...)
}

// bitWriter packs bits least significant first, as VP8L reads them.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (b *bitWriter) write(v uint32, n uint) {
	b.acc |= uint64(v) << b.nbits
	b.nbits += n
	for b.nbits >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.nbits -= 8
	}
}

func (b *bitWriter) bytes() []byte {
	if b.nbits > 0 {
		return append(b.buf, byte(b.acc))
	}
	return b.buf
}
