package render

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"sync"
)

// PNGEncoder writes truecolour PNGs faster than image/png: one filter for
// every row (Up, which suits maps' flat areas and vertical edges alike)
// instead of trying all five per row, the fastest zlib level, RGB without
// alpha when the image is opaque, and zlib writers reused between
// images (each costs about a megabyte to set up). Profiles of GetMap put
// image/png's per-row filter search at half the encoding time. The zero
// value is ready to use and safe for concurrent use.
type PNGEncoder struct {
	writers sync.Pool // *zlib.Writer
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Encode writes img as a PNG: 24-bit when every pixel is opaque, else
// 32-bit with non-premultiplied alpha.
func (e *PNGEncoder) Encode(w io.Writer, img *image.NRGBA) error {
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	opaque := img.Opaque()
	bpp, colorType := 4, byte(6)
	if opaque {
		bpp, colorType = 3, 2
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	if _, err := bw.Write(pngSignature); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, colorType // bit depth, colour type; then deflate, adaptive filtering, no interlace
	if err := writeChunk(bw, "IHDR", ihdr[:]); err != nil {
		return err
	}
	idat := &chunkWriter{w: bw, name: "IDAT"}
	zw, _ := e.writers.Get().(*zlib.Writer)
	if zw == nil {
		zw, _ = zlib.NewWriterLevel(idat, zlib.BestSpeed)
	} else {
		zw.Reset(idat)
	}
	defer e.writers.Put(zw)
	rowLen := 1 + width*bpp
	prev := make([]byte, rowLen)
	cur := make([]byte, rowLen)
	out := make([]byte, rowLen)
	for y := range height {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		if opaque {
			for x, j := 0, 1; x < width; x, j = x+1, j+3 {
				copy(cur[j:j+3], src[4*x:4*x+3])
			}
		} else {
			copy(cur[1:], src[:width*4])
		}
		out[0] = 2 // Up
		for i := 1; i < rowLen; i++ {
			out[i] = cur[i] - prev[i]
		}
		if _, err := zw.Write(out); err != nil {
			return err
		}
		prev, cur = cur, prev
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := idat.flush(); err != nil {
		return err
	}
	if err := writeChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

func writeChunk(w io.Writer, name string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], name)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// chunkWriter cuts the zlib stream into IDAT chunks of up to 64 KiB.
type chunkWriter struct {
	w    io.Writer
	name string
	buf  []byte
}

const maxChunk = 64 << 10

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(maxChunk-len(c.buf), len(p))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == maxChunk {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := writeChunk(c.w, c.name, c.buf)
	c.buf = c.buf[:0]
	return err
}
