package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Feature is what Evaluate reads a filter's properties from.
type Feature interface {
	// ID is the feature identifier, "123" or "typename.123".
	ID() string
	// Value returns the value of a column (Property.Column): string,
	// int64, float64, bool, time.Time, []byte, or nil for NULL; ok is
	// false when the feature has no such column.
	Value(column string) (v any, ok bool)
	// Geometry returns the geometry of a geometry column in the layer's
	// CRS, or nil for NULL.
	Geometry(column string) orb.Geometry
}

// IDProperty is the name under which a Schema resolves the identifier
// column: ResourceID filters become `"<Column>" IN (...)` with the
// Property that Schema.Property(IDProperty) returns. Identifiers are
// integers ("123", or "typename.123" whose prefix up to the last dot is
// dropped without being checked: the caller knows the feature type); any
// other identifier matches nothing.
const IDProperty = "@id"

// Evaluate tells whether feat matches f. A nil filter matches everything.
// And and Or stop at the first deciding operand, so errors in the filter
// itself may only show on some features: Validate it first.
//
// Comparisons follow SQL: NULL (or a value that cannot be read as its
// property's Kind) compares false, Not negates the result (two-valued
// logic, which SQL also yields through its translation), strings compare
// byte-wise or, with MatchCase false, case-folded. Spatial predicates are
// exact planar predicates on the feature geometry and the literal, which
// must be in the same CRS: call Transform first. DWithin and Beyond need
// the distance in CRS units (Units "" after Transform).
func Evaluate(f Filter, s Schema, feat Feature) (bool, error) {
	switch f := f.(type) {
	case nil:
		return true, nil
	case Compare:
		p, err := resolve(s, f.Property)
		if err != nil {
			return false, err
		}
		fold := p.Kind == String && !f.MatchCase
		lit, err := literal(p.Kind, f.Literal, fold)
		if err != nil {
			return false, fmt.Errorf("%s on %q: %w", f.Op, f.Property, err)
		}
		v, err := column(feat, p)
		if err != nil {
			return false, err
		}
		fv, ok := featureValue(p.Kind, v, fold)
		if !ok {
			return false, nil
		}
		c := cmpValue(p.Kind, fv, lit)
		switch f.Op {
		case EqualTo:
			return c == 0, nil
		case NotEqualTo:
			return c != 0, nil
		case LessThan:
			return c < 0, nil
		case LessThanOrEqualTo:
			return c <= 0, nil
		case GreaterThan:
			return c > 0, nil
		case GreaterThanOrEqualTo:
			return c >= 0, nil
		}
		return false, fmt.Errorf("%w: comparison %s", ErrUnsupported, f.Op)
	case Like:
		p, err := resolve(s, f.Property)
		if err != nil {
			return false, err
		}
		if p.Kind != String {
			return false, fmt.Errorf("%w: PropertyIsLike on %q, a %s property", ErrInvalid, f.Property, p.Kind)
		}
		toks, err := compileLike(f)
		if err != nil {
			return false, err
		}
		v, err := column(feat, p)
		if err != nil {
			return false, err
		}
		str, ok := text(v)
		if v == nil || !ok {
			return false, nil
		}
		return matchLike(toks, str, !f.MatchCase), nil
	case IsNull:
		p, err := resolve(s, f.Property)
		if err != nil {
			return false, err
		}
		if p.Kind == Geometry {
			return feat.Geometry(p.Column) == nil, nil
		}
		v, err := column(feat, p)
		return v == nil, err
	case Between:
		p, err := resolve(s, f.Property)
		if err != nil {
			return false, err
		}
		lo, err := literal(p.Kind, f.Lower, false)
		if err != nil {
			return false, fmt.Errorf("PropertyIsBetween on %q: %w", f.Property, err)
		}
		hi, err := literal(p.Kind, f.Upper, false)
		if err != nil {
			return false, fmt.Errorf("PropertyIsBetween on %q: %w", f.Property, err)
		}
		v, err := column(feat, p)
		if err != nil {
			return false, err
		}
		fv, ok := featureValue(p.Kind, v, false)
		if !ok {
			return false, nil
		}
		return cmpValue(p.Kind, lo, fv) <= 0 && cmpValue(p.Kind, fv, hi) <= 0, nil
	case And:
		for _, g := range f.Filters {
			if ok, err := Evaluate(g, s, feat); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case Or:
		for _, g := range f.Filters {
			if ok, err := Evaluate(g, s, feat); err != nil || ok {
				return ok && err == nil, err
			}
		}
		return false, nil
	case Not:
		ok, err := Evaluate(f.Filter, s, feat)
		return !ok && err == nil, err
	case Spatial:
		return evalSpatial(f, s, feat)
	case ResourceID:
		id, ok := numericID(feat.ID())
		if !ok {
			return false, nil
		}
		for _, rid := range f.IDs {
			if n, ok := numericID(rid); ok && n == id {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("%w: filter node %T", ErrUnsupported, f)
}

// resolve finds a property or fails with ErrUnknownProperty naming it.
func resolve(s Schema, name string) (Property, error) {
	if s != nil {
		if p, ok := s.Property(name); ok {
			return p, nil
		}
	}
	return Property{}, fmt.Errorf("%w: %q", ErrUnknownProperty, short(name))
}

// geometryProperty resolves the property of a spatial operator.
func geometryProperty(s Schema, name string) (Property, error) {
	if name == "" {
		if s != nil {
			if p, ok := s.DefaultGeometry(); ok {
				return p, nil
			}
		}
		return Property{}, fmt.Errorf("%w: the feature type has no geometry", ErrInvalid)
	}
	p, err := resolve(s, name)
	if err != nil {
		return p, err
	}
	if p.Kind != Geometry {
		return p, fmt.Errorf("%w: spatial operator on %q, a %s property", ErrInvalid, short(name), p.Kind)
	}
	return p, nil
}

func column(feat Feature, p Property) (any, error) {
	v, ok := feat.Value(p.Column)
	if !ok {
		return nil, fmt.Errorf("%w: the feature has no column %q", ErrUnknownProperty, short(p.Column))
	}
	return v, nil
}

// numericID reads "123" or "typename.123".
func numericID(id string) (int64, bool) {
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		id = id[i+1:]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	return n, err == nil
}

// checkSpatial validates a spatial node against the schema and returns
// its property and prepared literal.
func checkSpatial(f Spatial, s Schema) (Property, *shape, error) {
	p, err := geometryProperty(s, f.Property)
	if err != nil {
		return p, nil, err
	}
	if f.Geometry == nil {
		return p, nil, fmt.Errorf("%w: %s without geometry", ErrInvalid, f.Op)
	}
	lit, err := prepare(f.Geometry)
	if err != nil {
		return p, nil, fmt.Errorf("%s geometry: %w", f.Op, err)
	}
	if lit.empty() {
		return p, nil, fmt.Errorf("%w: %s with an empty geometry", ErrInvalid, f.Op)
	}
	switch f.Op {
	case BBOX, Intersects, Disjoint:
	case Within, Contains, Equals, Touches, Crosses, Overlaps:
		if lit.mixed() {
			return p, nil, fmt.Errorf("%w: %s with a collection of mixed dimensions", ErrUnsupported, f.Op)
		}
	case DWithin, Beyond:
		if math.IsNaN(f.Distance) || math.IsInf(f.Distance, 0) || f.Distance < 0 {
			return p, nil, fmt.Errorf("%w: %s distance %g", ErrInvalid, f.Op, f.Distance)
		}
	default:
		return p, nil, fmt.Errorf("%w: spatial operator %s", ErrUnsupported, f.Op)
	}
	return p, lit, nil
}

// resolvedUnits fails unless a distance is in CRS units, which only
// Transform, knowing the layer's CRS, can establish.
func resolvedUnits(f Spatial) error {
	if (f.Op == DWithin || f.Op == Beyond) && f.Units != "" {
		return fmt.Errorf("%w: %s distance in %q must first be converted to the layer CRS units with Transform", ErrUnsupported, f.Op, short(f.Units))
	}
	return nil
}

func evalSpatial(f Spatial, s Schema, feat Feature) (bool, error) {
	p, lit, err := checkSpatial(f, s)
	if err != nil {
		return false, err
	}
	if err := resolvedUnits(f); err != nil {
		return false, err
	}
	g := feat.Geometry(p.Column)
	if g == nil {
		return false, nil
	}
	a, err := prepare(g)
	if err != nil {
		return false, fmt.Errorf("feature %s geometry: %w", short(feat.ID()), err)
	}
	switch f.Op {
	case DWithin:
		return !a.empty() && distance(a, lit) <= f.Distance, nil
	case Beyond:
		return !a.empty() && distance(a, lit) > f.Distance, nil
	}
	return relate(f.Op, a, lit)
}
