package tms_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzPath feeds arbitrary request paths to the handler: whatever the path,
// it must neither panic nor answer a server error. The seed corpus is in
// testdata/fuzz/FuzzPath.
func FuzzPath(f *testing.F) {
	h := newFixture(f).handler("")
	f.Fuzz(func(t *testing.T, path string) {
		r := httptest.NewRequest("GET", "http://example.com/", nil)
		if u, err := url.ParseRequestURI(path); err == nil {
			r.URL = u
		} else {
			// What a client could not send may still reach a handler
			// behind other middleware; it must cope with it too.
			r.URL.Path = path
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusNoContent, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("%q: status %d: %s", path, w.Code, w.Body)
		}
		if w.Header().Get("Content-Type") == "" {
			t.Fatalf("%q: no Content-Type", path)
		}
	})
}
