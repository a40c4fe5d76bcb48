package wfs

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// exceptionReport reads an OWS 1.0 or 1.1 exception report.
type exceptionReport struct {
	XMLName   xml.Name
	Version   string `xml:"version,attr"`
	Exception []struct {
		Code    string `xml:"exceptionCode,attr"`
		Locator string `xml:"locator,attr"`
		Text    string `xml:"ExceptionText"`
	} `xml:"Exception"`
}

const (
	v2 = "SERVICE=WFS&VERSION=2.0.0&"
	v1 = "SERVICE=WFS&VERSION=1.1.0&"
	gf = v2 + "REQUEST=GetFeature&"
)

// TestBadRequests checks the exception code, locator, status and schema of
// every kind of bad request: a client mistake is never a 500.
func TestBadRequests(t *testing.T) {
	h, _ := newFixtureHandler(t)
	byID := "STOREDQUERY_ID=" + escape(getFeatureByID)
	for _, tc := range []struct {
		name, query   string
		status        int
		code, locator string
	}{
		{"no service", "REQUEST=GetCapabilities", 400, "MissingParameterValue", "service"},
		{"other service", "SERVICE=WMS&REQUEST=GetCapabilities", 400, "InvalidParameterValue", "service"},
		{"service twice, differing", "SERVICE=WFS&SERVICE=WMS&REQUEST=GetCapabilities", 400, "InvalidParameterValue", "service"},
		{"no request", "SERVICE=WFS&VERSION=2.0.0", 400, "MissingParameterValue", "request"},
		{"unknown request", "SERVICE=WFS&VERSION=2.0.0&REQUEST=Teleport", 501, "OperationNotSupported", "Teleport"},
		{"transaction", "SERVICE=WFS&VERSION=2.0.0&REQUEST=Transaction", 501, "OperationNotSupported", "Transaction"},
		{"malformed query string", "SERVICE=WFS&REQUEST=GetCapabilities&%zz", 400, "InvalidParameterValue", ""},
		{"no version", "SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=countries", 400, "MissingParameterValue", "version"},
		{"unknown version", "SERVICE=WFS&VERSION=3.0.0&REQUEST=GetFeature&TYPENAMES=countries", 400, "InvalidParameterValue", "version"},
		{"no version accepted", "SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=1.0.0,3.0.0", 400, "VersionNegotiationFailed", "acceptVersions"},
		{"unknown section", "SERVICE=WFS&REQUEST=GetCapabilities&SECTIONS=Contents", 400, "InvalidParameterValue", "sections"},
		{"no type names", gf, 400, "MissingParameterValue", "typeNames"},
		{"1.1 no type name", v1 + "REQUEST=GetFeature", 400, "MissingParameterValue", "typeName"},
		{"unknown type", gf + "TYPENAMES=tuiles:nope", 400, "InvalidParameterValue", "typeNames"},
		{"1.1 unknown type", v1 + "REQUEST=GetFeature&TYPENAME=nope", 400, "InvalidParameterValue", "typeName"},
		{"type in another namespace", gf + "TYPENAMES=x:countries&NAMESPACES=xmlns(x,http://example.com/other)", 400, "InvalidParameterValue", "typeNames"},
		{"undeclared foreign prefix", gf + "TYPENAMES=gs:countries", 400, "InvalidParameterValue", "typeNames"},
		{"type without a table", gf + "TYPENAMES=ghost", 400, "InvalidParameterValue", "typeNames"},
		{"join", gf + "TYPENAMES=(countries,cities)", 501, "OptionNotSupported", "typeNames"},
		{"negative count", gf + "TYPENAMES=countries&COUNT=-1", 400, "InvalidParameterValue", "count"},
		{"count not a number", gf + "TYPENAMES=countries&COUNT=ten", 400, "InvalidParameterValue", "count"},
		{"1.1 maxfeatures not a number", v1 + "REQUEST=GetFeature&TYPENAME=countries&MAXFEATURES=1.5", 400, "InvalidParameterValue", "maxFeatures"},
		{"negative startindex", gf + "TYPENAMES=countries&STARTINDEX=-5", 400, "InvalidParameterValue", "startIndex"},
		{"unknown resulttype", gf + "TYPENAMES=countries&RESULTTYPE=all", 400, "InvalidParameterValue", "resultType"},
		{"unknown output format", gf + "TYPENAMES=countries&OUTPUTFORMAT=image/png", 400, "InvalidParameterValue", "outputFormat"},
		{"1.1 asks for GML 3.2", v1 + "REQUEST=GetFeature&TYPENAME=countries&OUTPUTFORMAT=" + escape(mediaGML32), 400, "InvalidParameterValue", "outputFormat"},
		{"srsname not a CRS", gf + "TYPENAMES=countries&SRSNAME=wgs84", 400, "InvalidParameterValue", "srsName"},
		{"srsname not offered", gf + "TYPENAMES=countries&SRSNAME=EPSG:2154", 400, "InvalidParameterValue", "srsName"},
		{"srsname unknown code", gf + "TYPENAMES=countries&SRSNAME=EPSG:99999999", 400, "InvalidParameterValue", "srsName"},
		{"unknown property", gf + "TYPENAMES=countries&PROPERTYNAME=nope", 400, "InvalidParameterValue", "nope"},
		{"property of another type", gf + "TYPENAMES=countries&PROPERTYNAME=cities/name", 400, "InvalidParameterValue", "cities/name"},
		{"property not published", gf + "TYPENAMES=countries&PROPERTYNAME=" + escape("bad name"), 400, "InvalidParameterValue", "bad name"},
		{"property lists per type mismatch", gf + "TYPENAMES=countries,cities&PROPERTYNAME=(name)", 400, "InvalidParameterValue", "propertyName"},
		{"sort by unknown property", gf + "TYPENAMES=countries&SORTBY=nope", 400, "InvalidParameterValue", "nope"},
		{"sort order unknown", gf + "TYPENAMES=countries&SORTBY=name+SIDEWAYS", 400, "InvalidParameterValue", "sortBy"},
		{"sort by geometry", gf + "TYPENAMES=countries&SORTBY=geom", 400, "InvalidParameterValue", "sortBy"},
		{"filter and bbox", gf + "TYPENAMES=countries&BBOX=0,0,1,1&FILTER=" + escape(`<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"/>`), 400, "InvalidParameterValue", "filter"},
		{"bbox and resourceid", gf + "TYPENAMES=countries&BBOX=0,0,1,1&RESOURCEID=countries.1", 400, "InvalidParameterValue", "filter"},
		{"malformed filter", gf + "TYPENAMES=countries&FILTER=%3CFilter%3E%3CAnd", 400, "OperationParsingFailed", "filter"},
		{"1.1 malformed filter", v1 + "REQUEST=GetFeature&TYPENAME=countries&FILTER=%3CFilter", 400, "InvalidParameterValue", "filter"},
		{"filter list unclosed", gf + "TYPENAMES=countries,cities&FILTER=(%3CFilter/%3E", 400, "OperationParsingFailed", "filter"},
		{"malformed bbox", gf + "TYPENAMES=countries&BBOX=1,2,3", 400, "InvalidParameterValue", "bbox"},
		{"resource id without type", gf + "RESOURCEID=12", 400, "InvalidParameterValue", "resourceId"},
		{"resolve asked", gf + "TYPENAMES=countries&RESOLVE=all", 501, "OptionNotSupported", "resolve"},
		{"unknown filter language", gf + "TYPENAMES=countries&FILTER_LANGUAGE=CQL", 501, "OptionNotSupported", "filter_language"},
		{"unknown stored query", gf + "STOREDQUERY_ID=urn:x:mine&ID=countries.1", 400, "InvalidParameterValue", "storedQuery_id"},
		{"stored query without id", gf + byID, 400, "MissingParameterValue", "ID"},
		{"stored query, no such feature", gf + byID + "&ID=countries.999", 404, "NotFound", "ID"},
		{"stored query, no such type", gf + byID + "&ID=nope.1", 404, "NotFound", "ID"},
		{"stored query, no type", gf + byID + "&ID=17", 404, "NotFound", "ID"},
		{"1.1 stored query", v1 + "REQUEST=GetFeature&" + byID + "&ID=countries.1", 400, "InvalidParameterValue", "storedQuery_id"},
		{"value reference missing", v2 + "REQUEST=GetPropertyValue&TYPENAMES=countries", 400, "MissingParameterValue", "valueReference"},
		{"value reference unknown", v2 + "REQUEST=GetPropertyValue&TYPENAMES=countries&VALUEREFERENCE=nope", 400, "InvalidParameterValue", "valueReference"},
		{"value collection as JSON", v2 + "REQUEST=GetPropertyValue&TYPENAMES=countries&VALUEREFERENCE=name&OUTPUTFORMAT=json", 400, "InvalidParameterValue", "outputFormat"},
		{"1.1 GetPropertyValue", v1 + "REQUEST=GetPropertyValue&TYPENAME=countries&VALUEREFERENCE=name", 501, "OperationNotSupported", "GetPropertyValue"},
		{"1.1 ListStoredQueries", v1 + "REQUEST=ListStoredQueries", 501, "OperationNotSupported", "ListStoredQueries"},
		{"describe unknown stored query", v2 + "REQUEST=DescribeStoredQueries&STOREDQUERY_ID=urn:x:mine", 400, "InvalidParameterValue", "storedQuery_id"},
		{"describe unknown type", v2 + "REQUEST=DescribeFeatureType&TYPENAMES=nope", 400, "InvalidParameterValue", "typeNames"},
		{"describe in HTML", v2 + "REQUEST=DescribeFeatureType&OUTPUTFORMAT=text/html", 400, "InvalidParameterValue", "outputFormat"},
		{"1.1 describe unknown type", v1 + "REQUEST=DescribeFeatureType&TYPENAME=nope", 400, "InvalidParameterValue", "typeName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, tc.query)
			checkException(t, w, tc.status, tc.code, tc.locator)
		})
	}
}

// checkException checks an exception answer and validates it against the
// OWS schema of its version.
func checkException(t *testing.T, w *httptest.ResponseRecorder, status int, code, locator string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d\n%s", w.Code, status, w.Body)
	}
	var rep exceptionReport
	if err := xml.Unmarshal(w.Body.Bytes(), &rep); err != nil || len(rep.Exception) != 1 {
		t.Fatalf("not an exception report (%v):\n%s", err, w.Body)
	}
	e := rep.Exception[0]
	if e.Code != code || e.Locator != locator {
		t.Errorf("exception %s locator %q, want %s %q (%s)", e.Code, e.Locator, code, locator, e.Text)
	}
	if strings.TrimSpace(e.Text) == "" {
		t.Error("no exception text")
	}
	schema := "ows/1.1.0/owsExceptionReport.xsd"
	if rep.XMLName.Space == nsOWS10 {
		schema = "ows/1.0.0/owsExceptionReport.xsd"
		if rep.Version != "1.1.0" {
			t.Errorf("OWS 1.0 report version %q", rep.Version)
		}
	} else if rep.Version != "2.0.0" {
		t.Errorf("OWS 1.1 report version %q", rep.Version)
	}
	xmlvalid.Validate(t, w.Body.Bytes(), schema)
}

func TestVersionOfExceptions(t *testing.T) {
	h, _ := newFixtureHandler(t)
	w := get(t, h, v1+"REQUEST=GetFeature&TYPENAME=nope")
	if !strings.Contains(w.Body.String(), `xmlns:ows="`+nsOWS10+`"`) {
		t.Errorf("WFS 1.1 error not in OWS 1.0:\n%s", w.Body)
	}
	w = get(t, h, gf+"TYPENAMES=nope")
	if !strings.Contains(w.Body.String(), `xmlns:ows="`+nsOWS11+`"`) {
		t.Errorf("WFS 2.0 error not in OWS 1.1:\n%s", w.Body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h, _ := newFixtureHandler(t)
	r := httptest.NewRequest(http.MethodDelete, "/wfs?SERVICE=WFS&REQUEST=GetCapabilities", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") == "" {
		t.Errorf("DELETE: %d %v", w.Code, w.Header())
	}
}
