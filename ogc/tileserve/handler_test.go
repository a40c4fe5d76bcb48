package tileserve

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestHandlerOptionsWithDefaults(t *testing.T) {
	o := HandlerOptions{PublicURL: "https://example.org/"}.WithDefaults()
	if o.Logger == nil || o.Tiles == nil || o.PublicURL != "https://example.org/" || o.Catalog != nil {
		t.Errorf("defaults: %+v", o)
	}
	log, tiles := slog.New(slog.DiscardHandler), New(nil)
	o = HandlerOptions{Logger: log, Tiles: tiles}.WithDefaults()
	if o.Logger != log || o.Tiles != tiles {
		t.Errorf("the given Logger and Tiles were replaced")
	}
}

func TestWriteDocument(t *testing.T) {
	body := []byte(`{"tilejson":"3.0.0"}`)
	serve := func(method string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/tiles.json", nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		WriteDocument(w, r, "application/json", body)
		return w
	}
	w := serve(http.MethodGet)
	h := w.Header()
	if w.Code != http.StatusOK || w.Body.String() != string(body) {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
	if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-cache" || h.Get("ETag") != ETag(body) {
		t.Errorf("headers %v", h)
	}
	if w := serve(http.MethodGet, "If-None-Match", ETag(body)); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %q", w.Code, w.Body)
	}
	if w := serve(http.MethodHead); w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("HEAD: %d %v", w.Code, w.Header())
	}
}
