package styles

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// Every SLD file under testdata/ (the demo's styles and any other) parses.
func TestTestdataStylesParse(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".sld") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d SLD files under ../testdata (%v), want the demo's 4 at least", len(files), files)
	}
	for _, f := range files {
		if _, err := ParseFile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

const (
	sld10XSD = "sld/1.0.0/StyledLayerDescriptor.xsd"
	sld11XSD = "sld/1.1.0/StyledLayerDescriptor.xsd"
)

// The demo's SLD files are real SLD and give the styles the demo
// configuration and README name.
func TestDemoStyles(t *testing.T) {
	for _, tc := range []struct {
		file   string
		layer  string
		styles []string // UserStyle names, the default first
		schema string
		// vendor matches GeoServer's extensions the schema does not
		// declare (se:Priority, the ColorMap type attribute): the rest of
		// the document must be valid once they are cut out.
		vendor *regexp.Regexp
	}{
		{"departements.sld", "departements", []string{"regions"}, sld10XSD, nil},
		{"departement_points.sld", "departement_points", []string{"departement_points"}, sld10XSD, nil},
		{"countries.sld", "countries", []string{"countries", "countries-outline"}, sld11XSD, regexp.MustCompile(`<se:Priority>.*</se:Priority>`)},
		{"dem.sld", "dem", []string{"dem", "dem-intervals"}, sld10XSD, regexp.MustCompile(` type="(ramp|intervals)"`)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := filepath.Join("../testdata/demo/styles", tc.file)
			sld, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(sld.Layers) != 1 || sld.Layers[0].Name != tc.layer {
				t.Fatalf("layers %+v, want one named %s", sld.Layers, tc.layer)
			}
			var names []string
			for _, s := range sld.Layers[0].Styles {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, tc.styles) {
				t.Errorf("styles %v, want %v", names, tc.styles)
			}
			if def, ok := sld.Layers[0].DefaultStyle(); !ok || def.Name != tc.styles[0] {
				t.Errorf("default style %q, want %q", def.Name, tc.styles[0])
			}
			doc := mustRead(t, f)
			if tc.vendor != nil {
				if !tc.vendor.Match(doc) {
					t.Errorf("no %s in %s: update the test", tc.vendor, f)
				}
				doc = tc.vendor.ReplaceAll(doc, nil)
			}
			xmlvalid.Validate(t, doc, tc.schema)
		})
	}
}

// What the demo styles rely on parses into the model as meant.
func TestDemoStylesModel(t *testing.T) {
	sld, err := ParseFile("../testdata/demo/styles/departements.sld")
	if err != nil {
		t.Fatal(err)
	}
	if s := sld.Layers[0].Styles[0]; len(s.FeatureTypeStyles) != 2 || len(s.FeatureTypeStyles[0].Rules) != 2 {
		t.Errorf("departements: %+v", s)
	}

	sld, err = ParseFile("../testdata/demo/styles/countries.sld")
	if err != nil {
		t.Fatal(err)
	}
	s := sld.Layers[0].Styles[0].Style
	if len(s.FeatureTypeStyles) != 2 {
		t.Fatalf("countries: %d feature type styles, want fills and labels", len(s.FeatureTypeStyles))
	}
	fills := s.FeatureTypeStyles[0].Rules
	if len(fills) != 10 || !fills[9].ElseFilter || fills[0].Filter == nil || fills[0].Title == "" {
		t.Errorf("countries fills: %+v", fills)
	}
	labels := s.FeatureTypeStyles[1].Rules
	if len(labels) != 2 || labels[1].MaxScale != 1e8 || !labels[1].ElseFilter {
		t.Fatalf("countries labels: %+v", labels)
	}
	text, ok := labels[0].Symbolizers[0].(TextSymbolizer)
	if !ok || text.Halo == nil || text.PointPlacement == nil || text.Label.String() != "[name]" || text.Priority.String() != "10" {
		t.Errorf("countries label: %+v", labels[0].Symbolizers[0])
	}

	sld, err = ParseFile("../testdata/demo/styles/departement_points.sld")
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, r := range sld.Layers[0].Styles[0].FeatureTypeStyles[0].Rules {
		marks = append(marks, r.Symbolizers[0].(PointSymbolizer).Graphic.Marks[0].WellKnownName)
	}
	if !slices.Equal(marks, []string{"star", "triangle", "circle"}) {
		t.Errorf("departement_points marks %v", marks)
	}

	sld, err = ParseFile("../testdata/demo/styles/dem.sld")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []ColorMapType{ColorMapRamp, ColorMapIntervals} {
		r, ok := sld.Layers[0].Styles[i].FeatureTypeStyles[0].Rules[0].Symbolizers[0].(RasterSymbolizer)
		if !ok || r.ColorMap == nil || r.ColorMap.Type != want || r.ColorMap.Entries[0].Label == "" {
			t.Errorf("dem style %d: %+v", i, r)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
