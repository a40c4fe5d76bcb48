package wfs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/store/filter"
)

const fesNS = `xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"`

// TestFilterReachesStore checks what the store is asked: property names
// normalised to columns, identifiers of the queried type only.
func TestFilterReachesStore(t *testing.T) {
	h, s := newFixtureHandler(t)
	for _, tc := range []struct {
		name, version, filter string
		want                  filter.Filter
	}{
		{"prefixed property", "2.0.0",
			`<fes:Filter ` + fesNS + `><fes:PropertyIsEqualTo><fes:ValueReference>tuiles:name</fes:ValueReference><fes:Literal>France</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`,
			filter.Compare{Op: filter.EqualTo, Property: "name", Literal: "France", MatchCase: true}},
		{"XPath property", "2.0.0",
			`<fes:Filter ` + fesNS + `><fes:PropertyIsNull><fes:ValueReference>tuiles:countries/tuiles:pop</fes:ValueReference></fes:PropertyIsNull></fes:Filter>`,
			filter.IsNull{Property: "pop"}},
		{"identifiers of other types dropped", "2.0.0",
			`<fes:Filter ` + fesNS + `><fes:Or><fes:ResourceId rid="countries.1"/><fes:PropertyIsNull><fes:ValueReference>pop</fes:ValueReference></fes:PropertyIsNull></fes:Or></fes:Filter>`,
			nil},
		{"Filter 1.1", "1.1.0",
			`<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsGreaterThan><ogc:PropertyName>pop</ogc:PropertyName><ogc:Literal>1000</ogc:Literal></ogc:PropertyIsGreaterThan></ogc:Filter>`,
			filter.Compare{Op: filter.GreaterThan, Property: "pop", Literal: "1000", MatchCase: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, get(t, h, kvp("SERVICE", "WFS", "VERSION", tc.version, "REQUEST", "GetFeature",
				"TYPENAMES", "countries", "TYPENAME", "countries", "FILTER", tc.filter)))
			if tc.want != nil && !reflect.DeepEqual(s.last.Filter, tc.want) {
				t.Errorf("store got %#v, want %#v", s.last.Filter, tc.want)
			}
		})
	}
	// A ResourceId naming other types only: the store is not asked.
	s.last.Filter = nil
	body := string(mustOK(t, get(t, h, kvp("SERVICE", "WFS", "VERSION", "2.0.0", "REQUEST", "GetFeature", "TYPENAMES", "countries",
		"FILTER", `<fes:Filter `+fesNS+`><fes:ResourceId rid="cities.10"/></fes:Filter>`))))
	if !strings.Contains(body, `numberMatched="0"`) {
		t.Errorf("%s", body)
	}
	// The same inside a logical operator: a condition nothing meets.
	mustOK(t, get(t, h, kvp("SERVICE", "WFS", "VERSION", "2.0.0", "REQUEST", "GetFeature", "TYPENAMES", "countries",
		"FILTER", `<fes:Filter `+fesNS+`><fes:Not><fes:ResourceId rid="cities.10"/></fes:Not></fes:Filter>`)))
	if want := (filter.Not{Filter: filter.IsNull{Property: filter.IDProperty}}); !reflect.DeepEqual(s.last.Filter, want) {
		t.Errorf("store got %#v", s.last.Filter)
	}
}

// TestBBOXAxisOrder: BBOX without a CRS is in the type's DefaultCRS, by
// URN, so latitude first for EPSG:4326; with EPSG:4326 spelled short,
// longitude first.
func TestBBOXAxisOrder(t *testing.T) {
	h, _ := newFixtureHandler(t)
	for _, bbox := range []string{"46.5,2.5,46.6,2.6", "2.5,46.5,2.6,46.6,EPSG:4326", "46.5,2.5,46.6,2.6,urn:ogc:def:crs:EPSG::4326", "2.5,46.5,2.6,46.6,CRS:84"} {
		body := string(mustOK(t, get(t, h, gf+"TYPENAMES=countries&BBOX="+escape(bbox))))
		if !strings.Contains(body, `numberMatched="1"`) || !strings.Contains(body, "France") {
			t.Errorf("BBOX %s:\n%s", bbox, body)
		}
	}
}

// TestHostileFilters: exceptions, never crashes or 500s.
func TestHostileFilters(t *testing.T) {
	h, _ := newFixtureHandler(t)
	deep := `<fes:Filter ` + fesNS + `>` + strings.Repeat("<fes:Not>", 500) + `<fes:PropertyIsNull><fes:ValueReference>pop</fes:ValueReference></fes:PropertyIsNull>` + strings.Repeat("</fes:Not>", 500) + `</fes:Filter>`
	for _, tc := range []struct {
		name, filter  string
		status        int
		code, locator string
	}{
		{"deep nesting", deep, 400, "OperationParsingFailed", "filter"},
		{"huge literal", `<fes:Filter ` + fesNS + `><fes:PropertyIsEqualTo><fes:ValueReference>name</fes:ValueReference><fes:Literal>` + strings.Repeat("x", 100_000) + `</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`, 400, "OperationParsingFailed", "filter"},
		{"SQL in a property name", `<fes:Filter ` + fesNS + `><fes:PropertyIsEqualTo><fes:ValueReference>name" OR 1=1 --</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`, 400, "InvalidParameterValue", `name" OR 1=1 --`},
		{"unknown property", `<fes:Filter ` + fesNS + `><fes:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\"><fes:ValueReference>nope</fes:ValueReference><fes:Literal>a*</fes:Literal></fes:PropertyIsLike></fes:Filter>`, 400, "InvalidParameterValue", "nope"},
		{"literal of the wrong type", `<fes:Filter ` + fesNS + `><fes:PropertyIsEqualTo><fes:ValueReference>pop</fes:ValueReference><fes:Literal>many</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>`, 400, "OperationParsingFailed", "filter"},
		{"temporal operator", `<fes:Filter ` + fesNS + `><fes:After><fes:ValueReference>updated</fes:ValueReference><fes:Literal>2020-01-01</fes:Literal></fes:After></fes:Filter>`, 501, "OptionNotSupported", "filter"},
		{"spatial operator on an attribute", `<fes:Filter ` + fesNS + `><fes:Intersects><fes:ValueReference>name</fes:ValueReference><gml:Point gml:id="p"><gml:pos>1 2</gml:pos></gml:Point></fes:Intersects></fes:Filter>`, 400, "InvalidParameterValue", "name"},
		{"DOCTYPE", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><fes:Filter ` + fesNS + `>&e;</fes:Filter>`, 400, "OperationParsingFailed", "filter"},
		{"FES in a 1.1 filter place is fine, garbage is not", `not xml at all`, 400, "OperationParsingFailed", "filter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, gf+"TYPENAMES=countries&FILTER="+escape(tc.filter))
			checkException(t, w, tc.status, tc.code, tc.locator)
		})
	}
}
