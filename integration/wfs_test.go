package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// The feature types of the demo store, with the feature count of their
// source layer in testdata/vector/sources.gpkg.
var demoFeatureTypes = map[string]int{
	"departements":       96,
	"departement_points": 96,
	"region_outlines":    13,
	"countries":          177,
}

func typeName(layer string) string { return "tuiles:" + layer }

// ogrinfo lists every WFS layer with the feature count of its source.
func TestOGRInfoListsWFSLayers(t *testing.T) {
	out := tool(t, "ogrinfo", "-ro", "-so", "-al", "WFS:"+demo.base+"/wfs")
	for layer, n := range demoFeatureTypes {
		block := section(out, "Layer name: "+typeName(layer))
		if block == "" {
			t.Errorf("ogrinfo does not list %s:\n%s", typeName(layer), out)
			continue
		}
		if !strings.Contains(block, fmt.Sprintf("Feature Count: %d\n", n)) {
			t.Errorf("%s: want Feature Count: %d in\n%s", layer, n, block)
		}
	}
}

// section returns the part of ogrinfo's output about one layer.
func section(out, header string) string {
	i := strings.Index(out, header+"\n")
	if i < 0 {
		return ""
	}
	rest := out[i+len(header):]
	if j := strings.Index(rest, "Layer name: "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// geojsonFeatures reads a GeoJSON file written by ogr2ogr, keyed by a
// property that identifies features in the source.
func geojsonFeatures(t *testing.T, path, key string) map[string]map[string]any {
	t.Helper()
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, f := range fc.Features {
		k := fmt.Sprint(f.Properties[key])
		if _, dup := out[k]; dup {
			t.Fatalf("%s: %s=%s twice", path, key, k)
		}
		props := map[string]any{}
		for n, v := range f.Properties {
			if n == "gml_id" || n == "fid" || n == "ogc_fid" {
				continue
			}
			props[n] = v
		}
		var coords any
		_ = json.Unmarshal(f.Geometry.Coordinates, &coords)
		props["#type"] = strings.TrimPrefix(f.Geometry.Type, "Multi")
		props["#coords"] = flatten(coords)
		out[k] = props
	}
	return out
}

func flatten(v any) []float64 {
	switch v := v.(type) {
	case float64:
		return []float64{v}
	case []any:
		var out []float64
		for _, e := range v {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return nil
}

// ogr2ogr copies whole layers through the WFS (paging through them) with
// every attribute and geometry equal to the source.
func TestOGR2OGRCopiesLayers(t *testing.T) {
	src := filepath.Join(demo.root, "testdata/vector/sources.gpkg")
	for layer, key := range map[string]string{"departements": "code", "departement_points": "code", "countries": "name", "region_outlines": "code"} {
		t.Run(layer, func(t *testing.T) {
			dir := t.TempDir()
			want := filepath.Join(dir, "want.geojson")
			got := filepath.Join(dir, "got.geojson")
			tool(t, "ogr2ogr", "-f", "GeoJSON", "-lco", "RFC7946=NO", "-lco", "COORDINATE_PRECISION=15", want, src, layer)
			// A small page size makes GDAL page through the layer.
			tool(t, "ogr2ogr", "--config", "OGR_WFS_PAGE_SIZE", "25", "--config", "OGR_WFS_PAGING_ALLOWED", "ON",
				"-f", "GeoJSON", "-lco", "RFC7946=NO", "-lco", "COORDINATE_PRECISION=15", "-nln", layer, got, "WFS:"+demo.base+"/wfs", typeName(layer))
			w, g := geojsonFeatures(t, want, key), geojsonFeatures(t, got, key)
			if len(g) != len(w) {
				t.Fatalf("%d features through WFS, %d in the source", len(g), len(w))
			}
			for k, wf := range w {
				gf, ok := g[k]
				if !ok {
					t.Errorf("feature %s missing", k)
					continue
				}
				for name, wv := range wf {
					if name == "#coords" {
						continue
					}
					if fmt.Sprint(gf[name]) != fmt.Sprint(wv) {
						t.Errorf("feature %s: %s = %v, want %v", k, name, gf[name], wv)
					}
				}
				wc, gc := wf["#coords"].([]float64), gf["#coords"].([]float64)
				if len(wc) != len(gc) {
					t.Errorf("feature %s: %d coordinates, want %d", k, len(gc), len(wc))
					continue
				}
				for i := range wc {
					if math.Abs(wc[i]-gc[i]) > 1e-6*math.Max(1, math.Abs(wc[i])) {
						t.Errorf("feature %s: coordinate %d = %v, want %v", k, i, gc[i], wc[i])
						break
					}
				}
			}
		})
	}
}

// wfsJSON runs a GetFeature in GeoJSON and returns ids and numbers.
func wfsJSON(t *testing.T, query string) (ids []string, matched, returned int) {
	t.Helper()
	resp, body := get(t, "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&OUTPUTFORMAT=application/json&"+query)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", query, resp.StatusCode, body)
	}
	var fc struct {
		NumberMatched  int `json:"numberMatched"`
		NumberReturned int `json:"numberReturned"`
		Features       []struct {
			ID any `json:"id"`
		} `json:"features"`
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	for _, f := range fc.Features {
		ids = append(ids, fmt.Sprint(f.ID))
	}
	if fc.NumberReturned != len(ids) {
		t.Errorf("numberReturned %d, %d features", fc.NumberReturned, len(ids))
	}
	return ids, fc.NumberMatched, fc.NumberReturned
}

// Pages are disjoint and add up to numberMatched.
func TestWFSPaging(t *testing.T) {
	seen := map[string]bool{}
	total := -1
	for start := 0; ; start += 40 {
		ids, matched, _ := wfsJSON(t, fmt.Sprintf("TYPENAMES=%s&COUNT=40&STARTINDEX=%d&SORTBY=nom", typeName("departements"), start))
		if total < 0 {
			total = matched
		} else if matched != total {
			t.Fatalf("numberMatched changed from %d to %d", total, matched)
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("feature %s on two pages", id)
			}
			seen[id] = true
		}
		if len(ids) < 40 {
			break
		}
	}
	if total != 96 || len(seen) != 96 {
		t.Errorf("numberMatched %d, %d distinct features over the pages; want 96", total, len(seen))
	}
}

// The same selection through BBOX, through a FES filter and through
// GetFeatureById agrees.
func TestWFSQueriesAgree(t *testing.T) {
	// Around Paris, in Lambert-93 (the layer's CRS).
	const box = "640000,6850000,665000,6875000"
	byBBox, _, _ := wfsJSON(t, "TYPENAMES="+typeName("departements")+"&BBOX="+box+",urn:ogc:def:crs:EPSG::2154")
	filter := `<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"><fes:BBOX><gml:Envelope srsName="urn:ogc:def:crs:EPSG::2154"><gml:lowerCorner>640000 6850000</gml:lowerCorner><gml:upperCorner>665000 6875000</gml:upperCorner></gml:Envelope></fes:BBOX></fes:Filter>`
	byFilter, _, _ := wfsJSON(t, "TYPENAMES="+typeName("departements")+"&FILTER="+url.QueryEscape(filter))
	sort.Strings(byBBox)
	sort.Strings(byFilter)
	if len(byBBox) < 3 || strings.Join(byBBox, ",") != strings.Join(byFilter, ",") {
		t.Fatalf("BBOX gives %v, FILTER gives %v", byBBox, byFilter)
	}
	var byID []string
	for _, id := range byBBox {
		resp, body := get(t, "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById&OUTPUTFORMAT=application/json&ID="+url.QueryEscape(id))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GetFeatureById %s: %d %s", id, resp.StatusCode, body)
		}
		var f struct {
			ID any `json:"id"`
		}
		if err := json.Unmarshal(body, &f); err != nil {
			t.Fatal(err)
		}
		byID = append(byID, fmt.Sprint(f.ID))
	}
	sort.Strings(byID)
	if strings.Join(byID, ",") != strings.Join(byBBox, ",") {
		t.Errorf("GetFeatureById gives %v, BBOX %v", byID, byBBox)
	}
}

// Every XML document of the live WFS validates.
func TestWFSDocumentsValidate(t *testing.T) {
	_, caps := get(t, "/wfs?SERVICE=WFS&REQUEST=GetCapabilities")
	xmlvalid.Validate(t, caps, "wfs/2.0/wfs.xsd")
	_, caps11 := get(t, "/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetCapabilities")
	xmlvalid.Validate(t, caps11, "wfs/1.1.0/wfs.xsd")
	_, dft := get(t, "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES="+typeName("departement_points"))
	_, gml := get(t, "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&COUNT=5&TYPENAMES="+typeName("departement_points"))
	xmlvalid.Validate(t, gml, "wfs/2.0/wfs.xsd", string(dft))
	resp, exc := get(t, "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:nope")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown type: status %d", resp.StatusCode)
	}
	xmlvalid.Validate(t, exc, "ows/1.1.0/owsExceptionReport.xsd")
}

// OWSLib reads capabilities and features, with a bbox and with a filter, in
// WFS 2.0.0 and 1.1.0.
func TestOWSLibWFS(t *testing.T) {
	script := `
import json, sys
from owslib.wfs import WebFeatureService
from owslib.fes import PropertyIsEqualTo
from owslib.etree import etree
out = {}
for version in ("2.0.0", "1.1.0"):
    wfs = WebFeatureService(sys.argv[1] + "/wfs", version=version)
    names = sorted(wfs.contents)
    bbox = wfs.getfeature(typename=["tuiles:departement_points"], bbox=(2.0, 48.5, 3.0, 49.2, "urn:ogc:def:crs:EPSG::4326" if version == "2.0.0" else "EPSG:4326"), outputFormat="application/json").read()
    f = PropertyIsEqualTo(propertyname="code", literal="75")
    xml = etree.tostring(f.toXML()).decode()
    ns = "http://www.opengis.net/fes/2.0" if version == "2.0.0" else "http://www.opengis.net/ogc"
    filt = '<Filter xmlns="%s">%s</Filter>' % (ns, xml.replace("ogc:", "").replace("fes:", "").replace('xmlns:ogc="http://www.opengis.net/ogc"', "").replace('xmlns:fes="http://www.opengis.net/fes/2.0"', ""))
    byfilter = wfs.getfeature(typename=["tuiles:departements"], filter=filt, outputFormat="application/json").read()
    out[version] = {"names": names, "bbox": json.loads(bbox), "filter": json.loads(byfilter)}
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python(t), "-c", script, demo.base)
	outBytes, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("OWSLib: %v\n%s", err, outBytes)
	}
	var got map[string]struct {
		Names []string
		BBox  struct {
			Features []struct{ Properties map[string]any }
		}
		Filter struct {
			Features []struct{ Properties map[string]any }
		}
	}
	if err := json.Unmarshal(outBytes, &got); err != nil {
		t.Fatalf("%v: %s", err, outBytes)
	}
	for _, version := range []string{"2.0.0", "1.1.0"} {
		g := got[version]
		for layer := range demoFeatureTypes {
			if !strings.Contains(strings.Join(g.Names, ","), typeName(layer)) {
				t.Errorf("%s: %s not in %v", version, typeName(layer), g.Names)
			}
		}
		// Paris (75) and its neighbours' representative points lie in
		// the box; Finistère (29) does not.
		codes := map[string]bool{}
		for _, f := range g.BBox.Features {
			codes[fmt.Sprint(f.Properties["code"])] = true
		}
		if !codes["75"] || codes["29"] {
			t.Errorf("%s bbox: codes %v", version, codes)
		}
		if len(g.Filter.Features) != 1 || g.Filter.Features[0].Properties["nom"] != "Paris" {
			t.Errorf("%s filter: %+v", version, g.Filter.Features)
		}
	}
}
