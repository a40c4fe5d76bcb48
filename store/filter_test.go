package store

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// testFeature shows a Feature read back from the store to filter.Evaluate,
// for brute-force answers computed without the store's query path.
type testFeature struct {
	f Feature
	l Layer
}

func (t testFeature) ID() string { return "x." + itoa(t.f.ID) }

func (t testFeature) Value(col string) (any, bool) {
	if col == t.l.IDColumn {
		return t.f.ID, true
	}
	for i, fd := range t.l.Fields {
		if fd.Name == col {
			return t.f.Properties[i], true
		}
	}
	return nil, false
}

func (t testFeature) Geometry(col string) orb.Geometry {
	if col != t.l.GeometryColumn {
		return nil
	}
	return ToOrb(t.f.Geometry)
}

func itoa(i int64) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int64) []byte {
	if i < 0 {
		return appendInt(append(b, '-'), -i)
	}
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// bruteForce evaluates f on every feature of the layer, in id order.
func bruteForce(t *testing.T, s *Store, layer string, f filter.Filter) []int64 {
	t.Helper()
	l, err := s.Layer(layer)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := filter.Transform(f, l.CRS, func(from crs.CRS, g orb.Geometry) (orb.Geometry, error) {
		return s.transform(from, l.CRS, g)
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, feat := range collect(t, s.Features(context.Background(), Query{Layer: layer})) {
		ok, err := filter.Evaluate(tf, l.Schema(), testFeature{feat, l})
		if err != nil {
			t.Fatalf("Evaluate on %d: %v", feat.ID, err)
		}
		if ok {
			out = append(out, feat.ID)
		}
	}
	return out
}

func polygon(pts ...float64) orb.Polygon {
	var r orb.Ring
	for i := 0; i+1 < len(pts); i += 2 {
		r = append(r, orb.Point{pts[i], pts[i+1]})
	}
	return orb.Polygon{r}
}

func TestFiltersMatchBruteForce(t *testing.T) {
	s, _ := randomStore(t, 1500)
	ctx := context.Background()
	tri := polygon(-100, -50, 120, -40, 0, 70, -100, -50)
	webMercatorBox := orb.Bound{Min: orb.Point{-5e6, -3e6}, Max: orb.Point{8e6, 6e6}}
	tests := map[string]filter.Filter{
		"equal":             filter.Compare{Op: filter.EqualTo, Property: "cat", Literal: "a", MatchCase: true},
		"equal folded":      filter.Compare{Op: filter.EqualTo, Property: "cat", Literal: "É", MatchCase: false},
		"not equal (NULLs)": filter.Compare{Op: filter.NotEqualTo, Property: "rank", Literal: "3"},
		"greater":           filter.Compare{Op: filter.GreaterThanOrEqualTo, Property: "app:rank", Literal: "2"},
		"less real":         filter.Compare{Op: filter.LessThan, Property: "score", Literal: "10.5"},
		"id property":       filter.Compare{Op: filter.LessThan, Property: "@id", Literal: "100"},
		"not":               filter.Not{Filter: filter.Compare{Op: filter.EqualTo, Property: "rank", Literal: "1"}},
		"like":              filter.Like{Property: "cat", Pattern: "%", WildCard: "%", SingleChar: "_", Escape: "\\", MatchCase: true},
		"like folded":       filter.Like{Property: "cat", Pattern: "é", WildCard: "*", SingleChar: ".", Escape: "!", MatchCase: false},
		"is null":           filter.IsNull{Property: "cat"},
		"between":           filter.Between{Property: "score", Lower: "5", Upper: "15"},
		"and":               filter.And{Filters: []filter.Filter{filter.IsNull{Property: "rank"}, filter.Compare{Op: filter.EqualTo, Property: "cat", Literal: "b", MatchCase: true}}},
		"or":                filter.Or{Filters: []filter.Filter{filter.IsNull{Property: "rank"}, filter.Compare{Op: filter.GreaterThan, Property: "score", Literal: "20"}}},
		"resource ids":      filter.ResourceID{IDs: []string{"random.5", "7", "nonsense", "random.999999", "1200"}},
		"bbox":              filter.Spatial{Op: filter.BBOX, Geometry: orb.Bound{Min: orb.Point{-30, -20}, Max: orb.Point{50, 40}}},
		"intersects":        filter.Spatial{Op: filter.Intersects, Property: "geom", Geometry: tri},
		"within":            filter.Spatial{Op: filter.Within, Geometry: tri},
		"disjoint":          filter.Spatial{Op: filter.Disjoint, Geometry: tri},
		"dwithin":           filter.Spatial{Op: filter.DWithin, Geometry: orb.Point{10, 10}, Distance: 15, Units: "deg"},
		"beyond":            filter.Spatial{Op: filter.Beyond, Geometry: orb.Point{10, 10}, Distance: 80, Units: "deg"},
		"not intersects":    filter.Not{Filter: filter.Spatial{Op: filter.Intersects, Geometry: tri}},
		"bbox in 3857":      filter.Spatial{Op: filter.BBOX, Geometry: webMercatorBox, CRS: crs.WebMercator},
		"spatial and attribute": filter.And{Filters: []filter.Filter{
			filter.Spatial{Op: filter.Intersects, Geometry: tri},
			filter.Compare{Op: filter.EqualTo, Property: "cat", Literal: "a", MatchCase: true},
		}},
		"spatial or attribute": filter.Or{Filters: []filter.Filter{
			filter.Spatial{Op: filter.Within, Geometry: tri},
			filter.IsNull{Property: "score"},
		}},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			want := bruteForce(t, s, "random", f)
			if len(want) == 0 && !strings.Contains(name, "resource") {
				t.Logf("filter matches nothing: a weak test")
			}
			q := Query{Layer: "random", Filter: f}
			got := ids(collect(t, s.Features(ctx, q)))
			if !slices.Equal(got, want) {
				t.Fatalf("store: %d features, brute force %d\n got %v\nwant %v", len(got), len(want), head(got), head(want))
			}
			n, err := s.Count(ctx, q)
			if err != nil || n != int64(len(want)) {
				t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
			}
			// The SQL alone must keep every match (superset), and decide
			// exactly when it says so.
			p, err := s.plan(q)
			if err != nil {
				t.Fatal(err)
			}
			exact := p.exact
			p.post = nil
			var candidates []int64
			if err := p.run(ctx, s.rdb, func(f Feature, _ error) bool { candidates = append(candidates, f.ID); return true }); err != nil {
				t.Fatal(err)
			}
			for _, id := range want {
				if _, ok := slices.BinarySearch(candidates, id); !ok {
					t.Fatalf("SQL dropped matching feature %d", id)
				}
			}
			if exact && !slices.Equal(candidates, want) {
				t.Fatalf("SQL claims exactness but selects %d rows for %d matches", len(candidates), len(want))
			}
			// Paging after the post-filter: disjoint pages adding up.
			var paged []int64
			for off := 0; ; off += 97 {
				q.Offset, q.Limit = off, 97
				page := ids(collect(t, s.Features(ctx, q)))
				paged = append(paged, page...)
				if len(page) < 97 {
					break
				}
			}
			if !slices.Equal(paged, want) {
				t.Fatalf("pages: %d ids, want %d", len(paged), len(want))
			}
		})
	}
}

// TestFilterCombinedWithQuery checks that BBox, IDs, filter and sort all
// apply together.
func TestFilterCombinedWithQuery(t *testing.T) {
	s, feats := randomStore(t, 800)
	ctx := context.Background()
	b := crs.Bounds{MinX: -100, MinY: -60, MaxX: 100, MaxY: 60}
	idList := []int64{}
	for i := int64(1); i <= 800; i += 3 {
		idList = append(idList, i)
	}
	f := filter.Spatial{Op: filter.Intersects, Geometry: polygon(-120, -80, 120, -80, 0, 80, -120, -80)}
	want := map[int64]bool{}
	for _, id := range bruteForce(t, s, "random", f) {
		want[id] = true
	}
	var expect []int64
	for _, feat := range feats {
		if feat.ID%3 == 1 && want[feat.ID] && feat.Geometry != nil && geometryEnvelope(feat.Geometry).intersects(b.MinX, b.MinY, b.MaxX, b.MaxY) {
			expect = append(expect, feat.ID)
		}
	}
	slices.Reverse(expect)
	got := ids(collect(t, s.Features(ctx, Query{Layer: "random", BBox: &b, IDs: idList, Filter: f, SortBy: []SortBy{{Desc: true}}})))
	if !slices.Equal(got, expect) {
		t.Fatalf("got %d, want %d\n%v\n%v", len(got), len(expect), head(got), head(expect))
	}
}

// TestFilterTransform queries a Lambert-93 layer with a filter in WGS84
// longitude/latitude: the literal is reprojected into the layer's CRS.
func TestFilterTransform(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	tr, err := crs.NewTransformer(crs.WGS84, crs.Lambert93)
	if err != nil {
		t.Fatal(err)
	}
	// A grid of points over France, each with its lon/lat.
	var feats []Feature
	type ll struct{ lon, lat float64 }
	where := map[int64]ll{}
	for lon := -4.0; lon <= 8; lon += 0.25 {
		for lat := 43.0; lat <= 50; lat += 0.25 {
			x, y, err := tr.Point(lon, lat)
			if err != nil {
				t.Fatal(err)
			}
			feats = append(feats, Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{x, y}), Properties: []any{}})
			where[int64(len(feats))] = ll{lon, lat}
		}
	}
	writeLayer(t, s, Layer{Name: "grid", GeometryType: "POINT", CRS: crs.Lambert93}, Create, feats)
	box := orb.Bound{Min: orb.Point{1.1, 45.1}, Max: orb.Point{3.6, 47.6}}
	for _, c := range []crs.CRS{crs.WGS84, crs.CRS84} {
		got := ids(collect(t, s.Features(ctx, Query{Layer: "grid", Filter: filter.Spatial{Op: filter.BBOX, Geometry: box, CRS: c}})))
		var want []int64
		for id := int64(1); id <= int64(len(feats)); id++ {
			p := where[id]
			if p.lon >= box.Min[0] && p.lon <= box.Max[0] && p.lat >= box.Min[1] && p.lat <= box.Max[1] {
				want = append(want, id)
			}
		}
		if !slices.Equal(got, want) || len(want) != 100 {
			t.Errorf("%s: %d points, want %d (100)", c, len(got), len(want))
		}
	}
	// A distance in kilometres on a metric CRS.
	paris := orb.Point{2.35, 48.85}
	got := collect(t, s.Features(ctx, Query{Layer: "grid", Filter: filter.Spatial{Op: filter.DWithin, Geometry: paris, CRS: crs.WGS84, Distance: 30, Units: "km"}}))
	px, py, _ := tr.Point(paris[0], paris[1])
	for _, f := range got {
		c := f.Geometry.FlatCoords()
		if d := math.Hypot(c[0]-px, c[1]-py); d > 30000 {
			t.Errorf("feature %d at %.0f m from Paris", f.ID, d)
		}
	}
	if len(got) == 0 {
		t.Error("no point within 30 km of Paris")
	}
}

// TestHostileFilters checks that bad filters fail with the filter
// package's errors, never SQL errors, and leave the data alone.
func TestHostileFilters(t *testing.T) {
	s, _ := randomStore(t, 50)
	ctx := context.Background()
	tests := map[string]struct {
		f    filter.Filter
		want error
	}{
		"unknown property":  {filter.Compare{Op: filter.EqualTo, Property: `cat" OR 1=1 --`, Literal: "a"}, filter.ErrUnknownProperty},
		"not a number":      {filter.Compare{Op: filter.EqualTo, Property: "rank", Literal: "1 OR 1=1"}, filter.ErrInvalid},
		"like on a number":  {filter.Like{Property: "rank", Pattern: "1*", WildCard: "*", SingleChar: ".", Escape: "!"}, filter.ErrInvalid},
		"unknown geometry":  {filter.Spatial{Op: filter.Intersects, Property: "nope", Geometry: orb.Point{0, 0}}, filter.ErrUnknownProperty},
		"spatial on a text": {filter.Spatial{Op: filter.Intersects, Property: "cat", Geometry: orb.Point{0, 0}}, filter.ErrInvalid},
		"unknown CRS":       {filter.Spatial{Op: filter.BBOX, Geometry: orb.Bound{Max: orb.Point{1, 1}}, CRS: crs.CRS{Authority: "EPSG", Code: "999999"}}, crs.ErrUnknownCRS},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := streamErr(s.Features(ctx, Query{Layer: "random", Filter: tt.f}))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(strings.ToLower(err.Error()), "sqlite") || strings.Contains(err.Error(), "syntax") {
				t.Errorf("SQL error leaked: %v", err)
			}
			if _, err := s.Count(ctx, Query{Layer: "random", Filter: tt.f}); !errors.Is(err, tt.want) {
				t.Errorf("Count: %v", err)
			}
		})
	}
	// An injection attempt in a literal is only a value.
	evil := `a'; DROP TABLE random; --`
	if n, err := s.Count(ctx, Query{Layer: "random", Filter: filter.Compare{Op: filter.EqualTo, Property: "cat", Literal: evil, MatchCase: true}}); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	// Deep nesting is refused, as the filter parser refuses it.
	var deep filter.Filter = filter.IsNull{Property: "cat"}
	for range 100000 {
		deep = filter.Not{Filter: deep}
	}
	if err := streamErr(s.Features(ctx, Query{Layer: "random", Filter: deep})); !errors.Is(err, filter.ErrInvalid) {
		t.Errorf("deep filter: %v", err)
	}
	// Filters past SQLite's limits (expression depth, bound variables)
	// are answered in Go, correctly.
	var wide []filter.Filter
	for i := range 3000 {
		wide = append(wide, filter.Compare{Op: filter.EqualTo, Property: "@id", Literal: itoa(int64(i * 3))})
	}
	ids45k := make([]string, 45000)
	for i := range ids45k {
		ids45k[i] = "random." + itoa(int64(i*2))
	}
	for name, f := range map[string]filter.Filter{"wide or": filter.Or{Filters: wide}, "45000 ids": filter.ResourceID{IDs: ids45k}} {
		want := bruteForce(t, s, "random", f)
		got := ids(collect(t, s.Features(ctx, Query{Layer: "random", Filter: f})))
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if n, err := s.Count(ctx, Query{Layer: "random"}); err != nil || n != 50 {
		t.Fatalf("Count = %d, %v", n, err)
	}
}
