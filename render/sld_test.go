package render

import (
	"context"
	"image/color"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/styles"
)

// TestSLD renders styles as the styles package parses them, defaults
// included.
func TestSLD(t *testing.T) {
	sld, err := styles.ParseFile("testdata/points.sld")
	if err != nil {
		t.Fatal(err)
	}
	places, ok := sld.Lookup("points", "")
	if !ok {
		t.Fatal("no style for points")
	}
	zones, ok := sld.Lookup("polys", "zones")
	if !ok {
		t.Fatal("no style zones for polys")
	}
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WebMercator)
	img, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WebMercator, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "polys", Style: &zones}, {Source: s, Table: "points", Style: &places}},
	})
	if err != nil {
		t.Fatal(err)
	}
	px := func(lon, lat float64) (int, int) {
		p := expectedPixel(t, crs.WebMercator, b, w, h, lon, lat)
		return p.X, p.Y
	}
	for _, tc := range []struct {
		name     string
		lon, lat float64
		want     color.NRGBA
	}{
		{"Paris is a city", 2.35, 48.85, red},
		{"Nantes falls to the else rule", -1.55, 47.22, blue},
		{"zone", 0.75, 46, green},
		{"hole", 2, 46, none},
	} {
		x, y := px(tc.lon, tc.lat)
		if got := img.NRGBAAt(x, y); !near(got, tc.want, 8) {
			t.Errorf("%s: pixel %d,%d = %v, want %v", tc.name, x, y, got, tc.want)
		}
	}
}
