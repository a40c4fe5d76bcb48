package styles

import (
	"os"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// The demo's SLD files are real SLD and parse.
func TestDemoStyles(t *testing.T) {
	for _, f := range []string{"../testdata/demo/styles/departements.sld"} {
		sld, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(sld.Layers) != 1 || len(sld.Layers[0].Styles) != 1 || len(sld.Layers[0].Styles[0].FeatureTypeStyles) != 2 || len(sld.Layers[0].Styles[0].FeatureTypeStyles[0].Rules) != 2 {
			t.Errorf("%s: %+v", f, sld)
		}
		xmlvalid.Validate(t, mustRead(t, f), "sld/1.0.0/StyledLayerDescriptor.xsd")
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
