package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// webMapDeps installs the web map tests' npm packages (playwright-core and
// OpenLayers, pinned by package-lock.json) when they are missing.
func webMapDeps(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(demo.root, "integration", "webmap")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ol", "dist", "ol.js")); err == nil {
		return dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s (make test installs Node.js and npm): %v\n%s", dir, err, out)
	}
	return dir
}

// A web map (OpenLayers in Debian's headless Chromium) shows the rendered
// départements from WMTS capabilities and their vector tiles from
// TileJSON, with no failed request.
func TestWebMapInChromium(t *testing.T) {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("Debian's chromium is not installed (make test installs it)")
	}
	dir := webMapDeps(t)
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := runNode(ctx, t, filepath.Join(dir, "check.mjs"), demo.base, shots)
	got := decodeMaps(t, out)
	checkMaps(t, got, []string{"wmts", "mvt"}, 4, 800*600/10)
	if t.Failed() {
		if keep := os.Getenv("TUILES_DEBUG_DIR"); keep != "" {
			for _, n := range []string{"wmts.png", "mvt.png"} {
				if b, err := os.ReadFile(filepath.Join(shots, n)); err == nil {
					_ = os.WriteFile(filepath.Join(keep, n), b, 0o644)
				}
			}
		}
	}
}

// The layer viewer (/view/LAYER) in Debian's headless Chromium: the map
// shows the layer through its real service (WMTS tiles, vector tiles, a
// WMS raster) with no failed request, and a click at its centre shows
// the attributes there (GetFeatureInfo); screenshots are checked for
// drawn pixels.
func TestViewerInChromium(t *testing.T) {
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Fatal("Debian's chromium is not installed (make test installs it)")
	}
	dir := webMapDeps(t)
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	layers := []string{"departements", "departements-vector", "dem"}
	out := runNode(ctx, t, filepath.Join(dir, "viewer.mjs"), append([]string{demo.base, shots}, layers...)...)
	got := decodeMaps(t, out)
	checkMaps(t, got, layers, 3, 1000*700/20)
	// The screenshots show the départements in their style, whether drawn
	// by the server (WMTS) or by the browser from vector tiles: the
	// SLD's green (#bcd4a6) and Île-de-France's orange (#f4a259).
	for _, name := range []string{"departements", "departements-vector"} {
		green, orange := styleShare(t, filepath.Join(shots, name+".png"))
		if green < 0.10 || orange < 0.002 {
			t.Errorf("%s screenshot: %.1f%% of the map in the style's green, %.2f%% in its orange", name, 100*green, 100*orange)
		}
	}
	// The centre of the départements map is in France: the click names
	// a département.
	if info := got["departements"].Info; len(info) == 0 || info[0]["nom"] == nil {
		t.Errorf("a click on the départements shows %v", info)
	}
	if info := got["dem"].Info; len(info) == 0 {
		t.Errorf("a click on the DEM shows %v", info)
	}
	if t.Failed() {
		if keep := os.Getenv("TUILES_DEBUG_DIR"); keep != "" {
			for _, n := range layers {
				if b, err := os.ReadFile(filepath.Join(shots, n+".png")); err == nil {
					_ = os.WriteFile(filepath.Join(keep, "viewer-"+n+".png"), b, 0o644)
				}
			}
		}
	}
}

// runNode runs a Node.js script and returns its standard output.
func runNode(ctx context.Context, t *testing.T, script string, args ...string) []byte {
	t.Helper()
	out, err := exec.CommandContext(ctx, "node", append([]string{script}, args...)...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node %s: %v\n%s\n%s", filepath.Base(script), err, out, stderr)
	}
	return out
}

// browserMap is what a browser check reports of one map.
type browserMap struct {
	Drawn    int
	Requests int
	Failures []string
	Errors   []string
	Info     []map[string]any
}

func decodeMaps(t *testing.T, out []byte) map[string]browserMap {
	t.Helper()
	var got map[string]browserMap
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return got
}

// checkMaps wants each named map there, with no failed request or page
// error, at least minRequests requests to tuiles and minDrawn pixels.
func checkMaps(t *testing.T, got map[string]browserMap, names []string, minRequests, minDrawn int) {
	t.Helper()
	for _, name := range names {
		m, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: no result", name)
		case len(m.Failures) > 0 || len(m.Errors) > 0:
			t.Errorf("%s: failed requests %v, page errors %v", name, m.Failures, m.Errors)
		case m.Requests < minRequests:
			t.Errorf("%s: only %d requests to tuiles", name, m.Requests)
		case m.Drawn < minDrawn:
			t.Errorf("%s: only %d pixels drawn", name, m.Drawn)
		}
	}
}

// styleShare is the share of the map area (left of the side panel) of a
// viewer screenshot in the départements style's fill colours.
func styleShare(t *testing.T, path string) (green, orange float64) {
	t.Helper()
	img := readPNG(t, path)
	b := img.Bounds()
	mapWidth := b.Dx() * 6 / 10 // the map takes the page but the side panel
	near := func(r, g, bl uint32, want [3]uint32) bool {
		d := func(a, b uint32) uint32 {
			if a > b {
				return a - b
			}
			return b - a
		}
		return d(r>>8, want[0]) < 12 && d(g>>8, want[1]) < 12 && d(bl>>8, want[2]) < 12
	}
	var n, gr, or int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Min.X+mapWidth; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			n++
			if near(r, g, bl, [3]uint32{0xbc, 0xd4, 0xa6}) {
				gr++
			}
			if near(r, g, bl, [3]uint32{0xf4, 0xa2, 0x59}) {
				or++
			}
		}
	}
	return float64(gr) / float64(n), float64(or) / float64(n)
}
