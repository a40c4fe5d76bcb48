package main

import (
	"context"
	"fmt"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
)

// featureStore opens the configuration's store once, read-only, for every
// layer that names one of its tables.
func (b *builder) featureStore(ctx context.Context) (*store.Store, error) {
	if b.out.features != nil {
		return b.out.features, nil
	}
	s, err := store.Open(ctx, b.cfg.Resolve(b.cfg.Store), store.Options{ReadOnly: true, Logger: b.log})
	if err != nil {
		return nil, err
	}
	b.out.features = s
	return s, nil
}

// featureLayer builds layer i, whose only data is a table of the store.
func (b *builder) featureLayer(ctx context.Context, i int) *catalog.Layer {
	cl := &b.cfg.Layers[i]
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
	return l
}

// features finds layer i's table in the store, reporting a problem when it
// cannot.
func (b *builder) features(ctx context.Context, i int) (*catalog.Features, store.Layer, bool) {
	cl := &b.cfg.Layers[i]
	s, err := b.featureStore(ctx)
	if err != nil {
		b.problem("store", "%v", err)
		return nil, store.Layer{}, false
	}
	t, err := s.Layer(cl.Data.Table)
	if err != nil {
		var names []string
		for _, l := range s.Layers() {
			names = append(names, l.Name)
		}
		b.problem(fmt.Sprintf("layers[%d].data.table", i), "the store %s has no table %q (tables: %v)", b.cfg.Resolve(b.cfg.Store), cl.Data.Table, names)
		return nil, store.Layer{}, false
	}
	return &catalog.Features{Source: s, Table: t.Name}, t, true
}

// wgs84Extent is a table's extent in longitude/latitude, or the world when
// it is unknown or cannot be transformed.
func wgs84Extent(t store.Layer) crs.Bounds {
	world := crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}
	if t.Extent.Empty() {
		return world
	}
	if t.CRS == crs.WGS84 || t.CRS == crs.CRS84 {
		return t.Extent
	}
	tr, err := crs.NewTransformer(t.CRS, crs.WGS84)
	if err != nil {
		return world
	}
	wgs, err := tr.Bounds(t.Extent)
	if err != nil {
		return world
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
