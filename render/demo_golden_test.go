package render

import (
	"context"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

// demoDir holds the demo's configuration and styles; the demo store is
// built from demoSources on the first run of tuiles serve, so the tests
// read the sources (the same tables, fields and CRSs) read-only instead.
const (
	demoDir     = "../testdata/demo"
	demoSources = "../testdata/vector/sources.gpkg"
	demoDEM     = "../testdata/raster/dem_lv95.tif"
)

// demoStyle returns style name ("" for the default) of layer in the demo
// SLD file.
func demoStyle(t testing.TB, file, layer, name string) *styles.Style {
	t.Helper()
	sld, err := styles.ParseFile(filepath.Join(demoDir, "styles", file))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := sld.Lookup(layer, name)
	if !ok {
		t.Fatalf("%s: no style %q for layer %s", file, name, layer)
	}
	return &s
}

// TestDemoGolden draws the demo's styled WMS layers with their SLD files:
// countries (fills by ISO code, labels with priorities) in Web Mercator and
// WGS 84, the département points over the départements in Lambert-93, and
// the DEM's colour ramp in Web Mercator. Run with -update to rewrite the
// images after a deliberate change to the styles or the renderer.
func TestDemoGolden(t *testing.T) {
	ctx := context.Background()
	src, err := store.Open(ctx, demoSources, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })

	countries := Layer{Source: src, Table: "countries", Style: demoStyle(t, "countries.sld", "countries", "")}
	departements := Layer{Source: src, Table: "departements", Style: demoStyle(t, "departements.sld", "departements", "")}
	points := Layer{Source: src, Table: "departement_points", Style: demoStyle(t, "departement_points.sld", "departement_points", "")}
	dem := Layer{Raster: demoDEM, Style: demoStyle(t, "dem.sld", "dem", "dem")}

	ocean := color.NRGBA{0xdb, 0xe9, 0xf4, 0xff}
	paper := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	r := New(Options{})
	for _, tc := range []struct {
		name   string
		crs    crs.CRS
		bbox   crs.Bounds
		w, h   int
		bg     color.NRGBA
		layers []Layer
	}{
		{"demo-countries-epsg3857", crs.WebMercator, crs.Bounds{MinX: -20037508, MinY: -15000000, MaxX: 20037508, MaxY: 18000000}, 640, 527, ocean, []Layer{countries}},
		{"demo-countries-epsg4326", crs.WGS84, crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}, 640, 320, ocean, []Layer{countries}},
		{"demo-points-epsg2154", crs.Lambert93, crs.Bounds{MinX: 50000, MinY: 6000000, MaxX: 1300000, MaxY: 7150000}, 540, 497, paper, []Layer{departements, points}},
		{"demo-dem-epsg3857", crs.WebMercator, crs.Bounds{MinX: 789250, MinY: 5766830, MaxX: 790840, MaxY: 5768430}, 300, 302, color.NRGBA{0xe8, 0xe8, 0xe8, 0xff}, []Layer{dem}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := r.Render(ctx, Request{
				CRS: tc.crs, BBox: tc.bbox, Width: tc.w, Height: tc.h,
				Background: tc.bg, Layers: tc.layers,
			})
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", tc.name+".png"), img)
		})
	}
}
