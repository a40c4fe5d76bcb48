package wms

import (
	"errors"
	"image/color"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
)

// kvp parses a query string where a later parameter replaces an earlier
// one of the same name (any case), so that cases can override a base.
func kvp(t testing.TB, q string) ows.KVP {
	t.Helper()
	v := url.Values{}
	for pair := range strings.SplitSeq(q, "&") {
		k, val, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		v[strings.ToUpper(k)] = []string{val}
	}
	return ows.ParseKVP(v)
}

// testOptions publishes two layers, one not queryable.
func testOptions() Options {
	layers := map[string]Layer{
		"countries": {Styles: []string{"default", "labels"}, Queryable: true},
		"dem":       {Styles: []string{"ramp"}},
	}
	return Options{
		MaxWidth: 2048, MaxHeight: 1024, MaxFeatureCount: 10, MaxLayers: 3,
		CRSs: DefaultCRSs(),
		Layer: func(name string) (Layer, bool) {
			l, ok := layers[name]
			return l, ok
		},
	}
}

const base130 = "SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0&LAYERS=countries&STYLES=&CRS=EPSG:3857&BBOX=0,0,100,50&WIDTH=256&HEIGHT=128&FORMAT=image/png"
const base111 = "SERVICE=WMS&REQUEST=GetMap&VERSION=1.1.1&LAYERS=countries&STYLES=&SRS=EPSG:3857&BBOX=0,0,100,50&WIDTH=256&HEIGHT=128&FORMAT=image/png"

func near(a, b crs.Bounds) bool {
	const eps = 1e-9
	return math.Abs(a.MinX-b.MinX) < eps && math.Abs(a.MinY-b.MinY) < eps && math.Abs(a.MaxX-b.MaxX) < eps && math.Abs(a.MaxY-b.MaxY) < eps
}

func TestParseGetMapAxisOrder(t *testing.T) {
	france := crs.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51}
	tests := []struct {
		name  string
		query string
		crs   crs.CRS
		want  crs.Bounds
	}{
		{"1.3.0 EPSG:4326 is lat/lon", "VERSION=1.3.0&CRS=EPSG:4326&BBOX=41,-5,51,10", crs.WGS84, france},
		{"1.1.1 EPSG:4326 is lon/lat", "VERSION=1.1.1&SRS=EPSG:4326&BBOX=-5,41,10,51", crs.WGS84, france},
		{"1.3.0 CRS:84 is lon/lat", "VERSION=1.3.0&CRS=CRS:84&BBOX=-5,41,10,51", crs.CRS84, france},
		{"1.1.1 CRS:84 is lon/lat", "VERSION=1.1.1&SRS=CRS:84&BBOX=-5,41,10,51", crs.CRS84, france},
		{"1.3.0 URN EPSG:4326 is lat/lon", "VERSION=1.3.0&CRS=urn:ogc:def:crs:EPSG::4326&BBOX=41,-5,51,10", crs.WGS84, france},
		{"1.3.0 EPSG:4258 is lat/lon", "VERSION=1.3.0&CRS=EPSG:4258&BBOX=41,-5,51,10", crs.CRS{Authority: "EPSG", Code: "4258"}, france},
		{"1.3.0 EPSG:3035 is northing first", "VERSION=1.3.0&CRS=EPSG:3035&BBOX=2000000,3000000,3000000,4500000",
			crs.CRS{Authority: "EPSG", Code: "3035"}, crs.Bounds{MinX: 3000000, MinY: 2000000, MaxX: 4500000, MaxY: 3000000}},
		{"1.1.1 EPSG:3035 is x,y", "VERSION=1.1.1&SRS=EPSG:3035&BBOX=3000000,2000000,4500000,3000000",
			crs.CRS{Authority: "EPSG", Code: "3035"}, crs.Bounds{MinX: 3000000, MinY: 2000000, MaxX: 4500000, MaxY: 3000000}},
		{"1.3.0 EPSG:2154 is easting first", "VERSION=1.3.0&CRS=EPSG:2154&BBOX=100000,6000000,1200000,7200000",
			crs.Lambert93, crs.Bounds{MinX: 100000, MinY: 6000000, MaxX: 1200000, MaxY: 7200000}},
		{"1.3.0 EPSG:3857 is easting first", "VERSION=1.3.0&CRS=EPSG:3857&BBOX=-100,-50,100,50",
			crs.WebMercator, crs.Bounds{MinX: -100, MinY: -50, MaxX: 100, MaxY: 50}},
		{"legacy 900913 alias", "VERSION=1.1.1&SRS=EPSG:900913&BBOX=-100,-50,100,50",
			crs.WebMercator, crs.Bounds{MinX: -100, MinY: -50, MaxX: 100, MaxY: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseGetMap(kvp(t, "LAYERS=a&WIDTH=10&HEIGHT=10&FORMAT=image/png&"+tt.query))
			if err != nil {
				t.Fatal(err)
			}
			if m.CRS != tt.crs || !near(m.BBox, tt.want) {
				t.Errorf("got %v %v, want %v %v", m.CRS, m.BBox, tt.crs, tt.want)
			}
		})
	}
}

func TestParseGetMapSameAreaBothVersions(t *testing.T) {
	a, err := ParseGetMap(kvp(t, "VERSION=1.3.0&LAYERS=a&CRS=EPSG:4326&BBOX=41.3,-5.2,51.1,9.6&WIDTH=10&HEIGHT=10&FORMAT=image/png"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseGetMap(kvp(t, "VERSION=1.1.1&LAYERS=a&SRS=EPSG:4326&BBOX=-5.2,41.3,9.6,51.1&WIDTH=10&HEIGHT=10&FORMAT=image/png"))
	if err != nil {
		t.Fatal(err)
	}
	if a.BBox != b.BBox || a.CRS != b.CRS {
		t.Errorf("1.3.0 %v %v != 1.1.1 %v %v", a.CRS, a.BBox, b.CRS, b.BBox)
	}
}

func TestParseGetMapFields(t *testing.T) {
	o := testOptions()
	tests := []struct {
		name  string
		query string
		check func(t *testing.T, m GetMap)
	}{
		{"defaults", base130, func(t *testing.T, m GetMap) {
			if m.Version != Version130 || !slices.Equal(m.Layers, []string{"countries"}) || !slices.Equal(m.Styles, []string{""}) ||
				m.Width != 256 || m.Height != 128 || m.Format != FormatPNG || m.Transparent ||
				m.BGColor != (color.RGBA{255, 255, 255, 255}) || m.Exceptions != ExceptionsXML {
				t.Errorf("%+v", m)
			}
		}},
		{"styles and several layers", base130 + "&LAYERS=countries,dem,countries&STYLES=,ramp,labels", func(t *testing.T, m GetMap) {
			if !slices.Equal(m.Layers, []string{"countries", "dem", "countries"}) || !slices.Equal(m.Styles, []string{"", "ramp", "labels"}) {
				t.Errorf("%v %v", m.Layers, m.Styles)
			}
		}},
		{"STYLES absent", "VERSION=1.3.0&LAYERS=countries,dem&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&FORMAT=image/png", func(t *testing.T, m GetMap) {
			if !slices.Equal(m.Styles, []string{"", ""}) {
				t.Errorf("%q", m.Styles)
			}
		}},
		{"default style name", base130 + "&STYLES=default", func(t *testing.T, m GetMap) {}},
		{"png8 spelled with mode", base130 + "&FORMAT=image/png;+mode%3D8bit", func(t *testing.T, m GetMap) {
			if m.Format != FormatPNG8 {
				t.Error(m.Format)
			}
		}},
		{"png8", base130 + "&FORMAT=image/png8", func(t *testing.T, m GetMap) {
			if m.Format != FormatPNG8 {
				t.Error(m.Format)
			}
		}},
		{"jpeg", base130 + "&FORMAT=image/jpeg", func(t *testing.T, m GetMap) {
			if m.Format != FormatJPEG {
				t.Error(m.Format)
			}
		}},
		{"transparent lower case", base130 + "&transparent=true", func(t *testing.T, m GetMap) {
			if !m.Transparent {
				t.Error("not transparent")
			}
		}},
		{"transparent FALSE", base130 + "&TRANSPARENT=FALSE", func(t *testing.T, m GetMap) {
			if m.Transparent {
				t.Error("transparent")
			}
		}},
		{"bgcolor", base130 + "&BGCOLOR=0x1A2b3C", func(t *testing.T, m GetMap) {
			if m.BGColor != (color.RGBA{0x1a, 0x2b, 0x3c, 0xff}) {
				t.Error(m.BGColor)
			}
		}},
		{"INIMAGE", base130 + "&EXCEPTIONS=INIMAGE", func(t *testing.T, m GetMap) {
			if m.Exceptions != ExceptionsInImage {
				t.Error(m.Exceptions)
			}
		}},
		{"BLANK", base130 + "&EXCEPTIONS=BLANK", func(t *testing.T, m GetMap) {
			if m.Exceptions != ExceptionsBlank {
				t.Error(m.Exceptions)
			}
		}},
		{"1.3.0 XML", base130 + "&EXCEPTIONS=XML", func(t *testing.T, m GetMap) {
			if m.Exceptions != ExceptionsXML {
				t.Error(m.Exceptions)
			}
		}},
		{"1.1.1 se_xml", base111 + "&EXCEPTIONS=application/vnd.ogc.se_xml", func(t *testing.T, m GetMap) {
			if m.Exceptions != ExceptionsXML || m.Version != Version111 {
				t.Error(m.Exceptions)
			}
		}},
		{"1.1.1 se_inimage", base111 + "&EXCEPTIONS=application/vnd.ogc.se_inimage", func(t *testing.T, m GetMap) {
			if m.Exceptions != ExceptionsInImage {
				t.Error(m.Exceptions)
			}
		}},
		{"1.1.1 se_blank", base111 + "&EXCEPTIONS=application/vnd.ogc.se_blank", func(t *testing.T, m GetMap) {
			if m.Exceptions != ExceptionsBlank {
				t.Error(m.Exceptions)
			}
		}},
		{"WMTVER", "WMTVER=1.1.1&LAYERS=countries&SRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&FORMAT=image/png", func(t *testing.T, m GetMap) {
			if m.Version != Version111 {
				t.Error(m.Version)
			}
		}},
		{"size at the limits", base130 + "&WIDTH=2048&HEIGHT=1024", func(t *testing.T, m GetMap) {
			if m.Width != 2048 || m.Height != 1024 {
				t.Error(m.Width, m.Height)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := o.ParseGetMap(kvp(t, tt.query))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m)
		})
	}
}

type badCase struct {
	name    string
	query   string
	code    string
	locator string
}

func checkBad(t *testing.T, tests []badCase, parse func(ows.KVP) error) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parse(kvp(t, tt.query))
			var e *ows.Error
			if !errors.As(err, &e) {
				t.Fatalf("want *ows.Error %s, got %v", tt.code, err)
			}
			if e.Code != tt.code || e.Locator != tt.locator {
				t.Errorf("got %s/%s (%v), want %s/%s", e.Code, e.Locator, e, tt.code, tt.locator)
			}
			if e.Status != 400 {
				t.Errorf("status %d", e.Status)
			}
		})
	}
}

func TestParseGetMapErrors(t *testing.T) {
	o := testOptions()
	tests := []badCase{
		{"no version", "LAYERS=countries&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&FORMAT=image/png", ows.CodeMissingParameterValue, "VERSION"},
		{"bad version", base130 + "&VERSION=2.0.0", ows.CodeInvalidParameterValue, "VERSION"},
		{"no layers", base130 + "&LAYERS=", ows.CodeMissingParameterValue, "LAYERS"},
		{"unknown layer", base130 + "&LAYERS=nope", ows.CodeLayerNotDefined, "LAYERS"},
		{"empty layer in list", base130 + "&LAYERS=countries,,dem&STYLES=,,", ows.CodeLayerNotDefined, "LAYERS"},
		{"unknown style", base130 + "&STYLES=fancy", ows.CodeStyleNotDefined, "STYLES"},
		{"style of another layer", base130 + "&STYLES=ramp", ows.CodeStyleNotDefined, "STYLES"},
		{"style count mismatch", base130 + "&LAYERS=countries,dem&STYLES=labels", ows.CodeStyleNotDefined, "STYLES"},
		{"1.3.0 no CRS", "VERSION=1.3.0&LAYERS=countries&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&FORMAT=image/png", ows.CodeMissingParameterValue, "CRS"},
		{"1.1.1 no SRS", "VERSION=1.1.1&LAYERS=countries&CRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=1&HEIGHT=1&FORMAT=image/png", ows.CodeMissingParameterValue, "SRS"},
		{"1.3.0 unknown CRS", base130 + "&CRS=EPSG:999999", ows.CodeInvalidCRS, "CRS"},
		{"1.3.0 garbage CRS", base130 + "&CRS=nonsense", ows.CodeInvalidCRS, "CRS"},
		{"1.3.0 CRS not offered", base130 + "&CRS=EPSG:32631", ows.CodeInvalidCRS, "CRS"},
		{"1.1.1 unknown SRS", base111 + "&SRS=EPSG:999999", ows.CodeInvalidSRS, "SRS"},
		{"1.1.1 SRS not offered", base111 + "&SRS=EPSG:32631", ows.CodeInvalidSRS, "SRS"},
		{"no bbox", base130 + "&BBOX=", ows.CodeMissingParameterValue, "BBOX"},
		{"bbox three numbers", base130 + "&BBOX=0,0,1", ows.CodeInvalidParameterValue, "BBOX"},
		{"bbox not numbers", base130 + "&BBOX=a,b,c,d", ows.CodeInvalidParameterValue, "BBOX"},
		{"bbox NaN", base130 + "&BBOX=NaN,0,1,1", ows.CodeInvalidParameterValue, "BBOX"},
		{"bbox Inf", base130 + "&BBOX=0,0,Inf,1", ows.CodeInvalidParameterValue, "BBOX"},
		{"bbox inverted", base130 + "&BBOX=10,0,0,10", ows.CodeInvalidParameterValue, "BBOX"},
		{"bbox flat", base130 + "&BBOX=0,5,10,5", ows.CodeInvalidParameterValue, "BBOX"},
		{"1.3.0 EPSG:4326 lon/lat order is inverted", "VERSION=1.3.0&LAYERS=countries&CRS=EPSG:4326&BBOX=10,50,5,60&WIDTH=1&HEIGHT=1&FORMAT=image/png", ows.CodeInvalidParameterValue, "BBOX"},
		{"no width", base130 + "&WIDTH=", ows.CodeMissingParameterValue, "WIDTH"},
		{"width zero", base130 + "&WIDTH=0", ows.CodeInvalidParameterValue, "WIDTH"},
		{"width negative", base130 + "&WIDTH=-5", ows.CodeInvalidParameterValue, "WIDTH"},
		{"width not integer", base130 + "&WIDTH=12.5", ows.CodeInvalidParameterValue, "WIDTH"},
		{"width over limit", base130 + "&WIDTH=2049", ows.CodeInvalidParameterValue, "WIDTH"},
		{"height over limit", base130 + "&HEIGHT=1025", ows.CodeInvalidParameterValue, "HEIGHT"},
		{"layers over limit", base130 + "&LAYERS=countries,dem,countries,dem&STYLES=", ows.CodeInvalidParameterValue, "LAYERS"},
		{"no height", base130 + "&HEIGHT=", ows.CodeMissingParameterValue, "HEIGHT"},
		{"no format", base130 + "&FORMAT=", ows.CodeMissingParameterValue, "FORMAT"},
		{"bad format", base130 + "&FORMAT=image/gif", ows.CodeInvalidFormat, "FORMAT"},
		{"bad transparent", base130 + "&TRANSPARENT=yes", ows.CodeInvalidParameterValue, "TRANSPARENT"},
		{"bgcolor without 0x", base130 + "&BGCOLOR=FFFFFF", ows.CodeInvalidParameterValue, "BGCOLOR"},
		{"bgcolor short", base130 + "&BGCOLOR=0xFFF", ows.CodeInvalidParameterValue, "BGCOLOR"},
		{"bgcolor not hex", base130 + "&BGCOLOR=0xGGGGGG", ows.CodeInvalidParameterValue, "BGCOLOR"},
		{"bad exceptions", base130 + "&EXCEPTIONS=text/html", ows.CodeInvalidParameterValue, "EXCEPTIONS"},
	}
	checkBad(t, tests, func(k ows.KVP) error { _, err := o.ParseGetMap(k); return err })
}

func TestParseGetFeatureInfo(t *testing.T) {
	o := testOptions()
	g, err := o.ParseGetFeatureInfo(kvp(t, base130+"&REQUEST=GetFeatureInfo&QUERY_LAYERS=countries&I=10&J=127&INFO_FORMAT=application/json&FEATURE_COUNT=99"))
	if err != nil {
		t.Fatal(err)
	}
	if g.I != 10 || g.J != 127 || g.InfoFormat != InfoJSON || g.FeatureCount != 10 || !slices.Equal(g.QueryLayers, []string{"countries"}) {
		t.Errorf("%+v", g)
	}
	g, err = o.ParseGetFeatureInfo(kvp(t, "VERSION=1.1.1&LAYERS=countries&SRS=EPSG:4326&BBOX=-5,41,10,51&WIDTH=100&HEIGHT=80&QUERY_LAYERS=countries&X=50&Y=40"))
	if err != nil {
		t.Fatal(err)
	}
	if g.I != 50 || g.J != 40 || g.InfoFormat != InfoText || g.FeatureCount != 1 || g.Map.Format != FormatPNG {
		t.Errorf("%+v", g)
	}
	const gfi = base130 + "&QUERY_LAYERS=countries&I=1&J=1&INFO_FORMAT=text/html"
	checkBad(t, []badCase{
		{"map part checked", gfi + "&CRS=EPSG:999999", ows.CodeInvalidCRS, "CRS"},
		{"no query layers", gfi + "&QUERY_LAYERS=", ows.CodeMissingParameterValue, "QUERY_LAYERS"},
		{"query layer not in LAYERS", gfi + "&QUERY_LAYERS=dem", ows.CodeLayerNotDefined, "QUERY_LAYERS"},
		{"query layer not queryable", gfi + "&LAYERS=countries,dem&STYLES=&QUERY_LAYERS=dem", CodeLayerNotQueryable, "QUERY_LAYERS"},
		{"no I", gfi + "&I=", ows.CodeMissingParameterValue, "I"},
		{"I outside", gfi + "&I=256", CodeInvalidPoint, "I"},
		{"J negative", gfi + "&J=-1", CodeInvalidPoint, "J"},
		{"J not a number", gfi + "&J=x", CodeInvalidPoint, "J"},
		{"1.1.1 X outside", "VERSION=1.1.1&LAYERS=countries&SRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10&QUERY_LAYERS=countries&X=10&Y=0", CodeInvalidPoint, "X"},
		{"1.1.1 no Y", "VERSION=1.1.1&LAYERS=countries&SRS=EPSG:3857&BBOX=0,0,1,1&WIDTH=10&HEIGHT=10&QUERY_LAYERS=countries&X=1", ows.CodeMissingParameterValue, "Y"},
		{"1.3.0 no INFO_FORMAT", gfi + "&INFO_FORMAT=", ows.CodeMissingParameterValue, "INFO_FORMAT"},
		{"bad INFO_FORMAT", gfi + "&INFO_FORMAT=application/pdf", ows.CodeInvalidFormat, "INFO_FORMAT"},
		{"bad FEATURE_COUNT", gfi + "&FEATURE_COUNT=0", ows.CodeInvalidParameterValue, "FEATURE_COUNT"},
	}, func(k ows.KVP) error { _, err := o.ParseGetFeatureInfo(k); return err })
}

func TestParseGetLegendGraphic(t *testing.T) {
	o := testOptions()
	g, err := o.ParseGetLegendGraphic(kvp(t, "SERVICE=WMS&REQUEST=GetLegendGraphic&LAYER=countries&STYLE=labels&RULE=big&FORMAT=image/png&WIDTH=30&HEIGHT=20&SCALE=1e6&TRANSPARENT=TRUE"))
	if err != nil {
		t.Fatal(err)
	}
	want := GetLegendGraphic{Version: Version130, Layer: "countries", Style: "labels", Rule: "big", Format: FormatPNG, Width: 30, Height: 20, Scale: 1e6, Transparent: true}
	if g != want {
		t.Errorf("got %+v want %+v", g, want)
	}
	const glg = "VERSION=1.1.1&LAYER=countries&FORMAT=image/png"
	if g, err := o.ParseGetLegendGraphic(kvp(t, glg)); err != nil || g.Version != Version111 || g.Width != 0 {
		t.Errorf("%+v %v", g, err)
	}
	checkBad(t, []badCase{
		{"no layer", glg + "&LAYER=", ows.CodeMissingParameterValue, "LAYER"},
		{"unknown layer", glg + "&LAYER=nope", ows.CodeLayerNotDefined, "LAYER"},
		{"unknown style", glg + "&STYLE=ramp", ows.CodeStyleNotDefined, "STYLE"},
		{"no format", glg + "&FORMAT=", ows.CodeMissingParameterValue, "FORMAT"},
		{"bad format", glg + "&FORMAT=image/svg", ows.CodeInvalidFormat, "FORMAT"},
		{"bad width", glg + "&WIDTH=-1", ows.CodeInvalidParameterValue, "WIDTH"},
		{"bad scale", glg + "&SCALE=-3", ows.CodeInvalidParameterValue, "SCALE"},
		{"bad version", glg + "&VERSION=9", ows.CodeInvalidParameterValue, "VERSION"},
	}, func(k ows.KVP) error { _, err := o.ParseGetLegendGraphic(k); return err })
}

func TestExceptionsNames(t *testing.T) {
	for _, e := range []Exceptions{ExceptionsXML, ExceptionsInImage, ExceptionsBlank} {
		a, b := e.Names()
		for _, s := range []string{a, b} {
			got, err := parseExceptions(s)
			if err != nil || got != e {
				t.Errorf("%q: %v %v", s, got, err)
			}
		}
	}
}
