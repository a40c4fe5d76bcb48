package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
)

// reloader rebuilds the catalog from the configuration file (on SIGHUP)
// and swaps it in for new requests. Requests in flight finish on the
// catalog they started with; its stores and caches close once the last
// of them is done. A configuration that does not load or build leaves the
// one in force untouched, with the reasons logged.
type reloader struct {
	path string
	log  *slog.Logger
	live *catalog.Live
	sh   *shared

	mu  sync.Mutex // one reload at a time
	cfg *config.Config
	cur *built
	// retiring counts replaced builds not closed yet.
	retiring sync.WaitGroup
}

func newReloader(path string, cfg *config.Config, b *built, sh *shared, live *catalog.Live, log *slog.Logger) *reloader {
	return &reloader{path: path, log: log, live: live, sh: sh, cfg: cfg, cur: b}
}

// reload loads and builds the configuration again and swaps it in; it
// reports whether it did.
func (r *reloader) reload(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log.Info("reloading the configuration", "config", r.path)
	cfg, include, err := loadServing(r.path, r.log)
	if err != nil {
		r.log.Error("configuration refused; the one in force stays", "config", r.path, "problems", problemText(err))
		return false
	}
	old := r.cur
	// A stale rendered cache is emptied by the new build; the old build's
	// tiler of that cache must stop writing first, or renders finishing
	// for requests in flight would put old tiles back.
	detach := func(path string) {
		for t, s := range old.caches {
			if s.Path() == path {
				t.Detach()
			}
		}
	}
	b, problems := buildWith(ctx, cfg, r.log, r.sh, buildOptions{include: include, beforeTruncate: detach, lenient: true})
	if len(problems) > 0 {
		if err := b.Close(); err != nil {
			r.log.Error("closing the refused configuration's stores", "err", err)
		}
		r.log.Error("configuration refused; the one in force stays", "config", r.path, "problems", problemText(problems))
		return false
	}
	for _, key := range restartOnly(r.cfg, cfg) {
		r.log.Warn("this setting changed but takes effect at the next restart", "key", key)
	}
	// The old build's seeds stop when it closes; the new one's go on
	// from what the cache holds.
	b.startSeeds(ctx, cfg, r.log, cfg.Server.SeedThreads)
	r.cfg, r.cur = cfg, b
	r.retiring.Add(1)
	r.live.Swap(b.catalog, func() {
		// Called when the last request on the old catalog is done,
		// possibly from that request's goroutine: close elsewhere.
		go func() {
			defer r.retiring.Done()
			if err := old.Close(); err != nil {
				r.log.Error("closing the replaced configuration's stores", "err", err)
			}
		}()
	})
	r.log.Info("configuration reloaded", "config", r.path, "layers", len(b.catalog.Layers()))
	return true
}

// Close waits for replaced builds to close, then closes the one in force.
// The server must have stopped.
func (r *reloader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retiring.Wait()
	return r.cur.Close()
}

// restartOnly lists the settings that differ between two configurations
// and are read once at start-up: the listener, limits, and the WMS and WFS
// settings the handlers were built with.
func restartOnly(old, cur *config.Config) []string {
	var keys []string
	for _, c := range []struct {
		key      string
		old, cur any
	}{
		{"server", old.Server, cur.Server},
		{"wfs", old.WFS, cur.WFS},
		{"wms.crs", old.WMS.CRS, cur.WMS.CRS},
		{"wms.max_width", old.WMS.MaxWidth, cur.WMS.MaxWidth},
		{"wms.max_height", old.WMS.MaxHeight, cur.WMS.MaxHeight},
		{"wms.max_layers", old.WMS.MaxLayers, cur.WMS.MaxLayers},
		{"wms.max_features", old.WMS.MaxFeatures, cur.WMS.MaxFeatures},
		{"wms.timeout", old.WMS.Timeout, cur.WMS.Timeout},
	} {
		if !reflect.DeepEqual(c.old, c.cur) {
			keys = append(keys, c.key)
		}
	}
	return keys
}

// loadServing loads the configuration for a server: like config.Load, but
// a configuration whose only problems are files that cannot be used now
// (a missing MBTiles, style or raster) is accepted, those problems logged
// and their layers left out by the include function returned.
func loadServing(path string, log *slog.Logger) (*config.Config, func(i int) bool, error) {
	cfg, err := config.Load(path)
	if err == nil {
		return cfg, nil, nil
	}
	var ps config.Problems
	if cfg == nil || !errors.As(err, &ps) || !ps.OnlyUnavailable() {
		return nil, nil, err
	}
	for _, p := range ps {
		log.Error("layer left out: its data cannot be served", "problem", p.Error())
	}
	return cfg, func(i int) bool { return !ps.About(fmt.Sprintf("layers[%d]", i)) }, nil
}

// problemText joins configuration problems into one log value.
func problemText(err error) string {
	var ps config.Problems
	if errors.As(err, &ps) {
		lines := make([]string, len(ps))
		for i, p := range ps {
			lines[i] = p.Error()
		}
		return strings.Join(lines, "; ")
	}
	return err.Error()
}
