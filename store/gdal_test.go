package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// gdalGeoJSON is the fixture ogr2ogr turns into a GeoPackage: every
// attribute type GDAL maps to a GeoPackage column, NULLs, UTF-8, 3D points.
const gdalGeoJSON = `{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"nom": "Paris", "pop": 2161000, "big": 9007199254740993, "surface": 105.4, "capitale": true, "fondée": "0052-01-01", "maj": "2024-01-02T03:04:05Z"},
 "geometry": {"type": "Point", "coordinates": [2.3522, 48.8566, 35]}},
{"type": "Feature", "properties": {"nom": "Saint-Étienne", "pop": 171000, "big": 1, "surface": 79.97, "capitale": false, "fondée": "1195-06-15", "maj": "2023-12-31T23:59:59Z"},
 "geometry": {"type": "Point", "coordinates": [4.3872, 45.4397, 516]}},
{"type": "Feature", "properties": {"nom": null, "pop": null, "big": null, "surface": null, "capitale": null, "fondée": null, "maj": null},
 "geometry": null},
{"type": "Feature", "properties": {"nom": "Nice", "pop": 342000, "big": 2, "surface": 71.92, "capitale": false, "fondée": "0350-01-01", "maj": "2022-06-01T12:00:00Z"},
 "geometry": {"type": "Point", "coordinates": [7.262, 43.7102, 10]}}
]}`

// TestReadGDALGeoPackage opens a file ogr2ogr made (in Lambert-93, so
// its CRS row comes from GDAL) and reads it back.
func TestReadGDALGeoPackage(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "villes.geojson")
	if err := os.WriteFile(src, []byte(gdalGeoJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	gpkg := filepath.Join(dir, "gdal.gpkg")
	ogr2ogr(t, "-f", "GPKG", gpkg, src, "-nln", "villes", "-t_srs", "EPSG:2154")

	ctx := context.Background()
	s, err := Open(ctx, gpkg, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Layer("villes")
	if err != nil {
		t.Fatalf("%v (layers: %v)", err, s.Layers())
	}
	if l.IDColumn != "fid" || l.GeometryColumn != "geom" || l.GeometryType != "POINT" || l.Layout != geom.XYZ || l.CRS != crs.Lambert93 {
		t.Errorf("layer %+v", l)
	}
	wantFields := []Field{
		{Name: "nom", Kind: filter.String, Nullable: true},
		{Name: "pop", Kind: filter.Integer, Nullable: true},
		{Name: "big", Kind: filter.Integer, Nullable: true},
		{Name: "surface", Kind: filter.Real, Nullable: true},
		{Name: "capitale", Kind: filter.Boolean, Nullable: true},
		{Name: "fondée", Kind: filter.Date, Nullable: true},
		{Name: "maj", Kind: filter.DateTime, Nullable: true},
	}
	if !reflect.DeepEqual(l.Fields, wantFields) {
		t.Errorf("fields\n got %+v\nwant %+v", l.Fields, wantFields)
	}
	if l.Extent.MinX < 600000 || l.Extent.MaxX > 1100000 || l.Extent.MinY < 6200000 || l.Extent.MaxY > 6900000 {
		t.Errorf("extent %v is not France in Lambert-93", l.Extent)
	}

	fs := collect(t, s.Features(ctx, Query{Layer: "villes"}))
	if len(fs) != 4 {
		t.Fatalf("%d features", len(fs))
	}
	want := []any{"Saint-Étienne", int64(171000), int64(1), 79.97, false,
		time.Date(1195, 6, 15, 0, 0, 0, 0, time.UTC), time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC)}
	if !reflect.DeepEqual(fs[1].Properties, want) {
		t.Errorf("feature 2\n got %#v\nwant %#v", fs[1].Properties, want)
	}
	if fs[0].Properties[2] != int64(9007199254740993) {
		t.Errorf("64-bit integer: %v", fs[0].Properties[2])
	}
	if !reflect.DeepEqual(fs[2].Properties, make([]any, 7)) || fs[2].Geometry != nil {
		t.Errorf("NULL feature %+v", fs[2])
	}
	// Paris, transformed by GDAL: about (652 400, 6 862 000), z kept.
	p := fs[0].Geometry.FlatCoords()
	if math.Abs(p[0]-652469) > 1000 || math.Abs(p[1]-6862035) > 1000 || p[2] != 35 {
		t.Errorf("Paris at %v", p)
	}
	// GDAL's R-tree answers our bbox queries.
	b := crs.Bounds{MinX: 600000, MinY: 6800000, MaxX: 700000, MaxY: 6900000}
	if got := ids(collect(t, s.Features(ctx, Query{Layer: "villes", BBox: &b}))); !reflect.DeepEqual(got, []int64{1}) {
		t.Errorf("bbox around Paris: %v", got)
	}
	if n, err := s.Count(ctx, Query{Layer: "villes", SortBy: []SortBy{{Property: "pop", Desc: true}}}); err != nil || n != 4 {
		t.Errorf("Count = %d, %v", n, err)
	}
	sorted := collect(t, s.Features(ctx, Query{Layer: "villes", SortBy: []SortBy{{Property: "pop", Desc: true}}, Properties: []string{"nom"}}))
	if got := fmt.Sprint(sorted[0].Properties, sorted[1].Properties, sorted[2].Properties, sorted[3].Properties); got != "[Paris] [Nice] [Saint-Étienne] [<nil>]" {
		t.Errorf("sorted by pop desc: %s", got)
	}
}

// TestAppendToGDALGeoPackage writes into a GDAL-made layer: GDAL's own
// triggers (feature count) and the R-tree must stay right for GDAL.
func TestAppendToGDALGeoPackage(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "villes.geojson")
	if err := os.WriteFile(src, []byte(gdalGeoJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	gpkg := filepath.Join(dir, "gdal.gpkg")
	ogr2ogr(t, "-f", "GPKG", gpkg, src, "-nln", "villes")
	ctx := context.Background()
	s, err := Open(ctx, gpkg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Write(ctx, Layer{Name: "villes", Fields: []Field{{Name: "nom", Kind: filter.String}}}, Append)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, Feature{Geometry: geom.NewPointFlat(geom.XYZ, []float64{-1.5536, 47.2184, 8}), Properties: []any{"Nantes"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info := ogrinfo(t, "-so", gpkg, "villes")
	if !strings.Contains(info, "Feature Count: 5") {
		t.Errorf("ogrinfo after append:\n%s", info)
	}
	// GDAL's spatial filter goes through the R-tree our triggers filled.
	spat := ogrinfo(t, "-spat", "-2", "47", "-1", "48", "-al", "-q", gpkg)
	if !strings.Contains(spat, "Nantes") || strings.Contains(spat, "Paris") {
		t.Errorf("ogrinfo -spat around Nantes:\n%s", spat)
	}
}

// TestGDALReadsOurGeoPackage checks that ogrinfo opens what the store
// writes, with the right feature count, extent, types and values, and
// that GDAL's spatial index queries agree with the store's.
func TestGDALReadsOurGeoPackage(t *testing.T) {
	requireGDAL(t)
	s, path := newStore(t)
	ctx := context.Background()
	feats := randomFeatures(300, 11)
	writeLayer(t, s, randomSpec, Create, feats)
	writeLayer(t, s, allKinds, Create, []Feature{
		{ID: 5, Geometry: geom.NewPointFlat(geom.XYZ, []float64{652300, 6861300, 35}),
			Properties: []any{"Île-de-France", int64(1), 2.5, true, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC),
				time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), []byte("hi"), "75"}},
		{ID: 6, Properties: []any{nil, nil, nil, nil, nil, nil, nil, "x"}},
	})
	random, _ := s.Layer("random")
	b := crs.Bounds{MinX: -50, MinY: -30, MaxX: 60, MaxY: 40}
	inBox, err := s.Count(ctx, Query{Layer: "random", BBox: &b})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	info := ogrinfo(t, "-so", path, "random")
	for _, want := range []string{"Geometry: Unknown (any)", "Feature Count: 300", "cat: String", "rank: Integer64", "score: Real", "FID Column = fid"} {
		if !strings.Contains(info, want) {
			t.Errorf("ogrinfo random lacks %q:\n%s", want, info)
		}
	}
	e := regexp.MustCompile(`Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)`).FindStringSubmatch(info)
	if e == nil {
		t.Fatalf("no extent in:\n%s", info)
	}
	for i, want := range []float64{random.Extent.MinX, random.Extent.MinY, random.Extent.MaxX, random.Extent.MaxY} {
		if got, _ := strconv.ParseFloat(e[i+1], 64); math.Abs(got-want) > 1e-6 {
			t.Errorf("ogrinfo extent %v, store %v", e[1:], random.Extent)
		}
	}
	// GDAL's -spat uses the R-tree and then the envelopes, as Query.BBox.
	spat := ogrinfo(t, "-so", "-spat", "-50", "-30", "60", "40", path, "random")
	if want := fmt.Sprintf("Feature Count: %d", inBox); !strings.Contains(spat, want) {
		t.Errorf("ogrinfo -spat: want %q in\n%s", want, spat)
	}

	kinds := ogrinfo(t, "-al", path, allKinds.Name)
	for _, want := range []string{
		"Geometry: 3D Point", "Feature Count: 2", "FID Column = gid", "Geometry Column = the geom",
		"nom_département (String) = Île-de-France", "population (Integer64) = 1", "surface (Real) = 2.5",
		"chef-lieu? (Integer(Boolean)) = 1", "créée (Date) = 2020/01/02", "mise à jour (DateTime) = 2024/01/02 03:04:05+00",
		"POINT Z (652300 6861300 35)", "OGRFeature(" + allKinds.Name + "):6", `RGF93 v1 / Lambert-93`,
	} {
		if !strings.Contains(kinds, want) {
			t.Errorf("ogrinfo %s lacks %q:\n%s", allKinds.Name, want, kinds)
		}
	}

	// ogr2ogr copies the layer out: every geometry as the store has it.
	out := filepath.Join(t.TempDir(), "out.geojson")
	ogr2ogr(t, "-f", "GeoJSON", out, path, "random")
	var fc struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(feats) {
		t.Fatalf("ogr2ogr copied %d features, want %d", len(fc.Features), len(feats))
	}
	for i, f := range fc.Features {
		if got, want := f.Properties["cat"], feats[i].Properties[0]; got != want {
			t.Errorf("feature %d cat %v, want %v", i+1, got, want)
		}
		if (string(f.Geometry) == "null") != (feats[i].Geometry == nil) {
			t.Errorf("feature %d geometry %s, want %v", i+1, f.Geometry, feats[i].Geometry)
		}
	}
}

func ogrinfo(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ogrinfo", append([]string{"-ro"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
