package tiletest

import (
	"bytes"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	// Decoders for the blank tiles CheckMissingTiles reads.
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"
)

// The checks below hold for TMS and XYZ alike: both serve the Fixture
// under the {layer}/{set}/{z}/{x}/{y}.{ext} grammar with one error policy,
// so one table serves both. Each takes prefix, the path up to the layer
// ("/tms/1.0.0/" or "/tiles/").

// StatusCase is a request target and the status it must get.
type StatusCase struct {
	Target string
	Status int
}

// CheckStatuses requests each target as a subtest named after it, checks
// its status, then hands the answer to check, which checks the protocol's
// error document.
func CheckStatuses(t *testing.T, h http.Handler, cases []StatusCase, check func(*testing.T, *httptest.ResponseRecorder)) {
	t.Helper()
	for _, c := range cases {
		name := c.Target
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			w := Do(h, "GET", c.Target)
			if w.Code != c.Status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.Status, w.Body)
			}
			check(t, w)
		})
	}
}

// BadTilePaths are malformed, hostile and unknown tile paths with their
// status: 400 for what cannot be read, 404 for what names nothing,
// including numbers too big for any matrix. None, however hostile, gets a
// 5xx.
func BadTilePaths(prefix string) []StatusCase {
	const big = "99999999999999999999"
	cases := []StatusCase{
		{"world/WebMercatorQuad/a/0/0.png", 400},
		{"world/WebMercatorQuad/0/a/0.png", 400},
		{"world/WebMercatorQuad/0/0/a.png", 400},
		{"world/WebMercatorQuad/-1/0/0.png", 400},
		{"world/WebMercatorQuad/0/-1/0.png", 400},
		{"world/WebMercatorQuad/0/0/-1.png", 400},
		{"world/WebMercatorQuad/-0/0/0.png", 400},
		{"world/WebMercatorQuad/+1/0/0.png", 400},
		{"world/WebMercatorQuad/1.5/0/0.png", 400},
		{"world/WebMercatorQuad/1.0/0/0.png", 400},
		{"world/WebMercatorQuad/1/0.5/0.png", 400},
		{"world/WebMercatorQuad/1/0/0.5.png", 400},
		{"world/WebMercatorQuad/1e3/0/0.png", 400},
		{"world/WebMercatorQuad/1/0/1e1.png", 400},
		{"world/WebMercatorQuad/0x1/0/0.png", 400},
		{"world/WebMercatorQuad/%20/0/0.png", 400},
		{"world/WebMercatorQuad/1/0/%201.png", 400},
		{"world/WebMercatorQuad//0/0.png", 400},
		{"world/WebMercatorQuad/1//0.png", 400},
		{"world/WebMercatorQuad/0/0/0", 400},
		{"world/WebMercatorQuad/1/0/0", 400},
		{"world/WebMercatorQuad/0/0/0.", 400},
		{"world/WebMercatorQuad/1/0/0.", 400},
		{"world/WebMercatorQuad/0/0/.png", 400},
		{"world/WebMercatorQuad/0/0/0.png.png", 400},
		{"world/WebMercatorQuad/" + big + "/0/0.png", 404},
		{"world/WebMercatorQuad/0/" + big + "/0.png", 404},
		{"world/WebMercatorQuad/0/0/" + big + ".png", 404},
		{"world/WebMercatorQuad/0/0/9223372036854775807.png", 404},
		{"world/WebMercatorQuad/0/0/0.gif", 404},
		{"world/WebMercatorQuad/0/0/0.pbf", 404},
		{"world/WebMercatorQuad/0/0/0.png/", 404},
		{"world/WebMercatorQuad/0/0", 404},
		{"world/WebMercatorQuad/0", 404},
		{"world/WebMercatorQuad/0/0/0/0.png", 404},
		{"world/WebMercatorQuad/0/0/0.png/extra", 404},
		{"world", 404},
		{"world/", 404},
		{"nosuch/WebMercatorQuad/0/0/0.png", 404},
		{"nosuch/WebMercatorQuad", 404},
		{"world/NoSuchSet/0/0/0.png", 404},
		{"world/NoSuchSet", 404},
		{"roads/LAMB93/0/0/0.pbf", 404},
		{"roads/WorldCRS84Quad/0/0/0.pbf", 404},
		{"World/WebMercatorQuad/0/0/0.png", 404},
		{"world/WebMercatorQuad/../../../etc/passwd", 400},
		{"world/WebMercatorQuad/../../../../etc/passwd", 400},
		{"%2e%2e/world/WebMercatorQuad/0/0/0.png", 400},
		{"%2e%2e/world/WebMercatorQuad/0/0.png", 400},
		{"world/%2E%2E/0/0/0.png", 400},
		{"world/%2e%2E/0/0/0.png", 400},
		{"world/./0/0/0.png", 400},
		{"world%2fWebMercatorQuad/0/0/0.png", 400},
		{"world/WebMercatorQuad%2f0/0/0.png", 400},
		{"world/WebMercatorQuad%2F0/0/0.png", 400},
		{"world/WebMercatorQuad/0/0/0.png%2f", 400},
		{"world%5cWebMercatorQuad/0/0/0.png", 400},
		{"world%5c..%5cx/WebMercatorQuad/0/0/0.png", 400},
		{"world%00/WebMercatorQuad/0/0/0.png", 400},
		{"world%0a/WebMercatorQuad/0/0/0.png", 400},
		{"world/WebMercatorQuad/0/0/0.%00", 400},
		// net/http refuses such a request line; a handler called directly
		// sees the literal text, which names no layer.
		{"%zz/WebMercatorQuad/0/0/0.png", 404},
		{"<script>/WebMercatorQuad/0/0/0.png", 404},
		{strings.Repeat("x", 5000) + "/WebMercatorQuad/0/0/0.png", 404},
		{strings.Repeat("a/", 500), 404},
		{strings.Repeat("a/", 500) + "0.png", 404},
		{strings.Repeat("b/", 300) + "0.png", 404},
	}
	for i := range cases {
		cases[i].Target = prefix + cases[i].Target
	}
	return cases
}

// OutOfRangeTiles are tiles outside their matrix, or outside their layer's
// levels or limits, whichever end rows count from: each is a 404.
func OutOfRangeTiles(prefix string) []StatusCase {
	var cases []StatusCase
	for _, p := range []string{
		"world/WebMercatorQuad/7/0/0.png", // above MaxZoom
		"world/WebMercatorQuad/1/2/0.png", // x past the matrix
		"world/WebMercatorQuad/1/0/2.png", // y past the matrix
		"world/WorldCRS84Quad/0/2/0.png",  // 2x1
		"world/WorldCRS84Quad/0/0/1.png",  // 2x1
		"world/LAMB93/3/2/0.png",          // 2x3
		"world/LAMB93/3/0/3.png",
		"world/LAMB93/99/0/0.png",           // no such level
		"france/WebMercatorQuad/1/0/0.png",  // below MinZoom
		"france/WebMercatorQuad/13/0/0.png", // above MaxZoom
		"france/WebMercatorQuad/5/0/0.png",  // outside the bounds
		"france/WebMercatorQuad/5/31/31.png",
		"france/WebMercatorQuad/5/16/31.png",
		"world/WebMercatorQuad/0/0/99999999999999999999.png",
		"world/WebMercatorQuad/99999999999999999999/0/0.png",
	} {
		cases = append(cases, StatusCase{prefix + p, http.StatusNotFound})
	}
	return cases
}

// CheckMissingTiles asks for tiles the layers' providers lack, and checks
// the missing-tile policy: a blank raster tile in the layer's background
// (transparent where the format allows), 204 for a vector tile, or a 404
// error document of errorType for a layer that says so.
func CheckMissingTiles(t *testing.T, h http.Handler, prefix, errorType string) {
	t.Helper()
	for _, c := range []struct {
		path   string
		status int
		ct     string
		format string // decoded image format, "" for no body
		pixel  color.NRGBA
	}{
		{"sparse/WebMercatorQuad/2/1/1.png", http.StatusOK, "image/png", "png", color.NRGBA{}},
		{"sparse/WebMercatorQuad/2/1/1.jpeg", http.StatusOK, "image/jpeg", "jpeg", color.NRGBA{10, 20, 30, 255}},
		{"sparse/WebMercatorQuad/2/1/1.jpg", http.StatusOK, "image/jpeg", "jpeg", color.NRGBA{10, 20, 30, 255}},
		{"sparse/WebMercatorQuad/2/1/1.webp", http.StatusOK, "image/webp", "webp", color.NRGBA{}},
		{"sparsevec/WebMercatorQuad/2/1/1.pbf", http.StatusNoContent, "application/vnd.mapbox-vector-tile", "", color.NRGBA{}},
		{"sparsevec/WebMercatorQuad/2/1/1.mvt", http.StatusNoContent, "application/vnd.mapbox-vector-tile", "", color.NRGBA{}},
		{"holes/WebMercatorQuad/2/1/1.png", http.StatusNotFound, errorType, "", color.NRGBA{}},
	} {
		t.Run(prefix+c.path, func(t *testing.T) {
			w := Do(h, "GET", prefix+c.path)
			if w.Code != c.status || w.Header().Get("Content-Type") != c.ct {
				t.Fatalf("%d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if c.format == "" {
				if c.status == http.StatusNoContent && w.Body.Len() != 0 {
					t.Errorf("204 with a body")
				}
				return
			}
			img, format, err := image.Decode(w.Body)
			if err != nil || format != c.format {
				t.Fatalf("%s %v", format, err)
			}
			if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
				t.Errorf("size %v", b)
			}
			d := func(a, b uint8) bool { return int(a)-int(b) <= 3 && int(b)-int(a) <= 3 }
			for _, at := range []image.Point{{100, 100}, {17, 200}} {
				px := color.NRGBAModel.Convert(img.At(at.X, at.Y)).(color.NRGBA)
				if px.A != c.pixel.A || (px.A != 0 && !(d(px.R, c.pixel.R) && d(px.G, c.pixel.G) && d(px.B, c.pixel.B))) {
					t.Errorf("pixel %v at %v, want %v", px, at, c.pixel)
				}
			}
		})
	}
}

// CheckGzipNegotiation asks for path, a tile of the gzip-stored roads layer
// whose plain bytes are want, under many Accept-Encoding headers: the
// stored bytes go to clients that accept gzip, plain ones to the others,
// each with its own stable ETag, and caches are told the answer varies.
func CheckGzipNegotiation(t *testing.T, h http.Handler, path string, want []byte) {
	t.Helper()
	etags := map[bool]string{}
	for _, c := range []struct {
		acceptEncoding string
		gzipped        bool
	}{
		{"gzip", true},
		{"gzip, deflate", true},
		{"gzip, deflate, br", true},
		{"GZIP", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"*", true},
		{"*;q=0, gzip", true},
		{"", false},
		{"identity", false},
		{"br", false},
		{"gzip;q=0", false},
		{"deflate, gzip; q=0", false},
		{"gzip;q=0.000, *", false},
	} {
		t.Run(c.acceptEncoding, func(t *testing.T) {
			w := Do(h, "GET", path, "Accept-Encoding", c.acceptEncoding)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
				t.Fatalf("%d %v", w.Code, w.Header())
			}
			if !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
				t.Errorf("no Vary: Accept-Encoding")
			}
			if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=600" {
				t.Errorf("Cache-Control %q", cc)
			}
			body := w.Body.Bytes()
			wantEncoding := ""
			if c.gzipped {
				wantEncoding = "gzip"
			}
			if ce := w.Header().Get("Content-Encoding"); ce != wantEncoding {
				t.Fatalf("Content-Encoding %q", ce)
			}
			if c.gzipped {
				body = Gunzip(t, body)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body %q", body)
			}
			etag := w.Header().Get("ETag")
			if prev, ok := etags[c.gzipped]; ok && prev != etag {
				t.Errorf("ETag %s, before %s", etag, prev)
			}
			etags[c.gzipped] = etag
			if w2 := Do(h, "GET", path, "Accept-Encoding", c.acceptEncoding, "If-None-Match", etag); w2.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: %d", w2.Code)
			}
		})
	}
	if etags[true] == "" || etags[true] == etags[false] {
		t.Errorf("ETags %v: gzip and identity must differ", etags)
	}
}

// CheckConditional asks for path, a tile of the world layer of type
// contentType, plainly, conditionally and with HEAD.
func CheckConditional(t *testing.T, h http.Handler, path, contentType string) {
	t.Helper()
	w := Do(h, "GET", path)
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || !strings.HasPrefix(etag, `"`) || w.Header().Get("Content-Type") != contentType {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	if lm := w.Header().Get("Last-Modified"); lm != ModTime.Format(http.TimeFormat) {
		t.Errorf("Last-Modified %q", lm)
	}
	if w2 := Do(h, "GET", path, "If-None-Match", etag); w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w2.Code)
	}
	if w2 := Do(h, "GET", path, "If-None-Match", `"x", `+etag); w2.Code != http.StatusNotModified {
		t.Errorf("If-None-Match list: %d", w2.Code)
	}
	if w2 := Do(h, "GET", path, "If-None-Match", `"other"`); w2.Code != http.StatusOK {
		t.Errorf("other ETag: %d", w2.Code)
	}
	if w2 := Do(h, "GET", path, "If-Modified-Since", ModTime.Format(http.TimeFormat)); w2.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", w2.Code)
	}
	head := Do(h, "HEAD", path)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag ||
		head.Header().Get("Content-Type") != contentType || head.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Errorf("HEAD: %d %v body %d", head.Code, head.Header(), head.Body.Len())
	}
}
