package wfs

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// fakeSource is an in-memory store.Source. It applies what a test of the
// WFS layer needs and nothing fancy: identifiers (Query.IDs and
// filter.ResourceID), BBOX filters in the layer's CRS, NOT NULL (as
// GetPropertyValue asks), sorting, paging and projection. Other filters
// are ignored: their evaluation is the store's business, tested there.
type fakeSource struct {
	layers   []store.Layer
	features map[string][]store.Feature
	// failAfter makes Features fail after that many features (-1: never).
	failAfter int
	// block makes Count and Features wait for the context to end.
	block bool
	// last records the last query, for tests that check what was asked.
	last store.Query
}

func (s *fakeSource) Layers() []store.Layer { return s.layers }

func (s *fakeSource) Layer(name string) (store.Layer, error) {
	for _, l := range s.layers {
		if l.Name == name {
			return l, nil
		}
	}
	return store.Layer{}, fmt.Errorf("layer %q: %w", name, store.ErrNotFound)
}

func (s *fakeSource) Count(ctx context.Context, q store.Query) (int64, error) {
	s.last = q
	if s.block {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	all, err := s.match(q)
	return int64(len(all)), err
}

func (s *fakeSource) Features(ctx context.Context, q store.Query) iter.Seq2[store.Feature, error] {
	s.last = q
	return func(yield func(store.Feature, error) bool) {
		if s.block {
			<-ctx.Done()
			yield(store.Feature{}, ctx.Err())
			return
		}
		all, err := s.match(q)
		if err != nil {
			yield(store.Feature{}, err)
			return
		}
		all = all[min(q.Offset, len(all)):]
		if q.Limit > 0 {
			all = all[:min(q.Limit, len(all))]
		}
		l, _ := s.Layer(q.Layer)
		for i, f := range all {
			if s.failAfter >= 0 && i >= s.failAfter {
				yield(store.Feature{}, errors.New("disk on fire"))
				return
			}
			if q.Properties != nil {
				props := make([]any, len(q.Properties))
				for j, p := range q.Properties {
					props[j] = f.Properties[fieldIndex(l, p)]
				}
				f.Properties = props
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

func fieldIndex(l store.Layer, name string) int {
	for i, f := range l.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// match returns the features of q in order, before paging.
func (s *fakeSource) match(q store.Query) ([]store.Feature, error) {
	l, err := s.Layer(q.Layer)
	if err != nil {
		return nil, err
	}
	for _, p := range q.Properties {
		if fieldIndex(l, p) < 0 {
			return nil, fmt.Errorf("%w: %s", filter.ErrUnknownProperty, p)
		}
	}
	var out []store.Feature
	for _, f := range s.features[q.Layer] {
		if len(q.IDs) > 0 && !slices.Contains(q.IDs, f.ID) {
			continue
		}
		if q.Filter != nil && !fakeEval(l, q.Filter, f) {
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b store.Feature) int {
		for _, k := range q.SortBy {
			var c int
			if k.Property == "" {
				c = cmp.Compare(a.ID, b.ID)
			} else {
				i := fieldIndex(l, k.Property)
				c = compareAny(a.Properties[i], b.Properties[i])
			}
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out, nil
}

func compareAny(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	case int64:
		y, _ := b.(int64)
		return cmp.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		return cmp.Compare(x, y)
	}
	if a == nil && b != nil {
		return -1
	}
	if a != nil && b == nil {
		return 1
	}
	return 0
}

// fakeEval evaluates the few filters the fake knows; others are true.
func fakeEval(l store.Layer, f filter.Filter, feat store.Feature) bool {
	switch n := f.(type) {
	case filter.And:
		for _, c := range n.Filters {
			if !fakeEval(l, c, feat) {
				return false
			}
		}
		return true
	case filter.Not:
		return !fakeEval(l, n.Filter, feat)
	case filter.IsNull:
		switch n.Property {
		case filter.IDProperty, l.IDColumn:
			return false
		case l.GeometryColumn:
			return feat.Geometry == nil
		}
		return feat.Properties[fieldIndex(l, n.Property)] == nil
	case filter.ResourceID:
		for _, id := range n.IDs {
			if i := strings.LastIndexByte(id, '.'); i >= 0 {
				id = id[i+1:]
			}
			if id == strconv.FormatInt(feat.ID, 10) {
				return true
			}
		}
		return false
	case filter.Spatial:
		if feat.Geometry == nil {
			return false
		}
		if n.Op != filter.BBOX {
			return true
		}
		b := n.Geometry.Bound()
		gb := feat.Geometry.Bounds()
		return gb.Min(0) <= b.Max[0] && gb.Max(0) >= b.Min[0] && gb.Min(1) <= b.Max[1] && gb.Max(1) >= b.Min[1]
	}
	return true
}

// Layers of the fixture: every geometry type, Z, NULLs, all attribute
// kinds, and a layer in a projected CRS.
func fixtureSource() *fakeSource {
	wgs84 := crs.WGS84
	countryFields := []store.Field{
		{Name: "name", Kind: filter.String},
		{Name: "pop", Kind: filter.Integer, Nullable: true},
		{Name: "area", Kind: filter.Real, Nullable: true},
		{Name: "member", Kind: filter.Boolean, Nullable: true},
		{Name: "founded", Kind: filter.Date, Nullable: true},
		{Name: "updated", Kind: filter.DateTime, Nullable: true},
		{Name: "flag", Kind: filter.Binary, Nullable: true},
		// Not an XML name: left out of GML and GeoJSON.
		{Name: "bad name", Kind: filter.String, Nullable: true},
	}
	s := &fakeSource{failAfter: -1, features: map[string][]store.Feature{}}
	s.layers = []store.Layer{
		{Name: "countries", Title: "Countries", IDColumn: "fid", GeometryColumn: "geom", GeometryType: "MULTIPOLYGON",
			Layout: geom.XY, CRS: wgs84, SRSID: 4326, Fields: countryFields, Extent: crs.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51}},
		{Name: "cities", IDColumn: "fid", GeometryColumn: "geom", GeometryType: "POINT", Layout: geom.XYZ, CRS: wgs84, SRSID: 4326,
			Fields: []store.Field{{Name: "name", Kind: filter.String}, {Name: "pop", Kind: filter.Integer, Nullable: true}},
			Extent: crs.Bounds{MinX: 2.35, MinY: 43.6, MaxX: 5.37, MaxY: 48.85}},
		{Name: "roads", IDColumn: "fid", GeometryColumn: "geom", GeometryType: "LINESTRING", Layout: geom.XY, CRS: crs.Lambert93, SRSID: 2154,
			Fields: []store.Field{{Name: "ref", Kind: filter.String, Nullable: true}},
			Extent: crs.Bounds{MinX: 600000, MinY: 6800000, MaxX: 700000, MaxY: 6900000}},
		{Name: "misc", IDColumn: "fid", GeometryColumn: "geom", GeometryType: "GEOMETRY", Layout: geom.XYZM, CRS: wgs84, SRSID: 4326,
			Fields: []store.Field{{Name: "kind", Kind: filter.String}}},
		// Configured but absent from the store.
	}
	date := time.Date(1958, 10, 4, 0, 0, 0, 0, time.UTC)
	square := func(x, y float64) *geom.MultiPolygon {
		return geom.NewMultiPolygon(geom.XY).MustSetCoords([][][]geom.Coord{{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}})
	}
	s.features["countries"] = []store.Feature{
		{ID: 1, Geometry: square(2, 46), Properties: []any{"France", int64(68000000), 551695.5, true, date, date.Add(time.Hour), []byte("bleu"), "x"}},
		{ID: 2, Geometry: square(-4, 40), Properties: []any{"España <&> \"Ñ\"", int64(48000000), nil, true, nil, nil, nil, nil}},
		{ID: 3, Geometry: nil, Properties: []any{"Nowhere", nil, nil, nil, nil, nil, nil, nil}},
		{ID: 4, Geometry: square(6, 49), Properties: []any{"Luxembourg", int64(660000), 2586.4, false, nil, nil, nil, nil}},
		{ID: 5, Geometry: square(9, 47), Properties: []any{"Switzerland\x01", int64(8800000), 41285.0, false, nil, nil, nil, nil}},
	}
	s.features["cities"] = []store.Feature{
		{ID: 10, Geometry: geom.NewPoint(geom.XYZ).MustSetCoords(geom.Coord{2.35, 48.85, 35}), Properties: []any{"Paris", int64(2100000)}},
		{ID: 11, Geometry: geom.NewPoint(geom.XYZ).MustSetCoords(geom.Coord{5.37, 43.3, 12}), Properties: []any{"Marseille", nil}},
		{ID: 12, Geometry: geom.NewPoint(geom.XYZ).MustSetCoords(geom.Coord{1.44, 43.6, 146}), Properties: []any{"Toulouse", int64(500000)}},
	}
	s.features["roads"] = []store.Feature{
		{ID: 7, Geometry: geom.NewLineString(geom.XY).MustSetCoords([]geom.Coord{{652000, 6862000}, {653000, 6863000}}), Properties: []any{"A1"}},
	}
	withHole := geom.NewPolygon(geom.XYZM).MustSetCoords([][]geom.Coord{
		{{0, 0, 1, 9}, {10, 0, 1, 9}, {10, 10, 1, 9}, {0, 10, 1, 9}, {0, 0, 1, 9}},
		{{2, 2, 1, 9}, {3, 2, 1, 9}, {3, 3, 1, 9}, {2, 2, 1, 9}},
	})
	s.features["misc"] = []store.Feature{
		{ID: 1, Geometry: withHole, Properties: []any{"polygon with hole"}},
		{ID: 2, Geometry: geom.NewMultiPoint(geom.XYZM).MustSetCoords([]geom.Coord{{1, 2, 3, 4}, {5, 6, 7, 8}}), Properties: []any{"multipoint"}},
		{ID: 3, Geometry: geom.NewMultiLineString(geom.XYZM).MustSetCoords([][]geom.Coord{{{1, 2, 3, 4}, {5, 6, 7, 8}}, {{0, 0, 0, 0}, {1, 1, 1, 1}}}), Properties: []any{"multilinestring"}},
		{ID: 4, Geometry: geom.NewGeometryCollection().MustSetLayout(geom.XYZM).MustPush(
			geom.NewPoint(geom.XYZM).MustSetCoords(geom.Coord{1, 1, 1, 1}),
			geom.NewLineString(geom.XYZM).MustSetCoords([]geom.Coord{{1, 1, 1, 1}, {2, 2, 2, 2}})), Properties: []any{"collection"}},
		{ID: 5, Geometry: geom.NewLineString(geom.XYZM).MustSetCoords([]geom.Coord{{1, 1, 1, 1}, {2, 2, 2, 2}}), Properties: []any{"line"}},
		{ID: 6, Geometry: geom.NewPoint(geom.XYZM).MustSetCoords(geom.Coord{1, 1, 1, 1}), Properties: []any{"point"}},
		{ID: 7, Geometry: geom.NewMultiPolygon(geom.XYZM).MustSetCoords([][][]geom.Coord{{{{0, 0, 1, 9}, {10, 0, 1, 9}, {10, 10, 1, 9}, {0, 0, 1, 9}}}}), Properties: []any{"multipolygon"}},
	}
	return s
}

// fixtureTypes publishes the fixture layers, one configured type whose
// table is missing, and one whose name is not an XML name.
func fixtureTypes(s *fakeSource) []FeatureType {
	return []FeatureType{
		{Name: "countries", Title: "Countries of the world", Abstract: "Borders", Keywords: []string{"boundaries"}, Source: s, Table: "countries"},
		{Name: "cities", Source: s, Table: "cities"},
		{Name: "roads", Title: "Roads", Source: s, Table: "roads"},
		{Name: "misc", Title: "Every geometry type", Source: s, Table: "misc"},
		{Name: "ghost", Source: s, Table: "no_such_table"},
		{Name: "2bad", Source: s, Table: "countries"},
	}
}

func newFixtureHandler(t testing.TB, mod ...func(*Options)) (*Handler, *fakeSource) {
	t.Helper()
	s := fixtureSource()
	o := Options{
		Catalog: func(context.Context) ([]FeatureType, catalog.Service) {
			return fixtureTypes(s), catalog.Service{Title: "tuiles test", Abstract: "fixture", Keywords: []string{"test"},
				Provider: "Tuiles & Co", ProviderURL: "http://example.test/", ContactEmail: "ops@example.test"}
		},
		PublicURL:   "http://example.test/maps",
		MaxFeatures: 100,
	}
	for _, m := range mod {
		m(&o)
	}
	return NewHandler(o), s
}

// get answers a KVP request given as a raw query string.
func get(t testing.TB, h http.Handler, query string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/wfs?"+query, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// post answers an XML request.
func post(t testing.TB, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/wfs", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// kvp builds a query string from key/value pairs, escaping values.
func kvp(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pairs[i] + "=" + url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}

func mustOK(t testing.TB, w *httptest.ResponseRecorder) []byte {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body:\n%s", w.Code, w.Body)
	}
	b, _ := io.ReadAll(w.Body)
	return b
}

func unmarshalXML(b []byte, v any) error { return xml.Unmarshal(b, v) }

func escape(s string) string { return url.QueryEscape(s) }
