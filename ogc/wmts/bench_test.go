package wmts_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetTileREST measures the handler's own cost on a RESTful tile
// request: path parsing, catalog lookups and the shared responder, with an
// in-memory provider so storage does not count.
func BenchmarkGetTileREST(b *testing.B) {
	h := newFixture(b).handler("")
	r := newRequest(http.MethodGet, "/wmts/1.0.0/world/default/WebMercatorQuad/2/1/3.png")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkGetTileKVP is the same tile through the KVP encoding.
func BenchmarkGetTileKVP(b *testing.B) {
	h := newFixture(b).handler("")
	r := newRequest(http.MethodGet, tileQuery("TILEMATRIX", "2", "TILEROW", "1", "TILECOL", "3"))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
