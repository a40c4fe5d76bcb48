package filter

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// The spatial predicates are computed here on plain orb geometries, without
// GEOS: every geometry is decomposed into its points, lines and polygons
// (a "shape"), and each predicate is derived from three exact questions —
// do the geometries meet, do their interiors meet, is one covered by the
// other — following the DE-9IM definitions of OGC Simple Features.
//
// Assumptions, documented because they are where results may differ from
// GEOS: geometries are OGC-valid (polygon rings simple, holes inside their
// shell and touching it at points only, multipolygon parts not sharing
// edges); line boundaries follow the mod-2 rule; a polygon whose shell is
// degenerate (collinear, fewer than three distinct points) is treated as
// its outline, a degenerate hole is ignored, a line of one distinct point is
// a point.

// loc is where a point lies relative to a geometry.
type loc int

const (
	exterior loc = iota
	boundary
	interior
)

type polygon struct {
	rings []orb.Ring // [0] is the shell; closed, no repeated consecutive points
	// left[i] tells whether the polygon's interior lies to the left of
	// ring i as it is traversed.
	left  []bool
	bound orb.Bound
}

// shape is a geometry decomposed for the predicates.
type shape struct {
	pts   []orb.Point
	lines []orb.LineString // each with at least two distinct points
	polys []polygon
	// lineBoundary holds the mod-2 boundary of the lines: endpoints
	// shared by an odd number of open lines.
	lineBoundary map[orb.Point]bool
	bound        orb.Bound
	hasBound     bool
}

// prepare decomposes g. It fails on non-finite coordinates and on geometry
// types orb may grow in the future.
func prepare(g orb.Geometry) (*shape, error) {
	s := &shape{}
	if err := s.add(g, 0); err != nil {
		return nil, err
	}
	ends := map[orb.Point]int{}
	for _, l := range s.lines {
		if l[0] != l[len(l)-1] {
			ends[l[0]]++
			ends[l[len(l)-1]]++
		}
	}
	for p, n := range ends {
		if n%2 == 1 {
			if s.lineBoundary == nil {
				s.lineBoundary = map[orb.Point]bool{}
			}
			s.lineBoundary[p] = true
		}
	}
	return s, nil
}

func (s *shape) extend(p orb.Point) {
	if !s.hasBound {
		s.bound, s.hasBound = orb.Bound{Min: p, Max: p}, true
		return
	}
	s.bound = s.bound.Extend(p)
}

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}

func (s *shape) add(g orb.Geometry, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: geometry collections nested deeper than %d", ErrInvalid, MaxDepth)
	}
	switch g := g.(type) {
	case nil:
	case orb.Point:
		return s.addPoint(g)
	case orb.MultiPoint:
		for _, p := range g {
			if err := s.addPoint(p); err != nil {
				return err
			}
		}
	case orb.LineString:
		return s.addLine(g)
	case orb.MultiLineString:
		for _, l := range g {
			if err := s.addLine(l); err != nil {
				return err
			}
		}
	case orb.Ring:
		return s.addPolygon(orb.Polygon{g})
	case orb.Polygon:
		return s.addPolygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if err := s.addPolygon(p); err != nil {
				return err
			}
		}
	case orb.Collection:
		for _, c := range g {
			if err := s.add(c, depth+1); err != nil {
				return err
			}
		}
	case orb.Bound:
		return s.add(boundGeometry(g), depth+1)
	default:
		return fmt.Errorf("%w: geometry type %T", ErrUnsupported, g)
	}
	return nil
}

// boundGeometry turns a box into the geometry it covers: a polygon, or a
// line or point when it is flat.
func boundGeometry(b orb.Bound) orb.Geometry {
	switch {
	case b.Min == b.Max:
		return b.Min
	case b.Min[0] == b.Max[0] || b.Min[1] == b.Max[1]:
		return orb.LineString{b.Min, b.Max}
	}
	return orb.Polygon{orb.Ring{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min}}
}

func (s *shape) addPoint(p orb.Point) error {
	if !finite(p) {
		return fmt.Errorf("%w: non-finite coordinate %v", ErrInvalid, p)
	}
	s.pts = append(s.pts, p)
	s.extend(p)
	return nil
}

// dedupe drops repeated consecutive points, which would make zero-length
// segments.
func dedupe(pts []orb.Point) ([]orb.Point, error) {
	out := make([]orb.Point, 0, len(pts))
	for _, p := range pts {
		if !finite(p) {
			return nil, fmt.Errorf("%w: non-finite coordinate %v", ErrInvalid, p)
		}
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *shape) addLine(l orb.LineString) error {
	pts, err := dedupe(l)
	if err != nil {
		return err
	}
	switch len(pts) {
	case 0:
		return nil
	case 1:
		return s.addPoint(pts[0])
	}
	s.lines = append(s.lines, orb.LineString(pts))
	for _, p := range pts {
		s.extend(p)
	}
	return nil
}

// cleanRing dedupes and closes r; ok is false when fewer than three
// distinct points remain.
func cleanRing(r orb.Ring) (orb.Ring, bool, error) {
	pts, err := dedupe(r)
	if err != nil {
		return nil, false, err
	}
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	if len(pts) < 3 {
		return orb.Ring(pts), false, nil
	}
	return orb.Ring(append(pts, pts[0])), true, nil
}

// ringCCW tells whether a closed ring turns counter-clockwise, from the
// turn at its lowest-leftmost vertex, which is on the convex hull and so
// exact to decide; ok is false for a collinear ring.
func ringCCW(r orb.Ring) (ccw, ok bool) {
	n := len(r) - 1
	lo := 0
	for i := 1; i < n; i++ {
		if r[i][1] < r[lo][1] || (r[i][1] == r[lo][1] && r[i][0] < r[lo][0]) {
			lo = i
		}
	}
	o := orient(r[(lo+n-1)%n], r[lo], r[(lo+1)%n])
	return o > 0, o != 0
}

func (s *shape) addPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return nil
	}
	shell, ok, err := cleanRing(p[0])
	if err != nil {
		return err
	}
	ccw, turns := false, false
	if ok {
		ccw, turns = ringCCW(shell)
	}
	if !ok || !turns {
		// No area: keep the outline so that it still meets what it
		// touches.
		return s.addLine(orb.LineString(shell))
	}
	pl := polygon{rings: []orb.Ring{shell}, left: []bool{ccw}, bound: shell.Bound()}
	for _, h := range p[1:] {
		hole, ok, err := cleanRing(h)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		hccw, turns := ringCCW(hole)
		if !turns {
			continue
		}
		pl.rings = append(pl.rings, hole)
		pl.left = append(pl.left, !hccw)
	}
	s.polys = append(s.polys, pl)
	for _, q := range shell {
		s.extend(q)
	}
	return nil
}

func (s *shape) empty() bool { return len(s.pts) == 0 && len(s.lines) == 0 && len(s.polys) == 0 }

// dim is the topological dimension of the shape's highest-dimension part.
func (s *shape) dim() int {
	switch {
	case len(s.polys) > 0:
		return 2
	case len(s.lines) > 0:
		return 1
	case len(s.pts) > 0:
		return 0
	}
	return -1
}

// mixed tells whether the shape has parts of different dimensions (a
// heterogeneous collection), for which only some predicates are defined
// here.
func (s *shape) mixed() bool {
	n := 0
	for _, has := range []bool{len(s.pts) > 0, len(s.lines) > 0, len(s.polys) > 0} {
		if has {
			n++
		}
	}
	return n > 1
}

// segments calls fn for every segment of the lines and polygon rings until
// fn returns false.
func (s *shape) segments(fn func(a, b orb.Point) bool) bool {
	for _, l := range s.lines {
		for i := 0; i+1 < len(l); i++ {
			if !fn(l[i], l[i+1]) {
				return false
			}
		}
	}
	return s.edges(func(a, b orb.Point, _ *polygon, _ int) bool { return fn(a, b) })
}

// edges calls fn for every polygon ring edge with its polygon and ring
// index until fn returns false.
func (s *shape) edges(fn func(a, b orb.Point, p *polygon, ring int) bool) bool {
	for i := range s.polys {
		p := &s.polys[i]
		for k, r := range p.rings {
			for j := 0; j+1 < len(r); j++ {
				if !fn(r[j], r[j+1], p, k) {
					return false
				}
			}
		}
	}
	return true
}

// lineSegments calls fn for every segment of the lines until fn returns
// false.
func (s *shape) lineSegments(fn func(a, b orb.Point) bool) bool {
	for _, l := range s.lines {
		for i := 0; i+1 < len(l); i++ {
			if !fn(l[i], l[i+1]) {
				return false
			}
		}
	}
	return true
}

// boxesMeet tells whether the boxes of segments a-b and c-d meet, a cheap
// test before the orientation predicates.
func boxesMeet(a, b, c, d orb.Point) bool {
	return math.Max(a[0], b[0]) >= math.Min(c[0], d[0]) && math.Max(c[0], d[0]) >= math.Min(a[0], b[0]) &&
		math.Max(a[1], b[1]) >= math.Min(c[1], d[1]) && math.Max(c[1], d[1]) >= math.Min(a[1], b[1])
}

func segBoxMeets(a, b orb.Point, box orb.Bound) bool {
	return boxesMeet(a, b, box.Min, box.Max)
}

// locatePoints locates p in the points of s.
func (s *shape) locatePoints(p orb.Point) loc {
	if slices.Contains(s.pts, p) {
		return interior
	}
	return exterior
}

// locateLines locates p on the lines of s; endpoints in the mod-2 boundary
// are boundary even where another line passes (as JTS does).
func (s *shape) locateLines(p orb.Point) loc {
	if s.lineBoundary[p] {
		return boundary
	}
	on := !s.lineSegments(func(a, b orb.Point) bool { return !onSegment(a, b, p) })
	if on {
		return interior
	}
	return exterior
}

// locate locates a point in a shape of one dimension.
func (s *shape) locate(p orb.Point) loc {
	switch s.dim() {
	case 0:
		return s.locatePoints(p)
	case 1:
		return s.locateLines(p)
	case 2:
		return s.locateArea(p, p)
	}
	return exterior
}

// touchesPoint tells whether p lies anywhere on s, whatever its parts.
func (s *shape) touchesPoint(p orb.Point) bool {
	return s.locatePoints(p) != exterior || s.locateLines(p) != exterior || s.locateArea(p, p) != exterior
}

// midInBound tells whether the midpoint of u and v lies in b, exactly.
func midInBound(u, v orb.Point, b orb.Bound) bool {
	return cmpMid(u[0], v[0], b.Min[0]) >= 0 && cmpMid(u[0], v[0], b.Max[0]) <= 0 &&
		cmpMid(u[1], v[1], b.Min[1]) >= 0 && cmpMid(u[1], v[1], b.Max[1]) <= 0
}

// locateArea locates the midpoint of u and v (u itself when u == v) in the
// polygons of s. Working on a midpoint lets the callers test a point
// strictly between two events on a segment without rounding it.
func (s *shape) locateArea(u, v orb.Point) loc {
	res := exterior
	for i := range s.polys {
		p := &s.polys[i]
		if !midInBound(u, v, p.bound) {
			continue
		}
		switch locateRing(u, v, p.rings[0]) {
		case exterior:
			continue
		case boundary:
			res = boundary
			continue
		}
		in := interior
		for _, h := range p.rings[1:] {
			switch locateRing(u, v, h) {
			case boundary:
				in = boundary
			case interior:
				in = exterior
			}
			if in != interior {
				break
			}
		}
		switch in {
		case interior:
			return interior
		case boundary:
			res = boundary
		}
	}
	return res
}

// locateRing locates the midpoint m of u and v relative to a closed ring,
// by counting crossings of the ray from m towards +x with the half-open
// rule, every comparison exact.
func locateRing(u, v orb.Point, r orb.Ring) loc {
	inside := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		ya := cmpMid(u[1], v[1], a[1]) // sign of m.y - a.y
		yb := cmpMid(u[1], v[1], b[1])
		if (ya < 0) != (yb < 0) {
			// One endpoint strictly above m, the other at or below.
			o := orientMid(a, b, u, v)
			if o == 0 {
				return boundary
			}
			// Upward edge with m on its left, or downward edge with
			// m on its right: the edge crosses the ray.
			if (b[1] > a[1]) == (o > 0) {
				inside = !inside
			}
			continue
		}
		if (ya == 0 || yb == 0) && orientMid(a, b, u, v) == 0 &&
			cmpMid(u[0], v[0], a[0])*cmpMid(u[0], v[0], b[0]) <= 0 {
			// m at the height of an endpoint, on a horizontal edge or
			// at a top vertex.
			return boundary
		}
	}
	if inside {
		return interior
	}
	return exterior
}
