package mvt

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbmvt "github.com/paulmach/orb/encoding/mvt"
	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
	"github.com/tuiles/tuiles/tiling"
)

// fields covers every kind a store column can have.
var fields = []store.Field{
	{Name: "name", Kind: filter.String, Nullable: true},
	{Name: "pop", Kind: filter.Integer, Nullable: true},
	{Name: "area", Kind: filter.Real, Nullable: true},
	{Name: "capital", Kind: filter.Boolean, Nullable: true},
	{Name: "founded", Kind: filter.Date, Nullable: true},
	{Name: "updated", Kind: filter.DateTime, Nullable: true},
	{Name: "blob", Kind: filter.Binary, Nullable: true},
}

var (
	founded = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	updated = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
)

func props(name string, pop int64) []any {
	return []any{name, pop, 1.5, true, founded, updated, []byte{1, 2}}
}

// ring returns the closed ring through the corners of a rectangle,
// counter-clockwise in lon/lat when ccw, clockwise otherwise.
func ring(x0, y0, x1, y1 float64, ccw bool) []float64 {
	if ccw {
		return []float64{x0, y0, x1, y0, x1, y1, x0, y1, x0, y0}
	}
	return []float64{x0, y0, x0, y1, x1, y1, x1, y0, x0, y0}
}

// newFixture builds a store with tables polys, lines, points and mixed, in
// EPSG:4326, around France. Feature ids are 1, 2, … in order.
func newFixture(t testing.TB) *store.Store {
	t.Helper()
	s := openStore(t)
	outer := ring(0, 44, 4, 48, true)
	hole := ring(1.5, 45.5, 2.5, 46.5, true) // same winding as the exterior: the encoder must fix it
	write(t, s, "polys", "POLYGON", []store.Feature{
		{Geometry: geom.NewPolygonFlat(geom.XY, append(outer, hole...), []int{len(outer), len(outer) + len(hole)}), Properties: props("holed", 10)},
		{Geometry: geom.NewPolygonFlat(geom.XY, ring(6, 44, 8, 46, false), []int{10}), Properties: props("clockwise", 20)},
	})
	write(t, s, "lines", "LINESTRING", []store.Feature{
		{Geometry: geom.NewLineStringFlat(geom.XY, []float64{-40, 47, 40, 47}), Properties: props("long", 0)},
	})
	write(t, s, "points", "POINT", []store.Feature{
		{Geometry: geom.NewPointFlat(geom.XY, []float64{2.35, 48.85}), Properties: props("Paris", 2100000)},
		{Geometry: geom.NewPointFlat(geom.XY, []float64{3, 46.5}), Properties: []any{"origin", nil, nil, nil, nil, nil, nil}},
		{Geometry: geom.NewPointFlat(geom.XY, []float64{5.37, 43.3}), Properties: props("Marseille", 870000)},
	})
	coll := geom.NewGeometryCollection()
	if err := coll.Push(
		geom.NewPointFlat(geom.XY, []float64{1, 47}),
		geom.NewPolygonFlat(geom.XY, ring(1, 46, 2, 47, true), []int{10}),
	); err != nil {
		t.Fatal(err)
	}
	write(t, s, "mixed", "GEOMETRYCOLLECTION", []store.Feature{{Geometry: coll, Properties: props("both", 1)}})
	return s
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fixture.gpkg"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func write(t testing.TB, s *store.Store, name, typ string, feats []store.Feature) {
	t.Helper()
	ctx := context.Background()
	w, err := s.Write(ctx, store.Layer{Name: name, Description: name + " of the fixture", GeometryType: typ, CRS: crs.WGS84, Fields: fields}, store.Create)
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

// mercator is spherical Web Mercator written out, independent of PROJ.
func mercator(lon, lat float64) (float64, float64) {
	const r = 6378137
	return r * lon * math.Pi / 180, r * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

// tileOf returns the tile of matrix set tms at level z that holds x,y (in
// the set's CRS), with its bounds.
func tileOf(t testing.TB, tms string, z int, x, y float64) (col, row int, b crs.Bounds) {
	t.Helper()
	set, err := tiling.Builtin(tms)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := set.Level(z)
	if !ok {
		t.Fatalf("%s has no level %d", tms, z)
	}
	col = int(math.Floor((x - m.OriginX) / m.TileSpanX()))
	row = int(math.Floor((m.OriginY - y) / m.TileSpanY()))
	if m.Corner != tiling.TopLeft {
		t.Fatalf("%s: origin is not top-left", tms)
	}
	b = m.TileBounds(col, row)
	if x < b.MinX || x > b.MaxX || y < b.MinY || y > b.MaxY {
		t.Fatalf("tile %d/%d/%d %s does not hold %g,%g", z, col, row, b, x, y)
	}
	return col, row, b
}

// tilePixel maps x,y of bbox b to tile units of extent e, top-left origin.
func tilePixel(b crs.Bounds, e int, x, y float64) orb.Point {
	return orb.Point{(x - b.MinX) / b.Width() * float64(e), (b.MaxY - y) / b.Height() * float64(e)}
}

func decode(t testing.TB, data []byte) map[string]*orbmvt.Layer {
	t.Helper()
	layers, err := orbmvt.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]*orbmvt.Layer, len(layers))
	for _, l := range layers {
		if _, dup := m[l.Name]; dup {
			t.Fatalf("layer %q twice", l.Name)
		}
		m[l.Name] = l
	}
	return m
}

func layerNames(m map[string]*orbmvt.Layer) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	return names
}
