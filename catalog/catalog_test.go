package catalog

import (
	"context"
	"iter"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/tiling"
)

type noTiles struct{}

func (noTiles) Tile(context.Context, tiling.Key) (tiling.Tile, error) {
	return tiling.Tile{}, tiling.ErrNotFound
}

func builtin(t *testing.T, id string) *tiling.TileMatrixSet {
	t.Helper()
	s, err := tiling.Builtin(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// France in Lambert-93, from the published extent of the départements.
var franceL93 = crs.Bounds{MinX: 99101, MinY: 6046555, MaxX: 1242436, MaxY: 7110480}

func TestNewTilesetLimits(t *testing.T) {
	l93 := builtin(t, "LAMB93")
	ts, err := NewTileset(l93, 3, 8, franceL93, noTiles{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Limits) != 6 {
		t.Fatalf("limits %d", len(ts.Limits))
	}
	// Level 6 of LAMB93 is 5×16 tiles of 418 km; France spans rows 11-14
	// and columns 0-2 (the demo cache was cut on the same grid).
	if r, _ := ts.Limit(6); r != (tiling.TileRange{MinCol: 0, MinRow: 11, MaxCol: 2, MaxRow: 14}) {
		t.Errorf("level 6 limits %+v", r)
	}
	for _, tc := range []struct {
		k    tiling.Key
		want bool
	}{
		{tiling.Key{Z: 6, Col: 1, Row: 12}, true},
		{tiling.Key{Z: 6, Col: 3, Row: 12}, false},
		{tiling.Key{Z: 2, Col: 0, Row: 0}, false}, // below MinZoom
		{tiling.Key{Z: 9, Col: 0, Row: 0}, false}, // above MaxZoom
	} {
		if got := ts.Contains(tc.k); got != tc.want {
			t.Errorf("Contains(%+v) = %v", tc.k, got)
		}
	}
	if _, err := NewTileset(l93, 0, 30, franceL93, noTiles{}); err == nil {
		t.Error("zoom beyond the set accepted")
	}
	if _, err := NewTileset(l93, 5, 2, franceL93, noTiles{}); err == nil {
		t.Error("inverted zoom range accepted")
	}
	if _, err := NewTileset(l93, 0, 3, crs.Bounds{MinX: -9e7, MinY: -9e7, MaxX: -8e7, MaxY: -8e7}, noTiles{}); err == nil {
		t.Error("bounds outside the matrix accepted")
	}
}

func TestNewCatalog(t *testing.T) {
	wm := builtin(t, "WebMercatorQuad")
	ts, err := NewTileset(wm, 0, 2, wm.Bounds(), noTiles{})
	if err != nil {
		t.Fatal(err)
	}
	layer := func(name string, sets ...*Tileset) *Layer {
		return &Layer{Name: name, Formats: []tiling.Format{tiling.PNG}, Tilesets: sets}
	}
	c, err := New(Service{Title: "t"}, []*Layer{layer("b", ts), layer("a", ts)})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Layers(); len(got) != 2 || got[0].Name != "b" {
		t.Errorf("order not kept: %v", got)
	}
	if l, ok := c.Layer("a"); !ok || l.Styles[0].Name != "default" {
		t.Errorf("default style missing: %+v", l)
	}
	if _, ok := c.Layer("A"); ok {
		t.Error("layer names are case-sensitive")
	}
	if sets := c.TileMatrixSets(); len(sets) != 1 || sets[0] != wm {
		t.Errorf("sets %v", sets)
	}
	other := builtin(t, "WebMercatorQuad") // same id, different value
	ts2, _ := NewTileset(other, 0, 2, other.Bounds(), noTiles{})
	for name, layers := range map[string][]*Layer{
		"published twice":              {layer("a", ts), layer("a", ts)},
		"has no name":                  {layer("", ts)},
		"has no format":                {{Name: "x", Tilesets: []*Tileset{ts}}},
		"two different tile matrix":    {layer("a", ts), layer("b", ts2)},
		"without a tile matrix set":    {layer("a", &Tileset{Provider: noTiles{}})},
		"limits do not match the zoom": {layer("a", &Tileset{Set: wm, MinZoom: 0, MaxZoom: 3, Provider: noTiles{}})},
		"neither tiles nor features":   {{Name: "x"}},
		"features without a store":     {{Name: "x", Features: &Features{Table: "t"}}},
		"features without a store tab": {{Name: "x", Features: &Features{Source: noFeatures{}}}},
	} {
		if _, err := New(Service{}, layers); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestLayerLookups(t *testing.T) {
	l := &Layer{Name: "l", Formats: []tiling.Format{tiling.JPEG}, Styles: []Style{{Name: "default"}, {Name: "night"}}}
	if f, ok := l.Format("jpg"); !ok || f.Name != "jpeg" {
		t.Errorf("jpg alias: %v %v", f, ok)
	}
	if _, ok := l.Format("png"); ok {
		t.Error("png is not a format of the layer")
	}
	if _, ok := l.FormatByMediaType("image/jpeg; q=1"); !ok {
		t.Error("media type with parameters")
	}
	if s, ok := l.Style(""); !ok || s.Name != "default" {
		t.Error("empty style is the default")
	}
	if _, ok := l.Style("night"); !ok {
		t.Error("named style")
	}
	if _, ok := l.Style("day"); ok {
		t.Error("unknown style found")
	}
}

func TestPublishes(t *testing.T) {
	wm := builtin(t, "WebMercatorQuad")
	ts, err := NewTileset(wm, 0, 1, wm.Bounds(), noTiles{})
	if err != nil {
		t.Fatal(err)
	}
	feats := &Features{Source: noFeatures{}, Table: "t"}
	layers := []*Layer{
		{Name: "tiles", Formats: []tiling.Format{tiling.PNG}, Tilesets: []*Tileset{ts}},
		{Name: "wmts-only", Formats: []tiling.Format{tiling.PNG}, Tilesets: []*Tileset{ts}, Services: []Protocol{WMTS}},
		{Name: "features", Features: feats},
		{Name: "both", Formats: []tiling.Format{tiling.PNG}, Tilesets: []*Tileset{ts}, Features: feats, Services: []Protocol{WFS, XYZ}},
	}
	c, err := New(Service{}, layers)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ls []*Layer) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Name)
		}
		return strings.Join(out, ",")
	}
	for svc, want := range map[Protocol]string{
		WMTS: "tiles,wmts-only",
		TMS:  "tiles",
		XYZ:  "tiles,both",
		WFS:  "features,both",
	} {
		if got := names(c.LayersFor(svc)); got != want {
			t.Errorf("%s: %s, want %s", svc, got, want)
		}
	}
	if _, ok := c.LayerFor(TMS, "wmts-only"); ok {
		t.Error("a layer not published through TMS is found there")
	}
	if _, ok := c.LayerFor(WFS, "tiles"); ok {
		t.Error("a tile-only layer is found in WFS")
	}
	if l, ok := c.LayerFor(WFS, "both"); !ok || l.Features.Table != "t" {
		t.Error("both over WFS")
	}
}

type noFeatures struct{}

func (noFeatures) Layers() []store.Layer                             { return nil }
func (noFeatures) Layer(string) (store.Layer, error)                 { return store.Layer{}, store.ErrNotFound }
func (noFeatures) Count(context.Context, store.Query) (int64, error) { return 0, nil }
func (noFeatures) Features(context.Context, store.Query) iter.Seq2[store.Feature, error] {
	return func(func(store.Feature, error) bool) {}
}
