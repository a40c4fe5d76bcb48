package filter

import (
	"fmt"
	"math"
)

// Validate checks f against a feature type before it is run: every
// property resolves (ErrUnknownProperty naming it), comparison literals
// read as their property's Kind (ErrInvalid: "abc" for an integer),
// PropertyIsLike names a string property, spatial operators name a
// geometry property (ErrInvalid otherwise) and carry a valid geometry,
// distance units are known, and ResourceID needs the Schema's IDProperty.
// A filter that passes Validate (and, for spatial literals in another
// CRS or distances with units, Transform) does not fail in Evaluate or
// SQL for reasons of its own.
func Validate(f Filter, s Schema) error {
	switch f := f.(type) {
	case nil:
		return nil
	case Compare:
		p, err := resolve(s, f.Property)
		if err != nil {
			return err
		}
		if _, err := literal(p.Kind, f.Literal, false); err != nil {
			return fmt.Errorf("%s on %q: %w", f.Op, short(f.Property), err)
		}
		if f.Op < EqualTo || f.Op > GreaterThanOrEqualTo {
			return fmt.Errorf("%w: comparison %s", ErrUnsupported, f.Op)
		}
	case Like:
		p, err := resolve(s, f.Property)
		if err != nil {
			return err
		}
		if p.Kind != String {
			return fmt.Errorf("%w: PropertyIsLike on %q, a %s property", ErrInvalid, short(f.Property), p.Kind)
		}
		if _, err := compileLike(f); err != nil {
			return fmt.Errorf("PropertyIsLike on %q: %w", short(f.Property), err)
		}
	case IsNull:
		_, err := resolve(s, f.Property)
		return err
	case Between:
		p, err := resolve(s, f.Property)
		if err != nil {
			return err
		}
		for _, l := range []string{f.Lower, f.Upper} {
			if _, err := literal(p.Kind, l, false); err != nil {
				return fmt.Errorf("PropertyIsBetween on %q: %w", short(f.Property), err)
			}
		}
	case And:
		for _, g := range f.Filters {
			if err := Validate(g, s); err != nil {
				return err
			}
		}
	case Or:
		for _, g := range f.Filters {
			if err := Validate(g, s); err != nil {
				return err
			}
		}
	case Not:
		return Validate(f.Filter, s)
	case Spatial:
		if _, _, err := checkSpatial(f, s); err != nil {
			return err
		}
		if (f.Op == DWithin || f.Op == Beyond) && f.Units != "" {
			if _, ok := unitOf(f.Units); !ok {
				return fmt.Errorf("%w: %s distance unit %q", ErrUnsupported, f.Op, short(f.Units))
			}
		}
		if math.IsNaN(f.Distance) {
			return fmt.Errorf("%w: %s distance is not a number", ErrInvalid, f.Op)
		}
	case ResourceID:
		if _, err := idColumn(s); err != nil {
			return err
		}
		if len(f.IDs) == 0 {
			return fmt.Errorf("%w: ResourceId without identifiers", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: filter node %T", ErrUnsupported, f)
	}
	return nil
}

func idColumn(s Schema) (Property, error) {
	if s != nil {
		if p, ok := s.Property(IDProperty); ok {
			return p, nil
		}
	}
	return Property{}, fmt.Errorf("%w: identifiers: the schema has no %s property", ErrUnsupported, IDProperty)
}
