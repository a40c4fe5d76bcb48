package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/syncbuf"
	"github.com/tuiles/tuiles/tiling"
)

type noTiles struct{}

func (noTiles) Tile(context.Context, tiling.Key) (tiling.Tile, error) {
	return tiling.Tile{}, tiling.ErrNotFound
}

func testCatalog(t *testing.T, title string) *catalog.Catalog {
	t.Helper()
	set, err := tiling.Builtin("WebMercatorQuad")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := catalog.NewTileset(set, 0, 5, set.Bounds(), noTiles{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(catalog.Service{Title: "Test <server>"}, []*catalog.Layer{{
		Name:     "countries",
		Title:    title,
		Bounds:   crs.Bounds{MinX: -180, MinY: -85, MaxX: 180, MaxY: 85},
		Formats:  []tiling.Format{tiling.PNG},
		Tilesets: []*catalog.Tileset{ts},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// bigXML is long enough to be worth compressing.
var bigXML = `<?xml version="1.0"?><Capabilities>` + strings.Repeat("<Layer><Title>countries</Title></Layer>", 50) + `</Capabilities>`

// gzipped compresses s.
func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakeProtocols stands for the WMTS, TMS and XYZ handlers.
func fakeProtocols(t *testing.T) http.Handler {
	tile := gzipped(t, strings.Repeat("vector tile ", 100))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/wmts", "/wmts/1.0.0/WMTSCapabilities.xml":
			w.Header().Set("Content-Type", "application/xml")
			w.Header().Set("ETag", `"caps1"`)
			http.ServeContent(w, r, "", time.Time{}, strings.NewReader(bigXML))
		case "/tiles/countries/WebMercatorQuad/0/0/0.pbf":
			w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(tile)
		case "/tiles/countries/WebMercatorQuad/0/0/0.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 200))
		case "/tiles/panic":
			panic("boom")
		case "/tiles/panic-late":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("partial"))
			http.NewResponseController(w).Flush()
			panic("late boom")
		case "/tiles/request-id":
			_, _ = io.WriteString(w, RequestID(r.Context()))
		default:
			http.NotFound(w, r)
		}
	})
}

func newTestServer(t *testing.T, o Options) (*Server, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if o.Catalog == nil {
		o.Catalog = catalog.NewLive(testCatalog(t, "Countries"))
	}
	p := fakeProtocols(t)
	o.WMTS, o.TMS, o.XYZ = p, p, p
	return New(o), logs
}

func do(h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRoutes(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	tests := []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"healthz", "GET", "/healthz", 200, "ok"},
		{"healthz HEAD", "HEAD", "/healthz", 200, ""},
		{"readyz", "GET", "/readyz", 200, "ready"},
		{"index", "GET", "/", 200, ""},
		{"unknown path", "GET", "/nope", 404, ""},
		{"index is exact", "GET", "/index.html", 404, ""},
		{"prefix lookalike", "GET", "/wmtsx", 404, ""},
		{"metrics not mounted", "GET", "/metrics", 404, ""},
		{"wmts kvp", "GET", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", 200, ""},
		{"wmts rest", "GET", "/wmts/1.0.0/WMTSCapabilities.xml", 200, ""},
		{"healthz POST", "POST", "/healthz", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(s.Handler(), tt.method, tt.path, nil)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (body %q)", w.Code, tt.status, w.Body.String())
			}
			if tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body.String(), tt.body)
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name   string
		src    catalog.Source
		status int
	}{
		{"no source", nil, 503},
		{"no catalog yet", catalog.NewLive(nil), 503},
		{"loaded", catalog.NewLive(testCatalog(t, "x")), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Catalog: tt.src})
			if w := do(s.Handler(), "GET", "/readyz", nil); w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if tt.src == nil {
				// Not mounted protocols are plain 404s.
				if w := do(s.Handler(), "GET", "/tiles/x", nil); w.Code != 404 {
					t.Errorf("unmounted /tiles/: status %d, want 404", w.Code)
				}
			}
		})
	}
}

func TestIndex(t *testing.T) {
	s, _ := newTestServer(t, Options{
		Catalog:   catalog.NewLive(testCatalog(t, `<script>alert("x")</script> & co`)),
		PublicURL: "https://maps.example.org/",
	})
	w := do(s.Handler(), "GET", "/", nil)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	body := w.Body.String()
	for _, want := range []string{
		"Test &lt;server&gt;",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co",
		"<code class=\"muted\">countries</code>",
		"WebMercatorQuad",
		"0–5",
		"png",
		"-180.0000, -85.0000, 180.0000, 85.0000",
		`href="https://maps.example.org/wmts/1.0.0/WMTSCapabilities.xml"`,
		`href="https://maps.example.org/tms/1.0.0/countries/WebMercatorQuad"`,
		`href="https://maps.example.org/tiles/countries/WebMercatorQuad/tiles.json"`,
		`href="https://maps.example.org/tiles/countries/WebMercatorQuad/0/0/0.png"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("index page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("index page carries an unescaped <script>")
	}

	// Without a public URL, links follow the request's host.
	s2, _ := newTestServer(t, Options{})
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "tiles.local:8080"
	w2 := httptest.NewRecorder()
	s2.Handler().ServeHTTP(w2, r)
	if !strings.Contains(w2.Body.String(), `href="http://tiles.local:8080/tiles/countries/WebMercatorQuad/tiles.json"`) {
		t.Errorf("links do not use the request host:\n%s", w2.Body.String())
	}
}

func TestIndexNotReady(t *testing.T) {
	s := New(Options{Catalog: catalog.NewLive(nil)})
	w := do(s.Handler(), "GET", "/", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "No catalog is loaded") {
		t.Errorf("status %d body %q", w.Code, w.Body.String())
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		name       string
		origins    []string
		method     string
		header     map[string]string
		status     int
		wantOrigin string
		wantVary   bool
		preflight  bool
	}{
		{"default allows all", nil, "GET", map[string]string{"Origin": "https://a.example"}, 200, "*", false, false},
		{"no Origin still tagged", nil, "GET", nil, 200, "*", false, false},
		{"listed origin", []string{"https://a.example"}, "GET", map[string]string{"Origin": "https://a.example"}, 200, "https://a.example", true, false},
		{"other origin", []string{"https://a.example"}, "GET", map[string]string{"Origin": "https://evil.example"}, 200, "", true, false},
		{"disabled", []string{}, "GET", map[string]string{"Origin": "https://a.example"}, 200, "", false, false},
		{"preflight", nil, "OPTIONS", map[string]string{"Origin": "https://a.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-custom, if-none-match"}, 204, "*", false, true},
		{"preflight of another origin", []string{"https://a.example"}, "OPTIONS", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}, 204, "", true, false},
		{"plain OPTIONS", nil, "OPTIONS", nil, 204, "*", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{CORSOrigins: tt.origins})
			w := do(s.Handler(), tt.method, "/wmts/1.0.0/WMTSCapabilities.xml", tt.header)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			h := w.Header()
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Allow-Origin %q, want %q", got, tt.wantOrigin)
			}
			if tt.wantOrigin != "" {
				expose := h.Get("Access-Control-Expose-Headers")
				for _, name := range []string{"ETag", "Content-Length", "X-Request-ID"} {
					if !strings.Contains(expose, name) {
						t.Errorf("Expose-Headers %q lacks %s", expose, name)
					}
				}
			}
			if got := strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin"); got != tt.wantVary {
				t.Errorf("Vary %q: Origin present %v, want %v", h.Values("Vary"), got, tt.wantVary)
			}
			if tt.method == "OPTIONS" && h.Get("Allow") != "GET, HEAD, OPTIONS" {
				t.Errorf("Allow %q", h.Get("Allow"))
			}
			if tt.preflight {
				if got := h.Get("Access-Control-Allow-Methods"); got != "GET, HEAD, OPTIONS" {
					t.Errorf("Allow-Methods %q", got)
				}
				allow := h.Get("Access-Control-Allow-Headers")
				if !strings.Contains(allow, "x-custom") || !strings.Contains(allow, "If-None-Match") {
					t.Errorf("Allow-Headers %q", allow)
				}
				if h.Get("Access-Control-Max-Age") == "" {
					t.Error("no Max-Age")
				}
			} else if h.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("Allow-Methods on a non-preflight answer")
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	w := do(s.Handler(), "GET", "/tiles/request-id", nil)
	id := w.Header().Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("generated id %q", id)
	}
	if w.Body.String() != id {
		t.Errorf("handler saw id %q, response says %q", w.Body.String(), id)
	}
	if !strings.Contains(logs.String(), "request_id="+id) {
		t.Errorf("access log lacks the id:\n%s", logs.String())
	}
	if w2 := do(s.Handler(), "GET", "/tiles/request-id", nil); w2.Header().Get("X-Request-ID") == id {
		t.Error("two requests got the same id")
	}

	w = do(s.Handler(), "GET", "/tiles/request-id", map[string]string{"X-Request-ID": "abc-123"})
	if got := w.Header().Get("X-Request-ID"); got != "abc-123" || w.Body.String() != "abc-123" {
		t.Errorf("given id not echoed: header %q body %q", got, w.Body.String())
	}
	w = do(s.Handler(), "GET", "/healthz", map[string]string{"X-Request-ID": "bad id\" injected=1"})
	if got := w.Header().Get("X-Request-ID"); len(got) != 32 {
		t.Errorf("hostile id kept: %q", got)
	}
}

func TestAccessLog(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	do(s.Handler(), "GET", "/healthz?probe=1", nil)
	line := logs.String()
	for _, want := range []string{"msg=request", "method=GET", "path=/healthz", "status=200", "bytes=2", "duration=", `query="probe=1"`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log lacks %q:\n%s", want, line)
		}
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestCompression(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := s.Handler()
	gz := map[string]string{"Accept-Encoding": "gzip, deflate, br"}

	t.Run("xml compressed", func(t *testing.T) {
		w := do(h, "GET", "/wmts/1.0.0/WMTSCapabilities.xml", gz)
		if w.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q", w.Header().Get("Content-Encoding"))
		}
		if got := gunzip(t, w.Body.Bytes()); got != bigXML {
			t.Error("decompressed body differs")
		}
		if w.Header().Get("Content-Length") != "" || w.Header().Get("Accept-Ranges") != "" {
			t.Errorf("Content-Length %q Accept-Ranges %q left on a compressed answer", w.Header().Get("Content-Length"), w.Header().Get("Accept-Ranges"))
		}
		if got := w.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("Vary %q", got)
		}
		if got := w.Header().Get("ETag"); got != `W/"caps1"` {
			t.Errorf("ETag %q, want the weak form", got)
		}
	})
	t.Run("weak ETag still revalidates", func(t *testing.T) {
		w := do(h, "GET", "/wmts/1.0.0/WMTSCapabilities.xml", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": `W/"caps1"`})
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("status %d, body %d bytes", w.Code, w.Body.Len())
		}
		if w.Header().Get("Content-Encoding") != "" {
			t.Error("304 carries Content-Encoding")
		}
		if got := w.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("304 Vary %q", got)
		}
	})
	t.Run("not without Accept-Encoding", func(t *testing.T) {
		w := do(h, "GET", "/wmts/1.0.0/WMTSCapabilities.xml", nil)
		if w.Header().Get("Content-Encoding") != "" || w.Body.String() != bigXML {
			t.Error("compressed for a client that did not ask")
		}
		if got := w.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("Vary %q", got)
		}
	})
	t.Run("not when refused", func(t *testing.T) {
		w := do(h, "GET", "/wmts/1.0.0/WMTSCapabilities.xml", map[string]string{"Accept-Encoding": "gzip;q=0, *"})
		if w.Header().Get("Content-Encoding") != "" {
			t.Error("compressed although gzip;q=0")
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		w := do(h, "HEAD", "/wmts/1.0.0/WMTSCapabilities.xml", gz)
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || w.Body.Len() != 0 {
			t.Errorf("status %d, Content-Encoding %q, body %d bytes", w.Code, w.Header().Get("Content-Encoding"), w.Body.Len())
		}
	})
	t.Run("stored gzip tile passes untouched", func(t *testing.T) {
		w := do(h, "GET", "/tiles/countries/WebMercatorQuad/0/0/0.pbf", gz)
		if w.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q", w.Header().Get("Content-Encoding"))
		}
		// One gunzip gives the tile: it was not compressed twice.
		if got := gunzip(t, w.Body.Bytes()); got != strings.Repeat("vector tile ", 100) {
			t.Error("tile was compressed a second time")
		}
	})
	t.Run("images untouched", func(t *testing.T) {
		w := do(h, "GET", "/tiles/countries/WebMercatorQuad/0/0/0.png", gz)
		if w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" {
			t.Errorf("PNG got Content-Encoding %q, Vary %q", w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
		}
	})
	t.Run("errors untouched", func(t *testing.T) {
		w := do(h, "GET", "/nope", gz)
		if w.Code != 404 || w.Header().Get("Content-Encoding") != "" {
			t.Errorf("status %d, Content-Encoding %q", w.Code, w.Header().Get("Content-Encoding"))
		}
	})
	t.Run("small answers untouched", func(t *testing.T) {
		w := do(h, "GET", "/healthz", gz)
		if w.Header().Get("Content-Encoding") != "" || w.Body.String() != "ok" {
			t.Errorf("Content-Encoding %q body %q", w.Header().Get("Content-Encoding"), w.Body.String())
		}
	})
	t.Run("index page", func(t *testing.T) {
		w := do(h, "GET", "/", gz)
		if w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gunzip(t, w.Body.Bytes()), "<!DOCTYPE html>") {
			t.Errorf("index not compressed: Content-Encoding %q", w.Header().Get("Content-Encoding"))
		}
	})
}

func TestRecover(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	w := do(s.Handler(), "GET", "/tiles/panic", map[string]string{"Accept-Encoding": "gzip", "Origin": "https://a.example"})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("the 500 lost its CORS header, so browsers cannot read it")
	}
	if w.Header().Get("X-Request-ID") == "" {
		t.Error("the 500 lost its request id")
	}
	out := logs.String()
	for _, want := range []string{"panic serving request", "panic=boom", "stack=", "server_test.go", "status=500"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	// The server goes on.
	if w := do(s.Handler(), "GET", "/healthz", nil); w.Code != 200 {
		t.Errorf("after a panic: status %d", w.Code)
	}
}

func TestRecoverAfterWrite(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/tiles/panic-late")
	if err == nil {
		// The status line went out before the panic, so the client sees
		// a cut body rather than a complete answer.
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a response cut by a panic read as complete")
	}
	resp, err = http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after a panic: status %d", resp.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "late boom") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "late boom") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
}

func TestServeAndShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	s := New(Options{Catalog: catalog.NewLive(testCatalog(t, "x")), XYZ: slow, ShutdownTimeout: 5 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	type result struct {
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/tiles/slow")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		inflight <- result{string(b), err}
	}()
	<-started
	cancel()
	// Shutdown waits for the request in flight.
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-inflight; r.err != nil || r.body != "finished" {
		t.Errorf("request in flight: %q, %v", r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still answering after shutdown")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	s := New(Options{Listen: "256.0.0.1:bad"})
	if err := s.ListenAndServe(context.Background()); err == nil {
		t.Error("no error for a bad address")
	}
}

func TestShutdownDeadline(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	started := make(chan struct{})
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-block
	})
	s := New(Options{XYZ: stuck, ShutdownTimeout: 50 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/tiles/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve: %v, want a deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up on the stuck request")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"deflate, gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"br", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", tt.header)
		if got := acceptsGzip(r); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.header, got, tt.want)
		}
	}
}

// A body announced larger than MaxBodyBytes is refused unread; one that
// grows past it while read (no Content-Length) fails the handler's read.
func TestBodyLimit(t *testing.T) {
	var readErr error
	var read int
	s, _ := newTestServer(t, Options{MaxBodyBytes: 100,
		WFS: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			read, readErr = len(b), err
			if err != nil {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
			}
		})})
	r := httptest.NewRequest(http.MethodPost, "/wfs", strings.NewReader(strings.Repeat("x", 101)))
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || read != 0 {
		t.Errorf("announced 101 bytes: status %d, handler read %d", w.Code, read)
	}
	r = httptest.NewRequest(http.MethodPost, "/wfs", io.MultiReader(strings.NewReader(strings.Repeat("x", 1000))))
	r.ContentLength = -1
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) || read > 100 {
		t.Errorf("unannounced 1000 bytes: handler read %d, err %v", read, readErr)
	}
	r = httptest.NewRequest(http.MethodPost, "/wfs", strings.NewReader(strings.Repeat("x", 100)))
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK || read != 100 || readErr != nil {
		t.Errorf("100 bytes: status %d, read %d, err %v", w.Code, read, readErr)
	}
}

// Access keys never reach a log line, whatever their spelling.
func TestAccessKeysNotLogged(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	do(s.Handler(), "GET", "/healthz?probe=1&apikey=SECRETKEY1&APIKEY=SECRETKEY2", nil)
	do(s.Handler(), "GET", "/healthz?ApiKey=SECRETKEY3", map[string]string{"X-API-Key": "SECRETKEY4"})
	out := logs.String()
	if strings.Contains(out, "SECRETKEY") {
		t.Errorf("a key reached the log:\n%s", out)
	}
	if !strings.Contains(out, "apikey=redacted") || !strings.Contains(out, "probe=1") {
		t.Errorf("the query is not logged redacted:\n%s", out)
	}
}
