package wms

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/xmlvalid"
	"github.com/tuiles/tuiles/ogc/ows"
)

// Schemas, relative to testdata/ogc-schemas.
const (
	capabilitiesSchema130 = "wms/1.3.0/capabilities_1_3_0.xsd"
	sldCapabilitiesSchema = "sld/1.1.0/sld_capabilities.xsd"
)

func testErrors() []*ows.Error {
	return []*ows.Error{
		ows.MissingParameter("LAYERS"),
		wmsError(ows.CodeInvalidCRS, "CRS", "CRS %q <is> & unknown", "EPSG:x"),
		wmsError(ows.CodeLayerNotDefined, "LAYERS", "layer \x01 control"),
		ows.Internal(errors.New("secret /etc/path")),
		{Code: CodeInvalidPoint},
	}
}

func TestExceptionReport130Validates(t *testing.T) {
	for _, e := range testErrors() {
		doc := ExceptionReport130(e)
		xmlvalid.Validate(t, doc, "wms/1.3.0/exceptions_1_3_0.xsd")
		if strings.Contains(string(doc), "secret") {
			t.Error("an internal cause leaks")
		}
		if e.Locator != "" && !strings.Contains(string(doc), `locator="`+e.Locator+`"`) {
			t.Errorf("no locator in %s", doc)
		}
		_, ct, status := ExceptionReport(e, Version130)
		if ct != "text/xml" || (status != e.Status && e.Status != 0) || status == 0 {
			t.Errorf("%s %d", ct, status)
		}
	}
}

func TestExceptionReport111Validates(t *testing.T) {
	for _, e := range testErrors() {
		doc := ExceptionReport111(e)
		xmlvalid.ValidateDTD(t, doc)
		if !strings.Contains(string(doc), ExceptionDTD111) || strings.Contains(string(doc), "secret") {
			t.Errorf("%s", doc)
		}
		if _, ct, status := ExceptionReport(e, Version111); ct != "application/vnd.ogc.se_xml" || status != 200 {
			t.Errorf("%s %d", ct, status)
		}
	}
}

func testCapabilities() CapabilitiesInput {
	return CapabilitiesInput{
		Service: catalog.Service{
			Title: "tuiles <demo> & co", Abstract: "Maps", Keywords: []string{"maps", "wms"},
			Provider: "Example", ProviderURL: "https://example.org/", ContactEmail: "maps@example.org",
		},
		URL:      "http://localhost:8080/wms",
		MaxWidth: 4096, MaxHeight: 4096,
		Layers: []CapabilitiesLayer{
			{
				Name: "countries", Title: "Countries", Abstract: "World countries", Keywords: []string{"boundaries"},
				Bounds: crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}, Queryable: true,
				Styles: []CapabilitiesStyle{
					{Name: "default", Title: "Default", LegendURL: "http://localhost:8080/wms?SERVICE=WMS&REQUEST=GetLegendGraphic&LAYER=countries&FORMAT=image/png"},
					{Name: "labels"},
				},
				MaxScale: 5e8,
			},
			{
				Name: "departements", Title: "Départements",
				Bounds:   crs.Bounds{MinX: -5.2, MinY: 41.3, MaxX: 9.6, MaxY: 51.1},
				Styles:   []CapabilitiesStyle{{Name: "default", LegendURL: "http://x/legend.png", LegendWidth: 40, LegendHeight: 30}},
				MinScale: 1000, MaxScale: 5e6,
			},
			{Name: "nobounds"},
			{
				Name: "france", Title: "France", Abstract: "A layer group",
				Children: []CapabilitiesLayer{
					{Name: "points", Title: "Points", Bounds: crs.Bounds{MinX: -5, MinY: 42, MaxX: 8, MaxY: 51}, Queryable: true,
						Styles: []CapabilitiesStyle{{Name: "marks"}}},
					{Name: "outlines", Bounds: crs.Bounds{MinX: -4, MinY: 41, MaxX: 9, MaxY: 50}},
				},
			},
		},
	}
}

func TestCapabilities130Validates(t *testing.T) {
	doc := Capabilities130(testCapabilities())
	xmlvalid.Validate(t, doc, capabilitiesSchema130, sldCapabilitiesSchema)
	xmlvalid.Validate(t, Capabilities130(CapabilitiesInput{URL: "http://h/wms"}), capabilitiesSchema130, sldCapabilitiesSchema)
	s := string(doc)
	for _, want := range []string{
		`<CRS>EPSG:3857</CRS>`, `<CRS>CRS:84</CRS>`, `<CRS>EPSG:3035</CRS>`, `<CRS>EPSG:4258</CRS>`,
		// EPSG:4326 is latitude first in 1.3.0, CRS:84 longitude first.
		`<BoundingBox CRS="EPSG:4326" minx="41.3" miny="-5.2" maxx="51.1" maxy="9.6"/>`,
		`<BoundingBox CRS="CRS:84" minx="-5.2" miny="41.3" maxx="9.6" maxy="51.1"/>`,
		`<westBoundLongitude>-5.2</westBoundLongitude>`,
		`<Format>image/png; mode=8bit</Format>`, `<Format>application/vnd.ogc.gml</Format>`, `<Format>INIMAGE</Format>`,
		`xlink:href="http://localhost:8080/wms?"`, `<MinScaleDenominator>1000</MinScaleDenominator>`,
		`<LegendURL width="40" height="30">`, `tuiles &lt;demo&gt; &amp; co`, `<sld:GetLegendGraphic>`,
		// The group nests its members, and its box is theirs together.
		"<Name>france</Name>\n        <Title>France</Title>\n        <Abstract>A layer group</Abstract>\n        <EX_GeographicBoundingBox>\n          <westBoundLongitude>-5</westBoundLongitude>\n          <eastBoundLongitude>9</eastBoundLongitude>",
		"      <Layer queryable=\"1\">\n        <Name>france</Name>",
		"        <Layer queryable=\"1\">\n          <Name>points</Name>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s", want)
		}
	}
	checkBoundingBoxes(t, doc, "CRS")
}

func TestCapabilities111Validates(t *testing.T) {
	doc := Capabilities111(testCapabilities())
	xmlvalid.ValidateDTD(t, doc)
	xmlvalid.ValidateDTD(t, Capabilities111(CapabilitiesInput{URL: "http://h/wms?map=x&"}))
	s := string(doc)
	for _, want := range []string{
		`<!DOCTYPE WMT_MS_Capabilities SYSTEM "http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd">`,
		`<SRS>EPSG:4326</SRS>`,
		`<BoundingBox SRS="EPSG:4326" minx="-5.2" miny="41.3" maxx="9.6" maxy="51.1"/>`,
		`<LatLonBoundingBox minx="-5.2" miny="41.3" maxx="9.6" maxy="51.1"/>`,
		`<Format>application/vnd.ogc.se_xml</Format>`, `<Format>application/vnd.ogc.se_inimage</Format>`,
		`<ScaleHint `, `<Name>OGC:WMS</Name>`, `<GetLegendGraphic>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s", want)
		}
	}
	checkBoundingBoxes(t, doc, "SRS")
}

// checkBoundingBoxes decodes every BoundingBox and checks the projected
// boxes of the départements layer land where France is: in 1.3.0 EPSG:3035
// is northing first, in 1.1.1 it is x,y.
func checkBoundingBoxes(t *testing.T, doc []byte, attrName string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(doc)))
	d.Strict = false
	var laea []map[string]string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "BoundingBox" {
			continue
		}
		m := map[string]string{}
		for _, a := range se.Attr {
			m[a.Name.Local] = a.Value
		}
		if m[attrName] == "" {
			t.Errorf("BoundingBox without %s", attrName)
		}
		if m[attrName] == "EPSG:3035" {
			laea = append(laea, m)
		}
	}
	// root, countries, départements, then the group and its two members
	if len(laea) != 6 {
		t.Fatalf("%d EPSG:3035 boxes", len(laea))
	}
	fr := laea[2]
	// France in LAEA Europe: easting ~3.2e6–4.3e6, northing ~2.0e6–3.2e6.
	east, north := fr["minx"], fr["miny"]
	if attrName == "CRS" {
		east, north = fr["miny"], fr["minx"]
	}
	if !strings.HasPrefix(east, "3") || !strings.HasPrefix(north, "2") && !strings.HasPrefix(north, "1") {
		t.Errorf("EPSG:3035 box %v", fr)
	}
}

// boxes returns the BoundingBox elements of doc as CRS → "minx,miny,maxx,maxy",
// the last one per CRS (the innermost layer).
func boxes(t *testing.T, doc []byte, attrName string) map[string]string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(doc)))
	d.Strict = false
	out := map[string]string{}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "BoundingBox" {
			continue
		}
		m := map[string]string{}
		for _, a := range se.Attr {
			m[a.Name.Local] = a.Value
		}
		out[m[attrName]] = m["minx"] + "," + m["miny"] + "," + m["maxx"] + "," + m["maxy"]
	}
	return out
}

// TestCapabilitiesBoxesRoundTrip asks GetMap for each advertised
// BoundingBox, as a client copying it would: the 1.3.0 and 1.1.1 boxes of
// a CRS must parse to the same easting/northing bbox.
func TestCapabilitiesBoxesRoundTrip(t *testing.T) {
	in := testCapabilities()
	in.Layers = in.Layers[1:2]
	b130 := boxes(t, Capabilities130(in), "CRS")
	b111 := boxes(t, Capabilities111(in), "SRS")
	if len(b130) != len(DefaultCRSs()) || len(b111) != len(DefaultCRSs()) {
		t.Fatalf("boxes: %v %v", b130, b111)
	}
	for _, c := range DefaultCRSs() {
		name := c.String()
		t.Run(name, func(t *testing.T) {
			m130, err := ParseGetMap(kvp(t, "VERSION=1.3.0&LAYERS=a&WIDTH=1&HEIGHT=1&FORMAT=image/png&CRS="+name+"&BBOX="+b130[name]))
			if err != nil {
				t.Fatal(err)
			}
			m111, err := ParseGetMap(kvp(t, "VERSION=1.1.1&LAYERS=a&WIDTH=1&HEIGHT=1&FORMAT=image/png&SRS="+name+"&BBOX="+b111[name]))
			if err != nil {
				t.Fatal(err)
			}
			if m130.BBox != m111.BBox {
				t.Errorf("1.3.0 %v != 1.1.1 %v", m130.BBox, m111.BBox)
			}
			// Geographic boxes are the layer bounds themselves.
			if c == crs.WGS84 || c == crs.CRS84 {
				if m130.BBox != in.Layers[0].Bounds {
					t.Errorf("%v", m130.BBox)
				}
			}
		})
	}
}
