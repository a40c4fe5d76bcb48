package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/render/mvt"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
	"github.com/tuiles/tuiles/tiling/tiler"
)

// jpegQuality is the quality of rendered JPEG tiles, as WMS answers.
const jpegQuality = 85

// maxTileBytes is the size over which a rendered tile is reported in the
// log with its address: vector tiles over 500 kB load slowly in web maps.
const maxTileBytes = 500_000

// renderedTiles gives layer l, built from layer i's table or raster, the
// tilesets of tiles.cache: per tile matrix set, an MBTiles cache (created
// when missing) filled by a tiler that renders metatiles with the layer's
// default WMS style.
func (b *builder) renderedTiles(ctx context.Context, i int, l *catalog.Layer) bool {
	cl := &b.cfg.Layers[i]
	key := fmt.Sprintf("layers[%d].tiles", i)
	setIDs := cl.Tiles.Sets
	if len(setIDs) == 0 {
		setIDs = []string{"WebMercatorQuad"}
	}
	f := tiling.PNG
	paletted := false
	if len(cl.Tiles.Formats) > 0 {
		if name := cl.Tiles.Formats[0]; name == config.FormatPNG8 {
			paletted = true
		} else {
			f, _ = tiling.FormatByName(name)
		}
	}
	var vl []mvt.Layer
	if f.Vector {
		vl = []mvt.Layer{{Name: l.Name, Source: l.Features.Source, Table: l.Features.Table, Properties: cl.Tiles.Fields}}
		if info, err := l.Features.Source.Layer(l.Features.Table); err == nil {
			for j, name := range cl.Tiles.Fields {
				if !slices.ContainsFunc(info.Fields, func(f store.Field) bool { return f.Name == name }) {
					b.problem(fmt.Sprintf("%s.fields[%d]", key, j), "table %s has no field %q", l.Features.Table, name)
					return false
				}
			}
		}
	}
	rl := render.Layer{Raster: l.Raster}
	if l.Features != nil {
		rl.Source, rl.Table = l.Features.Source, l.Features.Table
	}
	if len(l.MapStyles) > 0 {
		rl.Style = l.MapStyles[0].Style
	}
	bg := cl.Tiles.Background.RGB()
	background := color.NRGBA{bg[0], bg[1], bg[2], 0xff}
	encode := b.tileEncoder(f, paletted)
	source := b.renderSource(i, l, f)
	ok := true
	for _, id := range setIDs {
		set, known := b.cfg.TileMatrixSet(id)
		if !known {
			b.problem(key+".sets", "unknown tile matrix set %q", id)
			ok = false
			continue
		}
		minZ, maxZ := cl.Tiles.ZoomRange(len(set.Matrices))
		path := b.cfg.Resolve(cl.CacheFile(id))
		var err error
		var vectorJSON json.RawMessage
		if f.Vector {
			if vectorJSON, err = mvt.VectorLayersJSON(vl, minZ, maxZ); err != nil {
				b.problem(key, "%v", err)
				ok = false
				continue
			}
			l.VectorLayers = vectorJSON
		}
		cache, err := b.openRenderedCache(ctx, path, set, f, l, minZ, maxZ, vectorJSON, source)
		if err != nil {
			b.problem(key+".cache", "%v", err)
			ok = false
			continue
		}
		b.out.stores = append(b.out.stores, cache)
		bounds := b.setBounds(ctx, set, &l.Bounds, cache, minZ, maxZ)
		ts, err := catalog.NewTileset(set, minZ, maxZ, bounds, nil)
		if err != nil {
			b.problem(key+".sets", "%s: %v", id, err)
			ok = false
			continue
		}
		setCRS := set.CRSInfo.CRS
		var vector tiler.VectorFunc
		if f.Vector {
			enc := &mvt.Encoder{}
			vector = func(ctx context.Context, z int, bbox crs.Bounds) ([]byte, error) {
				data, err := enc.Encode(ctx, mvt.Request{Layers: vl, CRS: setCRS, BBox: bbox, Zoom: z})
				if err != nil || data == nil {
					return nil, err
				}
				return mvt.Gzip(data)
			}
		}
		tl, err := tiler.New(tiler.Options{
			Vector:   vector,
			MaxBytes: maxTileBytes,
			Set:      set,
			Layer:    l.Name,
			Style:    "default",
			Format:   f,
			Cache:    cache,
			Render: func(ctx context.Context, bbox crs.Bounds, width, height int) (*image.NRGBA, error) {
				buf := cl.Tiles.Buffer
				return b.out.renderer.Render(ctx, render.Request{
					CRS: setCRS, BBox: bbox, Width: width, Height: height,
					Background: background, Transparent: !f.Opaque,
					Layers: []render.Layer{rl},
					// Labels stay inside the metatile proper (see
					// render.Request.LabelArea).
					LabelArea: image.Rect(buf, buf, width-buf, height-buf),
				})
			},
			Encode:   encode,
			MetaTile: cl.Tiles.MetaTile,
			Buffer:   cl.Tiles.Buffer,
			Limits: func(z int) (tiling.TileRange, bool) {
				if z < ts.MinZoom || z > ts.MaxZoom {
					return tiling.TileRange{}, false
				}
				return ts.Limits[z-ts.MinZoom], true
			},
			Logger:   b.log,
			OnTile:   b.out.metrics.onTile(l.Name, id),
			OnRender: b.out.metrics.onRender(l.Name),
		})
		if err != nil {
			b.problem(key, "%v", err)
			ok = false
			continue
		}
		b.out.tilers = append(b.out.tilers, tl)
		if b.out.caches == nil {
			b.out.caches = map[*tiler.Tiler]*mbtiles.Store{}
		}
		b.out.caches[tl] = cache
		ts.Provider = tl
		l.Tilesets = append(l.Tilesets, ts)
		if fi, err := os.Stat(path); err == nil && fi.ModTime().After(l.ModTime) {
			l.ModTime = fi.ModTime()
		}
	}
	l.Formats = []tiling.Format{f}
	l.MaxAge = time.Duration(cl.Tiles.MaxAge)
	l.Background = bg
	return ok
}

// sourceKey is the MBTiles metadata key holding what a rendered cache was
// made from (see renderSource).
const sourceKey = "tuiles_source"

// renderSource fingerprints what layer i's rendered tiles depend on: the
// table's last change (every tuiles import updates it) or the raster
// file's size and time, the style files' bytes, the format and the
// metatile shape. A cache made from another source is stale.
func (b *builder) renderSource(i int, l *catalog.Layer, f tiling.Format) string {
	cl := &b.cfg.Layers[i]
	h := sha256.New()
	fmt.Fprintf(h, "v1\x00%s\x00%v\x00%d\x00%d\x00", f.Name, cl.Tiles.Formats, cl.Tiles.MetaTile, cl.Tiles.Buffer)
	if l.Features != nil {
		if info, err := l.Features.Source.Layer(l.Features.Table); err == nil {
			fmt.Fprintf(h, "table\x00%s\x00%s\x00", info.Name, info.LastChange)
		}
	}
	if l.Raster != "" {
		if fi, err := os.Stat(l.Raster); err == nil {
			fmt.Fprintf(h, "raster\x00%s\x00%d\x00%d\x00", l.Raster, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	for _, st := range cl.Styles {
		if data, err := os.ReadFile(b.cfg.Resolve(st)); err == nil {
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// openRenderedCache opens the rendered cache at path for writing, creating
// it (and its directory) with the layer's metadata when missing.
func (b *builder) openRenderedCache(ctx context.Context, path string, set *tiling.TileMatrixSet, f tiling.Format, l *catalog.Layer, minZ, maxZ int, vectorLayers json.RawMessage, source string) (*mbtiles.Store, error) {
	opts := mbtiles.Options{TileMatrixSet: set, Writable: true, Logger: b.log}
	_, err := os.Stat(path)
	switch {
	case err == nil:
		s, err := mbtiles.Open(ctx, path, opts)
		if err != nil {
			return nil, err
		}
		meta := s.Metadata()
		if got := meta.Format; got != f.Name && !(got == "jpg" && f == tiling.JPEG) {
			s.Close()
			return nil, fmt.Errorf("%s holds %s tiles, not %s: remove it or change tiles.formats", path, got, f.Name)
		}
		if old := meta.Extra[sourceKey]; old != source {
			// The data, the style or the tiling changed since these
			// tiles were made: they are stale. Emptying the cache makes
			// on-demand filling and seeding replace them all.
			if b.beforeTruncate != nil {
				b.beforeTruncate(path)
			}
			n, err := s.Truncate(ctx)
			if err == nil {
				if meta.Extra == nil {
					meta.Extra = map[string]string{}
				}
				meta.Extra[sourceKey] = source
				meta.JSON = ""
				if len(vectorLayers) > 0 {
					meta.JSON = `{"vector_layers":` + string(vectorLayers) + `}`
				}
				err = s.SetMetadata(ctx, meta)
			}
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%s: emptying the stale cache: %w", path, err)
			}
			if old != "" {
				b.log.Info("rendered cache is stale (its data, style or tiling changed): emptied", "cache", path, "tiles", n)
			}
		}
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	meta := mbtiles.Metadata{
		Name:          l.Name,
		Format:        f.Name,
		Description:   l.Abstract,
		Attribution:   l.Attribution,
		MinZoom:       minZ,
		MaxZoom:       maxZ,
		Type:          "overlay",
		TileMatrixSet: set.ID,
		Extra:         map[string]string{sourceKey: source},
	}
	if len(vectorLayers) > 0 {
		meta.JSON = `{"vector_layers":` + string(vectorLayers) + `}`
	}
	if !l.Bounds.Empty() {
		meta.Bounds = [4]float64{l.Bounds.MinX, l.Bounds.MinY, l.Bounds.MaxX, l.Bounds.MaxY}
	}
	return mbtiles.Create(ctx, path, opts, meta)
}

// tileEncoder encodes rendered tiles in format f.
func (b *builder) tileEncoder(f tiling.Format, paletted bool) tiler.EncodeFunc {
	if paletted {
		return func(img *image.NRGBA) ([]byte, error) {
			var buf bytes.Buffer
			err := render.EncodePNG8(&buf, img)
			return buf.Bytes(), err
		}
	}
	if f == tiling.JPEG {
		return func(img *image.NRGBA) ([]byte, error) {
			var buf bytes.Buffer
			err := render.EncodeJPEG(&buf, img, jpegQuality)
			return buf.Bytes(), err
		}
	}
	png := &render.PNGEncoder{}
	return func(img *image.NRGBA) ([]byte, error) {
		var buf bytes.Buffer
		err := png.Encode(&buf, img)
		return buf.Bytes(), err
	}
}
