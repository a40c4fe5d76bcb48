package wms

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/store"
)

// DefaultInfoBuffer is the pixel tolerance of GetFeatureInfo hit-testing
// when the request has no BUFFER: a click a few pixels off a thin line or
// a small mark still finds it, as in GeoServer.
const DefaultInfoBuffer = 3

// maxInfoBuffer bounds the BUFFER vendor parameter.
const maxInfoBuffer = 50

// infoLayer is a queried layer with what the encoders print about it.
type infoLayer struct {
	name, title string
	hits        []render.Hit
}

func (h *Handler) getFeatureInfo(w http.ResponseWriter, r *http.Request, kvp ows.KVP, version string) {
	c := h.catalog(r.Context())
	g, err := h.parseOptions().ParseGetFeatureInfo(kvp)
	if err != nil {
		if g.Map.Version != "" {
			version = g.Map.Version
		}
		h.writeException(w, r, ows.AsError(err), version)
		return
	}
	version = g.Map.Version
	tolerance := float64(DefaultInfoBuffer)
	if s := kvp.Get("BUFFER"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxInfoBuffer {
			h.writeException(w, r, ows.InvalidParameter("BUFFER", "BUFFER %q is not an integer from 0 to %d", s, maxInfoBuffer), version)
			return
		}
		tolerance = float64(n)
	}
	// Only the queried layers are hit-tested, each with the style the map
	// draws it with, in map order so that the topmost answers first.
	req := render.InfoRequest{
		Map:         render.Request{CRS: g.Map.CRS, BBox: g.Map.BBox, Width: g.Map.Width, Height: g.Map.Height},
		X:           g.I,
		Y:           g.J,
		Tolerance:   tolerance,
		MaxPerLayer: g.FeatureCount,
	}
	resolved, err := mapLayers(c, g.Map.Layers, g.Map.Styles)
	if err != nil {
		h.writeException(w, r, ows.AsError(err), version)
		return
	}
	var layers []infoLayer
	for _, rl := range resolved {
		if !slices.Contains(g.QueryLayers, rl.requested) {
			continue
		}
		req.Map.Layers = append(req.Map.Layers, rl.render)
		layers = append(layers, infoLayer{name: rl.name, title: titleOr(rl.layer.Title, rl.name)})
	}
	if h.o.Renderer == nil {
		h.writeException(w, r, ows.Internal(fmt.Errorf("wms: no renderer configured")), version)
		return
	}
	hits, err := h.o.Renderer.FeatureInfo(r.Context(), req)
	if err != nil {
		h.writeException(w, r, renderError(err), version)
		return
	}
	for _, hit := range hits {
		layers[hit.Layer].hits = append(layers[hit.Layer].hits, hit)
	}
	// Hits come topmost layer first; so does the answer.
	ordered := make([]infoLayer, 0, len(layers))
	for i := len(layers) - 1; i >= 0; i-- {
		ordered = append(ordered, layers[i])
	}
	var body []byte
	ct := string(g.InfoFormat)
	switch g.InfoFormat {
	case InfoHTML:
		body = infoHTML(ordered)
		ct = "text/html; charset=utf-8"
	case InfoJSON:
		body, err = infoJSON(ordered)
	case InfoGML:
		body = infoGML(ordered, g.Map.CRS)
	default:
		body = infoText(ordered)
		ct = "text/plain; charset=utf-8"
	}
	if err != nil {
		h.writeException(w, r, ows.Internal(err), version)
		return
	}
	write(w, r, http.StatusOK, ct, body)
}

// infoValue formats a property value for the text, HTML and GML answers.
func infoValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339)
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	}
	return fmt.Sprint(v)
}

// bandName names a raster band in answers: GRAY_INDEX for a single band,
// as GeoServer does, else band_1, band_2...
func bandName(i, n int) string {
	if n == 1 {
		return "GRAY_INDEX"
	}
	return "band_" + strconv.Itoa(i+1)
}

// fields lists the name/value pairs printed for a hit: the id then the
// attributes, or the band values of a raster.
func fields(hit render.Hit) [][2]string {
	if hit.Info == nil {
		out := make([][2]string, len(hit.Bands))
		for i, v := range hit.Bands {
			out[i] = [2]string{bandName(i, len(hit.Bands)), strconv.FormatFloat(v, 'g', -1, 64)}
		}
		return out
	}
	out := [][2]string{{hit.Info.IDColumn, strconv.FormatInt(hit.Feature.ID, 10)}}
	for i, f := range hit.Info.Fields {
		var v any
		if i < len(hit.Feature.Properties) {
			v = hit.Feature.Properties[i]
		}
		out = append(out, [2]string{f.Name, infoValue(v)})
	}
	return out
}

func infoText(layers []infoLayer) []byte {
	var b bytes.Buffer
	found := false
	for _, l := range layers {
		if len(l.hits) == 0 {
			continue
		}
		found = true
		fmt.Fprintf(&b, "Results for layer '%s':\n", l.name)
		for _, hit := range l.hits {
			b.WriteString("--------------------------------------------\n")
			for _, kv := range fields(hit) {
				fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
			}
		}
		b.WriteString("--------------------------------------------\n")
	}
	if !found {
		b.WriteString("no features were found\n")
	}
	return b.Bytes()
}

func infoHTML(layers []infoLayer) []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>GetFeatureInfo</title>\n" +
		"<style>table{border-collapse:collapse;margin-bottom:1em}th,td{border:1px solid #bbb;padding:2px 6px;font:12px sans-serif}caption{font:bold 13px sans-serif;text-align:left}</style>\n" +
		"</head><body>\n")
	found := false
	for _, l := range layers {
		if len(l.hits) == 0 {
			continue
		}
		found = true
		fmt.Fprintf(&b, "<table class=\"featureInfo\" data-layer=\"%s\">\n<caption>%s</caption>\n", html.EscapeString(l.name), html.EscapeString(l.title))
		for i, hit := range l.hits {
			kv := fields(hit)
			if i == 0 {
				b.WriteString("<tr>")
				for _, p := range kv {
					fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(p[0]))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("<tr>")
			for _, p := range kv {
				fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(p[1]))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	if !found {
		b.WriteString("<p>No features were found.</p>\n")
	}
	b.WriteString("</body></html>\n")
	return b.Bytes()
}

// jsonValue keeps numbers and booleans typed in GeoJSON properties.
func jsonValue(v any) any {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	case nil, string, int64, bool:
		return v
	}
	return infoValue(v)
}

// jsonFeature is one GeoJSON feature of a GetFeatureInfo answer.
type jsonFeature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Layer      string         `json:"layer"`
	Geometry   any            `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// infoJSON answers a GeoJSON FeatureCollection (RFC 7946: geometries in
// WGS84 longitude/latitude), each feature with its layer's name and an id
// of the form layer.fid, as GeoServer writes them.
func infoJSON(layers []infoLayer) ([]byte, error) {
	features := []jsonFeature{}
	trs := map[crs.CRS]*crs.Transformer{}
	for _, l := range layers {
		for _, hit := range l.hits {
			f := jsonFeature{Type: "Feature", ID: l.name, Layer: l.name, Properties: map[string]any{}}
			if hit.Info != nil {
				f.ID = l.name + "." + strconv.FormatInt(hit.Feature.ID, 10)
				for i, fd := range hit.Info.Fields {
					if i < len(hit.Feature.Properties) {
						f.Properties[fd.Name] = jsonValue(hit.Feature.Properties[i])
					}
				}
				g, err := lonLat(hit.Info, hit.Feature, trs)
				if err != nil {
					return nil, err
				}
				f.Geometry = geoJSONGeometry(g)
			} else {
				for i, v := range hit.Bands {
					f.Properties[bandName(i, len(hit.Bands))] = jsonValue(v)
				}
			}
			features = append(features, f)
		}
	}
	return json.Marshal(map[string]any{"type": "FeatureCollection", "features": features, "numberReturned": len(features)})
}

// geoJSONGeometry returns g as a GeoJSON geometry object; nil (JSON null)
// for no geometry.
func geoJSONGeometry(g orb.Geometry) any {
	ring := func(ps []orb.Point) [][2]float64 {
		out := make([][2]float64, len(ps))
		for i, p := range ps {
			out[i] = [2]float64(p)
		}
		return out
	}
	poly := func(p orb.Polygon) [][][2]float64 {
		out := make([][][2]float64, len(p))
		for i, r := range p {
			out[i] = ring(r)
		}
		return out
	}
	obj := func(t string, c any) map[string]any { return map[string]any{"type": t, "coordinates": c} }
	switch g := g.(type) {
	case orb.Point:
		return obj("Point", [2]float64(g))
	case orb.MultiPoint:
		return obj("MultiPoint", ring(g))
	case orb.LineString:
		return obj("LineString", ring(g))
	case orb.MultiLineString:
		out := make([][][2]float64, len(g))
		for i, l := range g {
			out[i] = ring(l)
		}
		return obj("MultiLineString", out)
	case orb.Polygon:
		return obj("Polygon", poly(g))
	case orb.MultiPolygon:
		out := make([][][][2]float64, len(g))
		for i, p := range g {
			out[i] = poly(p)
		}
		return obj("MultiPolygon", out)
	case orb.Collection:
		out := make([]any, 0, len(g))
		for _, m := range g {
			out = append(out, geoJSONGeometry(m))
		}
		return map[string]any{"type": "GeometryCollection", "geometries": out}
	}
	return nil
}

// lonLat returns a stored feature's geometry in WGS84 longitude/latitude.
func lonLat(info *store.Layer, f store.Feature, trs map[crs.CRS]*crs.Transformer) (orb.Geometry, error) {
	g := store.ToOrb(f.Geometry)
	if g == nil || info.CRS == crs.WGS84 || info.CRS == crs.CRS84 {
		return g, nil
	}
	t, ok := trs[info.CRS]
	if !ok {
		var err error
		if t, err = crs.NewTransformer(info.CRS, crs.WGS84); err != nil {
			return nil, err
		}
		trs[info.CRS] = t
	}
	var failed error
	g = orb.Clone(g)
	transformPoints(g, func(p orb.Point) orb.Point {
		x, y, err := t.Point(p[0], p[1])
		if err != nil {
			failed = err
			return p
		}
		return orb.Point{x, y}
	})
	return g, failed
}

// transformPoints applies fn to every vertex of g in place.
func transformPoints(g orb.Geometry, fn func(orb.Point) orb.Point) {
	each := func(ps []orb.Point) {
		for i, p := range ps {
			ps[i] = fn(p)
		}
	}
	switch g := g.(type) {
	case orb.MultiPoint:
		each(g)
	case orb.LineString:
		each(g)
	case orb.Ring:
		each(g)
	case orb.MultiLineString:
		for _, l := range g {
			each(l)
		}
	case orb.Polygon:
		for _, r := range g {
			each(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				each(r)
			}
		}
	case orb.Collection:
		for i, m := range g {
			if p, ok := m.(orb.Point); ok {
				g[i] = fn(p)
				continue
			}
			transformPoints(m, fn)
		}
	}
}

// xmlName turns a layer or field name into an XML element name: letters,
// digits, '_', '-' and '.' are kept, anything else becomes '_', and a
// name that cannot start an element is prefixed with '_'.
func xmlName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := unicode.IsLetter(r) || r == '_' || (i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'))
		if !ok && i == 0 && (unicode.IsDigit(r) || r == '-' || r == '.') {
			b.WriteByte('_')
			ok = true
		}
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" || strings.HasPrefix(strings.ToLower(out), "xml") {
		out = "_" + out
	}
	return out
}

// infoGML answers application/vnd.ogc.gml in the layout MapServer uses
// (msGMLOutput: a <layer>_layer element per layer holding
// <layer>_feature elements), which QGIS and OWSLib read; each feature's
// gml:boundedBy is in the request CRS, easting/northing.
func infoGML(layers []infoLayer, reqCRS crs.CRS) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<msGMLOutput xmlns:gml="http://www.opengis.net/gml" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` + "\n")
	var trs map[crs.CRS]*crs.Transformer
	for _, l := range layers {
		n := xmlName(l.name)
		b.WriteString(" <" + n + "_layer>\n  <gml:name>")
		escape(&b, l.title)
		b.WriteString("</gml:name>\n")
		for _, hit := range l.hits {
			b.WriteString("  <" + n + "_feature>\n")
			if hit.Info != nil && hit.Feature.Geometry != nil {
				if trs == nil {
					trs = map[crs.CRS]*crs.Transformer{}
				}
				if box, ok := boundsIn(hit.Info, hit.Feature, reqCRS, trs); ok {
					fmt.Fprintf(&b, "   <gml:boundedBy><gml:Box srsName=\"%s\"><gml:coordinates>%s,%s %s,%s</gml:coordinates></gml:Box></gml:boundedBy>\n",
						reqCRS.String(), num(box.MinX), num(box.MinY), num(box.MaxX), num(box.MaxY))
				}
			}
			for _, kv := range fields(hit) {
				fn := xmlName(kv[0])
				b.WriteString("   <" + fn + ">")
				escape(&b, kv[1])
				b.WriteString("</" + fn + ">\n")
			}
			b.WriteString("  </" + n + "_feature>\n")
		}
		b.WriteString(" </" + n + "_layer>\n")
	}
	b.WriteString("</msGMLOutput>\n")
	return b.Bytes()
}

// boundsIn returns the envelope of a feature in the request CRS.
func boundsIn(info *store.Layer, f store.Feature, to crs.CRS, trs map[crs.CRS]*crs.Transformer) (crs.Bounds, bool) {
	g := store.ToOrb(f.Geometry)
	if g == nil {
		return crs.Bounds{}, false
	}
	ob := g.Bound()
	b := crs.Bounds{MinX: ob.Min[0], MinY: ob.Min[1], MaxX: ob.Max[0], MaxY: ob.Max[1]}
	if info.CRS == to {
		return b, true
	}
	t, ok := trs[info.CRS]
	if !ok {
		var err error
		if t, err = crs.NewTransformer(info.CRS, to); err != nil {
			return crs.Bounds{}, false
		}
		trs[info.CRS] = t
	}
	if b.Empty() {
		// A point (or a flat line): Bounds needs an area to sample.
		x0, y0, err0 := t.Point(b.MinX, b.MinY)
		x1, y1, err1 := t.Point(b.MaxX, b.MaxY)
		if err0 != nil || err1 != nil {
			return crs.Bounds{}, false
		}
		return crs.Bounds{MinX: min(x0, x1), MinY: min(y0, y1), MaxX: max(x0, x1), MaxY: max(y0, y1)}, true
	}
	out, err := t.Bounds(b)
	return out, err == nil && !out.Empty()
}
