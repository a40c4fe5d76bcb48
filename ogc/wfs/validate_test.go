package wfs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// Every document the WFS emits is checked against the official schemas:
// capabilities alone, feature documents with the DescribeFeatureType
// schema of their types (which compiles it), exceptions against OWS.

func TestCapabilitiesValid(t *testing.T) {
	h, _ := newFixtureHandler(t)
	for _, tc := range []struct {
		name, query, schema string
		want                []string
	}{
		{"2.0 default", "SERVICE=WFS&REQUEST=GetCapabilities", "wfs/2.0/wfs.xsd", []string{
			`version="2.0.0"`, "<wfs:Name>tuiles:countries</wfs:Name>", "<wfs:Name>tuiles:roads</wfs:Name>",
			"<wfs:DefaultCRS>urn:ogc:def:crs:EPSG::2154</wfs:DefaultCRS>",
			"<wfs:OtherCRS>urn:ogc:def:crs:OGC:1.3:CRS84</wfs:OtherCRS>",
			`<ows:Constraint name="CountDefault">`, "<ows:DefaultValue>100</ows:DefaultValue>",
			`<ows:Constraint name="ImplementsResultPaging">`,
			`<fes:SpatialOperator name="DWithin"/>`,
			`xlink:href="http://example.test/maps/wfs?"`,
			"Tuiles &amp; Co",
		}},
		{"2.0 sections", "SERVICE=WFS&REQUEST=GetCapabilities&SECTIONS=FeatureTypeList", "wfs/2.0/wfs.xsd", []string{"<wfs:FeatureTypeList>"}},
		{"1.1 by version", "SERVICE=WFS&REQUEST=GetCapabilities&VERSION=1.1.0", "wfs/1.1.0/wfs.xsd", []string{
			`version="1.1.0"`, "<wfs:DefaultSRS>urn:ogc:def:crs:EPSG::4326</wfs:DefaultSRS>", "<ogc:Filter_Capabilities>",
		}},
		{"1.1 by acceptversions", "SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=1.1.0,2.0.0", "wfs/1.1.0/wfs.xsd", nil},
		{"2.0.2 asked", "SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=2.0.2", "wfs/2.0/wfs.xsd", []string{`version="2.0.0"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := mustOK(t, get(t, h, tc.query))
			xmlvalid.Validate(t, body, tc.schema)
			for _, s := range tc.want {
				if !strings.Contains(string(body), s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range []string{"ghost", "2bad", "bad name"} {
				if strings.Contains(string(body), s) {
					t.Errorf("%q is published", s)
				}
			}
		})
	}
}

// TestCapabilitiesBoundingBox checks the WGS84 box of a projected layer is
// transformed, not copied.
func TestCapabilitiesBoundingBox(t *testing.T) {
	h, _ := newFixtureHandler(t)
	body := string(mustOK(t, get(t, h, "SERVICE=WFS&REQUEST=GetCapabilities")))
	i := strings.Index(body, "<wfs:Name>tuiles:roads</wfs:Name>")
	box := body[i:]
	box = box[strings.Index(box, "<ows:LowerCorner>")+len("<ows:LowerCorner>"):]
	box = box[:strings.Index(box, "<")]
	var lon, lat float64
	if _, err := fmt.Sscan(box, &lon, &lat); err != nil || lon < 1 || lon > 4 || lat < 47 || lat > 50 {
		t.Errorf("roads LowerCorner %q: not around Paris in lon/lat", box)
	}
}

func TestDescribeFeatureTypeAndGetFeatureValid(t *testing.T) {
	h, _ := newFixtureHandler(t)
	for _, tc := range []struct {
		name      string
		dft, gf   string
		wfsSchema string
	}{
		{"2.0 countries",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=tuiles:countries",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:countries", "wfs/2.0/wfs.xsd"},
		{"2.0 every geometry type, Z and M",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=misc",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=misc", "wfs/2.0/wfs.xsd"},
		{"2.0 several types, all described",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=countries,cities,roads,misc&SRSNAME=EPSG:3857", "wfs/2.0/wfs.xsd"},
		{"2.0 projection and sort",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=countries",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=countries&PROPERTYNAME=tuiles:name,pop,geom&SORTBY=name+DESC", "wfs/2.0/wfs.xsd"},
		{"2.0 hits",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=countries",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=countries&RESULTTYPE=hits", "wfs/2.0/wfs.xsd"},
		{"2.0 paged",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=countries",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=countries&COUNT=2&STARTINDEX=2", "wfs/2.0/wfs.xsd"},
		{"2.0 with GML 3.1.1",
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=misc&OUTPUTFORMAT=" + escape(mediaGML311),
			"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=misc&OUTPUTFORMAT=" + escape(mediaGML311), "wfs/2.0/wfs.xsd"},
		{"1.1 countries",
			"SERVICE=WFS&VERSION=1.1.0&REQUEST=DescribeFeatureType&TYPENAME=tuiles:countries",
			"SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=tuiles:countries&MAXFEATURES=3", "wfs/1.1.0/wfs.xsd"},
		{"1.1 every geometry type",
			"SERVICE=WFS&VERSION=1.1.0&REQUEST=DescribeFeatureType",
			"SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=misc,roads&SRSNAME=EPSG:4326", "wfs/1.1.0/wfs.xsd"},
		{"1.1 hits",
			"SERVICE=WFS&VERSION=1.1.0&REQUEST=DescribeFeatureType",
			"SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=cities&RESULTTYPE=hits", "wfs/1.1.0/wfs.xsd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dft := mustOK(t, get(t, h, tc.dft))
			gf := mustOK(t, get(t, h, tc.gf))
			xmlvalid.Validate(t, gf, tc.wfsSchema, string(dft))
		})
	}
}

func TestGetPropertyValueValid(t *testing.T) {
	h, _ := newFixtureHandler(t)
	dft := string(mustOK(t, get(t, h, "SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=countries")))
	for _, ref := range []string{"name", "tuiles:pop", "countries/geom", "founded", "flag"} {
		t.Run(ref, func(t *testing.T) {
			body := mustOK(t, get(t, h, kvp("SERVICE", "WFS", "VERSION", "2.0.0", "REQUEST", "GetPropertyValue",
				"TYPENAMES", "countries", "VALUEREFERENCE", ref, "COUNT", "3")))
			xmlvalid.Validate(t, body, "wfs/2.0/wfs.xsd", dft)
			if !strings.Contains(string(body), "<wfs:ValueCollection") {
				t.Fatalf("not a ValueCollection:\n%s", body)
			}
		})
	}
	body := string(mustOK(t, get(t, h, "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetPropertyValue&TYPENAMES=countries&VALUEREFERENCE=pop")))
	// Nowhere has no population: it contributes no member, and is not
	// counted.
	if !strings.Contains(body, `numberMatched="4" numberReturned="4"`) || strings.Count(body, "<wfs:member>") != 4 {
		t.Errorf("NULL values counted or written:\n%s", body)
	}
}

func TestStoredQueriesValid(t *testing.T) {
	h, _ := newFixtureHandler(t)
	for _, q := range []string{
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=ListStoredQueries",
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeStoredQueries",
		"SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeStoredQueries&STOREDQUERY_ID=" + escape(getFeatureByID),
	} {
		body := mustOK(t, get(t, h, q))
		xmlvalid.Validate(t, body, "wfs/2.0/wfs.xsd")
		if !strings.Contains(string(body), getFeatureByID) {
			t.Errorf("%s: GetFeatureById missing", q)
		}
	}
	dft := string(mustOK(t, get(t, h, "SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=countries")))
	body := mustOK(t, get(t, h, "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID="+escape(getFeatureByID)+"&ID=countries.4"))
	// The feature alone is the document (09-025r2 clause 7.9.3.6).
	xmlvalid.Validate(t, body, dft)
	if !strings.Contains(string(body), `<tuiles:countries xmlns:tuiles=`) || !strings.Contains(string(body), "Luxembourg") {
		t.Errorf("not the bare feature:\n%s", body)
	}
}

func TestExceptionsValid(t *testing.T) {
	h, _ := newFixtureHandler(t)
	for _, tc := range []struct{ query, schema string }{
		{"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=nope", "ows/1.1.0/owsExceptionReport.xsd"},
		{"SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=nope", "ows/1.0.0/owsExceptionReport.xsd"},
		{"SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=countries&FILTER=%3Cbroken", "ows/1.0.0/owsExceptionReport.xsd"},
		{"SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=9.9.9", "ows/1.1.0/owsExceptionReport.xsd"},
		{"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=" + escape(getFeatureByID) + "&ID=countries.999", "ows/1.1.0/owsExceptionReport.xsd"},
	} {
		w := get(t, h, tc.query)
		if w.Code < 400 {
			t.Fatalf("%s: status %d", tc.query, w.Code)
		}
		xmlvalid.Validate(t, w.Body.Bytes(), tc.schema)
	}
}
