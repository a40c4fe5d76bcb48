package store

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// ToOrb converts a go-geom geometry to its 2D orb equivalent, dropping Z and
// M: the store keeps full dimensions, while filters, rendering and tiling
// work in 2D with orb. It returns nil for nil and for an empty point (orb has
// no empty point); other empty geometries become empty orb values.
func ToOrb(g geom.T) orb.Geometry {
	switch g := g.(type) {
	case *geom.Point:
		if g.Empty() {
			return nil
		}
		return orb.Point{g.X(), g.Y()}
	case *geom.LineString:
		return orb.LineString(orbPoints(g.FlatCoords(), g.Stride()))
	case *geom.Polygon:
		return orbPolygon(g.FlatCoords(), g.Ends(), g.Stride())
	case *geom.MultiPoint:
		mp := make(orb.MultiPoint, 0, g.NumPoints())
		fc, stride := g.FlatCoords(), g.Stride()
		for i := 0; i+1 < len(fc); i += stride {
			// An empty member point is stored as NaN coordinates.
			if math.IsNaN(fc[i]) && math.IsNaN(fc[i+1]) {
				continue
			}
			mp = append(mp, orb.Point{fc[i], fc[i+1]})
		}
		return mp
	case *geom.MultiLineString:
		mls := make(orb.MultiLineString, 0, len(g.Ends()))
		fc, stride, start := g.FlatCoords(), g.Stride(), 0
		for _, end := range g.Ends() {
			mls = append(mls, orb.LineString(orbPoints(fc[start:end], stride)))
			start = end
		}
		return mls
	case *geom.MultiPolygon:
		mp := make(orb.MultiPolygon, 0, len(g.Endss()))
		fc, stride, start := g.FlatCoords(), g.Stride(), 0
		for _, ends := range g.Endss() {
			if len(ends) == 0 {
				mp = append(mp, orb.Polygon{})
				continue
			}
			// Ends are offsets into the whole flat slice.
			rel := make([]int, len(ends))
			for i, e := range ends {
				rel[i] = e - start
			}
			mp = append(mp, orbPolygon(fc[start:ends[len(ends)-1]], rel, stride))
			start = ends[len(ends)-1]
		}
		return mp
	case *geom.GeometryCollection:
		c := make(orb.Collection, 0, g.NumGeoms())
		for _, m := range g.Geoms() {
			if o := ToOrb(m); o != nil {
				c = append(c, o)
			}
		}
		return c
	default:
		return nil
	}
}

func orbPoints(fc []float64, stride int) []orb.Point {
	pts := make([]orb.Point, 0, len(fc)/stride)
	for i := 0; i+1 < len(fc); i += stride {
		pts = append(pts, orb.Point{fc[i], fc[i+1]})
	}
	return pts
}

func orbPolygon(fc []float64, ends []int, stride int) orb.Polygon {
	p := make(orb.Polygon, 0, len(ends))
	start := 0
	for _, end := range ends {
		p = append(p, orb.Ring(orbPoints(fc[start:end], stride)))
		start = end
	}
	return p
}
