package ingest

import (
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/gdal"
)

func TestPlanGeometry(t *testing.T) {
	type gc = gdal.GeometryCount
	tests := []struct {
		name     string
		declared string
		counts   []gc
		want     geometryPlan
	}{
		{"shapefile polygons and multipolygons", "POLYGON", []gc{{Type: "POLYGON", Count: 2}, {Type: "MULTIPOLYGON", Count: 1}},
			geometryPlan{typ: "MULTIPOLYGON", promote: true, total: 3}},
		{"declared multi, all single", "MULTILINESTRING", []gc{{Type: "LINESTRING", Count: 2}},
			geometryPlan{typ: "MULTILINESTRING", promote: true, total: 2}},
		{"one type", "GEOMETRY", []gc{{Type: "POINT", Count: 2}, {Type: "NONE", Count: 1}},
			geometryPlan{typ: "POINT", total: 3}},
		{"mixed families", "GEOMETRY", []gc{{Type: "POINT", Count: 2}, {Type: "LINESTRING", Count: 1}},
			geometryPlan{typ: "GEOMETRY", total: 3}},
		{"some 3D", "POINT", []gc{{Type: "POINT", Count: 2}, {Type: "POINT", HasZ: true, Count: 1}, {Type: "POINT", HasM: true, Count: 1}},
			geometryPlan{typ: "POINT", hasZ: true, hasM: true, total: 4}},
		{"curves", "GEOMETRY", []gc{{Type: "CURVEPOLYGON", Count: 1}, {Type: "MULTISURFACE", Count: 1}},
			geometryPlan{typ: "MULTIPOLYGON", promote: true, total: 2}},
		{"empty", "LINESTRING", nil, geometryPlan{typ: "LINESTRING", hasZ: true}},
		{"only NULL geometries", "GEOMETRY", []gc{{Type: "NONE", Count: 4}}, geometryPlan{typ: "GEOMETRY", total: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := gdal.LayerInfo{GeometryType: tc.declared, HasZ: tc.name == "empty"}
			if got := planGeometry(info, tc.counts); got != tc.want {
				t.Errorf("planGeometry = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOpenOptions(t *testing.T) {
	if got := openOptions("a.geojson", []string{"FLATTEN_NESTED_ATTRIBUTES=YES"}); len(got) != 1 {
		t.Errorf("GeoJSON: %v", got)
	}
	got := openOptions("points.CSV", []string{"x_possible_names=easting", "Y_POSSIBLE_NAMES=northing"})
	want := []string{"x_possible_names=easting", "Y_POSSIBLE_NAMES=northing", "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom", "KEEP_GEOM_COLUMNS=NO", "AUTODETECT_TYPE=YES"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("CSV: %v, want %v", got, want)
	}
}
