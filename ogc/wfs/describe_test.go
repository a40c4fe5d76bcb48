package wfs

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDescribeFeatureTypeJSON(t *testing.T) {
	h, _ := newFixtureHandler(t)
	w := get(t, h, v2+"REQUEST=DescribeFeatureType&TYPENAMES=tuiles:countries,cities&OUTPUTFORMAT=application/json")
	var d struct {
		TargetNamespace string `json:"targetNamespace"`
		TargetPrefix    string `json:"targetPrefix"`
		FeatureTypes    []struct {
			TypeName   string `json:"typeName"`
			Properties []struct {
				Name     string `json:"name"`
				Type     string `json:"type"`
				Nillable bool   `json:"nillable"`
			} `json:"properties"`
		} `json:"featureTypes"`
	}
	if err := json.Unmarshal(mustOK(t, w), &d); err != nil {
		t.Fatal(err)
	}
	if d.TargetNamespace != Namespace || d.TargetPrefix != Prefix || len(d.FeatureTypes) != 2 || d.FeatureTypes[0].TypeName != "countries" {
		t.Fatalf("%+v", d)
	}
	var got []string
	for _, p := range d.FeatureTypes[0].Properties {
		got = append(got, p.Name+":"+p.Type)
	}
	want := "name:xsd:string,pop:xsd:long,area:xsd:double,member:xsd:boolean,founded:xsd:date,updated:xsd:dateTime,flag:xsd:base64Binary,geom:gml:MultiSurface"
	if strings.Join(got, ",") != want {
		t.Errorf("properties %s", strings.Join(got, ","))
	}
}

// TestOWSLibQueryParameter: OWSLib's GET GetFeature puts its filter in
// QUERY; it is read as FILTER rather than ignored.
func TestOWSLibQueryParameter(t *testing.T) {
	h, s := newFixtureHandler(t)
	mustOK(t, get(t, h, kvp("SERVICE", "WFS", "VERSION", "2.0.0", "REQUEST", "GetFeature", "TYPENAMES", "countries",
		"QUERY", `<fes:Filter `+fesNS+`><fes:PropertyIsNull><fes:ValueReference>pop</fes:ValueReference></fes:PropertyIsNull></fes:Filter>`)))
	if s.last.Filter == nil {
		t.Error("QUERY filter ignored")
	}
}
