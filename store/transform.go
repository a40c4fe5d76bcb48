package store

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// transform brings a filter literal from one CRS to another (both
// easting/northing), point by point; bounds are transformed densified, so
// that they enclose the curved image of the box.
func (s *Store) transform(from, to crs.CRS, g orb.Geometry) (orb.Geometry, error) {
	if from == (crs.CRS{}) || sameCRS(from, to) || g == nil {
		return g, nil
	}
	key := [2]crs.CRS{from, to}
	v, ok := s.transformers.Load(key)
	if !ok {
		tr, err := crs.NewTransformer(from, to)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", crs.ErrUnknownCRS, err)
		}
		v, _ = s.transformers.LoadOrStore(key, tr)
	}
	return transformOrb(v.(*crs.Transformer), g)
}

func transformOrb(tr *crs.Transformer, g orb.Geometry) (orb.Geometry, error) {
	pts := func(in []orb.Point) ([]orb.Point, error) {
		out := make([]orb.Point, len(in))
		for i, p := range in {
			x, y, err := tr.Point(p[0], p[1])
			if err != nil {
				return nil, err
			}
			out[i] = orb.Point{x, y}
		}
		return out, nil
	}
	switch g := g.(type) {
	case orb.Point:
		x, y, err := tr.Point(g[0], g[1])
		return orb.Point{x, y}, err
	case orb.MultiPoint:
		out, err := pts(g)
		return orb.MultiPoint(out), err
	case orb.LineString:
		out, err := pts(g)
		return orb.LineString(out), err
	case orb.Ring:
		out, err := pts(g)
		return orb.Ring(out), err
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			p, err := pts(ls)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			p, err := pts(r)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, poly := range g {
			p, err := transformOrb(tr, poly)
			if err != nil {
				return nil, err
			}
			out[i] = p.(orb.Polygon)
		}
		return out, nil
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, m := range g {
			p, err := transformOrb(tr, m)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case orb.Bound:
		b, err := tr.Bounds(crs.Bounds{MinX: g.Min[0], MinY: g.Min[1], MaxX: g.Max[0], MaxY: g.Max[1]})
		if err != nil {
			return nil, err
		}
		return orb.Bound{Min: orb.Point{b.MinX, b.MinY}, Max: orb.Point{b.MaxX, b.MaxY}}, nil
	}
	return nil, fmt.Errorf("cannot transform %T", g)
}
