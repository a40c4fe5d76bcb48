package wfs

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

var errUnbalancedFilter = errors.New("the parenthesised FILTER list is not closed")

// query is one query ready to run against the store.
type query struct {
	t   *featureType
	raw rawQuery
	// q is the store query, without paging.
	q store.Query
	// none is set when the query can match nothing (identifiers of other
	// types only), so the store is not asked.
	none bool
	// cols are the attributes written, in table order, with their
	// position in Feature.Properties.
	cols []column
	// geometry tells whether the geometry property is written.
	geometry bool
	out      outCRS
	// value is the property of GetPropertyValue: valueGeom for the
	// geometry, else cols[0].
	valueGeom bool
}

// column is one attribute of the output and where the store puts it.
type column struct {
	fieldRef
	pos int
}

// resolve checks a raw query against the catalog and builds its store
// query. Unknown types and properties are InvalidParameterValue with the
// type or property as locator; malformed filters are OperationParsingFailed
// (2.0) or InvalidParameterValue (1.1).
func (h *Handler) resolve(req *featureRequest, vw *view, rq rawQuery) (*query, error) {
	v := req.v
	t, err := vw.lookup(rq.typeName, req.ns, locTypeNames(v))
	if err != nil {
		return nil, err
	}
	qu := &query{t: t, raw: rq, q: store.Query{Layer: t.Table}}
	if qu.out, err = h.outputCRS(rq.srsName, t, req.format); err != nil {
		return nil, err
	}

	var f filter.Filter
	switch {
	case strings.TrimSpace(rq.filter) != "":
		if f, err = parseFilter(v, []byte(rq.filter)); err != nil {
			return nil, filterError(v, err)
		}
	case rq.bbox != "":
		s, err := filter.ParseBBOX(rq.bbox, t.layer.CRS)
		if err != nil {
			return nil, &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: "bbox", Status: http.StatusBadRequest,
				Message: "BBOX must be minx,miny,maxx,maxy[,crs]: " + clip(errText(err)), Err: err}
		}
		f = s
	case len(rq.resourceIDs) > 0:
		qu.q.IDs = idsOfType(t, rq.resourceIDs, req.ns)
		qu.none = len(qu.q.IDs) == 0
	}
	if f != nil {
		nf, none, err := normalize(t, f, req.ns)
		if err != nil {
			return nil, err
		}
		if none {
			qu.none = true
		}
		if nf != nil {
			if err := filter.Validate(nf, schema{t}); err != nil {
				return nil, filterError(v, err)
			}
		}
		qu.q.Filter = nf
	}

	if req.valueReference != "" {
		if err := qu.selectValue(req.valueReference); err != nil {
			return nil, err
		}
	} else if err := qu.selectProperties(rq.propertyNames); err != nil {
		return nil, err
	}

	for _, k := range rq.sortBy {
		fr, isGeom, ok := t.property(k.property)
		if !ok {
			return nil, unknownProperty(t, k.property)
		}
		if isGeom {
			return nil, ows.InvalidParameter("sortBy", "features cannot be sorted by their geometry")
		}
		qu.q.SortBy = append(qu.q.SortBy, store.SortBy{Property: fr.Name, Desc: k.desc})
	}
	// The identifier breaks ties, so that pages of a sorted result are
	// disjoint and cover it whatever order the store returns equal rows in.
	qu.q.SortBy = append(qu.q.SortBy, store.SortBy{})
	return qu, nil
}

// parseFilter decodes a filter in the encoding of the version.
func parseFilter(v version, data []byte) (filter.Filter, error) {
	if v == v110 {
		return filter.ParseFilter11(data)
	}
	return filter.ParseFES20(data)
}

// filterError maps an error of the filter package to an exception.
func filterError(v version, err error) error {
	switch {
	case errors.Is(err, filter.ErrUnsupported):
		return unsupportedFilter(err)
	case errors.Is(err, filter.ErrUnknownProperty):
		return &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: "filter", Status: http.StatusBadRequest,
			Message: "the filter names an unknown property: " + clip(errText(err)), Err: err}
	}
	return filterParseError(v, "filter", err)
}

// selectProperties applies PROPERTYNAME: the attributes written, always
// in table order (the order of the DescribeFeatureType sequence, which a
// valid document must follow), and whether the geometry is.
func (qu *query) selectProperties(names []string) error {
	t := qu.t
	if len(names) == 0 || slices.Contains(names, "*") {
		qu.geometry = t.layer.GeometryColumn != ""
		for _, f := range t.fields {
			qu.cols = append(qu.cols, column{fieldRef: f, pos: f.index})
		}
		return nil
	}
	chosen := map[string]bool{}
	for _, n := range names {
		f, isGeom, ok := t.property(n)
		if !ok {
			return unknownProperty(t, n)
		}
		if isGeom {
			qu.geometry = true
			continue
		}
		chosen[f.Name] = true
	}
	for _, f := range t.fields {
		if chosen[f.Name] {
			qu.cols = append(qu.cols, column{fieldRef: f, pos: len(qu.q.Properties)})
			qu.q.Properties = append(qu.q.Properties, f.Name)
		}
	}
	if len(qu.cols) == 0 {
		// Only the geometry: the store returns every attribute (nil
		// Properties) and none is written.
		qu.q.Properties = nil
	}
	return nil
}

// selectValue applies the VALUEREFERENCE of GetPropertyValue. Features
// without a value contribute no member, so they are filtered out in the
// store, which keeps numberMatched and numberReturned true.
func (qu *query) selectValue(ref string) error {
	t := qu.t
	f, isGeom, ok := t.property(ref)
	if !ok {
		return &ows.Error{Code: ows.CodeInvalidParameterValue, Locator: "valueReference", Status: http.StatusBadRequest,
			Message: "feature type " + t.Name + " has no property " + strconv.Quote(clip(ref))}
	}
	col := t.layer.GeometryColumn
	if isGeom {
		qu.valueGeom, qu.geometry = true, true
	} else {
		col = f.Name
		qu.cols = []column{{fieldRef: f, pos: 0}}
		qu.q.Properties = []string{f.Name}
	}
	notNull := filter.Not{Filter: filter.IsNull{Property: col}}
	if qu.q.Filter == nil {
		qu.q.Filter = notNull
	} else {
		qu.q.Filter = filter.And{Filters: []filter.Filter{qu.q.Filter, notNull}}
	}
	return nil
}

// idsOfType keeps the feature numbers of the identifiers that name t (or
// no type): "countries.12" is 12 for countries and nothing for rivers.
// Identifiers that are not numbers name no feature of tuiles.
func idsOfType(t *featureType, ids []string, ns namespaces) []int64 {
	var out []int64
	for _, id := range ids {
		if n, ok := fidOf(t, id, ns); ok {
			out = append(out, n)
		}
	}
	return out
}

// fidOf reads the feature number of id if it names a feature of t.
func fidOf(t *featureType, id string, ns namespaces) (int64, bool) {
	tn, fid, dotted := splitResourceID(id)
	if dotted {
		local, ok := ns.local(tn)
		if !ok || local != t.Name {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(fid, 10, 64)
	return n, err == nil
}

// normalize rewrites the property names of a decoded filter to the column
// names the store knows ("tuiles:name" and "countries/name" become "name",
// the geometry property the default geometry), and the identifiers of a
// ResourceId to the feature numbers of t. An unknown property is an
// InvalidParameterValue located at the property. none reports a filter
// that is a ResourceId naming no feature of t, so that the query is not
// run.
func normalize(t *featureType, f filter.Filter, ns namespaces) (out filter.Filter, none bool, err error) {
	if rid, ok := f.(filter.ResourceID); ok {
		var ids []string
		for _, id := range rid.IDs {
			if n, ok := fidOf(t, id, ns); ok {
				ids = append(ids, strconv.FormatInt(n, 10))
			}
		}
		if len(ids) == 0 {
			return nil, true, nil
		}
		return filter.ResourceID{IDs: ids}, false, nil
	}
	out, err = normalizeNode(t, f, ns)
	return out, false, err
}

func normalizeNode(t *featureType, f filter.Filter, ns namespaces) (filter.Filter, error) {
	prop := func(name string) (string, error) {
		fr, isGeom, ok := t.property(name)
		switch {
		case !ok:
			return "", unknownProperty(t, name)
		case isGeom:
			return t.layer.GeometryColumn, nil
		}
		return fr.Name, nil
	}
	var err error
	switch n := f.(type) {
	case filter.Compare:
		n.Property, err = prop(n.Property)
		return n, err
	case filter.Like:
		n.Property, err = prop(n.Property)
		return n, err
	case filter.IsNull:
		n.Property, err = prop(n.Property)
		return n, err
	case filter.Between:
		n.Property, err = prop(n.Property)
		return n, err
	case filter.And:
		out := filter.And{Filters: make([]filter.Filter, len(n.Filters))}
		for i, c := range n.Filters {
			if out.Filters[i], err = normalizeNode(t, c, ns); err != nil {
				return nil, err
			}
		}
		return out, nil
	case filter.Or:
		out := filter.Or{Filters: make([]filter.Filter, len(n.Filters))}
		for i, c := range n.Filters {
			if out.Filters[i], err = normalizeNode(t, c, ns); err != nil {
				return nil, err
			}
		}
		return out, nil
	case filter.Not:
		c, err := normalizeNode(t, n.Filter, ns)
		return filter.Not{Filter: c}, err
	case filter.Spatial:
		if n.Property != "" {
			_, isGeom, ok := t.property(n.Property)
			if !ok {
				return nil, unknownProperty(t, n.Property)
			}
			if !isGeom {
				return nil, ows.InvalidParameter(clip(n.Property), "spatial operators apply to the geometry property %s, not to %s", t.layer.GeometryColumn, clip(n.Property))
			}
			n.Property = t.layer.GeometryColumn
		}
		return n, nil
	case filter.ResourceID:
		// Inside a logical operator, identifiers of other types match
		// nothing of t; they are dropped, since the store reads only the
		// number. When none is left, the operand is a condition no
		// feature meets: its id is never NULL.
		var ids []string
		for _, id := range n.IDs {
			if num, ok := fidOf(t, id, ns); ok {
				ids = append(ids, strconv.FormatInt(num, 10))
			}
		}
		if len(ids) == 0 {
			return filter.IsNull{Property: filter.IDProperty}, nil
		}
		return filter.ResourceID{IDs: ids}, nil
	}
	return f, nil
}
