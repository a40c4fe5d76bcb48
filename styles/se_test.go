package styles

import (
	"image/color"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

func TestSEColorMaps(t *testing.T) {
	rgb := func(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 255} }
	for _, tc := range []struct {
		name string
		doc  string
		want ColorMap
	}{
		{
			name: "interpolate",
			doc: se11(`<se:Rule><se:RasterSymbolizer><se:ColorMap><se:Interpolate fallbackValue="#000000" mode="linear" method="color">
<se:LookupValue>Rasterdata</se:LookupValue>
<se:InterpolationPoint><se:Data>0</se:Data><se:Value>#00ff00</se:Value></se:InterpolationPoint>
<se:InterpolationPoint><se:Data>1000</se:Data><se:Value>#ffffff</se:Value></se:InterpolationPoint>
</se:Interpolate></se:ColorMap></se:RasterSymbolizer></se:Rule>`),
			want: ColorMap{Type: ColorMapRamp, Entries: []ColorMapEntry{
				{Color: rgb(0, 255, 0), Opacity: 1, Quantity: 0},
				{Color: rgb(255, 255, 255), Opacity: 1, Quantity: 1000},
			}},
		},
		{
			name: "categorize",
			doc: se11(`<se:Rule><se:RasterSymbolizer><se:ColorMap><se:Categorize fallbackValue="#000000">
<se:LookupValue>Rasterdata</se:LookupValue>
<se:Value>#0000ff</se:Value>
<se:Threshold>0</se:Threshold>
<se:Value>#00ff00</se:Value>
<se:Threshold>500</se:Threshold>
<se:Value>#ff0000</se:Value>
</se:Categorize></se:ColorMap></se:RasterSymbolizer></se:Rule>`),
			want: ColorMap{Type: ColorMapIntervals, Entries: []ColorMapEntry{
				{Color: rgb(0, 0, 255), Opacity: 1, Quantity: 0},
				{Color: rgb(0, 255, 0), Opacity: 1, Quantity: 500},
				{Color: rgb(255, 0, 0), Opacity: 1, Quantity: math.Inf(1)},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xmlvalid.Validate(t, []byte(tc.doc), schemaSLD11)
			r := firstRule(t, mustParse(t, "t.sld", []byte(tc.doc)))
			got := r.Symbolizers[0].(RasterSymbolizer).ColorMap
			if got == nil || !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("\n got: %#v\nwant: %#v", got, tc.want)
			}
		})
	}
}

func TestSEErrorsNameSvgParameter(t *testing.T) {
	doc := se11(`<se:Rule><se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill-opacity">half</se:SvgParameter></se:Fill></se:PolygonSymbolizer></se:Rule>`)
	_, err := Parse("p.sld", []byte(doc))
	want := `p.sld:8:`
	if err == nil || !strings.HasPrefix(err.Error(), want) ||
		!strings.Contains(err.Error(), `Rule/PolygonSymbolizer/Fill/SvgParameter[fill-opacity]: "half" is not a number`) {
		t.Errorf("got %v", err)
	}
}

func TestPriorityAndUnvalidatedExtensions(t *testing.T) {
	// Priority and VendorOption are GeoServer extensions, outside the schema.
	doc := sld10(`<Rule><TextSymbolizer><Label><ogc:PropertyName>name</ogc:PropertyName></Label><Priority><ogc:PropertyName>pop</ogc:PropertyName></Priority><VendorOption name="maxDisplacement">10</VendorOption></TextSymbolizer></Rule>`)
	r := firstRule(t, mustParse(t, "t.sld", []byte(doc)))
	ts := r.Symbolizers[0].(TextSymbolizer)
	if want := (Expression{Parts: []Part{{Property: "pop"}}}); !reflect.DeepEqual(ts.Priority, want) {
		t.Errorf("priority %#v", ts.Priority)
	}
}
