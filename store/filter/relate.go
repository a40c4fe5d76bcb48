package filter

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// relate evaluates op(a, b): a is the feature's geometry, b the filter's.
// Distance operators are handled by the caller.
func relate(op SpatialOp, a, b *shape) (bool, error) {
	switch op {
	case BBOX, Intersects:
		return intersects(a, b), nil
	case Disjoint:
		return !intersects(a, b), nil
	}
	if a.mixed() || b.mixed() {
		return false, fmt.Errorf("%w: %s with a collection of mixed dimensions", ErrUnsupported, op)
	}
	if a.empty() || b.empty() {
		return op == Equals && a.empty() && b.empty(), nil
	}
	da, db := a.dim(), b.dim()
	switch op {
	case Within:
		return covers(b, a) && interiorsMeet(a, b), nil
	case Contains:
		return covers(a, b) && interiorsMeet(a, b), nil
	case Equals:
		return covers(a, b) && covers(b, a), nil
	case Touches:
		return intersects(a, b) && !interiorsMeet(a, b), nil
	case Crosses:
		switch {
		case da < db:
			return interiorsMeet(a, b) && !covers(b, a), nil
		case da > db:
			return interiorsMeet(a, b) && !covers(a, b), nil
		case da == 1:
			// Two lines cross when their interiors meet in points
			// only.
			meet, overlap := interiors(a, b)
			return meet && !overlap, nil
		}
		return false, nil
	case Overlaps:
		if da != db {
			return false, nil
		}
		meet, overlap := interiors(a, b)
		if da == 1 {
			meet = overlap
		}
		return meet && !covers(a, b) && !covers(b, a), nil
	}
	return false, fmt.Errorf("%w: spatial operator %s", ErrUnsupported, op)
}

// intersects tells whether a and b share at least one point. It works on
// any mix of parts.
func intersects(a, b *shape) bool {
	if a.empty() || b.empty() || !a.bound.Intersects(b.bound) {
		return false
	}
	for _, p := range a.pts {
		if b.touchesPoint(p) {
			return true
		}
	}
	for _, p := range b.pts {
		if a.touchesPoint(p) {
			return true
		}
	}
	// Segments against segments: lines and rings alike.
	met := !a.segments(func(p, q orb.Point) bool {
		if !segBoxMeets(p, q, b.bound) {
			return true
		}
		return b.segments(func(c, d orb.Point) bool { return relSeg(p, q, c, d) == segApart })
	})
	if met {
		return true
	}
	// No boundaries meet: a part of one is inside an area of the other
	// exactly when any one of its vertices is.
	for _, l := range a.lines {
		if b.locateArea(l[0], l[0]) != exterior {
			return true
		}
	}
	for _, l := range b.lines {
		if a.locateArea(l[0], l[0]) != exterior {
			return true
		}
	}
	for _, p := range a.polys {
		if b.locateArea(p.rings[0][0], p.rings[0][0]) != exterior {
			return true
		}
	}
	for _, p := range b.polys {
		if a.locateArea(p.rings[0][0], p.rings[0][0]) != exterior {
			return true
		}
	}
	return false
}

func interiorsMeet(a, b *shape) bool {
	meet, _ := interiors(a, b)
	return meet
}

// interiors tells whether the interiors of a and b (each of one dimension)
// meet, and, for two lineal shapes, whether they share a stretch of
// positive length (an intersection of dimension 1).
func interiors(a, b *shape) (meet, overlap bool) {
	da, db := a.dim(), b.dim()
	if da > db {
		a, b, da, db = b, a, db, da
	}
	switch {
	case da == 0:
		for _, p := range a.pts {
			if b.locate(p) == interior {
				return true, false
			}
		}
		return false, false
	case da == 1 && db == 1:
		return linesInteriors(a, b)
	case da == 1 && db == 2:
		met := !a.lineSegments(func(p, q orb.Point) bool {
			c := classify(p, q, b)
			return !c.cross && !c.interior
		})
		return met, false
	}
	return areasInteriors(a, b), false
}

func linesInteriors(a, b *shape) (meet, overlap bool) {
	// A point met at an endpoint of some line is in the interior of
	// neither shape if the mod-2 rule puts it in a boundary.
	interiorPoint := func(p orb.Point) bool { return !a.lineBoundary[p] && !b.lineBoundary[p] }
	a.lineSegments(func(a1, a2 orb.Point) bool {
		if !segBoxMeets(a1, a2, b.bound) {
			return true
		}
		return b.lineSegments(func(b1, b2 orb.Point) bool {
			switch relSeg(a1, a2, b1, b2) {
			case segOverlap:
				meet, overlap = true, true
				return false
			case segCross:
				if !meet {
					// The crossing point is interior to both
					// segments, but an endpoint of another line
					// may lie on it.
					meet = true
					for _, bd := range []map[orb.Point]bool{a.lineBoundary, b.lineBoundary} {
						for p := range bd {
							if onSegment(a1, a2, p) && onSegment(b1, b2, p) {
								meet = false
							}
						}
					}
				}
			case segTouch:
				if !meet {
					for _, p := range []orb.Point{a1, a2, b1, b2} {
						if onSegment(a1, a2, p) && onSegment(b1, b2, p) && interiorPoint(p) {
							meet = true
						}
					}
				}
			}
			return true
		})
	})
	return meet, overlap
}

func areasInteriors(a, b *shape) bool {
	for _, pair := range [][2]*shape{{a, b}, {b, a}} {
		x, y := pair[0], pair[1]
		met := !x.edges(func(p, q orb.Point, _ *polygon, _ int) bool {
			c := classify(p, q, y)
			return !c.cross && !c.interior
		})
		if met {
			return true
		}
	}
	same, _ := sharedEdges(a, b)
	return same
}

// covers tells whether every point of b is a point of a (b ⊆ a), for
// shapes of one dimension each.
func covers(a, b *shape) bool {
	da, db := a.dim(), b.dim()
	switch {
	case db == 0:
		for _, p := range b.pts {
			if a.locate(p) == exterior {
				return false
			}
		}
		return true
	case da < db:
		return false
	case da == 1:
		return b.lineSegments(func(p, q orb.Point) bool { return segCovered(p, q, a) })
	case db == 1:
		return b.lineSegments(func(p, q orb.Point) bool {
			c := classify(p, q, a)
			return !c.cross && !c.exterior
		})
	}
	// Two areas: b's outline stays in a, a's outline never enters b's
	// interior (a hole of a inside b), and where the outlines run
	// together the interiors are on the same side.
	ok := b.edges(func(p, q orb.Point, _ *polygon, _ int) bool {
		c := classify(p, q, a)
		return !c.cross && !c.exterior
	})
	if !ok {
		return false
	}
	ok = a.edges(func(p, q orb.Point, _ *polygon, _ int) bool {
		c := classify(p, q, b)
		return !c.cross && !c.interior
	})
	if !ok {
		return false
	}
	_, opposite := sharedEdges(a, b)
	return !opposite
}

// segCovered tells whether segment p-q lies on the union of the lines of a,
// by sweeping the stretches of a's segments collinear with it.
func segCovered(p, q orb.Point, a *shape) bool {
	lo, hi := p, q
	if lexLess(hi, lo) {
		lo, hi = hi, lo
	}
	var spans [][2]orb.Point
	a.lineSegments(func(c, d orb.Point) bool {
		if relSeg(p, q, c, d) == segOverlap {
			if lexLess(d, c) {
				c, d = d, c
			}
			if lexLess(c, lo) {
				c = lo
			}
			if lexLess(hi, d) {
				d = hi
			}
			spans = append(spans, [2]orb.Point{c, d})
		}
		return true
	})
	slices.SortFunc(spans, func(x, y [2]orb.Point) int {
		switch {
		case lexLess(x[0], y[0]):
			return -1
		case lexLess(y[0], x[0]):
			return 1
		}
		return 0
	})
	cur := lo
	for _, s := range spans {
		if lexLess(cur, s[0]) {
			return false
		}
		if lexLess(cur, s[1]) {
			cur = s[1]
		}
	}
	return !lexLess(cur, hi)
}

// segClass says where the parts of a segment lie relative to an area.
type segClass struct {
	cross                        bool // crosses an edge transversally
	interior, boundary, exterior bool // where its pieces lie
}

// classify splits segment p-q at every vertex of area's rings that lies on
// it (and at its own endpoints), and locates the midpoint of each piece:
// between two such events a piece is wholly inside, outside or on an edge.
// A transversal crossing of an edge means the segment passes from inside
// to outside (valid polygons), which answers every caller at once.
func classify(p, q orb.Point, area *shape) segClass {
	var c segClass
	if !segBoxMeets(p, q, area.bound) {
		c.exterior = true
		return c
	}
	events := []orb.Point{p, q}
	area.edges(func(a, b orb.Point, _ *polygon, _ int) bool {
		switch relSeg(p, q, a, b) {
		case segCross:
			c.cross, c.interior, c.exterior = true, true, true
			return false
		case segTouch, segOverlap:
			if onSegment(p, q, a) {
				events = append(events, a)
			}
			if onSegment(p, q, b) {
				events = append(events, b)
			}
		}
		return true
	})
	if c.cross {
		return c
	}
	slices.SortFunc(events, func(x, y orb.Point) int {
		switch {
		case lexLess(x, y):
			return -1
		case lexLess(y, x):
			return 1
		}
		return 0
	})
	events = slices.Compact(events)
	for i := 0; i+1 < len(events); i++ {
		switch area.locateArea(events[i], events[i+1]) {
		case interior:
			c.interior = true
		case boundary:
			c.boundary = true
		default:
			c.exterior = true
		}
	}
	return c
}

// sharedEdges looks at the stretches where edges of a and b run together
// and tells whether, along any of them, the two interiors lie on the same
// side (same) or on opposite sides (opposite).
func sharedEdges(a, b *shape) (same, opposite bool) {
	a.edges(func(a1, a2 orb.Point, pa *polygon, ra int) bool {
		if !segBoxMeets(a1, a2, b.bound) {
			return true
		}
		b.edges(func(b1, b2 orb.Point, pb *polygon, rb int) bool {
			if relSeg(a1, a2, b1, b2) != segOverlap {
				return true
			}
			sameDir := lexLess(a1, a2) == lexLess(b1, b2)
			if sameDir == (pa.left[ra] == pb.left[rb]) {
				same = true
			} else {
				opposite = true
			}
			return true
		})
		return true
	})
	return same, opposite
}

// distance is the planar distance between a and b: zero when they meet,
// otherwise the shortest distance between their points and segments
// (interiors need no attention once the shapes are known to be apart).
// It is a float computation, exact only up to rounding.
func distance(a, b *shape) float64 {
	if a.empty() || b.empty() {
		return math.Inf(1)
	}
	if intersects(a, b) {
		return 0
	}
	best := math.Inf(1)
	for _, p := range a.pts {
		for _, q := range b.pts {
			best = math.Min(best, planar.Distance(p, q))
		}
		b.segments(func(c, d orb.Point) bool {
			best = math.Min(best, planar.DistanceFromSegment(c, d, p))
			return true
		})
	}
	for _, p := range b.pts {
		a.segments(func(c, d orb.Point) bool {
			best = math.Min(best, planar.DistanceFromSegment(c, d, p))
			return true
		})
	}
	a.segments(func(p, q orb.Point) bool {
		b.segments(func(c, d orb.Point) bool {
			best = math.Min(best, math.Min(
				math.Min(planar.DistanceFromSegment(c, d, p), planar.DistanceFromSegment(c, d, q)),
				math.Min(planar.DistanceFromSegment(p, q, c), planar.DistanceFromSegment(p, q, d))))
			return true
		})
		return true
	})
	return best
}
