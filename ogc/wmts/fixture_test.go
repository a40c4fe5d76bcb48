package wmts_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/wmts"
	"github.com/tuiles/tuiles/tiling"
)

// modTime is the modification time of every stored tile.
var modTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// errStorage stands for a broken cache; its text must never reach a client.
var errStorage = errors.New("sqlite: disk I/O error at /srv/secret/cache.mbtiles")

// memProvider is an in-memory tile store: a map from key to tile.
type memProvider struct {
	tiles map[tiling.Key]tiling.Tile
	err   error // returned for every tile when set
	calls atomic.Int64
}

func newMemProvider() *memProvider { return &memProvider{tiles: map[tiling.Key]tiling.Tile{}} }

func (p *memProvider) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	p.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return tiling.Tile{}, err
	}
	if p.err != nil {
		return tiling.Tile{}, p.err
	}
	t, ok := p.tiles[k]
	if !ok {
		return tiling.Tile{}, fmt.Errorf("mem: %w", tiling.ErrNotFound)
	}
	return t, nil
}

// fill stores a tile for every key of the layer in ts at zoom levels up to
// maxZ, in every format of the layer. Tile bytes name their key, so a test
// can tell exactly which tile a request reached.
func (p *memProvider) fill(l *catalog.Layer, ts *catalog.Tileset, maxZ int, compress bool) {
	for z := ts.MinZoom; z <= min(maxZ, ts.MaxZoom); z++ {
		r, _ := ts.Limit(z)
		for row := r.MinRow; row <= r.MaxRow; row++ {
			for col := r.MinCol; col <= r.MaxCol; col++ {
				for _, f := range l.Formats {
					k := tiling.Key{Layer: l.Name, TileMatrixSet: ts.Set.ID, Z: z, Col: col, Row: row, Format: f.Name, Style: l.Styles[0].Name}
					t := tiling.Tile{Data: tileData(k), ModTime: modTime}
					if compress {
						t.Data, t.ContentEncoding = gzipBytes(t.Data), "gzip"
					}
					p.tiles[k] = t
				}
			}
		}
	}
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

func gunzip(t testing.TB, b []byte) []byte {
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

// geographic4326 is a WorldCRS84Quad-like set in EPSG:4326, whose axis
// order is latitude first: its TopLeftCorner must read "90 -180".
const geographic4326 = `{
  "id": "WorldEPSG4326",
  "title": "EPSG:4326 for the World",
  "crs": "http://www.opengis.net/def/crs/EPSG/0/4326",
  "orderedAxes": ["Lat", "Lon"],
  "tileMatrices": [
    {"id": "0", "scaleDenominator": 279541132.014358, "cellSize": 0.703125, "pointOfOrigin": [90, -180], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 1},
    {"id": "1", "scaleDenominator": 139770566.007179, "cellSize": 0.3515625, "pointOfOrigin": [90, -180], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 4, "matrixHeight": 2},
    {"id": "2", "scaleDenominator": 69885283.0035897, "cellSize": 0.17578125, "pointOfOrigin": [90, -180], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 8, "matrixHeight": 4}
  ]
}`

// bottomLeftCRS84 has its origin at the bottom-left corner (OGC 17-083
// cornerOfOrigin); WMTS can only say top-left, so its TopLeftCorner must
// be computed: "-180 90".
const bottomLeftCRS84 = `{
  "id": "BottomLeftCRS84",
  "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
  "tileMatrices": [
    {"id": "a", "scaleDenominator": 279541132.014358, "cornerOfOrigin": "bottomLeft", "pointOfOrigin": [-180, -90], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 1},
    {"id": "b", "scaleDenominator": 139770566.007179, "cornerOfOrigin": "bottomLeft", "pointOfOrigin": [-180, -90], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 4, "matrixHeight": 2}
  ]
}`

// franceMercator is roughly metropolitan France in EPSG:3857.
var franceMercator = tiling.Bounds{MinX: -600000, MinY: 5000000, MaxX: 1100000, MaxY: 6650000}

// oddName is a layer name that needs escaping in URLs and XML.
const oddName = "eaux & forêts"

// fixture is a catalog of small layers in the built-in sets and two
// hand-written ones, with the providers behind them.
type fixture struct {
	live      *catalog.Live
	sets      map[string]*tiling.TileMatrixSet
	providers map[string]*memProvider // by layer name
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	fx := &fixture{sets: map[string]*tiling.TileMatrixSet{}, providers: map[string]*memProvider{}}
	for _, id := range []string{"WebMercatorQuad", "WorldCRS84Quad", "LAMB93", "PM"} {
		s, err := tiling.Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		fx.sets[id] = s
	}
	for name, def := range map[string]string{"WorldEPSG4326": geographic4326, "BottomLeftCRS84": bottomLeftCRS84} {
		s, err := tiling.ParseTileMatrixSet(name, []byte(def))
		if err != nil {
			t.Fatal(err)
		}
		fx.sets[name] = s
	}
	tileset := func(set string, minZ, maxZ int, b tiling.Bounds, p tiling.Provider) *catalog.Tileset {
		t.Helper()
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
	provider := func(layer string) *memProvider {
		p := newMemProvider()
		fx.providers[layer] = p
		return p
	}
	world, roads, france, holes, sparse, broken, odd := provider("world"), provider("roads"), provider("france"), provider("holes"), provider("sparse"), provider("broken"), provider(oddName)
	broken.err = errStorage
	layers := []*catalog.Layer{
		{
			Name: "world", Title: "The world", Abstract: "Everything, everywhere.", Keywords: []string{"world", "test"},
			Bounds:  tiling.Bounds{MinX: -180, MinY: -85, MaxX: 180, MaxY: 85},
			Formats: []tiling.Format{tiling.PNG, tiling.JPEG},
			MaxAge:  time.Hour, ModTime: modTime,
			Tilesets: []*catalog.Tileset{
				tileset("WebMercatorQuad", 0, 6, tiling.Bounds{}, world),
				tileset("WorldCRS84Quad", 0, 5, tiling.Bounds{}, world),
				tileset("LAMB93", 0, 6, tiling.Bounds{}, world),
				tileset("WorldEPSG4326", 0, 2, tiling.Bounds{}, world),
				tileset("BottomLeftCRS84", 0, 1, tiling.Bounds{}, world),
			},
		},
		{
			Name: "roads", Title: "Roads", Bounds: tiling.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51},
			Formats: []tiling.Format{tiling.MVT}, MaxAge: 10 * time.Minute, ModTime: modTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 14, tiling.Bounds{}, roads)},
		},
		{
			Name: "france", Title: "France <métropole> & \"Corse\"", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Bounds: tiling.Bounds{MinX: -5.4, MinY: 40.8, MaxX: 9.9, MaxY: 51.2}, ModTime: modTime,
			Tilesets: []*catalog.Tileset{
				tileset("WebMercatorQuad", 2, 12, franceMercator, france),
				tileset("PM", 2, 10, franceMercator, france),
			},
		},
		{
			Name: "holes", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, holes)},
		},
		{
			Name: "sparse", Formats: []tiling.Format{tiling.PNG}, ModTime: modTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, sparse)},
		},
		{
			Name: "broken", Formats: []tiling.Format{tiling.PNG},
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, broken)},
		},
		{
			Name: oddName, Title: "Water & forests", Formats: []tiling.Format{tiling.PNG}, ModTime: modTime,
			Tilesets: []*catalog.Tileset{tileset("WorldCRS84Quad", 0, 2, tiling.Bounds{}, odd)},
		},
		// A layer without tiles (a WMS-only layer) is not a WMTS layer.
		{Name: "wmsonly", Formats: []tiling.Format{tiling.PNG}},
	}
	cat, err := catalog.New(catalog.Service{
		Title: "Test tiles", Abstract: "Tiles for tests.", Keywords: []string{"a", "b"},
		Provider: "Tuiles & Co", ProviderURL: "https://example.org/", ContactEmail: "maps@example.org",
	}, layers)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers[:3] {
		for _, ts := range l.Tilesets {
			fx.providers[l.Name].fill(l, ts, 3, l.Name == "roads")
		}
	}
	fx.providers[oddName].fill(layers[6], layers[6].Tilesets[0], 2, false)
	fx.live = catalog.NewLive(cat)
	return fx
}

func (fx *fixture) handler(publicURL string) http.Handler {
	return wmts.NewHandler(wmts.Options{Catalog: fx.live, PublicURL: publicURL})
}

// newRequest builds a request for target, which may be a raw path and query
// that url.Parse refuses: a handler must cope with whatever reaches it.
func newRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, "http://example.com/", nil)
	if u, err := url.Parse(target); err == nil {
		r.URL.Path, r.URL.RawPath, r.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
	} else {
		path, query, _ := strings.Cut(target, "?")
		r.URL.Path, r.URL.RawPath, r.URL.RawQuery = path, "", query
	}
	r.RequestURI = target
	return r
}

// do sends one request to h. Header pairs are name, value, name, value...
func do(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := newRequest(method, target)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// exceptionReport is an OWS 1.1 ExceptionReport read back.
type exceptionReport struct {
	XMLName    xml.Name `xml:"http://www.opengis.net/ows/1.1 ExceptionReport"`
	Version    string   `xml:"version,attr"`
	Exceptions []struct {
		Code    string   `xml:"exceptionCode,attr"`
		Locator string   `xml:"locator,attr"`
		Text    []string `xml:"http://www.opengis.net/ows/1.1 ExceptionText"`
	} `xml:"http://www.opengis.net/ows/1.1 Exception"`
}

func parseException(body []byte) (exceptionReport, error) {
	var er exceptionReport
	if err := xml.Unmarshal(body, &er); err != nil {
		return er, err
	}
	if len(er.Exceptions) != 1 {
		return er, fmt.Errorf("%d exceptions in the report, want 1", len(er.Exceptions))
	}
	return er, nil
}
