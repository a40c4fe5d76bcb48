package wfs

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// checkFuzzResponse fails on a server error: with the in-memory source,
// any 500 is a bad request answered as a failure of the server.
func checkFuzzResponse(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 && w.Code != http.StatusNotImplemented {
		t.Fatalf("%q: status %d\n%s", what, w.Code, w.Body)
	}
	if w.Code >= 400 && !strings.Contains(w.Body.String(), "ExceptionReport") {
		t.Fatalf("%q: status %d without an exception report\n%s", what, w.Code, w.Body)
	}
}

// FuzzKVP sends raw query strings: the handler must never panic nor
// answer 500.
func FuzzKVP(f *testing.F) {
	for _, s := range []string{
		"SERVICE=WFS&REQUEST=GetCapabilities",
		gf + "TYPENAMES=countries&COUNT=2&STARTINDEX=1&SORTBY=name+DESC&PROPERTYNAME=name,geom",
		gf + "TYPENAMES=cities&SRSNAME=urn:ogc:def:crs:EPSG::3857&OUTPUTFORMAT=json",
		gf + "RESOURCEID=countries.1,cities.10",
		gf + "TYPENAMES=(countries)(cities)&FILTER=(%3CFilter%3E%3C/Filter%3E)(%3CFilter/%3E)",
		v2 + "REQUEST=GetPropertyValue&TYPENAMES=countries&VALUEREFERENCE=countries/geom",
		gf + "STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById&ID=misc.4",
		v1 + "REQUEST=GetFeature&TYPENAME=misc&MAXFEATURES=3&BBOX=0,0,5,5,EPSG:4326",
		"%zz&;;==&SERVICE=WFS&SERVICE=wfs&%00=%ff",
	} {
		f.Add(s)
	}
	h, _ := newFixtureHandler(f)
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/wfs", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		checkFuzzResponse(t, query, w)
	})
}

// FuzzPOST sends raw XML bodies.
func FuzzPOST(f *testing.F) {
	for _, s := range []string{
		`<wfs:GetCapabilities ` + postNS + ` service="WFS"/>`,
		`<wfs:GetFeature ` + postNS + ` service="WFS" version="2.0.0" count="2"><wfs:Query typeNames="t:countries" srsName="EPSG:4326"><wfs:PropertyName>name</wfs:PropertyName><fes:Filter><fes:ResourceId rid="countries.1"/></fes:Filter><fes:SortBy><fes:SortProperty><fes:ValueReference>name</fes:ValueReference></fes:SortProperty></fes:SortBy></wfs:Query></wfs:GetFeature>`,
		`<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc" service="WFS" version="1.1.0"><wfs:Query typeName="tuiles:cities"><ogc:Filter><ogc:FeatureId fid="cities.10"/></ogc:Filter></wfs:Query></wfs:GetFeature>`,
		`<wfs:GetFeature ` + postNS + ` service="WFS" version="2.0.0"><wfs:StoredQuery id="urn:ogc:def:query:OGC-WFS::GetFeatureById"><wfs:Parameter name="ID">misc.2</wfs:Parameter></wfs:StoredQuery></wfs:GetFeature>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`,
	} {
		f.Add(s)
	}
	h, _ := newFixtureHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := post(t, h, body)
		checkFuzzResponse(t, body, w)
	})
}
