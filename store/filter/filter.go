// Package filter is the filter model shared by WFS queries and SLD rules:
// comparison, logical, spatial and identifier filters; their decoding from
// FES 2.0 and Filter 1.1 XML; their evaluation on one feature; and their
// translation to parameterised SQL for the store.
//
// Property names and literals from requests never reach SQL text: property
// names are resolved through a Schema to known columns, and literals are
// bound as arguments.
package filter

import (
	"errors"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// Errors callers map to OGC exception codes (errors.Is).
var (
	// ErrInvalid means the filter is malformed or exceeds a limit
	// (InvalidParameterValue / OperationParsingFailed).
	ErrInvalid = errors.New("invalid filter")
	// ErrUnknownProperty means the filter names a property the feature
	// type does not have (InvalidParameterValue with the property as
	// locator).
	ErrUnknownProperty = errors.New("unknown property")
	// ErrUnsupported means the filter uses an operator tuiles does not
	// implement (OperationProcessingFailed / NoApplicableCode); the
	// capabilities must not announce it.
	ErrUnsupported = errors.New("unsupported filter operator")
)

// Filter is one node of a filter expression. The concrete types below are
// the only implementations.
type Filter interface{ isFilter() }

// CompareOp is a binary comparison operator.
type CompareOp int

const (
	EqualTo CompareOp = iota
	NotEqualTo
	LessThan
	LessThanOrEqualTo
	GreaterThan
	GreaterThanOrEqualTo
)

// Compare compares a property with a literal. The literal is kept as text
// and typed by the property's Kind when evaluated or bound.
type Compare struct {
	Op        CompareOp
	Property  string
	Literal   string
	MatchCase bool // default true in FES 2.0
}

// Like matches a property against a pattern with the given wildcard,
// single-character and escape characters (FES PropertyIsLike).
type Like struct {
	Property   string
	Pattern    string
	WildCard   string
	SingleChar string
	Escape     string
	MatchCase  bool
}

// IsNull is true when the property is NULL.
type IsNull struct{ Property string }

// Between is true when Lower <= property <= Upper.
type Between struct {
	Property     string
	Lower, Upper string
}

// And, Or and Not are the logical operators.
type (
	And struct{ Filters []Filter }
	Or  struct{ Filters []Filter }
	Not struct{ Filter Filter }
)

// SpatialOp is a spatial operator.
type SpatialOp int

const (
	BBOX SpatialOp = iota
	Intersects
	Within
	Contains
	Disjoint
	DWithin
	Beyond
	Equals
	Touches
	Crosses
	Overlaps
)

// Spatial relates the feature's geometry property to a literal geometry.
type Spatial struct {
	Op SpatialOp
	// Property is the geometry property; "" means the default geometry.
	Property string
	// Geometry is in easting/northing (x = longitude) order, whatever the
	// axis order of CRS: parsers normalise it.
	Geometry orb.Geometry
	// CRS of Geometry; the zero value means the layer's CRS.
	CRS crs.CRS
	// Distance and Units for DWithin and Beyond.
	Distance float64
	Units    string
}

// ResourceID selects features by identifier (FES ResourceId, Filter 1.1
// FeatureId/GmlObjectId), as "typename.fid" or "fid".
type ResourceID struct{ IDs []string }

func (Compare) isFilter()    {}
func (Like) isFilter()       {}
func (IsNull) isFilter()     {}
func (Between) isFilter()    {}
func (And) isFilter()        {}
func (Or) isFilter()         {}
func (Not) isFilter()        {}
func (Spatial) isFilter()    {}
func (ResourceID) isFilter() {}

// Kind is the type of a property.
type Kind int

const (
	String Kind = iota
	Integer
	Real
	Boolean
	Date
	DateTime
	Binary
	Geometry
)

// Property describes one property a filter may name.
type Property struct {
	// Column is the SQL column (already validated by the store; quoted
	// by the translator).
	Column string
	Kind   Kind
}

// Schema resolves property names of one feature type. Names may come
// prefixed ("ns:name") from requests; the Schema sees them as given and
// decides.
type Schema interface {
	Property(name string) (Property, bool)
	// DefaultGeometry is the geometry property used when a spatial
	// operator names none.
	DefaultGeometry() (Property, bool)
}
