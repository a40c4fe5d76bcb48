package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// Namespaces of the filter encodings and of the GML versions their
// geometries use.
const (
	nsFES20 = "http://www.opengis.net/fes/2.0"
	nsOGC   = "http://www.opengis.net/ogc"
	nsGML32 = "http://www.opengis.net/gml/3.2"
	nsGML   = "http://www.opengis.net/gml"
)

// dialect is what differs between FES 2.0 and Filter 1.1 documents.
type dialect struct {
	name   string // for messages
	ns     string
	prefix string // the conventional prefix, accepted when left undeclared
	other  string // the other version's namespace, for a helpful message
	fes20  bool
}

// ParseFES20 decodes an OGC Filter Encoding 2.0 document (fes:Filter in
// http://www.opengis.net/fes/2.0, geometries in GML 3.2; GML 3.1.1
// geometries are read as well, their structure being the same for what is
// supported).
//
// Supported: PropertyIsEqualTo, NotEqualTo, LessThan, LessThanOrEqualTo,
// GreaterThan, GreaterThanOrEqualTo (ValueReference and Literal in either
// order, matchCase), PropertyIsLike, PropertyIsNull, PropertyIsNil (as
// PropertyIsNull), PropertyIsBetween, And, Or, Not, BBOX, Intersects,
// Within, Contains, Disjoint, Equals, Touches, Crosses, Overlaps, DWithin,
// Beyond and ResourceId. Temporal operators, functions, versioned
// ResourceIds and comparisons between two properties are ErrUnsupported;
// anything else unexpected is ErrInvalid. Elements without a namespace, or
// with the conventional prefix left undeclared, are accepted: clients
// putting filters in KVP requests often omit the declarations.
//
// Coordinates are normalised to easting/northing: a srsName spelled as a
// URN or an http://www.opengis.net/def/crs URI is read in the official
// axis order of its CRS (latitude first for EPSG:4326), the short EPSG:n
// and http://www.opengis.net/gml/srs/epsg.xml#n forms as
// easting/northing, as GeoServer and GDAL write them. A geometry without
// srsName is taken as easting/northing in the layer's CRS (Spatial.CRS is
// zero).
//
// The document must fit the limits MaxInputSize, MaxDepth, MaxNodes,
// MaxLiteralLength and MaxCoordinates; DOCTYPE declarations are refused.
func ParseFES20(data []byte) (Filter, error) {
	return parseDocument(data, dialect{name: "FES 2.0", ns: nsFES20, prefix: "fes", other: nsOGC, fes20: true})
}

// ParseFilter11 decodes an OGC Filter Encoding 1.1 document (ogc:Filter in
// http://www.opengis.net/ogc, geometries in GML 3.1.1 — gml:coordinates,
// gml:coord, gml:pos and gml:posList, gml:Envelope and gml:Box — or GML
// 3.2). Identifiers are FeatureId fid and GmlObjectId gml:id. Operators,
// axis order and limits are those of ParseFES20.
func ParseFilter11(data []byte) (Filter, error) {
	return parseDocument(data, dialect{name: "Filter 1.1", ns: nsOGC, prefix: "ogc", other: nsFES20})
}

type parser struct {
	d    dialect
	npos int
	srs  map[string]srsInfo
}

func parseDocument(data []byte, d dialect) (Filter, error) {
	root, err := decodeTree(data)
	if err != nil {
		return nil, err
	}
	p := &parser{d: d, srs: map[string]srsInfo{}}
	return p.filter(root)
}

func invalidf(n *node, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, n.path(), fmt.Sprintf(format, args...))
}

func unsupportedf(n *node, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnsupported, n.path(), fmt.Sprintf(format, args...))
}

// inFilter tells whether n is in the dialect's namespace (or in none).
func (p *parser) inFilter(n *node) bool {
	s := n.name.Space
	return s == p.d.ns || s == "" || s == p.d.prefix
}

func inGML(n *node) bool {
	switch n.name.Space {
	case nsGML32, nsGML, "", "gml":
		return true
	}
	return false
}

// unexpected builds the error for an element that has no place where it
// is: a hint when the document mixes filter versions, ErrUnsupported for
// operators that exist but are not implemented, ErrInvalid otherwise.
func (p *parser) unexpected(n *node, want string) error {
	if n.name.Space == p.d.other {
		return invalidf(n, "element from namespace %s in a %s filter (want %s)", p.d.other, p.d.name, p.d.ns)
	}
	if p.inFilter(n) && knownUnsupported(n.name.Local) {
		return unsupportedf(n, "%s is not supported", n.name.Local)
	}
	if n.name.Space != "" && !p.inFilter(n) && !inGML(n) {
		return invalidf(n, "unexpected element {%s}%s, want %s", short(n.name.Space), short(n.name.Local), want)
	}
	return invalidf(n, "unexpected element %s, want %s", short(n.name.Local), want)
}

// knownUnsupported lists FES/Filter elements tuiles recognises but does
// not implement, so that clients get OperationProcessingFailed rather than
// a parsing error.
func knownUnsupported(local string) bool {
	switch local {
	case "After", "Before", "Begins", "BegunBy", "TContains", "During", "EndedBy", "Ends",
		"TEquals", "Meets", "MetBy", "TOverlaps", "OverlappedBy", "AnyInteracts",
		"Function", "Add", "Sub", "Mul", "Div", "Extension":
		return true
	}
	return false
}

func (p *parser) filter(n *node) (Filter, error) {
	if n.name.Local != "Filter" || !p.inFilter(n) {
		return nil, p.unexpected(n, p.d.name+" Filter")
	}
	if n.hasText() {
		return nil, invalidf(n, "unexpected text")
	}
	kids := n.elements()
	if len(kids) == 0 {
		return nil, invalidf(n, "empty filter")
	}
	var ids []string
	var preds []*node
	for _, k := range kids {
		if p.isID(k) {
			id, err := p.id(k)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
			continue
		}
		preds = append(preds, k)
	}
	switch {
	case len(ids) > 0 && len(preds) > 0:
		return nil, invalidf(n, "identifiers mixed with other predicates")
	case len(ids) > 0:
		return ResourceID{IDs: ids}, nil
	case len(preds) > 1:
		return nil, invalidf(n, "%d predicates where one is expected (combine them with And or Or)", len(preds))
	}
	return p.predicate(preds[0])
}

func (p *parser) isID(n *node) bool {
	if !p.inFilter(n) {
		return false
	}
	switch n.name.Local {
	case "ResourceId":
		return p.d.fes20
	case "FeatureId", "GmlObjectId":
		return !p.d.fes20
	}
	return false
}

func (p *parser) id(n *node) (string, error) {
	if len(n.elements()) > 0 || n.hasText() {
		return "", invalidf(n, "identifiers have no content")
	}
	var attr string
	switch n.name.Local {
	case "ResourceId":
		for _, a := range []string{"version", "startDate", "endDate"} {
			if _, ok := n.attr(a); ok {
				return "", unsupportedf(n, "versioned identifiers (%s) are not supported", a)
			}
		}
		attr = "rid"
	case "FeatureId":
		attr = "fid"
	default:
		attr = "id" // gml:id
	}
	v, ok := n.attr(attr)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return "", invalidf(n, "missing %s", attr)
	}
	return v, nil
}

// predicate parses one operator element.
func (p *parser) predicate(n *node) (Filter, error) {
	if !p.inFilter(n) {
		return nil, p.unexpected(n, "a filter operator")
	}
	if n.hasText() {
		return nil, invalidf(n, "unexpected text")
	}
	switch l := n.name.Local; l {
	case "PropertyIsEqualTo":
		return p.compare(n, EqualTo)
	case "PropertyIsNotEqualTo":
		return p.compare(n, NotEqualTo)
	case "PropertyIsLessThan":
		return p.compare(n, LessThan)
	case "PropertyIsLessThanOrEqualTo":
		return p.compare(n, LessThanOrEqualTo)
	case "PropertyIsGreaterThan":
		return p.compare(n, GreaterThan)
	case "PropertyIsGreaterThanOrEqualTo":
		return p.compare(n, GreaterThanOrEqualTo)
	case "PropertyIsLike":
		return p.like(n)
	case "PropertyIsNull", "PropertyIsNil":
		return p.isNull(n)
	case "PropertyIsBetween":
		return p.between(n)
	case "And", "Or":
		ops, err := p.operands(n)
		if err != nil {
			return nil, err
		}
		if len(n.elements()) < 2 {
			return nil, invalidf(n, "%s needs at least two operands", l)
		}
		if len(ops) == 1 {
			// Consecutive identifiers merged into one.
			return ops[0], nil
		}
		if l == "And" {
			return And{Filters: ops}, nil
		}
		return Or{Filters: ops}, nil
	case "Not":
		if len(n.elements()) != 1 {
			return nil, invalidf(n, "Not needs exactly one operand")
		}
		ops, err := p.operands(n)
		if err != nil {
			return nil, err
		}
		return Not{Filter: ops[0]}, nil
	case "BBOX":
		return p.spatial(n, BBOX)
	case "Intersects":
		return p.spatial(n, Intersects)
	case "Within":
		return p.spatial(n, Within)
	case "Contains":
		return p.spatial(n, Contains)
	case "Disjoint":
		return p.spatial(n, Disjoint)
	case "Equals":
		return p.spatial(n, Equals)
	case "Touches":
		return p.spatial(n, Touches)
	case "Crosses":
		return p.spatial(n, Crosses)
	case "Overlaps":
		return p.spatial(n, Overlaps)
	case "DWithin":
		return p.spatial(n, DWithin)
	case "Beyond":
		return p.spatial(n, Beyond)
	case "ResourceId", "FeatureId", "GmlObjectId":
		if p.isID(n) {
			return nil, invalidf(n, "%s identifiers may only appear directly in Filter", p.d.name)
		}
		return nil, invalidf(n, "%s is not part of %s", l, p.d.name)
	}
	return nil, p.unexpected(n, "a filter operator")
}

// operands parses the operands of a logical operator; FES 2.0 allows
// identifiers there, and a run of them is one operand (any of those ids).
func (p *parser) operands(n *node) ([]Filter, error) {
	var ops []Filter
	var ids *ResourceID
	for _, k := range n.elements() {
		if p.d.fes20 && p.isID(k) {
			id, err := p.id(k)
			if err != nil {
				return nil, err
			}
			if ids == nil {
				ids = &ResourceID{}
			}
			ids.IDs = append(ids.IDs, id)
			continue
		}
		if ids != nil {
			ops = append(ops, *ids)
			ids = nil
		}
		f, err := p.predicate(k)
		if err != nil {
			return nil, err
		}
		ops = append(ops, f)
	}
	if ids != nil {
		ops = append(ops, *ids)
	}
	return ops, nil
}

// expr is an operand of a comparison: a property or a literal.
type expr struct {
	prop    string
	literal string
	isProp  bool
}

func (p *parser) isProperty(n *node) bool {
	// Both names are accepted in both versions: clients mix them up,
	// and nothing else could be meant.
	return p.inFilter(n) && (n.name.Local == "ValueReference" || n.name.Local == "PropertyName")
}

func (p *parser) propertyName(n *node) (string, error) {
	if len(n.elements()) > 0 {
		return "", invalidf(n, "property names hold text only")
	}
	name := strings.TrimSpace(n.text)
	if name == "" {
		return "", invalidf(n, "empty property name")
	}
	if len(name) > MaxLiteralLength {
		return "", invalidf(n, "property name longer than %d bytes", MaxLiteralLength)
	}
	return name, nil
}

func (p *parser) expression(n *node) (expr, error) {
	if p.isProperty(n) {
		name, err := p.propertyName(n)
		return expr{prop: name, isProp: true}, err
	}
	if p.inFilter(n) && n.name.Local == "Literal" {
		if len(n.elements()) > 0 {
			return expr{}, unsupportedf(n, "literals with element content are not supported here")
		}
		if len(n.text) > MaxLiteralLength {
			return expr{}, invalidf(n, "literal longer than %d bytes", MaxLiteralLength)
		}
		return expr{literal: n.text}, nil
	}
	return expr{}, p.unexpected(n, "ValueReference or Literal")
}

// propertyAndLiteral reads the two operands of a binary operator, in
// either order; swapped reports that the literal came first.
func (p *parser) propertyAndLiteral(n *node) (prop, lit string, swapped bool, err error) {
	kids := n.elements()
	if len(kids) != 2 {
		return "", "", false, invalidf(n, "needs two operands, has %d", len(kids))
	}
	a, err := p.expression(kids[0])
	if err != nil {
		return "", "", false, err
	}
	b, err := p.expression(kids[1])
	if err != nil {
		return "", "", false, err
	}
	switch {
	case a.isProp && b.isProp:
		return "", "", false, unsupportedf(n, "comparing two properties is not supported")
	case !a.isProp && !b.isProp:
		return "", "", false, unsupportedf(n, "comparing two literals is not supported")
	case a.isProp:
		return a.prop, b.literal, false, nil
	}
	return b.prop, a.literal, true, nil
}

func boolAttr(n *node, name string, def bool) (bool, error) {
	v, ok := n.attr(name)
	if !ok {
		return def, nil
	}
	switch strings.TrimSpace(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, invalidf(n, "%s=%q is not a boolean", name, short(v))
}

func (p *parser) compare(n *node, op CompareOp) (Filter, error) {
	prop, lit, swapped, err := p.propertyAndLiteral(n)
	if err != nil {
		return nil, err
	}
	mc, err := boolAttr(n, "matchCase", true)
	if err != nil {
		return nil, err
	}
	if v, ok := n.attr("matchAction"); ok {
		// Properties are single-valued here, so the three actions
		// agree.
		switch strings.TrimSpace(v) {
		case "Any", "All", "One":
		default:
			return nil, invalidf(n, "matchAction=%q, want Any, All or One", short(v))
		}
	}
	if swapped {
		// "5 < x" is "x > 5".
		switch op {
		case LessThan:
			op = GreaterThan
		case LessThanOrEqualTo:
			op = GreaterThanOrEqualTo
		case GreaterThan:
			op = LessThan
		case GreaterThanOrEqualTo:
			op = LessThanOrEqualTo
		}
	}
	return Compare{Op: op, Property: prop, Literal: lit, MatchCase: mc}, nil
}

func (p *parser) like(n *node) (Filter, error) {
	prop, pattern, _, err := p.propertyAndLiteral(n)
	if err != nil {
		return nil, err
	}
	mc, err := boolAttr(n, "matchCase", true)
	if err != nil {
		return nil, err
	}
	chars := map[string]string{}
	for _, names := range [][]string{{"wildCard"}, {"singleChar"}, {"escapeChar", "escape"}} {
		var v string
		var ok bool
		for _, a := range names {
			if v, ok = n.attr(a); ok {
				break
			}
		}
		if !ok {
			return nil, invalidf(n, "missing %s", names[0])
		}
		if utf8.RuneCountInString(v) != 1 {
			return nil, invalidf(n, "%s=%q must be one character", names[0], short(v))
		}
		chars[names[0]] = v
	}
	l := Like{Property: prop, Pattern: pattern, WildCard: chars["wildCard"], SingleChar: chars["singleChar"], Escape: chars["escapeChar"], MatchCase: mc}
	if _, err := compileLike(l); err != nil {
		return nil, invalidf(n, "%v", err)
	}
	return l, nil
}

func (p *parser) isNull(n *node) (Filter, error) {
	kids := n.elements()
	if len(kids) != 1 {
		return nil, invalidf(n, "needs one property")
	}
	e, err := p.expression(kids[0])
	if err != nil {
		return nil, err
	}
	if !e.isProp {
		return nil, unsupportedf(n, "only properties can be tested for null")
	}
	return IsNull{Property: e.prop}, nil
}

func (p *parser) between(n *node) (Filter, error) {
	kids := n.elements()
	if len(kids) != 3 {
		return nil, invalidf(n, "needs a property, LowerBoundary and UpperBoundary")
	}
	e, err := p.expression(kids[0])
	if err != nil {
		return nil, err
	}
	if !e.isProp {
		return nil, unsupportedf(n, "only a property can be tested with PropertyIsBetween")
	}
	bound := func(k *node, name string) (string, error) {
		if !p.inFilter(k) || k.name.Local != name {
			return "", p.unexpected(k, name)
		}
		if len(k.elements()) != 1 {
			return "", invalidf(k, "needs one literal")
		}
		b, err := p.expression(k.elements()[0])
		if err != nil {
			return "", err
		}
		if b.isProp {
			return "", unsupportedf(k, "property boundaries are not supported")
		}
		return b.literal, nil
	}
	lo, err := bound(kids[1], "LowerBoundary")
	if err != nil {
		return nil, err
	}
	hi, err := bound(kids[2], "UpperBoundary")
	if err != nil {
		return nil, err
	}
	return Between{Property: e.prop, Lower: lo, Upper: hi}, nil
}

// spatial parses the spatial operators: an optional property, a geometry
// (GML, possibly wrapped in a Literal) and, for DWithin and Beyond, a
// Distance.
func (p *parser) spatial(n *node, op SpatialOp) (Filter, error) {
	s := Spatial{Op: op}
	var geomNode, distNode *node
	haveProp := false
	for _, k := range n.elements() {
		switch {
		case p.isProperty(k):
			if haveProp || geomNode != nil {
				return nil, unsupportedf(n, "comparing two geometry properties is not supported")
			}
			name, err := p.propertyName(k)
			if err != nil {
				return nil, err
			}
			s.Property, haveProp = name, true
		case p.inFilter(k) && k.name.Local == "Distance" && (op == DWithin || op == Beyond):
			if distNode != nil {
				return nil, invalidf(n, "more than one Distance")
			}
			distNode = k
		case p.inFilter(k) && k.name.Local == "Literal" && len(k.elements()) == 1 && !k.hasText():
			if geomNode != nil {
				return nil, invalidf(n, "more than one geometry")
			}
			geomNode = k.elements()[0]
		case p.inFilter(k) && k.name.Space != "":
			return nil, p.unexpected(k, "ValueReference and a GML geometry")
		case inGML(k):
			if geomNode != nil {
				return nil, invalidf(n, "more than one geometry")
			}
			geomNode = k
		default:
			return nil, p.unexpected(k, "ValueReference and a GML geometry")
		}
	}
	if geomNode == nil {
		return nil, invalidf(n, "needs a GML geometry")
	}
	g, c, err := p.geometry(geomNode)
	if err != nil {
		return nil, err
	}
	s.Geometry, s.CRS = g, c
	if op == BBOX {
		if _, ok := g.(orb.Bound); !ok {
			// BBOX is about the envelope, whatever geometry names it.
			s.Geometry = g.Bound()
		}
	}
	if op == DWithin || op == Beyond {
		if distNode == nil {
			return nil, invalidf(n, "needs a Distance")
		}
		if len(distNode.elements()) > 0 {
			return nil, invalidf(distNode, "a distance is a number")
		}
		d, err := strconv.ParseFloat(strings.TrimSpace(distNode.text), 64)
		if err != nil || math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
			return nil, invalidf(distNode, "%q is not a non-negative number", short(strings.TrimSpace(distNode.text)))
		}
		u, ok := distNode.attr("uom")
		if !ok {
			u, ok = distNode.attr("units")
		}
		u = strings.TrimSpace(u)
		if !ok || u == "" {
			return nil, invalidf(distNode, "missing uom")
		}
		if _, ok := unitOf(u); !ok {
			return nil, unsupportedf(distNode, "unit %q is not supported", short(u))
		}
		s.Distance, s.Units = d, u
	} else if distNode != nil {
		return nil, invalidf(distNode, "Distance only belongs to DWithin and Beyond")
	}
	return s, nil
}

// srsInfo is a resolved srsName: the CRS and whether coordinates written
// in it come northing first and must be swapped.
type srsInfo struct {
	crs  crs.CRS
	flip bool
}

// axisSwap applies the axis rule to one CRS spelling: URN and
// http://www.opengis.net/def/crs forms follow the CRS's official axis
// order, other forms (EPSG:n, CRS:84, the old GML epsg.xml#n URL) are
// easting/northing, the legacy convention GeoServer and GDAL follow.
func axisSwap(name string) (srsInfo, error) {
	c, err := crs.Parse(name)
	if err != nil {
		return srsInfo{}, err
	}
	info, err := crs.Lookup(c)
	if err != nil {
		return srsInfo{}, err
	}
	l := strings.ToLower(strings.TrimSpace(name))
	official := strings.HasPrefix(l, "urn:") || strings.Contains(l, "://www.opengis.net/def/crs/")
	return srsInfo{crs: c, flip: official && info.NorthingFirst}, nil
}

func (p *parser) resolveSRS(n *node, name string) (srsInfo, error) {
	if info, ok := p.srs[name]; ok {
		return info, nil
	}
	info, err := axisSwap(name)
	if err != nil {
		return srsInfo{}, fmt.Errorf("%w: %s: srsName %q: %w", ErrInvalid, n.path(), short(name), err)
	}
	p.srs[name] = info
	return info, nil
}
