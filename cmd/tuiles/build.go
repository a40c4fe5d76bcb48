package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
	"github.com/tuiles/tuiles/tiling/tiler"
)

// built is a catalog with the stores it reads from. The stores belong to
// whoever built it, and are closed once the server has stopped using the
// catalog.
type built struct {
	catalog *catalog.Catalog
	// renderer draws WMS maps and rendered tiles alike.
	renderer *render.Renderer
	// tilers fill rendered caches; they are closed (their pending writes
	// flushed) before the stores.
	tilers []*tiler.Tiler
	// caches are the rendered caches the tilers fill.
	caches map[*tiler.Tiler]*mbtiles.Store
	// registry holds the metrics of everything built (served at /metrics).
	registry *prometheus.Registry
	metrics  *serveMetrics
	stores   []*mbtiles.Store
	// features are the feature stores by path, opened when a layer names
	// a table of one.
	features map[string]*store.Store
	// unavailable names the layers left out of a lenient build.
	unavailable []string
	// stopSeeds stops the background seeds and waits for them (see
	// startSeeds); nil when none runs.
	stopSeeds func()
}

// Close stops the background seeds and closes every store.
func (b *built) Close() error {
	if b.stopSeeds != nil {
		b.stopSeeds()
		b.stopSeeds = nil
	}
	var errs []error
	for _, t := range b.tilers {
		errs = append(errs, t.Close())
	}
	b.tilers = nil
	for _, s := range b.stores {
		errs = append(errs, s.Close())
	}
	b.stores = nil
	for _, s := range b.features {
		errs = append(errs, s.Close())
	}
	b.features = nil
	return errors.Join(errs...)
}

// builder turns a checked configuration into a catalog, opening the data.
// Problems found in the data are reported against the configuration key
// that names it, in the same form as config.Load's.
type builder struct {
	cfg *config.Config
	log *slog.Logger
	// beforeTruncate, when set, is called with the path of a stale
	// rendered cache before it is emptied (see reloader).
	beforeTruncate func(path string)
	// toSet caches WGS84 → set CRS transformers, which PROJ is slow to
	// create, by set identifier.
	toSet map[string]*crs.Transformer
	out   *built
	ps    config.Problems
}

// buildCatalog opens every layer's data and builds the catalog. include,
// when not nil, selects the layers to build (check leaves out those with
// problems already). With problems, the catalog is nil but the stores that
// did open are still in the result, to be closed.
func buildCatalog(ctx context.Context, cfg *config.Config, log *slog.Logger, include func(i int) bool) (*built, config.Problems) {
	return buildWith(ctx, cfg, log, newShared(cfg, log), buildOptions{include: include})
}

// buildOptions tune buildWith for a running server.
type buildOptions struct {
	// include, when not nil, selects the layers to build.
	include func(i int) bool
	// beforeTruncate, when set, is called with the path of a stale
	// rendered cache before it is emptied.
	beforeTruncate func(path string)
	// lenient leaves out a layer whose data, style or cache cannot be
	// opened (missing, corrupt or locked file), logging why, instead of
	// failing the whole build: one broken file must not take down the
	// other layers of a running server. A configuration that builds no
	// layer at all still fails.
	lenient bool
}

// shared is what outlives a reload: the renderer, whose concurrency
// slots are the server's, and the metrics registry with the tile metrics
// (a metric registers once per process).
type shared struct {
	renderer *render.Renderer
	registry *prometheus.Registry
	metrics  *serveMetrics
}

func newShared(cfg *config.Config, log *slog.Logger) *shared {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newServeMetrics(reg)
	return &shared{
		registry: reg,
		metrics:  m,
		renderer: render.New(render.Options{
			Observe:       m.observeRender,
			Logger:        log,
			MaxFeatures:   cfg.WMS.MaxFeatures,
			Timeout:       time.Duration(cfg.WMS.Timeout),
			MaxConcurrent: cfg.Server.MaxRenders,
			MaxQueue:      cfg.Server.RenderQueue,
		}),
	}
}

// buildWith is buildCatalog with the renderer and metrics of a running
// server.
func buildWith(ctx context.Context, cfg *config.Config, log *slog.Logger, sh *shared, o buildOptions) (*built, config.Problems) {
	include := o.include
	b := &builder{cfg: cfg, log: log, beforeTruncate: o.beforeTruncate, toSet: map[string]*crs.Transformer{}, out: &built{
		registry: sh.registry,
		metrics:  sh.metrics,
		renderer: sh.renderer,
	}}
	var layers []*catalog.Layer
	for i := range cfg.Layers {
		if include != nil && !include(i) {
			continue
		}
		if err := ctx.Err(); err != nil {
			b.ps = append(b.ps, config.Problem{File: cfg.File(), Msg: "interrupted: " + err.Error()})
			break
		}
		before := len(b.ps)
		l := b.layer(ctx, i)
		if o.lenient && len(b.ps) > before {
			name := cfg.Layers[i].Name
			b.log.Error("layer left out: its data cannot be served", "layer", name, "problems", problemText(b.ps[before:]))
			b.out.unavailable = append(b.out.unavailable, name)
			b.ps = b.ps[:before]
			continue
		}
		if l != nil {
			l.AccessKeyHash = strings.ToLower(cfg.Layers[i].AccessKeySHA256)
			layers = append(layers, l)
		}
	}
	if len(b.ps) > 0 {
		return b.out, b.ps
	}
	if o.lenient && len(layers) == 0 && len(cfg.Layers) > 0 {
		return b.out, config.Problems{cfg.Problemf("layers", "no layer could be built: the data of every layer is unavailable")}
	}
	s := cfg.Service
	cat, err := catalog.New(catalog.Service{
		Title:             s.Title,
		Abstract:          s.Abstract,
		Keywords:          s.Keywords,
		Provider:          s.Provider,
		ProviderURL:       s.ProviderURL,
		ContactEmail:      s.ContactEmail,
		Fees:              s.Fees,
		AccessConstraints: s.AccessConstraints,
	}, layers)
	if err != nil {
		return b.out, config.Problems{cfg.Problemf("layers", "%v", err)}
	}
	if len(cfg.WMS.Groups) > 0 {
		var groups []catalog.Group
		for _, g := range cfg.WMS.Groups {
			members := g.Layers
			if include != nil || len(b.out.unavailable) > 0 {
				// Only some layers were built (check, seed, or layers
				// left out for their data): groups keep the members that
				// were.
				members = nil
				for _, name := range g.Layers {
					if _, ok := cat.LayerFor(catalog.WMS, name); ok {
						members = append(members, name)
					}
				}
				if len(members) == 0 {
					continue
				}
			}
			groups = append(groups, catalog.Group{Name: g.Name, Title: g.Title, Abstract: g.Abstract, Keywords: g.Keywords, Layers: members})
		}
		if cat, err = cat.WithGroups(groups); err != nil {
			return b.out, config.Problems{cfg.Problemf("wms.groups", "%v", err)}
		}
	}
	b.out.catalog = cat
	return b.out, nil
}

func (b *builder) problem(key, format string, args ...any) {
	b.ps = append(b.ps, b.cfg.Problemf(key, format, args...))
}

// layer builds layer i, or reports its problems and returns nil.
func (b *builder) layer(ctx context.Context, i int) *catalog.Layer {
	cl := &b.cfg.Layers[i]
	if cl.Data.MBTiles == "" {
		l := b.featureLayer(ctx, i)
		if l != nil && !b.mapStyles(i, l) {
			return nil
		}
		if l != nil && cl.Tiles.Rendered() && !b.renderedTiles(ctx, i, l) {
			return nil
		}
		return l
	}
	key := fmt.Sprintf("layers[%d]", i)
	dataKey := key + ".data.mbtiles"
	before := len(b.ps)

	setIDs := cl.Tiles.Sets
	if len(setIDs) == 0 {
		id := peekTileMatrixSet(ctx, b.cfg.Resolve(cl.MBTilesFile("")))
		if _, ok := b.cfg.TileMatrixSet(id); !ok {
			b.problem(dataKey, "%s is in tile matrix set %q (metadata tile_matrix_set), which is neither built in nor listed in tile_matrix_sets (known: %v)", cl.MBTilesFile(""), id, b.cfg.TileMatrixSetIDs())
			return nil
		}
		setIDs = []string{id}
	}

	l := &catalog.Layer{
		Name:        cl.Name,
		Title:       cl.Title,
		Abstract:    cl.Abstract,
		Keywords:    cl.Keywords,
		Attribution: cl.Attribution,
		MaxAge:      time.Duration(cl.Tiles.MaxAge),
		Background:  cl.Tiles.Background.RGB(),
		Services:    protocols(cl),
	}
	if cl.Tiles.Missing == config.MissingNotFound {
		l.Missing = catalog.MissingNotFound
	}
	var (
		format    tiling.Format
		formatSrc string
		wgs84     *crs.Bounds
		haveMeta  bool
	)
	if bb := cl.Tiles.Bounds; len(bb) == 4 {
		wgs84 = &crs.Bounds{MinX: bb[0], MinY: bb[1], MaxX: bb[2], MaxY: bb[3]}
	}
	for _, id := range setIDs {
		set, ok := b.cfg.TileMatrixSet(id)
		if !ok {
			// config.Load reported it; build only checked configurations.
			b.problem(key+".tiles.sets", "unknown tile matrix set %q", id)
			continue
		}
		file := cl.MBTilesFile(id)
		path := b.cfg.Resolve(file)
		store, err := mbtiles.Open(ctx, path, mbtiles.Options{TileMatrixSet: set, Logger: b.log})
		if err != nil {
			b.problem(dataKey, "%v", err)
			continue
		}
		b.out.stores = append(b.out.stores, store)
		meta := store.Metadata()

		f, ok := tiling.FormatByName(meta.Format)
		if !ok {
			f, ok = tiling.FormatByMediaType(meta.Format)
		}
		switch {
		case !ok:
			b.problem(dataKey, "%s holds tiles in format %q, which tuiles does not serve (it serves png, jpeg, webp and pbf)", file, meta.Format)
			continue
		case formatSrc != "" && f.Name != format.Name:
			b.problem(dataKey, "%s holds %s tiles but %s holds %s tiles: a layer has one format", file, f.Name, formatSrc, format.Name)
			continue
		}
		format, formatSrc = f, file
		for j, name := range cl.Tiles.Formats {
			if cf, ok := tiling.FormatByName(name); ok && cf.Name != f.Name {
				// Reported against the list, located at the item.
				p := b.cfg.Problemf(key+".tiles.formats", "format %q disagrees with the format of %s, %q", name, file, meta.Format)
				pos := b.cfg.Pos(fmt.Sprintf("%s.tiles.formats[%d]", key, j))
				p.Line, p.Col = pos.Line, pos.Col
				b.ps = append(b.ps, p)
			}
		}

		minZ, maxZ, ok := store.ZoomRange()
		if !ok {
			// No zoom keys and no tiles: an empty cache, served as
			// empty tiles at every level.
			minZ, maxZ = 0, len(set.Matrices)-1
		}
		if maxZ >= len(set.Matrices) {
			b.problem(dataKey, "%s has zoom levels %d-%d but tile matrix set %s has levels 0-%d", file, minZ, maxZ, id, len(set.Matrices)-1)
			continue
		}

		if !haveMeta {
			haveMeta = true
			if l.Title == "" {
				l.Title = meta.Name
			}
			if l.Abstract == "" {
				l.Abstract = meta.Description
			}
			if l.Attribution == "" {
				l.Attribution = meta.Attribution
			}
			if wgs84 == nil && meta.HasBounds() && meta.Bounds[0] < meta.Bounds[2] {
				wgs84 = &crs.Bounds{MinX: meta.Bounds[0], MinY: meta.Bounds[1], MaxX: meta.Bounds[2], MaxY: meta.Bounds[3]}
			}
			if f.Vector {
				l.VectorLayers = vectorLayers(meta.JSON)
			}
		}
		if fi, err := os.Stat(path); err == nil && fi.ModTime().After(l.ModTime) {
			l.ModTime = fi.ModTime()
		}

		bounds := b.setBounds(ctx, set, wgs84, store, minZ, maxZ)
		ts, err := catalog.NewTileset(set, minZ, maxZ, bounds, store)
		if err != nil {
			b.problem(dataKey, "%s: %v", file, err)
			continue
		}
		l.Tilesets = append(l.Tilesets, ts)
	}
	if len(b.ps) > before {
		return nil
	}
	l.Formats = []tiling.Format{format}
	if l.Title == "" {
		l.Title = l.Name
	}
	if wgs84 != nil {
		l.Bounds = *wgs84
	} else {
		l.Bounds = b.wgs84Extent(l.Tilesets[0])
	}
	if cl.Data.Table != "" {
		// The same layer also publishes its features (WFS).
		feats, _, ok := b.features(ctx, i)
		if !ok {
			return nil
		}
		l.Features = feats
	}
	if !b.mapStyles(i, l) {
		return nil
	}
	return l
}

// setBounds is the data extent in the set's CRS: the WGS84 bounds
// transformed and clamped to the set, or when there are none, or they do not
// transform (a projection undefined over part of them), the extent of the
// tiles present, or failing that the whole set.
func (b *builder) setBounds(ctx context.Context, set *tiling.TileMatrixSet, wgs84 *crs.Bounds, store *mbtiles.Store, minZ, maxZ int) crs.Bounds {
	whole := set.Bounds()
	if wgs84 != nil {
		// PROJ gives infinities beyond a projection's domain (Web
		// Mercator at the poles), so the box is first cut to where the
		// set's CRS is defined.
		box := wgs84.Intersect(set.CRSInfo.AreaOfUse)
		if !box.Empty() {
			if t, err := b.transformer(set); err == nil {
				if nb, err := t.Bounds(box); err == nil {
					if nb = nb.Intersect(whole); !nb.Empty() {
						return nb
					}
				}
			} else {
				b.log.Warn("no transformation to the tile matrix set's CRS; using the tiles present", "set", set.ID, "err", err)
			}
		}
	}
	ranges, err := store.TileRanges(ctx)
	if err == nil {
		for z := maxZ; z >= minZ; z-- {
			if r, ok := ranges[z]; ok && !r.Empty() {
				return set.Matrices[z].RangeBounds(r)
			}
		}
	}
	return whole
}

func (b *builder) transformer(set *tiling.TileMatrixSet) (*crs.Transformer, error) {
	if t, ok := b.toSet[set.ID]; ok {
		return t, nil
	}
	t, err := crs.NewTransformer(crs.WGS84, set.CRSInfo.CRS)
	if err != nil {
		return nil, err
	}
	b.toSet[set.ID] = t
	return t, nil
}

// wgs84Extent is a tileset's extent in WGS84, for layers whose bounds
// neither the configuration nor the MBTiles give.
func (b *builder) wgs84Extent(ts *catalog.Tileset) crs.Bounds {
	world := crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}
	t, err := crs.NewTransformer(ts.Set.CRSInfo.CRS, crs.WGS84)
	if err != nil {
		return world
	}
	wb, err := t.Bounds(ts.Bounds)
	if err != nil {
		return world
	}
	wb = wb.Intersect(world)
	if wb.Empty() || math.IsNaN(wb.MinX) {
		return world
	}
	return wb
}

// vectorLayers extracts vector_layers from the MBTiles json metadata, which
// TileJSON repeats so that MapLibre can style the layers.
func vectorLayers(doc string) json.RawMessage {
	var j struct {
		VectorLayers json.RawMessage `json:"vector_layers"`
	}
	if doc == "" || json.Unmarshal([]byte(doc), &j) != nil {
		return nil
	}
	return j.VectorLayers
}

// peekTileMatrixSet reads the tile_matrix_set metadata of an MBTiles file,
// to know which set to open it with when the configuration does not say:
// mbtiles.Open needs the set first, and refuses a file of another set. Any
// failure gives WebMercatorQuad, and mbtiles.Open then reports what is
// wrong with the file in its own words.
func peekTileMatrixSet(ctx context.Context, path string) string {
	const fallback = "WebMercatorQuad"
	// The sqlite3 driver is registered by tiling/mbtiles.
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return fallback
	}
	defer db.Close()
	var v sql.NullString
	err = db.QueryRowContext(ctx, `SELECT value FROM metadata WHERE name = 'tile_matrix_set'`).Scan(&v)
	if err != nil || !v.Valid || strings.TrimSpace(v.String) == "" {
		return fallback
	}
	return strings.TrimSpace(v.String)
}
