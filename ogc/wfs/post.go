package wfs

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tuiles/tuiles/ogc/ows"
)

// servePOST answers the XML encoding: the root element names the
// operation, its namespace the version family (wfs/2.0 or wfs for 1.1).
func (h *Handler) servePOST(c *call) error {
	root, err := parseXML(http.MaxBytesReader(c.w, c.r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &ows.Error{Code: codeOperationParsingFailed, Status: http.StatusRequestEntityTooLarge,
				Message: "the request body is larger than the server accepts", Err: err}
		}
		return &ows.Error{Code: codeOperationParsingFailed, Status: http.StatusBadRequest,
			Message: "the request body is not an acceptable XML document: " + clip(errText(err)), Err: err}
	}
	switch root.space {
	case nsWFS20:
		c.v = v200
	case nsWFS11:
		c.v = v110
	default:
		return &ows.Error{Code: codeOperationParsingFailed, Locator: clip(root.local), Status: http.StatusBadRequest,
			Message: "the root element is not in a WFS namespace (" + nsWFS20 + " or " + nsWFS11 + ")"}
	}
	if s, ok := root.attr("service"); !ok || strings.TrimSpace(s) == "" {
		return ows.MissingParameter("service")
	} else if !strings.EqualFold(strings.TrimSpace(s), "WFS") {
		return ows.InvalidParameter("service", "service must be WFS, not %q", clip(s))
	}
	op, ok := operationNamed(root.local)
	if !ok {
		return ows.OperationNotSupported(clip(root.local))
	}
	if op == opGetCapabilities {
		return h.postCapabilities(c, root)
	}
	// The version attribute is required, and must agree with the
	// namespace: a 2.0 element cannot be a 1.1 request.
	raw, _ := root.attr("version")
	if raw == "" {
		return ows.MissingParameter("version")
	}
	if v, ok := parseVersion(raw); !ok || v != c.v {
		return ows.InvalidParameter("version", "version %q does not match the namespace %s", clip(raw), root.space)
	}
	if !op.offeredIn(c.v) {
		return &ows.Error{Code: ows.CodeOperationNotSupported, Locator: root.local, Status: http.StatusNotImplemented,
			Message: "operation " + root.local + " does not exist in WFS " + c.v.String()}
	}
	vw := h.view(c.r.Context())
	switch op {
	case opDescribeFeatureType:
		var names []string
		for _, tn := range root.children(root.space, "TypeName") {
			names = append(names, qualify(tn, tn.text()))
		}
		format, _ := root.attr("outputFormat")
		req, err := resolveDescribe(describeRequest{v: c.v}, vw, nil, names, format)
		if err != nil {
			return err
		}
		return h.serveDescribe(c, req)
	case opGetFeature, opGetPropertyValue:
		req, err := h.parseGetFeatureXML(root, c.v, vw, op == opGetPropertyValue)
		if err != nil {
			return err
		}
		return h.serveGetFeature(c, vw, req)
	case opListStoredQueries:
		return h.serveListStoredQueries(c, vw)
	case opDescribeStoredQueries:
		var ids []string
		for _, id := range root.children(nsWFS20, "StoredQueryId") {
			ids = append(ids, id.text())
		}
		if err := checkStoredQueryIDs(ids); err != nil {
			return err
		}
		return h.serveDescribeStoredQueries(c, vw)
	}
	return ows.OperationNotSupported(clip(root.local))
}

// qualify rewrites a QName written in the scope of n in Clark notation
// ({uri}local), so that it can be resolved away from that scope; a name
// with an undeclared prefix or none is kept as written.
func qualify(n *xnode, qname string) string {
	qname = strings.TrimSpace(qname)
	prefix, local, found := strings.Cut(qname, ":")
	if !found {
		return qname
	}
	if uri, ok := n.lookup(prefix); ok && uri != "" {
		return "{" + uri + "}" + local
	}
	return qname
}

// postCapabilities answers an XML GetCapabilities, negotiating the version
// from ows:AcceptVersions, as the KVP form does.
func (h *Handler) postCapabilities(c *call, root *xnode) error {
	s := allSections()
	for _, av := range root.children("*", "AcceptVersions") {
		var list []string
		for _, v := range av.children("*", "Version") {
			list = append(list, v.text())
		}
		v, err := negotiate(list)
		if err != nil {
			return err
		}
		c.v = v
	}
	for _, sec := range root.children("*", "Sections") {
		var list []string
		for _, n := range sec.children("*", "Section") {
			list = append(list, n.text())
		}
		var err error
		if s, err = parseSections(strings.Join(list, ",")); err != nil {
			return err
		}
	}
	return h.serveCapabilities(c, s)
}

// parseGetFeatureXML reads wfs:GetFeature or wfs:GetPropertyValue in the
// 2.0 (09-025r2 clause 11.2.2) or 1.1 (04-094 clause 9.2) encoding.
func (h *Handler) parseGetFeatureXML(root *xnode, v version, vw *view, propertyValue bool) (*featureRequest, error) {
	req := &featureRequest{v: v, count: -1}
	var err error
	format, _ := root.attr("outputFormat")
	if req.format, req.media, err = parseFormat(format, v, "outputFormat"); err != nil {
		return nil, err
	}
	countAttr := "count"
	if v == v110 {
		countAttr = "maxFeatures"
	}
	if s, ok := root.attr(countAttr); ok {
		if req.count, err = nonNegative(s, countAttr); err != nil {
			return nil, err
		}
	}
	if s, ok := root.attr("startIndex"); ok {
		if req.startIndex, err = nonNegative(s, "startIndex"); err != nil {
			return nil, err
		}
	}
	rt, _ := root.attr("resultType")
	if req.hits, err = parseResultType(rt); err != nil {
		return nil, err
	}
	if s, ok := root.attr("resolve"); ok && s != "none" {
		return nil, notSupported("resolve", "resolving references is not implemented: features have no references")
	}
	if propertyValue {
		req.valueReference, _ = root.attr("valueReference")
		if strings.TrimSpace(req.valueReference) == "" {
			return nil, ows.MissingParameter("valueReference")
		}
		if req.format == fmtGeoJSON {
			return nil, ows.InvalidParameter("outputFormat", "GetPropertyValue answers in XML only")
		}
	}

	stored := root.children(root.space, "StoredQuery")
	queries := root.children(root.space, "Query")
	switch {
	case len(stored) > 0 && (len(stored) > 1 || len(queries) > 0):
		return nil, notSupported("StoredQuery", "a GetFeature with a stored query must hold nothing else")
	case len(stored) == 1:
		sq := stored[0]
		id, _ := sq.attr("id")
		if err := checkStoredQuery(strings.TrimSpace(id), v, propertyValue); err != nil {
			return nil, err
		}
		fid := ""
		for _, p := range sq.children(root.space, "Parameter") {
			if name, _ := p.attr("name"); strings.EqualFold(name, "ID") {
				fid = p.text()
			}
		}
		if fid == "" {
			return nil, ows.MissingParameter("ID")
		}
		return h.byIDRequest(req, vw, fid, "")
	case len(queries) == 0:
		return nil, ows.MissingParameter(locTypeNames(v))
	case propertyValue && len(queries) > 1:
		return nil, notSupported("Query", "GetPropertyValue takes one query")
	}
	for _, qn := range queries {
		rq, err := parseQueryXML(qn, v)
		if err != nil {
			return nil, err
		}
		req.queries = append(req.queries, rq)
	}
	return req, nil
}

// parseQueryXML reads one wfs:Query. Its typeNames list has one name per
// query; several are a join, which is not implemented.
func parseQueryXML(qn *xnode, v version) (rawQuery, error) {
	// Clients confuse the spellings of the two versions; both are read.
	attr, other := "typeNames", "typeName"
	if v == v110 {
		attr, other = other, attr
	}
	tn, ok := qn.attr(attr)
	if !ok {
		tn, _ = qn.attr(other)
	}
	names := strings.Fields(tn)
	switch {
	case len(names) == 0:
		return rawQuery{}, ows.MissingParameter(locTypeNames(v))
	case len(names) > 1:
		return rawQuery{}, notSupported(locTypeNames(v), "joins (several types in one query) are not implemented")
	}
	rq := rawQuery{typeName: qualify(qn, names[0])}
	rq.srsName, _ = qn.attr("srsName")
	filterNS, sortNS := nsFES20, nsFES20
	if v == v110 {
		filterNS, sortNS = nsOGC, nsOGC
	}
	for _, k := range qn.children("*", "") {
		switch {
		case k.local == "PropertyName" && (k.space == qn.space || k.space == nsOGC):
			rq.propertyNames = append(rq.propertyNames, k.text())
		case k.local == "Filter" && k.space == filterNS:
			if rq.filter != "" {
				return rawQuery{}, ows.InvalidParameter("filter", "a query holds one filter")
			}
			rq.filter = string(k.serialize())
		case k.local == "SortBy" && k.space == sortNS:
			for _, sp := range k.children(sortNS, "SortProperty") {
				var key sortKey
				for _, e := range sp.children(sortNS, "") {
					switch e.local {
					case "ValueReference", "PropertyName":
						key.property = e.text()
					case "SortOrder":
						switch strings.ToUpper(e.text()) {
						case "ASC":
						case "DESC":
							key.desc = true
						default:
							return rawQuery{}, ows.InvalidParameter("sortBy", "sort order %q is neither ASC nor DESC", clip(e.text()))
						}
					}
				}
				if key.property == "" {
					return rawQuery{}, ows.MissingParameter("sortBy")
				}
				rq.sortBy = append(rq.sortBy, key)
			}
		case k.local == "Filter" || k.local == "SortBy":
			return rawQuery{}, filterParseError(v, strings.ToLower(k.local), errors.New(k.local+" must be in namespace "+filterNS))
		}
	}
	return rq, nil
}
