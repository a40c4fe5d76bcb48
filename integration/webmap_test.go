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
	out, err := exec.CommandContext(ctx, "node", filepath.Join(dir, "check.mjs"), demo.base, shots).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node check.mjs: %v\n%s\n%s", err, out, stderr)
	}
	var got map[string]struct {
		Drawn    int
		Requests int
		Failures []string
		Errors   []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, name := range []string{"wmts", "mvt"} {
		m, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: no result", name)
		case len(m.Failures) > 0 || len(m.Errors) > 0:
			t.Errorf("%s: failed requests %v, page errors %v", name, m.Failures, m.Errors)
		case m.Requests < 4:
			t.Errorf("%s: only %d requests to tuiles", name, m.Requests)
		case m.Drawn < 800*600/10:
			t.Errorf("%s: only %d pixels drawn (screenshot in %s)", name, m.Drawn, shots)
		}
	}
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
