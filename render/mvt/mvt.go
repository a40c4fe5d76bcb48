// Package mvt encodes the features of store tables inside one tile's
// bounding box as a Mapbox Vector Tile (specification 2.1), through
// github.com/paulmach/orb/encoding/mvt.
//
// Like render, it speaks bbox + CRS and knows nothing of tile matrix sets:
// the caller gives the tile's bounds in the set's CRS, so that vector
// tiles work in any grid (WebMercatorQuad, WorldCRS84Quad, IGN's LAMB93…),
// not only in Web Mercator. For that reason it projects geometries to tile
// units itself rather than with orb's Layer.ProjectToTile, which assumes
// Web Mercator tiles.
//
// Each geometry is read through the table's R-tree, reprojected to the
// tile CRS with the encoder's PROJ transformers, mapped to tile units (origin at
// the top-left, y down), clipped to the tile widened by the buffer,
// simplified by about one tile unit, snapped to the integer grid with
// MVT's ring winding, and encoded with its store id and properties.
package mvt

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// ErrTooManyFeatures is wrapped by Encode when a tile would read more than
// Request.MaxFeatures features.
var ErrTooManyFeatures = errors.New("too many features for one vector tile")

// DefaultExtent is the tile extent used when Request.Extent is 0.
const DefaultExtent = 4096

// defaultBuffer is the buffer, in units of a 4096 extent, used when
// Request.Buffer is 0: 64/4096 of a tile (4 pixels of a 256-pixel tile) is
// what tippecanoe and most servers use, enough for line joins and point
// symbols that straddle a tile edge to draw without seams.
const defaultBuffer = 64

// Layer is one MVT layer of a tile, read from one store table.
type Layer struct {
	// Name is the MVT layer name; empty means Table. Names must be
	// unique within a request.
	Name   string
	Source store.Source
	Table  string
	// Properties lists the attributes to keep: nil keeps every field,
	// empty non-nil keeps none. Binary fields are never encoded (MVT has
	// no bytes value).
	Properties []string
	// MinZoom and MaxZoom bound the zoom levels whose tiles include the
	// layer; MaxZoom 0 means no upper limit.
	MinZoom, MaxZoom int
}

// name is the MVT layer name of l.
func (l Layer) name() string {
	if l.Name != "" {
		return l.Name
	}
	return l.Table
}

// visible tells whether l belongs in tiles of zoom z.
func (l Layer) visible(z int) bool {
	return z >= l.MinZoom && (l.MaxZoom == 0 || z <= l.MaxZoom)
}

// Request describes one tile.
type Request struct {
	Layers []Layer
	// CRS is the tile matrix set's CRS; BBox the tile's bounds in it, in
	// easting/northing order.
	CRS  crs.CRS
	BBox crs.Bounds
	// Zoom is the tile's level, compared with the layers' zoom ranges.
	Zoom int
	// Extent is the size of the tile in tile units; 0 means 4096.
	Extent int
	// Buffer is how far beyond the tile, in tile units, geometries are
	// kept (clipped there); 0 means 64 units of a 4096 extent, scaled to
	// Extent; negative means none.
	Buffer int
	// MaxFeatures bounds the features read for the tile, all layers
	// together, before clipping; 0 means no limit. Beyond it Encode fails
	// with an error wrapping ErrTooManyFeatures.
	MaxFeatures int
}

// Encoder encodes vector tiles. It keeps PROJ transformers between calls,
// so one Encoder should serve many tiles. The zero value is ready to use;
// an Encoder is safe for concurrent use and must not be copied after
// first use.
type Encoder struct {
	trs crs.Transformers
}

// Encode returns the tile as uncompressed MVT protobuf, or nil with no
// error when no feature lands in it (callers answer 204 or store
// nothing). Layers outside the zoom range and layers left without
// features are not written.
func (e *Encoder) Encode(ctx context.Context, req Request) ([]byte, error) {
	if req.BBox.Empty() {
		return nil, fmt.Errorf("mvt: empty tile bounds %s", req.BBox)
	}
	extent := req.Extent
	if extent == 0 {
		extent = DefaultExtent
	}
	if extent < 0 {
		return nil, fmt.Errorf("mvt: negative extent %d", extent)
	}
	buffer := req.Buffer
	switch {
	case buffer == 0:
		buffer = defaultBuffer * extent / DefaultExtent
	case buffer < 0:
		buffer = 0
	}
	seen := make(map[string]bool, len(req.Layers))
	for _, l := range req.Layers {
		// The specification forbids two layers of one name in a tile, and
		// merging them would mix feature ids of two tables.
		if seen[l.name()] {
			return nil, fmt.Errorf("mvt: two layers named %q", l.name())
		}
		seen[l.name()] = true
	}

	budget := req.MaxFeatures
	var layers mvt.Layers
	for _, l := range req.Layers {
		if !l.visible(req.Zoom) {
			continue
		}
		ml, err := e.encodeLayer(ctx, req, l, extent, buffer, &budget)
		if err != nil {
			return nil, fmt.Errorf("mvt: layer %q: %w", l.name(), err)
		}
		if len(ml.Features) > 0 {
			layers = append(layers, ml)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, nil
	}
	data, err := mvt.Marshal(layers)
	if err != nil {
		return nil, fmt.Errorf("mvt: %w", err)
	}
	return data, nil
}

// encodeLayer reads the features of l in the buffered tile and shapes
// them in tile units; budget counts down the features read when
// req.MaxFeatures is set.
func (e *Encoder) encodeLayer(ctx context.Context, req Request, l Layer, extent, buffer int, budget *int) (*mvt.Layer, error) {
	info, err := l.Source.Layer(l.Table)
	if err != nil {
		return nil, err
	}
	fields, err := selectFields(info, l.Properties)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}

	b := req.BBox
	bufX := float64(buffer) * b.Width() / float64(extent)
	bufY := float64(buffer) * b.Height() / float64(extent)
	q := crs.Bounds{MinX: b.MinX - bufX, MinY: b.MinY - bufY, MaxX: b.MaxX + bufX, MaxY: b.MaxY + bufY}
	query := store.Query{Layer: l.Table, BBox: &q, Properties: names}
	var fwd *crs.Transformer
	if info.CRS != req.CRS {
		fwd, err = e.trs.Get(info.CRS, req.CRS)
		if err != nil {
			return nil, err
		}
		inv, err := e.trs.Get(req.CRS, info.CRS)
		if err != nil {
			return nil, err
		}
		lb, err := inv.Bounds(q)
		if err != nil {
			// The tile reaches beyond the area where the inverse is
			// defined (Web Mercator past the poles, a national grid's
			// far corners): read everything and let per-point transforms
			// sort it out.
			query.BBox = nil
		} else {
			query.BBox = &lb
		}
	}

	view := newTileView(b, extent)
	clipBound := orb.Bound{Min: orb.Point{-float64(buffer), -float64(buffer)}, Max: orb.Point{float64(extent + buffer), float64(extent + buffer)}}
	simp := simplify.DouglasPeucker(simplifyUnits)
	ml := &mvt.Layer{Name: l.name(), Version: 2, Extent: uint32(extent)}
	for f, err := range l.Source.Features(ctx, query) {
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if req.MaxFeatures > 0 {
			*budget--
			if *budget < 0 {
				return nil, fmt.Errorf("%w: more than %d", ErrTooManyFeatures, req.MaxFeatures)
			}
		}
		g := store.ToOrb(f.Geometry)
		if g == nil {
			continue
		}
		g, ok := project(g, fwd, view)
		if !ok {
			continue
		}
		var props geojson.Properties
		for _, part := range split(g) {
			part = shape(part, clipBound, simp)
			if part == nil {
				continue
			}
			if props == nil {
				props = properties(fields, f.Properties)
			}
			// Collections give one feature per geometry type, sharing
			// the id: MVT features have a single type.
			ml.Features = append(ml.Features, &geojson.Feature{ID: f.ID, Geometry: part, Properties: props})
		}
	}
	return ml, nil
}

// selectFields resolves Layer.Properties against the table, leaving out
// binary fields, which MVT cannot carry.
func selectFields(info store.Layer, names []string) ([]store.Field, error) {
	out := []store.Field{}
	if names == nil {
		for _, f := range info.Fields {
			if f.Kind != filter.Binary && f.Kind != filter.Geometry {
				out = append(out, f)
			}
		}
		return out, nil
	}
	byName := make(map[string]store.Field, len(info.Fields))
	for _, f := range info.Fields {
		byName[f.Name] = f
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		f, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("no field %q in table %q", n, info.Name)
		}
		if seen[n] || f.Kind == filter.Binary || f.Kind == filter.Geometry {
			continue
		}
		seen[n] = true
		out = append(out, f)
	}
	return out, nil
}

// properties maps a feature's values to MVT values: strings, integers,
// floats and booleans as they are, times as RFC 3339 text (MVT has no
// time type), NULLs and bytes left out (MVT has neither).
func properties(fields []store.Field, values []any) geojson.Properties {
	props := make(geojson.Properties, len(fields))
	for i, f := range fields {
		if i >= len(values) {
			break
		}
		switch v := values[i].(type) {
		case string, int64, float64, bool:
			props[f.Name] = v
		case time.Time:
			if f.Kind == filter.Date {
				// A date is stored as midnight UTC; its RFC 3339
				// full-date form says what the column holds.
				props[f.Name] = v.Format(time.DateOnly)
			} else {
				props[f.Name] = v.Format(time.RFC3339Nano)
			}
		}
	}
	return props
}

// Gzip compresses an encoded tile, the form MBTiles stores and most
// clients accept with Content-Encoding: gzip.
func Gzip(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
