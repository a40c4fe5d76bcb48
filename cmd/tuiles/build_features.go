package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

// featureStore opens a store once, read-only, for every layer that names
// one of its tables: the configuration's, or the layer's data.store.
func (b *builder) featureStore(ctx context.Context, path string) (*store.Store, error) {
	if s, ok := b.out.features[path]; ok {
		return s, nil
	}
	s, err := store.Open(ctx, path, store.Options{ReadOnly: true, Logger: b.log, Observe: b.out.metrics.observeQuery})
	if err != nil {
		return nil, err
	}
	if b.out.features == nil {
		b.out.features = map[string]*store.Store{}
	}
	b.out.features[path] = s
	return s, nil
}

// featureLayer builds layer i, whose data is a table of the store, a
// raster, or both.
func (b *builder) featureLayer(ctx context.Context, i int) *catalog.Layer {
	cl := &b.cfg.Layers[i]
	if cl.Data.Table == "" {
		return b.rasterLayer(i)
	}
	feats, t, ok := b.features(ctx, i)
	if !ok {
		return nil
	}
	l := &catalog.Layer{
		Name:        cl.Name,
		Title:       firstNonEmpty(cl.Title, t.Title, cl.Name),
		Abstract:    firstNonEmpty(cl.Abstract, t.Description),
		Keywords:    cl.Keywords,
		Attribution: cl.Attribution,
		Features:    feats,
		Services:    protocols(cl),
	}
	l.Bounds = wgs84Extent(t)
	if cl.Data.Raster != "" {
		l.Raster = b.cfg.Resolve(cl.Data.Raster)
	}
	return l
}

// rasterLayer builds layer i, whose only data is a raster file.
func (b *builder) rasterLayer(i int) *catalog.Layer {
	cl := &b.cfg.Layers[i]
	path := b.cfg.Resolve(cl.Data.Raster)
	r, err := gdal.OpenRaster(context.Background(), path)
	if err != nil {
		b.problem(fmt.Sprintf("layers[%d].data.raster", i), "%v", err)
		return nil
	}
	defer r.Close()
	info := r.Info()
	l := &catalog.Layer{
		Name:        cl.Name,
		Title:       firstNonEmpty(cl.Title, cl.Name),
		Abstract:    cl.Abstract,
		Keywords:    cl.Keywords,
		Attribution: cl.Attribution,
		Raster:      path,
		Services:    protocols(cl),
		Bounds:      crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90},
	}
	if c, err := crs.Parse(info.SRS.Authority + ":" + info.SRS.Code); err == nil && info.SRS.Code != "" {
		native := crs.Bounds{MinX: info.Bounds[0], MinY: info.Bounds[1], MaxX: info.Bounds[2], MaxY: info.Bounds[3]}
		if tr, err := crs.NewTransformer(c, crs.WGS84); err == nil {
			if wgs, err := tr.Bounds(native); err == nil {
				l.Bounds = wgs
			}
		}
	}
	return l
}

// mapStyles parses layer i's SLD files into the WMS styles of l; the
// styles of the SLD's NamedLayer named like the layer, else of its first.
func (b *builder) mapStyles(i int, l *catalog.Layer) bool {
	cl := &b.cfg.Layers[i]
	ok := true
	for j, file := range cl.Styles {
		key := fmt.Sprintf("layers[%d].styles[%d]", i, j)
		sld, err := styles.ParseFile(b.cfg.Resolve(file))
		if err != nil {
			b.problem(key, "%v", err)
			ok = false
			continue
		}
		if len(sld.Layers) == 0 {
			b.problem(key, "%s has no NamedLayer", file)
			ok = false
			continue
		}
		nl := sld.Layers[0]
		for _, cand := range sld.Layers {
			if cand.Name == cl.Name {
				nl = cand
			}
		}
		for _, ns := range nl.Styles {
			st := ns.Style
			path := b.cfg.Resolve(file)
			if err := styles.LoadGraphics(&st, filepath.Base(path), filepath.Dir(path)); err != nil {
				b.problem(key, "%v", err)
				ok = false
				continue
			}
			l.MapStyles = append(l.MapStyles, catalog.MapStyle{Name: st.Name, Title: st.Title, Abstract: st.Abstract, Style: &st})
		}
	}
	return ok
}

// features finds layer i's table in the store, reporting a problem when it
// cannot.
func (b *builder) features(ctx context.Context, i int) (*catalog.Features, store.Layer, bool) {
	cl := &b.cfg.Layers[i]
	path, key := b.cfg.Resolve(b.cfg.Store), "store"
	if cl.Data.Store != "" {
		path, key = b.cfg.Resolve(cl.Data.Store), fmt.Sprintf("layers[%d].data.store", i)
	}
	s, err := b.featureStore(ctx, path)
	if err != nil {
		b.problem(key, "%v", err)
		return nil, store.Layer{}, false
	}
	t, err := s.Layer(cl.Data.Table)
	if err != nil {
		var names []string
		for _, l := range s.Layers() {
			names = append(names, l.Name)
		}
		b.problem(fmt.Sprintf("layers[%d].data.table", i), "the store %s has no table %q (tables: %v)", path, cl.Data.Table, names)
		return nil, store.Layer{}, false
	}
	return &catalog.Features{Source: s, Table: t.Name}, t, true
}

// wgs84Extent is a table's extent in longitude/latitude, or the world when
// it is unknown or cannot be transformed.
func wgs84Extent(t store.Layer) crs.Bounds {
	wgs, err := crs.ToWGS84(t.CRS, t.Extent)
	if err != nil {
		return crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}
	}
	return wgs
}

// protocols turns the configured services into the catalog's; nil keeps
// the catalog's default (every service the data feeds).
func protocols(cl *config.Layer) []catalog.Protocol {
	if len(cl.Services) == 0 {
		return nil
	}
	out := make([]catalog.Protocol, len(cl.Services))
	for i, s := range cl.Services {
		out[i] = catalog.Protocol(s)
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
