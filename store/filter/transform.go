package filter

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// unit is a distance unit: linear (metres per unit) or angular (degrees).
type unit struct {
	meters  float64
	degrees bool
}

// unitOf reads the uom of a DWithin or Beyond distance: the symbols and
// names clients write, and the EPSG unit URNs and URIs.
func unitOf(s string) (unit, bool) {
	u := strings.ToLower(strings.TrimSpace(s))
	for _, prefix := range []string{"urn:ogc:def:uom:epsg::", "urn:ogc:def:uom:epsg:", "http://www.opengis.net/def/uom/epsg/0/", "urn:ogc:def:uom:ogc:1.0:", "urn:ogc:def:uom:ogc::", "http://www.opengis.net/def/uom/ogc/1.0/"} {
		if rest, ok := strings.CutPrefix(u, prefix); ok {
			u = rest
			break
		}
	}
	switch u {
	case "m", "metre", "meter", "metres", "meters", "9001":
		return unit{meters: 1}, true
	case "km", "kilometre", "kilometer", "kilometres", "kilometers", "9036":
		return unit{meters: 1000}, true
	case "ft", "foot", "feet", "9002":
		return unit{meters: 0.3048}, true
	case "mi", "mile", "miles", "statute mile", "statute miles", "9093":
		return unit{meters: 1609.344}, true
	case "nmi", "nautical mile", "nautical miles", "9030":
		return unit{meters: 1852}, true
	case "deg", "degree", "degrees", "°", "9102":
		return unit{degrees: true}, true
	}
	return unit{}, false
}

// densifySteps is how many pieces each side of a box is cut into before it
// is reprojected, so that the reprojected box keeps its curved shape.
const densifySteps = 16

// Transform rewrites the spatial literals of f into the CRS to, the
// layer's, so that Evaluate and SQL compare like with like. tf reprojects a
// geometry from a CRS to to, in easting/northing order on both sides (as
// crs.Transformer does).
//
// Every Spatial comes out with CRS == to: those whose CRS differs are
// reprojected (a box is densified into a polygon first, so a BBOX literal
// becomes a Polygon whose intersection BBOX tests); those with the zero CRS
// are already in the layer's CRS and are only labelled. DWithin and Beyond
// distances are converted into the units of to and their Units cleared: a
// linear unit on a projected CRS is scaled by its metres per unit, degrees
// are accepted on a geographic CRS only, and the other combinations
// (metres on degrees, degrees on metres) are ErrUnsupported, because a
// planar distance in degrees is not a distance on the ground. f itself is
// not modified.
func Transform(f Filter, to crs.CRS, tf func(from crs.CRS, g orb.Geometry) (orb.Geometry, error)) (Filter, error) {
	if to == (crs.CRS{}) {
		return nil, fmt.Errorf("%w: Transform needs a target CRS", ErrInvalid)
	}
	t := &transformer{to: to, tf: tf}
	return t.walk(f)
}

type transformer struct {
	to   crs.CRS
	tf   func(from crs.CRS, g orb.Geometry) (orb.Geometry, error)
	info *crs.Info // of to, looked up when a distance needs it
}

func (t *transformer) walk(f Filter) (Filter, error) {
	switch f := f.(type) {
	case And:
		fs, err := t.all(f.Filters)
		return And{Filters: fs}, err
	case Or:
		fs, err := t.all(f.Filters)
		return Or{Filters: fs}, err
	case Not:
		g, err := t.walk(f.Filter)
		return Not{Filter: g}, err
	case Spatial:
		return t.spatial(f)
	}
	return f, nil
}

func (t *transformer) all(fs []Filter) ([]Filter, error) {
	out := make([]Filter, len(fs))
	for i, f := range fs {
		g, err := t.walk(f)
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

func densify(b orb.Bound) orb.Geometry {
	g := boundGeometry(b)
	poly, ok := g.(orb.Polygon)
	if !ok {
		return g
	}
	corners := poly[0]
	ring := make(orb.Ring, 0, 4*densifySteps+1)
	for i := 0; i < 4; i++ {
		a, c := corners[i], corners[i+1]
		for k := 0; k < densifySteps; k++ {
			f := float64(k) / densifySteps
			ring = append(ring, orb.Point{a[0] + (c[0]-a[0])*f, a[1] + (c[1]-a[1])*f})
		}
	}
	return orb.Polygon{append(ring, ring[0])}
}

func (t *transformer) spatial(s Spatial) (Filter, error) {
	if s.Geometry == nil {
		return nil, fmt.Errorf("%w: %s without geometry", ErrInvalid, s.Op)
	}
	if s.CRS != (crs.CRS{}) && s.CRS != t.to {
		if t.tf == nil {
			return nil, fmt.Errorf("%w: %s geometry in %s needs reprojecting to %s", ErrInvalid, s.Op, s.CRS, t.to)
		}
		g := s.Geometry
		if b, ok := g.(orb.Bound); ok {
			g = densify(b)
		}
		ng, err := t.tf(s.CRS, g)
		if err != nil {
			return nil, fmt.Errorf("%w: reproject the %s geometry from %s to %s: %w", ErrInvalid, s.Op, s.CRS, t.to, err)
		}
		if ng == nil {
			return nil, fmt.Errorf("%w: reproject the %s geometry from %s to %s: no result", ErrInvalid, s.Op, s.CRS, t.to)
		}
		if _, err := prepare(ng); err != nil {
			return nil, fmt.Errorf("reproject the %s geometry from %s to %s: %w", s.Op, s.CRS, t.to, err)
		}
		s.Geometry = ng
	}
	s.CRS = t.to
	if (s.Op == DWithin || s.Op == Beyond) && s.Units != "" {
		u, ok := unitOf(s.Units)
		if !ok {
			return nil, fmt.Errorf("%w: %s distance unit %q", ErrUnsupported, s.Op, short(s.Units))
		}
		if t.info == nil {
			info, err := crs.Lookup(t.to)
			if err != nil {
				return nil, fmt.Errorf("%w: %s distance: %w", ErrInvalid, s.Op, err)
			}
			t.info = &info
		}
		switch {
		case t.info.Geographic && !u.degrees:
			return nil, fmt.Errorf("%w: %s distance in %q on %s, whose unit is the degree: planar distances in degrees are not ground distances", ErrUnsupported, s.Op, short(s.Units), t.to)
		case !t.info.Geographic && u.degrees:
			return nil, fmt.Errorf("%w: %s distance in degrees on the projected %s", ErrUnsupported, s.Op, t.to)
		case !t.info.Geographic:
			if t.info.MetersPerUnit <= 0 {
				return nil, fmt.Errorf("%w: %s: %s has no known unit", ErrUnsupported, s.Op, t.to)
			}
			s.Distance = s.Distance * u.meters / t.info.MetersPerUnit
		}
		s.Units = ""
	}
	return s, nil
}
