package wfs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// view is the set of feature types of one request: the catalog snapshot
// read once, with the store descriptions looked up as needed and kept for
// the request's life.
type view struct {
	h      *Handler
	svc    catalog.Service
	types  []FeatureType
	byName map[string]int
	layers map[int]*featureType
}

// featureType is a published type with its store description.
type featureType struct {
	FeatureType
	layer store.Layer
	// fields are the attributes published in XML, in table order: those
	// whose names are XML names and that are not geometries (a second
	// geometry column has no place in a simple feature).
	fields []fieldRef
}

// fieldRef is one published attribute and its index in Layer.Fields.
type fieldRef struct {
	store.Field
	index int
}

// view reads the catalog snapshot in force.
func (h *Handler) view(ctx context.Context) *view {
	types, svc := h.opts.Catalog(ctx)
	v := &view{h: h, svc: svc, byName: map[string]int{}, layers: map[int]*featureType{}}
	for _, ft := range types {
		if !isNCName(ft.Name) || ft.Source == nil {
			continue
		}
		if _, dup := v.byName[ft.Name]; dup {
			continue
		}
		v.byName[ft.Name] = len(v.types)
		v.types = append(v.types, ft)
	}
	return v
}

// all returns every published type whose table the store knows, in
// catalog order.
func (v *view) all() ([]*featureType, error) {
	out := make([]*featureType, 0, len(v.types))
	for i := range v.types {
		ft, err := v.load(i)
		if err != nil {
			return nil, err
		}
		if ft != nil {
			out = append(out, ft)
		}
	}
	return out, nil
}

// load describes type i from its store; nil when the table is missing (a
// configuration out of step with the store: the type is hidden and the
// operator told).
func (v *view) load(i int) (*featureType, error) {
	if ft, ok := v.layers[i]; ok {
		return ft, nil
	}
	t := v.types[i]
	l, err := t.Source.Layer(t.Table)
	if errors.Is(err, store.ErrNotFound) {
		// Told once per handler, not on every capabilities request.
		if _, told := v.h.warned.LoadOrStore(t.Name+"\x00"+t.Table, true); !told {
			v.h.opts.Logger.Warn("wfs feature type has no table in its store; it is not published",
				slog.String("type", t.Name), slog.String("table", t.Table))
		}
		v.layers[i] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wfs: describing table %s of type %s: %w", t.Table, t.Name, err)
	}
	ft := &featureType{FeatureType: t, layer: l}
	for j, f := range l.Fields {
		if f.Kind == filter.Geometry || !isNCName(f.Name) || f.Name == l.GeometryColumn {
			continue
		}
		ft.fields = append(ft.fields, fieldRef{Field: f, index: j})
	}
	v.layers[i] = ft
	return ft, nil
}

// lookup finds a type by the name a request gives: bare, with the prefix
// tuiles, or with a prefix ns maps to Namespace. Unknown names are an
// InvalidParameterValue located at the parameter that gave them.
func (v *view) lookup(qname string, ns namespaces, locator string) (*featureType, error) {
	name, ok := ns.local(qname)
	if ok {
		if i, found := v.byName[name]; found {
			ft, err := v.load(i)
			if err != nil {
				return nil, err
			}
			if ft != nil {
				return ft, nil
			}
		}
	}
	return nil, &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: locator, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("unknown feature type %q", clip(qname))}
}

// namespaces maps the prefixes a request declares (the NAMESPACES KVP
// parameter, xmlns attributes in XML) to URIs.
type namespaces map[string]string

// local returns the local part of a qualified type name if its prefix
// stands for Namespace. A bare name is accepted, and so is the prefix
// tuiles even when undeclared, since clients copy names from the
// capabilities without their declarations. A name in Clark notation
// ({uri}local) is accepted too.
func (ns namespaces) local(qname string) (string, bool) {
	qname = strings.TrimSpace(qname)
	if strings.HasPrefix(qname, "{") {
		uri, local, ok := strings.Cut(qname[1:], "}")
		return local, ok && uri == Namespace
	}
	prefix, local, found := strings.Cut(qname, ":")
	if !found {
		return qname, true
	}
	if uri, declared := ns[prefix]; declared {
		return local, uri == Namespace
	}
	return local, prefix == Prefix
}

// property resolves a property name of t as requests write it: bare
// ("name"), prefixed ("tuiles:name"), or as the minimal XPath of FES 2.0
// clause 7.4.4 ("tuiles:countries/tuiles:name", "countries/name[1]"). It
// returns the field, or isGeom for the geometry property.
func (t *featureType) property(name string) (f fieldRef, isGeom bool, ok bool) {
	steps := strings.Split(strings.Trim(strings.TrimSpace(name), "/"), "/")
	if len(steps) == 2 && stripStep(steps[0]) == t.Name {
		steps = steps[1:]
	}
	if len(steps) != 1 {
		return fieldRef{}, false, false
	}
	local := stripStep(steps[0])
	if local == "" {
		return fieldRef{}, false, false
	}
	if local == t.layer.GeometryColumn {
		return fieldRef{}, true, true
	}
	for _, f := range t.fields {
		if f.Name == local {
			return f, false, true
		}
	}
	return fieldRef{}, false, false
}

// stripStep removes a prefix and a [1] predicate from an XPath step.
func stripStep(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "[1]")
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// unknownProperty is the exception for a property t does not have; the
// locator is the property as the client wrote it.
func unknownProperty(t *featureType, name string) *ows.Error {
	return &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: clip(name), Status: http.StatusBadRequest,
		Message: fmt.Sprintf("feature type %s has no property %q", t.Name, clip(name))}
}

// schema lets the filter package check names and types in a filter that
// has been normalised to column names.
type schema struct{ t *featureType }

func (s schema) Property(name string) (filter.Property, bool) {
	if name == filter.IDProperty {
		return filter.Property{Column: s.t.layer.IDColumn, Kind: filter.Integer}, true
	}
	f, isGeom, ok := s.t.property(name)
	switch {
	case !ok:
		return filter.Property{}, false
	case isGeom:
		return filter.Property{Column: s.t.layer.GeometryColumn, Kind: filter.Geometry}, true
	}
	return filter.Property{Column: f.Name, Kind: f.Kind}, true
}

func (s schema) DefaultGeometry() (filter.Property, bool) {
	if s.t.layer.GeometryColumn == "" {
		return filter.Property{}, false
	}
	return filter.Property{Column: s.t.layer.GeometryColumn, Kind: filter.Geometry}, true
}

// isNCName tells whether s can be an XML element name without a prefix
// (Namespaces in XML 1.0 NCName), so that it can name a feature type or
// a property in GML.
func isNCName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError {
			return false
		}
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		default:
			return false
		}
	}
	// Names beginning with "xml" are reserved.
	return !strings.HasPrefix(strings.ToLower(s), "xml")
}
