package xyz_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"

	"github.com/tuiles/tuiles/catalog"
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
			0, 14, []float64{-5, 41, 10, 51}, []float64{2.5, 46, 1}, "pbf", roadsVectorLayers},
		{"/tiles/france/WebMercatorQuad/tiles.json", "France", "http://example.com/tiles/france/WebMercatorQuad/{z}/{x}/{y}.png",
			2, 12, []float64{-5.4, 40.8, 9.9, 51.2}, []float64{2.25, 46, 2}, "png", ""},
		// Unknown extent and unknown vector layers are left out rather
		// than invented.
		{"/tiles/sparsevec/WebMercatorQuad/tiles.json", "sparsevec", "http://example.com/tiles/sparsevec/WebMercatorQuad/{z}/{x}/{y}.pbf",
			0, 5, nil, nil, "pbf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := do(h, "GET", tt.path)
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
		w := do(h, "GET", "/tiles/world/WebMercatorQuad/tiles.json")
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
		w := do(fx.handler(tt.publicURL), "GET", "/tiles/world/WebMercatorQuad/tiles.json", tt.header...)
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
	w := do(h, "GET", path)
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w2 := do(h, "GET", path, "If-None-Match", etag); w2.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", w2.Code)
	}
	head := do(h, "HEAD", path)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag || head.Header().Get("Content-Type") != "application/json" {
		t.Errorf("HEAD: %d %v", head.Code, head.Header())
	}
	// The document names the host it was asked through, so its ETag does too.
	if w2 := do(h, "GET", path, "X-Forwarded-Host", "other.example.com"); w2.Header().Get("ETag") == etag {
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
			w := do(h, "GET", fmt.Sprintf("/tiles/world/%s/%d/%d/%d.png", tt.set, tt.z, tt.x, tt.y))
			want := tileData(fullKey("world", tt.set, "png", tt.z, tt.x, tt.y))
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("%d %q, want %q", w.Code, w.Body, want)
			}
		})
	}
}

func TestMissingTiles(t *testing.T) {
	h := newFixture(t).handler("")
	tests := []struct {
		path   string
		status int
		ct     string
		format string
		pixel  color.NRGBA
	}{
		{"/tiles/sparse/WebMercatorQuad/2/1/1.png", http.StatusOK, "image/png", "png", color.NRGBA{}},
		{"/tiles/sparse/WebMercatorQuad/2/1/1.jpg", http.StatusOK, "image/jpeg", "jpeg", color.NRGBA{10, 20, 30, 255}},
		{"/tiles/sparse/WebMercatorQuad/2/1/1.webp", http.StatusOK, "image/webp", "webp", color.NRGBA{}},
		{"/tiles/sparsevec/WebMercatorQuad/2/1/1.pbf", http.StatusNoContent, "application/vnd.mapbox-vector-tile", "", color.NRGBA{}},
		{"/tiles/sparsevec/WebMercatorQuad/2/1/1.mvt", http.StatusNoContent, "application/vnd.mapbox-vector-tile", "", color.NRGBA{}},
		{"/tiles/holes/WebMercatorQuad/2/1/1.png", http.StatusNotFound, "application/json", "", color.NRGBA{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := do(h, "GET", tt.path)
			if w.Code != tt.status || w.Header().Get("Content-Type") != tt.ct {
				t.Fatalf("%d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if tt.format == "" {
				if tt.status == http.StatusNoContent && w.Body.Len() != 0 {
					t.Errorf("204 with a body")
				}
				return
			}
			img, format, err := image.Decode(w.Body)
			if err != nil || format != tt.format {
				t.Fatalf("%s %v", format, err)
			}
			if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
				t.Errorf("size %v", b)
			}
			px := color.NRGBAModel.Convert(img.At(17, 200)).(color.NRGBA)
			d := func(a, b uint8) bool { return int(a)-int(b) <= 3 && int(b)-int(a) <= 3 }
			if px.A != tt.pixel.A || (px.A != 0 && !(d(px.R, tt.pixel.R) && d(px.G, tt.pixel.G) && d(px.B, tt.pixel.B))) {
				t.Errorf("pixel %v, want %v", px, tt.pixel)
			}
		})
	}
}

func TestOutOfRange(t *testing.T) {
	h := newFixture(t).handler("")
	for _, path := range []string{
		"/tiles/world/WebMercatorQuad/7/0/0.png",
		"/tiles/world/WebMercatorQuad/1/2/0.png",
		"/tiles/world/WebMercatorQuad/1/0/2.png",
		"/tiles/world/WorldCRS84Quad/0/2/0.png",
		"/tiles/world/WorldCRS84Quad/0/0/1.png",
		"/tiles/world/LAMB93/3/0/3.png",
		"/tiles/world/LAMB93/3/2/0.png",
		"/tiles/france/WebMercatorQuad/1/0/0.png",
		"/tiles/france/WebMercatorQuad/13/0/0.png",
		"/tiles/france/WebMercatorQuad/5/0/0.png",
		"/tiles/france/WebMercatorQuad/5/16/31.png",
		"/tiles/world/WebMercatorQuad/0/0/99999999999999999999.png",
	} {
		w := do(h, "GET", path)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
			continue
		}
		checkErrorBody(t, w)
	}
	if w := do(h, "GET", "/tiles/france/WebMercatorQuad/5/16/11.png"); w.Code != http.StatusOK {
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
	const path = "/tiles/world/WorldCRS84Quad/2/3/1.webp"
	w := do(h, "GET", path)
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" || w.Header().Get("Content-Type") != "image/webp" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	if w2 := do(h, "GET", path, "If-None-Match", etag); w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w2.Code)
	}
	if w2 := do(h, "GET", path, "If-None-Match", `"x", `+etag); w2.Code != http.StatusNotModified {
		t.Errorf("If-None-Match list: %d", w2.Code)
	}
	head := do(h, "HEAD", path)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag ||
		head.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Errorf("HEAD: %d %v", head.Code, head.Header())
	}
	// HEAD of a missing vector tile and of an error.
	if head := do(h, "HEAD", "/tiles/sparsevec/WebMercatorQuad/1/1/1.pbf"); head.Code != http.StatusNoContent || head.Body.Len() != 0 {
		t.Errorf("HEAD 204: %d", head.Code)
	}
	if head := do(h, "HEAD", "/tiles/nosuch/WebMercatorQuad/1/1/1.pbf"); head.Code != http.StatusNotFound || head.Body.Len() != 0 {
		t.Errorf("HEAD 404: %d %q", head.Code, head.Body)
	}
}

func TestGzipTiles(t *testing.T) {
	h := newFixture(t).handler("")
	const path = "/tiles/roads/WebMercatorQuad/3/4/5.pbf"
	want := tileData(fullKey("roads", "WebMercatorQuad", "pbf", 3, 4, 5))
	tests := []struct {
		acceptEncoding string
		gzipped        bool
	}{
		{"gzip, deflate", true},
		{"GZIP", true},
		{"*;q=0, gzip", true},
		{"", false},
		{"br", false},
		{"gzip;q=0", false},
		{"gzip;q=0.000, *", false},
	}
	etags := map[bool]string{}
	for _, tt := range tests {
		t.Run(tt.acceptEncoding, func(t *testing.T) {
			w := do(h, "GET", path, "Accept-Encoding", tt.acceptEncoding)
			if w.Code != http.StatusOK {
				t.Fatalf("%d", w.Code)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=600" {
				t.Errorf("Cache-Control %q", cc)
			}
			body := w.Body.Bytes()
			if got := w.Header().Get("Content-Encoding") == "gzip"; got != tt.gzipped {
				t.Fatalf("Content-Encoding %q", w.Header().Get("Content-Encoding"))
			}
			if tt.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body %q", body)
			}
			etags[tt.gzipped] = w.Header().Get("ETag")
		})
	}
	if etags[true] == "" || etags[true] == etags[false] {
		t.Errorf("ETags %v", etags)
	}
}

func TestBadRequests(t *testing.T) {
	h := newFixture(t).handler("")
	const big = "99999999999999999999"
	tests := []struct {
		path   string
		status int
	}{
		{"/tiles/world/WebMercatorQuad/a/0/0.png", 400},
		{"/tiles/world/WebMercatorQuad/0/-1/0.png", 400},
		{"/tiles/world/WebMercatorQuad/0/0/-1.png", 400},
		{"/tiles/world/WebMercatorQuad/-0/0/0.png", 400},
		{"/tiles/world/WebMercatorQuad/1.0/0/0.png", 400},
		{"/tiles/world/WebMercatorQuad/1/0/0.5.png", 400},
		{"/tiles/world/WebMercatorQuad/1/0/1e1.png", 400},
		{"/tiles/world/WebMercatorQuad/1/0/%201.png", 400},
		{"/tiles/world/WebMercatorQuad/1/0/0", 400},
		{"/tiles/world/WebMercatorQuad/1/0/0.", 400},
		{"/tiles/world/WebMercatorQuad/1//0.png", 400},
		{"/tiles/world/WebMercatorQuad/" + big + "/0/0.png", 404},
		{"/tiles/world/WebMercatorQuad/0/" + big + "/0.png", 404},
		{"/tiles/world/WebMercatorQuad/0/0/" + big + ".png", 404},
		{"/tiles/world/WebMercatorQuad/0/0/0.gif", 404},
		{"/tiles/world/WebMercatorQuad/0/0/0.pbf", 404},
		{"/tiles/world/WebMercatorQuad/0/0/0.png/", 404},
		{"/tiles/world/WebMercatorQuad/0/0", 404},
		{"/tiles/world/WebMercatorQuad/0/0/0/0.png", 404},
		{"/tiles/world/WebMercatorQuad/tiles.json/", 404},
		{"/tiles/world/WebMercatorQuad/tile.json", 404},
		{"/tiles/world/tiles.json", 404},
		{"/tiles/world/WebMercatorQuad", 404},
		{"/tiles/world/", 404},
		{"/tiles/", 404},
		{"/tiles", 404},
		{"/", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.png", 404},
		{"/tiles/nosuch/WebMercatorQuad/0/0/0.png", 404},
		{"/tiles/nosuch/WebMercatorQuad/tiles.json", 404},
		{"/tiles/world/NoSuchSet/0/0/0.png", 404},
		{"/tiles/world/NoSuchSet/tiles.json", 404},
		{"/tiles/roads/WorldCRS84Quad/0/0/0.pbf", 404},
		{"/tiles/../tiles/world/WebMercatorQuad/0/0/0.png", 400},
		{"/tiles/world/WebMercatorQuad/../../../etc/passwd", 400},
		{"/tiles/%2e%2e/world/WebMercatorQuad/0/0.png", 400},
		{"/tiles/world/%2e%2E/0/0/0.png", 400},
		{"/tiles/world/./0/0/0.png", 400},
		{"/tiles/world%2fWebMercatorQuad/0/0/0.png", 400},
		{"/tiles/world/WebMercatorQuad%2F0/0/0.png", 400},
		{"/tiles/world/WebMercatorQuad/0/0/0.png%2f", 400},
		{"/tiles/world%5c..%5cx/WebMercatorQuad/0/0/0.png", 400},
		{"/tiles/world%0a/WebMercatorQuad/0/0/0.png", 400},
		{"/tiles/%zz/WebMercatorQuad/0/0/0.png", 404},
		{"/tiles/" + strings.Repeat("y", 4000) + "/WebMercatorQuad/tiles.json", 404},
		{"/tiles/" + strings.Repeat("b/", 300) + "0.png", 404},
	}
	for _, tt := range tests {
		name := tt.path
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			w := do(h, "GET", tt.path)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			checkErrorBody(t, w)
		})
	}
}

func TestMethods(t *testing.T) {
	h := newFixture(t).handler("")
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		for _, path := range []string{"/tiles/world/WebMercatorQuad/0/0/0.png", "/tiles/world/WebMercatorQuad/tiles.json"} {
			w := do(h, m, path)
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d", m, path, w.Code)
			}
		}
	}
}

func TestRequestContext(t *testing.T) {
	h := newFixture(t).handler("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/tiles/world/WebMercatorQuad/0/0/0.png", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d", w.Code)
	}
}

type nilSource struct{}

func (nilSource) Current() *catalog.Catalog { return nil }

func TestNoCatalog(t *testing.T) {
	h := xyz.NewHandler(xyz.Options{Catalog: nilSource{}})
	for _, path := range []string{"/tiles/world/WebMercatorQuad/0/0/0.png", "/tiles/world/WebMercatorQuad/tiles.json"} {
		if w := do(h, "GET", path); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d", path, w.Code)
		}
	}
}

func BenchmarkXYZTile(b *testing.B) {
	h := newFixture(b).handler("")
	r := httptest.NewRequest("GET", "/tiles/world/WebMercatorQuad/6/33/23.png", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkTileJSON(b *testing.B) {
	h := newFixture(b).handler("")
	r := httptest.NewRequest("GET", "/tiles/roads/WebMercatorQuad/tiles.json", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
