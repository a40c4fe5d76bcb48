package tileserve

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"image"
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/tiling"
)

type ctxKey struct{}

// stubProvider answers from a map; missing keys are ErrNotFound unless err
// is set. It records the context value under ctxKey it was called with.
type stubProvider struct {
	tiles map[tiling.Key]tiling.Tile
	err   error
	calls atomic.Int64
	seen  atomic.Value
}

func (p *stubProvider) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	p.calls.Add(1)
	if v := ctx.Value(ctxKey{}); v != nil {
		p.seen.Store(v)
	}
	if p.err != nil {
		return tiling.Tile{}, p.err
	}
	t, ok := p.tiles[k]
	if !ok {
		return tiling.Tile{}, tiling.ErrNotFound
	}
	return t, nil
}

var layerModTime = time.Date(2023, 3, 4, 5, 6, 7, 0, time.UTC)

func testLayer(t *testing.T, p tiling.Provider, missing catalog.MissingTile, tileSize int) (*catalog.Layer, *catalog.Tileset) {
	t.Helper()
	set, err := tiling.Builtin("WebMercatorQuad")
	if err != nil {
		t.Fatal(err)
	}
	for i := range set.Matrices {
		set.Matrices[i].TileWidth, set.Matrices[i].TileHeight = tileSize, tileSize
	}
	// Limits: the north-west quarter of the world, zooms 1 to 4.
	b := set.Bounds()
	ts := tiletest.Tileset(t, set, 1, 4, tiling.Bounds{MinX: b.MinX, MinY: 1, MaxX: -1, MaxY: b.MaxY}, p)
	l := &catalog.Layer{
		Name: "l", Formats: []tiling.Format{tiling.PNG}, Tilesets: []*catalog.Tileset{ts},
		Missing: missing, Background: [3]uint8{200, 100, 50}, ModTime: layerModTime,
	}
	return l, ts
}

func key(z, col, row int, f tiling.Format) tiling.Key {
	return tiling.Key{Layer: "l", TileMatrixSet: "WebMercatorQuad", Z: z, Col: col, Row: row, Format: f.Name, Style: "default"}
}

func TestFetchStoredTiles(t *testing.T) {
	k := key(2, 1, 1, tiling.PNG)
	kTyped := key(2, 0, 0, tiling.PNG)
	stored := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &stubProvider{tiles: map[tiling.Key]tiling.Tile{
		k:      {Data: []byte("plain"), ModTime: stored},
		kTyped: {Data: []byte("typed"), ContentType: "image/png; mode=8bit", ETag: `"given"`},
	}}
	l, ts := testLayer(t, p, catalog.MissingEmpty, 256)
	s := New(nil)

	ctx := context.WithValue(context.Background(), ctxKey{}, "request")
	got, err := s.Fetch(ctx, l, ts, k, tiling.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "plain" || got.ContentType != "image/png" || got.ETag != ETag([]byte("plain")) || !got.ModTime.Equal(stored) {
		t.Errorf("%+v", got)
	}
	if p.seen.Load() != "request" {
		t.Errorf("the provider did not get the request context")
	}

	got, err = s.Fetch(context.Background(), l, ts, kTyped, tiling.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentType != "image/png; mode=8bit" || got.ETag != `"given"` {
		t.Errorf("provider values overridden: %+v", got)
	}
}

func TestFetchRanges(t *testing.T) {
	p := &stubProvider{tiles: map[tiling.Key]tiling.Tile{}}
	l, ts := testLayer(t, p, catalog.MissingEmpty, 256)
	s := New(nil)
	tests := []struct {
		name string
		k    tiling.Key
	}{
		{"negative zoom", key(-1, 0, 0, tiling.PNG)},
		{"zoom past the set", key(25, 0, 0, tiling.PNG)},
		{"negative column", key(2, -1, 0, tiling.PNG)},
		{"column past the matrix", key(2, 4, 0, tiling.PNG)},
		{"row past the matrix", key(2, 0, 4, tiling.PNG)},
		{"below the layer's zooms", key(0, 0, 0, tiling.PNG)},
		{"above the layer's zooms", key(5, 0, 0, tiling.PNG)},
		{"east of the limits", key(2, 2, 0, tiling.PNG)},
		{"south of the limits", key(2, 0, 2, tiling.PNG)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Fetch(context.Background(), l, ts, tt.k, tiling.PNG)
			if !errors.Is(err, tiling.ErrOutOfRange) {
				t.Errorf("err = %v", err)
			}
		})
	}
	if n := p.calls.Load(); n != 0 {
		t.Errorf("the provider was asked %d times for tiles out of range", n)
	}
}

func TestFetchMissing(t *testing.T) {
	tests := []struct {
		name     string
		missing  catalog.MissingTile
		format   tiling.Format
		size     int
		wantErr  error
		wantData bool
		pixel    color.NRGBA
	}{
		{"png", catalog.MissingEmpty, tiling.PNG, 256, nil, true, color.NRGBA{}},
		{"png 512", catalog.MissingEmpty, tiling.PNG, 512, nil, true, color.NRGBA{}},
		{"jpeg", catalog.MissingEmpty, tiling.JPEG, 256, nil, true, color.NRGBA{200, 100, 50, 255}},
		{"webp", catalog.MissingEmpty, tiling.WebP, 256, nil, true, color.NRGBA{}},
		{"pbf", catalog.MissingEmpty, tiling.MVT, 256, nil, false, color.NRGBA{}},
		{"png not found", catalog.MissingNotFound, tiling.PNG, 256, tiling.ErrNotFound, false, color.NRGBA{}},
		{"pbf not found", catalog.MissingNotFound, tiling.MVT, 256, tiling.ErrNotFound, false, color.NRGBA{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ts := testLayer(t, &stubProvider{}, tt.missing, tt.size)
			s := New(nil)
			lim, _ := ts.Limit(3)
			k := key(3, lim.MinCol, lim.MinRow, tt.format)
			got, err := s.Fetch(context.Background(), l, ts, k, tt.format)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ContentType != tt.format.MediaType || !got.ModTime.Equal(layerModTime) {
				t.Errorf("ContentType %q ModTime %v", got.ContentType, got.ModTime)
			}
			if !tt.wantData {
				if len(got.Data) != 0 {
					t.Errorf("%d bytes for a missing vector tile", len(got.Data))
				}
				return
			}
			if got.ETag != ETag(got.Data) {
				t.Errorf("ETag %s", got.ETag)
			}
			img, _, err := image.Decode(bytes.NewReader(got.Data))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tt.size || b.Dy() != tt.size {
				t.Errorf("size %v", b)
			}
			px := color.NRGBAModel.Convert(img.At(tt.size/2, tt.size/2)).(color.NRGBA)
			if !close(px, tt.pixel, 3) {
				t.Errorf("pixel %v, want %v", px, tt.pixel)
			}
			// The blank is cached: the same bytes come back.
			again, err := s.Fetch(context.Background(), l, ts, key(3, lim.MaxCol, lim.MaxRow, tt.format), tt.format)
			if err != nil || &again.Data[0] != &got.Data[0] {
				t.Errorf("blank tile not reused (%v)", err)
			}
		})
	}
}

func TestFetchProviderFailure(t *testing.T) {
	cause := errors.New("disk on fire")
	l, ts := testLayer(t, &stubProvider{err: cause}, catalog.MissingEmpty, 256)
	_, err := New(nil).Fetch(context.Background(), l, ts, key(2, 1, 1, tiling.PNG), tiling.PNG)
	if !errors.Is(err, cause) || errors.Is(err, tiling.ErrNotFound) || errors.Is(err, tiling.ErrOutOfRange) {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "layer l tile 2/1/1") {
		t.Errorf("no context in %q", err)
	}
}

// TestFetchConcurrentBlanks runs under -race: the blank cache is shared.
func TestFetchConcurrentBlanks(t *testing.T) {
	l, ts := testLayer(t, &stubProvider{}, catalog.MissingEmpty, 256)
	s := New(nil)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := []tiling.Format{tiling.PNG, tiling.JPEG, tiling.WebP, tiling.MVT}[i%4]
			if _, err := s.Fetch(context.Background(), l, ts, key(2, 0, 1, f), f); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func serve(t *testing.T, tile tiling.Tile, maxAge time.Duration, method string, header ...string) (*httptest.ResponseRecorder, error) {
	t.Helper()
	r := httptest.NewRequest(method, "/tile", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	err := Write(w, r, tile, maxAge)
	return w, err
}

func TestWrite(t *testing.T) {
	modTime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	plain := tiling.Tile{Data: []byte("PNGDATA"), ContentType: "image/png", ETag: ETag([]byte("PNGDATA")), ModTime: modTime}

	w, err := serve(t, plain, 90*time.Second, "GET")
	if err != nil {
		t.Fatal(err)
	}
	h := w.Header()
	if w.Code != 200 || w.Body.String() != "PNGDATA" || h.Get("Content-Type") != "image/png" || h.Get("ETag") != plain.ETag ||
		h.Get("Cache-Control") != "public, max-age=90" || h.Get("Last-Modified") != modTime.Format(http.TimeFormat) ||
		h.Get("Content-Length") != "7" || h.Get("Vary") != "" || h.Get("Content-Encoding") != "" {
		t.Errorf("%d %v %q", w.Code, h, w.Body)
	}

	tests := []struct {
		name    string
		tile    tiling.Tile
		maxAge  time.Duration
		method  string
		header  []string
		status  int
		body    string
		cc      string
		headers map[string]string
	}{
		{"If-None-Match", plain, time.Minute, "GET", []string{"If-None-Match", plain.ETag}, 304, "", "public, max-age=60", nil},
		{"If-None-Match weak", plain, time.Minute, "GET", []string{"If-None-Match", "W/" + plain.ETag}, 304, "", "public, max-age=60", nil},
		{"If-None-Match other", plain, time.Minute, "GET", []string{"If-None-Match", `"nope"`}, 200, "PNGDATA", "public, max-age=60", nil},
		{"If-Modified-Since", plain, time.Minute, "GET", []string{"If-Modified-Since", modTime.Format(http.TimeFormat)}, 304, "", "public, max-age=60", nil},
		{"HEAD", plain, time.Minute, "HEAD", nil, 200, "", "public, max-age=60", map[string]string{"Content-Length": "7", "ETag": plain.ETag}},
		{"Range", plain, time.Minute, "GET", []string{"Range", "bytes=0-2"}, 206, "PNG", "public, max-age=60", nil},
		{"zero max-age", plain, 0, "GET", nil, 200, "PNGDATA", "public, max-age=0", nil},
		{"negative max-age", plain, -time.Hour, "GET", nil, 200, "PNGDATA", "public, max-age=0", nil},
		{"no content", tiling.Tile{ContentType: tiling.MVT.MediaType}, time.Hour, "GET", nil, 204, "", "public, max-age=3600",
			map[string]string{"Content-Type": tiling.MVT.MediaType, "ETag": ""}},
		{"no content HEAD", tiling.Tile{ContentType: tiling.MVT.MediaType}, time.Hour, "HEAD", nil, 204, "", "public, max-age=3600", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := serve(t, tt.tile, tt.maxAge, tt.method, tt.header...)
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status || w.Body.String() != tt.body || w.Header().Get("Cache-Control") != tt.cc {
				t.Errorf("%d %q %v", w.Code, w.Body, w.Header())
			}
			for k, v := range tt.headers {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestWriteGzip(t *testing.T) {
	raw := []byte("vector tile bytes")
	stored := tiling.Tile{Data: tiletest.Gzip(raw), ContentEncoding: "gzip", ContentType: tiling.MVT.MediaType}
	stored.ETag = ETag(stored.Data)

	w, err := serve(t, stored, time.Hour, "GET", "Accept-Encoding", "gzip, br")
	if err != nil {
		t.Fatal(err)
	}
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("ETag") != stored.ETag || w.Header().Get("Vary") != "Accept-Encoding" ||
		!bytes.Equal(w.Body.Bytes(), stored.Data) {
		t.Errorf("gzip: %v", w.Header())
	}

	w, err = serve(t, stored, time.Hour, "GET", "Accept-Encoding", "gzip;q=0")
	if err != nil {
		t.Fatal(err)
	}
	identity := w.Header().Get("ETag")
	if w.Header().Get("Content-Encoding") != "" || !bytes.Equal(w.Body.Bytes(), raw) || identity == stored.ETag || identity == "" ||
		w.Header().Get("Vary") != "Accept-Encoding" || w.Header().Get("Content-Length") != "17" {
		t.Errorf("identity: %v %q", w.Header(), w.Body)
	}
	if w, _ := serve(t, stored, time.Hour, "GET", "If-None-Match", identity); w.Code != 304 || w.Header().Get("Content-Encoding") != "" {
		t.Errorf("identity 304: %d %v", w.Code, w.Header())
	}
	if w, _ := serve(t, stored, time.Hour, "GET", "Accept-Encoding", "gzip", "If-None-Match", stored.ETag); w.Code != 304 || w.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip 304: %d %v", w.Code, w.Header())
	}
	if w, _ := serve(t, stored, time.Hour, "GET", "Accept-Encoding", "gzip", "If-None-Match", identity); w.Code != 200 {
		t.Errorf("gzip with the identity ETag: %d", w.Code)
	}

	// A broken cache entry is an error for the caller to report; nothing
	// has been sent yet.
	broken := tiling.Tile{Data: []byte("not gzip"), ContentEncoding: "gzip", ContentType: tiling.MVT.MediaType, ETag: `"b"`}
	w, err = serve(t, broken, time.Hour, "GET")
	if err == nil || w.Body.Len() != 0 {
		t.Errorf("broken gzip: err %v, body %q", err, w.Body)
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZip"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"deflate, gzip"}, true},
		{[]string{"gzip;q=0.5"}, true},
		{[]string{"gzip; q=1"}, true},
		{[]string{"*"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"identity"}, false},
		{[]string{"br, deflate"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip;q=0.0"}, false},
		{[]string{"gzip;q=0.000"}, false},
		{[]string{"gzip ; q = 0"}, false},
		{[]string{"*;q=0"}, false},
		{[]string{"*;q=0, gzip"}, true},
		{[]string{"gzip, *;q=0"}, true},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"*, gzip;q=0"}, false},
		{[]string{"gzip;q=bogus"}, true},
		{[]string{"gzipped"}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		for _, v := range tt.header {
			r.Header.Add("Accept-Encoding", v)
		}
		if got := acceptsGzip(r); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestETag(t *testing.T) {
	a, b := ETag([]byte("a")), ETag([]byte("b"))
	if a == b || a != ETag([]byte("a")) || !strings.HasPrefix(a, `"`) || !strings.HasSuffix(a, `"`) || len(a) != 34 {
		t.Errorf("%s %s", a, b)
	}
}

func TestGunzipLimit(t *testing.T) {
	// Stream the zeros through a fast compressor rather than building
	// 64 MiB in memory; the result is a few hundred kilobytes.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	chunk := make([]byte, 1<<20)
	for n := 0; n <= maxTileSize; n += len(chunk) {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	huge := buf.Bytes()
	if _, err := gunzip(huge); err == nil {
		t.Error("no error for a decompression bomb")
	}
	out, err := gunzip(tiletest.Gzip([]byte("ok")))
	if err != nil || string(out) != "ok" {
		t.Errorf("%q %v", out, err)
	}
}
