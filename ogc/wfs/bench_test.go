package wfs

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// pointSource is a store.Source of n generated points, made on the fly so
// that benchmarks measure the WFS encoders, not the fixture.
type pointSource struct {
	n      int
	failAt int // yield an error at that feature (0: never)
	layer  store.Layer
}

func bigSource(n int) *pointSource {
	return &pointSource{n: n, layer: store.Layer{Name: "points", IDColumn: "fid", GeometryColumn: "geom", GeometryType: "POINT",
		Layout: geom.XY, CRS: crs.WGS84, SRSID: 4326,
		Fields: []store.Field{{Name: "name", Kind: filter.String}, {Name: "value", Kind: filter.Real, Nullable: true}, {Name: "rank", Kind: filter.Integer}},
		Extent: crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}}}
}

func (s *pointSource) Layers() []store.Layer { return []store.Layer{s.layer} }

func (s *pointSource) Layer(name string) (store.Layer, error) {
	if name != s.layer.Name {
		return store.Layer{}, store.ErrNotFound
	}
	return s.layer, nil
}

func (s *pointSource) Count(context.Context, store.Query) (int64, error) { return int64(s.n), nil }

func (s *pointSource) Features(ctx context.Context, q store.Query) iter.Seq2[store.Feature, error] {
	return func(yield func(store.Feature, error) bool) {
		end := s.n
		if q.Limit > 0 {
			end = min(end, q.Offset+q.Limit)
		}
		props := make([]any, 3)
		for i := q.Offset; i < end; i++ {
			if s.failAt > 0 && i == s.failAt {
				yield(store.Feature{}, fmt.Errorf("read error at %d", i))
				return
			}
			x, y := float64(i%360)-180+0.123456, float64(i%180)-90+0.654321
			props[0], props[1], props[2] = "point & name", float64(i)/7, int64(i)
			f := store.Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, []float64{x, y}), Properties: props}
			if !yield(f, nil) {
				return
			}
		}
	}
}

func benchmarkGetFeature(b *testing.B, format string) {
	const n = 100_000
	h := NewHandler(Options{Catalog: func(context.Context) ([]FeatureType, catalog.Service) {
		return []FeatureType{{Name: "points", Source: bigSource(n), Table: "points"}}, catalog.Service{}
	},
		MaxFeatures: n})
	r := httptest.NewRequest(http.MethodGet, "/wfs?"+gf+"TYPENAMES=points&OUTPUTFORMAT="+escape(format), nil)
	b.ReportAllocs()
	b.ResetTimer()
	var size int64
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, r)
		if w.code != 0 && w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
		size = w.n
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "features/s")
	b.ReportMetric(float64(size), "bytes/op-body")
}

// BenchmarkGetFeatureGeoJSON encodes a whole layer of 100 000 points.
func BenchmarkGetFeatureGeoJSON(b *testing.B) { benchmarkGetFeature(b, "application/json") }

// BenchmarkGetFeatureGML encodes a whole layer of 100 000 points in GML
// 3.2, latitude first.
func BenchmarkGetFeatureGML(b *testing.B) { benchmarkGetFeature(b, mediaGML32) }

// discardWriter is a ResponseWriter that counts and drops the body.
type discardWriter struct {
	h    http.Header
	code int
	n    int64
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(c int)   { w.code = c }
func (w *discardWriter) Write(p []byte) (int, error) {
	n, err := io.Discard.Write(p)
	w.n += int64(n)
	return n, err
}
