package wfs

import "github.com/tuiles/tuiles/store/filter"

// What store/filter decodes and the store evaluates, and so what the
// Filter_Capabilities announce; nothing more, since a client may use
// anything announced. Temporal operators, functions and arithmetic are not
// implemented; PropertyIsNil is read as PropertyIsNull, since tuiles
// features have no nil-with-reason values.

// spatialOperators are the spatial operators of the filter model; the
// store evaluates each exactly after the R-tree pass.
func spatialOperators() []filter.SpatialOp {
	return []filter.SpatialOp{
		filter.BBOX, filter.Equals, filter.Disjoint, filter.Intersects, filter.Touches, filter.Crosses,
		filter.Within, filter.Contains, filter.Overlaps, filter.Beyond, filter.DWithin,
	}
}

// comparisonOperators20 are the FES 2.0 names of the comparison operators
// the filter model has.
func comparisonOperators20() []string {
	return []string{
		"PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan", "PropertyIsGreaterThan",
		"PropertyIsLessThanOrEqualTo", "PropertyIsGreaterThanOrEqualTo",
		"PropertyIsLike", "PropertyIsNull", "PropertyIsNil", "PropertyIsBetween",
	}
}

// filterCapabilities20 writes fes:Filter_Capabilities (09-026r2 clause 7.13).
func filterCapabilities20(d *xmlDoc) {
	d.open("fes:Filter_Capabilities")
	d.open("fes:Conformance")
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"ImplementsQuery", true},
		{"ImplementsAdHocQuery", true},
		{"ImplementsFunctions", false},
		{"ImplementsResourceId", true},
		{"ImplementsMinStandardFilter", true},
		{"ImplementsStandardFilter", true},
		{"ImplementsMinSpatialFilter", true},
		{"ImplementsSpatialFilter", true},
		{"ImplementsMinTemporalFilter", false},
		{"ImplementsTemporalFilter", false},
		{"ImplementsVersionNav", false},
		{"ImplementsSorting", true},
		{"ImplementsExtendedOperators", false},
		{"ImplementsMinimumXPath", true},
		{"ImplementsSchemaElementFunc", false},
	} {
		defaultValue11(d, "fes:Constraint", c.name, boolText(c.ok))
	}
	d.close("fes:Conformance")
	d.open("fes:Id_Capabilities")
	d.empty("fes:ResourceIdentifier", "name", "fes:ResourceId")
	d.close("fes:Id_Capabilities")
	d.open("fes:Scalar_Capabilities")
	d.empty("fes:LogicalOperators")
	d.open("fes:ComparisonOperators")
	for _, op := range comparisonOperators20() {
		d.empty("fes:ComparisonOperator", "name", op)
	}
	d.close("fes:ComparisonOperators")
	d.close("fes:Scalar_Capabilities")
	d.open("fes:Spatial_Capabilities")
	d.open("fes:GeometryOperands")
	for _, g := range []string{"gml:Envelope", "gml:Point", "gml:LineString", "gml:Polygon",
		"gml:MultiPoint", "gml:MultiCurve", "gml:MultiSurface", "gml:MultiGeometry"} {
		d.empty("fes:GeometryOperand", "name", g)
	}
	d.close("fes:GeometryOperands")
	d.open("fes:SpatialOperators")
	for _, op := range spatialOperators() {
		d.empty("fes:SpatialOperator", "name", op.String())
	}
	d.close("fes:SpatialOperators")
	d.close("fes:Spatial_Capabilities")
	d.close("fes:Filter_Capabilities")
}

// filterCapabilities11 writes ogc:Filter_Capabilities of Filter 1.1
// (04-095 clause 12), whose operand list is a closed enumeration.
func filterCapabilities11(d *xmlDoc) {
	d.open("ogc:Filter_Capabilities")
	d.open("ogc:Spatial_Capabilities")
	d.open("ogc:GeometryOperands")
	for _, g := range []string{"gml:Envelope", "gml:Point", "gml:LineString", "gml:Polygon"} {
		d.leaf("ogc:GeometryOperand", g)
	}
	d.close("ogc:GeometryOperands")
	d.open("ogc:SpatialOperators")
	for _, op := range spatialOperators() {
		d.empty("ogc:SpatialOperator", "name", op.String())
	}
	d.close("ogc:SpatialOperators")
	d.close("ogc:Spatial_Capabilities")
	d.open("ogc:Scalar_Capabilities")
	d.empty("ogc:LogicalOperators")
	d.open("ogc:ComparisonOperators")
	for _, op := range []string{"LessThan", "GreaterThan", "LessThanEqualTo", "GreaterThanEqualTo",
		"EqualTo", "NotEqualTo", "Like", "Between", "NullCheck"} {
		d.leaf("ogc:ComparisonOperator", op)
	}
	d.close("ogc:ComparisonOperators")
	d.close("ogc:Scalar_Capabilities")
	d.open("ogc:Id_Capabilities")
	d.empty("ogc:EID")
	d.empty("ogc:FID")
	d.close("ogc:Id_Capabilities")
	d.close("ogc:Filter_Capabilities")
}
