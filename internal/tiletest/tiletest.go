// Package tiletest holds the fixtures the tests of the tile protocols share
// (ogc/tileserve, ogc/wmts, ogc/tms, ogc/xyz): a fake tile provider whose
// tiles name their key, the small catalog the TMS and XYZ tests ask, and
// helpers that send requests to a handler and check the answers every tile
// protocol must give alike.
//
// Only tests import it: internal/layering ranks it with the test and tool
// packages, which production code may not import and which may import
// net/http, as this one must to drive the handlers of ogc/....
package tiletest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/tiling"
)

// ModTime is the modification time of every fake tile and fixture layer.
var ModTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// Provider is a tiling.Provider whose tiles name their key (see TileData),
// so a test can tell exactly which tile a request reached. Its zero value
// holds every tile; set its fields before a handler uses it.
type Provider struct {
	// Missing makes every tile missing.
	Missing bool
	// MaxZoom, when positive, makes the tiles of deeper levels missing,
	// like a cache seeded down to MaxZoom only.
	MaxZoom int
	// Gzip stores tiles gzip-compressed, as MBTiles stores vector tiles.
	Gzip bool
	// Err, when set, is returned for every tile, like a broken store.
	Err error
	// Calls counts the calls to Tile, so a test can tell whether a request
	// reached storage.
	Calls atomic.Int64
}

// Tile returns the tile k, or the error its fields call for. A cancelled
// ctx fails the call, so tests can check that the request's context
// reaches the provider.
func (p *Provider) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	p.Calls.Add(1)
	if err := ctx.Err(); err != nil {
		return tiling.Tile{}, err
	}
	if p.Err != nil {
		return tiling.Tile{}, p.Err
	}
	if p.Missing || p.MaxZoom > 0 && k.Z > p.MaxZoom {
		return tiling.Tile{}, fmt.Errorf("tiletest: %w", tiling.ErrNotFound)
	}
	t := tiling.Tile{Data: TileData(k), ModTime: ModTime}
	if p.Gzip {
		t.Data, t.ContentEncoding = Gzip(t.Data), "gzip"
	}
	return t, nil
}

// TileData is the content of the fake tile k, uncompressed: its key.
func TileData(k tiling.Key) []byte {
	return fmt.Appendf(nil, "%s/%s/%s/%s/%d/%d/%d", k.Layer, k.TileMatrixSet, k.Style, k.Format, k.Z, k.Col, k.Row)
}

// Key is the key of a tile of the default style, which is the style every
// fixture layer has.
func Key(layer, set, format string, z, col, row int) tiling.Key {
	return tiling.Key{Layer: layer, TileMatrixSet: set, Style: "default", Format: format, Z: z, Col: col, Row: row}
}

// Gzip compresses b.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// Gunzip decompresses b, failing the test if it is not gzip.
func Gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Builtins loads the built-in tile matrix sets ids, by ID.
func Builtins(t testing.TB, ids ...string) map[string]*tiling.TileMatrixSet {
	t.Helper()
	sets := make(map[string]*tiling.TileMatrixSet, len(ids))
	for _, id := range ids {
		s, err := tiling.Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		sets[id] = s
	}
	return sets
}

// Tileset makes the tileset of set from level minZ to maxZ served by p,
// limited to b, or to the whole set when b is zero.
func Tileset(t testing.TB, set *tiling.TileMatrixSet, minZ, maxZ int, b tiling.Bounds, p tiling.Provider) *catalog.Tileset {
	t.Helper()
	if b == (tiling.Bounds{}) {
		b = set.Bounds()
	}
	ts, err := catalog.NewTileset(set, minZ, maxZ, b, p)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// NilSource is a catalog.Source before any catalog is loaded.
type NilSource struct{}

// For returns nil: there is no catalog.
func (NilSource) For(context.Context) *catalog.Catalog { return nil }
