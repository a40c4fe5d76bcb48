package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
	"github.com/tuiles/tuiles/tiling/seed"
	"github.com/tuiles/tuiles/tiling/tiler"
)

type seedArgs struct {
	config, layer, tms, zoom, bbox, refresh string
	coverage, coverageLayer, where          string
	threads                                 int
	dryRun                                  bool
	log                                     logFlags
}

func seedFlags() (*flag.FlagSet, *seedArgs) {
	a := &seedArgs{}
	fs := newFlagSet("seed", " --config FILE --layer NAME [--tms SET] [--zoom 0-12] [--bbox W,S,E,N | --coverage FILE [--where SQL]] [--threads N] [--refresh missing|all|older-than=DATE] [--dry-run]")
	fs.StringVar(&a.config, "config", "", "configuration file (required)")
	fs.StringVar(&a.layer, "layer", "", "layer to seed: a layer with rendered tiles (tiles.cache) (required)")
	fs.StringVar(&a.tms, "tms", "", "tile matrix set to seed (default: the layer's first)")
	fs.StringVar(&a.zoom, "zoom", "", "zoom levels, such as 5 or 0-12 (default: the layer's whole range)")
	fs.StringVar(&a.bbox, "bbox", "", "area to seed, west,south,east,north in WGS84 degrees (default: the layer's extent)")
	fs.StringVar(&a.coverage, "coverage", "", "area to seed: the polygons of a file GDAL reads (GeoPackage, Shapefile, GeoJSON...), first layer")
	fs.StringVar(&a.coverageLayer, "coverage-layer", "", "with --coverage: the layer of the file to read (default: its first)")
	fs.StringVar(&a.where, "where", "", "with --coverage: only its features matching this OGR SQL condition, such as \"code = '75'\"")
	fs.StringVar(&a.refresh, "refresh", "missing", "missing: render metatiles with a tile missing (resumes an interrupted seed); all: render everything again; older-than=DATE: also tiles stored before DATE (2006-01-02 or RFC 3339)")
	fs.IntVar(&a.threads, "threads", 2, "metatiles rendered at once")
	fs.BoolVar(&a.dryRun, "dry-run", false, "print the tiles and metatiles per zoom without rendering")
	a.log.register(fs, "warn")
	return fs, a
}

// runSeed fills a layer's rendered tile cache ahead of requests, through
// the tiler the server uses; Ctrl-C stops after the metatiles in progress,
// and running it again resumes.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := seedFlags()
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "tuiles seed: "+format+"\n", args...)
		return code
	}
	if a.config == "" || a.layer == "" {
		fs.SetOutput(stderr)
		fs.Usage()
		return fail(exitUsage, "--config and --layer are required")
	}
	var refresh seed.Refresh
	var olderThan time.Time
	switch {
	case a.refresh == "missing":
		refresh = seed.Missing
	case a.refresh == "all":
		refresh = seed.All
	case strings.HasPrefix(a.refresh, "older-than="):
		// Tiles stored before this time count as missing.
		v := strings.TrimPrefix(a.refresh, "older-than=")
		var err error
		if olderThan, err = parseRefreshTime(v); err != nil {
			return fail(exitUsage, "--refresh older-than=%s: %v", v, err)
		}
	default:
		return fail(exitUsage, "--refresh %q: want missing, all or older-than=DATE (2006-01-02 or RFC 3339)", a.refresh)
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	cfg, err := config.Load(a.config)
	if err == nil {
		// Published layers are seeded like the file's own.
		cfg, err = withPublications(ctx, cfg)
	}
	if err != nil {
		printProblems(stderr, err)
		return exitError
	}
	idx := -1
	for i, l := range cfg.Layers {
		if l.Name == a.layer {
			idx = i
		}
	}
	if idx < 0 {
		return fail(exitError, "%s has no layer %q", a.config, a.layer)
	}
	if !cfg.Layers[idx].Tiles.Rendered() {
		return fail(exitError, "layer %q has no rendered tiles to seed: give it tiles.cache", a.layer)
	}
	b, problems := buildCatalog(ctx, cfg, log, func(i int) bool { return i == idx })
	defer func() {
		if err := b.Close(); err != nil {
			log.Error("closing the caches", "err", err)
		}
	}()
	if len(problems) > 0 {
		printProblems(stderr, problems)
		return exitError
	}
	l, _ := b.catalog.Layer(a.layer)
	ts := l.Tilesets[0]
	if a.tms != "" {
		ts = nil
		for _, t := range l.Tilesets {
			if t.Set.ID == a.tms {
				ts = t
			}
		}
		if ts == nil {
			return fail(exitUsage, "layer %q has no tiles in tile matrix set %q", a.layer, a.tms)
		}
	}
	tl, ok := ts.Provider.(*tiler.Tiler)
	if !ok {
		return fail(exitError, "layer %q in %s is not rendered", a.layer, ts.Set.ID)
	}
	o := seedOptions(ts)
	o.Refresh, o.Threads = refresh, max(a.threads, 1)
	if a.zoom != "" {
		if o.MinZoom, o.MaxZoom, err = parseZoomRange(a.zoom); err != nil {
			return fail(exitUsage, "--zoom: %v", err)
		}
	}
	if a.bbox != "" {
		area, err := parseBBoxFlag(a.bbox, ts.Set)
		if err != nil {
			return fail(exitUsage, "--bbox: %v", err)
		}
		o.Area = area
	}
	if a.where != "" && a.coverage == "" {
		return fail(exitUsage, "--where filters the features of --coverage: give --coverage too")
	}
	if a.coverage != "" {
		cov, err := loadCoverage(ctx, a.coverage, a.coverageLayer, a.where, ts.Set)
		if err != nil {
			return fail(exitError, "--coverage: %v", err)
		}
		o.Area = o.Area.Intersect(cov.bounds)
		if o.Area.Empty() {
			return fail(exitError, "--coverage %s does not meet the layer's area", a.coverage)
		}
		o.Covers = cov.covers(ts.Set)
	}
	o.Empty = emptyProbe(l, ts, cfg.Layers[idx].Tiles.Buffer)
	target := seedTarget{tl: tl, cache: b.caches[tl], olderThan: olderThan,
		key: tiling.Key{Layer: l.Name, TileMatrixSet: ts.Set.ID, Format: l.Formats[0].Name, Style: "default"}}
	if a.dryRun {
		plan, err := seed.DryRun(target, o)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		fmt.Fprintf(stdout, "layer %s, tile matrix set %s, metatiles of %d×%d tiles\n", a.layer, ts.Set.ID, cfg.Layers[idx].Tiles.MetaTile, cfg.Layers[idx].Tiles.MetaTile)
		fmt.Fprintln(stdout, "zoom  tiles  metatiles")
		for _, z := range plan.Zooms {
			fmt.Fprintf(stdout, "%4d %6d %10d\n", z.Zoom, z.Tiles, z.Metatiles)
		}
		fmt.Fprintf(stdout, "total %d tiles in %d metatiles (empty areas are skipped when seeding)\n", plan.Tiles(), plan.Metatiles())
		return exitOK
	}
	o.Progress = progressReporter(stderr, log, a.layer)
	p, err := seed.Run(ctx, target, o)
	if flushErr := tl.Flush(context.WithoutCancel(ctx)); err == nil {
		err = flushErr
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "tuiles seed: interrupted after %d tiles; run it again to resume\n", p.Done)
		return exitError
	case err != nil:
		return fail(exitError, "%v", err)
	}
	fmt.Fprintf(stdout, "seeded %s in %s: %d tiles rendered, %d already there, %d empty, in %s (%.0f tiles/s)\n",
		a.layer, ts.Set.ID, p.Done, p.Skipped, p.Empty, p.Elapsed.Round(time.Millisecond), p.Rate())
	return exitOK
}

// seedOptions seed the whole of tileset ts, skipping empty subtrees.
func seedOptions(ts *catalog.Tileset) seed.Options {
	return seed.Options{
		Set: ts.Set, MinZoom: ts.MinZoom, MaxZoom: ts.MaxZoom, Area: ts.Bounds,
		Limits: func(z int) (tiling.TileRange, bool) {
			if z < ts.MinZoom || z > ts.MaxZoom {
				return tiling.TileRange{}, false
			}
			return ts.Limits[z-ts.MinZoom], true
		},
		SubtreeEmpty: true,
	}
}

// seedTarget adapts a tiler and its cache to the seeding engine.
type seedTarget struct {
	tl    *tiler.Tiler
	cache *mbtiles.Store
	key   tiling.Key // the layer, set, format and style of every tile
	// olderThan, when set, makes tiles stored before it count as missing.
	olderThan time.Time
	// waitBusy makes renders wait for a free render slot (background
	// seeds inside serve) instead of failing.
	waitBusy bool
}

func (s seedTarget) MetatileOf(z, col, row int) tiling.TileRange { return s.tl.MetatileOf(z, col, row) }

func (s seedTarget) RenderMetatile(ctx context.Context, z, col, row int) error {
	if s.waitBusy {
		return renderWaitingForSlot(ctx, s.tl, z, col, row)
	}
	_, err := s.tl.RenderMetatile(ctx, z, col, row)
	return err
}

func (s seedTarget) Has(ctx context.Context, z, col, row int) (bool, error) {
	k := s.key
	k.Z, k.Col, k.Row = z, col, row
	if !s.olderThan.IsZero() {
		at, ok, err := s.cache.RenderedAt(ctx, k)
		// A tile of unknown age is refreshed too.
		return ok && !at.IsZero() && !at.Before(s.olderThan), err
	}
	_, err := s.cache.Tile(ctx, k)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, tiling.ErrNotFound):
		return false, nil
	}
	return false, err
}

// parseRefreshTime reads a date (midnight UTC) or an RFC 3339 time.
func parseRefreshTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

// emptyProbe tells whether a metatile (with its buffer) has nothing to
// draw: no feature of the layer's table, or outside the raster. It is
// nil when it cannot tell, and every metatile is rendered.
func emptyProbe(l *catalog.Layer, ts *catalog.Tileset, bufferPx int) func(context.Context, int, tiling.TileRange) (bool, error) {
	if l.Features == nil {
		return nil
	}
	src, table := l.Features.Source, l.Features.Table
	info, err := src.Layer(table)
	if err != nil {
		return nil
	}
	tr, err := crs.NewTransformer(ts.Set.CRSInfo.CRS, info.CRS)
	if err != nil {
		return nil
	}
	return func(ctx context.Context, z int, r tiling.TileRange) (bool, error) {
		m, ok := ts.Set.Level(z)
		if !ok {
			return true, nil
		}
		b := m.RangeBounds(r)
		buf := float64(bufferPx) * m.CellSize
		b = crs.Bounds{MinX: b.MinX - buf, MinY: b.MinY - buf, MaxX: b.MaxX + buf, MaxY: b.MaxY + buf}
		q := store.Query{Layer: table, Limit: 1}
		if lb, err := tr.Bounds(b); err == nil {
			q.BBox = &lb
		} else {
			return false, nil // cannot tell: render
		}
		n, err := src.Count(ctx, q)
		return n == 0, err
	}
}

// progressReporter shows a progress bar on a terminal, and a log line
// every ten seconds otherwise.
func progressReporter(stderr io.Writer, log *slog.Logger, layer string) func(seed.Progress) {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		return func(p seed.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions64(p.Total, progressbar.OptionSetWriter(f),
					progressbar.OptionSetDescription("seeding "+layer), progressbar.OptionShowCount(),
					progressbar.OptionShowIts(), progressbar.OptionSetItsString("tiles"),
					progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond))
			}
			_ = bar.Set64(p.Done + p.Skipped + p.Empty)
			if p.Finished {
				_ = bar.Finish()
				fmt.Fprintln(f)
			}
		}
	}
	var last time.Time
	return func(p seed.Progress) {
		if !p.Finished && time.Since(last) < 10*time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(stderr, "seeding %s: %d/%d tiles (%d rendered, %d already there, %d empty), %.0f tiles/s, ETA %s\n",
			layer, p.Done+p.Skipped+p.Empty, p.Total, p.Done, p.Skipped, p.Empty, p.Rate(), p.ETA().Round(time.Second))
	}
}

// parseZoomRange reads "5" or "0-12".
func parseZoomRange(s string) (int, int, error) {
	lo, hi, found := strings.Cut(s, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a zoom level or range such as 0-12", s)
	}
	b := a
	if found {
		if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return 0, 0, fmt.Errorf("%q is not a zoom level or range such as 0-12", s)
		}
	}
	if a < 0 || b < a {
		return 0, 0, fmt.Errorf("%q is not an increasing range of levels", s)
	}
	return a, b, nil
}

// parseBBoxFlag reads west,south,east,north in WGS84 degrees and returns
// the box in the set's CRS.
func parseBBoxFlag(s string, set *tiling.TileMatrixSet) (crs.Bounds, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return crs.Bounds{}, fmt.Errorf("%q: want west,south,east,north in degrees", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return crs.Bounds{}, fmt.Errorf("%q: %q is not a number", s, p)
		}
		v[i] = f
	}
	w := crs.Bounds{MinX: v[0], MinY: v[1], MaxX: v[2], MaxY: v[3]}
	if w.Empty() || w.MinX < -180 || w.MaxX > 180 || w.MinY < -90 || w.MaxY > 90 {
		return crs.Bounds{}, fmt.Errorf("%q is not a box west < east, south < north within ±180, ±90", s)
	}
	w = w.Intersect(set.CRSInfo.AreaOfUse)
	if w.Empty() {
		return crs.Bounds{}, fmt.Errorf("%q lies outside the area of %s", s, set.ID)
	}
	t, err := crs.NewTransformer(crs.WGS84, set.CRSInfo.CRS)
	if err != nil {
		return crs.Bounds{}, err
	}
	return t.Bounds(w)
}
