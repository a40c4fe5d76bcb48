package wfs

import (
	"fmt"
	"strconv"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/store"
)

// jsonFeature appends one GeoJSON Feature. Its id is the gml:id of the
// GML encodings ("countries.12"), so that a client can mix formats; NULL
// attributes are written as null, since JSON, unlike a schema-typed XML
// document, keeps them cheaply.
func jsonFeature(b []byte, qu *query, f *store.Feature) ([]byte, error) {
	// Type names are NCNames: nothing in them needs escaping in JSON.
	b = append(b, `{"type":"Feature","id":"`...)
	b = append(b, qu.t.Name...)
	b = append(b, '.')
	b = strconv.AppendInt(b, f.ID, 10)
	b = append(b, '"')
	b = append(b, `,"geometry":`...)
	if qu.geometry && f.Geometry != nil && !f.Geometry.Empty() {
		var err error
		if b, err = jsonGeometry(b, f.Geometry, &qu.out); err != nil {
			return b, fmt.Errorf("feature %s.%d: %w", qu.t.Name, f.ID, err)
		}
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"properties":{`...)
	for i, c := range qu.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		var v any
		if c.pos < len(f.Properties) {
			v = f.Properties[c.pos]
		}
		b = appendJSONValue(b, v, c.Kind)
	}
	return append(b, "}}"...), nil
}

// jsonGeometry appends g as a GeoJSON geometry, easting first, with Z
// when the geometry has it.
func jsonGeometry(b []byte, g geom.T, o *outCRS) ([]byte, error) {
	dim := 2
	if g.Layout().ZIndex() >= 0 {
		dim = 3
	}
	stride := g.Stride()
	var err error
	switch g := g.(type) {
	case *geom.Point:
		b = append(b, `{"type":"Point","coordinates":[`...)
		if b, err = appendCoords(b, g.FlatCoords(), stride, dim, o, ',', 0); err != nil {
			return b, err
		}
		return append(b, "]}"...), nil
	case *geom.LineString, *geom.LinearRing:
		b = append(b, `{"type":"LineString","coordinates":`...)
		if b, err = jsonPositions(b, g.FlatCoords(), stride, dim, o); err != nil {
			return b, err
		}
		return append(b, '}'), nil
	case *geom.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		if b, err = jsonRings(b, g.FlatCoords(), 0, g.Ends(), stride, dim, o); err != nil {
			return b, err
		}
		return append(b, '}'), nil
	case *geom.MultiPoint:
		b = append(b, `{"type":"MultiPoint","coordinates":[`...)
		n := 0
		for i := 0; i < g.NumPoints(); i++ {
			p := g.Point(i)
			if p.Empty() {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, '[')
			if b, err = appendCoords(b, p.FlatCoords(), stride, dim, o, ',', 0); err != nil {
				return b, err
			}
			b = append(b, ']')
		}
		return append(b, "]}"...), nil
	case *geom.MultiLineString:
		b = append(b, `{"type":"MultiLineString","coordinates":[`...)
		start := 0
		for i, end := range g.Ends() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = jsonPositions(b, g.FlatCoords()[start:end], stride, dim, o); err != nil {
				return b, err
			}
			start = end
		}
		return append(b, "]}"...), nil
	case *geom.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		start := 0
		for i, ends := range g.Endss() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = jsonRings(b, g.FlatCoords(), start, ends, stride, dim, o); err != nil {
				return b, err
			}
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
		return append(b, "]}"...), nil
	case *geom.GeometryCollection:
		b = append(b, `{"type":"GeometryCollection","geometries":[`...)
		n := 0
		for _, m := range g.Geoms() {
			if m == nil || m.Empty() {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			if b, err = jsonGeometry(b, m, o); err != nil {
				return b, err
			}
		}
		return append(b, "]}"...), nil
	}
	return b, fmt.Errorf("geometry type %T cannot be written in GeoJSON", g)
}

// jsonPositions appends an array of positions.
func jsonPositions(b []byte, flat []float64, stride, dim int, o *outCRS) ([]byte, error) {
	b = append(b, '[')
	for i := 0; i+1 < len(flat); i += stride {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		var err error
		if b, err = appendCoords(b, flat[i:i+stride], stride, dim, o, ',', 0); err != nil {
			return b, err
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// jsonRings appends the rings of a polygon.
func jsonRings(b []byte, flat []float64, start int, ends []int, stride, dim int, o *outCRS) ([]byte, error) {
	b = append(b, '[')
	for i, end := range ends {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = jsonPositions(b, flat[start:end], stride, dim, o); err != nil {
			return b, err
		}
		start = end
	}
	return append(b, ']'), nil
}
