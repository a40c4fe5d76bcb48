package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// tileMetrics counts rendered-tile cache hits and misses per layer and
// tile matrix set, and times metatile renders per layer. Layers and sets
// come from the configuration, so the series are bounded.
type tileMetrics struct {
	cache  *prometheus.CounterVec
	render *prometheus.HistogramVec
}

func newTileMetrics(reg prometheus.Registerer) *tileMetrics {
	m := &tileMetrics{
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuiles_tile_cache_requests_total",
			Help: "Rendered tiles asked for, by layer, tile matrix set and result (hit: from the cache; miss: rendered).",
		}, []string{"layer", "tile_matrix_set", "result"}),
		render: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuiles_tile_render_seconds",
			Help:    "Time to render a metatile (or a vector tile), by layer and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"layer", "outcome"}),
	}
	reg.MustRegister(m.cache, m.render)
	return m
}

func (m *tileMetrics) onTile(layer, set string) func(bool) {
	hit := m.cache.WithLabelValues(layer, set, "hit")
	miss := m.cache.WithLabelValues(layer, set, "miss")
	return func(h bool) {
		if h {
			hit.Inc()
		} else {
			miss.Inc()
		}
	}
}

func (m *tileMetrics) onRender(layer string) func(time.Duration, error) {
	ok := m.render.WithLabelValues(layer, "ok")
	failed := m.render.WithLabelValues(layer, "error")
	return func(d time.Duration, err error) {
		if err != nil {
			failed.Observe(d.Seconds())
			return
		}
		ok.Observe(d.Seconds())
	}
}
