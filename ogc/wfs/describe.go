package wfs

import (
	"bytes"

	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/store/filter"
)

// describeRequest is a DescribeFeatureType request.
type describeRequest struct {
	v      version
	types  []*featureType
	format outputFormat
}

// resolveDescribe checks the type names (none means every type) and the
// output format: an XML Schema for GML 3.2 or 3.1.1, or a JSON summary.
func resolveDescribe(req describeRequest, vw *view, ns namespaces, names []string, format string) (describeRequest, error) {
	var err error
	if req.format, _, err = parseFormat(format, req.v, "outputFormat"); err != nil {
		return req, err
	}
	if len(names) == 0 {
		req.types, err = vw.all()
		return req, err
	}
	seen := map[string]bool{}
	for _, n := range names {
		t, err := vw.lookup(n, ns, locTypeNames(req.v))
		if err != nil {
			return req, err
		}
		if !seen[t.Name] {
			seen[t.Name] = true
			req.types = append(req.types, t)
		}
	}
	return req, nil
}

// serveDescribe writes the application schema of the requested types.
func (h *Handler) serveDescribe(c *call, req describeRequest) error {
	if req.format == fmtGeoJSON {
		tileserve.WriteDocument(c.w, c.r, mediaJSON, describeJSON(req.types))
		return nil
	}
	media := "text/xml; subtype=gml/3.2"
	if req.format == fmtGML311 {
		media = mediaGML311
	}
	tileserve.WriteDocument(c.w, c.r, media, describeXSD(req.types, req.format))
	return nil
}

// describeXSD writes the GML application schema of types: one element and
// one complex type per feature type, deriving from gml:AbstractFeatureType,
// with every attribute optional (NULLs are left out of features) and
// nillable as its column is.
func describeXSD(types []*featureType, f outputFormat) []byte {
	gmlNS, substitution := nsGML32, "gml:AbstractFeature"
	if f == fmtGML311 {
		gmlNS, substitution = nsGML311, "gml:_Feature"
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:gml="` + gmlNS +
		`" xmlns:` + Prefix + `="` + Namespace + `" targetNamespace="` + Namespace +
		`" elementFormDefault="qualified" version="1.0">` + "\n")
	b.WriteString(`  <xsd:import namespace="` + gmlNS + `" schemaLocation="` + gmlSchema(f) + `"/>` + "\n")
	for _, t := range types {
		b.WriteString(`  <xsd:complexType name="`)
		b.Write(appendXML(nil, t.Name+"Type"))
		b.WriteString("\">\n    <xsd:complexContent>\n      <xsd:extension base=\"gml:AbstractFeatureType\">\n        <xsd:sequence>\n")
		for _, fd := range t.fields {
			b.WriteString(`          <xsd:element name="`)
			b.Write(appendXML(nil, fd.Name))
			b.WriteString(`" type="` + xsdType(fd.Kind) + `" minOccurs="0"`)
			if fd.Nullable {
				b.WriteString(` nillable="true"`)
			}
			b.WriteString("/>\n")
		}
		if g := t.layer.GeometryColumn; g != "" {
			b.WriteString(`          <xsd:element name="`)
			b.Write(appendXML(nil, g))
			b.WriteString(`" type="gml:` + gmlPropertyType(t.layer.GeometryType) + `" minOccurs="0"/>` + "\n")
		}
		b.WriteString("        </xsd:sequence>\n      </xsd:extension>\n    </xsd:complexContent>\n  </xsd:complexType>\n")
		b.WriteString(`  <xsd:element name="`)
		b.Write(appendXML(nil, t.Name))
		b.WriteString(`" type="` + Prefix + `:`)
		b.Write(appendXML(nil, t.Name+"Type"))
		b.WriteString(`" substitutionGroup="` + substitution + `"/>` + "\n")
	}
	b.WriteString("</xsd:schema>\n")
	return b.Bytes()
}

// xsdType is the XML Schema type an attribute kind is published as.
// Integers are xsd:long: the store's integers are 64-bit.
func xsdType(k filter.Kind) string {
	switch k {
	case filter.Integer:
		return "xsd:long"
	case filter.Real:
		return "xsd:double"
	case filter.Boolean:
		return "xsd:boolean"
	case filter.Date:
		return "xsd:date"
	case filter.DateTime:
		return "xsd:dateTime"
	case filter.Binary:
		return "xsd:base64Binary"
	}
	return "xsd:string"
}

// gmlPropertyType is the GML property type of a GeoPackage geometry type,
// one GDAL maps back to the same OGR type. These exist in both GML 3.1.1
// and 3.2, and match the elements the encoder writes (lines as
// gml:LineString, a curve; multi-lines as gml:MultiCurve; multi-polygons as
// gml:MultiSurface).
func gmlPropertyType(geometryType string) string {
	switch geometryType {
	case "POINT":
		return "PointPropertyType"
	case "LINESTRING":
		return "CurvePropertyType"
	case "POLYGON":
		return "SurfacePropertyType"
	case "MULTIPOINT":
		return "MultiPointPropertyType"
	case "MULTILINESTRING":
		return "MultiCurvePropertyType"
	case "MULTIPOLYGON":
		return "MultiSurfacePropertyType"
	case "GEOMETRYCOLLECTION":
		return "MultiGeometryPropertyType"
	}
	return "GeometryPropertyType"
}

// describeJSON is the JSON form of DescribeFeatureType, in the shape
// GeoServer made common (OpenLayers and Leaflet plugins read it).
func describeJSON(types []*featureType) []byte {
	b := []byte(`{"elementFormDefault":"qualified","targetNamespace":"` + Namespace + `","targetPrefix":"` + Prefix + `","featureTypes":[`)
	for i, t := range types {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"typeName":`...)
		b = appendJSONString(b, t.Name)
		b = append(b, `,"properties":[`...)
		n := 0
		prop := func(name, typ string, nillable bool) {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"name":`...)
			b = appendJSONString(b, name)
			b = append(b, `,"maxOccurs":1,"minOccurs":0,"nillable":`...)
			if nillable {
				b = append(b, "true"...)
			} else {
				b = append(b, "false"...)
			}
			b = append(b, `,"type":`...)
			b = appendJSONString(b, typ)
			local := typ[bytes.IndexByte([]byte(typ), ':')+1:]
			b = append(b, `,"localType":`...)
			b = appendJSONString(b, local)
			b = append(b, '}')
		}
		for _, f := range t.fields {
			prop(f.Name, xsdType(f.Kind), f.Nullable)
		}
		if g := t.layer.GeometryColumn; g != "" {
			typ := gmlPropertyType(t.layer.GeometryType)
			prop(g, "gml:"+typ[:len(typ)-len("PropertyType")], true)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}\n"...)
}
