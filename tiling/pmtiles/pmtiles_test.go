package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestZxyToID(t *testing.T) {
	// The examples of the PMTiles v3 specification.
	for _, c := range []struct {
		z    uint8
		x, y uint32
		id   uint64
	}{{0, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 2}, {1, 1, 1, 3}, {1, 1, 0, 4}, {2, 0, 0, 5}} {
		if got := ZxyToID(c.z, c.x, c.y); got != c.id {
			t.Errorf("%d/%d/%d: id %d, want %d", c.z, c.x, c.y, got, c.id)
		}
	}
	// Ids of one zoom are a permutation of its range.
	seen := map[uint64]bool{}
	for x := range uint32(8) {
		for y := range uint32(8) {
			id := ZxyToID(3, x, y)
			if id < 21 || id >= 85 || seen[id] {
				t.Fatalf("3/%d/%d: id %d out of range or repeated", x, y, id)
			}
			seen[id] = true
		}
	}
}

// reader is a minimal PMTiles reader, independent of the writer's code
// paths, for the round trip.
type reader struct {
	b     []byte
	t     *testing.T
	cache map[uint64][][4]uint64
}

func (r reader) u64(at int) uint64 { return binary.LittleEndian.Uint64(r.b[at:]) }

func (r reader) dir(off, n uint64) [][4]uint64 {
	if es, ok := r.cache[off]; ok {
		return es
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.b[off : off+n]))
	if err != nil {
		r.t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		r.t.Fatal(err)
	}
	p := 0
	next := func() uint64 {
		v, k := binary.Uvarint(raw[p:])
		if k <= 0 {
			r.t.Fatal("bad varint")
		}
		p += k
		return v
	}
	count := int(next())
	es := make([][4]uint64, count) // id, offset, length, run
	var last uint64
	for i := range es {
		last += next()
		es[i][0] = last
	}
	for i := range es {
		es[i][3] = next()
	}
	for i := range es {
		es[i][2] = next()
	}
	for i := range es {
		v := next()
		if v == 0 && i > 0 {
			es[i][1] = es[i-1][1] + es[i-1][2]
		} else {
			es[i][1] = v - 1
		}
	}
	r.cache[off] = es
	return es
}

func (r reader) find(id uint64) ([]byte, bool) {
	dirOff, dirLen := r.u64(8), r.u64(16)
	for depth := 0; depth < 4; depth++ {
		es := r.dir(dirOff, dirLen)
		i := sort.Search(len(es), func(i int) bool { return es[i][0] > id }) - 1
		if i < 0 {
			return nil, false
		}
		hit := &es[i]
		if hit[3] == 0 { // a leaf directory
			dirOff, dirLen = r.u64(40)+hit[1], hit[2]
			continue
		}
		if id >= hit[0]+hit[3] {
			return nil, false
		}
		start := r.u64(56) + hit[1]
		return r.b[start : start+hit[2]], true
	}
	return nil, false
}

func TestWriteRoundTrip(t *testing.T) {
	for _, maxZ := range []uint8{3, 8} {
		var tiles []Tile
		for z := uint8(0); z <= maxZ; z++ {
			for x := range uint32(1) << z {
				for y := range uint32(1) << z {
					data := []byte(fmt.Sprintf("tile %d/%d/%d", z, x, y))
					if x%3 == 0 {
						data = []byte("sea") // repeated content: stored once, in runs
					}
					tiles = append(tiles, Tile{Z: z, X: x, Y: y, Data: data})
				}
			}
		}
		path := filepath.Join(t.TempDir(), "a.pmtiles")
		err := Write(path, tiles, Options{Type: PNG, Bounds: [4]float64{-180, -85, 180, 85}, Center: [3]float64{2.5, 46.6, 3}, Metadata: []byte(`{"name":"t"}`)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := reader{b, t, map[uint64][][4]uint64{}}
		if string(b[:7]) != "PMTiles" || b[7] != 3 || r.u64(8) != HeaderLen || r.u64(8)+r.u64(16) > 16384 {
			t.Fatalf("header %q, root at %d length %d", b[:8], r.u64(8), r.u64(16))
		}
		if addressed := r.u64(72); addressed != uint64(len(tiles)) {
			t.Errorf("addressed tiles %d, want %d", addressed, len(tiles))
		}
		if maxZ == 8 && r.u64(48) == 0 {
			t.Error("87 381 tiles without leaf directories")
		}
		for _, tile := range tiles {
			got, ok := r.find(ZxyToID(tile.Z, tile.X, tile.Y))
			if !ok || !bytes.Equal(got, tile.Data) {
				t.Fatalf("tile %d/%d/%d: %q, %v; want %q", tile.Z, tile.X, tile.Y, got, ok, tile.Data)
			}
		}
		// The package's own reader agrees, and verifies the archive.
		pr, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := pr.Verify(); err != nil || n != int64(len(tiles)) {
			t.Errorf("Verify: %d tiles, %v", n, err)
		}
		for _, tile := range tiles[len(tiles)-50:] {
			if got, ok, err := pr.Tile(tile.Z, tile.X, tile.Y); err != nil || !ok || !bytes.Equal(got, tile.Data) {
				t.Fatalf("Reader.Tile %d/%d/%d: %q %v %v", tile.Z, tile.X, tile.Y, got, ok, err)
			}
		}
		if _, ok, _ := pr.Tile(maxZ+1, 0, 0); ok {
			t.Error("a tile below the deepest zoom was found")
		}
		if b[99] != uint8(PNG) || b[100] != 0 || b[101] != maxZ {
			t.Errorf("type/zooms %v", b[99:102])
		}
	}
	if err := Write(filepath.Join(t.TempDir(), "x.pmtiles"), []Tile{{Z: 1, X: 2}}, Options{}); err == nil {
		t.Error("a tile outside the pyramid was written")
	}
}
