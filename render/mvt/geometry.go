package mvt

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/geomproj"
)

// simplifyUnits is the Douglas-Peucker tolerance in tile units. The
// encoding rounds every vertex to the integer grid anyway (an error of up
// to 0.7 unit), so a tolerance of one unit removes only detail of the
// order of that rounding while keeping the full precision of the grid for
// clients that overzoom the tile (MapLibre stretches the last level's
// tiles several zooms deep). Working in tile units makes the ground
// tolerance follow the zoom by itself: it halves at each level of a
// quad-tree matrix set, as the tile's ground size does. One unit is what
// tippecanoe uses by default too.
const simplifyUnits = 1.0

// decimateUnits is how close to the previous kept vertex a vertex may be
// and still be dropped while projecting: a quarter unit cannot survive
// rounding as a distinct vertex in a meaningful way, and dropping it in
// the projection pass leaves far less to clip and simplify at small
// zooms, where a tile covers whole countries.
const decimateUnits = 0.25

// tileView maps CRS coordinates of a tile's bbox to tile units: origin at
// the top-left corner, x right, y down, the bbox spanning 0..extent on
// both axes.
type tileView struct {
	minX, maxY float64
	sx, sy     float64
}

func newTileView(b crs.Bounds, extent int) tileView {
	return tileView{minX: b.MinX, maxY: b.MaxY, sx: float64(extent) / b.Width(), sy: float64(extent) / b.Height()}
}

func (v tileView) toTile(x, y float64) orb.Point {
	return orb.Point{(x - v.minX) * v.sx, (v.maxY - y) * v.sy}
}

// project transforms g in place to the tile CRS and then to tile units
// (see geomproj.Project).
func project(g orb.Geometry, fwd *crs.Transformer, v tileView) (orb.Geometry, bool) {
	return geomproj.Project(g, fwd, v.toTile, decimateUnits)
}

// split breaks a geometry collection into at most one geometry per MVT
// geometry type (points, lines, polygons), since an MVT feature has one
// type and orb's encoder would keep only a collection's first member.
// Other geometries come back alone.
func split(g orb.Geometry) []orb.Geometry {
	c, ok := g.(orb.Collection)
	if !ok {
		return []orb.Geometry{g}
	}
	var (
		mp  orb.MultiPoint
		mls orb.MultiLineString
		mpg orb.MultiPolygon
	)
	var add func(g orb.Geometry)
	add = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Point:
			mp = append(mp, g)
		case orb.MultiPoint:
			mp = append(mp, g...)
		case orb.LineString:
			mls = append(mls, g)
		case orb.MultiLineString:
			mls = append(mls, g...)
		case orb.Polygon:
			mpg = append(mpg, g)
		case orb.MultiPolygon:
			mpg = append(mpg, g...)
		case orb.Collection:
			for _, m := range g {
				add(m)
			}
		}
	}
	add(c)
	var out []orb.Geometry
	if len(mp) > 0 {
		out = append(out, mp)
	}
	if len(mls) > 0 {
		out = append(out, mls)
	}
	if len(mpg) > 0 {
		out = append(out, mpg)
	}
	return out
}

// shape clips a geometry in tile units to clipBound, simplifies it and
// snaps it to the integer grid in the form MVT requires; nil when nothing
// is left.
func shape(g orb.Geometry, clipBound orb.Bound, simp *simplify.DouglasPeuckerSimplifier) orb.Geometry {
	// Most features of a tile lie inside it: clipping only those that
	// cross the edge saves an allocation per ring.
	if b := g.Bound(); !(b.Min[0] >= clipBound.Min[0] && b.Min[1] >= clipBound.Min[1] && b.Max[0] <= clipBound.Max[0] && b.Max[1] <= clipBound.Max[1]) {
		g = clip.Geometry(clipBound, g)
	}
	if g == nil {
		return nil
	}
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
	default:
		g = simp.Simplify(g)
		if g == nil {
			return nil
		}
	}
	return snap(g)
}

// snap rounds g to the integer grid, drops the repeated vertices rounding
// makes (MVT forbids zero-length LineTo steps), the parts that collapse,
// and orients polygon rings as MVT 2.1 wants (section 4.3.4.4): exterior
// rings with a positive surveyor's area in tile coordinates (clockwise on
// screen, since y points down), interior rings negative. Source data
// follows no winding rule, and the y flip of the projection reverses
// whatever it had. orb's encoder truncates coordinates toward zero and
// leaves rings as given, so both are done here. It returns nil when
// nothing is left.
func snap(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return roundPoint(g)
	case orb.MultiPoint:
		for i, p := range g {
			g[i] = roundPoint(p)
		}
		if len(g) == 0 {
			return nil
		}
		return g
	case orb.LineString:
		if l := orb.LineString(snapLine(g)); len(l) >= 2 {
			return l
		}
	case orb.MultiLineString:
		out := g[:0]
		for _, l := range g {
			if l = snapLine(l); len(l) >= 2 {
				out = append(out, l)
			}
		}
		if len(out) > 0 {
			return out
		}
	case orb.Polygon:
		if p := snapPolygon(g); p != nil {
			return p
		}
	case orb.MultiPolygon:
		out := g[:0]
		for _, p := range g {
			if p = snapPolygon(p); p != nil {
				out = append(out, p)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

func roundPoint(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]), math.Round(p[1])}
}

// snapLine rounds ps in place and drops consecutive duplicates.
func snapLine(ps []orb.Point) []orb.Point {
	out := ps[:0]
	for _, p := range ps {
		p = roundPoint(p)
		if n := len(out); n > 0 && out[n-1] == p {
			continue
		}
		out = append(out, p)
	}
	return out
}

// snapPolygon snaps each ring, drops the rings left without area (the
// polygon itself when its exterior is one of them) and orients the rest.
func snapPolygon(p orb.Polygon) orb.Polygon {
	out := p[:0]
	for i, r := range p {
		r = orb.Ring(snapLine(r))
		if len(r) > 0 && r[0] != r[len(r)-1] {
			r = append(r, r[0])
		}
		a := area2(r)
		if len(r) < 4 || a == 0 {
			if i == 0 {
				return nil
			}
			continue
		}
		if (i == 0) != (a > 0) {
			r.Reverse()
		}
		out = append(out, r)
	}
	return out
}

// area2 is twice the surveyor's (shoelace) area of a closed ring, the sum
// the MVT specification uses to define winding.
func area2(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}
