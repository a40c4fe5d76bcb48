// Package geomproj carries geometries from their stored CRS to the units
// of an output (map pixels, vector tile units), the one step the WMS
// renderer and the vector tile encoder share.
package geomproj

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// Project transforms g in place through fwd (nil when the CRSs are the
// same), then to output units with to. Vertices with no image in the
// output CRS (Web Mercator's poles, points outside a projection's domain)
// are dropped, so that e.g. Antarctica still draws in EPSG:3857 without
// its pole vertices. Vertices within minDist output units of the previous
// kept one cannot show and are dropped too, in the same pass, which leaves
// far less to clip and simplify at small scales; a line's last vertex (a
// ring's closing one) is always kept. ok is false when nothing is left.
func Project(g orb.Geometry, fwd *crs.Transformer, to func(x, y float64) orb.Point, minDist float64) (orb.Geometry, bool) {
	p := projector{fwd: fwd, to: to, min2: minDist * minDist}
	return p.walk(g)
}

type projector struct {
	fwd  *crs.Transformer
	to   func(x, y float64) orb.Point
	min2 float64
}

func (p projector) point(pt orb.Point) (orb.Point, bool) {
	if p.fwd != nil {
		x, y, err := p.fwd.Point(pt[0], pt[1])
		if err != nil {
			return pt, false
		}
		pt = orb.Point{x, y}
	}
	return p.to(pt[0], pt[1]), true
}

func (p projector) points(ps []orb.Point) []orb.Point {
	if p.fwd != nil {
		// One PROJ call per line or ring, not per vertex.
		if err := crs.Pairs(p.fwd, ps); err != nil {
			return ps[:0]
		}
	}
	out := ps[:0]
	last := len(ps) - 1
	for i, pt := range ps {
		if math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) {
			continue // no image in the output CRS
		}
		q := p.to(pt[0], pt[1])
		if n := len(out); n > 0 && i != last {
			dx, dy := q[0]-out[n-1][0], q[1]-out[n-1][1]
			if dx*dx+dy*dy < p.min2 {
				continue
			}
		}
		out = append(out, q)
	}
	return out
}

func (p projector) polygon(pg orb.Polygon) orb.Polygon {
	out := pg[:0]
	for i, r := range pg {
		r = orb.Ring(p.points(r))
		if len(r) < 3 {
			if i == 0 {
				return nil // no exterior ring, no polygon
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func (p projector) walk(g orb.Geometry) (orb.Geometry, bool) {
	switch g := g.(type) {
	case orb.Point:
		return p.point(g)
	case orb.MultiPoint:
		g = orb.MultiPoint(p.points(g))
		return g, len(g) > 0
	case orb.LineString:
		g = orb.LineString(p.points(g))
		return g, len(g) >= 2
	case orb.MultiLineString:
		out := g[:0]
		for _, l := range g {
			if l = p.points(l); len(l) >= 2 {
				out = append(out, l)
			}
		}
		return out, len(out) > 0
	case orb.Ring:
		g = orb.Ring(p.points(g))
		return g, len(g) >= 3
	case orb.Polygon:
		g = p.polygon(g)
		return g, len(g) > 0
	case orb.MultiPolygon:
		out := g[:0]
		for _, pg := range g {
			if pg = p.polygon(pg); len(pg) > 0 {
				out = append(out, pg)
			}
		}
		return out, len(out) > 0
	case orb.Collection:
		out := g[:0]
		for _, m := range g {
			if m, ok := p.walk(m); ok {
				out = append(out, m)
			}
		}
		return out, len(out) > 0
	case orb.Bound:
		return p.walk(g.ToPolygon())
	}
	return g, false
}
