package gdal

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
)

// placesJSON is the reference fixture: Z coordinates, UTF-8 names, NULLs,
// a NULL geometry, dates, booleans and a list.
const placesJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"name":"Zürich","pop":402762,"area":87.88,"founded":"1218-01-01","seen":"2024-05-01T10:30:00Z","ok":true,"note":null,"tags":["a","b"]},"geometry":{"type":"Point","coordinates":[8.54,47.37,408]}},
{"type":"Feature","id":2,"properties":{"name":"東京","pop":13960000,"area":2194.07,"founded":"1603-03-24","seen":"2024-05-02T08:00:00+09:00","ok":false,"note":"capital","tags":["c"]},"geometry":{"type":"Point","coordinates":[139.69,35.69,40]}},
{"type":"Feature","id":3,"properties":{"name":"Nowhere","pop":null,"area":null,"founded":null,"seen":null,"ok":null,"note":null,"tags":null},"geometry":null}
]}`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ogr2ogr converts fixtures with GDAL's own tool, so the files read are
// files GDAL writes, not hand-made imitations.
func ogr2ogr(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Skip("ogr2ogr (gdal-bin) is not installed")
	}
	out, err := exec.Command("ogr2ogr", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
	}
}

func open(t *testing.T, path string, opts OpenOptions) *Dataset {
	t.Helper()
	d, err := OpenVector(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("OpenVector(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

func readAll(t *testing.T, d *Dataset, layer string, q ReadQuery) []Feature {
	t.Helper()
	var out []Feature
	for f, err := range d.Features(context.Background(), layer, q) {
		if err != nil {
			t.Fatalf("Features(%s): %v", layer, err)
		}
		out = append(out, f)
	}
	return out
}

func decode(t *testing.T, b []byte) geom.T {
	t.Helper()
	g, err := wkb.Unmarshal(b, wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	if err != nil {
		t.Fatalf("decoding WKB %x: %v", b, err)
	}
	return g
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func onlyLayer(t *testing.T, d *Dataset) LayerInfo {
	t.Helper()
	ls, err := d.Layers(context.Background())
	if err != nil {
		t.Fatalf("Layers: %v", err)
	}
	if len(ls) != 1 {
		t.Fatalf("Layers: got %d layers, want 1: %+v", len(ls), ls)
	}
	return ls[0]
}

func fieldIndex(t *testing.T, info LayerInfo, name string) int {
	t.Helper()
	for i, f := range info.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	t.Fatalf("layer %s has no field %q: %+v", info.Name, name, info.Fields)
	return -1
}

func TestGeoJSON(t *testing.T) {
	path := writeFile(t, t.TempDir(), "places.geojson", placesJSON)
	d := open(t, path, OpenOptions{})
	if got := d.Driver(); got != "GeoJSON" {
		t.Errorf("Driver = %q", got)
	}
	info := onlyLayer(t, d)
	if info.Name != "places" || info.GeometryType != "POINT" || !info.HasZ || info.HasM || info.FeatureCount != 3 {
		t.Errorf("layer = %+v", info)
	}
	if info.SRS == nil || info.SRS.String() != "EPSG:4979" || info.SRS.Horizontal == nil || info.SRS.Horizontal.String() != "EPSG:4326" {
		t.Errorf("SRS = %+v", info.SRS)
	}
	if e := info.Extent; e == nil || *e != (Extent{8.54, 35.69, 139.69, 47.37}) {
		t.Errorf("Extent = %+v", e)
	}
	wantTypes := map[string]FieldType{
		"name": FieldString, "pop": FieldInteger, "area": FieldReal, "founded": FieldDate,
		"seen": FieldDateTime, "ok": FieldBoolean, "note": FieldString, "tags": FieldStringList,
	}
	for _, f := range info.Fields {
		if want, ok := wantTypes[f.Name]; !ok || f.Type != want || !f.Nullable {
			t.Errorf("field %+v: want type %v, nullable", f, want)
		}
	}
	if len(info.Fields) != len(wantTypes) {
		t.Errorf("fields = %+v", info.Fields)
	}

	fs := readAll(t, d, "places", ReadQuery{})
	if len(fs) != 3 {
		t.Fatalf("got %d features", len(fs))
	}
	idx := func(n string) int { return fieldIndex(t, info, n) }
	tokyo := fs[1]
	if tokyo.FID != 2 || tokyo.Values[idx("name")] != "東京" || tokyo.Values[idx("pop")] != int64(13960000) ||
		tokyo.Values[idx("area")] != 2194.07 || tokyo.Values[idx("ok")] != false || tokyo.Values[idx("note")] != "capital" {
		t.Errorf("Tokyo = %+v", tokyo)
	}
	if got := tokyo.Values[idx("founded")]; got != time.Date(1603, 3, 24, 0, 0, 0, 0, time.UTC) {
		t.Errorf("founded = %v", got)
	}
	seen, _ := tokyo.Values[idx("seen")].(time.Time)
	if _, off := seen.Zone(); !seen.Equal(time.Date(2024, 5, 1, 23, 0, 0, 0, time.UTC)) || off != 9*3600 {
		t.Errorf("seen = %v", tokyo.Values[idx("seen")])
	}
	if got, _ := tokyo.Values[idx("tags")].([]string); len(got) != 1 || got[0] != "c" {
		t.Errorf("tags = %#v", tokyo.Values[idx("tags")])
	}
	if fs[0].Values[idx("note")] != nil || fs[0].Values[idx("ok")] != true {
		t.Errorf("Zürich = %+v", fs[0])
	}
	p, ok := decode(t, tokyo.WKB).(*geom.Point)
	if !ok || p.Layout() != geom.XYZ || p.X() != 139.69 || p.Y() != 35.69 || p.Z() != 40 {
		t.Errorf("Tokyo geometry = %#v", p)
	}
	if tokyo.Validity != Unchecked {
		t.Errorf("Validity = %v without Validate", tokyo.Validity)
	}
	nowhere := fs[2]
	if nowhere.WKB != nil || nowhere.Values[idx("name")] != "Nowhere" {
		t.Errorf("Nowhere = %+v", nowhere)
	}
	for i, v := range nowhere.Values {
		if i != idx("name") && v != nil {
			t.Errorf("Nowhere.%s = %#v, want NULL", info.Fields[i].Name, v)
		}
	}
}

// zipDir writes the files of dir whose names start with base into a zip.
func zipDir(t *testing.T, dir, base, out string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), base+".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// isWGS84 accepts both names of WGS 84 longitude/latitude: the same data
// in x,y order. (A 3D ESRI .prj, once its height is stripped, matches
// OGC:CRS84 only.)
func isWGS84(s SRS) bool { return s.String() == "EPSG:4326" || s.String() == "OGC:CRS84" }

// TestFormats reads the fixture after GDAL converted it to each format the
// import promises, and checks what every format can carry: names in
// UTF-8, numbers, NULLs, the NULL geometry and the coordinates.
func TestFormats(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "places.geojson", placesJSON)
	convert := func(driver, name string, extra ...string) string {
		out := filepath.Join(dir, name)
		// Not every format has lists: make them text everywhere.
		args := append([]string{"-f", driver, out, src, "-nln", "places", "-mapFieldType", "StringList=String"}, extra...)
		ogr2ogr(t, args...)
		return out
	}
	shpDir := filepath.Join(dir, "shp")
	if err := os.Mkdir(shpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Shapefiles default to Latin-1, which has no 東京.
	shp := convert("ESRI Shapefile", "shp/places.shp", "-lco", "ENCODING=UTF-8")
	zipped := filepath.Join(dir, "places.zip")
	zipDir(t, shpDir, "places", zipped)

	tests := []struct {
		name, path, driver, layer string
		// features: FlatGeobuf drops features without geometry when
		// written, so its file has only 2.
		features int
	}{
		{"GeoJSON", src, "GeoJSON", "places", 3},
		{"Shapefile", shp, "ESRI Shapefile", "places", 3},
		{"zipped Shapefile", zipped, "ESRI Shapefile", "places", 3},
		{"GeoPackage", convert("GPKG", "places.gpkg"), "GPKG", "places", 3},
		{"KML", convert("KML", "places.kml"), "LIBKML", "places", 3},
		{"GML", convert("GML", "places.gml"), "GML", "places", 3},
		{"FlatGeobuf", convert("FlatGeobuf", "places.fgb"), "FlatGeobuf", "places", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := open(t, tc.path, OpenOptions{})
			if got := d.Driver(); got != tc.driver && !(tc.driver == "LIBKML" && got == "KML") {
				t.Errorf("Driver = %q, want %q", got, tc.driver)
			}
			info, err := d.Layer(context.Background(), tc.layer)
			if err != nil {
				t.Fatalf("Layer: %v", err)
			}
			if info.FeatureCount != int64(tc.features) {
				t.Errorf("FeatureCount = %d", info.FeatureCount)
			}
			if info.SRS == nil {
				t.Errorf("no SRS")
			} else if s := info.SRS; !isWGS84(*s) && (s.Horizontal == nil || !isWGS84(*s.Horizontal)) {
				t.Errorf("SRS = %s (horizontal %v)", s, s.Horizontal)
			}
			fs := readAll(t, d, tc.layer, ReadQuery{Validate: true})
			if len(fs) != tc.features {
				t.Fatalf("got %d features", len(fs))
			}
			name := fieldIndex(t, info, "name")
			pop := fieldIndex(t, info, "pop")
			// Keyed by name: FlatGeobuf sorts features along its spatial
			// index.
			wantXYZ := map[string][3]float64{"Zürich": {8.54, 47.37, 408}, "東京": {139.69, 35.69, 40}, "Nowhere": {}}
			for i, f := range fs {
				nm, _ := f.Values[name].(string)
				w, ok := wantXYZ[nm]
				if !ok {
					t.Errorf("feature %d name = %#v", i, f.Values[name])
					continue
				}
				delete(wantXYZ, nm)
				if nm == "Nowhere" {
					if f.Values[pop] != nil {
						t.Errorf("NULL pop read as %#v", f.Values[pop])
					}
					if f.WKB != nil {
						t.Errorf("NULL geometry read as %x", f.WKB)
					}
					continue
				}
				if f.Values[pop] == nil {
					t.Errorf("feature %d pop is NULL", i)
				}
				p, ok := decode(t, f.WKB).(*geom.Point)
				if !ok {
					t.Fatalf("feature %d geometry %T", i, decode(t, f.WKB))
				}
				if !near(p.X(), w[0], 1e-9) || !near(p.Y(), w[1], 1e-9) || p.Layout() != geom.XYZ || !near(p.Z(), w[2], 1e-9) {
					t.Errorf("feature %d at %v (%v), want %v", i, p.FlatCoords(), p.Layout(), w)
				}
				if f.Validity != Valid && HasGEOS() {
					t.Errorf("feature %d validity %v", i, f.Validity)
				}
			}
		})
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	t.Run("WKT", func(t *testing.T) {
		path := writeFile(t, dir, "wkt.csv", "id,name,wkt\n1,É,\"POLYGON((0 0,1 0,1 1,0 1,0 0))\"\n2,b,\"POINT (3 4)\"\n3,c,\n")
		d := open(t, path, OpenOptions{Options: []string{"GEOM_POSSIBLE_NAMES=wkt", "KEEP_GEOM_COLUMNS=NO", "AUTODETECT_TYPE=YES"}})
		info := onlyLayer(t, d)
		if info.GeometryType != "GEOMETRY" || info.SRS != nil {
			t.Errorf("layer = %+v", info)
		}
		if len(info.Fields) != 2 || info.Fields[0].Type != FieldInteger || info.Fields[1].Name != "name" {
			t.Errorf("fields = %+v", info.Fields)
		}
		fs := readAll(t, d, info.Name, ReadQuery{})
		if len(fs) != 3 || fs[0].Values[0] != int64(1) || fs[0].Values[1] != "É" || fs[2].WKB != nil {
			t.Fatalf("features = %+v", fs)
		}
		if _, ok := decode(t, fs[0].WKB).(*geom.Polygon); !ok {
			t.Errorf("feature 1 is %T", decode(t, fs[0].WKB))
		}
		counts, err := d.GeometryTypes(context.Background(), info.Name, ReadQuery{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, c := range counts {
			got[c.Type] += c.Count
		}
		if got["POLYGON"] != 1 || got["POINT"] != 1 || got["NONE"] != 1 {
			t.Errorf("GeometryTypes = %+v", counts)
		}
	})
	t.Run("lon/lat", func(t *testing.T) {
		path := writeFile(t, dir, "lonlat.csv", "id,lon,lat,t,n\n1,2.35,48.85,10:30:00,5\n2,3,45,11:00:01.5,\n")
		d := open(t, path, OpenOptions{Options: []string{"X_POSSIBLE_NAMES=lon", "Y_POSSIBLE_NAMES=lat", "AUTODETECT_TYPE=YES"}})
		info := onlyLayer(t, d)
		if info.GeometryType != "POINT" {
			t.Errorf("GeometryType = %s", info.GeometryType)
		}
		tf := fieldIndex(t, info, "t")
		if info.Fields[tf].Type != FieldTime {
			t.Errorf("t is %v", info.Fields[tf].Type)
		}
		fs := readAll(t, d, info.Name, ReadQuery{SourceSRS: "EPSG:4326", TargetSRS: "EPSG:2154"})
		if len(fs) != 2 {
			t.Fatalf("got %d features", len(fs))
		}
		if fs[0].Values[tf] != "10:30:00" || fs[1].Values[tf] != "11:00:01.500" || fs[1].Values[fieldIndex(t, info, "n")] != nil {
			t.Errorf("values = %v, %v", fs[0].Values, fs[1].Values)
		}
		p := decode(t, fs[0].WKB).(*geom.Point)
		if !near(p.X(), 652301.56, 1) || !near(p.Y(), 6861302.73, 1) {
			t.Errorf("2.35,48.85 in EPSG:2154 = %v", p.FlatCoords())
		}
	})
	t.Run("no CRS to reproject from", func(t *testing.T) {
		path := writeFile(t, dir, "nocrs.csv", "lon,lat\n1,2\n")
		d := open(t, path, OpenOptions{Options: []string{"X_POSSIBLE_NAMES=lon", "Y_POSSIBLE_NAMES=lat"}})
		for _, err := range d.Features(context.Background(), "nocrs", ReadQuery{TargetSRS: "EPSG:2154"}) {
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no CRS") {
				t.Errorf("err = %v", err)
			}
			break
		}
	})
}

func TestReproject(t *testing.T) {
	path := writeFile(t, t.TempDir(), "paris.geojson",
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[2.35,48.85]}}]}`)
	d := open(t, path, OpenOptions{})
	fs := readAll(t, d, "paris", ReadQuery{TargetSRS: "EPSG:2154"})
	p := decode(t, fs[0].WKB).(*geom.Point)
	if !near(p.X(), 652301.56, 1) || !near(p.Y(), 6861302.73, 1) {
		t.Errorf("2.35,48.85 in EPSG:2154 = %v", p.FlatCoords())
	}
	for _, err := range d.Features(context.Background(), "paris", ReadQuery{TargetSRS: "EPSG:999999"}) {
		if err == nil || !strings.Contains(err.Error(), "EPSG:999999") {
			t.Errorf("unknown target CRS: err = %v", err)
		}
	}
}

func TestWhere(t *testing.T) {
	path := writeFile(t, t.TempDir(), "places.geojson", placesJSON)
	d := open(t, path, OpenOptions{})
	fs := readAll(t, d, "places", ReadQuery{Where: "pop > 1000000"})
	if len(fs) != 1 || fs[0].FID != 2 {
		t.Errorf("pop > 1000000: %+v", fs)
	}
	counts, err := d.GeometryTypes(context.Background(), "places", ReadQuery{Where: "pop IS NULL"})
	if err != nil || len(counts) != 1 || counts[0].Type != "NONE" || counts[0].Count != 1 {
		t.Errorf("GeometryTypes(pop IS NULL) = %+v, %v", counts, err)
	}
	// The filter ends with the iteration.
	if fs := readAll(t, d, "places", ReadQuery{}); len(fs) != 3 {
		t.Errorf("after a filtered read, got %d features", len(fs))
	}
	if info, _ := d.Layer(context.Background(), "places"); info.FeatureCount != 3 {
		t.Errorf("after a filtered read, FeatureCount = %d", info.FeatureCount)
	}
	var n int
	for _, err := range d.Features(context.Background(), "places", ReadQuery{Where: "pop >>> 'x"}) {
		n++
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "pop >>> 'x") {
			t.Errorf("bad where: err = %v", err)
		}
	}
	if n != 1 {
		t.Errorf("bad where yielded %d times", n)
	}
}

func TestGeometryConversion(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "mixed.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"n":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
{"type":"Feature","properties":{"n":2},"geometry":{"type":"MultiPolygon","coordinates":[[[[2,2],[3,2],[3,3],[2,2]]],[[[5,5],[6,5],[6,6],[5,5]]]]}}
]}`)
	out := filepath.Join(dir, "mixed.shp")
	ogr2ogr(t, "-f", "ESRI Shapefile", out, src)
	d := open(t, out, OpenOptions{})
	info := onlyLayer(t, d)
	if info.GeometryType != "POLYGON" {
		t.Errorf("a polygon shapefile declares %s", info.GeometryType)
	}
	counts, err := d.GeometryTypes(context.Background(), info.Name, ReadQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Type] = c.Count
	}
	if len(got) != 2 || got["POLYGON"] != 1 || got["MULTIPOLYGON"] != 1 {
		t.Errorf("GeometryTypes = %+v", counts)
	}
	for _, f := range readAll(t, d, info.Name, ReadQuery{PromoteToMulti: true, Dim: DimXYZ}) {
		mp, ok := decode(t, f.WKB).(*geom.MultiPolygon)
		if !ok || mp.Layout() != geom.XYZ {
			t.Errorf("promoted feature %d: %T %v", f.FID, decode(t, f.WKB), decode(t, f.WKB).Layout())
		}
	}

	curve := writeFile(t, dir, "curve.csv", "id,wkt\n1,\"CIRCULARSTRING (0 0,1 1,2 0)\"\n2,\"TIN (((0 0 0,0 1 0,1 1 0,0 0 0)))\"\n3,\"POINT ZM (1 2 3 4)\"\n")
	d = open(t, curve, OpenOptions{Options: []string{"GEOM_POSSIBLE_NAMES=wkt", "KEEP_GEOM_COLUMNS=NO"}})
	fs := readAll(t, d, "curve", ReadQuery{Linear: true})
	if ls, ok := decode(t, fs[0].WKB).(*geom.LineString); !ok || ls.NumCoords() < 3 {
		t.Errorf("linearised circular string: %#v", decode(t, fs[0].WKB))
	}
	if _, ok := decode(t, fs[1].WKB).(*geom.MultiPolygon); !ok {
		t.Errorf("TIN as %T", decode(t, fs[1].WKB))
	}
	if p := decode(t, fs[2].WKB); p.Layout() != geom.XYZM {
		t.Errorf("POINT ZM read as %v", p.Layout())
	}
	fs = readAll(t, d, "curve", ReadQuery{Dim: DimXY})
	if p := decode(t, fs[2].WKB); p.Layout() != geom.XY || p.FlatCoords()[0] != 1 || p.FlatCoords()[1] != 2 {
		t.Errorf("POINT ZM forced to XY: %v %v", p.Layout(), p.FlatCoords())
	}
	if fs[0].WKB[1] != 8 { // ISO WKB CircularString, kept without Linear
		t.Errorf("circular string WKB type %d", fs[0].WKB[1])
	}
}

func TestValidity(t *testing.T) {
	if !HasGEOS() {
		t.Skip("libgdal without GEOS")
	}
	path := writeFile(t, t.TempDir(), "shapes.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"n":"square"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
{"type":"Feature","properties":{"n":"bow-tie"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},
{"type":"Feature","properties":{"n":"too few points"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}},
{"type":"Feature","properties":{"n":"no geometry"},"geometry":null}
]}`)
	d := open(t, path, OpenOptions{})
	fs := readAll(t, d, "shapes", ReadQuery{Validate: true})
	want := []Validity{Valid, Invalid, Invalid, Unchecked}
	if len(fs) != len(want) {
		t.Fatalf("got %d features", len(fs))
	}
	for i, f := range fs {
		if f.Validity != want[i] {
			t.Errorf("%v: %v, want %v", f.Values[0], f.Validity, want[i])
		}
	}
}

func TestBinary(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "places.geojson", placesJSON)
	out := filepath.Join(dir, "blob.gpkg")
	ogr2ogr(t, "-f", "GPKG", out, src, "-dialect", "SQLite", "-sql", "SELECT name, X'DEADBEEF' AS blob, geometry FROM places", "-nln", "blob")
	d := open(t, out, OpenOptions{})
	info := onlyLayer(t, d)
	if info.FIDColumn != "fid" || info.GeometryColumn == "" || info.Fields[1].Type != FieldBinary {
		t.Errorf("layer = %+v", info)
	}
	fs := readAll(t, d, "blob", ReadQuery{})
	if b, _ := fs[0].Values[1].([]byte); !bytes.Equal(b, []byte{0xde, 0xad, 0xbe, 0xef}) {
		t.Errorf("blob = %#v", fs[0].Values[1])
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, content string
	}{
		{"garbage", "garbage.geojson", "\x00\x01 this is not GeoJSON \xff"},
		{"truncated GeoJSON", "truncated.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,`},
		{"unknown format", "notes.txt", "hello"},
		{"corrupt zip", "broken.zip", "PK\x03\x04 not really a zip"},
		{"corrupt GeoPackage", "broken.gpkg", "SQLite format 3\x00 and then garbage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, tc.file, tc.content)
			d, err := OpenVector(context.Background(), path, OpenOptions{})
			if err == nil {
				// A driver may accept the header and fail later: reading
				// must fail then, naming the file.
				defer d.Close()
				err = readEverything(d)
			}
			if err == nil || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("err = %v, want an error naming %s", err, tc.file)
			}
		})
	}
	missing := filepath.Join(dir, "missing.shp")
	if _, err := OpenVector(context.Background(), missing, OpenOptions{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := OpenVector(ctx, missing, OpenOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled open: err = %v", err)
	}
}

// readEverything reads every layer to the end, as an import would.
func readEverything(d *Dataset) error {
	ls, err := d.Layers(context.Background())
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		return errors.New(d.Path() + ": no layers")
	}
	for _, l := range ls {
		if _, err := d.GeometryTypes(context.Background(), l.Name, ReadQuery{}); err != nil {
			return err
		}
		for _, err := range d.Features(context.Background(), l.Name, ReadQuery{Validate: true, Linear: true}) {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// TestCorruptShapefile damages a shapefile in the ways files get damaged
// (cut short, overwritten) and wants an error or a clean read, never a
// panic or a crash.
func TestCorruptShapefile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 200 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"Feature","properties":{"n":` + strconv.Itoa(i) + `,"s":"x` + strconv.Itoa(i) + `"},"geometry":{"type":"LineString","coordinates":[[0,0],[1,` + strconv.Itoa(i) + `],[2,0]]}}`)
	}
	b.WriteString("]}")
	src := writeFile(t, dir, "lines.geojson", b.String())
	good := filepath.Join(dir, "good")
	ogr2ogr(t, "-f", "ESRI Shapefile", good, src)
	for _, ext := range []string{"shp", "dbf", "shx"} {
		orig, err := os.ReadFile(filepath.Join(good, "lines."+ext))
		if err != nil {
			t.Fatal(err)
		}
		for _, damage := range []string{"truncate", "scribble"} {
			t.Run(ext+"/"+damage, func(t *testing.T) {
				bad := filepath.Join(dir, ext+damage)
				ogr2ogr(t, "-f", "ESRI Shapefile", bad, src)
				mod := append([]byte(nil), orig...)
				switch damage {
				case "truncate":
					mod = mod[:len(mod)*2/3]
				case "scribble":
					for i := 120; i < len(mod); i += 37 {
						mod[i] = 0xff
					}
				}
				path := filepath.Join(bad, "lines."+ext)
				if err := os.WriteFile(path, mod, 0o644); err != nil {
					t.Fatal(err)
				}
				d, err := OpenVector(context.Background(), filepath.Join(bad, "lines.shp"), OpenOptions{})
				if err != nil {
					if !strings.Contains(err.Error(), bad) {
						t.Errorf("open error does not name the file: %v", err)
					}
					return
				}
				defer d.Close()
				err = readEverything(d)
				t.Logf("read: %v", err)
				if err != nil && !strings.Contains(err.Error(), bad) {
					t.Errorf("read error does not name the file: %v", err)
				}
			})
		}
	}
}

func TestCancel(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"Feature","properties":{"n":` + strconv.Itoa(i) + `},"geometry":{"type":"Point","coordinates":[1,2]}}`)
	}
	b.WriteString("]}")
	path := writeFile(t, t.TempDir(), "many.geojson", b.String())
	d := open(t, path, OpenOptions{})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var last error
	for _, err := range d.Features(ctx, "many", ReadQuery{}) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if n != 10 || !errors.Is(last, context.Canceled) || !strings.Contains(last.Error(), path) {
		t.Errorf("after cancel: %d features, err %v", n, last)
	}
	if _, err := d.GeometryTypes(ctx, "many", ReadQuery{}); !errors.Is(err, context.Canceled) {
		t.Errorf("GeometryTypes after cancel: %v", err)
	}

	// A broken-off iteration leaves the layer ready to read from the start.
	for range d.Features(context.Background(), "many", ReadQuery{}) {
		break
	}
	if fs := readAll(t, d, "many", ReadQuery{}); len(fs) != 5000 || fs[0].Values[0] != int64(0) {
		t.Errorf("read again: %d features", len(fs))
	}
	counts, err := d.GeometryTypes(context.Background(), "many", ReadQuery{})
	if err != nil || len(counts) != 1 || counts[0] != (GeometryCount{Type: "POINT", Count: 5000}) {
		t.Errorf("GeometryTypes = %+v, %v", counts, err)
	}
}

func TestMisuse(t *testing.T) {
	path := writeFile(t, t.TempDir(), "places.geojson", placesJSON)
	d, err := OpenVector(context.Background(), path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Layer(context.Background(), "nope"); !errors.Is(err, ErrNoLayer) || !strings.Contains(err.Error(), path) {
		t.Errorf("Layer(nope): %v", err)
	}
	for _, err := range d.Features(context.Background(), "nope", ReadQuery{}) {
		if !errors.Is(err, ErrNoLayer) {
			t.Errorf("Features(nope): %v", err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := d.Layers(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Layers after Close: %v", err)
	}
	for _, err := range d.Features(context.Background(), "places", ReadQuery{}) {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Features after Close: %v", err)
		}
	}

	// Closed under an iteration (which the documentation forbids): an
	// error, not a crash.
	d, err = OpenVector(context.Background(), path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range d.Features(context.Background(), "places", ReadQuery{TargetSRS: "EPSG:3857"}) {
		n++
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("Features after Close: %v", err)
			}
			break
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n != 2 {
		t.Errorf("iteration went on for %d rounds", n)
	}
}

// TestWarnings checks that GDAL's warnings reach the logger and not
// stderr.
func TestWarnings(t *testing.T) {
	path := writeFile(t, t.TempDir(), "places.geojson", placesJSON)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	d := open(t, path, OpenOptions{Options: []string{"NO_SUCH_OPTION=1"}, Logger: log})
	onlyLayer(t, d)
	if !strings.Contains(buf.String(), "NO_SUCH_OPTION") || !strings.Contains(buf.String(), path) {
		t.Errorf("log = %q", buf.String())
	}
}

// TestConcurrentDatasets reads one file through several Datasets at once:
// each call sequence must see only its own errors, whatever thread runs
// it. Half the readers use a filter that fails.
func TestConcurrentDatasets(t *testing.T) {
	path := writeFile(t, t.TempDir(), "places.geojson", placesJSON)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := OpenVector(context.Background(), path, OpenOptions{})
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			for range 20 {
				where := ""
				if i%2 == 1 {
					where = "no_such_field = 1"
				}
				n := 0
				var last error
				for _, err := range d.Features(context.Background(), "places", ReadQuery{Where: where, Validate: true}) {
					if err != nil {
						last = err
						break
					}
					n++
				}
				switch {
				case where == "" && (last != nil || n != 3):
					errs <- errors.Join(errors.New("good read failed"), last)
				case where != "" && last == nil:
					errs <- errors.New("bad filter accepted")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
