package render

import (
	"context"
	"image/color"
	"math"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

// BenchmarkRender256 draws 400 hexagons (stored in EPSG:4326) into a
// 256×256 EPSG:3857 image.
func BenchmarkRender256(b *testing.B) {
	s := newFixture(b)
	var feats []store.Feature
	for i := range 20 {
		for j := range 20 {
			cx, cy := -4.5+0.7*float64(i), 41.5+0.45*float64(j)
			var flat []float64
			for k := range 7 {
				a := float64(k%6) * math.Pi / 3
				flat = append(flat, cx+0.3*math.Cos(a), cy+0.2*math.Sin(a))
			}
			feats = append(feats, store.Feature{Geometry: geom.NewPolygonFlat(geom.XY, flat, []int{len(flat)}), Properties: []any{"hex", int64(i*20 + j)}})
		}
	}
	write(b, s, "hexes", "POLYGON", feats)
	tr, err := crs.NewTransformer(crs.WGS84, crs.WebMercator)
	if err != nil {
		b.Fatal(err)
	}
	bbox, err := tr.Bounds(crs.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51})
	if err != nil {
		b.Fatal(err)
	}
	st := style(styles.Rule{Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{
		Fill: fill(color.NRGBA{0x40, 0x80, 0xff, 0xff}), Stroke: stroke(black, 1),
	}}})
	r := New(Options{})
	req := Request{CRS: crs.WebMercator, BBox: bbox, Width: 256, Height: 256, Transparent: true,
		Layers: []Layer{{Source: s, Table: "hexes", Style: st}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
