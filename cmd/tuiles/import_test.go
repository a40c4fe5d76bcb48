package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// importPlaces is the reference source: UTF-8, NULLs, a NULL geometry, Z,
// dates, booleans, a list, and explicit ids.
const importPlaces = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"name":"Zürich","pop":402762,"area":87.88,"founded":"1218-01-01","seen":"2024-05-01T10:30:00Z","ok":true,"note":null,"tags":["a","b"]},"geometry":{"type":"Point","coordinates":[8.54,47.37,408]}},
{"type":"Feature","id":2,"properties":{"name":"東京","pop":13960000,"area":2194.07,"founded":"1603-03-24","seen":"2024-05-02T08:00:00+09:00","ok":false,"note":"capital","tags":["c"]},"geometry":{"type":"Point","coordinates":[139.69,35.69,40]}},
{"type":"Feature","id":3,"properties":{"name":"Nowhere","pop":null,"area":null,"founded":null,"seen":null,"ok":null,"note":null,"tags":null},"geometry":null}
]}`

func writeSource(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runImportCmd runs `tuiles import args...` through run, as main does.
func runImportCmd(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, append([]string{"import"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func mustImport(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runImportCmd(t, t.Context(), args...)
	if code != exitOK {
		t.Fatalf("tuiles import %v: exit %d\n%s%s", args, code, out, errs)
	}
	return out
}

type storedLayer struct {
	layer    store.Layer
	features []store.Feature
}

// readStore reads a layer back through the store package.
func readStore(t *testing.T, path, layer string) storedLayer {
	t.Helper()
	st, err := store.Open(t.Context(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := st.Layer(layer)
	if err != nil {
		t.Fatal(err)
	}
	out := storedLayer{layer: l}
	for f, err := range st.Features(t.Context(), store.Query{Layer: layer, SortBy: []store.SortBy{{}}}) {
		if err != nil {
			t.Fatal(err)
		}
		out.features = append(out.features, f)
	}
	return out
}

func hasLayer(t *testing.T, path, layer string) bool {
	t.Helper()
	st, err := store.Open(t.Context(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Layer(layer)
	return err == nil
}

func (s storedLayer) field(t *testing.T, name string) int {
	t.Helper()
	for i, f := range s.layer.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	t.Fatalf("layer %s has no field %q: %+v", s.layer.Name, name, s.layer.Fields)
	return -1
}

func nearly(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestImportGeoJSON(t *testing.T) {
	dir := t.TempDir()
	src := writeSource(t, dir, "places.geojson", importPlaces)
	db := filepath.Join(dir, "store.gpkg")
	out := mustImport(t, src, "--layer", "places", "--into", db, "--title", "Places of note")
	if want := "imported 3 features into places (" + db + "), 0 invalid\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	s := readStore(t, db, "places")
	l := s.layer
	if l.Title != "Places of note" || l.GeometryType != "POINT" || l.Layout != geom.XYZ || l.CRS != crs.WGS84 || l.IDColumn != "fid" || l.GeometryColumn != "geom" {
		t.Errorf("layer = %+v", l)
	}
	wantKinds := map[string]filter.Kind{"name": filter.String, "pop": filter.Integer, "area": filter.Real, "founded": filter.Date,
		"seen": filter.DateTime, "ok": filter.Boolean, "note": filter.String, "tags": filter.String}
	for _, f := range l.Fields {
		if k, ok := wantKinds[f.Name]; !ok || k != f.Kind || !f.Nullable {
			t.Errorf("field %+v, want kind %v", f, k)
		}
	}
	if len(s.features) != 3 {
		t.Fatalf("%d features stored", len(s.features))
	}
	for i, f := range s.features {
		if f.ID != int64(i+1) {
			t.Errorf("feature %d has id %d, want the source's %d", i, f.ID, i+1)
		}
	}
	tokyo := s.features[1]
	get := func(f store.Feature, name string) any { return f.Properties[s.field(t, name)] }
	if get(tokyo, "name") != "東京" || get(tokyo, "pop") != int64(13960000) || get(tokyo, "area") != 2194.07 ||
		get(tokyo, "ok") != false || get(tokyo, "note") != "capital" || get(tokyo, "tags") != `["c"]` {
		t.Errorf("Tokyo = %#v", tokyo.Properties)
	}
	if d, _ := get(tokyo, "founded").(time.Time); !d.Equal(time.Date(1603, 3, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("founded = %#v", get(tokyo, "founded"))
	}
	if d, _ := get(tokyo, "seen").(time.Time); !d.Equal(time.Date(2024, 5, 1, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("seen = %#v", get(tokyo, "seen"))
	}
	p, ok := tokyo.Geometry.(*geom.Point)
	if !ok || p.Layout() != geom.XYZ || p.X() != 139.69 || p.Y() != 35.69 || p.Z() != 40 {
		t.Errorf("Tokyo geometry = %#v", tokyo.Geometry)
	}
	nowhere := s.features[2]
	if nowhere.Geometry != nil || get(nowhere, "name") != "Nowhere" {
		t.Errorf("Nowhere = %+v", nowhere)
	}
	for i, v := range nowhere.Properties {
		if l.Fields[i].Name != "name" && v != nil {
			t.Errorf("Nowhere.%s = %#v, want NULL", l.Fields[i].Name, v)
		}
	}
}

func TestImportFormats(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Skip("ogr2ogr (gdal-bin) is not installed")
	}
	dir := t.TempDir()
	src := writeSource(t, dir, "places.geojson", importPlaces)
	shp := filepath.Join(dir, "shp", "places.shp")
	if err := os.Mkdir(filepath.Dir(shp), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-mapFieldType", "StringList=String", shp, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "store.gpkg")

	t.Run("Shapefile", func(t *testing.T) {
		mustImport(t, shp, "--layer", "shp", "--into", db)
		s := readStore(t, db, "shp")
		if len(s.features) != 3 || s.layer.CRS != crs.WGS84 || s.layer.Layout != geom.XYZ {
			t.Fatalf("layer %+v, %d features", s.layer, len(s.features))
		}
		// OGR numbers Shapefile records from 0; the store from 1.
		for i, f := range s.features {
			if f.ID != int64(i+1) {
				t.Errorf("feature %d has id %d", i, f.ID)
			}
		}
		if name := s.features[1].Properties[s.field(t, "name")]; name != "東京" {
			t.Errorf("name = %#v", name)
		}
		if p := s.features[0].Geometry.(*geom.Point); p.X() != 8.54 || p.Y() != 47.37 || p.Z() != 408 {
			t.Errorf("Zürich at %v", p.FlatCoords())
		}
	})

	t.Run("GeoPackage", func(t *testing.T) {
		gpkg := filepath.Join(dir, "places.gpkg")
		if out, err := exec.Command("ogr2ogr", "-f", "GPKG", "-mapFieldType", "StringList=String", gpkg, src).CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr: %v\n%s", err, out)
		}
		mustImport(t, gpkg, "--layer", "gpkg", "--into", db)
		s := readStore(t, db, "gpkg")
		if len(s.features) != 3 || s.layer.IDColumn != "fid" || s.layer.CRS != crs.WGS84 || s.features[2].ID != 3 {
			t.Fatalf("layer %+v, %d features", s.layer, len(s.features))
		}
		if ok := s.features[0].Properties[s.field(t, "ok")]; ok != true {
			t.Errorf("ok = %#v", ok)
		}
	})

	t.Run("CSV with WKT", func(t *testing.T) {
		csv := writeSource(t, dir, "wkt.csv", "id,name,wkt\n1,É,\"POLYGON((0 0,1 0,1 1,0 1,0 0))\"\n2,b,\"MULTIPOLYGON(((2 2,3 2,3 3,2 2)))\"\n")
		code, _, errs := runImportCmd(t, t.Context(), csv, "--layer", "wkt", "--into", db)
		if code != exitError || !strings.Contains(errs, "wkt.csv") || !strings.Contains(errs, "--source-srs") {
			t.Errorf("CSV without a CRS: exit %d, %s", code, errs)
		}
		mustImport(t, csv, "--layer", "wkt", "--into", db, "--source-srs", "EPSG:2154")
		s := readStore(t, db, "wkt")
		// POLYGON and MULTIPOLYGON: stored as MULTIPOLYGON, the polygon
		// promoted.
		if s.layer.GeometryType != "MULTIPOLYGON" || s.layer.CRS != crs.Lambert93 || len(s.features) != 2 || len(s.layer.Fields) != 2 {
			t.Fatalf("layer %+v, %d features", s.layer, len(s.features))
		}
		if mp, ok := s.features[0].Geometry.(*geom.MultiPolygon); !ok || mp.NumPolygons() != 1 {
			t.Errorf("promoted polygon = %#v", s.features[0].Geometry)
		}
		if s.features[0].Properties[s.field(t, "id")] != int64(1) || s.features[0].Properties[s.field(t, "name")] != "É" {
			t.Errorf("properties = %#v", s.features[0].Properties)
		}
	})

	t.Run("CSV with lon/lat", func(t *testing.T) {
		csv := writeSource(t, dir, "lonlat.csv", "name,lon,lat,t\nParis,2.35,48.85,10:30:00\nLyon,4.83,45.76,\n")
		mustImport(t, csv, "--layer", "lonlat", "--into", db, "--source-srs", "EPSG:4326", "--srs", "EPSG:2154")
		s := readStore(t, db, "lonlat")
		if s.layer.GeometryType != "POINT" || s.layer.CRS != crs.Lambert93 || len(s.features) != 2 {
			t.Fatalf("layer %+v, %d features", s.layer, len(s.features))
		}
		if len(s.layer.Fields) != 2 || s.features[0].Properties[s.field(t, "t")] != "10:30:00" || s.features[1].Properties[s.field(t, "t")] != nil {
			t.Errorf("fields %+v, values %#v", s.layer.Fields, s.features[0].Properties)
		}
		p := s.features[0].Geometry.(*geom.Point)
		if !nearly(p.X(), 652301.56, 1) || !nearly(p.Y(), 6861302.73, 1) {
			t.Errorf("Paris at %v in EPSG:2154", p.FlatCoords())
		}
	})
}

func TestImportModes(t *testing.T) {
	dir := t.TempDir()
	src := writeSource(t, dir, "places.geojson", importPlaces)
	db := filepath.Join(dir, "store.gpkg")
	mustImport(t, src, "--layer", "places", "--into", db)

	code, out, errs := runImportCmd(t, t.Context(), src, "--layer", "places", "--into", db)
	if code != exitError || out != "" || !strings.Contains(errs, "--replace or --append") || !strings.Contains(errs, db) {
		t.Errorf("second create: exit %d, %q %q", code, out, errs)
	}

	mustImport(t, src, "--layer", "places", "--into", db, "--append")
	s := readStore(t, db, "places")
	if len(s.features) != 6 {
		t.Fatalf("after append: %d features", len(s.features))
	}
	for i, f := range s.features {
		if f.ID != int64(i+1) {
			t.Errorf("after append, feature %d has id %d", i, f.ID)
		}
	}

	mustImport(t, src, "--layer", "places", "--into", db, "--replace", "--where", "pop > 1000000")
	s = readStore(t, db, "places")
	if len(s.features) != 1 || s.features[0].ID != 2 || s.features[0].Properties[s.field(t, "name")] != "東京" {
		t.Errorf("after replace --where: %+v", s.features)
	}

	// Appending 2D points to a 3D layer gives them Z = 0, since a layer
	// has one layout.
	flat := writeSource(t, dir, "flat.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Bern"},"geometry":{"type":"Point","coordinates":[7.45,46.95]}}]}`)
	mustImport(t, flat, "--layer", "places", "--into", db, "--append")
	s = readStore(t, db, "places")
	if len(s.features) != 2 {
		t.Fatalf("after append: %d features", len(s.features))
	}
	if p := s.features[1].Geometry.(*geom.Point); p.Layout() != geom.XYZ || p.X() != 7.45 || p.Z() != 0 {
		t.Errorf("appended 2D point: %v %v", p.Layout(), p.FlatCoords())
	}

	// Fields are matched by name, whatever their order in the source.
	other := writeSource(t, dir, "other.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"note":"old town","pop":1,"name":"Basel"},"geometry":{"type":"Point","coordinates":[7.59,47.56,260]}}]}`)
	mustImport(t, other, "--layer", "places", "--into", db, "--append")
	s = readStore(t, db, "places")
	if f := s.features[2]; f.Properties[s.field(t, "name")] != "Basel" || f.Properties[s.field(t, "note")] != "old town" || f.Properties[s.field(t, "pop")] != int64(1) {
		t.Errorf("appended with fields in another order: %#v", f.Properties)
	}
}

func TestImportReproject(t *testing.T) {
	dir := t.TempDir()
	src := writeSource(t, dir, "paris.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":7,"properties":{"name":"Paris"},"geometry":{"type":"Point","coordinates":[2.35,48.85]}}]}`)
	db := filepath.Join(dir, "store.gpkg")
	mustImport(t, src, "--layer", "paris", "--into", db, "--srs", "EPSG:2154")
	s := readStore(t, db, "paris")
	if s.layer.CRS != crs.Lambert93 || len(s.features) != 1 || s.features[0].ID != 7 {
		t.Fatalf("layer %+v, features %+v", s.layer, s.features)
	}
	p := s.features[0].Geometry.(*geom.Point)
	if !nearly(p.X(), 652301.56, 1) || !nearly(p.Y(), 6861302.73, 1) {
		t.Errorf("2.35,48.85 → %v, want 652301.56, 6861302.73", p.FlatCoords())
	}
	if e := s.layer.Extent; !nearly(e.MinX, 652301.56, 1) || !nearly(e.MaxY, 6861302.73, 1) {
		t.Errorf("extent %v", e)
	}

	// Appending WGS 84 data to a Lambert-93 layer reprojects it.
	mustImport(t, src, "--layer", "paris", "--into", db, "--append")
	s = readStore(t, db, "paris")
	if p := s.features[1].Geometry.(*geom.Point); len(s.features) != 2 || !nearly(p.X(), 652301.56, 1) {
		t.Errorf("appended: %v", p.FlatCoords())
	}
}

const shapesJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"n":"square"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
{"type":"Feature","id":2,"properties":{"n":"bow-tie"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},
{"type":"Feature","id":3,"properties":{"n":"square 2"},"geometry":{"type":"Polygon","coordinates":[[[2,2],[3,2],[3,3],[2,3],[2,2]]]}}
]}`

func TestImportInvalid(t *testing.T) {
	dir := t.TempDir()
	src := writeSource(t, dir, "shapes.geojson", shapesJSON)
	db := filepath.Join(dir, "store.gpkg")

	code, out, errs := runImportCmd(t, t.Context(), src, "--layer", "shapes", "--into", db, "--invalid", "reject")
	if code != exitError || out != "" || !strings.Contains(errs, "feature 2") || !strings.Contains(errs, "shapes.geojson") {
		t.Errorf("reject: exit %d, %q %q", code, out, errs)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected import into a new store left the file: %v", err)
	}
	// Into an existing store: the store stays as it was.
	mustImport(t, writeSource(t, dir, "other.geojson", importPlaces), "--layer", "other", "--into", db)
	if code, _, _ := runImportCmd(t, t.Context(), src, "--layer", "shapes", "--into", db, "--invalid", "reject"); code != exitError {
		t.Errorf("reject: exit %d", code)
	}
	if hasLayer(t, db, "shapes") || !hasLayer(t, db, "other") {
		t.Errorf("a rejected import changed the store")
	}

	code, out, errs = runImportCmd(t, t.Context(), src, "--layer", "shapes", "--into", db)
	if code != exitOK || !strings.HasSuffix(out, ", 1 invalid\n") || !strings.Contains(errs, "1 invalid geometry imported; source FIDs: 2") {
		t.Errorf("import: exit %d, %q %q", code, out, errs)
	}
	if s := readStore(t, db, "shapes"); len(s.features) != 3 {
		t.Errorf("%d features imported", len(s.features))
	}
}

// bigSource writes a GeoJSON file of n points.
func bigSource(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		x := strconv.FormatFloat(-180+360*float64(i)/float64(n), 'f', 6, 64)
		b.WriteString(`{"type":"Feature","id":` + strconv.Itoa(i+1) + `,"properties":{"n":` + strconv.Itoa(i) + `,"s":"point ` + strconv.Itoa(i) + `"},"geometry":{"type":"Point","coordinates":[` + x + `,45]}}`)
	}
	b.WriteString("]}")
	return writeSource(t, dir, "big.geojson", b.String())
}

func TestImportInterrupted(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "store.gpkg")
	mustImport(t, writeSource(t, dir, "places.geojson", importPlaces), "--layer", "big", "--into", db)
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	src := bigSource(t, dir, 10000)

	// Cancelled half-way, as by Ctrl-C: main's signal context is what the
	// command sees.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cancelled := int64(0)
	im := importer{onFeature: func(n int64) {
		if n == 5000 {
			cancelled = n
			cancel()
		}
	}}
	var out, errb bytes.Buffer
	code := im.run(ctx, []string{src, "--layer", "big", "--into", db, "--replace"}, &out, &errb)
	if code != exitError || cancelled == 0 || !strings.Contains(errb.String(), "interrupted") || out.Len() != 0 {
		t.Errorf("exit %d after %d features, stdout %q, stderr %q", code, cancelled, out.String(), errb.String())
	}
	s := readStore(t, db, "big")
	if len(s.features) != 3 || s.features[1].Properties[s.field(t, "name")] != "東京" {
		t.Errorf("the interrupted import changed the layer: %d features", len(s.features))
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !samePages(before, after) {
		t.Errorf("the store file changed (%d bytes → %d)", len(before), len(after))
	}

	// Through run, with the context cancelled before the start.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if code, _, errs := runImportCmd(t, ctx, src, "--layer", "big", "--into", db, "--replace"); code != exitError || !strings.Contains(errs, "interrupted") {
		t.Errorf("cancelled import: exit %d, %q", code, errs)
	}

	// And the same import, left alone, goes through.
	mustImport(t, src, "--layer", "big", "--into", db, "--replace")
	if s := readStore(t, db, "big"); len(s.features) != 10000 || s.features[9999].ID != 10000 {
		t.Errorf("%d features", len(s.features))
	}
}

// samePages compares two SQLite files but for the header's change
// counters (bytes 24-27 and 92-95), which opening a file for writing and
// switching its journal mode bump without changing any content.
func samePages(a, b []byte) bool {
	if len(a) != len(b) || len(a) < 100 {
		return false
	}
	a, b = bytes.Clone(a), bytes.Clone(b)
	for _, r := range [][2]int{{24, 28}, {92, 96}} {
		clear(a[r[0]:r[1]])
		clear(b[r[0]:r[1]])
	}
	return bytes.Equal(a, b)
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	src := writeSource(t, dir, "places.geojson", importPlaces)
	db := filepath.Join(dir, "store.gpkg")
	broken := writeSource(t, dir, "broken.geojson", `{"type":"FeatureCollection","features":[{"type":`)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no SRC", []string{"--layer", "x", "--into", db}, exitUsage, "SRC is required"},
		{"no layer", []string{src, "--into", db}, exitUsage, "--layer is required"},
		{"two SRCs", []string{src, src, "--layer", "x"}, exitUsage, "one SRC"},
		{"replace and append", []string{src, "--layer", "x", "--replace", "--append"}, exitUsage, "exclude"},
		{"bad --invalid", []string{src, "--layer", "x", "--invalid", "drop"}, exitUsage, "--invalid"},
		{"unknown flag", []string{src, "--layer", "x", "--nope"}, exitUsage, "nope"},
		{"missing file", []string{filepath.Join(dir, "missing.shp"), "--layer", "x", "--into", db}, exitError, "missing.shp"},
		{"corrupt file", []string{broken, "--layer", "x", "--into", db}, exitError, "broken.geojson"},
		{"bad where", []string{src, "--layer", "x", "--into", db, "--where", "pop >>> 1"}, exitError, "pop >>> 1"},
		{"bad srs", []string{src, "--layer", "x", "--into", db, "--srs", "EPSG:nope"}, exitError, "--srs"},
		{"unknown source layer", []string{src, "--layer", "x", "--into", db, "--source-layer", "nope"}, exitError, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runImportCmd(t, t.Context(), tc.args...)
			if code != tc.code || out != "" || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, out, errs, tc.want)
			}
		})
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed imports left a store file: %v", err)
	}

	// Flags may come before SRC, and help goes to stdout.
	mustImport(t, "--layer", "first", "--into", db, src)
	var out bytes.Buffer
	if code := run(t.Context(), []string{"help", "import"}, &out, &out); code != exitOK || !strings.Contains(out.String(), "-source-layer") {
		t.Errorf("help import: exit %d, %s", code, out.String())
	}
}
