package xyz_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/xyz"
)

// tileJSON is the document as a client decodes it; pointers tell absent
// members from zero ones.
type tileJSON struct {
	TileJSON     string          `json:"tilejson"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Attribution  string          `json:"attribution"`
	Version      string          `json:"version"`
	Scheme       string          `json:"scheme"`
	Tiles        []string        `json:"tiles"`
	MinZoom      *int            `json:"minzoom"`
	MaxZoom      *int            `json:"maxzoom"`
	Bounds       []float64       `json:"bounds"`
	Center       []float64       `json:"center"`
	VectorLayers json.RawMessage `json:"vector_layers"`
	Format       string          `json:"format"`
}

func TestTileJSON(t *testing.T) {
	h := newFixture(t).handler("")
	const mercLat = 85.0511287798066
	tests := []struct {
		path         string
		name         string
		tiles        string
		minZ, maxZ   int
		bounds       []float64
		center       []float64
		format       string
		vectorLayers string
	}{
		{"/tiles/world/WebMercatorQuad/tiles.json", "The world", "http://example.com/tiles/world/WebMercatorQuad/{z}/{x}/{y}.png",
			0, 6, []float64{-180, -mercLat, 180, mercLat}, []float64{0, 0, 1}, "png", ""},
		{"/tiles/world/WorldCRS84Quad/tiles.json", "The world", "http://example.com/tiles/world/WorldCRS84Quad/{z}/{x}/{y}.png",
			0, 5, []float64{-180, -90, 180, 90}, []float64{0, 0, 0}, "png", ""},
		{"/tiles/world/LAMB93/tiles.json", "The world", "http://example.com/tiles/world/LAMB93/{z}/{x}/{y}.png",
			0, 6, []float64{-180, -90, 180, 90}, []float64{0, 0, 0}, "png", ""},
		{"/tiles/roads/WebMercatorQuad/tiles.json", "Roads", "http://example.com/tiles/roads/WebMercatorQuad/{z}/{x}/{y}.pbf",
			0, 14, []float64{-5, 41, 10, 51}, []float64{2.5, 46, 1}, "pbf", tiletest.RoadsVectorLayers},
		{"/tiles/france/WebMercatorQuad/tiles.json", "France", "http://example.com/tiles/france/WebMercatorQuad/{z}/{x}/{y}.png",
			2, 12, []float64{-5.4, 40.8, 9.9, 51.2}, []float64{2.25, 46, 2}, "png", ""},
		// Unknown extent and unknown vector layers are left out rather
		// than invented.
		{"/tiles/sparsevec/WebMercatorQuad/tiles.json", "sparsevec", "http://example.com/tiles/sparsevec/WebMercatorQuad/{z}/{x}/{y}.pbf",
			0, 5, nil, nil, "pbf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := tiletest.Do(h, "GET", tt.path)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("invalid JSON: %s", w.Body)
			}
			var doc tileJSON
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.TileJSON != "3.0.0" || doc.Version != "1.0.0" || doc.Scheme != "xyz" || doc.Name != tt.name || doc.Format != tt.format {
				t.Errorf("%+v", doc)
			}
			if len(doc.Tiles) != 1 || doc.Tiles[0] != tt.tiles {
				t.Errorf("tiles %q", doc.Tiles)
			}
			if doc.MinZoom == nil || doc.MaxZoom == nil || *doc.MinZoom != tt.minZ || *doc.MaxZoom != tt.maxZ {
				t.Errorf("zooms %v %v", doc.MinZoom, doc.MaxZoom)
			}
			if !floatsNear(doc.Bounds, tt.bounds) || !floatsNear(doc.Center, tt.center) {
				t.Errorf("bounds %v center %v", doc.Bounds, doc.Center)
			}
			if tt.vectorLayers == "" {
				if doc.VectorLayers != nil {
					t.Errorf("vector_layers %s", doc.VectorLayers)
				}
			} else if !sameJSON(t, doc.VectorLayers, []byte(tt.vectorLayers)) {
				t.Errorf("vector_layers %s", doc.VectorLayers)
			}
		})
	}

	t.Run("text fields", func(t *testing.T) {
		w := tiletest.Do(h, "GET", "/tiles/world/WebMercatorQuad/tiles.json")
		var doc tileJSON
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Description != "Everything, everywhere." || doc.Attribution != `<a href="https://example.org">Example</a>` {
			t.Errorf("%+v", doc)
		}
		// HTML in attributions stays readable.
		if !bytes.Contains(w.Body.Bytes(), []byte(`<a href=\"https://example.org\">`)) {
			t.Errorf("%s", w.Body)
		}
	})
}

func floatsNear(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func TestTileJSONBaseURL(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		publicURL string
		header    []string
		want      string
	}{
		{"", nil, "http://example.com/tiles/"},
		{"https://maps.example.org/tuiles/", nil, "https://maps.example.org/tuiles/tiles/"},
		{"", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "tiles.example.net"}, "https://tiles.example.net/tiles/"},
		// A hostile Host cannot inject into the document.
		{"", []string{"X-Forwarded-Host", `evil"><x`}, "http://example.com/tiles/"},
	}
	for _, tt := range tests {
		w := tiletest.Do(fx.handler(tt.publicURL), "GET", "/tiles/world/WebMercatorQuad/tiles.json", tt.header...)
		var doc tileJSON
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if want := tt.want + "world/WebMercatorQuad/{z}/{x}/{y}.png"; doc.Tiles[0] != want {
			t.Errorf("%q %v: %q, want %q", tt.publicURL, tt.header, doc.Tiles[0], want)
		}
	}
}

func TestTileJSONConditional(t *testing.T) {
	h := newFixture(t).handler("")
	const path = "/tiles/roads/WebMercatorQuad/tiles.json"
	w := tiletest.Do(h, "GET", path)
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w2 := tiletest.Do(h, "GET", path, "If-None-Match", etag); w2.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", w2.Code)
	}
	head := tiletest.Do(h, "HEAD", path)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag || head.Header().Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: %d %v", head.Code, head.Header())
	}
	// The document names the host it was asked through, so its ETag does too.
	if w2 := tiletest.Do(h, "GET", path, "X-Forwarded-Host", "other.example.com"); w2.Header().Get("ETag") == etag {
		t.Errorf("same ETag for another base URL")
	}
}

// TestTiles: y is the matrix row itself.
func TestTiles(t *testing.T) {
	h := newFixture(t).handler("")
	tests := []struct {
		set     string
		z, x, y int
	}{
		{"WebMercatorQuad", 0, 0, 0},
		{"WebMercatorQuad", 1, 0, 1},
		{"WebMercatorQuad", 6, 33, 40},
		{"WorldCRS84Quad", 0, 1, 0},
		{"WorldCRS84Quad", 2, 7, 3},
		{"LAMB93", 3, 1, 2},
		{"LAMB93", 6, 4, 15},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d/%d", tt.set, tt.z, tt.x, tt.y), func(t *testing.T) {
			w := tiletest.Do(h, "GET", fmt.Sprintf("/tiles/world/%s/%d/%d/%d.png", tt.set, tt.z, tt.x, tt.y))
			want := tiletest.TileData(tiletest.Key("world", tt.set, "png", tt.z, tt.x, tt.y))
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("%d %q, want %q", w.Code, w.Body, want)
			}
		})
	}
}

func TestMissingTiles(t *testing.T) {
	tiletest.CheckMissingTiles(t, newFixture(t).handler(""), "/tiles/", "application/json")
}

func TestOutOfRange(t *testing.T) {
	h := newFixture(t).handler("")
	tiletest.CheckStatuses(t, h, tiletest.OutOfRangeTiles("/tiles/"), checkErrorBody)
	if w := tiletest.Do(h, "GET", "/tiles/france/WebMercatorQuad/5/16/11.png"); w.Code != http.StatusOK {
		t.Errorf("Paris: %d %s", w.Code, w.Body)
	}
}

func checkErrorBody(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || len(e.Error) > 200 {
		t.Errorf("error body %q: %v", w.Body, err)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if w.Header().Get("ETag") != "" {
		t.Errorf("error with an ETag")
	}
}

func TestConditionalAndHead(t *testing.T) {
	h := newFixture(t).handler("")
	tiletest.CheckConditional(t, h, "/tiles/world/WorldCRS84Quad/2/3/1.webp", "image/webp")

	// HEAD of a missing vector tile and of an error.
	if head := tiletest.Do(h, "HEAD", "/tiles/sparsevec/WebMercatorQuad/1/1/1.pbf"); head.Code != http.StatusNoContent || head.Body.Len() != 0 {
		t.Errorf("HEAD 204: %d", head.Code)
	}
	if head := tiletest.Do(h, "HEAD", "/tiles/nosuch/WebMercatorQuad/1/1/1.pbf"); head.Code != http.StatusNotFound || head.Body.Len() != 0 {
		t.Errorf("HEAD 404: %d %q", head.Code, head.Body)
	}
}

func TestGzipTiles(t *testing.T) {
	want := tiletest.TileData(tiletest.Key("roads", "WebMercatorQuad", "pbf", 3, 4, 5))
	tiletest.CheckGzipNegotiation(t, newFixture(t).handler(""), "/tiles/roads/WebMercatorQuad/3/4/5.pbf", want)
}

// TestBadRequests: no request path, however hostile, gets a 5xx.
func TestBadRequests(t *testing.T) {
	cases := append(tiletest.BadTilePaths("/tiles/"), []tiletest.StatusCase{
		{Target: "/tiles/world/WebMercatorQuad/tiles.json/", Status: 404},
		{Target: "/tiles/world/WebMercatorQuad/tile.json", Status: 404},
		{Target: "/tiles/world/tiles.json", Status: 404},
		{Target: "/tiles/world/WebMercatorQuad", Status: 404},
		{Target: "/tiles/", Status: 404},
		{Target: "/tiles", Status: 404},
		{Target: "/", Status: 404},
		{Target: "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png", Status: 404},
		{Target: "/tiles/nosuch/WebMercatorQuad/tiles.json", Status: 404},
		{Target: "/tiles/world/NoSuchSet/tiles.json", Status: 404},
		{Target: "/tiles/../tiles/world/WebMercatorQuad/0/0/0.png", Status: 400},
		{Target: "/tiles/" + strings.Repeat("y", 4000) + "/WebMercatorQuad/tiles.json", Status: 404},
	}...)
	tiletest.CheckStatuses(t, newFixture(t).handler(""), cases, checkErrorBody)
}

func TestMethods(t *testing.T) {
	tiletest.CheckMethods(t, newFixture(t).handler(""), "/tiles/world/WebMercatorQuad/0/0/0.png", "/tiles/world/WebMercatorQuad/tiles.json")
}

// TestRequestContext: a cancelled request reaches the provider as
// cancelled and is not reported as a server bug.
func TestRequestContext(t *testing.T) {
	tiletest.CheckCancelled(t, newFixture(t).handler(""), "/tiles/world/WebMercatorQuad/0/0/0.png")
}

func TestNoCatalog(t *testing.T) {
	h := xyz.NewHandler(xyz.Options{Catalog: tiletest.NilSource{}})
	for _, path := range []string{"/tiles/world/WebMercatorQuad/0/0/0.png", "/tiles/world/WebMercatorQuad/tiles.json"} {
		if w := tiletest.Do(h, "GET", path); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d", path, w.Code)
		}
	}
}

func BenchmarkXYZTile(b *testing.B) {
	tiletest.Bench(b, newFixture(b).handler(""), httptest.NewRequest("GET", "/tiles/world/WebMercatorQuad/6/33/23.png", nil))
}

func BenchmarkTileJSON(b *testing.B) {
	tiletest.Bench(b, newFixture(b).handler(""), httptest.NewRequest("GET", "/tiles/roads/WebMercatorQuad/tiles.json", nil))
}
