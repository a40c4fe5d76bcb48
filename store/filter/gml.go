package filter

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// gctx is what a GML geometry inherits from its enclosing geometry: the
// resolved srsName and srsDimension.
type gctx struct {
	srs    srsInfo
	hasSRS bool
	dim    int // 0 when not given
}

// geometry parses a GML geometry element into easting/northing order and
// returns its CRS (zero when no srsName was given).
func (p *parser) geometry(n *node) (orb.Geometry, crs.CRS, error) {
	var c crs.CRS
	g, err := p.geom(n, gctx{}, &c)
	return g, c, err
}

// context applies the srsName and srsDimension of n to the inherited ones.
func (p *parser) context(n *node, ctx gctx, root *crs.CRS) (gctx, error) {
	if name, ok := n.attr("srsName"); ok && strings.TrimSpace(name) != "" {
		info, err := p.resolveSRS(n, strings.TrimSpace(name))
		if err != nil {
			return ctx, err
		}
		if ctx.hasSRS && info.crs != ctx.srs.crs {
			return ctx, invalidf(n, "srsName %q differs from the enclosing geometry's %s", short(name), ctx.srs.crs)
		}
		if *root != (crs.CRS{}) && *root != info.crs {
			return ctx, invalidf(n, "srsName %q differs from %s used elsewhere in the geometry", short(name), *root)
		}
		ctx.srs, ctx.hasSRS, *root = info, true, info.crs
	}
	if v, ok := n.attr("srsDimension"); ok {
		d, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || d < 2 || d > 4 {
			return ctx, invalidf(n, "srsDimension=%q, want 2, 3 or 4", short(v))
		}
		ctx.dim = d
	}
	return ctx, nil
}

func knownUnsupportedGeometry(local string) bool {
	switch local {
	case "Arc", "ArcString", "ArcByBulge", "ArcStringByBulge", "ArcByCenterPoint", "Circle",
		"CircleByCenterPoint", "Bezier", "BSpline", "CubicSpline", "Clothoid", "Geodesic",
		"GeodesicString", "OffsetCurve", "CompositeCurve", "CompositeSurface", "CompositeSolid",
		"OrientableCurve", "OrientableSurface", "Ring", "Solid", "MultiSolid", "Shell", "Tin",
		"TriangulatedSurface", "PolyhedralSurface", "Triangle", "Rectangle", "Cone", "Cylinder",
		"Sphere", "GeometricComplex", "Grid", "RectifiedGrid":
		return true
	}
	return false
}

func (p *parser) geom(n *node, ctx gctx, root *crs.CRS) (orb.Geometry, error) {
	if !inGML(n) {
		return nil, p.unexpected(n, "a GML geometry")
	}
	ctx, err := p.context(n, ctx, root)
	if err != nil {
		return nil, err
	}
	if n.hasText() {
		return nil, invalidf(n, "unexpected text")
	}
	switch l := n.name.Local; l {
	case "Point":
		pts, err := p.positions(n, ctx)
		if err != nil {
			return nil, err
		}
		if len(pts) != 1 {
			return nil, invalidf(n, "a Point has one position, not %d", len(pts))
		}
		return pts[0], nil
	case "LineString":
		return p.lineString(n, ctx)
	case "Curve":
		return p.curve(n, ctx)
	case "Polygon":
		return p.polygon(n, ctx, root, "exterior", "interior")
	case "Surface":
		return p.surface(n, ctx, root)
	case "Envelope", "Box":
		return p.envelope(n, ctx)
	case "MultiPoint":
		var mp orb.MultiPoint
		err := p.members(n, ctx, root, "pointMember", "pointMembers", func(g orb.Geometry, m *node) error {
			pt, ok := g.(orb.Point)
			if !ok {
				return invalidf(m, "a MultiPoint holds Points")
			}
			mp = append(mp, pt)
			return nil
		})
		return mp, err
	case "MultiCurve", "MultiLineString":
		var ml orb.MultiLineString
		err := p.members(n, ctx, root, "curveMember", "curveMembers", func(g orb.Geometry, m *node) error {
			ls, ok := g.(orb.LineString)
			if !ok {
				return invalidf(m, "a %s holds LineStrings or Curves", l)
			}
			ml = append(ml, ls)
			return nil
		})
		return ml, err
	case "MultiSurface", "MultiPolygon":
		var mp orb.MultiPolygon
		err := p.members(n, ctx, root, "surfaceMember", "surfaceMembers", func(g orb.Geometry, m *node) error {
			switch g := g.(type) {
			case orb.Polygon:
				mp = append(mp, g)
			case orb.MultiPolygon: // a Surface of several patches
				mp = append(mp, g...)
			default:
				return invalidf(m, "a %s holds Polygons or Surfaces", l)
			}
			return nil
		})
		return mp, err
	case "MultiGeometry":
		var c orb.Collection
		err := p.members(n, ctx, root, "geometryMember", "geometryMembers", func(g orb.Geometry, _ *node) error {
			c = append(c, g)
			return nil
		})
		return c, err
	}
	if knownUnsupportedGeometry(n.name.Local) {
		return nil, unsupportedf(n, "GML %s is not supported", n.name.Local)
	}
	return nil, p.unexpected(n, "a GML geometry")
}

// members reads the member properties of a multi-geometry: singular ones
// (pointMember) holding one geometry each, plural ones (pointMembers)
// holding several. GML 2 names (lineStringMember, polygonMember) are
// accepted too.
func (p *parser) members(n *node, ctx gctx, root *crs.CRS, one, many string, add func(orb.Geometry, *node) error) error {
	count := 0
	for _, m := range n.elements() {
		if !inGML(m) {
			return p.unexpected(m, one)
		}
		l := m.name.Local
		singular := l == one || (one == "curveMember" && l == "lineStringMember") || (one == "surfaceMember" && l == "polygonMember")
		if !singular && l != many {
			if l == "name" || l == "description" || l == "identifier" || l == "boundedBy" {
				continue // GML metadata, irrelevant to the geometry
			}
			return p.unexpected(m, one)
		}
		if _, ok := m.attr("href"); ok && len(m.elements()) == 0 {
			return unsupportedf(m, "xlink references are not supported")
		}
		if m.hasText() {
			return invalidf(m, "unexpected text")
		}
		kids := m.elements()
		if singular && len(kids) != 1 {
			return invalidf(m, "holds one geometry, not %d", len(kids))
		}
		for _, k := range kids {
			g, err := p.geom(k, ctx, root)
			if err != nil {
				return err
			}
			if err := add(g, k); err != nil {
				return err
			}
			count++
		}
	}
	if count == 0 {
		return invalidf(n, "empty %s", n.name.Local)
	}
	return nil
}

func (p *parser) lineString(n *node, ctx gctx) (orb.LineString, error) {
	pts, err := p.positions(n, ctx)
	if err != nil {
		return nil, err
	}
	if len(pts) < 2 {
		return nil, invalidf(n, "a line needs two positions, has %d", len(pts))
	}
	return orb.LineString(pts), nil
}

// curve reads a gml:Curve made of linear segments.
func (p *parser) curve(n *node, ctx gctx) (orb.LineString, error) {
	var ls orb.LineString
	for _, k := range n.elements() {
		if !inGML(k) || k.name.Local != "segments" {
			return nil, p.unexpected(k, "segments")
		}
		for _, seg := range k.elements() {
			if !inGML(seg) || seg.name.Local != "LineStringSegment" {
				if inGML(seg) && knownUnsupportedGeometry(seg.name.Local) {
					return nil, unsupportedf(seg, "curve segment %s is not supported", seg.name.Local)
				}
				return nil, p.unexpected(seg, "LineStringSegment")
			}
			if v, ok := seg.attr("interpolation"); ok && v != "linear" {
				return nil, unsupportedf(seg, "interpolation %q is not supported", short(v))
			}
			part, err := p.lineString(seg, ctx)
			if err != nil {
				return nil, err
			}
			if len(ls) > 0 && ls[len(ls)-1] == part[0] {
				part = part[1:]
			}
			ls = append(ls, part...)
		}
	}
	if len(ls) < 2 {
		return nil, invalidf(n, "a curve needs two positions")
	}
	return ls, nil
}

// polygon reads a Polygon or PolygonPatch: GML 3 exterior/interior or GML 2
// outerBoundaryIs/innerBoundaryIs, each holding one LinearRing.
func (p *parser) polygon(n *node, ctx gctx, root *crs.CRS, ext, in string) (orb.Polygon, error) {
	var poly orb.Polygon
	for _, k := range n.elements() {
		if !inGML(k) {
			return nil, p.unexpected(k, ext)
		}
		outer := k.name.Local == ext || k.name.Local == "outerBoundaryIs"
		inner := k.name.Local == in || k.name.Local == "innerBoundaryIs"
		if !outer && !inner {
			return nil, p.unexpected(k, ext+" or "+in)
		}
		if outer != (len(poly) == 0) {
			return nil, invalidf(k, "a polygon has one exterior, first")
		}
		kids := k.elements()
		if len(kids) != 1 {
			return nil, invalidf(k, "holds one LinearRing")
		}
		r := kids[0]
		if !inGML(r) || r.name.Local != "LinearRing" {
			if inGML(r) && knownUnsupportedGeometry(r.name.Local) {
				return nil, unsupportedf(r, "%s boundaries are not supported", r.name.Local)
			}
			return nil, p.unexpected(r, "LinearRing")
		}
		rctx, err := p.context(r, ctx, root)
		if err != nil {
			return nil, err
		}
		pts, err := p.positions(r, rctx)
		if err != nil {
			return nil, err
		}
		if len(pts) < 4 {
			return nil, invalidf(r, "a ring needs four positions, has %d", len(pts))
		}
		if pts[0] != pts[len(pts)-1] {
			return nil, invalidf(r, "ring is not closed")
		}
		poly = append(poly, orb.Ring(pts))
	}
	if len(poly) == 0 {
		return nil, invalidf(n, "polygon without exterior")
	}
	return poly, nil
}

// surface reads a gml:Surface of PolygonPatches: a Polygon for one patch,
// a MultiPolygon for several.
func (p *parser) surface(n *node, ctx gctx, root *crs.CRS) (orb.Geometry, error) {
	var mp orb.MultiPolygon
	for _, k := range n.elements() {
		if !inGML(k) || k.name.Local != "patches" {
			return nil, p.unexpected(k, "patches")
		}
		for _, patch := range k.elements() {
			if !inGML(patch) || patch.name.Local != "PolygonPatch" {
				if inGML(patch) && knownUnsupportedGeometry(patch.name.Local) {
					return nil, unsupportedf(patch, "surface patch %s is not supported", patch.name.Local)
				}
				return nil, p.unexpected(patch, "PolygonPatch")
			}
			poly, err := p.polygon(patch, ctx, root, "exterior", "interior")
			if err != nil {
				return nil, err
			}
			mp = append(mp, poly)
		}
	}
	switch len(mp) {
	case 0:
		return nil, invalidf(n, "surface without patches")
	case 1:
		return mp[0], nil
	}
	return mp, nil
}

// envelope reads gml:Envelope (lowerCorner/upperCorner, or the older two
// pos or coordinates) and gml:Box (coordinates or two coord).
func (p *parser) envelope(n *node, ctx gctx) (orb.Bound, error) {
	var pts []orb.Point
	kids := n.elements()
	if len(kids) == 2 && inGML(kids[0]) && kids[0].name.Local == "lowerCorner" {
		if !inGML(kids[1]) || kids[1].name.Local != "upperCorner" {
			return orb.Bound{}, p.unexpected(kids[1], "upperCorner")
		}
		for _, k := range kids {
			kctx, err := p.context(k, ctx, new(crs.CRS))
			if err != nil {
				return orb.Bound{}, err
			}
			pt, err := p.position(k, kctx)
			if err != nil {
				return orb.Bound{}, err
			}
			pts = append(pts, pt)
		}
	} else {
		var err error
		if pts, err = p.positions(n, ctx); err != nil {
			return orb.Bound{}, err
		}
	}
	if len(pts) != 2 {
		return orb.Bound{}, invalidf(n, "an envelope has two corners, not %d", len(pts))
	}
	lo, hi := pts[0], pts[1]
	if lo[0] > hi[0] || lo[1] > hi[1] {
		return orb.Bound{}, invalidf(n, "lower corner %v is above upper corner %v (in easting/northing order)", lo, hi)
	}
	return orb.Bound{Min: lo, Max: hi}, nil
}

// positions reads the coordinates of a geometry element: one posList, pos
// elements, gml:coordinates or GML 2 coord elements.
func (p *parser) positions(n *node, ctx gctx) ([]orb.Point, error) {
	var pts []orb.Point
	kinds := 0
	seen := map[string]bool{}
	for _, k := range n.elements() {
		if !inGML(k) {
			return nil, p.unexpected(k, "coordinates")
		}
		l := k.name.Local
		if !seen[l] {
			seen[l] = true
			kinds++
		}
		if kinds > 1 {
			return nil, invalidf(n, "mixes coordinate encodings")
		}
		kctx, err := p.context(k, ctx, new(crs.CRS))
		if err != nil {
			return nil, err
		}
		switch l {
		case "posList":
			if len(pts) > 0 {
				return nil, invalidf(k, "more than one posList")
			}
			pts, err = p.posList(k, kctx)
		case "pos":
			var pt orb.Point
			pt, err = p.position(k, kctx)
			pts = append(pts, pt)
		case "coordinates":
			if len(pts) > 0 {
				return nil, invalidf(k, "more than one coordinates")
			}
			pts, err = p.coordinates(k, kctx)
		case "coord":
			var pt orb.Point
			pt, err = p.coord(k, kctx)
			pts = append(pts, pt)
		case "pointProperty", "pointRep":
			return nil, unsupportedf(k, "%s is not supported", l)
		default:
			return nil, p.unexpected(k, "posList, pos, coordinates or coord")
		}
		if err != nil {
			return nil, err
		}
	}
	if len(pts) == 0 {
		return nil, invalidf(n, "no coordinates")
	}
	return pts, nil
}

// count enforces MaxCoordinates over the whole filter.
func (p *parser) count(n *node, k int) error {
	p.npos += k
	if p.npos > MaxCoordinates {
		return invalidf(n, "more than %d positions in the filter", MaxCoordinates)
	}
	return nil
}

func parseNumber(n *node, s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, invalidf(n, "%q is not a finite number", short(s))
	}
	return f, nil
}

// point builds a point in easting/northing order from the first two
// values of a tuple.
func point(ctx gctx, x, y float64) orb.Point {
	if ctx.srs.flip {
		return orb.Point{y, x}
	}
	return orb.Point{x, y}
}

func (p *parser) position(n *node, ctx gctx) (orb.Point, error) {
	if len(n.elements()) > 0 {
		return orb.Point{}, invalidf(n, "a position is text")
	}
	f := strings.Fields(n.text)
	if (ctx.dim != 0 && len(f) != ctx.dim) || (ctx.dim == 0 && len(f) != 2 && len(f) != 3) {
		return orb.Point{}, invalidf(n, "a position of %d values", len(f))
	}
	if err := p.count(n, 1); err != nil {
		return orb.Point{}, err
	}
	x, err := parseNumber(n, f[0])
	if err != nil {
		return orb.Point{}, err
	}
	y, err := parseNumber(n, f[1])
	if err != nil {
		return orb.Point{}, err
	}
	for _, z := range f[2:] {
		if _, err := parseNumber(n, z); err != nil {
			return orb.Point{}, err
		}
	}
	return point(ctx, x, y), nil
}

func (p *parser) posList(n *node, ctx gctx) ([]orb.Point, error) {
	if len(n.elements()) > 0 {
		return nil, invalidf(n, "a posList is text")
	}
	f := strings.Fields(n.text)
	dim := ctx.dim
	if dim == 0 {
		dim = 2
		if c, ok := n.attr("count"); ok {
			if k, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && k > 0 && len(f)%k == 0 && len(f)/k >= 2 && len(f)/k <= 4 {
				dim = len(f) / k
			}
		}
	}
	if len(f) == 0 || len(f)%dim != 0 {
		return nil, invalidf(n, "%d values do not make positions of dimension %d", len(f), dim)
	}
	if err := p.count(n, len(f)/dim); err != nil {
		return nil, err
	}
	pts := make([]orb.Point, 0, len(f)/dim)
	for i := 0; i < len(f); i += dim {
		for _, z := range f[i+2 : i+dim] {
			if _, err := parseNumber(n, z); err != nil {
				return nil, err
			}
		}
		x, err := parseNumber(n, f[i])
		if err != nil {
			return nil, err
		}
		y, err := parseNumber(n, f[i+1])
		if err != nil {
			return nil, err
		}
		pts = append(pts, point(ctx, x, y))
	}
	return pts, nil
}

// coordinates reads gml:coordinates with its decimal, cs and ts
// separators (defaults ".", "," and a space).
func (p *parser) coordinates(n *node, ctx gctx) ([]orb.Point, error) {
	if len(n.elements()) > 0 {
		return nil, invalidf(n, "coordinates are text")
	}
	sep := func(name, def string) (string, error) {
		v, ok := n.attr(name)
		if !ok {
			return def, nil
		}
		if len([]rune(v)) != 1 {
			return "", invalidf(n, "%s=%q must be one character", name, short(v))
		}
		return v, nil
	}
	dec, err := sep("decimal", ".")
	if err != nil {
		return nil, err
	}
	cs, err := sep("cs", ",")
	if err != nil {
		return nil, err
	}
	ts, err := sep("ts", " ")
	if err != nil {
		return nil, err
	}
	if dec == cs || dec == ts || cs == ts {
		return nil, invalidf(n, "decimal, cs and ts must differ")
	}
	var tuples []string
	if strings.TrimSpace(ts) == "" {
		tuples = strings.Fields(n.text)
	} else {
		for _, t := range strings.Split(n.text, ts) {
			if t = strings.TrimSpace(t); t != "" {
				tuples = append(tuples, t)
			}
		}
	}
	if err := p.count(n, len(tuples)); err != nil {
		return nil, err
	}
	pts := make([]orb.Point, 0, len(tuples))
	for _, t := range tuples {
		vals := strings.Split(t, cs)
		if len(vals) != 2 && len(vals) != 3 {
			return nil, invalidf(n, "tuple %q has %d values", short(t), len(vals))
		}
		var xy [3]float64
		for i, v := range vals {
			v = strings.TrimSpace(v)
			if dec != "." {
				v = strings.ReplaceAll(v, dec, ".")
			}
			if xy[i], err = parseNumber(n, v); err != nil {
				return nil, err
			}
		}
		pts = append(pts, point(ctx, xy[0], xy[1]))
	}
	return pts, nil
}

// coord reads a GML 2 coord with X, Y and optional Z.
func (p *parser) coord(n *node, ctx gctx) (orb.Point, error) {
	var xy [2]float64
	var have [3]bool
	for _, k := range n.elements() {
		i := -1
		if inGML(k) {
			switch k.name.Local {
			case "X":
				i = 0
			case "Y":
				i = 1
			case "Z":
				i = 2
			}
		}
		if i < 0 || have[i] || len(k.elements()) > 0 {
			return orb.Point{}, p.unexpected(k, "X, Y and Z")
		}
		v, err := parseNumber(k, strings.TrimSpace(k.text))
		if err != nil {
			return orb.Point{}, err
		}
		if i < 2 {
			xy[i] = v
		}
		have[i] = true
	}
	if !have[0] || !have[1] {
		return orb.Point{}, invalidf(n, "coord needs X and Y")
	}
	if err := p.count(n, 1); err != nil {
		return orb.Point{}, err
	}
	return point(ctx, xy[0], xy[1]), nil
}
