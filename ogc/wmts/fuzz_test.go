package wmts_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
)

// fuzzHandler is the fixture's handler with the broken store repaired, so
// that any 5xx the fuzzer finds is the handler's fault.
func fuzzHandler(f *testing.F) http.Handler {
	fx := newFixture(f)
	fx.providers["broken"].Err = nil
	return fx.handler("")
}

// checkFuzzResponse holds for every answer: no server error, and every
// refusal is an OWS exception report a client can read.
func checkFuzzResponse(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 && w.Code != http.StatusNotImplemented {
		t.Fatalf("%s: status %d: %s", what, w.Code, w.Body)
	}
	if w.Code < 300 || w.Code == http.StatusNotModified {
		return
	}
	if _, err := parseException(w.Body.Bytes()); err != nil {
		t.Fatalf("%s: status %d with no readable exception report (%v): %q", what, w.Code, err, w.Body)
	}
}

// FuzzKVP sends raw query strings to the KVP endpoint. Its seeds are in
// testdata/fuzz/FuzzKVP.
func FuzzKVP(f *testing.F) {
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/wmts", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		checkFuzzResponse(t, query, w)
	})
}

// FuzzRESTPath sends raw paths, escaped or not, to the handler. Its seeds
// are in testdata/fuzz/FuzzRESTPath.
func FuzzRESTPath(f *testing.F) {
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, path string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tiletest.NewRequest(http.MethodGet, path))
		checkFuzzResponse(t, path, w)
	})
}
