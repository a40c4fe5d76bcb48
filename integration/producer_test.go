package integration

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// producerServer serves a configuration with the producer API on, its
// data in dir.
func producerServer(t *testing.T, dir string, extra ...string) (*process, string) {
	t.Helper()
	cfg := fmt.Sprintf("store: %s\nproducer: {data_dir: %s%s}\nlayers:\n  - name: points\n    data: {table: departement_points}\n",
		filepath.Join(demo.root, "testdata/demo/store.gpkg"), filepath.Join(dir, "data"), strings.Join(extra, ""))
	path := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return startServe(t, path), path
}

// newToken makes a token with the command line, as an operator would.
func newToken(t *testing.T, cfg, producer, community string) string {
	t.Helper()
	args := []string{"token", "create", "--config", cfg, "--producer", producer}
	if community != "" {
		args = append(args, "--community", community)
	}
	out, err := runTuilesStdout(args...)
	if err != nil {
		t.Fatalf("tuiles token create: %v", err)
	}
	return strings.TrimSpace(out)
}

func runTuilesStdout(args ...string) (string, error) {
	cmd := execCommand(demo.bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	return out.String(), err
}

// call is one API request; it returns the status and the decoded JSON.
func call(t *testing.T, base, token, method, path string, body io.Reader, contentType string) (int, map[string]any) {
	t.Helper()
	var header []string
	if token != "" {
		header = []string{"Authorization", "Bearer " + token}
	}
	status, _, b := fetch(t, method, base+path, contentType, body, header...)
	var v map[string]any
	_ = json.Unmarshal([]byte(b), &v)
	if v == nil {
		v = map[string]any{"raw": b}
	}
	return status, v
}

// form builds a multipart body of fields and files.
func form(t *testing.T, fields map[string]string, files ...string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := w.CreateFormFile("file", filepath.Base(f))
		_, _ = part.Write(data)
	}
	_ = w.Close()
	return &b, w.FormDataContentType()
}

// zipFiles zips files (flat) into dst.
func zipFiles(t *testing.T, dst string, files ...string) {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, src := range files {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(src))
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// shapefileZip writes départements (those matching where, all when "")
// as a zipped Shapefile.
func shapefileZip(t *testing.T, dir, name, where string) string {
	t.Helper()
	shp := filepath.Join(dir, name+".shp")
	args := []string{"-f", "ESRI Shapefile", shp, filepath.Join(demo.root, "testdata/demo/store.gpkg"), "departements"}
	if where != "" {
		args = append(args, "-where", where)
	}
	tool(t, "ogr2ogr", args...)
	var parts []string
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		if _, err := os.Stat(filepath.Join(dir, name+ext)); err == nil {
			parts = append(parts, filepath.Join(dir, name+ext))
		}
	}
	z := filepath.Join(dir, name+".zip")
	zipFiles(t, z, parts...)
	return z
}

// waitJob polls a job until it ends and returns it.
func waitJob(t *testing.T, base, token string, job any) map[string]any {
	t.Helper()
	id := int(job.(map[string]any)["id"].(float64))
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		status, j := call(t, base, token, http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", id), nil, "")
		if status != http.StatusOK {
			t.Fatalf("job %d: %d %v", id, status, j)
		}
		if s := j["status"]; s == "succeeded" || s == "failed" {
			return j
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %d did not end in 2 minutes", id)
	return nil
}

func idOf(v any) int { return int(v.(map[string]any)["id"].(float64)) }

// A new producer's whole workflow, with no restart: token, uploads (a
// zipped Shapefile, a GeoTIFF), jobs, a style, publications seen on every
// service, an update of the data served at once (no stale tile), and
// unpublishing.
func TestProducerWorkflow(t *testing.T) {
	dir := t.TempDir()
	p, cfg := producerServer(t, dir)
	token := newToken(t, cfg, "alice", "")

	// Upload a zipped Shapefile (multipart) and a GeoTIFF (raw body).
	body, ct := form(t, map[string]string{"name": "deps"}, shapefileZip(t, dir, "deps", ""))
	status, created := call(t, p.base, token, http.MethodPost, "/api/v1/datasets", body, ct)
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, created)
	}
	tif, err := os.Open(filepath.Join(demo.root, "testdata/raster/dem_lv95.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer tif.Close()
	status, rcreated := call(t, p.base, token, http.MethodPost, "/api/v1/datasets?name=dem&filename=dem.tif", tif, "image/tiff")
	if status != http.StatusAccepted {
		t.Fatalf("raster upload: %d %v", status, rcreated)
	}
	for _, c := range []map[string]any{created, rcreated} {
		if j := waitJob(t, p.base, token, c["job"]); j["status"] != "succeeded" {
			t.Fatalf("job failed: %v", j)
		}
	}
	depsID, demID := idOf(created["dataset"]), idOf(rcreated["dataset"])
	_, deps := call(t, p.base, token, http.MethodGet, fmt.Sprintf("/api/v1/datasets/%d", depsID), nil, "")
	if deps["status"] != "ready" || deps["features"] != 96.0 || deps["kind"] != "vector" {
		t.Fatalf("dataset after its job: %v", deps)
	}
	_, dem := call(t, p.base, token, http.MethodGet, fmt.Sprintf("/api/v1/datasets/%d", demID), nil, "")
	if dem["status"] != "ready" || dem["kind"] != "raster" || dem["crs"] != "EPSG:2056" {
		t.Fatalf("raster dataset: %v", dem)
	}

	// A style, then the publications.
	if status, s := call(t, p.base, token, http.MethodPut, "/api/v1/styles/red", strings.NewReader(redSLD), "application/vnd.ogc.sld+xml"); status != http.StatusCreated {
		t.Fatalf("style: %d %v", status, s)
	}
	demSLD, err := os.ReadFile(filepath.Join(demo.root, "testdata/demo/styles/dem.sld"))
	if err != nil {
		t.Fatal(err)
	}
	if status, s := call(t, p.base, token, http.MethodPut, "/api/v1/styles/relief", bytes.NewReader(demSLD), "application/vnd.ogc.sld+xml"); status != http.StatusCreated {
		t.Fatalf("raster style: %d %v", status, s)
	}
	// An invalid style is refused with where it is wrong.
	if status, s := call(t, p.base, token, http.MethodPut, "/api/v1/styles/broken", strings.NewReader("<StyledLayerDescriptor>\n<NamedLayer><Name>x</Name>\n<UserStyle><FeatureTypeStyle><Rule><PolygonSymbolizer><Fill><CssParameter name=\"fill\">not a colour</CssParameter></Fill></PolygonSymbolizer></Rule></FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"), "application/vnd.ogc.sld+xml"); status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(s["error"]), "broken.sld:3:") {
		t.Errorf("an invalid style: %d %v", status, s)
	}
	pub := func(req map[string]any) map[string]any {
		b, _ := json.Marshal(req)
		status, v := call(t, p.base, token, http.MethodPost, "/api/v1/publications", bytes.NewReader(b), "application/json")
		if status != http.StatusCreated {
			t.Fatalf("publish %v: %d %v", req, status, v)
		}
		return v
	}
	depsPub := pub(map[string]any{"name": "deps", "dataset": depsID, "title": "Départements", "styles": []string{"red"}, "seed_max_zoom": 3})
	demPub := pub(map[string]any{"name": "dem", "dataset": demID, "styles": []string{"relief"}, "services": []string{"wms", "wmts"}})

	t.Cleanup(func() {
		if t.Failed() {
			logs := p.logs.String()
			t.Logf("server log (last 8 KiB):\n%s", logs[max(0, len(logs)-8<<10):])
		}
	})
	// Seen on every service, at once.
	for _, c := range []struct{ path, want string }{
		{"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", "<Name>deps</Name>"},
		{"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", "<Name>dem</Name>"},
		{"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", "<Name>points</Name>"},
		{"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities", "tuiles:deps"},
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "<ows:Identifier>deps</ows:Identifier>"},
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "<ows:Identifier>dem</ows:Identifier>"},
	} {
		if _, _, b := fetch(t, http.MethodGet, p.base+c.path, "", nil); !strings.Contains(b, c.want) {
			t.Errorf("%s lacks %s", c.path, c.want)
		}
	}
	// The server seeds the published layer down to zoom 3 on its own, and
	// an operator seeds it further with tuiles seed.
	waitFor(t, p, "background seed done")
	if out := runTuiles(t, "seed", "--config", cfg, "--layer", "deps", "--zoom", "4-5"); !strings.Contains(out, "seeded deps") {
		t.Errorf("tuiles seed of a published layer: %s", out)
	}
	const tile = "/tiles/deps/WebMercatorQuad/6/32/22.png"
	if c := centreColour(t, p.base+tile); c != [3]uint8{255, 0, 0} {
		t.Errorf("tile centre %v, want the style's red", c)
	}
	if status, h, b := fetch(t, http.MethodGet, p.base+"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=deps&STYLES=&CRS=EPSG:3857&BBOX=-600000,5000000,1100000,6700000&WIDTH=256&HEIGHT=256&FORMAT=image/png", "", nil); status != 200 || h.Get("Content-Type") != "image/png" || len(b) < 100 {
		t.Errorf("GetMap deps: %d %s", status, h.Get("Content-Type"))
	}
	bounds := dem["bounds"].([]any)
	demBBox := fmt.Sprintf("%v,%v,%v,%v", bounds[1], bounds[0], bounds[3], bounds[2])
	if status, h, _ := fetch(t, http.MethodGet, p.base+"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=dem&STYLES=&CRS=EPSG:4326&BBOX="+demBBox+"&WIDTH=200&HEIGHT=200&FORMAT=image/png", "", nil); status != 200 || h.Get("Content-Type") != "image/png" {
		t.Errorf("GetMap dem: %d %s", status, h.Get("Content-Type"))
	}
	_, matched, _ := wfsJSONAt(t, p.base, "TYPENAMES=tuiles:deps&COUNT=1")
	if matched != 96 {
		t.Errorf("GetFeature deps: numberMatched %d", matched)
	}

	// New data: only Brittany. The tile over the centre of France is
	// no longer red: the cache was emptied, not served stale.
	body, ct = form(t, nil, shapefileZip(t, dir, "bretagne", "code_region = '53'"))
	status, up := call(t, p.base, token, http.MethodPost, fmt.Sprintf("/api/v1/datasets/%d/versions", depsID), body, ct)
	if status != http.StatusAccepted {
		t.Fatalf("new version: %d %v", status, up)
	}
	if j := waitJob(t, p.base, token, up["job"]); j["status"] != "succeeded" {
		t.Fatalf("update job: %v", j)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, matched, _ = wfsJSONAt(t, p.base, "TYPENAMES=tuiles:deps&COUNT=1")
		if matched == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if matched != 4 {
		t.Errorf("after the update: numberMatched %d, want Brittany's 4", matched)
	}
	// The tile now lies outside the data (404), or shows no red.
	if status, _, _ := fetch(t, http.MethodGet, p.base+tile, "", nil); status != http.StatusNotFound {
		if c := centreColour(t, p.base+tile); c == [3]uint8{255, 0, 0} {
			t.Errorf("after the update the tile is still the old one (red centre)")
		}
	}
	// A tile over Brittany is drawn from the new data.
	if c := centreColour(t, p.base+"/tiles/deps/WebMercatorQuad/8/125/88.png"); c != [3]uint8{255, 0, 0} {
		t.Errorf("a tile over Brittany after the update: centre %v", c)
	}

	// A restricted publication: its key opens it, nothing else does.
	secret := pub(map[string]any{"name": "deps-private", "dataset": depsID, "restricted": true})
	key, _ := secret["access_key"].(string)
	if key == "" {
		t.Fatalf("a restricted publication without its key: %v", secret)
	}
	const privateTile = "/tiles/deps-private/WebMercatorQuad/8/125/88.png"
	if status, _, _ := fetch(t, http.MethodGet, p.base+privateTile, "", nil); status != http.StatusNotFound {
		t.Errorf("the restricted layer's tile without its key: %d", status)
	}
	if status, _, _ := fetch(t, http.MethodGet, p.base+privateTile+"?apikey="+key, "", nil); status != http.StatusOK {
		t.Errorf("the restricted layer's tile with its key: %d", status)
	}
	if _, _, b := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "", nil); strings.Contains(b, "deps-private") {
		t.Error("the restricted layer is in WFS capabilities without its key")
	}
	if status, v := call(t, p.base, token, http.MethodDelete, fmt.Sprintf("/api/v1/publications/%d", idOf(secret)), nil, ""); status != http.StatusNoContent {
		t.Fatalf("unpublish: %d %v", status, v)
	}
	if strings.Contains(p.logs.String(), key) {
		t.Error("the access key reached the log")
	}

	// Unpublish: gone from every service.
	for _, pb := range []map[string]any{depsPub, demPub} {
		if status, v := call(t, p.base, token, http.MethodDelete, fmt.Sprintf("/api/v1/publications/%d", idOf(pb)), nil, ""); status != http.StatusNoContent {
			t.Fatalf("unpublish: %d %v", status, v)
		}
	}
	if _, _, b := fetch(t, http.MethodGet, p.base+"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", "", nil); strings.Contains(b, "<Name>deps</Name>") || strings.Contains(b, "<Name>dem</Name>") || !strings.Contains(b, "<Name>points</Name>") {
		t.Error("WMS capabilities after unpublishing")
	}
	if status, _, _ := fetch(t, http.MethodGet, p.base+tile, "", nil); status != http.StatusNotFound {
		t.Errorf("a tile of the unpublished layer: %d", status)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "cache", "deps-WebMercatorQuad.mbtiles")); err == nil {
		t.Error("the unpublished layer's tile cache is still there")
	}
	if status, _, _ := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:deps&COUNT=1", "", nil); status == http.StatusOK {
		t.Error("GetFeature of the unpublished layer succeeded")
	}
	// The datasets can go now.
	for _, id := range []int{depsID, demID} {
		if status, v := call(t, p.base, token, http.MethodDelete, fmt.Sprintf("/api/v1/datasets/%d", id), nil, ""); status != http.StatusNoContent {
			t.Errorf("delete dataset %d: %d %v", id, status, v)
		}
	}
	if strings.Contains(p.logs.String(), token) {
		t.Error("the token reached the log")
	}
}

// wfsJSONAt is a GeoJSON GetFeature on the server at base.
func wfsJSONAt(t *testing.T, base, query string) (ids []string, matched, returned int) {
	t.Helper()
	status, _, body := fetch(t, http.MethodGet, base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&OUTPUTFORMAT=application/json&"+query, "", nil)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", query, status, body)
	}
	var fc struct {
		NumberMatched  int `json:"numberMatched"`
		NumberReturned int `json:"numberReturned"`
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil {
		t.Fatal(err)
	}
	return nil, fc.NumberMatched, fc.NumberReturned
}
