package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// randomLayer is a fixture of mixed geometries with attributes that repeat
// (so sorts need the id tiebreaker) and NULLs.
var randomSpec = Layer{
	Name: "random", GeometryType: "GEOMETRY", CRS: crs.WGS84,
	Fields: []Field{
		{Name: "cat", Kind: filter.String, Nullable: true},
		{Name: "rank", Kind: filter.Integer, Nullable: true},
		{Name: "score", Kind: filter.Real, Nullable: true},
	},
}

func randomFeatures(n int, seed uint64) []Feature {
	r := rand.New(rand.NewPCG(seed, 1))
	coord := func() (float64, float64) { return r.Float64()*360 - 180, r.Float64()*180 - 90 }
	feats := make([]Feature, n)
	for i := range feats {
		x, y := coord()
		var g geom.T
		switch i % 5 {
		case 0, 1:
			g = geom.NewPointFlat(geom.XY, []float64{x, y})
		case 2:
			g = geom.NewLineStringFlat(geom.XY, []float64{x, y, x + r.Float64()*10, y + r.Float64()*5})
		case 3:
			w, h := r.Float64()*8, r.Float64()*8
			g = geom.NewPolygonFlat(geom.XY, []float64{x, y, x + w, y, x + w, y + h, x, y + h, x, y}, []int{10})
		case 4:
			if i%10 == 4 {
				g = nil // NULL geometry
			} else {
				g = geom.NewMultiPointFlat(geom.XY, []float64{x, y, x + 1, y - 1})
			}
		}
		var cat, rank, score any
		if i%7 != 0 {
			cat = []string{"b", "a", "c", "é"}[r.IntN(4)]
		}
		if i%11 != 0 {
			rank = int64(r.IntN(5))
		}
		if i%13 != 0 {
			score = float64(r.IntN(100)) / 4
		}
		feats[i] = Feature{Geometry: g, Properties: []any{cat, rank, score}}
	}
	return feats
}

// randomStore writes the random fixture and returns the features as the
// store numbered them.
func randomStore(t testing.TB, n int) (*Store, []Feature) {
	t.Helper()
	s, _ := newStore(t)
	feats := randomFeatures(n, 7)
	writeLayer(t, s, randomSpec, Create, feats)
	for i := range feats {
		feats[i].ID = int64(i + 1)
	}
	return s, feats
}

func envelopeHits(feats []Feature, b crs.Bounds) []int64 {
	var out []int64
	for _, f := range feats {
		if f.Geometry != nil && geometryEnvelope(f.Geometry).intersects(b.MinX, b.MinY, b.MaxX, b.MaxY) {
			out = append(out, f.ID)
		}
	}
	return out
}

func randomBoxes(n int) []crs.Bounds {
	r := rand.New(rand.NewPCG(3, 4))
	boxes := []crs.Bounds{
		{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90},
		{MinX: 0, MinY: 0, MaxX: 0, MaxY: 0}, // degenerate: a point
		{MinX: 500, MinY: 500, MaxX: 600, MaxY: 600},
	}
	for range n {
		x, y := r.Float64()*360-180, r.Float64()*180-90
		boxes = append(boxes, crs.Bounds{MinX: x, MinY: y, MaxX: x + r.Float64()*40, MaxY: y + r.Float64()*20})
	}
	return boxes
}

func TestBBoxMatchesBruteForce(t *testing.T) {
	s, feats := randomStore(t, 3000)
	ctx := context.Background()
	// Edges of features as boxes: the exact test must catch the points
	// the R-tree's float32 rounding would let through or drop.
	boxes := randomBoxes(40)
	for _, f := range feats[:20] {
		if f.Geometry != nil && !f.Geometry.Empty() {
			e := geometryEnvelope(f.Geometry)
			boxes = append(boxes, crs.Bounds{MinX: e.maxX, MinY: e.maxY, MaxX: e.maxX + 1, MaxY: e.maxY + 1},
				crs.Bounds{MinX: e.maxX + 1e-9, MinY: e.minY, MaxX: e.maxX + 1, MaxY: e.maxY})
		}
	}
	check := func(t *testing.T) {
		for _, b := range boxes {
			want := envelopeHits(feats, b)
			got := ids(collect(t, s.Features(ctx, Query{Layer: "random", BBox: &b})))
			if !slices.Equal(got, want) {
				t.Errorf("bbox %v: %d features, want %d\n got %v\nwant %v", b, len(got), len(want), head(got), head(want))
			}
			n, err := s.Count(ctx, Query{Layer: "random", BBox: &b})
			if err != nil || n != int64(len(want)) {
				t.Errorf("Count(bbox %v) = %d, %v; want %d", b, n, err, len(want))
			}
		}
	}
	t.Run("rtree", check)
	t.Run("no rtree", func(t *testing.T) {
		// A GeoPackage may lack the index (GDAL's SPATIAL_INDEX=NO).
		for _, q := range []string{`DROP TABLE rtree_random_geom`, `DELETE FROM gpkg_extensions WHERE table_name = 'random'`} {
			if _, err := s.wdb.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.layer("random"); l.rtree != "" {
			t.Fatal("R-tree still registered")
		}
		check(t)
	})
}

func head(v []int64) []int64 {
	if len(v) > 10 {
		return v[:10]
	}
	return v
}

// TestBBoxUsesRTree checks the query plan: the R-tree drives the search and
// the id order needs no sort.
func TestBBoxUsesRTree(t *testing.T) {
	s, _ := randomStore(t, 100)
	p, err := s.plan(Query{Layer: "random", BBox: &crs.Bounds{MinX: 0, MinY: 0, MaxX: 1, MaxY: 1}})
	if err != nil {
		t.Fatal(err)
	}
	q, args := p.query()
	rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "rtree_random_geom VIRTUAL TABLE INDEX 2:") || strings.Contains(all, "TEMP B-TREE") || strings.Contains(all, "SCAN random") {
		t.Errorf("query plan does not search the R-tree:\n%s", all)
	}
}

// sortKey orders like SQLite: NULL first, then values.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch a := a.(type) {
	case string:
		return strings.Compare(a, b.(string))
	case int64:
		return cmp.Compare(a, b.(int64))
	case float64:
		return cmp.Compare(a, b.(float64))
	}
	panic(fmt.Sprintf("compare %T", a))
}

func TestSortAndPaging(t *testing.T) {
	s, feats := randomStore(t, 500)
	ctx := context.Background()
	b := crs.Bounds{MinX: -90, MinY: -45, MaxX: 90, MaxY: 45}
	tests := []struct {
		name string
		sort []SortBy
		bbox *crs.Bounds
		ids  []int64
	}{
		{name: "default order"},
		{name: "cat", sort: []SortBy{{Property: "cat"}}},
		{name: "cat desc, rank", sort: []SortBy{{Property: "cat", Desc: true}, {Property: "ns:rank"}}},
		{name: "score desc in bbox", sort: []SortBy{{Property: "score", Desc: true}}, bbox: &b},
		{name: "id desc", sort: []SortBy{{Property: "@id", Desc: true}, {Property: "cat"}}},
		{name: "rank then id desc", sort: []SortBy{{Property: "rank"}, {Desc: true}}},
		{name: "ids", sort: []SortBy{{Property: "cat"}}, ids: []int64{400, 3, 77, 3, 9999, 250, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The expected order, computed in Go.
			var want []Feature
			idSet := map[int64]bool{}
			for _, id := range tt.ids {
				idSet[id] = true
			}
			for _, f := range feats {
				if tt.bbox != nil && (f.Geometry == nil || !geometryEnvelope(f.Geometry).intersects(b.MinX, b.MinY, b.MaxX, b.MaxY)) {
					continue
				}
				if tt.ids != nil && !idSet[f.ID] {
					continue
				}
				want = append(want, f)
			}
			slices.SortStableFunc(want, func(x, y Feature) int {
				for _, sb := range tt.sort {
					var c int
					switch name := sb.Property; {
					case name == "" || name == "@id":
						c = cmp.Compare(x.ID, y.ID)
					default:
						i := slices.IndexFunc(randomSpec.Fields, func(f Field) bool { return strings.HasSuffix(name, f.Name) })
						c = compareValues(x.Properties[i], y.Properties[i])
					}
					if sb.Desc {
						c = -c
					}
					if c != 0 {
						return c
					}
				}
				return cmp.Compare(x.ID, y.ID)
			})
			q := Query{Layer: "random", SortBy: tt.sort, BBox: tt.bbox, IDs: tt.ids}
			all := collect(t, s.Features(ctx, q))
			if !slices.Equal(ids(all), ids(want)) {
				t.Fatalf("order\n got %v\nwant %v", head(ids(all)), head(ids(want)))
			}
			n, err := s.Count(ctx, q)
			if err != nil || n != int64(len(want)) {
				t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
			}
			// Pages are disjoint and add up to Count.
			for _, size := range []int{1, 7, 50, 1000} {
				var paged []int64
				for off := 0; ; off += size {
					q.Offset, q.Limit = off, size
					page := collect(t, s.Features(ctx, q))
					if len(page) > size {
						t.Fatalf("page of %d > limit %d", len(page), size)
					}
					paged = append(paged, ids(page)...)
					if len(page) < size {
						break
					}
				}
				if !slices.Equal(paged, ids(want)) {
					t.Fatalf("pages of %d: %d ids, want %d", size, len(paged), len(want))
				}
			}
			q.Offset, q.Limit = len(want)+5, 0
			if rest := collect(t, s.Features(ctx, q)); len(rest) != 0 {
				t.Errorf("offset past the end: %d features", len(rest))
			}
		})
	}
}

func TestProperties(t *testing.T) {
	s, feats := randomStore(t, 20)
	ctx := context.Background()
	tests := []struct {
		props []string
		want  func(f Feature) []any
	}{
		{nil, func(f Feature) []any { return f.Properties }},
		{[]string{}, func(Feature) []any { return []any{} }},
		{[]string{"score", "cat"}, func(f Feature) []any { return []any{f.Properties[2], f.Properties[0]} }},
		{[]string{"app:rank", "rank"}, func(f Feature) []any { return []any{f.Properties[1], f.Properties[1]} }},
	}
	for _, tt := range tests {
		got := collect(t, s.Features(ctx, Query{Layer: "random", Properties: tt.props}))
		if len(got) != len(feats) {
			t.Fatalf("%v: %d features", tt.props, len(got))
		}
		for i, f := range got {
			if want := tt.want(feats[i]); !reflect.DeepEqual(f.Properties, want) {
				t.Errorf("%v: feature %d properties %v, want %v", tt.props, f.ID, f.Properties, want)
			}
			if (f.Geometry == nil) != (feats[i].Geometry == nil) {
				t.Errorf("%v: feature %d geometry %v", tt.props, f.ID, f.Geometry)
			}
		}
	}
}

// TestHostileQueries checks that names and values built to inject SQL are
// refused with the store's errors, never reaching SQLite.
func TestHostileQueries(t *testing.T) {
	s, _ := randomStore(t, 10)
	ctx := context.Background()
	hostile := []string{`cat" --`, `cat"; DROP TABLE random; --`, `"cat"`, "cat\x00", `1=1`, "CAT", "rank DESC", "random.cat", "", " cat"}
	for _, name := range hostile {
		for what, q := range map[string]Query{
			"sort":       {Layer: "random", SortBy: []SortBy{{Property: name}}},
			"properties": {Layer: "random", Properties: []string{name}},
		} {
			if name == "" && what == "sort" {
				continue // "" sorts by id
			}
			err := streamErr(s.Features(ctx, q))
			if !errors.Is(err, filter.ErrUnknownProperty) {
				t.Errorf("%s %q: %v", what, name, err)
			}
			if err != nil && strings.Contains(strings.ToLower(err.Error()), "sql") {
				t.Errorf("%s %q: error leaks SQL: %v", what, name, err)
			}
			if _, err := s.Count(ctx, q); what == "sort" && err != nil {
				t.Errorf("Count ignores SortBy, got %v", err)
			}
		}
	}
	for name, q := range map[string]Query{
		"sort by geometry":     {Layer: "random", SortBy: []SortBy{{Property: "geom"}}},
		"geometry as property": {Layer: "random", Properties: []string{"geom"}},
		"id as property":       {Layer: "random", Properties: []string{"@id"}},
		"negative limit":       {Layer: "random", Limit: -1},
		"negative offset":      {Layer: "random", Offset: -1},
		"NaN bbox":             {Layer: "random", BBox: &crs.Bounds{MinX: 0, MinY: 0, MaxX: 1, MaxY: nan()}},
		"inverted bbox":        {Layer: "random", BBox: &crs.Bounds{MinX: 1, MinY: 0, MaxX: 0, MaxY: 1}},
	} {
		err := streamErr(s.Features(ctx, q))
		if !errors.Is(err, filter.ErrInvalid) && !errors.Is(err, filter.ErrUnknownProperty) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The table survived.
	if n, err := s.Count(ctx, Query{Layer: "random"}); err != nil || n != 10 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	for _, layer := range []string{"nope", `random"`, "RANDOM"} {
		if err := streamErr(s.Features(ctx, Query{Layer: layer})); !errors.Is(err, ErrNotFound) {
			t.Errorf("Features(%q): %v", layer, err)
		}
		if _, err := s.Count(ctx, Query{Layer: layer}); !errors.Is(err, ErrNotFound) {
			t.Errorf("Count(%q): %v", layer, err)
		}
	}
	// Many ids go through one bound argument.
	many := make([]int64, 100000)
	for i := range many {
		many[i] = int64(i)
	}
	if n, err := s.Count(ctx, Query{Layer: "random", IDs: many}); err != nil || n != 10 {
		t.Errorf("Count(100000 ids) = %d, %v", n, err)
	}
}

func TestContextCancellation(t *testing.T) {
	s, _ := randomStore(t, 20000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var err error
	for _, e := range s.Features(ctx, Query{Layer: "random"}) {
		if e != nil {
			err = e
			break
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
	if n > 10+256 {
		t.Errorf("%d features after cancel", n-10)
	}
	// A cancelled context fails before any row.
	if err := streamErr(s.Features(ctx, Query{Layer: "random"})); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Features: %v", err)
	}
	if _, err := s.Count(ctx, Query{Layer: "random"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Count: %v", err)
	}
}

// TestEarlyBreakReleasesConnections stops iterating many more times than
// there are read connections: each stop must return its connection.
func TestEarlyBreakReleasesConnections(t *testing.T) {
	s, _ := randomStore(t, 100)
	ctx := context.Background()
	for range 50 {
		for range s.Features(ctx, Query{Layer: "random"}) {
			break
		}
	}
	if got := s.rdb.Stats().InUse; got != 0 {
		t.Fatalf("%d read connections still in use", got)
	}
}

// TestConcurrentReaders runs queries from many goroutines while a writer
// imports another layer; run with -race.
func TestConcurrentReaders(t *testing.T) {
	s, feats := randomStore(t, 2000)
	ctx := context.Background()
	boxes := randomBoxes(16)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	wg.Go(func() {
		w, err := s.Write(ctx, Layer{Name: "other", GeometryType: "POINT"}, Create)
		if err != nil {
			errs <- err
			return
		}
		for i := range 5000 {
			if err := w.Add(ctx, Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{float64(i), 0})}); err != nil {
				errs <- err
				w.Rollback()
				return
			}
		}
		if err := w.Commit(ctx); err != nil {
			errs <- err
		}
	})
	for g := range 16 {
		wg.Go(func() {
			for i := range 10 {
				b := boxes[(g+i)%len(boxes)]
				want := envelopeHits(feats, b)
				var got []int64
				for f, err := range s.Features(ctx, Query{Layer: "random", BBox: &b}) {
					if err != nil {
						errs <- err
						return
					}
					got = append(got, f.ID)
				}
				if !slices.Equal(got, want) {
					errs <- fmt.Errorf("goroutine %d bbox %v: %d features, want %d", g, b, len(got), len(want))
				}
				_ = s.Layers()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := s.Count(ctx, Query{Layer: "other"}); err != nil || n != 5000 {
		t.Errorf("Count(other) = %d, %v", n, err)
	}
}

func nan() float64 { return math.NaN() }

// Observe hears of every query with its table and rows.
func TestObserveQueries(t *testing.T) {
	var seen []QueryStats
	path := filepath.Join(t.TempDir(), "store.gpkg")
	s, err := Open(context.Background(), path, Options{Observe: func(q QueryStats) { seen = append(seen, q) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feats := []Feature{
		{Geometry: geom.NewPointFlat(geom.XYZ, []float64{1, 2, 3}), Properties: []any{"a", int64(1), 1.0, false, nil, nil, nil, "x"}},
		{Geometry: geom.NewPointFlat(geom.XYZ, []float64{4, 5, 6}), Properties: []any{"b", int64(2), 2.0, true, nil, nil, nil, "y"}},
	}
	writeLayer(t, s, allKinds, Create, feats)
	seen = nil
	if got := collect(t, s.Features(context.Background(), Query{Layer: allKinds.Name})); len(got) != 2 {
		t.Fatalf("%d features", len(got))
	}
	if n, err := s.Count(context.Background(), Query{Layer: allKinds.Name}); err != nil || n != 2 {
		t.Fatalf("count %d, %v", n, err)
	}
	_ = streamErr(s.Features(context.Background(), Query{Layer: "no_such_layer"}))
	if len(seen) != 2 || seen[0].Table != allKinds.Name || seen[0].Rows != 2 || seen[1].Rows != 2 || seen[0].Err != nil {
		t.Errorf("observed %+v", seen)
	}
}
