package store

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

const benchPoints = 100_000

// benchStore writes benchPoints points spread over the world, with a name
// and a number each, through the store's own writer.
func benchStore(b *testing.B) *Store {
	b.Helper()
	s, _ := newStore(b)
	ctx := context.Background()
	w, err := s.Write(ctx, Layer{Name: "points", GeometryType: "POINT", CRS: crs.WGS84, Fields: []Field{
		{Name: "name", Kind: filter.String, Nullable: true},
		{Name: "value", Kind: filter.Real, Nullable: true},
	}}, Create)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range benchPoints {
		p := geom.NewPointFlat(geom.XY, []float64{r.Float64()*360 - 180, r.Float64()*180 - 90})
		if err := w.Add(ctx, Feature{Geometry: p, Properties: []any{"point", float64(i)}}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkFeaturesAll streams a whole 100 000-point layer: the store's
// share of a whole-layer WFS GetFeature.
func BenchmarkFeaturesAll(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, err := range s.Features(ctx, Query{Layer: "points"}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	if n != benchPoints*b.N {
		b.Fatalf("streamed %d features, want %d", n, benchPoints*b.N)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "features/s")
}

// BenchmarkBBoxQuery runs small random bbox queries (about 100 features
// each) through the R-tree.
func BenchmarkBBoxQuery(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		// 6°×6°: 36/64800 of the world, about 55 of 100 000 points.
		x, y := r.Float64()*350-180, r.Float64()*170-90
		box := crs.Bounds{MinX: x, MinY: y, MaxX: x + 6, MaxY: y + 6}
		for _, err := range s.Features(ctx, Query{Layer: "points", BBox: &box}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "features/query")
}
