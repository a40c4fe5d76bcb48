package render

import (
	"context"
	"errors"
	"image/color"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/styles"
)

// hitKinds runs FeatureInfo at the pixel where lon/lat lands and returns
// the "kind" property of each hit, topmost first.
func hitKinds(t *testing.T, r *Renderer, c crs.CRS, layers []Layer, lon, lat, tol float64, per int) []string {
	t.Helper()
	b, w, h := viewOf(t, c)
	p := expectedPixel(t, c, b, w, h, lon, lat)
	hits, err := r.FeatureInfo(context.Background(), InfoRequest{
		Map: Request{CRS: c, BBox: b, Width: w, Height: h, Layers: layers},
		X:   p.X, Y: p.Y, Tolerance: tol, MaxPerLayer: per,
	})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, h := range hits {
		if h.Bands != nil {
			kinds = append(kinds, "raster")
			continue
		}
		kinds = append(kinds, h.Feature.Properties[0].(string))
	}
	return kinds
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFeatureInfo(t *testing.T) {
	s := newFixture(t)
	r := New(Options{})
	polys := Layer{Source: s, Table: "polys", Style: style(polyRule(red))}
	outline := Layer{Source: s, Table: "polys", Style: style(styles.Rule{Symbolizers: []styles.Symbolizer{
		styles.PolygonSymbolizer{Stroke: stroke(black, 4)}}})}
	onlyB := Layer{Source: s, Table: "polys", Style: style(
		styles.Rule{Filter: kindIs("b"), Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{Fill: fill(blue)}}})}
	lines := Layer{Source: s, Table: "lines", Style: style(styles.Rule{Symbolizers: []styles.Symbolizer{
		styles.LineSymbolizer{Stroke: *stroke(black, 6)}}})}
	marks := Layer{Source: s, Table: "points", Style: style(markRule("circle", green, 20))}
	// A rule drawn only at scales larger than 1:1000 (never here).
	closeUp := Layer{Source: s, Table: "polys", Style: style(styles.Rule{MaxScale: 1000,
		Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{Fill: fill(red)}}})}

	for _, c := range []crs.CRS{crs.WGS84, crs.WebMercator, crs.Lambert93} {
		t.Run(c.String(), func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				layers   []Layer
				lon, lat float64
				tol      float64
				per      int
				want     []string
			}{
				{"inside polygon", []Layer{polys}, 1, 47, 0, 1, []string{"a"}},
				{"in the hole", []Layer{polys}, 2, 46, 0, 1, nil},
				{"outside", []Layer{polys}, 5, 47, 0, 1, nil},
				{"unfilled polygon inside", []Layer{outline}, 1, 47, 0, 1, nil},
				{"unfilled polygon on its outline", []Layer{outline}, 4, 47, 0, 1, []string{"a"}},
				{"filtered out by the rule", []Layer{onlyB}, 1, 47, 0, 1, nil},
				{"kept by the rule", []Layer{onlyB}, 7, 45, 0, 1, []string{"b"}},
				{"outside the scale range", []Layer{closeUp}, 1, 47, 0, 1, nil},
				{"on a wide line", []Layer{lines}, 3, 42, 0, 1, []string{"road"}},
				{"beside a line", []Layer{lines}, 3, 42.45, 0, 1, nil},
				{"beside a line, with tolerance", []Layer{lines}, 3, 42.45, 10, 1, []string{"road"}},
				{"on a mark", []Layer{marks}, 2.4, 48.9, 0, 1, []string{"city"}},
				{"layers topmost first", []Layer{lines, marks}, 5.37, 43.3, 0, 1, []string{"city", "path"}},
				{"a covered pixel before a later neighbour in reach", []Layer{polys}, 3.9, 45, 60, 1, []string{"a"}},
				{"then the neighbour", []Layer{polys}, 3.9, 45, 60, 2, []string{"a", "b"}},
				{"feature count per layer", []Layer{lines}, -3, 42.5, 30, 5, []string{"path", "road"}},
			} {
				if c == crs.Lambert93 && tc.layers[0].Table == "lines" {
					// The fixture's lines follow parallels only in
					// cylindrical projections; in Lambert-93 the drawn
					// chord leaves the parallel the probe is placed on.
					continue
				}
				if got := hitKinds(t, r, c, tc.layers, tc.lon, tc.lat, tc.tol, tc.per); !equalStrings(got, tc.want) {
					t.Errorf("%s: hits %v, want %v", tc.name, got, tc.want)
				}
			}
		})
	}
}

func TestFeatureInfoRaster(t *testing.T) {
	path := makeRaster(t)
	r := New(Options{})
	ramp := rasterStyle(styles.RasterSymbolizer{Opacity: 1, ColorMap: &styles.ColorMap{Type: styles.ColorMapRamp,
		Entries: []styles.ColorMapEntry{{Color: black, Opacity: 1, Quantity: 0}, {Color: color.NRGBA{0xff, 0xff, 0xff, 0xff}, Opacity: 1, Quantity: 90}}}})
	req := Request{CRS: crs.WGS84, BBox: crs.Bounds{MinX: 0, MinY: 40, MaxX: 10, MaxY: 50}, Width: 100, Height: 100,
		Layers: []Layer{{Raster: path, Style: ramp}}}
	// Column 3 of the grid (x 3..4) holds 30; its top row is nodata.
	hits, err := r.FeatureInfo(context.Background(), InfoRequest{Map: req, X: 35, Y: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || len(hits[0].Bands) != 1 || hits[0].Bands[0] != 30 {
		t.Fatalf("hits %+v, want one band value 30", hits)
	}
	hits, err = r.FeatureInfo(context.Background(), InfoRequest{Map: req, X: 35, Y: 5})
	if err != nil || len(hits) != 0 {
		t.Fatalf("nodata pixel: hits %+v, err %v; want none", hits, err)
	}
}

func TestFeatureInfoErrors(t *testing.T) {
	s := newFixture(t)
	r := New(Options{})
	req := Request{CRS: crs.WGS84, BBox: testBBox4326, Width: 300, Height: 200,
		Layers: []Layer{{Source: s, Table: "polys"}}}
	if _, err := r.FeatureInfo(context.Background(), InfoRequest{Map: req, X: 300, Y: 0}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("pixel outside: err %v, want ErrInvalidRequest", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.FeatureInfo(ctx, InfoRequest{Map: req, X: 10, Y: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v, want context.Canceled", err)
	}
}

// A Web Mercator view reaching past 180° on one side only still draws
// (the store query covers every longitude) instead of failing.
func TestRenderAcrossAntimeridian(t *testing.T) {
	s := newFixture(t)
	req := Request{CRS: crs.WebMercator, BBox: crs.Bounds{MinX: -19636845.7, MinY: -822590.0, MaxX: -10017467.9, MaxY: 8796787.8},
		Width: 256, Height: 256, Layers: []Layer{{Source: s, Table: "polys"}}}
	if _, err := New(Options{}).Render(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}
