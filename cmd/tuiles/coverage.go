package main

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/tiling"
)

// coverage is an area to seed or truncate: the polygons of an OGR source
// (any format GDAL reads), in a tile matrix set's CRS.
type coverage struct {
	polys  []orb.Polygon
	bounds crs.Bounds
}

// loadCoverage reads the polygons of layer (the first when "") of path,
// keeping the features where matches (an OGR SQL WHERE clause, "" for
// all), reprojected into set's CRS.
func loadCoverage(ctx context.Context, path, layer, where string, set *tiling.TileMatrixSet) (*coverage, error) {
	ds, err := gdal.OpenVector(ctx, path, gdal.OpenOptions{})
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	layers, err := ds.Layers(ctx)
	if err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("%s has no layer", path)
	}
	if layer == "" {
		layer = layers[0].Name
	}
	c := &coverage{}
	first := true
	q := gdal.ReadQuery{Where: where, TargetSRS: set.CRSInfo.CRS.String(), Linear: true, Dim: gdal.DimXY}
	for f, err := range ds.Features(ctx, layer, q) {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if f.WKB == nil {
			continue
		}
		g, err := wkb.Unmarshal(f.WKB)
		if err != nil {
			return nil, fmt.Errorf("%s: feature %d: %w", path, f.FID, err)
		}
		var polys []orb.Polygon
		switch g := g.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		default:
			return nil, fmt.Errorf("%s: feature %d is a %s; a coverage is made of polygons", path, f.FID, g.GeoJSONType())
		}
		for _, p := range polys {
			if len(p) == 0 {
				continue
			}
			b := p.Bound()
			pb := crs.Bounds{MinX: b.Min[0], MinY: b.Min[1], MaxX: b.Max[0], MaxY: b.Max[1]}
			if first {
				c.bounds, first = pb, false
			} else {
				c.bounds = crs.Bounds{MinX: min(c.bounds.MinX, pb.MinX), MinY: min(c.bounds.MinY, pb.MinY), MaxX: max(c.bounds.MaxX, pb.MaxX), MaxY: max(c.bounds.MaxY, pb.MaxY)}
			}
			c.polys = append(c.polys, p)
		}
	}
	if len(c.polys) == 0 {
		return nil, fmt.Errorf("%s has no polygon (where %q)", path, where)
	}
	return c, nil
}

// meets tells whether the coverage meets the rectangle b.
func (c *coverage) meets(b crs.Bounds) bool {
	rect := orb.Bound{Min: orb.Point{b.MinX, b.MinY}, Max: orb.Point{b.MaxX, b.MaxY}}
	corners := []orb.Point{{b.MinX, b.MinY}, {b.MaxX, b.MinY}, {b.MaxX, b.MaxY}, {b.MinX, b.MaxY}}
	for _, p := range c.polys {
		if !p.Bound().Intersects(rect) {
			continue
		}
		// A vertex inside the rectangle, a corner inside the polygon, or
		// an edge crossing a side.
		for _, ring := range p {
			for _, v := range ring {
				if rect.Contains(v) {
					return true
				}
			}
		}
		for _, k := range corners {
			if planar.PolygonContains(p, k) {
				return true
			}
		}
		for _, ring := range p {
			for i := 0; i+1 < len(ring); i++ {
				for j := range 4 {
					if segmentsCross(ring[i], ring[i+1], corners[j], corners[(j+1)%4]) {
						return true
					}
				}
			}
		}
	}
	return false
}

func segmentsCross(a, b, c, d orb.Point) bool {
	o := func(p, q, r orb.Point) float64 { return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0]) }
	d1, d2, d3, d4 := o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d)
	return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0)
}

// covers is seed.Options.Covers for zoom z's metatile r.
func (c *coverage) covers(set *tiling.TileMatrixSet) func(z int, r tiling.TileRange) bool {
	return func(z int, r tiling.TileRange) bool {
		m, ok := set.Level(z)
		return ok && c.meets(m.RangeBounds(r))
	}
}
