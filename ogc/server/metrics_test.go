package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestClassify(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	for target, want := range map[string][3]string{
		"/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=countries":      {"wmts", "GetTile", "countries"},
		"/wmts?service=wmts&request=gettile&layer=nope":           {"wmts", "GetTile", ""},
		"/wmts/1.0.0/WMTSCapabilities.xml":                        {"wmts", "GetCapabilities", ""},
		"/wmts/1.0.0/countries/default/WebMercatorQuad/3/2/1.png": {"wmts", "GetTile", "countries"},
		"/tms/1.0.0/countries/WebMercatorQuad/3/2/1.png":          {"tms", "tile", "countries"},
		"/tms/1.0.0/": {"tms", "capabilities", ""},
		"/tiles/countries/WebMercatorQuad/3/2/1.png":                     {"xyz", "tile", "countries"},
		"/tiles/countries/WebMercatorQuad/tiles.json":                    {"xyz", "tilejson", "countries"},
		"/wms?SERVICE=WMS&REQUEST=GetMap&LAYERS=countries,other":         {"wms", "GetMap", "countries"},
		"/wms?SERVICE=WMS&REQUEST=Dance&LAYERS=x":                        {"wms", "other", ""},
		"/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=tuiles:countries": {"wfs", "GetFeature", "countries"},
		"/healthz": {"other", "other", ""},
	} {
		sv, rq, l := s.classify(httptest.NewRequest(http.MethodGet, target, nil))
		if got := [3]string{sv, rq, l}; got != want {
			t.Errorf("%s: %v, want %v", target, got, want)
		}
	}
}

func TestMetricsEndpoint(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, _ := newTestServer(t, Options{Metrics: reg, Gatherer: reg})
	h := s.Handler()
	do(h, http.MethodGet, "/tiles/countries/WebMercatorQuad/0/0/0.png", nil)
	w := do(h, http.MethodGet, "/metrics", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `tuiles_http_requests_total{layer="countries",request="tile",service="xyz"`) {
		t.Errorf("/metrics: %d\n%.2000s", w.Code, w.Body.String())
	}
	// Without a registry there is no /metrics.
	s2, _ := newTestServer(t, Options{})
	if w := do(s2.Handler(), http.MethodGet, "/metrics", nil); w.Code != http.StatusNotFound {
		t.Errorf("/metrics without a registry: %d", w.Code)
	}
}

// Every 503 carries Retry-After, whichever handler wrote it.
func TestRetryAfterOn503(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, _ := newTestServer(t, Options{Metrics: reg, Gatherer: reg,
		WFS: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })})
	w := do(s.Handler(), http.MethodGet, "/wfs?SERVICE=WFS&REQUEST=GetFeature", nil)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != RetryAfterSeconds {
		t.Errorf("status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}

// A client flooding a service gets 429 with Retry-After; another client
// is still served, and other services are not limited.
func TestRateLimit(t *testing.T) {
	s, _ := newTestServer(t, Options{RateLimits: map[string]RateLimit{"xyz": {Rate: 1, Burst: 3}}})
	h := s.Handler()
	get := func(remote, target string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const tile = "/tiles/countries/WebMercatorQuad/0/0/0.png"
	limited := 0
	for range 10 {
		if w := get("192.0.2.1:1000", tile); w.Code == http.StatusTooManyRequests {
			limited++
			if w.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited < 6 {
		t.Errorf("%d of 10 requests limited, want at least 6 (burst 3, 1/s)", limited)
	}
	if w := get("192.0.2.2:1000", tile); w.Code == http.StatusTooManyRequests {
		t.Error("another client was limited")
	}
	if w := get("192.0.2.1:1000", "/wmts/1.0.0/WMTSCapabilities.xml"); w.Code == http.StatusTooManyRequests {
		t.Error("a service without a limit was limited")
	}
}
