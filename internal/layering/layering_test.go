package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tuiles/tuiles/"

// rank orders the packages: a package may import only packages of a lower
// rank. Protocol packages share a rank so that none imports another.
// Support packages for tests and tools (rank -1) may import anything and
// must not be imported by production code.
var rank = map[string]int{
	"internal/gdal":            0,
	"internal/crs":             0,
	"store/filter":             1,
	"internal/geomproj":        1,
	"styles":                   2,
	"store":                    3,
	"store/ingest":             4,
	"producer":                 3,
	"render":                   4,
	"render/mvt":               4,
	"tiling":                   5,
	"tiling/mbtiles":           6,
	"tiling/pmtiles":           6,
	"tiling/tiler":             7,
	"tiling/seed":              8,
	"catalog":                  9,
	"ogc/ows":                  10,
	"ogc/tileserve":            11,
	"ogc/wms":                  12,
	"ogc/wmts":                 12,
	"ogc/tms":                  12,
	"ogc/xyz":                  12,
	"ogc/wfs":                  12,
	"api":                      12,
	"ogc/viewer":               12,
	"ogc/server":               13,
	"cmd/tuiles/config":        14,
	"cmd/tuiles":               15,
	"internal/xmlvalid":        -1,
	"internal/tiletest":        -1,
	"internal/layering":        -1,
	"internal/tools/demotiles": -1,
	"internal/tools/loadgen":   -1,
	"internal/syncbuf":         -1,
	"integration":              -1,
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		r, known := rank[pkg]
		if !known {
			t.Errorf("package %s has no place in the layering: add it to docs/architecture.md and to this test", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if imp == "net/http" && r >= 0 && !strings.HasPrefix(pkg, "ogc/") && pkg != "api" {
				t.Errorf("%s imports net/http: only ogc/... and api may", pkg)
			}
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			dr, known := rank[dep]
			switch {
			case !known:
				t.Errorf("%s imports %s, which has no place in the layering", pkg, dep)
			case r < 0:
				// Tests and tools may use anything.
			case dr < 0:
				t.Errorf("%s imports the test/tool package %s", pkg, dep)
			case dr >= r:
				t.Errorf("%s (rank %d) imports %s (rank %d): imports must point up the layering", pkg, r, dep, dr)
			}
		}
	}
}
