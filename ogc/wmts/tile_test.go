package wmts_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/wmts"
	"github.com/tuiles/tuiles/tiling"
)

// tileQuery is a KVP GetTile query for world/WebMercatorQuad 1/0/1 in PNG,
// with the given parameters replaced (name, value pairs). The value omit
// removes the parameter; a name not in the base request is appended.
func tileQuery(overrides ...string) string {
	params := [][2]string{
		{"SERVICE", "WMTS"}, {"REQUEST", "GetTile"}, {"VERSION", "1.0.0"},
		{"LAYER", "world"}, {"STYLE", "default"}, {"FORMAT", "image/png"},
		{"TILEMATRIXSET", "WebMercatorQuad"}, {"TILEMATRIX", "1"}, {"TILEROW", "0"}, {"TILECOL", "1"},
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		found := false
		for j := range params {
			if params[j][0] == overrides[i] {
				params[j][1] = overrides[i+1]
				found = true
			}
		}
		if !found {
			params = append(params, [2]string{overrides[i], overrides[i+1]})
		}
	}
	var b strings.Builder
	b.WriteString("/wmts?")
	for _, p := range params {
		if p[1] == omit {
			continue
		}
		if b.Len() > len("/wmts?") {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1]))
	}
	return b.String()
}

const omit = "\x00omit"

// tileCase is one tile asked for both ways.
type tileCase struct {
	name                                      string
	layer, style, set, matrix, mediaType, ext string
	row, col                                  string
	want                                      tiling.Key
}

func (c tileCase) kvp() string {
	return tileQuery("LAYER", c.layer, "STYLE", c.style, "FORMAT", c.mediaType, "TILEMATRIXSET", c.set, "TILEMATRIX", c.matrix, "TILEROW", c.row, "TILECOL", c.col)
}

func (c tileCase) rest() string {
	style := c.style
	if style == "" {
		style = "default"
	}
	return "/wmts/1.0.0/" + url.PathEscape(c.layer) + "/" + style + "/" + c.set + "/" + url.PathEscape(c.matrix) + "/" + c.row + "/" + c.col + "." + c.ext
}

func TestGetTile(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	for _, c := range []tileCase{
		{"web mercator png", "world", "default", "WebMercatorQuad", "1", "image/png", "png", "0", "1", tiletest.Key("world", "WebMercatorQuad", "png", 1, 1, 0)},
		{"web mercator jpeg", "world", "default", "WebMercatorQuad", "2", "image/jpeg", "jpeg", "3", "2", tiletest.Key("world", "WebMercatorQuad", "jpeg", 2, 2, 3)},
		{"empty style is the default", "world", "", "WebMercatorQuad", "0", "image/png", "png", "0", "0", tiletest.Key("world", "WebMercatorQuad", "png", 0, 0, 0)},
		{"CRS84", "world", "default", "WorldCRS84Quad", "1", "image/png", "png", "1", "3", tiletest.Key("world", "WorldCRS84Quad", "png", 1, 3, 1)},
		{"LAMB93", "world", "default", "LAMB93", "3", "image/png", "png", "2", "1", tiletest.Key("world", "LAMB93", "png", 3, 1, 2)},
		{"EPSG:4326", "world", "default", "WorldEPSG4326", "2", "image/png", "png", "3", "7", tiletest.Key("world", "WorldEPSG4326", "png", 2, 7, 3)},
		// Matrix identifiers are not zoom numbers: "b" is the second
		// level. Rows count from the top even for a bottom-left origin.
		{"bottom-left set", "world", "default", "BottomLeftCRS84", "b", "image/png", "png", "0", "3", tiletest.Key("world", "BottomLeftCRS84", "png", 1, 3, 0)},
		{"france inside limits", "france", "default", "WebMercatorQuad", "2", "image/png", "png", "1", "2", tiletest.Key("france", "WebMercatorQuad", "png", 2, 2, 1)},
		{"france in PM", "france", "default", "PM", "3", "image/png", "png", "2", "4", tiletest.Key("france", "PM", "png", 3, 4, 2)},
		{"layer name to escape", oddName, "default", "WorldCRS84Quad", "1", "image/png", "png", "0", "0", tiletest.Key(oddName, "WorldCRS84Quad", "png", 1, 0, 0)},
		{"jpg alias", "world", "default", "WebMercatorQuad", "1", "image/jpeg", "jpg", "1", "1", tiletest.Key("world", "WebMercatorQuad", "jpeg", 1, 1, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			kvp := tiletest.Do(h, http.MethodGet, c.kvp())
			rest := tiletest.Do(h, http.MethodGet, c.rest())
			for _, w := range []*httptest.ResponseRecorder{kvp, rest} {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			if got, want := kvp.Body.String(), string(tiletest.TileData(c.want)); got != want {
				t.Errorf("KVP tile %q, want %q", got, want)
			}
			sameResponse(t, kvp, rest)
			if got := kvp.Header().Get("Content-Type"); got != c.mediaType {
				t.Errorf("Content-Type %q, want %s", got, c.mediaType)
			}
		})
	}
}

// sameResponse fails unless the two answers are byte-identical in status,
// body and the headers a cache or client acts on.
func sameResponse(t *testing.T, a, b *httptest.ResponseRecorder) {
	t.Helper()
	if a.Code != b.Code || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
		t.Errorf("responses differ: %d %q / %d %q", a.Code, a.Body, b.Code, b.Body)
	}
	for _, hd := range []string{"Content-Type", "Content-Encoding", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Vary"} {
		if a.Header().Get(hd) != b.Header().Get(hd) {
			t.Errorf("%s differs: %q / %q", hd, a.Header().Get(hd), b.Header().Get(hd))
		}
	}
}

func TestGetTileVectorGzip(t *testing.T) {
	h := newFixture(t).handler("")
	c := tileCase{layer: "roads", style: "default", set: "WebMercatorQuad", matrix: "3", mediaType: "application/vnd.mapbox-vector-tile", ext: "pbf", row: "2", col: "4"}
	want := tiletest.TileData(tiling.Key{Layer: "roads", TileMatrixSet: "WebMercatorQuad", Style: "default", Format: "pbf", Z: 3, Col: 4, Row: 2})
	for _, gz := range []bool{true, false} {
		var hdr []string
		if gz {
			hdr = []string{"Accept-Encoding", "gzip"}
		}
		kvp, rest := tiletest.Do(h, http.MethodGet, c.kvp(), hdr...), tiletest.Do(h, http.MethodGet, c.rest(), hdr...)
		sameResponse(t, kvp, rest)
		body := kvp.Body.Bytes()
		if gz {
			if kvp.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding %q", kvp.Header().Get("Content-Encoding"))
			}
			body = tiletest.Gunzip(t, body)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("gzip %v: body %q, want %q", gz, body, want)
		}
	}
	// A missing vector tile of a MissingEmpty layer is 204, both ways.
	c.matrix, c.row, c.col = "5", "0", "0"
	kvp, rest := tiletest.Do(h, http.MethodGet, c.kvp()), tiletest.Do(h, http.MethodGet, c.rest())
	sameResponse(t, kvp, rest)
	if kvp.Code != http.StatusNoContent {
		t.Errorf("missing vector tile: status %d", kvp.Code)
	}
}

func TestGetTileConditionalAndHead(t *testing.T) {
	h := newFixture(t).handler("")
	c := tileCase{layer: "world", style: "default", set: "WorldCRS84Quad", matrix: "2", mediaType: "image/png", ext: "png", row: "1", col: "5"}
	first := tiletest.Do(h, http.MethodGet, c.kvp())
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || first.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("status %d, ETag %q, Cache-Control %q", first.Code, etag, first.Header().Get("Cache-Control"))
	}
	for _, target := range []string{c.kvp(), c.rest()} {
		if w := tiletest.Do(h, http.MethodGet, target, "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("%s If-None-Match: status %d, %d bytes", target, w.Code, w.Body.Len())
		}
		if w := tiletest.Do(h, http.MethodGet, target, "If-None-Match", `"other"`); w.Code != http.StatusOK {
			t.Errorf("%s If-None-Match other: status %d", target, w.Code)
		}
		if w := tiletest.Do(h, http.MethodGet, target, "If-Modified-Since", tiletest.ModTime.Format(http.TimeFormat)); w.Code != http.StatusNotModified {
			t.Errorf("%s If-Modified-Since: status %d", target, w.Code)
		}
		w := tiletest.Do(h, http.MethodHead, target)
		if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("ETag") != etag || w.Header().Get("Content-Length") != first.Header().Get("Content-Length") {
			t.Errorf("%s HEAD: status %d, %d bytes, ETag %q, Content-Length %q", target, w.Code, w.Body.Len(), w.Header().Get("ETag"), w.Header().Get("Content-Length"))
		}
	}
}

func TestGetTileMissing(t *testing.T) {
	h := newFixture(t).handler("")
	// MissingEmpty: a blank tile, the same both ways.
	c := tileCase{layer: "sparse", style: "default", set: "WebMercatorQuad", matrix: "2", mediaType: "image/png", ext: "png", row: "1", col: "1"}
	kvp, rest := tiletest.Do(h, http.MethodGet, c.kvp()), tiletest.Do(h, http.MethodGet, c.rest())
	sameResponse(t, kvp, rest)
	if kvp.Code != http.StatusOK || !bytes.HasPrefix(kvp.Body.Bytes(), []byte("\x89PNG")) {
		t.Errorf("blank tile: status %d, %q", kvp.Code, kvp.Body.Bytes()[:min(8, kvp.Body.Len())])
	}
}

// recorder is a slog handler that keeps records, to count what is logged.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// TestGetTileInternalError checks that a storage failure is a 500 that
// tells the client nothing of the server, and is logged once with its
// cause.
func TestGetTileInternalError(t *testing.T) {
	fx := newFixture(t)
	rec := &recorder{}
	h := wmts.NewHandler(wmts.Options{Catalog: fx.live, Logger: slog.New(rec)})
	c := tileCase{layer: "broken", style: "default", set: "WebMercatorQuad", matrix: "1", mediaType: "image/png", ext: "png", row: "0", col: "0"}
	for _, target := range []string{c.kvp(), c.rest()} {
		rec.records = nil
		w := tiletest.Do(h, http.MethodGet, target)
		checkException(t, w, http.StatusInternalServerError, ows.CodeNoApplicableCode, "")
		if strings.Contains(w.Body.String(), "sqlite") || strings.Contains(w.Body.String(), "/srv/secret") {
			t.Errorf("the cause leaks to the client: %s", w.Body)
		}
		if len(rec.records) != 1 || rec.records[0].Level != slog.LevelError {
			t.Fatalf("%d log records, want one error", len(rec.records))
		}
		var cause string
		rec.records[0].Attrs(func(a slog.Attr) bool {
			if a.Key == "err" {
				cause = a.Value.String()
			}
			return true
		})
		if !strings.Contains(cause, errStorage.Error()) {
			t.Errorf("logged err %q does not carry the cause", cause)
		}
	}
}

// TestGetTileContext checks that the request's context reaches the
// provider: a cancelled request stops there.
func TestGetTileContext(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := tiletest.NewRequest(http.MethodGet, tileQuery()).WithContext(ctx)
	w := httptest.NewRecorder()
	calls := fx.providers["world"].Calls.Load()
	h.ServeHTTP(w, r)
	if fx.providers["world"].Calls.Load() != calls+1 {
		t.Fatal("the provider was not asked")
	}
	checkException(t, w, http.StatusServiceUnavailable, ows.CodeNoApplicableCode, "")
}

func TestNoCatalog(t *testing.T) {
	h := wmts.NewHandler(wmts.Options{})
	for _, target := range []string{"/wmts/1.0.0/WMTSCapabilities.xml", tileQuery()} {
		checkException(t, tiletest.Do(h, http.MethodGet, target), http.StatusServiceUnavailable, ows.CodeNoApplicableCode, "")
	}
}
