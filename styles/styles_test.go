package styles

import (
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
	"github.com/tuiles/tuiles/store/filter"
)

const (
	schemaSLD10 = "sld/1.0.0/StyledLayerDescriptor.xsd"
	schemaSLD11 = "sld/1.1.0/StyledLayerDescriptor.xsd"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t *testing.T, name string, data []byte) *StyledLayerDescriptor {
	t.Helper()
	sld, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return sld
}

// wantRoads is the model both roads fixtures describe.
func wantRoads() *StyledLayerDescriptor {
	rgb := func(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 255} }
	black := rgb(0, 0, 0)
	return &StyledLayerDescriptor{
		Layers: []NamedLayer{
			{Name: "roads", Styles: []NamedStyle{{IsDefault: true, Style: Style{
				Name: "roads", Title: "Roads", Abstract: "Roads by class",
				FeatureTypeStyles: []FeatureTypeStyle{{Rules: []Rule{
					{
						Name: "motorway", Title: "Motorways",
						Filter:   filter.Compare{Op: filter.EqualTo, Property: "type", Literal: "motorway", MatchCase: true},
						MaxScale: 500000,
						Symbolizers: []Symbolizer{LineSymbolizer{Stroke: Stroke{
							Color: rgb(0xee, 0, 0x33), Width: 3, Opacity: 0.8, DashArray: []float64{5, 2}, LineCap: "round", LineJoin: "miter",
						}}},
					},
					{
						Name: "other", ElseFilter: true, MinScale: 1000, MaxScale: 1e6,
						Symbolizers: []Symbolizer{LineSymbolizer{Stroke: Stroke{Color: black, Width: 1.5, Opacity: 1, LineCap: "butt", LineJoin: "miter"}}},
					},
					{
						Name: "labels", MaxScale: 50000,
						Symbolizers: []Symbolizer{TextSymbolizer{
							Label:          Expression{Parts: []Part{{Literal: "Route "}, {Property: "ref"}}},
							Font:           Font{Families: []string{"DejaVu Sans"}, Size: 11, Weight: "bold", Style: "italic"},
							Fill:           Fill{Color: rgb(0x33, 0x33, 0x33), Opacity: 1},
							Halo:           &Halo{Radius: 2, Fill: Fill{Color: rgb(255, 255, 255), Opacity: 1}},
							PointPlacement: &PointPlacement{AnchorX: 0.5, AnchorY: 0.5, DisplacementY: 4, Rotation: 10},
						}},
					},
				}}},
			}}}},
			{Name: "places", Styles: []NamedStyle{{Style: Style{
				Name: "places",
				FeatureTypeStyles: []FeatureTypeStyle{{Rules: []Rule{{
					Symbolizers: []Symbolizer{
						PolygonSymbolizer{
							Fill:   &Fill{Color: rgb(0xa0, 0xc0, 0xe0), Opacity: 0.5},
							Stroke: &Stroke{Color: black, Width: 0.5, Opacity: 1, LineCap: "butt", LineJoin: "miter"},
						},
						PointSymbolizer{Graphic: Graphic{
							ExternalGraphics: []ExternalGraphic{{Href: "icons/town.png", Format: "image/png"}},
							Marks:            []Mark{{WellKnownName: "circle", Fill: &Fill{Color: rgb(255, 0, 0), Opacity: 1}}},
							Size:             8, Rotation: 45, Opacity: 0.9,
						}},
						RasterSymbolizer{Opacity: 0.7, ChannelSelection: &ChannelSelection{Red: "1", Green: "2", Blue: "3"}},
					},
				}}}},
			}}}},
		},
	}
}

func TestFlavoursGiveTheSameModel(t *testing.T) {
	for _, tc := range []struct{ file, schema, version string }{
		{"roads-sld10.sld", schemaSLD10, "1.0.0"},
		{"roads-se11.sld", schemaSLD11, "1.1.0"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readFixture(t, tc.file)
			xmlvalid.Validate(t, data, tc.schema)
			got, err := ParseFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			want := wantRoads()
			want.Version = tc.version
			// Source lines differ between the encodings; the rest must not.
			eg := &got.Layers[1].Styles[0].FeatureTypeStyles[0].Rules[0].Symbolizers[1].(PointSymbolizer).Graphic.ExternalGraphics[0]
			if eg.Line == 0 {
				t.Errorf("ExternalGraphic has no line")
			}
			eg.Line = 0
			if !reflect.DeepEqual(got, want) {
				t.Errorf("model differs\n got: %#v\nwant: %#v", got, want)
			}
		})
	}
}

// sld10 wraps rules in an SLD 1.0.0 document.
func sld10(rules string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink">
  <NamedLayer>
    <Name>l</Name>
    <UserStyle>
      <Name>s</Name>
      <FeatureTypeStyle>
` + rules + `
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
`
}

// se11 wraps rules in an SLD 1.1.0 / SE 1.1.0 document.
func se11(rules string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink">
  <NamedLayer>
    <se:Name>l</se:Name>
    <UserStyle>
      <se:Name>s</se:Name>
      <se:FeatureTypeStyle>
` + rules + `
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
`
}

func firstRule(t *testing.T, sld *StyledLayerDescriptor) Rule {
	t.Helper()
	return sld.Layers[0].Styles[0].FeatureTypeStyles[0].Rules[0]
}

func TestSymbolizers(t *testing.T) {
	grey := Fill{Color: color.NRGBA{0x80, 0x80, 0x80, 255}, Opacity: 1}
	black := Stroke{Color: color.NRGBA{A: 255}, Width: 1, Opacity: 1, LineCap: "butt", LineJoin: "miter"}
	for _, tc := range []struct {
		name   string
		doc    string
		schema string
		want   Symbolizer
	}{
		{
			name:   "polygon defaults",
			doc:    sld10(`<Rule><PolygonSymbolizer><Fill/><Stroke/></PolygonSymbolizer></Rule>`),
			schema: schemaSLD10,
			want:   PolygonSymbolizer{Fill: &grey, Stroke: &black},
		},
		{
			name:   "polygon without stroke",
			doc:    sld10(`<Rule><PolygonSymbolizer><Geometry><ogc:PropertyName>the_geom</ogc:PropertyName></Geometry><Fill><CssParameter name="fill">#123</CssParameter></Fill></PolygonSymbolizer></Rule>`),
			schema: schemaSLD10,
			want:   PolygonSymbolizer{Fill: &Fill{Color: color.NRGBA{0x11, 0x22, 0x33, 255}, Opacity: 1}, Geometry: "the_geom"},
		},
		{
			name:   "line with perpendicular offset (SE)",
			doc:    se11(`<se:Rule><se:LineSymbolizer><se:Stroke><se:SvgParameter name="stroke-linejoin">bevel</se:SvgParameter><se:SvgParameter name="stroke-dasharray">4,1,2</se:SvgParameter></se:Stroke><se:PerpendicularOffset>-2.5</se:PerpendicularOffset></se:LineSymbolizer></se:Rule>`),
			schema: schemaSLD11,
			want: LineSymbolizer{
				Stroke:              Stroke{Color: color.NRGBA{A: 255}, Width: 1, Opacity: 1, LineCap: "butt", LineJoin: "bevel", DashArray: []float64{4, 1, 2}},
				PerpendicularOffset: -2.5,
			},
		},
		{
			name:   "point default graphic",
			doc:    sld10(`<Rule><PointSymbolizer><Graphic/></PointSymbolizer></Rule>`),
			schema: schemaSLD10,
			want:   PointSymbolizer{Graphic: Graphic{Marks: []Mark{{WellKnownName: "square", Fill: &grey, Stroke: &black}}, Size: 6, Opacity: 1}},
		},
		{
			name:   "point marks",
			doc:    sld10(`<Rule><PointSymbolizer><Graphic><Mark><WellKnownName>star</WellKnownName><Stroke><CssParameter name="stroke-width">2</CssParameter></Stroke></Mark><Mark><WellKnownName>X</WellKnownName></Mark></Graphic></PointSymbolizer></Rule>`),
			schema: schemaSLD10,
			want: PointSymbolizer{Graphic: Graphic{Marks: []Mark{
				{WellKnownName: "star", Stroke: &Stroke{Color: color.NRGBA{A: 255}, Width: 2, Opacity: 1, LineCap: "butt", LineJoin: "miter"}},
				{WellKnownName: "x", Fill: &grey, Stroke: &black},
			}, Size: 6, Opacity: 1}},
		},
		{
			name:   "point external graphic keeps native size",
			doc:    se11(`<se:Rule><se:PointSymbolizer><se:Graphic><se:ExternalGraphic><se:OnlineResource xlink:href="a.png"/><se:Format>image/png</se:Format></se:ExternalGraphic></se:Graphic></se:PointSymbolizer></se:Rule>`),
			schema: schemaSLD11,
			want:   PointSymbolizer{Graphic: Graphic{ExternalGraphics: []ExternalGraphic{{Href: "a.png", Format: "image/png", Line: 8}}, Opacity: 1}},
		},
		{
			name:   "text with line placement and literal label",
			doc:    se11(`<se:Rule><se:TextSymbolizer><se:Label><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal> (</ogc:Literal><ogc:PropertyName>pop</ogc:PropertyName>)</se:Label><se:Font><se:SvgParameter name="font-family">Noto Sans, sans-serif</se:SvgParameter></se:Font><se:LabelPlacement><se:LinePlacement><se:PerpendicularOffset>3</se:PerpendicularOffset></se:LinePlacement></se:LabelPlacement></se:TextSymbolizer></se:Rule>`),
			schema: schemaSLD11,
			want: TextSymbolizer{
				Label:         Expression{Parts: []Part{{Property: "name"}, {Literal: " ("}, {Property: "pop"}, {Literal: ")"}}},
				Font:          Font{Families: []string{"Noto Sans", "sans-serif"}, Size: 10, Weight: "normal", Style: "normal"},
				Fill:          Fill{Color: color.NRGBA{A: 255}, Opacity: 1},
				LinePlacement: &LinePlacement{PerpendicularOffset: 3},
			},
		},
		{
			name: "raster colour map",
			doc: sld10(`<Rule><RasterSymbolizer><Opacity>0.5</Opacity><ChannelSelection><GrayChannel><SourceChannelName>1</SourceChannelName></GrayChannel></ChannelSelection><ColorMap>
<ColorMapEntry color="#000000" quantity="-10" opacity="0"/>
<ColorMapEntry color="#00FF00" quantity="0" label="sea level"/>
<ColorMapEntry color="#FFFFFF" quantity="4800"/>
</ColorMap></RasterSymbolizer></Rule>`),
			schema: schemaSLD10,
			want: RasterSymbolizer{Opacity: 0.5, ChannelSelection: &ChannelSelection{Gray: "1"}, ColorMap: &ColorMap{Type: ColorMapRamp, Entries: []ColorMapEntry{
				{Color: color.NRGBA{A: 255}, Opacity: 0, Quantity: -10},
				{Color: color.NRGBA{G: 255, A: 255}, Opacity: 1, Quantity: 0, Label: "sea level"},
				{Color: color.NRGBA{255, 255, 255, 255}, Opacity: 1, Quantity: 4800},
			}}},
		},
		{
			// GeoServer's type attribute is not in the SLD 1.0 schema.
			name: "raster colour map intervals (GeoServer extension)",
			doc:  sld10(`<Rule><RasterSymbolizer><ColorMap type="intervals"><ColorMapEntry color="#0000ff" quantity="1"/></ColorMap></RasterSymbolizer></Rule>`),
			want: RasterSymbolizer{Opacity: 1, ColorMap: &ColorMap{Type: ColorMapIntervals, Entries: []ColorMapEntry{{Color: color.NRGBA{B: 255, A: 255}, Opacity: 1, Quantity: 1}}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.schema != "" {
				xmlvalid.Validate(t, []byte(tc.doc), tc.schema)
			}
			r := firstRule(t, mustParse(t, "t.sld", []byte(tc.doc)))
			if len(r.Symbolizers) != 1 {
				t.Fatalf("got %d symbolizers", len(r.Symbolizers))
			}
			if !reflect.DeepEqual(r.Symbolizers[0], tc.want) {
				t.Errorf("\n got: %#v\nwant: %#v", r.Symbolizers[0], tc.want)
			}
		})
	}
}

func TestRuleFilters(t *testing.T) {
	for _, tc := range []struct {
		name   string
		doc    string
		schema string
		want   filter.Filter
	}{
		{
			name: "ogc filter with logic",
			doc: sld10(`<Rule><ogc:Filter><ogc:And>
<ogc:PropertyIsGreaterThan><ogc:PropertyName>pop</ogc:PropertyName><ogc:Literal>1000</ogc:Literal></ogc:PropertyIsGreaterThan>
<ogc:Not><ogc:PropertyIsNull><ogc:PropertyName>name</ogc:PropertyName></ogc:PropertyIsNull></ogc:Not>
</ogc:And></ogc:Filter><PointSymbolizer/></Rule>`),
			schema: schemaSLD10,
			want: filter.And{Filters: []filter.Filter{
				filter.Compare{Op: filter.GreaterThan, Property: "pop", Literal: "1000", MatchCase: true},
				filter.Not{Filter: filter.IsNull{Property: "name"}},
			}},
		},
		{
			name: "filter namespace declared on the element",
			doc:  sld10(`<Rule><f:Filter xmlns:f="http://www.opengis.net/ogc"><f:PropertyIsEqualTo><f:PropertyName>k</f:PropertyName><f:Literal>v</f:Literal></f:PropertyIsEqualTo></f:Filter><PointSymbolizer/></Rule>`),
			want: filter.Compare{Op: filter.EqualTo, Property: "k", Literal: "v", MatchCase: true},
		},
		{
			name: "fes 2.0 filter",
			doc:  sld10(`<Rule><fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsLessThan><fes:ValueReference>n</fes:ValueReference><fes:Literal>3</fes:Literal></fes:PropertyIsLessThan></fes:Filter><PointSymbolizer/></Rule>`),
			want: filter.Compare{Op: filter.LessThan, Property: "n", Literal: "3", MatchCase: true},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.schema != "" {
				xmlvalid.Validate(t, []byte(tc.doc), tc.schema)
			}
			r := firstRule(t, mustParse(t, "t.sld", []byte(tc.doc)))
			if !reflect.DeepEqual(r.Filter, tc.want) {
				t.Errorf("\n got: %#v\nwant: %#v", r.Filter, tc.want)
			}
		})
	}
}

func TestRuleApplies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		min, max float64
		scale    float64
		want     bool
	}{
		{"unbounded", 0, 0, 1e9, true},
		{"at min", 1000, 0, 1000, true},
		{"below min", 1000, 0, 999, false},
		{"below max", 0, 5000, 4999.9, true},
		{"at max is out", 0, 5000, 5000, false},
		{"inside range", 1000, 5000, 2500, true},
		{"above range", 1000, 5000, 6000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Rule{MinScale: tc.min, MaxScale: tc.max}).Applies(tc.scale); got != tc.want {
				t.Errorf("Applies(%g) = %v", tc.scale, got)
			}
		})
	}
}

func TestDefaultStyles(t *testing.T) {
	for _, tc := range []struct {
		geom string
		want []string
	}{
		{"POINT", []string{"styles.PointSymbolizer"}},
		{"MultiPoint", []string{"styles.PointSymbolizer"}},
		{"LINESTRING", []string{"styles.LineSymbolizer"}},
		{"MULTIPOLYGON", []string{"styles.PolygonSymbolizer"}},
		{"raster", []string{"styles.RasterSymbolizer"}},
		{"GEOMETRY", []string{"styles.PolygonSymbolizer", "styles.LineSymbolizer", "styles.PointSymbolizer"}},
	} {
		t.Run(tc.geom, func(t *testing.T) {
			s := Default(tc.geom)
			var got []string
			for _, sym := range s.FeatureTypeStyles[0].Rules[0].Symbolizers {
				got = append(got, reflect.TypeOf(sym).String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	p := Default("POLYGON").FeatureTypeStyles[0].Rules[0].Symbolizers[0].(PolygonSymbolizer)
	if p.Fill.Color != (color.NRGBA{0x80, 0x80, 0x80, 255}) || p.Stroke.Width != 1 {
		t.Errorf("polygon default: %+v %+v", *p.Fill, *p.Stroke)
	}
}

func TestLayersAndStyles(t *testing.T) {
	doc := `<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld">
<NamedLayer><Name>a</Name><NamedStyle><Name>known</Name></NamedStyle></NamedLayer>
<NamedLayer><Name>b</Name>
<UserStyle><Name>first</Name><FeatureTypeStyle><Rule><PointSymbolizer/></Rule></FeatureTypeStyle></UserStyle>
<UserStyle><Name>second</Name><IsDefault>1</IsDefault><FeatureTypeStyle><Rule><PointSymbolizer/></Rule></FeatureTypeStyle></UserStyle>
</NamedLayer>
</StyledLayerDescriptor>`
	xmlvalid.Validate(t, []byte(doc), schemaSLD10)
	sld := mustParse(t, "t.sld", []byte(doc))
	if got := sld.Layers[0].References; !reflect.DeepEqual(got, []string{"known"}) {
		t.Errorf("references %v", got)
	}
	if _, ok := sld.Layers[0].DefaultStyle(); ok {
		t.Error("layer a has a default style")
	}
	if s, ok := sld.Layers[1].DefaultStyle(); !ok || s.Name != "second" {
		t.Errorf("default style %q %v", s.Name, ok)
	}
}

func TestMalformed(t *testing.T) {
	rule := func(body string) string { return sld10("<Rule>" + body + "</Rule>") }
	line := func(body string) string {
		return rule(`<LineSymbolizer><Stroke>` + body + `</Stroke></LineSymbolizer>`)
	}
	const ruleLine = 8 // line of the rule in sld10 documents (rules start on line 8)
	for _, tc := range []struct {
		name     string
		doc      string
		kind     error
		wantLine int
		want     string // substring of the message
	}{
		{"not XML", "hello", ErrInvalid, 1, "t.sld:1"},
		{"truncated", `<StyledLayerDescriptor version="1.0.0">` + "\n<NamedLayer>", ErrInvalid, 2, "malformed XML"},
		{"doctype", `<?xml version="1.0"?>` + "\n" + `<!DOCTYPE x [<!ENTITY e "boom">]><StyledLayerDescriptor/>`, ErrInvalid, 2, "DOCTYPE"},
		{"undefined entity", `<StyledLayerDescriptor>&e;</StyledLayerDescriptor>`, ErrInvalid, 1, "malformed XML"},
		{"wrong root", `<UserStyle/>`, ErrInvalid, 1, "root element is UserStyle"},
		{"bad version", `<StyledLayerDescriptor version="2.0"/>`, ErrUnsupported, 1, "version"},
		{"no layers", `<StyledLayerDescriptor version="1.0.0"/>`, ErrInvalid, 1, "no NamedLayer"},
		{"bad width", line(`<CssParameter name="stroke-width">thick</CssParameter>`), ErrInvalid, ruleLine,
			`StyledLayerDescriptor/NamedLayer/UserStyle/FeatureTypeStyle/Rule/LineSymbolizer/Stroke/CssParameter[stroke-width]: "thick" is not a number`},
		{"negative width", line(`<CssParameter name="stroke-width">-1</CssParameter>`), ErrInvalid, ruleLine, "is negative"},
		{"bad colour", line(`<CssParameter name="stroke">red</CssParameter>`), ErrInvalid, ruleLine, `CssParameter[stroke]: "red" is not a colour`},
		{"bad opacity", line(`<CssParameter name="stroke-opacity">1.5</CssParameter>`), ErrInvalid, ruleLine, "not between 0 and 1"},
		{"bad linecap", line(`<CssParameter name="stroke-linecap">flat</CssParameter>`), ErrInvalid, ruleLine, "not butt"},
		{"unknown parameter", line(`<CssParameter name="stroke-colour">#000</CssParameter>`), ErrInvalid, ruleLine, "unknown stroke parameter"},
		{"dynamic parameter", line(`<CssParameter name="stroke"><ogc:PropertyName>c</ogc:PropertyName></CssParameter>`), ErrUnsupported, ruleLine, "PropertyName in a parameter"},
		{"zero dash array", line(`<CssParameter name="stroke-dasharray">0 0</CssParameter>`), ErrInvalid, ruleLine, "no positive length"},
		{"unknown mark", rule(`<PointSymbolizer><Graphic><Mark><WellKnownName>hexagon</WellKnownName></Mark></Graphic></PointSymbolizer>`), ErrUnsupported, ruleLine, "hexagon"},
		{"unknown element", rule(`<LineSymbolizer><Colour/></LineSymbolizer>`), ErrInvalid, ruleLine, "unexpected element Colour"},
		{"filter and else", rule(`<ogc:Filter><ogc:PropertyIsNull><ogc:PropertyName>a</ogc:PropertyName></ogc:PropertyIsNull></ogc:Filter><ElseFilter/><PointSymbolizer/>`), ErrInvalid, ruleLine, "both Filter and ElseFilter"},
		{"bad filter", rule(`<ogc:Filter><ogc:PropertyIsAlmost/></ogc:Filter><PointSymbolizer/>`), ErrInvalid, ruleLine, "Rule/Filter:"},
		{"scale range inverted", rule(`<MinScaleDenominator>5000</MinScaleDenominator><MaxScaleDenominator>100</MaxScaleDenominator><PointSymbolizer/>`), ErrInvalid, ruleLine, "not below MaxScaleDenominator"},
		{"scale not a number", rule(`<MaxScaleDenominator>big</MaxScaleDenominator><PointSymbolizer/>`), ErrInvalid, ruleLine, `Rule/MaxScaleDenominator: "big" is not a number`},
		{"rule without symbolizer", rule(``), ErrInvalid, ruleLine, "Rule without symbolizer"},
		{"text without label", rule(`<TextSymbolizer/>`), ErrInvalid, ruleLine, "without Label"},
		{"function label", rule(`<TextSymbolizer><Label><ogc:Function name="strToUpper"><ogc:PropertyName>n</ogc:PropertyName></ogc:Function></Label></TextSymbolizer>`), ErrUnsupported, ruleLine, "Function is not supported"},
		{"colour map unordered", rule(`<RasterSymbolizer><ColorMap><ColorMapEntry color="#000000" quantity="5"/><ColorMapEntry color="#000000" quantity="1"/></ColorMap></RasterSymbolizer>`), ErrInvalid, ruleLine, "increasing order"},
		{"colour map bad type", rule(`<RasterSymbolizer><ColorMap type="smooth"><ColorMapEntry color="#000000" quantity="5"/></ColorMap></RasterSymbolizer>`), ErrInvalid, ruleLine, "not ramp, intervals or values"},
		{"colour map entry bad colour", rule(`<RasterSymbolizer><ColorMap><ColorMapEntry color="#00000G" quantity="5"/></ColorMap></RasterSymbolizer>`), ErrInvalid, ruleLine, "ColorMapEntry[color]"},
		{"incomplete channels", rule(`<RasterSymbolizer><ChannelSelection><RedChannel><SourceChannelName>1</SourceChannelName></RedChannel></ChannelSelection></RasterSymbolizer>`), ErrInvalid, ruleLine, "must all be given"},
		{"bad IsDefault", `<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld">
<NamedLayer><Name>a</Name>
<UserStyle><IsDefault>yes</IsDefault><FeatureTypeStyle><Rule><PointSymbolizer/></Rule></FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>`, ErrInvalid, 3, "UserStyle/IsDefault"},
		{"deep nesting", strings.Repeat("<a>", MaxDepth+1), ErrInvalid, 1, "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.sld", []byte(tc.doc))
			if err == nil {
				t.Fatal("no error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *Error: %v", err, err)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
			if e.File != "t.sld" || e.Line != tc.wantLine {
				t.Errorf("located at %s:%d, want t.sld:%d (%v)", e.File, e.Line, tc.wantLine, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	doc := sld10(`<Rule>
<LineSymbolizer>
<Stroke>
  <CssParameter name="stroke-width">thick</CssParameter>
</Stroke>
</LineSymbolizer>
</Rule>`)
	_, err := Parse("roads.sld", []byte(doc))
	const want = `roads.sld:11:3: StyledLayerDescriptor/NamedLayer/UserStyle/FeatureTypeStyle/Rule/LineSymbolizer/Stroke/CssParameter[stroke-width]: "thick" is not a number`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestLimits(t *testing.T) {
	big := make([]byte, MaxInputSize+1)
	if _, err := Parse("big.sld", big); !errors.Is(err, ErrInvalid) {
		t.Errorf("oversized: %v", err)
	}
	many := "<StyledLayerDescriptor>" + strings.Repeat("<a/>", MaxElements) + "</StyledLayerDescriptor>"
	if _, err := Parse("many.sld", []byte(many)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many elements: %v", err)
	}
}

func TestExpressionEval(t *testing.T) {
	e := Expression{Parts: []Part{{Literal: "Route "}, {Property: "ref"}, {Property: "missing"}}}
	got := e.Eval(func(n string) (string, bool) {
		if n == "ref" {
			return "A7", true
		}
		return "", false
	})
	if got != "Route A7" {
		t.Errorf("Eval = %q", got)
	}
	if s := e.String(); s != "Route [ref][missing]" {
		t.Errorf("String = %q", s)
	}
}

func TestLookup(t *testing.T) {
	sld := mustParse(t, "roads.sld", readFixture(t, "roads-sld10.sld"))
	for _, tc := range []struct {
		layer, style, want string
		ok                 bool
	}{
		{"roads", "", "roads", true},
		{"roads", "roads", "roads", true},
		{"places", "", "places", true},
		{"roads", "night", "", false},
		{"rivers", "", "", false},
	} {
		s, ok := sld.Lookup(tc.layer, tc.style)
		if ok != tc.ok || s.Name != tc.want {
			t.Errorf("Lookup(%q, %q) = %q, %v", tc.layer, tc.style, s.Name, ok)
		}
	}
}
