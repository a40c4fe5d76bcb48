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
	"github.com/tuiles/tuiles/producer"
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

	// life is the server's context: background seeds of each build run
	// under it, not under the request (an API call) that made the build.
	life context.Context
	// producers, when set, holds publications added to every build,
	// with their files in dataDir.
	producers *producer.Catalog
	dataDir   string

	mu sync.Mutex // one reload at a time
	// cfg and include are the file's configuration in force and the
	// layers of it built; cur is the build in force.
	cfg     *config.Config
	include func(int) bool
	cur     *built
	// retiring counts replaced builds not closed yet.
	retiring sync.WaitGroup
}

func newReloader(life context.Context, path string, sh *shared, live *catalog.Live, log *slog.Logger) *reloader {
	return &reloader{life: life, path: path, log: log, live: live, sh: sh}
}

// withPublications makes every build add the producers' publications of
// cat, with their files in dataDir.
func (r *reloader) withPublications(cat *producer.Catalog, dataDir string) {
	r.producers, r.dataDir = cat, dataDir
}

// reload loads and builds the configuration again and swaps it in; it
// reports whether it did.
func (r *reloader) reload(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log.Info("reloading the configuration", "config", r.path)
	cfg, include, err := loadServing(r.path, r.log)
	if err == nil {
		err = r.rebuild(ctx, cfg, include)
	}
	if err != nil {
		r.log.Error("configuration refused; the one in force stays", "config", r.path, "problems", problemText(err))
		return false
	}
	r.log.Info("configuration reloaded", "config", r.path, "layers", len(r.cur.catalog.Layers()))
	return true
}

// apply rebuilds the configuration in force with the publications as
// they are now: the producer API calls it after each change.
func (r *reloader) apply(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.rebuild(ctx, r.cfg, r.include); err != nil {
		return err
	}
	r.log.Info("publications applied", "layers", len(r.cur.catalog.Layers()))
	return nil
}

// start builds the first configuration.
func (r *reloader) start(ctx context.Context, cfg *config.Config, include func(int) bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rebuild(ctx, cfg, include)
}

// rebuild builds the file's configuration cfg (its layers chosen by
// include) with the publications, and swaps it in. r.mu is held.
func (r *reloader) rebuild(ctx context.Context, cfg *config.Config, include func(int) bool) error {
	full := cfg
	if r.producers != nil {
		doc, err := publishedDoc(ctx, r.producers, r.dataDir)
		if err != nil {
			return fmt.Errorf("reading the publications: %w", err)
		}
		full, include, err = withPublished(cfg, include, doc, r.dataDir, r.log)
		if err != nil {
			return err
		}
	}
	old := r.cur
	// A stale rendered cache is emptied by the new build; the old build's
	// tiler of that cache must stop writing first, or renders finishing
	// for requests in flight would put old tiles back.
	detach := func(path string) {
		if old == nil {
			return
		}
		for t, s := range old.caches {
			if s.Path() == path {
				t.Detach()
			}
		}
	}
	b, problems := buildWith(ctx, full, r.log, r.sh, buildOptions{include: include, beforeTruncate: detach, lenient: true})
	if len(problems) > 0 {
		if err := b.Close(); err != nil {
			r.log.Error("closing the refused configuration's stores", "err", err)
		}
		return problems
	}
	if r.cfg != nil {
		for _, key := range restartOnly(r.cfg, cfg) {
			r.log.Warn("this setting changed but takes effect at the next restart", "key", key)
		}
	}
	// The old build's seeds stop when it closes; the new one's go on
	// from what the cache holds.
	b.startSeeds(r.life, full, r.log, full.Server.SeedThreads)
	r.cfg, r.include, r.cur = cfg, include, b
	if old == nil {
		r.live.Swap(b.catalog, nil)
		return nil
	}
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
	return nil
}

// withPublished appends the published layers of doc to cfg. Layers whose
// files are missing are left out (logged), as the file's are; any other
// problem refuses the whole.
func withPublished(cfg *config.Config, include func(int) bool, doc []byte, dataDir string, log *slog.Logger) (*config.Config, func(int) bool, error) {
	n := len(cfg.Layers)
	full, err := cfg.WithLayers(doc, "publications", dataDir)
	if err == nil {
		return full, include, nil
	}
	if full == nil {
		return nil, nil, err
	}
	keep, err := unavailableLayers(err, "published layer", log)
	if err != nil {
		return nil, nil, err
	}
	return full, func(i int) bool {
		if i < n {
			return include == nil || include(i)
		}
		return keep(i - n)
	}, nil
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
	if cfg == nil {
		return nil, nil, err
	}
	keep, err := unavailableLayers(err, "layer", log)
	if err != nil {
		return nil, nil, err
	}
	return cfg, keep, nil
}

// unavailableLayers accepts configuration problems that are all files
// that cannot be used now: it logs them and tells which layers (numbered
// in the document checked) stay. Any other problem is returned.
func unavailableLayers(err error, what string, log *slog.Logger) (keep func(i int) bool, _ error) {
	var ps config.Problems
	if !errors.As(err, &ps) || !ps.OnlyUnavailable() {
		return nil, err
	}
	for _, p := range ps {
		log.Error(what+" left out: its data cannot be served", "problem", p.Error())
	}
	return func(i int) bool { return !ps.About(fmt.Sprintf("layers[%d]", i)) }, nil
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
