package wfs

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/store"
)

// flushEvery is how many features are written between two flushes to the
// network, so that a client sees the first features of a slow query early
// and the server's buffers stay small.
const flushEvery = 1000

// part is the slice of one query that a page covers.
type part struct {
	qu   *query
	q    store.Query
	take int
}

// page is a GetFeature answer, planned before anything is written.
type page struct {
	matched  int64
	returned int
	parts    []part
	next     string
	previous string
}

// serveGetFeature answers GetFeature and GetPropertyValue: it resolves the
// queries, counts what they match (numberMatched, and the page's share of
// each query), then streams the features.
func (h *Handler) serveGetFeature(c *call, vw *view, req *featureRequest) error {
	queries := make([]*query, 0, len(req.queries))
	for _, rq := range req.queries {
		qu, err := h.resolve(req, vw, rq)
		if err != nil {
			return err
		}
		queries = append(queries, qu)
	}
	ctx, cancel := h.requestContext(c.r)
	defer cancel()
	if req.byID {
		return h.serveByID(ctx, c, req, queries[0])
	}

	size := req.count
	if size < 0 || size > h.opts.MaxFeatures {
		size = h.opts.MaxFeatures
	}
	var p page
	counts := make([]int64, len(queries))
	for i, qu := range queries {
		if qu.none {
			continue
		}
		n, err := qu.t.Source.Count(ctx, qu.q)
		if err != nil {
			return fmt.Errorf("wfs: counting %s: %w", qu.t.Name, err)
		}
		counts[i] = n
		p.matched += n
	}
	if !req.hits {
		skip, left := int64(req.startIndex), int64(size)
		for i, qu := range queries {
			n := counts[i]
			if left == 0 {
				break
			}
			if skip >= n {
				skip -= n
				continue
			}
			take := min(left, n-skip)
			q := qu.q
			q.Offset, q.Limit = int(skip), int(take)
			p.parts = append(p.parts, part{qu: qu, q: q, take: int(take)})
			p.returned += int(take)
			skip, left = 0, left-take
		}
		if req.v == v200 {
			if int64(req.startIndex)+int64(p.returned) < p.matched && size > 0 {
				p.next = h.pageURL(c.r, req, req.startIndex+size, size)
			}
			if req.startIndex > 0 {
				p.previous = h.pageURL(c.r, req, max(0, req.startIndex-size), size)
			}
		}
	}
	return h.stream(ctx, c, req, queries, &p)
}

// stream writes the answer. Nothing reaches the client before the first
// buffer fills, so an error of the first features still becomes an
// exception; after that it aborts the connection (see ServeHTTP).
func (h *Handler) stream(ctx context.Context, c *call, req *featureRequest, queries []*query, p *page) error {
	hdr := c.w.Header()
	hdr.Set("Content-Type", req.media)
	hdr.Set("Cache-Control", "no-cache")
	out := bufio.NewWriterSize(&commitWriter{c: c}, 64<<10)
	enc := h.encoder(c.r, req, queries)
	b := enc.start(make([]byte, 0, 64<<10), p)
	written := 0
	for _, pt := range p.parts {
		n := 0
		for f, err := range pt.qu.t.Source.Features(ctx, pt.q) {
			if err != nil {
				return fmt.Errorf("wfs: reading %s: %w", pt.qu.t.Name, err)
			}
			if b, err = enc.feature(b, pt.qu, &f); err != nil {
				return err
			}
			if len(b) >= 32<<10 {
				if _, err := out.Write(b); err != nil {
					return fmt.Errorf("wfs: writing: %w", err)
				}
				b = b[:0]
			}
			n++
			written++
			if written%flushEvery == 0 && c.started {
				if err := out.Flush(); err != nil {
					return fmt.Errorf("wfs: writing: %w", err)
				}
			}
			if n == pt.take {
				break
			}
		}
		if n < pt.take {
			// The data changed between Count and the read: the document
			// announces more than it holds. Rare, and nothing can be done
			// once numberReturned is written.
			h.opts.Logger.LogAttrs(c.r.Context(), slog.LevelWarn, "wfs: fewer features than counted",
				slog.String("type", pt.qu.t.Name), slog.Int("counted", pt.take), slog.Int("read", n))
		}
	}
	b = enc.end(b)
	if _, err := out.Write(b); err != nil {
		return fmt.Errorf("wfs: writing: %w", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("wfs: writing: %w", err)
	}
	return nil
}

// commitWriter marks the call started when the first byte goes out.
type commitWriter struct{ c *call }

func (w *commitWriter) Write(p []byte) (int, error) {
	w.c.started = true
	return w.c.w.Write(p)
}

// serveByID answers the GetFeatureById stored query with the feature
// alone, not in a collection (09-025r2 clause 7.9.3.6), or 404.
func (h *Handler) serveByID(ctx context.Context, c *call, req *featureRequest, qu *query) error {
	id := req.queries[0].resourceIDs[0]
	if qu.none {
		return notFound(id)
	}
	q := qu.q
	q.Limit = 1
	var found *store.Feature
	for f, err := range qu.t.Source.Features(ctx, q) {
		if err != nil {
			return fmt.Errorf("wfs: reading %s: %w", qu.t.Name, err)
		}
		found = &f
		break
	}
	if found == nil {
		return notFound(id)
	}
	var b []byte
	var err error
	if req.format == fmtGeoJSON {
		if b, err = jsonFeature(b, qu, found); err != nil {
			return err
		}
	} else {
		gw := &gmlWriter{gml32: req.format == fmtGML32}
		b = append(b, xmlHeader...)
		root := ` xmlns:` + Prefix + `="` + Namespace + `" xmlns:gml="` + gmlNamespace(req.format) +
			`" xmlns:xsi="` + nsXSI + `" xsi:schemaLocation="`
		b, err = gw.feature(b, qu, found, root+string(appendXML(nil, Namespace+" "+h.describeURL(c.r, req, []*query{qu})))+`"`)
		if err != nil {
			return err
		}
		b = append(b, '\n')
	}
	c.w.Header().Set("Content-Type", req.media)
	c.w.Header().Set("Cache-Control", "no-cache")
	c.started = true
	_, err = c.w.Write(b)
	return err
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// encoder writes one kind of response document.
type encoder interface {
	start(b []byte, p *page) []byte
	feature(b []byte, qu *query, f *store.Feature) ([]byte, error)
	end(b []byte) []byte
}

func (h *Handler) encoder(r *http.Request, req *featureRequest, queries []*query) encoder {
	stamp := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	switch {
	case req.format == fmtGeoJSON:
		return &geoJSONEncoder{stamp: stamp, queries: queries}
	case req.valueReference != "":
		return &valueEncoder{gw: &gmlWriter{gml32: req.format == fmtGML32}, stamp: stamp, f: req.format}
	}
	return &gmlEncoder{gw: &gmlWriter{gml32: req.format == fmtGML32}, v: req.v, f: req.format, stamp: stamp,
		schemaLocation: h.describeURL(r, req, queries), hits: req.hits}
}

// gmlEncoder writes a wfs:FeatureCollection of WFS 2.0 or 1.1.
type gmlEncoder struct {
	gw             *gmlWriter
	v              version
	f              outputFormat
	stamp          string
	schemaLocation string
	hits           bool
}

func (e *gmlEncoder) start(b []byte, p *page) []byte {
	b = append(b, xmlHeader...)
	wfsNS, wfsSchema := nsWFS20, schemaWFS20
	if e.v == v110 {
		wfsNS, wfsSchema = nsWFS11, schemaWFS11
	}
	b = append(b, `<wfs:FeatureCollection xmlns:wfs="`+wfsNS+`" xmlns:gml="`...)
	b = append(b, gmlNamespace(e.f)...)
	b = append(b, `" xmlns:`+Prefix+`="`+Namespace+`" xmlns:xsi="`+nsXSI+`" xsi:schemaLocation="`+wfsNS+` `+wfsSchema+` `...)
	if e.v == v200 {
		b = append(b, gmlNamespace(e.f)...)
		b = append(b, ' ')
		b = append(b, gmlSchema(e.f)...)
		b = append(b, ' ')
	}
	b = append(b, Namespace+" "...)
	b = appendXML(b, e.schemaLocation)
	b = append(b, `" timeStamp="`...)
	b = append(b, e.stamp...)
	if e.v == v110 {
		// 1.1 has no numberMatched: a hits answer counts the matches, a
		// results answer what it holds.
		n := int64(p.returned)
		if e.hits {
			n = p.matched
		}
		b = append(b, `" numberOfFeatures="`...)
		b = strconv.AppendInt(b, n, 10)
		return append(b, "\">\n"...)
	}
	b = append(b, `" numberMatched="`...)
	b = strconv.AppendInt(b, p.matched, 10)
	b = append(b, `" numberReturned="`...)
	b = strconv.AppendInt(b, int64(p.returned), 10)
	if p.next != "" {
		b = append(b, `" next="`...)
		b = appendXML(b, p.next)
	}
	if p.previous != "" {
		b = append(b, `" previous="`...)
		b = appendXML(b, p.previous)
	}
	return append(b, "\">\n"...)
}

func (e *gmlEncoder) feature(b []byte, qu *query, f *store.Feature) ([]byte, error) {
	member, endMember := "<wfs:member>", "</wfs:member>\n"
	if e.v == v110 {
		member, endMember = "<gml:featureMember>", "</gml:featureMember>\n"
	}
	b = append(b, member...)
	b, err := e.gw.feature(b, qu, f, "")
	if err != nil {
		return b, err
	}
	return append(b, endMember...), nil
}

func (e *gmlEncoder) end(b []byte) []byte {
	return append(b, "</wfs:FeatureCollection>\n"...)
}

// valueEncoder writes the wfs:ValueCollection of GetPropertyValue.
type valueEncoder struct {
	gw    *gmlWriter
	f     outputFormat
	stamp string
}

func (e *valueEncoder) start(b []byte, p *page) []byte {
	b = append(b, xmlHeader...)
	b = append(b, `<wfs:ValueCollection xmlns:wfs="`+nsWFS20+`" xmlns:gml="`...)
	b = append(b, gmlNamespace(e.f)...)
	b = append(b, `" xmlns:`+Prefix+`="`+Namespace+`" xmlns:xsi="`+nsXSI+`" xsi:schemaLocation="`+nsWFS20+` `+schemaWFS20+` `...)
	b = append(b, gmlNamespace(e.f)...)
	b = append(b, ' ')
	b = append(b, gmlSchema(e.f)...)
	b = append(b, `" timeStamp="`...)
	b = append(b, e.stamp...)
	b = append(b, `" numberMatched="`...)
	b = strconv.AppendInt(b, p.matched, 10)
	b = append(b, `" numberReturned="`...)
	b = strconv.AppendInt(b, int64(p.returned), 10)
	if p.next != "" {
		b = append(b, `" next="`...)
		b = appendXML(b, p.next)
	}
	if p.previous != "" {
		b = append(b, `" previous="`...)
		b = appendXML(b, p.previous)
	}
	return append(b, "\">\n"...)
}

func (e *valueEncoder) feature(b []byte, qu *query, f *store.Feature) ([]byte, error) {
	if qu.valueGeom {
		if f.Geometry == nil || f.Geometry.Empty() {
			return b, nil
		}
		b = append(b, "<wfs:member>"...)
		id := e.gw.id[:0]
		id = append(id, qu.t.Name...)
		id = append(id, '.')
		id = strconv.AppendInt(id, f.ID, 10)
		id = append(id, '.')
		id = append(id, qu.t.layer.GeometryColumn...)
		e.gw.id = id
		b, err := e.gw.geometry(b, f.Geometry, id, &qu.out, true)
		if err != nil {
			return b, err
		}
		return append(b, "</wfs:member>\n"...), nil
	}
	c := qu.cols[0]
	if c.pos >= len(f.Properties) || f.Properties[c.pos] == nil {
		return b, nil
	}
	b = append(b, "<wfs:member>"...)
	b = appendXMLValue(b, f.Properties[c.pos], c.Kind)
	return append(b, "</wfs:member>\n"...), nil
}

func (e *valueEncoder) end(b []byte) []byte {
	return append(b, "</wfs:ValueCollection>\n"...)
}

// geoJSONEncoder writes a GeoJSON FeatureCollection with the WFS numbers
// and paging links as foreign members, which GDAL and OpenLayers read.
type geoJSONEncoder struct {
	stamp   string
	queries []*query
	n       int
}

func (e *geoJSONEncoder) start(b []byte, p *page) []byte {
	b = append(b, `{"type":"FeatureCollection","numberMatched":`...)
	b = strconv.AppendInt(b, p.matched, 10)
	b = append(b, `,"numberReturned":`...)
	b = strconv.AppendInt(b, int64(p.returned), 10)
	b = append(b, `,"timeStamp":"`...)
	b = append(b, e.stamp...)
	b = append(b, '"')
	if p.next != "" || p.previous != "" {
		b = append(b, `,"links":[`...)
		if p.next != "" {
			b = append(b, `{"rel":"next","type":"`+mediaGeoJSON+`","title":"next page","href":`...)
			b = appendJSONString(b, p.next)
			b = append(b, '}')
		}
		if p.previous != "" {
			if p.next != "" {
				b = append(b, ',')
			}
			b = append(b, `{"rel":"previous","type":"`+mediaGeoJSON+`","title":"previous page","href":`...)
			b = appendJSONString(b, p.previous)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	// RFC 7946 drops "crs": CRS84 is implied. Output in another CRS (asked
	// for with SRSNAME) is labelled the GeoJSON 2008 way, which GDAL and
	// QGIS still read, rather than left to be mistaken for longitudes.
	if len(e.queries) > 0 {
		if c := e.queries[0].out.crs; c.Authority != "" && !sameCoordinates(c, crs.CRS84) {
			b = append(b, `,"crs":{"type":"name","properties":{"name":`...)
			b = appendJSONString(b, c.URN())
			b = append(b, "}}"...)
		}
	}
	return append(b, `,"features":[`...)
}

func (e *geoJSONEncoder) feature(b []byte, qu *query, f *store.Feature) ([]byte, error) {
	if e.n > 0 {
		b = append(b, ",\n"...)
	} else {
		b = append(b, '\n')
	}
	e.n++
	return jsonFeature(b, qu, f)
}

func (e *geoJSONEncoder) end(b []byte) []byte {
	return append(b, "]}\n"...)
}

// pageURL is the GetFeature URL of another page of req. A KVP request
// keeps every parameter it had; an XML one is re-encoded as KVP, since
// next and previous are URLs a client follows with GET.
func (h *Handler) pageURL(r *http.Request, req *featureRequest, start, count int) string {
	countKey := strings.ToUpper(locCount(req.v))
	var q url.Values
	if req.kvp != nil {
		q = url.Values{}
		for k, vs := range req.kvp {
			switch strings.ToUpper(k) {
			case "STARTINDEX", "COUNT", "MAXFEATURES", "APIKEY":
				continue // APIKEY: redacted in the query; the real one is added below
			}
			q[k] = vs
		}
	} else {
		q = req.asKVP()
	}
	q.Set("STARTINDEX", strconv.Itoa(start))
	q.Set(countKey, strconv.Itoa(count))
	return ows.WithQuery(ows.BaseURL(r, h.opts.PublicURL)+"/wfs?"+q.Encode(), ows.KeyQuery(r.Context()))
}

// asKVP re-encodes an XML request as KVP parameters (without paging).
func (req *featureRequest) asKVP() url.Values {
	q := url.Values{}
	q.Set("SERVICE", "WFS")
	q.Set("VERSION", req.v.String())
	if req.valueReference != "" {
		q.Set("REQUEST", "GetPropertyValue")
		q.Set("VALUEREFERENCE", req.valueReference)
	} else {
		q.Set("REQUEST", "GetFeature")
	}
	q.Set("OUTPUTFORMAT", req.media)
	var names, filters, props, sorts []string
	anyFilter, anyProps, anySort := false, false, false
	for _, rq := range req.queries {
		local, _ := req.ns.local(rq.typeName)
		names = append(names, Prefix+":"+local)
		filters = append(filters, rq.filter)
		anyFilter = anyFilter || rq.filter != ""
		props = append(props, strings.Join(rq.propertyNames, ","))
		anyProps = anyProps || len(rq.propertyNames) > 0
		var keys []string
		for _, k := range rq.sortBy {
			order := " ASC"
			if k.desc {
				order = " DESC"
			}
			keys = append(keys, k.property+order)
		}
		sorts = append(sorts, strings.Join(keys, ","))
		anySort = anySort || len(keys) > 0
		if rq.srsName != "" {
			q.Set("SRSNAME", rq.srsName)
		}
		if len(rq.resourceIDs) > 0 {
			q.Set(strings.ToUpper(locResourceID(req.v)), strings.Join(rq.resourceIDs, ","))
		}
	}
	q.Set(strings.ToUpper(locTypeNames(req.v)), strings.Join(names, ","))
	group := func(items []string) string {
		if len(items) == 1 {
			return items[0]
		}
		return "(" + strings.Join(items, ")(") + ")"
	}
	if anyFilter {
		q.Set("FILTER", group(filters))
	}
	if anyProps {
		q.Set("PROPERTYNAME", group(props))
	}
	if anySort {
		q.Set("SORTBY", group(sorts))
	}
	return q
}

// describeURL is the DescribeFeatureType URL of the types of queries,
// for xsi:schemaLocation.
func (h *Handler) describeURL(r *http.Request, req *featureRequest, queries []*query) string {
	var names []string
	seen := map[string]bool{}
	for _, qu := range queries {
		if !seen[qu.t.Name] {
			seen[qu.t.Name] = true
			names = append(names, url.QueryEscape(Prefix+":"+qu.t.Name))
		}
	}
	u := ows.BaseURL(r, h.opts.PublicURL) + "/wfs?SERVICE=WFS&VERSION=" + req.v.String() +
		"&REQUEST=DescribeFeatureType&" + strings.ToUpper(locTypeNames(req.v)) + "=" + strings.Join(names, ",")
	if req.v == v200 && req.format == fmtGML311 {
		u += "&OUTPUTFORMAT=" + url.QueryEscape(mediaGML311)
	}
	return ows.WithQuery(u, ows.KeyQuery(r.Context()))
}
