package tiletest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// NewRequest builds a request for target, which may be a raw path and
// query that url.Parse refuses (%zz): a client cannot send it, but a
// handler behind other middleware may still see it, and must cope.
func NewRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, "http://example.com/", nil)
	if u, err := url.Parse(target); err == nil {
		r.URL.Path, r.URL.RawPath, r.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
	} else {
		path, query, _ := strings.Cut(target, "?")
		r.URL.Path, r.URL.RawPath, r.URL.RawQuery = path, "", query
	}
	r.RequestURI = target
	return r
}

// Do sends one request to h. Header pairs are name, value, name, value...
func Do(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := NewRequest(method, target)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Bench is the body of a benchmark of one request: it sends r to h in a
// b.Loop, failing unless every answer is 200.
func Bench(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// FuzzPath is the body of a fuzz target feeding arbitrary request paths to
// h: whatever the path, h must neither panic nor answer a server error,
// and every answer has a Content-Type. The target stays in the protocol's
// package, next to its seed corpus.
func FuzzPath(f *testing.F, h http.Handler) {
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

// CheckMethods asks for each target with every method but GET and HEAD,
// which must be refused with 405 and an Allow header naming those two.
func CheckMethods(t *testing.T, h http.Handler, targets ...string) {
	t.Helper()
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, target := range targets {
			w := Do(h, m, target)
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d Allow %q", m, target, w.Code, w.Header().Get("Allow"))
			}
		}
	}
}

// CheckCancelled sends a request for target whose context is already
// cancelled: it reaches the provider as cancelled, and is answered 503, not
// reported as a server bug.
func CheckCancelled(t *testing.T, h http.Handler, target string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", target, nil).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d", w.Code)
	}
}
