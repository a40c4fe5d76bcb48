package mvt

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/gogo/protobuf/proto"
	"github.com/paulmach/orb"
	orbmvt "github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
)

// parisTile is the WebMercatorQuad tile of level 5 that holds Paris, and
// with it the whole fixture but the long line.
func parisTile(t testing.TB) (col, row int, b crs.Bounds) {
	x, y := mercator(2.35, 48.85)
	return tileOf(t, "WebMercatorQuad", 5, x, y)
}

func allLayers(s store.Source) []Layer {
	var ls []Layer
	for _, table := range []string{"polys", "lines", "points", "mixed"} {
		ls = append(ls, Layer{Source: s, Table: table})
	}
	return ls
}

func TestEncodeWebMercator(t *testing.T) {
	s := newFixture(t)
	col, row, b := parisTile(t)
	if col != 16 || row != 11 {
		t.Fatalf("Paris in tile 5/%d/%d, want 5/16/11", col, row)
	}
	var e Encoder
	data, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	layers := decode(t, data)
	names := layerNames(layers)
	slices.Sort(names)
	if want := []string{"lines", "mixed", "points", "polys"}; !slices.Equal(names, want) {
		t.Fatalf("layers %v, want %v", names, want)
	}
	for _, l := range layers {
		if l.Version != 2 || l.Extent != 4096 {
			t.Errorf("layer %s: version %d extent %d, want 2 and 4096", l.Name, l.Version, l.Extent)
		}
	}

	t.Run("points", func(t *testing.T) {
		pts := layers["points"].Features
		if len(pts) != 3 {
			t.Fatalf("%d points, want 3", len(pts))
		}
		for i, lonlat := range [][2]float64{{2.35, 48.85}, {3, 46.5}, {5.37, 43.3}} {
			f := pts[i]
			if f.ID != float64(i+1) {
				t.Errorf("point %d: id %v, want %d", i, f.ID, i+1)
			}
			x, y := mercator(lonlat[0], lonlat[1])
			want := tilePixel(b, 4096, x, y)
			got, ok := f.Geometry.(orb.Point)
			if !ok {
				t.Fatalf("point %d: geometry %T", i, f.Geometry)
			}
			// The encoder rounds to the nearest unit.
			if math.Abs(got[0]-want[0]) > 0.5+1e-6 || math.Abs(got[1]-want[1]) > 0.5+1e-6 {
				t.Errorf("point %d at %v, want %v", i, got, want)
			}
		}
	})

	t.Run("properties", func(t *testing.T) {
		want := geojson.Properties{
			"name": "Paris", "pop": 2100000.0, "area": 1.5, "capital": true,
			"founded": "1970-01-02", "updated": "2024-05-06T07:08:09Z",
		}
		if got := layers["points"].Features[0].Properties; !equalProps(got, want) {
			t.Errorf("properties %v, want %v", got, want)
		}
		// NULLs are left out, not encoded.
		if got := layers["points"].Features[1].Properties; !equalProps(got, geojson.Properties{"name": "origin"}) {
			t.Errorf("properties with NULLs: %v", got)
		}
	})

	t.Run("value types", func(t *testing.T) {
		// orb's decoder turns every number into float64: read the
		// protobuf to check integers are integers.
		var tile vectortile.Tile
		if err := proto.Unmarshal(data, &tile); err != nil {
			t.Fatal(err)
		}
		for _, l := range tile.Layers {
			for i, k := range l.Keys {
				if k != "pop" {
					continue
				}
				for _, f := range l.Features {
					for j := 0; j+1 < len(f.Tags); j += 2 {
						if f.Tags[j] == uint32(i) && l.Values[f.Tags[j+1]].SintValue == nil {
							t.Errorf("layer %s: pop is %v, want a sint", l.GetName(), l.Values[f.Tags[j+1]])
						}
					}
				}
			}
		}
	})

	t.Run("polygon winding", func(t *testing.T) {
		polys := layers["polys"].Features
		if len(polys) != 2 {
			t.Fatalf("%d polygons, want 2", len(polys))
		}
		// orb's decoder starts a new polygon at each ring of positive
		// area: a wrongly wound hole would come back as a second polygon.
		holed, ok := polys[0].Geometry.(orb.Polygon)
		if !ok || len(holed) != 2 {
			t.Fatalf("holed polygon decoded as %T with %d parts", polys[0].Geometry, lenOf(polys[0].Geometry))
		}
		if a := area2(holed[0]); a <= 0 {
			t.Errorf("exterior ring area %g, want > 0 (clockwise on screen)", a)
		}
		if a := area2(holed[1]); a >= 0 {
			t.Errorf("interior ring area %g, want < 0", a)
		}
		cw, ok := polys[1].Geometry.(orb.Polygon)
		if !ok || len(cw) != 1 || area2(cw[0]) <= 0 {
			t.Errorf("clockwise source polygon decoded as %v", polys[1].Geometry)
		}
		// The exterior's west edge lies on the tile's west edge (0°).
		if bd := holed.Bound(); bd.Min[0] != 0 {
			t.Errorf("holed polygon starts at x=%g, want 0", bd.Min[0])
		}
	})

	t.Run("clipped to buffer", func(t *testing.T) {
		line := layers["lines"].Features[0].Geometry
		bd := line.Bound()
		if bd.Min[0] != -64 || bd.Max[0] != 4096+64 {
			t.Errorf("line spans x %g..%g, want -64..4160", bd.Min[0], bd.Max[0])
		}
		_, y := mercator(0, 47)
		if want := tilePixel(b, 4096, 0, y)[1]; math.Abs(bd.Min[1]-want) > 0.5+1e-6 || bd.Max[1] != bd.Min[1] {
			t.Errorf("line at y %g..%g, want %g", bd.Min[1], bd.Max[1], want)
		}
	})

	t.Run("collection split", func(t *testing.T) {
		feats := layers["mixed"].Features
		if len(feats) != 2 {
			t.Fatalf("%d features for one collection, want 2 (point, polygon)", len(feats))
		}
		var types []string
		for _, f := range feats {
			if f.ID != 1.0 {
				t.Errorf("collection part id %v, want 1", f.ID)
			}
			types = append(types, f.Geometry.GeoJSONType())
		}
		if want := []string{"Point", "Polygon"}; !slices.Equal(types, want) {
			t.Errorf("collection parts %v, want %v", types, want)
		}
	})
}

func equalProps(a, b geojson.Properties) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func lenOf(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Polygon:
		return len(g)
	case orb.MultiPolygon:
		return len(g)
	}
	return 1
}

func TestPropertiesSelection(t *testing.T) {
	s := newFixture(t)
	_, _, b := parisTile(t)
	tests := []struct {
		name  string
		props []string
		want  geojson.Properties
	}{
		{"all but bytes", nil, geojson.Properties{"name": "Paris", "pop": 2100000.0, "area": 1.5, "capital": true, "founded": "1970-01-02", "updated": "2024-05-06T07:08:09Z"}},
		{"none", []string{}, geojson.Properties{}},
		{"some", []string{"pop", "name"}, geojson.Properties{"name": "Paris", "pop": 2100000.0}},
		{"bytes asked", []string{"blob", "capital"}, geojson.Properties{"capital": true}},
	}
	var e Encoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := e.Encode(context.Background(), Request{
				Layers: []Layer{{Name: "cities", Source: s, Table: "points", Properties: tt.props}},
				CRS:    crs.WebMercator, BBox: b, Zoom: 5,
			})
			if err != nil {
				t.Fatal(err)
			}
			l := decode(t, data)["cities"]
			if l == nil {
				t.Fatal("no layer cities")
			}
			if got := l.Features[0].Properties; !equalProps(got, tt.want) {
				t.Errorf("properties %v, want %v", got, tt.want)
			}
		})
	}
	_, err := e.Encode(context.Background(), Request{
		Layers: []Layer{{Source: s, Table: "points", Properties: []string{"nope"}}},
		CRS:    crs.WebMercator, BBox: b, Zoom: 5,
	})
	if err == nil {
		t.Error("unknown property: no error")
	}
}

// TestBuffer puts points around the tile's west edge: inside the buffer
// they are kept (at negative x), beyond it dropped.
func TestBuffer(t *testing.T) {
	_, _, b := parisTile(t)
	unit := b.Width() / 4096
	lonOf := func(x float64) float64 { return x / 6378137 * 180 / math.Pi }
	latOf := func(y float64) float64 { return (2*math.Atan(math.Exp(y/6378137)) - math.Pi/2) * 180 / math.Pi }
	midY := (b.MinY + b.MaxY) / 2
	s := openStore(t)
	var feats []store.Feature
	for _, px := range []float64{-30, -100, 20} {
		feats = append(feats, store.Feature{
			Geometry:   geom.NewPointFlat(geom.XY, []float64{lonOf(b.MinX + px*unit), latOf(midY)}),
			Properties: props("p", int64(px)),
		})
	}
	write(t, s, "pts", "POINT", feats)
	var e Encoder
	for _, tt := range []struct {
		buffer int
		want   []float64 // ids kept
	}{
		{0, []float64{1, 3}}, // default 64
		{16, []float64{3}},
		{-1, []float64{3}},
		{128, []float64{1, 2, 3}},
	} {
		data, err := e.Encode(context.Background(), Request{Layers: []Layer{{Source: s, Table: "pts"}}, CRS: crs.WebMercator, BBox: b, Zoom: 5, Buffer: tt.buffer})
		if err != nil {
			t.Fatal(err)
		}
		var ids []float64
		for _, f := range decode(t, data)["pts"].Features {
			ids = append(ids, f.ID.(float64))
			if f.ID == 1.0 {
				if x := f.Geometry.(orb.Point)[0]; x != -30 {
					t.Errorf("buffer %d: point at x=%g, want -30", tt.buffer, x)
				}
			}
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("buffer %d: ids %v, want %v", tt.buffer, ids, tt.want)
		}
	}
}

// TestEncodeLambert93 encodes in IGN's LAMB93 set, whose matrices are not
// Web Mercator: the projection origin of Lambert-93 (3°E 46.5°N) is
// (700000, 6600000) by definition, so its tile pixel needs no PROJ.
func TestEncodeLambert93(t *testing.T) {
	s := newFixture(t)
	const z = 8
	_, _, b := tileOf(t, "LAMB93", z, 700000, 6600000)
	var e Encoder
	data, err := e.Encode(context.Background(), Request{Layers: []Layer{{Source: s, Table: "points"}}, CRS: crs.Lambert93, BBox: b, Zoom: z, Extent: 512})
	if err != nil {
		t.Fatal(err)
	}
	l := decode(t, data)["points"]
	if l == nil || l.Extent != 512 {
		t.Fatalf("layers %v", layerNames(decode(t, data)))
	}
	var found bool
	for _, f := range l.Features {
		if f.ID != 2.0 {
			continue
		}
		found = true
		want := tilePixel(b, 512, 700000, 6600000)
		got := f.Geometry.(orb.Point)
		if math.Abs(got[0]-want[0]) > 0.5+1e-6 || math.Abs(got[1]-want[1]) > 0.5+1e-6 {
			t.Errorf("origin at %v, want %v", got, want)
		}
	}
	if !found {
		t.Errorf("origin point not in tile %s", b)
	}
}

func TestEmptyTile(t *testing.T) {
	s := newFixture(t)
	// Mid-Pacific.
	x, y := mercator(-150, 0)
	_, _, b := tileOf(t, "WebMercatorQuad", 5, x, y)
	var e Encoder
	data, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil || data != nil {
		t.Errorf("empty tile: %d bytes, %v; want nil, nil", len(data), err)
	}
}

func TestZoomRange(t *testing.T) {
	s := newFixture(t)
	_, _, b := parisTile(t)
	var e Encoder
	tests := []struct {
		name     string
		min, max int
		want     bool
	}{
		{"no limits", 0, 0, true},
		{"inside", 5, 5, true},
		{"too coarse", 6, 0, false},
		{"too fine", 0, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := e.Encode(context.Background(), Request{
				Layers: []Layer{{Source: s, Table: "points", MinZoom: tt.min, MaxZoom: tt.max}, {Source: s, Table: "polys"}},
				CRS:    crs.WebMercator, BBox: b, Zoom: 5,
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, got := decode(t, data)["points"]; got != tt.want {
				t.Errorf("points layer present: %v, want %v", got, tt.want)
			}
		})
	}
	data, err := e.Encode(context.Background(), Request{Layers: []Layer{{Source: s, Table: "points", MinZoom: 9}}, CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil || data != nil {
		t.Errorf("every layer out of range: %d bytes, %v; want nil, nil", len(data), err)
	}
}

func TestMaxFeatures(t *testing.T) {
	s := newFixture(t)
	_, _, b := parisTile(t)
	var e Encoder
	req := Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5, MaxFeatures: 7}
	if _, err := e.Encode(context.Background(), req); err != nil {
		t.Fatalf("7 features with MaxFeatures 7: %v", err)
	}
	req.MaxFeatures = 6
	if _, err := e.Encode(context.Background(), req); !errors.Is(err, ErrTooManyFeatures) {
		t.Errorf("7 features with MaxFeatures 6: %v, want ErrTooManyFeatures", err)
	}
}

func TestBadRequests(t *testing.T) {
	s := newFixture(t)
	_, _, b := parisTile(t)
	var e Encoder
	for name, req := range map[string]Request{
		"duplicate names": {Layers: []Layer{{Source: s, Table: "points"}, {Name: "points", Source: s, Table: "polys"}}, CRS: crs.WebMercator, BBox: b},
		"empty bbox":      {Layers: allLayers(s), CRS: crs.WebMercator},
		"unknown table":   {Layers: []Layer{{Source: s, Table: "nope"}}, CRS: crs.WebMercator, BBox: b},
	} {
		if data, err := e.Encode(context.Background(), req); err == nil {
			t.Errorf("%s: %d bytes, no error", name, len(data))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Encode(ctx, Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

// TestConcurrent shares one Encoder (and its transformer pool) between
// goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	s := newFixture(t)
	_, _, b := parisTile(t)
	var e Encoder
	want, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5})
			if err != nil {
				t.Error(err)
			} else if !bytes.Equal(got, want) {
				t.Error("concurrent encodings differ")
			}
		})
	}
	wg.Wait()
}

func TestGzip(t *testing.T) {
	s := newFixture(t)
	_, _, b := parisTile(t)
	var e Encoder
	data, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	gz, err := Gzip(data)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, data) {
		t.Error("gzip round trip differs")
	}
	if _, err := orbmvt.UnmarshalGzipped(gz); err != nil {
		t.Errorf("orb cannot read the gzipped tile: %v", err)
	}
}

func TestVectorLayersJSON(t *testing.T) {
	s := newFixture(t)
	layers := []Layer{
		{Source: s, Table: "points", Properties: []string{"name", "pop", "capital", "updated", "blob"}, MinZoom: 3},
		{Name: "areas", Source: s, Table: "polys", Properties: []string{}, MaxZoom: 20},
		{Source: s, Table: "lines", MinZoom: 16}, // beyond the tileset: left out
	}
	raw, err := VectorLayersJSON(layers, 0, 14)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"id": "points", "description": "points of the fixture", "minzoom": 3.0, "maxzoom": 14.0,
			"fields": map[string]any{"name": "String", "pop": "Number", "capital": "Boolean", "updated": "String"}},
		{"id": "areas", "description": "polys of the fixture", "minzoom": 0.0, "maxzoom": 14.0, "fields": map[string]any{}},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("vector_layers\n got %s\nwant %s", gotJSON, wantJSON)
	}
	all, err := VectorLayersJSON([]Layer{{Source: s, Table: "polys"}}, 0, 14)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"id":"polys","description":"polys of the fixture","minzoom":0,"maxzoom":14,"fields":{"area":"Number","capital":"Boolean","founded":"String","name":"String","pop":"Number","updated":"String"}}]`; string(all) != want {
		t.Errorf("all fields:\n got %s\nwant %s", all, want)
	}
	if _, err := VectorLayersJSON(layers, 5, 4); err == nil {
		t.Error("empty zoom range: no error")
	}
}

// TestSimplify checks that detail below a tile unit goes, and that no
// zero-length step (which MVT forbids) survives rounding.
func TestSimplify(t *testing.T) {
	_, _, b := parisTile(t)
	unit := b.Width() / 4096
	lonOf := func(x float64) float64 { return x / 6378137 * 180 / math.Pi }
	latOf := func(y float64) float64 { return (2*math.Atan(math.Exp(y/6378137)) - math.Pi/2) * 180 / math.Pi }
	// A zigzag of amplitude 0.4 unit with a vertex every 0.6 unit, then a
	// real corner.
	var flat []float64
	y0 := (b.MinY + b.MaxY) / 2
	for i := 0; i <= 1000; i++ {
		dy := 0.4 * unit
		if i%2 == 1 {
			dy = -dy
		}
		flat = append(flat, lonOf(b.MinX+(100+0.6*float64(i))*unit), latOf(y0+dy))
	}
	flat = append(flat, lonOf(b.MinX+700*unit), latOf(y0+500*unit))
	s := openStore(t)
	write(t, s, "zigzag", "LINESTRING", []store.Feature{{Geometry: geom.NewLineStringFlat(geom.XY, flat), Properties: props("z", 0)}})
	var e Encoder
	data, err := e.Encode(context.Background(), Request{Layers: []Layer{{Source: s, Table: "zigzag"}}, CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	ls, ok := decode(t, data)["zigzag"].Features[0].Geometry.(orb.LineString)
	if !ok {
		t.Fatalf("zigzag decoded as %T", decode(t, data)["zigzag"].Features[0].Geometry)
	}
	if len(ls) != 3 {
		t.Errorf("zigzag kept %d vertices, want 3: %v", len(ls), ls)
	}
	for i := 1; i < len(ls); i++ {
		if ls[i] == ls[i-1] {
			t.Errorf("zero-length step at vertex %d", i)
		}
	}
}

// TestWholeWorld encodes the level-0 tile of each set, whose buffered
// bounds reach past the set's own extent (Web Mercator's square beyond
// ±180°, LAMB93's grid far outside France): every fixture point must
// still be found through the inverse-transformed query box.
func TestWholeWorld(t *testing.T) {
	s := newFixture(t)
	for _, tt := range []struct {
		tms string
		c   crs.CRS
	}{{"WebMercatorQuad", crs.WebMercator}, {"LAMB93", crs.Lambert93}, {"WorldCRS84Quad", crs.CRS84}} {
		t.Run(tt.tms, func(t *testing.T) {
			var x, y float64 = 2.35, 48.85
			switch tt.c {
			case crs.WebMercator:
				x, y = mercator(x, y)
			case crs.Lambert93:
				x, y = 700000, 6600000
			}
			_, _, b := tileOf(t, tt.tms, 0, x, y)
			var e Encoder
			data, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: tt.c, BBox: b})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(decode(t, data)["points"].Features); n != 3 {
				t.Errorf("%d points, want 3", n)
			}
		})
	}
}

// TestProjectedSource reads a table stored in Lambert-93 into a Web
// Mercator tile: the query box goes through the inverse transform, the
// geometries through the forward one.
func TestProjectedSource(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	w, err := s.Write(ctx, store.Layer{Name: "l93", GeometryType: "POINT", CRS: crs.Lambert93, Fields: fields}, store.Create)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	if err := w.Add(ctx, store.Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{700000, 6600000}), Properties: props("origin", 0)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, b := parisTile(t)
	var e Encoder
	data, err := e.Encode(ctx, Request{Layers: []Layer{{Source: s, Table: "l93"}}, CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	l := decode(t, data)["l93"]
	if l == nil || len(l.Features) != 1 {
		t.Fatalf("layers %v", layerNames(decode(t, data)))
	}
	x, y := mercator(3, 46.5)
	want := tilePixel(b, 4096, x, y)
	if got := l.Features[0].Geometry.(orb.Point); math.Abs(got[0]-want[0]) > 0.5+1e-6 || math.Abs(got[1]-want[1]) > 0.5+1e-6 {
		t.Errorf("origin at %v, want %v", got, want)
	}
}
