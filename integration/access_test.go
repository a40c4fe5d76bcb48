package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A restricted layer leaks through no protocol without its key, and is
// served to requests carrying it (apikey parameter or header); the key
// never reaches the log.
func TestRestrictedLayerOnEveryProtocol(t *testing.T) {
	dir := t.TempDir()
	const key = "tuiles-test-access-key-0123456789"
	sum := sha256.Sum256([]byte(key))
	cfg := departementsConfig(filepath.Join(demo.root, "testdata/demo/styles/departements.sld"), filepath.Join(dir, "cache.mbtiles"), "max_zoom: 12") +
		"    access_key_sha256: " + hex.EncodeToString(sum[:]) + "\n" +
		"  - name: public\n    data: {table: departement_points}\n"
	path := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, path)
	const bbox = "&CRS=EPSG:3857&BBOX=-600000,5000000,1100000,6700000&WIDTH=256&HEIGHT=256"
	type probe struct {
		name, path string
		// present tells, from status and body, whether the restricted
		// layer showed.
		present func(status int, body string) bool
	}
	listed := func(s string) func(int, string) bool {
		return func(_ int, body string) bool { return strings.Contains(body, s) }
	}
	ok := func(status int, _ string) bool { return status == http.StatusOK }
	imageOK := func(status int, body string) bool {
		return status == http.StatusOK && strings.HasPrefix(body, "\x89PNG") && !strings.Contains(body, "ServiceException")
	}
	probes := []probe{
		{"WMS 1.3.0 capabilities", "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", listed("<Name>departements</Name>")},
		{"WMS 1.1.1 capabilities", "/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetCapabilities", listed("<Name>departements</Name>")},
		{"GetMap", "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=departements&STYLES=&FORMAT=image/png" + bbox, imageOK},
		{"GetMap with a public layer", "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=public,departements&STYLES=&FORMAT=image/png" + bbox, imageOK},
		{"GetFeatureInfo", "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=departements&QUERY_LAYERS=departements&STYLES=&FORMAT=image/png&INFO_FORMAT=application/json&I=128&J=128" + bbox, ok},
		{"GetLegendGraphic", "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=departements&FORMAT=image/png", imageOK},
		{"WFS capabilities", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities", listed("tuiles:departements")},
		{"WFS 1.1.0 capabilities", "/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetCapabilities", listed("tuiles:departements")},
		{"GetFeature", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=1", ok},
		{"DescribeFeatureType", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=tuiles:departements", ok},
		{"WMTS capabilities", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", listed("<ows:Identifier>departements</ows:Identifier>")},
		{"WMTS REST capabilities", "/wmts/1.0.0/WMTSCapabilities.xml", listed("<ows:Identifier>departements</ows:Identifier>")},
		{"WMTS KVP tile", "/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetTile&LAYER=departements&STYLE=default&TILEMATRIXSET=WebMercatorQuad&TILEMATRIX=5&TILEROW=11&TILECOL=16&FORMAT=image/png", ok},
		{"WMTS REST tile", "/wmts/1.0.0/departements/default/WebMercatorQuad/5/11/16.png", ok},
		{"TMS service", "/tms/1.0.0", listed("departements")},
		{"TMS tile map", "/tms/1.0.0/departements/WebMercatorQuad", ok},
		{"TMS tile", "/tms/1.0.0/departements/WebMercatorQuad/5/16/20.png", ok},
		{"XYZ tile", "/tiles/departements/WebMercatorQuad/5/16/11.png", ok},
		{"TileJSON", "/tiles/departements/WebMercatorQuad/tiles.json", ok},
		{"index page", "/", listed("departements")},
		{"viewer page", "/view/departements", ok},
	}
	get := func(path string, header ...string) (int, string) {
		status, _, body := fetch(t, http.MethodGet, p.base+path, "", nil, header...)
		return status, body
	}
	sep := func(path string) string {
		if strings.Contains(path, "?") {
			return "&"
		}
		return "?"
	}
	for _, pr := range probes {
		t.Run(pr.name, func(t *testing.T) {
			if status, body := get(pr.path); pr.present(status, body) {
				t.Errorf("without the key: status %d, the layer shows:\n%.300s", status, body)
			}
			if status, body := get(pr.path + sep(pr.path) + "apikey=wrong-key"); pr.present(status, body) {
				t.Errorf("with a wrong key: status %d, the layer shows", status)
			}
			if status, body := get(pr.path + sep(pr.path) + "apikey=" + key); !pr.present(status, body) {
				t.Errorf("with the key as apikey=: status %d:\n%.300s", status, body)
			}
			if status, body := get(pr.path, "X-API-Key", key); !pr.present(status, body) {
				t.Errorf("with the key in X-API-Key: status %d:\n%.300s", status, body)
			}
		})
	}
	// With the key, documents repeat it in their URLs, so that desktop
	// clients following them are let in: GDAL reads the restricted layer
	// through its WMTS capabilities and its features through WFS.
	for _, doc := range []string{"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities", "/tiles/departements/WebMercatorQuad/tiles.json"} {
		if _, b := get(doc + sep(doc) + "apikey=" + key); !strings.Contains(b, "apikey="+key) {
			t.Errorf("%s with the key does not repeat it in its URLs", doc)
		}
		if _, b := get(doc + sep(doc) + "apikey=wrong"); strings.Contains(b, "apikey=") {
			t.Errorf("%s repeats a key that opens nothing", doc)
		}
	}
	out := filepath.Join(dir, "restricted.png")
	tool(t, "gdal_translate", "-q", "-outsize", "128", "128", "-of", "PNG",
		"WMTS:"+p.base+"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&apikey="+key+",layer=departements,tilematrixset=WebMercatorQuad", out)
	if _, err := os.Stat(out); err != nil {
		t.Errorf("GDAL could not read the restricted layer with its key: %v", err)
	}
	if info := tool(t, "ogrinfo", "-ro", "-so", "WFS:"+p.base+"/wfs?apikey="+key, "tuiles:departements"); !strings.Contains(info, "Feature Count: 96") {
		t.Errorf("ogrinfo on the restricted layer with its key:\n%s", info)
	}
	if strings.Contains(p.logs.String(), key) {
		t.Error("the access key reached the server's log")
	}
}
