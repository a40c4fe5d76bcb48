package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// The KVP and RESTful capabilities are the same valid document.
func TestWMTSCapabilitiesValidate(t *testing.T) {
	resp, kvp := get(t, "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	xmlvalid.ValidateWMTSCapabilities(t, kvp)
	_, rest := get(t, "/wmts/1.0.0/WMTSCapabilities.xml")
	if !bytes.Equal(kvp, rest) {
		t.Error("KVP and RESTful capabilities differ")
	}
	for _, want := range []string{"urn:ogc:def:crs:EPSG::2154", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::3857", "<ows:Identifier>LAMB93</ows:Identifier>", "TileMatrixSetLimits"} {
		if !bytes.Contains(kvp, []byte(want)) {
			t.Errorf("capabilities lack %q", want)
		}
	}
	// An exception report from the live server validates too.
	resp, exc := get(t, "/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=france")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d", resp.StatusCode)
	}
	xmlvalid.Validate(t, exc, "ows/1.1.0/owsExceptionReport.xsd")
}

func python(t *testing.T) string {
	t.Helper()
	// OWSLib comes from Debian's python3-owslib, installed for the
	// system interpreter, which may not be the first python3 on PATH.
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import owslib").Run() == nil {
				return path
			}
		}
	}
	t.Fatal("no python3 with OWSLib (make test installs python3-owslib)")
	return ""
}

// OWSLib parses the capabilities and fetches a tile.
func TestOWSLib(t *testing.T) {
	script := `
import json, sys
from owslib.wmts import WebMapTileService
wmts = WebMapTileService(sys.argv[1] + "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
out = {"title": wmts.identification.title, "layers": {}, "sets": {}}
for name, layer in wmts.contents.items():
    out["layers"][name] = {
        "bbox": list(layer.boundingBoxWGS84),
        "sets": sorted(layer.tilematrixsetlinks.keys()),
        "formats": layer.formats,
        "limits": {s: {z: [l.mintilerow, l.maxtilerow, l.mintilecol, l.maxtilecol] for z, l in link.tilematrixlimits.items()} for s, link in layer.tilematrixsetlinks.items()},
    }
for name, tms in wmts.tilematrixsets.items():
    out["sets"][name] = {"crs": tms.crs, "levels": len(tms.tilematrix), "topleft0": list(list(tms.tilematrix.values())[0].topleftcorner)}
tile = wmts.gettile(layer="france", tilematrixset="LAMB93", tilematrix="6", row=12, column=1, format="image/png")
data = tile.read()
out["tile"] = {"bytes": len(data), "png": data[:8] == b"\x89PNG\r\n\x1a\n"}
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python(t), "-c", script, demo.base)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("OWSLib: %v\n%s", err, stderr.String())
	}
	var got struct {
		Title  string
		Layers map[string]struct {
			BBox    []float64
			Sets    []string
			Formats []string
			Limits  map[string]map[string][4]int
		}
		Sets map[string]struct {
			CRS      string
			Levels   int
			TopLeft0 []float64
		}
		Tile struct {
			Bytes int
			PNG   bool
		}
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.Title != "tuiles demo" {
		t.Errorf("title %q", got.Title)
	}
	france := got.Layers["france"]
	if strings.Join(france.Sets, ",") != "LAMB93,WebMercatorQuad" || len(france.Formats) != 1 || france.Formats[0] != "image/png" {
		t.Errorf("france: %+v", france)
	}
	if b := france.BBox; len(b) != 4 || b[0] > -5 || b[0] < -5.5 || b[3] < 51 || b[3] > 51.2 {
		t.Errorf("france WGS84 bbox %v", b)
	}
	if l := france.Limits["LAMB93"]["6"]; l != [4]int{11, 14, 0, 2} {
		t.Errorf("france LAMB93 level 6 limits %v, want rows 11-14, cols 0-2", l)
	}
	if s := got.Sets["LAMB93"]; s.CRS != "urn:ogc:def:crs:EPSG::2154" || s.Levels != 22 || len(s.TopLeft0) != 2 || s.TopLeft0[0] != 0 || s.TopLeft0[1] != 12000000 {
		t.Errorf("LAMB93 set %+v", s)
	}
	if s := got.Sets["WorldCRS84Quad"]; s.TopLeft0[0] != -180 || s.TopLeft0[1] != 90 {
		t.Errorf("WorldCRS84Quad set %+v", s)
	}
	if !got.Tile.PNG || got.Tile.Bytes < 100 {
		t.Errorf("tile %+v", got.Tile)
	}
}

// TileJSON describes the XYZ endpoint web maps use.
func TestTileJSON(t *testing.T) {
	resp, body := get(t, "/tiles/countries-vector/WebMercatorQuad/tiles.json")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var tj struct {
		TileJSON     string          `json:"tilejson"`
		Tiles        []string        `json:"tiles"`
		MinZoom      int             `json:"minzoom"`
		MaxZoom      int             `json:"maxzoom"`
		Bounds       []float64       `json:"bounds"`
		VectorLayers json.RawMessage `json:"vector_layers"`
	}
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.TileJSON != "3.0.0" || tj.MinZoom != 0 || tj.MaxZoom != 4 || len(tj.Tiles) != 1 || len(tj.Bounds) != 4 || !bytes.Contains(tj.VectorLayers, []byte(`"countries"`)) {
		t.Fatalf("TileJSON: %s", body)
	}
	want := demo.base + "/tiles/countries-vector/WebMercatorQuad/{z}/{x}/{y}.pbf"
	if tj.Tiles[0] != want {
		t.Errorf("tiles %q, want %q", tj.Tiles[0], want)
	}
	// The template resolves to a gzip-encoded vector tile.
	url := strings.NewReplacer("{z}", "3", "{x}", "4", "{y}", "2").Replace(strings.TrimPrefix(tj.Tiles[0], demo.base))
	resp, _ = get(t, url, "Accept-Encoding", "gzip")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("vector tile: status %d encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}

// `tuiles check` reports every problem of a bad config with file and line,
// and exits non-zero.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	body := "layers:\n  - name: a\n    data: {mbtiles: missing.mbtiles}\n    colour: red\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(demo.bin, "check", "--config", cfg).CombinedOutput()
	if err == nil {
		t.Fatalf("check accepted a bad config:\n%s", out)
	}
	for _, want := range []string{"bad.yaml:4", "colour", "missing.mbtiles"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(demo.bin, "check", "--config", filepath.Join(demo.root, "testdata/demo/tuiles.yaml")).CombinedOutput()
	if err != nil {
		t.Errorf("check rejects the demo: %v\n%s", err, out)
	}
}
