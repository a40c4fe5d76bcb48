package render

import (
	"context"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
	"github.com/tuiles/tuiles/styles"
)

var (
	red   = color.NRGBA{0xff, 0, 0, 0xff}
	green = color.NRGBA{0, 0xc0, 0, 0xff}
	blue  = color.NRGBA{0, 0, 0xff, 0xff}
	black = color.NRGBA{0, 0, 0, 0xff}
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	none  = color.NRGBA{}
)

// testBBox4326 is the view of the fixture in EPSG:4326 (300×200 px).
var testBBox4326 = crs.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51}

var fields = []store.Field{{Name: "kind", Kind: filter.String}, {Name: "pop", Kind: filter.Integer}}

func square(x0, y0, x1, y1 float64) []float64 {
	return []float64{x0, y0, x1, y0, x1, y1, x0, y1, x0, y0}
}

// newFixture builds a store with layers polys, lines, points and marks, all
// in EPSG:4326.
func newFixture(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "fixture.gpkg"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	outer := square(0, 44, 4, 48)
	hole := []float64{1.5, 45.5, 1.5, 46.5, 2.5, 46.5, 2.5, 45.5, 1.5, 45.5}
	withHole := geom.NewPolygonFlat(geom.XY, append(outer, hole...), []int{len(outer), len(outer) + len(hole)})
	write(t, s, "polys", "POLYGON", []store.Feature{
		{Geometry: withHole, Properties: []any{"a", int64(10)}},
		{Geometry: geom.NewPolygonFlat(geom.XY, square(6, 44, 8, 46), []int{10}), Properties: []any{"b", int64(20)}},
	})
	write(t, s, "lines", "LINESTRING", []store.Feature{
		{Geometry: geom.NewLineStringFlat(geom.XY, []float64{-4, 42, 9, 42}), Properties: []any{"road", int64(0)}},
		{Geometry: geom.NewLineStringFlat(geom.XY, []float64{-4, 43, 1, 43.5, 9, 43}), Properties: []any{"path", int64(0)}},
	})
	write(t, s, "points", "POINT", []store.Feature{
		{Geometry: geom.NewPointFlat(geom.XY, []float64{2.35, 48.85}), Properties: []any{"city", int64(2100000)}},
		{Geometry: geom.NewPointFlat(geom.XY, []float64{-1.55, 47.22}), Properties: []any{"town", int64(300000)}},
		{Geometry: geom.NewPointFlat(geom.XY, []float64{5.37, 43.3}), Properties: []any{"city", int64(870000)}},
	})
	var marks []store.Feature
	for i, name := range markNames {
		marks = append(marks, store.Feature{
			Geometry:   geom.NewPointFlat(geom.XY, []float64{-3.5 + 2*float64(i), 50}),
			Properties: []any{name, int64(i)},
		})
	}
	write(t, s, "marks", "POINT", marks)
	return s
}

var markNames = []string{"circle", "square", "triangle", "star", "cross", "x"}

func write(t testing.TB, s *store.Store, name, typ string, feats []store.Feature) {
	t.Helper()
	ctx := context.Background()
	w, err := s.Write(ctx, store.Layer{Name: name, GeometryType: typ, CRS: crs.WGS84, Fields: fields}, store.Create)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	for _, f := range feats {
		if err := w.Add(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// style builds a one-feature-type-style style.
func style(rules ...styles.Rule) *styles.Style {
	return &styles.Style{FeatureTypeStyles: []styles.FeatureTypeStyle{{Rules: rules}}}
}

func fill(c color.NRGBA) *styles.Fill { return &styles.Fill{Color: c, Opacity: 1} }

func stroke(c color.NRGBA, w float64) *styles.Stroke {
	return &styles.Stroke{Color: c, Width: w, Opacity: 1, LineCap: "butt", LineJoin: "round"}
}

func polyRule(c color.NRGBA) styles.Rule {
	return styles.Rule{Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{Fill: fill(c)}}}
}

func markRule(name string, c color.NRGBA, size float64) styles.Rule {
	return styles.Rule{Symbolizers: []styles.Symbolizer{styles.PointSymbolizer{Graphic: styles.Graphic{
		Marks:   []styles.Mark{{WellKnownName: name, Fill: fill(c)}},
		Size:    size,
		Opacity: 1,
	}}}}
}

func kindIs(v string) filter.Filter {
	return filter.Compare{Op: filter.EqualTo, Property: "kind", Literal: v, MatchCase: true}
}

// viewOf returns the fixture view in c and an image size with its aspect
// ratio, 300 px wide.
func viewOf(t testing.TB, c crs.CRS) (crs.Bounds, int, int) {
	t.Helper()
	if c == crs.WGS84 {
		return testBBox4326, 300, 200
	}
	tr, err := crs.NewTransformer(crs.WGS84, c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Bounds(testBBox4326)
	if err != nil {
		t.Fatal(err)
	}
	return b, 300, int(math.Round(300 * b.Height() / b.Width()))
}

// expectedPixel computes independently where lon/lat lands in an image of
// bbox b (in c) and size w×h.
func expectedPixel(t testing.TB, c crs.CRS, b crs.Bounds, w, h int, lon, lat float64) image.Point {
	t.Helper()
	x, y := lon, lat
	if c != crs.WGS84 {
		tr, err := crs.NewTransformer(crs.WGS84, c)
		if err != nil {
			t.Fatal(err)
		}
		if x, y, err = tr.Point(lon, lat); err != nil {
			t.Fatal(err)
		}
	}
	px := (x - b.MinX) / (b.Width() / float64(w))
	py := (b.MaxY - y) / (b.Height() / float64(h))
	return image.Pt(int(math.Floor(px)), int(math.Floor(py)))
}

func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return math.Abs(float64(x)-float64(y)) <= float64(tol) }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func checkPixel(t *testing.T, img *image.NRGBA, p image.Point, want color.NRGBA, what string) {
	t.Helper()
	got := img.NRGBAAt(p.X, p.Y)
	if !near(got, want, 8) {
		t.Errorf("%s: pixel %v = %v, want %v", what, p, got, want)
	}
}
