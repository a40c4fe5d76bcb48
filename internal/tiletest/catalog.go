package tiletest

import (
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/tiling"
)

// FranceMercator is roughly metropolitan France in EPSG:3857.
var FranceMercator = tiling.Bounds{MinX: -600000, MinY: 5000000, MaxX: 1100000, MaxY: 6650000}

// RoadsVectorLayers is the TileJSON vector_layers of the fixture's roads
// layer.
const RoadsVectorLayers = `[{"id":"roads","fields":{"kind":"String"}}]`

// Fixture is the catalog the TMS and XYZ tests share, and the three
// built-in sets it uses (WebMercatorQuad, WorldCRS84Quad, LAMB93). Each
// layer shows one case:
//
//	world      every tile, PNG, JPEG and WebP, in the three sets
//	roads      gzip-stored vector tiles, with vector_layers
//	sparse     no tile: raster tiles answered blank, on a background
//	sparsevec  no tile: vector tiles answered 204
//	holes      no tile, answered 404
//	france     levels 2 to 12, limited to France
type Fixture struct {
	Live *catalog.Live
	Sets map[string]*tiling.TileMatrixSet
}

// NewFixture builds the Fixture.
func NewFixture(t testing.TB) *Fixture {
	t.Helper()
	fx := &Fixture{Sets: Builtins(t, "WebMercatorQuad", "WorldCRS84Quad", "LAMB93")}
	tileset := func(set string, minZ, maxZ int, b tiling.Bounds, p tiling.Provider) *catalog.Tileset {
		t.Helper()
		return Tileset(t, fx.Sets[set], minZ, maxZ, b, p)
	}
	world := &Provider{}
	layers := []*catalog.Layer{
		{
			Name: "world", Title: "The world", Abstract: "Everything, everywhere.", Keywords: []string{"world", "test"},
			Attribution: `<a href="https://example.org">Example</a>`,
			Bounds:      tiling.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90},
			Formats:     []tiling.Format{tiling.PNG, tiling.JPEG, tiling.WebP},
			MaxAge:      time.Hour, ModTime: ModTime,
			Tilesets: []*catalog.Tileset{
				tileset("WebMercatorQuad", 0, 6, tiling.Bounds{}, world),
				tileset("WorldCRS84Quad", 0, 5, tiling.Bounds{}, world),
				tileset("LAMB93", 0, 6, tiling.Bounds{}, world),
			},
		},
		{
			Name: "roads", Title: "Roads", Bounds: tiling.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51},
			Formats: []tiling.Format{tiling.MVT}, MaxAge: 10 * time.Minute, ModTime: ModTime,
			VectorLayers: []byte(RoadsVectorLayers),
			Tilesets:     []*catalog.Tileset{tileset("WebMercatorQuad", 0, 14, tiling.Bounds{}, &Provider{Gzip: true})},
		},
		{
			Name: "sparse", Formats: []tiling.Format{tiling.PNG, tiling.JPEG, tiling.WebP},
			Background: [3]uint8{10, 20, 30}, ModTime: ModTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, &Provider{Missing: true})},
		},
		{
			Name: "sparsevec", Formats: []tiling.Format{tiling.MVT}, ModTime: ModTime,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, &Provider{Missing: true})},
		},
		{
			Name: "holes", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 0, 5, tiling.Bounds{}, &Provider{Missing: true})},
		},
		{
			Name: "france", Title: "France", Formats: []tiling.Format{tiling.PNG}, Missing: catalog.MissingNotFound,
			Bounds:   tiling.Bounds{MinX: -5.4, MinY: 40.8, MaxX: 9.9, MaxY: 51.2},
			Tilesets: []*catalog.Tileset{tileset("WebMercatorQuad", 2, 12, FranceMercator, &Provider{})},
		},
	}
	cat, err := catalog.New(catalog.Service{Title: "Test tiles", Abstract: "Tiles for tests.", Keywords: []string{"a", "b"}}, layers)
	if err != nil {
		t.Fatal(err)
	}
	fx.Live = catalog.NewLive(cat)
	return fx
}
