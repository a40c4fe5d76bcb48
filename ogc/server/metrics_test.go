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
