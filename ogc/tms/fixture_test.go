package tms_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/tms"
	"github.com/tuiles/tuiles/tiling"
)

// modTime is the modification time of every fake tile.
var modTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fakeProvider makes tiles whose bytes name their key, so a test can tell
// exactly which tile a request reached.
type fakeProvider struct {
	missing bool // every tile is missing
	gzip    bool // tiles are stored gzip-compressed, as MBTiles stores MVT
	calls   atomic.Int64
}

func (p *fakeProvider) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	p.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return tiling.Tile{}, err
	}
	if p.missing {
		return tiling.Tile{}, fmt.Errorf("fake: %w", tiling.ErrNotFound)
	}
	data := tileData(k)
	t := tiling.Tile{Data: data, ModTime: modTime}
	if p.gzip {
		t.Data = gzipBytes(data)
		t.ContentEncoding = "gzip"
	}
	return t, nil
}

func tileData(k tiling.Key) []byte {
	return fmt.Appendf(nil, "%s/%s/%s/%s/%d/%d/%d", k.Layer, k.TileMatrixSet, k.Style, k.Format, k.Z, k.Col, k.Row)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// fixture is a catalog of small layers in the three built-in sets the
// tests need, and the sets themselves.
type fixture struct {
	live *catalog.Live
	sets map[string]*tiling.TileMatrixSet
}

// franceMercator is roughly metropolitan France in EPSG:3857.
var franceMercator = tiling.Bounds{MinX: -600000, MinY: 5000000, MaxX: 1100000, MaxY: 6650000}

const roadsVectorLayers = `[{"id":"roads","fields":{"kind":"String"}}]`

func newFixture(t testing.TB) *fixture {
	t.Helper()
	fx := &fixture{sets: map[string]*tiling.TileMatrixSet{}}
	for _, id := range []string{"WebMercatorQuad", "WorldCRS84Quad", "LAMB93"} {
		s, err := tiling.Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		fx.sets[id] = s
	}
	tileset := func(set string, minZ, maxZ int, b tiling.Bounds, p tiling.Provider) *catalog.Tileset {
		s := fx.sets[set]
		if b == (tiling.Bounds{}) {
			b = s.Bounds()
		}
		ts, err := catalog.NewTileset(s, minZ, maxZ, b, p)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	world := &fakeProvider{}
	layers := []*catalog.Layer{
		{
			Name: "world", Title: "The world", Abstract: "Everything, everywhere.", Keywords: []string{"world", "test"},
			Attribution: `<a href="https://example.org">Example</a>`,
			Bounds:      tiling.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90},
			Formats:     []tiling.Format{tiling.PNG, tiling.JPEG, tiling.WebP},
			MaxAge:      time.Hour, ModTime: modTime,
			Tilesets: []*catalog.Tileset{
				tileset("WebMercatorQuad", 0, 6, tiling.Bounds{}, world),
				tileset("WorldCRS84Quad", 0, 5, tiling.Bounds{}, world),
				tileset("LAMB93", 0, 6, tiling.Bounds{}, world),
			},
		},
		{
			Name: "roads", Title: "Roads", Bounds: tiling.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51},
			Formats: []tiling.Format{tiling.MVT}, MaxAge: 10 * time.Minute, ModTime: modTime,
			VectorLayers: []byte(roadsVectorLayers),
			Tilesets:     []*catalog.Tileset{tileset("WebMercatorQuad", 0, 14, tiling.Bounds{}, &fakeProvider{gzip: true})},
		},
		{
			Name: "sparse", Formats: []tiling.Format{tiling.PNG, tiling.JPEG, tiling.WebP},
			Background: [3]uint8{10, 20, 30}, ModTime: modTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, &fakeProvider{missing: true})},
		},
		{
			Name: "sparsevec", Formats: []tiling.Format{tiling.MVT}, ModTime: modTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, &fakeProvider{missing: true})},
		},
		{
			Name: "holes", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, &fakeProvider{missing: true})},
		},
		{
			Name: "france", Title: "France", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Bounds:   tiling.Bounds{MinX: -5.4, MinY: 40.8, MaxX: 9.9, MaxY: 51.2},
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 2, 12, franceMercator, &fakeProvider{})},
		},
	}
	cat, err := catalog.New(catalog.Service{Title: "Test tiles", Abstract: "Tiles for tests.", Keywords: []string{"a", "b"}}, layers)
	if err != nil {
		t.Fatal(err)
	}
	fx.live = catalog.NewLive(cat)
	return fx
}

func (fx *fixture) handler(publicURL string) http.Handler {
	return tms.NewHandler(tms.Options{Catalog: fx.live, PublicURL: publicURL})
}

// do sends one request to h. Header pairs are name, value, name, value...
func do(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://example.com/", nil)
	if u, err := url.Parse(target); err == nil {
		r.URL.Path, r.URL.RawPath, r.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
	} else {
		// Not a valid URL (%zz): a client cannot send it, but a handler
		// called directly may still see such a path.
		r.URL.Path = target
	}
	r.RequestURI = target
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// fullKey is the key the handler should build for a tile of the default
// style.
func fullKey(layer, set, format string, z, col, row int) tiling.Key {
	return tiling.Key{Layer: layer, TileMatrixSet: set, Style: "default", Format: format, Z: z, Col: col, Row: row}
}
