package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// Reader reads a PMTiles v3 archive held in memory: enough to verify an
// export and read tiles back, not to serve large archives.
type Reader struct {
	b    []byte
	dirs map[uint64][]entry
}

// Open reads the archive at path.
func Open(path string) (*Reader, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < HeaderLen || string(b[:7]) != "PMTiles" || b[7] != 3 {
		return nil, fmt.Errorf("pmtiles %s: not a PMTiles v3 archive", path)
	}
	return &Reader{b: b, dirs: map[uint64][]entry{}}, nil
}

func (r *Reader) u64(at int) uint64 { return binary.LittleEndian.Uint64(r.b[at:]) }

// section returns bytes [off, off+n) or an error if they lie outside.
func (r *Reader) section(off, n uint64) ([]byte, error) {
	if off > uint64(len(r.b)) || n > uint64(len(r.b))-off {
		return nil, fmt.Errorf("pmtiles: section %d+%d lies outside the %d-byte file", off, n, len(r.b))
	}
	return r.b[off : off+n], nil
}

// dir reads the directory at off.
func (r *Reader) dir(off, n uint64) ([]entry, error) {
	if es, ok := r.dirs[off]; ok {
		return es, nil
	}
	raw, err := r.section(off, n)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("pmtiles: directory at %d: %w", off, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: directory at %d: %w", off, err)
	}
	p := 0
	var bad bool
	next := func() uint64 {
		v, k := binary.Uvarint(data[p:])
		if k <= 0 {
			bad = true
			return 0
		}
		p += k
		return v
	}
	count := next()
	if bad || count > uint64(len(data)) {
		return nil, fmt.Errorf("pmtiles: directory at %d: bad entry count", off)
	}
	es := make([]entry, count)
	var last uint64
	for i := range es {
		last += next()
		es[i].id = last
	}
	for i := range es {
		es[i].run = uint32(next())
	}
	for i := range es {
		es[i].length = uint32(next())
	}
	for i := range es {
		v := next()
		if v == 0 && i > 0 {
			es[i].offset = es[i-1].offset + uint64(es[i-1].length)
		} else {
			es[i].offset = v - 1
		}
	}
	if bad || p != len(data) {
		return nil, fmt.Errorf("pmtiles: directory at %d is damaged", off)
	}
	r.dirs[off] = es
	return es, nil
}

// Tile returns the data of tile z/x/y (y from the top); ok is false when
// the archive does not hold it.
func (r *Reader) Tile(z uint8, x, y uint32) (data []byte, ok bool, err error) {
	id := ZxyToID(z, x, y)
	off, n := r.u64(8), r.u64(16)
	for range 4 {
		es, err := r.dir(off, n)
		if err != nil {
			return nil, false, err
		}
		i := sort.Search(len(es), func(i int) bool { return es[i].id > id }) - 1
		if i < 0 {
			return nil, false, nil
		}
		e := es[i]
		if e.run == 0 {
			off, n = r.u64(40)+e.offset, uint64(e.length)
			continue
		}
		if id >= e.id+uint64(e.run) {
			return nil, false, nil
		}
		data, err := r.section(r.u64(56)+e.offset, uint64(e.length))
		return data, err == nil, err
	}
	return nil, false, errors.New("pmtiles: directories nested too deep")
}

// Verify checks the archive's structure: the root directory within the
// first 16 KiB, sorted ids, tiles inside the data section, leaf
// directories readable, and the header's counts equal to the
// directories'. It returns the number of tiles addressed.
func (r *Reader) Verify() (int64, error) {
	if r.u64(8)+r.u64(16) > 16384 {
		return 0, errors.New("pmtiles: the root directory ends past 16 KiB")
	}
	dataLen := r.u64(64)
	if _, err := r.section(r.u64(56), dataLen); err != nil {
		return 0, err
	}
	var addressed, entries int64
	var walk func(off, n uint64, depth int) error
	walk = func(off, n uint64, depth int) error {
		if depth > 3 {
			return errors.New("pmtiles: directories nested too deep")
		}
		es, err := r.dir(off, n)
		if err != nil {
			return err
		}
		for i, e := range es {
			if i > 0 && e.id <= es[i-1].id {
				return fmt.Errorf("pmtiles: directory at %d: ids not increasing", off)
			}
			if e.run == 0 {
				if err := walk(r.u64(40)+e.offset, uint64(e.length), depth+1); err != nil {
					return err
				}
				continue
			}
			if e.length == 0 || e.offset+uint64(e.length) > dataLen {
				return fmt.Errorf("pmtiles: tile id %d lies outside the tile data", e.id)
			}
			addressed += int64(e.run)
			entries++
		}
		return nil
	}
	if err := walk(r.u64(8), r.u64(16), 0); err != nil {
		return 0, err
	}
	if uint64(addressed) != r.u64(72) || uint64(entries) != r.u64(80) {
		return 0, fmt.Errorf("pmtiles: the header counts %d tiles in %d entries, the directories %d in %d", r.u64(72), r.u64(80), addressed, entries)
	}
	return addressed, nil
}
