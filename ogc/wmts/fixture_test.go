package wmts_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/wmts"
	"github.com/tuiles/tuiles/tiling"
)

// errStorage stands for a broken cache; its text must never reach a client.
var errStorage = errors.New("sqlite: disk I/O error at /srv/secret/cache.mbtiles")

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

// oddName is a layer name that needs escaping in URLs and XML.
const oddName = "eaux & forêts"

// fixture is a catalog of small layers in the built-in sets and two
// hand-written ones, with the providers behind them. Tiles are stored down
// to level 3 (2 for oddName), as a seeded cache would hold them.
type fixture struct {
	live      *catalog.Live
	sets      map[string]*tiling.TileMatrixSet
	providers map[string]*tiletest.Provider // by layer name
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	fx := &fixture{
		sets:      tiletest.Builtins(t, "WebMercatorQuad", "WorldCRS84Quad", "LAMB93", "PM"),
		providers: map[string]*tiletest.Provider{},
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
		return tiletest.Tileset(t, fx.sets[set], minZ, maxZ, b, p)
	}
	provider := func(layer string, p *tiletest.Provider) *tiletest.Provider {
		fx.providers[layer] = p
		return p
	}
	world := provider("world", &tiletest.Provider{MaxZoom: 3})
	roads := provider("roads", &tiletest.Provider{MaxZoom: 3, Gzip: true})
	france := provider("france", &tiletest.Provider{MaxZoom: 3})
	holes := provider("holes", &tiletest.Provider{Missing: true})
	sparse := provider("sparse", &tiletest.Provider{Missing: true})
	broken := provider("broken", &tiletest.Provider{Err: errStorage})
	odd := provider(oddName, &tiletest.Provider{MaxZoom: 2})
	layers := []*catalog.Layer{
		{
			Name: "world", Title: "The world", Abstract: "Everything, everywhere.", Keywords: []string{"world", "test"},
			Bounds:  tiling.Bounds{MinX: -180, MinY: -85, MaxX: 180, MaxY: 85},
			Formats: []tiling.Format{tiling.PNG, tiling.JPEG},
			MaxAge:  time.Hour, ModTime: tiletest.ModTime,
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
			Formats: []tiling.Format{tiling.MVT}, MaxAge: 10 * time.Minute, ModTime: tiletest.ModTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 14, tiling.Bounds{}, roads)},
		},
		{
			Name: "france", Title: "France <métropole> & \"Corse\"", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Bounds: tiling.Bounds{MinX: -5.4, MinY: 40.8, MaxX: 9.9, MaxY: 51.2}, ModTime: tiletest.ModTime,
			Tilesets: []*catalog.Tileset{
				tileset("WebMercatorQuad", 2, 12, tiletest.FranceMercator, france),
				tileset("PM", 2, 10, tiletest.FranceMercator, france),
			},
		},
		{
			Name: "holes", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, holes)},
		},
		{
			Name: "sparse", Formats: []tiling.Format{tiling.PNG}, ModTime: tiletest.ModTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, sparse)},
		},
		{
			Name: "broken", Formats: []tiling.Format{tiling.PNG},
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, broken)},
		},
		{
			Name: oddName, Title: "Water & forests", Formats: []tiling.Format{tiling.PNG}, ModTime: tiletest.ModTime,
			Tilesets: []*catalog.Tileset{tileset("WorldCRS84Quad", 0, 2, tiling.Bounds{}, odd)},
		},
		// A layer without tiles (features only) is not a WMTS layer.
		{Name: "wmsonly", Features: &catalog.Features{Source: tiletest.NoFeatures{}, Table: "t"}},
	}
	cat, err := catalog.New(catalog.Service{
		Title: "Test tiles", Abstract: "Tiles for tests.", Keywords: []string{"a", "b"},
		Provider: "Tuiles & Co", ProviderURL: "https://example.org/", ContactEmail: "maps@example.org",
	}, layers)
	if err != nil {
		t.Fatal(err)
	}
	fx.live = catalog.NewLive(cat)
	return fx
}

func (fx *fixture) handler(publicURL string) http.Handler {
	return wmts.NewHandler(wmts.Options{Catalog: fx.live, PublicURL: publicURL})
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
