package wms

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// The test layer "zones" is a square 0..4 E, 44..48 N; in a 100×100 map of
// -2..6 E, 42..50 N it covers pixels 25..75 in both directions.
const infoMap = "SERVICE=WMS&REQUEST=GetFeatureInfo&LAYERS=zones&QUERY_LAYERS=zones&STYLES=&WIDTH=100&HEIGHT=100&"

func TestGetFeatureInfoFormats(t *testing.T) {
	h := newTestHandler(t)
	for _, tc := range []struct {
		query, contentType string
		want               []string
	}{
		{"VERSION=1.3.0&CRS=EPSG:4326&BBOX=42,-2,50,6&I=50&J=50&INFO_FORMAT=text/plain", "text/plain; charset=utf-8",
			[]string{"Results for layer 'zones':", "fid = 1", "name = a <square>", "area = 16"}},
		{"VERSION=1.1.1&SRS=EPSG:4326&BBOX=-2,42,6,50&X=50&Y=50", "text/plain; charset=utf-8", []string{"name = a <square>"}},
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&I=50&J=50&INFO_FORMAT=text/html", "text/html; charset=utf-8",
			[]string{"<caption>Zones</caption>", "<th>name</th>", "<td>a &lt;square&gt;</td>"}},
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&I=50&J=50&INFO_FORMAT=application/vnd.ogc.gml", "application/vnd.ogc.gml",
			[]string{"<zones_layer>", "<gml:name>Zones</gml:name>", "<name>a &lt;square&gt;</name>", `<gml:Box srsName="CRS:84"><gml:coordinates>0,44 4,48</gml:coordinates>`}},
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&I=10&J=50&INFO_FORMAT=text/plain", "text/plain; charset=utf-8", []string{"no features were found"}},
	} {
		resp, body := do(t, h, infoMap+tc.query)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("%s: %d %s: %s", tc.query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s: answer lacks %q:\n%s", tc.query, w, body)
			}
		}
		if strings.Contains(tc.contentType, "gml") || strings.Contains(tc.contentType, "html") {
			d := xml.NewDecoder(strings.NewReader(string(body)))
			d.Strict = !strings.Contains(tc.contentType, "html")
			d.AutoClose = xml.HTMLAutoClose
			d.Entity = xml.HTMLEntity
			for {
				if _, err := d.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Errorf("%s: not well-formed: %v", tc.query, err)
					}
					break
				}
			}
		}
	}
}

func TestGetFeatureInfoJSON(t *testing.T) {
	h := newTestHandler(t)
	// EPSG:3857: the geometry still comes back in longitude/latitude.
	resp, body := do(t, h, infoMap+"VERSION=1.3.0&CRS=EPSG:3857&BBOX=-222639,5160979,667917,6446276&I=50&J=50&INFO_FORMAT=application/json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var fc struct {
		Type     string
		Features []struct {
			ID       string
			Layer    string
			Geometry struct {
				Type        string
				Coordinates [][][2]float64
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 {
		t.Fatalf("%s", body)
	}
	f := fc.Features[0]
	if f.ID != "zones.1" || f.Layer != "zones" || f.Properties["name"] != "a <square>" || f.Properties["area"] != 16.0 {
		t.Errorf("feature %+v", f)
	}
	if f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates) != 1 || f.Geometry.Coordinates[0][2] != [2]float64{4, 48} {
		t.Errorf("geometry %+v, want the square in lon/lat", f.Geometry)
	}
}

func TestGetFeatureInfoErrors(t *testing.T) {
	h := newTestHandler(t)
	for _, tc := range []struct{ query, code string }{
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&I=500&J=50&INFO_FORMAT=text/plain", CodeInvalidPoint},
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&J=50&INFO_FORMAT=text/plain", "MissingParameterValue"},
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&I=50&J=50&INFO_FORMAT=image/gif", "InvalidFormat"},
		{"VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&I=50&J=50&INFO_FORMAT=text/plain&BUFFER=-1", "InvalidParameterValue"},
		{"VERSION=1.3.0&CRS=EPSG:9999&BBOX=-2,42,6,50&I=50&J=50&INFO_FORMAT=text/plain", "InvalidCRS"},
		{"VERSION=1.1.1&SRS=EPSG:9999&BBOX=-2,42,6,50&X=50&Y=50", "InvalidSRS"},
	} {
		resp, body := do(t, h, infoMap+tc.query)
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", tc.query, resp.StatusCode)
		}
		if !strings.Contains(string(body), `code="`+tc.code+`"`) {
			t.Errorf("%s: want code %s, got %s", tc.query, tc.code, body)
		}
	}
	resp, body := do(t, h, "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=zones&QUERY_LAYERS=other&STYLES=&WIDTH=100&HEIGHT=100&CRS=CRS:84&BBOX=-2,42,6,50&I=1&J=1&INFO_FORMAT=text/plain")
	if !strings.Contains(string(body), `code="LayerNotDefined"`) {
		t.Errorf("query layer not in LAYERS: %d %s", resp.StatusCode, body)
	}
}
