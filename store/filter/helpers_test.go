package filter

import (
	"strconv"

	"github.com/paulmach/orb"
)

// testSchema is a feature type with one property of each kind. Its
// columns differ from the property names, and one has a quote in it, so
// the tests see resolution and quoting at work.
type testSchema map[string]Property

func newTestSchema() testSchema {
	return testSchema{
		"name":     {Column: "name", Kind: String},
		"pop":      {Column: "population", Kind: Integer},
		"area":     {Column: "area", Kind: Real},
		"capital":  {Column: "capital", Kind: Boolean},
		"founded":  {Column: "founded", Kind: Date},
		"updated":  {Column: "updated", Kind: DateTime},
		"blob":     {Column: "blob", Kind: Binary},
		"geom":     {Column: "geom", Kind: Geometry},
		"other":    {Column: "other_geom", Kind: Geometry},
		"weird":    {Column: `we"ird`, Kind: String},
		IDProperty: {Column: "fid", Kind: Integer},
	}
}

func (s testSchema) Property(name string) (Property, bool) {
	p, ok := s[name]
	return p, ok
}

func (s testSchema) DefaultGeometry() (Property, bool) {
	p, ok := s["geom"]
	return p, ok
}

// testFeature holds values by column.
type testFeature struct {
	id     int64
	values map[string]any
	geoms  map[string]orb.Geometry
}

func (f testFeature) ID() string { return "places." + strconv.FormatInt(f.id, 10) }

func (f testFeature) Value(col string) (any, bool) {
	v, ok := f.values[col]
	return v, ok
}

func (f testFeature) Geometry(col string) orb.Geometry { return f.geoms[col] }
