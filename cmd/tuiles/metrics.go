package main

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/tiling/seed"
)

// serveMetrics are the metrics of the data behind the protocols:
// rendered-tile cache hits and misses per layer and tile matrix set,
// metatile render times per layer, maps drawn (queue wait, draw time,
// features), and feature store queries per table (time, rows). Layers,
// sets and tables come from the configuration, so the series are bounded.
type serveMetrics struct {
	cache  *prometheus.CounterVec
	render *prometheus.HistogramVec
	// Maps drawn (WMS, metatiles) and store queries.
	drawSeconds   *prometheus.HistogramVec
	waitSeconds   prometheus.Histogram
	drawnFeatures prometheus.Counter
	querySeconds  *prometheus.HistogramVec
	queryRows     *prometheus.CounterVec
	// Background seeds inside serve.
	seedTiles *prometheus.GaugeVec
	seedRate  *prometheus.GaugeVec
}

// latencyBuckets span a cached answer to a timed-out render.
func latencyBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
}

func newServeMetrics(reg prometheus.Registerer) *serveMetrics {
	m := &serveMetrics{
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuiles_tile_cache_requests_total",
			Help: "Rendered tiles asked for, by layer, tile matrix set and result (hit: from the cache; miss: rendered).",
		}, []string{"layer", "tile_matrix_set", "result"}),
		render: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuiles_tile_render_seconds",
			Help:    "Time to render a metatile (or a vector tile), by layer and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"layer", "outcome"}),
		drawSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuiles_render_seconds",
			Help:    "Time spent drawing a map (WMS GetMap, rendered metatile) once it had a render slot, by outcome (ok, error).",
			Buckets: latencyBuckets(),
		}, []string{"outcome"}),
		waitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tuiles_render_queue_seconds",
			Help:    "Time a map waited for a render slot (server.max_renders).",
			Buckets: latencyBuckets(),
		}),
		drawnFeatures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tuiles_render_features_total",
			Help: "Features read and drawn into maps.",
		}),
		querySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tuiles_store_query_seconds",
			Help:    "Feature store queries, from start to last row (rows stream to their consumer), by table and outcome.",
			Buckets: latencyBuckets(),
		}, []string{"table", "outcome"}),
		queryRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuiles_store_rows_total",
			Help: "Features read from the feature store, by table.",
		}, []string{"table"}),
	}
	m.seedTiles = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tuiles_seed_tiles",
		Help: "Tiles of the background seed of a layer and tile matrix set (tiles.seed_max_zoom), by state: total to go through, rendered, already there, empty.",
	}, []string{"layer", "tile_matrix_set", "state"})
	m.seedRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tuiles_seed_tiles_per_second",
		Help: "Rendering rate of the background seed of a layer and tile matrix set.",
	}, []string{"layer", "tile_matrix_set"})
	reg.MustRegister(m.cache, m.render, m.drawSeconds, m.waitSeconds, m.drawnFeatures, m.querySeconds, m.queryRows, m.seedTiles, m.seedRate)
	return m
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// observeRender records a map drawn by the renderer.
func (m *serveMetrics) observeRender(s render.Stats) {
	m.waitSeconds.Observe(s.Wait.Seconds())
	if errors.Is(s.Err, render.ErrBusy) {
		return // refused: nothing was drawn
	}
	m.drawSeconds.WithLabelValues(outcome(s.Err)).Observe(s.Draw.Seconds())
	m.drawnFeatures.Add(float64(s.Features))
}

// onSeed reports a background seed's progress.
func (m *serveMetrics) onSeed(layer, set string) func(seed.Progress) {
	return func(p seed.Progress) {
		m.seedTiles.WithLabelValues(layer, set, "total").Set(float64(p.Total))
		m.seedTiles.WithLabelValues(layer, set, "rendered").Set(float64(p.Done))
		m.seedTiles.WithLabelValues(layer, set, "already_there").Set(float64(p.Skipped))
		m.seedTiles.WithLabelValues(layer, set, "empty").Set(float64(p.Empty))
		m.seedRate.WithLabelValues(layer, set).Set(p.Rate())
	}
}

// observeQuery records a store query.
func (m *serveMetrics) observeQuery(q store.QueryStats) {
	m.querySeconds.WithLabelValues(q.Table, outcome(q.Err)).Observe(q.Elapsed.Seconds())
	m.queryRows.WithLabelValues(q.Table).Add(float64(q.Rows))
}

func (m *serveMetrics) onTile(layer, set string) func(bool) {
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

func (m *serveMetrics) onRender(layer string) func(time.Duration, error) {
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
