package wfs

import (
	"fmt"
	"strconv"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/store"
)

// GML namespaces and schemas.
const (
	nsGML32      = "http://www.opengis.net/gml/3.2"
	nsGML311     = "http://www.opengis.net/gml"
	schemaGML32  = "http://schemas.opengis.net/gml/3.2.1/gml.xsd"
	schemaGML311 = "http://schemas.opengis.net/gml/3.1.1/base/gml.xsd"
	nsWFS20      = "http://www.opengis.net/wfs/2.0"
	nsWFS11      = "http://www.opengis.net/wfs"
	schemaWFS20  = "http://schemas.opengis.net/wfs/2.0/wfs.xsd"
	schemaWFS11  = "http://schemas.opengis.net/wfs/1.1.0/wfs.xsd"
	nsXSI        = "http://www.w3.org/2001/XMLSchema-instance"
)

func gmlNamespace(f outputFormat) string {
	if f == fmtGML311 {
		return nsGML311
	}
	return nsGML32
}

func gmlSchema(f outputFormat) string {
	if f == fmtGML311 {
		return schemaGML311
	}
	return schemaGML32
}

// gmlWriter appends features and geometries as GML 3.2 or 3.1.1. GML 3.2
// requires a gml:id on every geometry, nested ones included; they are
// derived from the feature's, so they are unique in the document.
type gmlWriter struct {
	gml32 bool
	// id is scratch space for identifiers, reused from feature to feature.
	id []byte
}

// feature appends one feature element: its attributes (NULLs are left
// out: every property is minOccurs="0"), then its geometry. rootAttrs
// holds namespace declarations when the feature is the document root.
func (gw *gmlWriter) feature(b []byte, qu *query, f *store.Feature, rootAttrs string) ([]byte, error) {
	name := qu.t.Name
	// Type names are NCNames and ids numbers: nothing to escape.
	gw.id = append(gw.id[:0], name...)
	gw.id = append(gw.id, '.')
	gw.id = strconv.AppendInt(gw.id, f.ID, 10)
	b = append(b, "<"+Prefix+":"...)
	b = append(b, name...)
	b = append(b, rootAttrs...)
	b = append(b, ` gml:id="`...)
	b = append(b, gw.id...)
	b = append(b, `">`...)
	for _, c := range qu.cols {
		if c.pos >= len(f.Properties) || f.Properties[c.pos] == nil {
			continue
		}
		b = append(b, "<"+Prefix+":"...)
		b = append(b, c.Name...)
		b = append(b, '>')
		b = appendXMLValue(b, f.Properties[c.pos], c.Kind)
		b = append(b, "</"+Prefix+":"...)
		b = append(b, c.Name...)
		b = append(b, '>')
	}
	if qu.geometry && f.Geometry != nil && !f.Geometry.Empty() {
		col := qu.t.layer.GeometryColumn
		b = append(b, "<"+Prefix+":"...)
		b = append(b, col...)
		b = append(b, '>')
		featureID := len(gw.id)
		gw.id = append(gw.id, '.')
		gw.id = append(gw.id, col...)
		var err error
		if b, err = gw.geometry(b, f.Geometry, gw.id, &qu.out, true); err != nil {
			return b, fmt.Errorf("feature %s: %w", gw.id[:featureID], err)
		}
		b = append(b, "</"+Prefix+":"...)
		b = append(b, col...)
		b = append(b, '>')
	}
	b = append(b, "</"+Prefix+":"...)
	b = append(b, name...)
	return append(b, '>'), nil
}

// geometry appends g. The top geometry carries srsName (and srsDimension
// for 3D); every position list carries srsDimension too, which is where
// GDAL looks for it.
func (gw *gmlWriter) geometry(b []byte, g geom.T, id []byte, o *outCRS, top bool) ([]byte, error) {
	dim := 2
	if g.Layout().ZIndex() >= 0 {
		dim = 3
	}
	open := func(b []byte, elem string) []byte {
		b = append(b, "<gml:"...)
		b = append(b, elem...)
		if gw.gml32 {
			b = append(b, ` gml:id="`...)
			b = append(b, id...)
			b = append(b, '"')
		}
		if top {
			b = append(b, ` srsName="`...)
			b = appendXML(b, o.label)
			b = append(b, '"')
			if dim == 3 {
				b = append(b, ` srsDimension="3"`...)
			}
		}
		return append(b, '>')
	}
	closeTag := func(b []byte, elem string) []byte {
		b = append(b, "</gml:"...)
		b = append(b, elem...)
		return append(b, '>')
	}
	var err error
	switch g := g.(type) {
	case *geom.Point:
		b = open(b, "Point")
		if b, err = gw.positions(b, "pos", g.FlatCoords(), g.Stride(), dim, o); err != nil {
			return b, err
		}
		return closeTag(b, "Point"), nil
	case *geom.LineString:
		b = open(b, "LineString")
		if b, err = gw.positions(b, "posList", g.FlatCoords(), g.Stride(), dim, o); err != nil {
			return b, err
		}
		return closeTag(b, "LineString"), nil
	case *geom.LinearRing:
		b = open(b, "LineString")
		if b, err = gw.positions(b, "posList", g.FlatCoords(), g.Stride(), dim, o); err != nil {
			return b, err
		}
		return closeTag(b, "LineString"), nil
	case *geom.Polygon:
		b = open(b, "Polygon")
		if b, err = gw.rings(b, g.FlatCoords(), 0, g.Ends(), g.Stride(), dim, o); err != nil {
			return b, err
		}
		return closeTag(b, "Polygon"), nil
	case *geom.MultiPoint:
		b = open(b, "MultiPoint")
		for i := 0; i < g.NumPoints(); i++ {
			p := g.Point(i)
			if p.Empty() {
				continue
			}
			b = append(b, "<gml:pointMember>"...)
			if b, err = gw.geometry(b, p, memberID(id, i), o, false); err != nil {
				return b, err
			}
			b = append(b, "</gml:pointMember>"...)
		}
		return closeTag(b, "MultiPoint"), nil
	case *geom.MultiLineString:
		b = open(b, "MultiCurve")
		for i := 0; i < g.NumLineStrings(); i++ {
			l := g.LineString(i)
			if l.Empty() {
				continue
			}
			b = append(b, "<gml:curveMember>"...)
			if b, err = gw.geometry(b, l, memberID(id, i), o, false); err != nil {
				return b, err
			}
			b = append(b, "</gml:curveMember>"...)
		}
		return closeTag(b, "MultiCurve"), nil
	case *geom.MultiPolygon:
		b = open(b, "MultiSurface")
		for i := 0; i < g.NumPolygons(); i++ {
			p := g.Polygon(i)
			if p.Empty() {
				continue
			}
			b = append(b, "<gml:surfaceMember>"...)
			if b, err = gw.geometry(b, p, memberID(id, i), o, false); err != nil {
				return b, err
			}
			b = append(b, "</gml:surfaceMember>"...)
		}
		return closeTag(b, "MultiSurface"), nil
	case *geom.GeometryCollection:
		b = open(b, "MultiGeometry")
		for i, m := range g.Geoms() {
			if m == nil || m.Empty() {
				continue
			}
			b = append(b, "<gml:geometryMember>"...)
			if b, err = gw.geometry(b, m, memberID(id, i), o, false); err != nil {
				return b, err
			}
			b = append(b, "</gml:geometryMember>"...)
		}
		return closeTag(b, "MultiGeometry"), nil
	}
	return b, fmt.Errorf("geometry type %T cannot be written in GML", g)
}

// memberID is the gml:id of member i of a geometry whose id is id, in new
// memory: id may be scratch space the caller reuses.
func memberID(id []byte, i int) []byte {
	out := make([]byte, 0, len(id)+4)
	out = append(append(out, id...), '.')
	return strconv.AppendInt(out, int64(i), 10)
}

// rings appends the exterior and interior rings of a polygon.
func (gw *gmlWriter) rings(b []byte, flat []float64, start int, ends []int, stride, dim int, o *outCRS) ([]byte, error) {
	var err error
	for i, end := range ends {
		wrap := "interior"
		if i == 0 {
			wrap = "exterior"
		}
		b = append(b, "<gml:"+wrap+"><gml:LinearRing>"...)
		if b, err = gw.positions(b, "posList", flat[start:end], stride, dim, o); err != nil {
			return b, err
		}
		b = append(b, "</gml:LinearRing></gml:"+wrap+">"...)
		start = end
	}
	return b, nil
}

// positions appends a gml:pos or gml:posList element.
func (gw *gmlWriter) positions(b []byte, elem string, flat []float64, stride, dim int, o *outCRS) ([]byte, error) {
	b = append(b, "<gml:"...)
	b = append(b, elem...)
	if dim == 3 {
		b = append(b, ` srsDimension="3"`...)
	}
	b = append(b, '>')
	var err error
	if b, err = appendCoords(b, flat, stride, dim, o, ' ', ' '); err != nil {
		return b, err
	}
	b = append(b, "</gml:"...)
	b = append(b, elem...)
	return append(b, '>'), nil
}

// appendCoords appends the positions of flat (stride values each),
// transformed and ordered as o says, with dim values per position: Z is
// kept, M dropped (neither GML nor GeoJSON has a place for it). sep
// separates the values of a position, psep the positions.
func appendCoords(b []byte, flat []float64, stride, dim int, o *outCRS, sep, psep byte) ([]byte, error) {
	for i := 0; i+1 < len(flat); i += stride {
		x, y := flat[i], flat[i+1]
		if o.tr != nil {
			var err error
			if x, y, err = o.tr.Point(x, y); err != nil {
				return b, err
			}
		}
		if o.northFirst {
			x, y = y, x
		}
		if i > 0 {
			b = append(b, psep)
		}
		b = appendFloat(b, x)
		b = append(b, sep)
		b = appendFloat(b, y)
		if dim == 3 && stride > 2 {
			b = append(b, sep)
			b = appendFloat(b, flat[i+2])
		}
	}
	return b, nil
}
