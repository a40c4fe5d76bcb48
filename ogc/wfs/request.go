package wfs

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/ogc/ows"
)

// getFeatureByID is the identifier of the one stored query every WFS 2.0
// offers (09-025r2 clause 7.9.3.6).
const getFeatureByID = "urn:ogc:def:query:OGC-WFS::GetFeatureById"

// outputFormat is an encoding of features.
type outputFormat int

const (
	fmtGML32 outputFormat = iota
	fmtGML311
	fmtGeoJSON
)

// Media types of the encodings, as the capabilities list them.
const (
	mediaGML32   = "application/gml+xml; version=3.2"
	mediaGML311  = "text/xml; subtype=gml/3.1.1"
	mediaGeoJSON = "application/geo+json"
	mediaJSON    = "application/json"
)

// parseFormat reads OUTPUTFORMAT. It returns the encoding and the media
// type of the answer (application/json when the client asked for it by that
// name, since some clients check). GML 3.2 exists in WFS 2.0 only.
func parseFormat(raw string, v version, locator string) (outputFormat, string, error) {
	key := strings.ToLower(raw)
	key = strings.NewReplacer(" ", "", "\t", "", `"`, "", "'", "").Replace(key)
	var f outputFormat
	media := ""
	switch key {
	case "":
		f = defaultFormat(v)
	case "text/xml", "application/xml", "xml", "gml":
		f = defaultFormat(v)
	case "application/gml+xml;version=3.2", "application/gml+xml;version=3.2.1", "application/gml+xml",
		"text/xml;subtype=gml/3.2", "text/xml;subtype=gml/3.2.1", "gml32", "gml3.2":
		f = fmtGML32
	case "text/xml;subtype=gml/3.1.1", "application/gml+xml;version=3.1", "application/gml+xml;version=3.1.1",
		"gml3", "gml311", "gml3.1.1":
		f = fmtGML311
	case "application/json", "json", "geojson":
		f, media = fmtGeoJSON, mediaJSON
	case "application/geo+json", "application/vnd.geo+json":
		f, media = fmtGeoJSON, mediaGeoJSON
	default:
		return 0, "", ows.InvalidParameter(locator, "output format %q is not offered; see OutputFormats in the capabilities", clip(raw))
	}
	if f == fmtGML32 && v == v110 {
		return 0, "", ows.InvalidParameter(locator, "WFS 1.1.0 answers in GML 3.1.1 (%s) or GeoJSON; GML 3.2 needs WFS 2.0.0", mediaGML311)
	}
	if media == "" {
		media = mediaGML32
		if f == fmtGML311 {
			media = mediaGML311
		}
	}
	return f, media, nil
}

func defaultFormat(v version) outputFormat {
	if v == v110 {
		return fmtGML311
	}
	return fmtGML32
}

// rawQuery is one query of a GetFeature or GetPropertyValue request as the
// client wrote it, in either encoding, before it is checked against the
// catalog.
type rawQuery struct {
	typeName string
	// filter is the XML text of the filter, with every namespace it uses
	// declared on its root.
	filter        string
	bbox          string
	resourceIDs   []string
	propertyNames []string
	sortBy        []sortKey
	srsName       string
}

// sortKey is one SORTBY item.
type sortKey struct {
	property string
	desc     bool
}

// featureRequest is a GetFeature or GetPropertyValue request read from
// either encoding.
type featureRequest struct {
	v       version
	ns      namespaces
	queries []rawQuery
	// count is the page size asked for, -1 when none was.
	count      int
	startIndex int
	hits       bool
	format     outputFormat
	media      string
	// valueReference is the property of a GetPropertyValue request; ""
	// for GetFeature.
	valueReference string
	// byID marks the GetFeatureById stored query, answered with the bare
	// feature.
	byID bool
	// kvp is the query of a KVP request, from which paging links are made
	// by moving STARTINDEX; nil for XML requests.
	kvp url.Values
}

// Locators of GetFeature parameters, in the spelling of each version's
// specification.
func locTypeNames(v version) string {
	if v == v110 {
		return "typeName"
	}
	return "typeNames"
}

func locCount(v version) string {
	if v == v110 {
		return "maxFeatures"
	}
	return "count"
}

func locResourceID(v version) string {
	if v == v110 {
		return "featureId"
	}
	return "resourceId"
}

// parseGetFeatureKVP reads a KVP GetFeature or GetPropertyValue request
// (09-025r2 tables 17, 5, 6 and 7; 04-094 table 8).
func (h *Handler) parseGetFeatureKVP(kvp ows.KVP, v version, vw *view, propertyValue bool) (*featureRequest, error) {
	req := &featureRequest{v: v, count: -1, kvp: url.Values(kvp)}
	var err error
	if req.ns, err = parseNamespaces(kvp); err != nil {
		return nil, err
	}
	rawFormat, err := single(kvp, "OUTPUTFORMAT")
	if err != nil {
		return nil, err
	}
	if req.format, req.media, err = parseFormat(rawFormat, v, "outputFormat"); err != nil {
		return nil, err
	}
	countKeys := []string{"COUNT", "MAXFEATURES"}
	if v == v110 {
		countKeys = []string{"MAXFEATURES", "COUNT"}
	}
	if s, _, err := firstOf(kvp, countKeys...); err != nil {
		return nil, err
	} else if s != "" {
		if req.count, err = nonNegative(s, locCount(v)); err != nil {
			return nil, err
		}
	}
	if s, err := single(kvp, "STARTINDEX"); err != nil {
		return nil, err
	} else if s != "" {
		if req.startIndex, err = nonNegative(s, "startIndex"); err != nil {
			return nil, err
		}
	}
	if req.hits, err = parseResultType(kvp.Get("RESULTTYPE")); err != nil {
		return nil, err
	}
	if propertyValue {
		if req.valueReference, err = single(kvp, "VALUEREFERENCE"); err != nil {
			return nil, err
		}
		if req.valueReference == "" {
			return nil, ows.MissingParameter("valueReference")
		}
		if req.format == fmtGeoJSON {
			return nil, ows.InvalidParameter("outputFormat", "GetPropertyValue answers in XML only")
		}
	}
	for _, p := range []string{"RESOLVE", "RESOLVEDEPTH", "RESOLVETIMEOUT", "RESOLVEPATH"} {
		if s := kvp.Get(p); s != "" && !(p == "RESOLVE" && strings.EqualFold(s, "none")) {
			return nil, notSupported(strings.ToLower(p), "resolving references is not implemented: features have no references")
		}
	}
	if s := kvp.Get("FILTER_LANGUAGE"); s != "" && !filterLanguageOK(s, v) {
		return nil, notSupported("filter_language", "filter language %q is not offered; use FES (the default)", clip(s))
	}
	srsName, err := single(kvp, "SRSNAME")
	if err != nil {
		return nil, err
	}

	if kvp.Has("STOREDQUERY_ID") {
		id, err := single(kvp, "STOREDQUERY_ID")
		if err != nil {
			return nil, err
		}
		if err := checkStoredQuery(id, v, propertyValue); err != nil {
			return nil, err
		}
		fid, err := single(kvp, "ID")
		if err != nil {
			return nil, err
		}
		if fid == "" {
			return nil, ows.MissingParameter("ID")
		}
		return h.byIDRequest(req, vw, fid, srsName)
	}

	typeNamesRaw, _, err := firstOf(kvp, typeNameKeys(v)...)
	if err != nil {
		return nil, err
	}
	filterRaw, err := single(kvp, "FILTER")
	if err != nil {
		return nil, err
	}
	if filterRaw == "" {
		// OWSLib (0.27 and earlier) sends a GET filter as QUERY=<Filter…>,
		// a key no standard defines. Ignoring it, as an unknown key, would
		// silently answer every feature to a user who asked for a few, so
		// a QUERY that is a filter document is read as FILTER.
		if q, err := single(kvp, "QUERY"); err == nil && strings.HasPrefix(strings.TrimSpace(q), "<") && strings.Contains(q, "Filter") {
			filterRaw = q
		}
	}
	bbox, err := single(kvp, "BBOX")
	if err != nil {
		return nil, err
	}
	idsRaw, _, err := firstOf(kvp, resourceIDKeys(v)...)
	if err != nil {
		return nil, err
	}
	given := 0
	for _, s := range []string{filterRaw, bbox, idsRaw} {
		if s != "" {
			given++
		}
	}
	if given > 1 {
		return nil, ows.InvalidParameter("filter", "FILTER, BBOX and %s are mutually exclusive: give one of them", strings.ToUpper(locResourceID(v)))
	}
	var ids []string
	if idsRaw != "" {
		ids = splitList(idsRaw)
	}

	var typeNames []string
	if typeNamesRaw != "" {
		if typeNames, err = parseTypeNames(typeNamesRaw, v); err != nil {
			return nil, err
		}
	} else if len(ids) > 0 {
		// Without TYPENAMES, the identifiers name their types.
		if typeNames, err = typesOfIDs(ids, req.ns, v); err != nil {
			return nil, err
		}
	} else {
		return nil, ows.MissingParameter(locTypeNames(v))
	}
	n := len(typeNames)
	filters, err := splitFilters(filterRaw, n, v)
	if err != nil {
		return nil, err
	}
	props, err := splitGroups(kvp.Get("PROPERTYNAME"), n, "propertyName")
	if err != nil {
		return nil, err
	}
	sorts, err := splitGroups(kvp.Get("SORTBY"), n, "sortBy")
	if err != nil {
		return nil, err
	}
	for i, tn := range typeNames {
		q := rawQuery{typeName: tn, filter: filters[i], bbox: bbox, resourceIDs: ids, srsName: srsName}
		if props[i] != "" {
			q.propertyNames = splitList(props[i])
		}
		if q.sortBy, err = parseSortBy(sorts[i]); err != nil {
			return nil, err
		}
		req.queries = append(req.queries, q)
	}
	return req, nil
}

// byIDRequest builds the request of the GetFeatureById stored query: one
// query for the type the identifier names. An identifier that names no
// published type is answered 404 later, like one that names no feature.
func (h *Handler) byIDRequest(req *featureRequest, vw *view, id, srsName string) (*featureRequest, error) {
	req.byID = true
	req.count, req.startIndex, req.hits = -1, 0, false
	typeName, _, ok := splitResourceID(id)
	if !ok {
		return nil, notFound(id)
	}
	if _, err := vw.lookup(typeName, req.ns, "ID"); err != nil {
		var oe *ows.Error
		if errors.As(err, &oe) {
			return nil, notFound(id)
		}
		return nil, err
	}
	req.queries = []rawQuery{{typeName: typeName, resourceIDs: []string{id}, srsName: srsName}}
	return req, nil
}

// notFound is GetFeatureById's answer for an identifier that matches
// nothing (09-025r2 clause 7.9.3.6 and table D.2 of 2.0.2).
func notFound(id string) *ows.Error {
	return &ows.Error{Code: ows.CodeNotFound, Locator: "ID", Status: http.StatusNotFound,
		Message: "no feature has the identifier " + strconv.Quote(clip(id))}
}

// checkStoredQuery refuses stored queries other than GetFeatureById.
func checkStoredQuery(id string, v version, propertyValue bool) error {
	switch {
	case v == v110:
		return ows.InvalidParameter("storedQuery_id", "stored queries need WFS 2.0.0")
	case id == "":
		return ows.MissingParameter("storedQuery_id")
	case id != getFeatureByID:
		return ows.InvalidParameter("storedQuery_id", "unknown stored query %q; ListStoredQueries lists them", clip(id))
	case propertyValue:
		return notSupported("storedQuery_id", "GetPropertyValue takes ad hoc queries only")
	}
	return nil
}

func typeNameKeys(v version) []string {
	if v == v110 {
		return []string{"TYPENAME", "TYPENAMES"}
	}
	return []string{"TYPENAMES", "TYPENAME"}
}

func resourceIDKeys(v version) []string {
	if v == v110 {
		return []string{"FEATUREID", "RESOURCEID"}
	}
	return []string{"RESOURCEID", "FEATUREID"}
}

// filterLanguageOK accepts the FES language identifiers of each version.
func filterLanguageOK(s string, v version) bool {
	switch s {
	case "urn:ogc:def:query:OGC-FES:Filter", "urn:ogc:def:language:OGC-FES:Filter":
		return v == v200
	}
	return false
}

// nonNegative reads a COUNT, MAXFEATURES or STARTINDEX value.
func nonNegative(s, locator string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, ows.InvalidParameter(locator, "%s must be a non-negative integer, not %q", locator, clip(s))
	}
	if n > 1<<31 {
		n = 1 << 31 // beyond any layer; keeps arithmetic safe
	}
	return int(n), nil
}

func parseResultType(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "results":
		return false, nil
	case "hits":
		return true, nil
	}
	return false, ows.InvalidParameter("resultType", "RESULTTYPE must be results or hits, not %q", clip(s))
}

// parseNamespaces reads NAMESPACES (2.0: xmlns(p,uri),xmlns(q,uri)) or
// NAMESPACE (1.1: xmlns(p=uri)).
func parseNamespaces(kvp ows.KVP) (namespaces, error) {
	raw, key, err := firstOf(kvp, "NAMESPACES", "NAMESPACE")
	if err != nil || raw == "" {
		return nil, err
	}
	ns := namespaces{}
	rest := raw
	for rest != "" {
		rest = strings.TrimLeft(rest, ", ")
		if rest == "" {
			break
		}
		if !strings.HasPrefix(rest, "xmlns(") {
			return nil, ows.InvalidParameter(strings.ToLower(key), "%s must be a list of xmlns(prefix,uri)", key)
		}
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return nil, ows.InvalidParameter(strings.ToLower(key), "%s has an unclosed xmlns(", key)
		}
		body := rest[len("xmlns("):end]
		rest = rest[end+1:]
		sep := strings.IndexAny(body, ",=")
		if sep < 0 {
			// xmlns(uri) declares the default namespace.
			ns[""] = strings.TrimSpace(body)
			continue
		}
		ns[strings.TrimSpace(body[:sep])] = strings.TrimSpace(body[sep+1:])
	}
	return ns, nil
}

// parseTypeNames reads TYPENAMES: a comma-separated list of types, each
// answered as its own query, or parenthesised groups, where a group of
// several types is a join, which tuiles does not implement.
func parseTypeNames(s string, v version) ([]string, error) {
	loc := locTypeNames(v)
	if !strings.HasPrefix(strings.TrimSpace(s), "(") {
		names := splitList(s)
		if len(names) == 0 {
			return nil, ows.MissingParameter(loc)
		}
		return names, nil
	}
	groups, ok := parenGroups(s)
	if !ok {
		return nil, ows.InvalidParameter(loc, "unbalanced parentheses in %s", strings.ToUpper(loc))
	}
	var names []string
	for _, g := range groups {
		items := splitList(g)
		if len(items) != 1 {
			return nil, notSupported(loc, "joins (several types in one parenthesised group) are not implemented")
		}
		names = append(names, items[0])
	}
	return names, nil
}

// typesOfIDs returns the types resource identifiers name, in order of
// first appearance.
func typesOfIDs(ids []string, ns namespaces, v version) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		tn, _, ok := splitResourceID(id)
		if !ok {
			return nil, ows.InvalidParameter(locResourceID(v), "identifier %q does not name its feature type (typename.number); give TYPENAMES", clip(id))
		}
		local, _ := ns.local(tn)
		if !seen[local] {
			seen[local] = true
			out = append(out, tn)
		}
	}
	return out, nil
}

// splitResourceID splits "countries.12" into the type and the number. The
// type may itself hold dots (an NCName may), so the last dot separates.
func splitResourceID(id string) (typeName, fid string, ok bool) {
	id = strings.TrimSpace(id)
	i := strings.LastIndexByte(id, '.')
	if i <= 0 || i == len(id)-1 {
		return "", id, false
	}
	return id[:i], id[i+1:], true
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parenGroups splits "(a,b)(c)" into "a,b" and "c".
func parenGroups(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	var out []string
	for s != "" {
		if s[0] != '(' {
			return nil, false
		}
		end := strings.IndexByte(s, ')')
		if end < 0 || strings.IndexByte(s[1:end], '(') >= 0 {
			return nil, false
		}
		out = append(out, s[1:end])
		s = strings.TrimSpace(s[end+1:])
	}
	return out, true
}

// splitGroups gives each of n queries its value of a list parameter: a
// parenthesised list holds one group per query (09-025r2 clause 7.9.2.4.3),
// a plain value applies to every query.
func splitGroups(s string, n int, locator string) ([]string, error) {
	out := make([]string, n)
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "(") {
		for i := range out {
			out[i] = s
		}
		return out, nil
	}
	groups, ok := parenGroups(s)
	if !ok {
		return nil, ows.InvalidParameter(locator, "unbalanced parentheses in %s", strings.ToUpper(locator))
	}
	if len(groups) != n {
		return nil, ows.InvalidParameter(locator, "%s has %d parenthesised groups for %d types", strings.ToUpper(locator), len(groups), n)
	}
	copy(out, groups)
	return out, nil
}

// filterGroups matches the boundary between two parenthesised filters,
// ")(" between the end of one XML element and the start of the next:
// parentheses inside literals are never between '>' and '<'.
var filterGroups = regexp.MustCompile(`>\s*\)\s*\(\s*<`)

// splitFilters gives each of n queries its FILTER: "(<Filter>…</Filter>)
// (<Filter>…</Filter>)" holds one per query; one filter alone applies to
// every query.
func splitFilters(s string, n int, v version) ([]string, error) {
	out := make([]string, n)
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "(") {
		for i := range out {
			out[i] = s
		}
		return out, nil
	}
	if !strings.HasSuffix(t, ")") {
		return nil, filterParseError(v, "filter", errUnbalancedFilter)
	}
	inner := t[1 : len(t)-1]
	locs := filterGroups.FindAllStringIndex(inner, -1)
	var parts []string
	start := 0
	for _, l := range locs {
		parts = append(parts, inner[start:l[0]+1])
		start = l[1] - 1
	}
	parts = append(parts, inner[start:])
	if len(parts) != n {
		return nil, ows.InvalidParameter("filter", "FILTER has %d parenthesised filters for %d types", len(parts), n)
	}
	copy(out, parts)
	return out, nil
}

// parseSortBy reads "name ASC,pop DESC" (2.0) or "name A,pop D" (1.1);
// clients mix the two, so both are read in either version.
func parseSortBy(s string) ([]sortKey, error) {
	var out []sortKey
	for _, item := range splitList(s) {
		fields := strings.Fields(item)
		k := sortKey{property: fields[0]}
		if len(fields) > 2 {
			return nil, ows.InvalidParameter("sortBy", "SORTBY item %q is not \"property [ASC|DESC]\"", clip(item))
		}
		if len(fields) == 2 {
			switch strings.ToUpper(fields[1]) {
			case "ASC", "A":
			case "DESC", "D":
				k.desc = true
			default:
				return nil, ows.InvalidParameter("sortBy", "sort order %q is neither ASC nor DESC", clip(fields[1]))
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// parseDescribeKVP reads a KVP DescribeFeatureType request.
func parseDescribeKVP(kvp ows.KVP, v version, vw *view) (describeRequest, error) {
	req := describeRequest{v: v}
	ns, err := parseNamespaces(kvp)
	if err != nil {
		return req, err
	}
	raw, _, err := firstOf(kvp, typeNameKeys(v)...)
	if err != nil {
		return req, err
	}
	var names []string
	if raw != "" {
		if names, err = parseTypeNames(raw, v); err != nil {
			return req, err
		}
	}
	format, err := single(kvp, "OUTPUTFORMAT")
	if err != nil {
		return req, err
	}
	return resolveDescribe(req, vw, ns, names, format)
}

// checkStoredQueryIDs checks the identifiers DescribeStoredQueries is
// asked about.
func checkStoredQueryIDs(ids []string) error {
	for _, id := range ids {
		if id != getFeatureByID {
			return ows.InvalidParameter("storedQuery_id", "unknown stored query %q; ListStoredQueries lists them", clip(id))
		}
	}
	return nil
}
