package store

import (
	"strings"

	"github.com/tuiles/tuiles/store/filter"
)

// Schema returns the filter.Schema of the layer: property names are the
// field names (case-sensitive), the id column (also as filter.IDProperty,
// "@id", Kind Integer) and the geometry column (Kind Geometry, also the default
// geometry). A name that does not resolve as given is tried again without
// a namespace prefix ("ns:name" → "name"), since WFS clients qualify names;
// the exact name wins so that columns like OSM's "name:fr" still resolve.
func (l Layer) Schema() filter.Schema {
	s := layerSchema{l: l, fields: make(map[string]int, len(l.Fields))}
	for i, f := range l.Fields {
		s.fields[f.Name] = i
	}
	return s
}

type layerSchema struct {
	l      Layer
	fields map[string]int
}

func (s layerSchema) Property(name string) (filter.Property, bool) {
	if p, ok := s.lookup(name); ok {
		return p, true
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return s.lookup(name[i+1:])
	}
	return filter.Property{}, false
}

func (s layerSchema) lookup(name string) (filter.Property, bool) {
	switch {
	case name == "":
		return filter.Property{}, false
	case name == filter.IDProperty || name == s.l.IDColumn:
		return filter.Property{Column: s.l.IDColumn, Kind: filter.Integer}, s.l.IDColumn != ""
	case name == s.l.GeometryColumn:
		return filter.Property{Column: s.l.GeometryColumn, Kind: filter.Geometry}, true
	}
	if i, ok := s.fields[name]; ok {
		f := s.l.Fields[i]
		return filter.Property{Column: f.Name, Kind: f.Kind}, true
	}
	return filter.Property{}, false
}

func (s layerSchema) DefaultGeometry() (filter.Property, bool) {
	if s.l.GeometryColumn == "" {
		return filter.Property{}, false
	}
	return filter.Property{Column: s.l.GeometryColumn, Kind: filter.Geometry}, true
}
