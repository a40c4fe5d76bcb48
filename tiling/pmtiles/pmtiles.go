// Package pmtiles writes PMTiles version 3 archives: one file holding a
// tile pyramid, addressed by Hilbert tile ids through directories, so a
// cache can be served from plain object storage or a CDN with HTTP range
// requests.
//
// The format is small enough to write directly (header, directories,
// metadata, tile data); see docs/architecture.md for why go-pmtiles is not
// used. Identical tiles are stored once, consecutive identical tiles as one
// run, tile data in tile id order (a clustered archive).
package pmtiles

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
)

// TileType is the PMTiles tile type code.
type TileType uint8

// Tile types.
const (
	Unknown TileType = 0
	MVT     TileType = 1
	PNG     TileType = 2
	JPEG    TileType = 3
	WebP    TileType = 4
)

// Compression codes.
const (
	compressionNone uint8 = 1
	compressionGzip uint8 = 2
)

// HeaderLen is the fixed size of a v3 header; the root directory must end
// within the first 16 KiB of the file.
const (
	HeaderLen     = 127
	maxRootLength = 16384 - HeaderLen
)

// ZxyToID returns the PMTiles tile id of tile z/x/y (y from the top): the
// count of tiles of the zooms above, plus the tile's index along the
// Hilbert curve of its zoom.
func ZxyToID(z uint8, x, y uint32) uint64 {
	var acc uint64
	for t := uint8(0); t < z; t++ {
		acc += uint64(1) << (2 * t)
	}
	n := uint32(1) << z
	var d uint64
	tx, ty := x, y
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if tx&s > 0 {
			rx = 1
		}
		if ty&s > 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				tx, ty = n-1-tx, n-1-ty
			}
			tx, ty = ty, tx
		}
	}
	return acc + d
}

// Tile is one tile to write.
type Tile struct {
	Z    uint8
	X, Y uint32 // y from the top
	Data []byte
}

// Options describe the archive.
type Options struct {
	Type TileType
	// Gzipped tells that tile data is gzip-compressed (vector tiles).
	Gzipped bool
	// Bounds in WGS84 degrees (west, south, east, north) and the centre
	// (longitude, latitude, zoom) shown first.
	Bounds [4]float64
	Center [3]float64
	// Metadata is the JSON metadata object (name, vector_layers...).
	Metadata []byte
}

// entry is a directory entry.
type entry struct {
	id     uint64
	offset uint64 // relative to the tile data section (or leaf section)
	length uint32
	run    uint32
}

// Write writes tiles as a PMTiles archive at path (replacing it), through
// a temporary file renamed into place, so that a failure leaves no half
// archive. Tiles may come in any order.
func Write(path string, tiles []Tile, o Options) error {
	if len(tiles) == 0 {
		return errors.New("pmtiles: no tiles to write")
	}
	type idTile struct {
		id uint64
		t  *Tile
	}
	order := make([]idTile, len(tiles))
	minZ, maxZ := uint8(255), uint8(0)
	for i := range tiles {
		t := &tiles[i]
		if t.Z > 31 || t.X >= 1<<t.Z || t.Y >= 1<<t.Z {
			return fmt.Errorf("pmtiles: tile %d/%d/%d is outside the Web Mercator pyramid", t.Z, t.X, t.Y)
		}
		order[i] = idTile{ZxyToID(t.Z, t.X, t.Y), t}
		minZ, maxZ = min(minZ, t.Z), max(maxZ, t.Z)
	}
	slices.SortFunc(order, func(a, b idTile) int { return cmpU64(a.id, b.id) })

	var data bytes.Buffer
	seen := map[[32]byte]uint64{}
	var entries []entry
	contents := 0
	for i, it := range order {
		if i > 0 && order[i-1].id == it.id {
			return fmt.Errorf("pmtiles: tile %d/%d/%d given twice", it.t.Z, it.t.X, it.t.Y)
		}
		sum := sha256.Sum256(it.t.Data)
		off, dup := seen[sum]
		if !dup {
			off = uint64(data.Len())
			seen[sum] = off
			data.Write(it.t.Data)
			contents++
		}
		if n := len(entries); n > 0 {
			last := &entries[n-1]
			if dup && last.offset == off && last.id+uint64(last.run) == it.id {
				last.run++
				continue
			}
		}
		entries = append(entries, entry{id: it.id, offset: off, length: uint32(len(it.t.Data)), run: 1})
	}

	root, leaves, err := directories(entries)
	if err != nil {
		return err
	}
	meta, err := gzipBytes(o.Metadata)
	if err != nil {
		return err
	}
	h := header{
		rootOffset: HeaderLen, rootLength: uint64(len(root)),
		metaLength: uint64(len(meta)), leafLength: uint64(len(leaves)), dataLength: uint64(data.Len()),
		addressed: uint64(len(tiles)), entries: uint64(len(entries)), contents: uint64(contents),
		minZ: minZ, maxZ: maxZ, o: o,
	}
	h.metaOffset = h.rootOffset + h.rootLength
	h.leafOffset = h.metaOffset + h.metaLength
	h.dataOffset = h.leafOffset + h.leafLength

	tmp, err := os.CreateTemp(dirOf(path), ".pmtiles-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, part := range [][]byte{h.bytes(), root, meta, leaves, data.Bytes()} {
		if _, err := w.Write(part); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; an archive is for publishing.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return "."
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// directories serialises the root directory, with leaf directories when
// the entries do not fit in the root's 16 KiB budget.
func directories(entries []entry) (root, leaves []byte, err error) {
	root, err = serialize(entries)
	if err != nil {
		return nil, nil, err
	}
	if len(root) <= maxRootLength {
		return root, nil, nil
	}
	for leafSize := 4096; ; leafSize *= 2 {
		var rootEntries []entry
		var buf bytes.Buffer
		for i := 0; i < len(entries); i += leafSize {
			part := entries[i:min(i+leafSize, len(entries))]
			b, err := serialize(part)
			if err != nil {
				return nil, nil, err
			}
			rootEntries = append(rootEntries, entry{id: part[0].id, offset: uint64(buf.Len()), length: uint32(len(b)), run: 0})
			buf.Write(b)
		}
		root, err = serialize(rootEntries)
		if err != nil {
			return nil, nil, err
		}
		if len(root) <= maxRootLength {
			return root, buf.Bytes(), nil
		}
	}
}

// serialize writes a directory: count, delta-coded ids, run lengths,
// lengths, offsets (0 when contiguous with the previous entry, else
// offset+1), gzip-compressed.
func serialize(entries []entry) ([]byte, error) {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.id-last)
		last = e.id
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.run))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.length))
	}
	for i, e := range entries {
		if i > 0 && e.offset == entries[i-1].offset+uint64(entries[i-1].length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.offset+1)
		}
	}
	return gzipBytes(b)
}

func gzipBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type header struct {
	rootOffset, rootLength, metaOffset, metaLength, leafOffset, leafLength, dataOffset, dataLength uint64
	addressed, entries, contents                                                                   uint64
	minZ, maxZ                                                                                     uint8
	o                                                                                              Options
}

func (h header) bytes() []byte {
	b := make([]byte, 0, HeaderLen)
	b = append(b, "PMTiles"...)
	b = append(b, 3)
	for _, v := range []uint64{h.rootOffset, h.rootLength, h.metaOffset, h.metaLength, h.leafOffset, h.leafLength,
		h.dataOffset, h.dataLength, h.addressed, h.entries, h.contents} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	tileComp := compressionNone
	if h.o.Gzipped {
		tileComp = compressionGzip
	}
	b = append(b, 1, compressionGzip, tileComp, uint8(h.o.Type), h.minZ, h.maxZ)
	e7 := func(v float64) uint32 { return uint32(int32(v * 1e7)) }
	for _, v := range h.o.Bounds {
		b = binary.LittleEndian.AppendUint32(b, e7(v))
	}
	b = append(b, uint8(h.o.Center[2]))
	b = binary.LittleEndian.AppendUint32(b, e7(h.o.Center[0]))
	b = binary.LittleEndian.AppendUint32(b, e7(h.o.Center[1]))
	return b
}
