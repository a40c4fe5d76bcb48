package mvt

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
)

// TestOGRReadsTile has GDAL's MVT driver read an encoded tile, as QGIS
// and ogr2ogr would. Written as {z}/{x}/{y}.pbf, a single tile is
// georeferenced in Web Mercator by GDAL, so coordinates can be checked
// too.
func TestOGRReadsTile(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatalf("ogrinfo not found (%v): install GDAL's command-line tools (Debian package gdal-bin) to run this test", err)
	}
	s := newFixture(t)
	col, row, b := parisTile(t)
	var e Encoder
	data, err := e.Encode(context.Background(), Request{Layers: allLayers(s), CRS: crs.WebMercator, BBox: b, Zoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "5", strconv.Itoa(col), strconv.Itoa(row)+".pbf")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"using driver `MVT' successful",
		"Layer name: polys", "Layer name: lines", "Layer name: points", "Layer name: mixed",
		"pop: Integer", "capital: Integer(Boolean)", "area: Real", "updated: String",
		"mvt_id (Integer64) = 3",
		"name (String) = Marseille",
		"updated (String) = 2024-05-06T07:08:09Z",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("ogrinfo output lacks %q", want)
		}
	}
	if got := strings.Count(text, "Feature Count: "); got != 4 {
		t.Errorf("%d layers with a feature count, want 4", got)
	}
	if !strings.Contains(text, "Layer name: points\nGeometry: Point\nFeature Count: 3\n") {
		t.Errorf("points layer not read as 3 points")
	}

	// Paris comes back within a tile unit of its Web Mercator position.
	m := regexp.MustCompile(`name \(String\) = Paris\n(?:.*\n)*?\s*POINT \(([-0-9.e]+) ([-0-9.e]+)\)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no Paris point in ogrinfo output:\n%s", text)
	}
	var gx, gy float64
	if _, err := fmt.Sscan(m[1]+" "+m[2], &gx, &gy); err != nil {
		t.Fatal(err)
	}
	wx, wy := mercator(2.35, 48.85)
	unit := b.Width() / 4096
	if math.Abs(gx-wx) > unit || math.Abs(gy-wy) > unit {
		t.Errorf("GDAL reads Paris at %g,%g, want %g,%g within %g", gx, gy, wx, wy, unit)
	}

	// The holed polygon is one polygon with a hole to GDAL too, which
	// tells exterior from interior rings by their winding.
	hm := regexp.MustCompile(`name \(String\) = holed\n(?:.*\n)*?\s*(MULTIPOLYGON .*)\n`).FindStringSubmatch(text)
	if hm == nil {
		t.Fatal("no holed polygon in ogrinfo output")
	}
	if wkt := hm[1]; strings.Count(wkt, "(((") != 1 || strings.Count(wkt, ")),((") != 0 || strings.Count(wkt, "),(") != 1 {
		t.Errorf("holed polygon read as %s, want one polygon with one hole", wkt)
	}
}
