package filter

import "strconv"

// String is the FES 2.0 element name of the operator, for messages and
// Filter_Capabilities.
func (op SpatialOp) String() string {
	switch op {
	case BBOX:
		return "BBOX"
	case Intersects:
		return "Intersects"
	case Within:
		return "Within"
	case Contains:
		return "Contains"
	case Disjoint:
		return "Disjoint"
	case DWithin:
		return "DWithin"
	case Beyond:
		return "Beyond"
	case Equals:
		return "Equals"
	case Touches:
		return "Touches"
	case Crosses:
		return "Crosses"
	case Overlaps:
		return "Overlaps"
	}
	return "SpatialOp(" + strconv.Itoa(int(op)) + ")"
}

// String is the FES 2.0 element name of the operator.
func (op CompareOp) String() string {
	switch op {
	case EqualTo:
		return "PropertyIsEqualTo"
	case NotEqualTo:
		return "PropertyIsNotEqualTo"
	case LessThan:
		return "PropertyIsLessThan"
	case LessThanOrEqualTo:
		return "PropertyIsLessThanOrEqualTo"
	case GreaterThan:
		return "PropertyIsGreaterThan"
	case GreaterThanOrEqualTo:
		return "PropertyIsGreaterThanOrEqualTo"
	}
	return "CompareOp(" + strconv.Itoa(int(op)) + ")"
}

// String names the kind in messages.
func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Integer:
		return "integer"
	case Real:
		return "real"
	case Boolean:
		return "boolean"
	case Date:
		return "date"
	case DateTime:
		return "date-time"
	case Binary:
		return "binary"
	case Geometry:
		return "geometry"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
