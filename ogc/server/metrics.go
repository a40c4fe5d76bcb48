package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics counts requests by service, request type, layer and status,
// with latency histograms and bytes sent. Every label takes its values from
// a bounded set: services and request types are fixed lists, and a layer is
// a published layer's name or "" (so a crawler inventing names cannot grow
// the series).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuiles_http_requests_total",
			Help: "HTTP requests answered, by service (wmts, tms, xyz, wms, wfs, other), request type, layer and status code.",
		}, []string{"service", "request", "layer", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuiles_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by service and request type.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service", "request"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuiles_http_response_bytes_total",
			Help: "Bytes of response bodies sent, by service.",
		}, []string{"service"}),
	}
	reg.MustRegister(m.requests, m.duration, m.bytes)
	return m
}

// knownRequests maps OGC request names (lower case) to their labels.
var knownRequests = map[string]string{
	"getcapabilities": "GetCapabilities", "capabilities": "GetCapabilities",
	"gettile": "GetTile", "getmap": "GetMap", "map": "GetMap",
	"getfeatureinfo": "GetFeatureInfo", "feature_info": "GetFeatureInfo",
	"getlegendgraphic": "GetLegendGraphic", "getfeature": "GetFeature",
	"describefeaturetype": "DescribeFeatureType", "getpropertyvalue": "GetPropertyValue",
	"liststoredqueries": "ListStoredQueries", "describestoredqueries": "DescribeStoredQueries",
}

// classify names a request's service, type and layer for the labels.
func (s *Server) classify(r *http.Request) (service, request, layer string) {
	path := r.URL.Path
	q := r.URL.Query()
	param := func(names ...string) string {
		for k, v := range q {
			for _, n := range names {
				if strings.EqualFold(k, n) && len(v) > 0 {
					return v[0]
				}
			}
		}
		return ""
	}
	kvpRequest := func() string {
		if name, ok := knownRequests[strings.ToLower(param("REQUEST"))]; ok {
			return name
		}
		return "other"
	}
	first := func(list string) string {
		name, _, _ := strings.Cut(list, ",")
		if _, local, ok := strings.Cut(name, ":"); ok {
			name = local // tuiles:departements
		}
		return name
	}
	segments := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/wmts" && r.Method != http.MethodPost:
		service, request, layer = "wmts", kvpRequest(), param("LAYER")
	case strings.HasPrefix(path, "/wmts/"):
		service, request = "wmts", "GetCapabilities"
		if len(segments) >= 7 {
			request, layer = "GetTile", segments[2]
		}
	case path == "/tms" || strings.HasPrefix(path, "/tms/"):
		service, request = "tms", "capabilities"
		if len(segments) >= 6 {
			request, layer = "tile", segments[2]
		} else if len(segments) >= 3 {
			layer = segments[2]
		}
	case strings.HasPrefix(path, "/tiles/"):
		service, request = "xyz", "tile"
		if len(segments) >= 2 {
			layer = segments[1]
		}
		if strings.HasSuffix(path, "/tiles.json") {
			request = "tilejson"
		}
	case path == "/wms":
		service, request = "wms", kvpRequest()
		layer = first(param("LAYERS", "LAYER", "QUERY_LAYERS"))
	case path == "/wfs":
		service, request = "wfs", kvpRequest()
		if r.Method == http.MethodPost {
			request = "POST"
		}
		layer = first(param("TYPENAMES", "TYPENAME"))
	default:
		service, request = "other", "other"
	}
	if layer != "" && !s.published(r.Context(), layer) {
		layer = ""
	}
	return service, request, layer
}

// published tells whether name is a layer (or WMS group) of the current
// catalog.
func (s *Server) published(ctx context.Context, name string) bool {
	if s.opts.Catalog == nil {
		return false
	}
	c := s.opts.Catalog.For(ctx)
	if c == nil {
		return false
	}
	if _, ok := c.Layer(name); ok {
		return true
	}
	_, ok := c.Group(name)
	return ok
}

// instrument records each request in the metrics.
func (s *Server) instrument(next http.Handler) http.Handler {
	if s.metrics == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w}
		defer func() {
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			service, request, layer := s.classify(r)
			s.metrics.requests.WithLabelValues(service, request, layer, strconv.Itoa(status)).Inc()
			s.metrics.duration.WithLabelValues(service, request).Observe(time.Since(start).Seconds())
			s.metrics.bytes.WithLabelValues(service).Add(float64(rw.bytes))
		}()
		next.ServeHTTP(rw, r)
	})
}

// metricsHandler serves the registry in the Prometheus text format.
func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
