package wms

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/xmlvalid"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
	"github.com/tuiles/tuiles/styles"
)

var fillRed = color.NRGBA{0xe0, 0x20, 0x20, 0xff}

func redStyle() *styles.Style {
	f := styles.Fill{Color: fillRed, Opacity: 1}
	return &styles.Style{Name: "red", FeatureTypeStyles: []styles.FeatureTypeStyle{{Rules: []styles.Rule{{
		Name: "all", Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{Fill: &f}}}}}}}
}

// newTestHandler serves one WMS layer "zones": a square polygon
// (0..4 E, 44..48 N) in EPSG:4326, with styles "red" and "plain".
func newTestHandler(t testing.TB) http.Handler {
	t.Helper()
	return newLimitedHandler(t, Options{MaxWidth: 4000, MaxHeight: 4000})
}

// newLimitedHandler is newTestHandler with other request limits.
func newLimitedHandler(t testing.TB, limits Options) http.Handler {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "wms.gpkg"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	w, err := s.Write(ctx, store.Layer{Name: "zones", GeometryType: "POLYGON", CRS: crs.WGS84,
		Fields: []store.Field{{Name: "name", Kind: filter.String}, {Name: "area", Kind: filter.Real}}}, store.Create)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	sq := []float64{0, 44, 4, 44, 4, 48, 0, 48, 0, 44}
	if err := w.Add(ctx, store.Feature{Geometry: geom.NewPolygonFlat(geom.XY, sq, []int{len(sq)}), Properties: []any{"a <square>", 16.0}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.New(catalog.Service{Title: "Test WMS"}, []*catalog.Layer{{
		Name: "zones", Title: "Zones", Bounds: crs.Bounds{MinX: 0, MinY: 44, MaxX: 4, MaxY: 48},
		Features: &catalog.Features{Source: s, Table: "zones"},
		Services: []catalog.Protocol{catalog.WMS},
		MapStyles: []catalog.MapStyle{
			{Name: "red", Title: "Red", Style: redStyle()},
			{Name: "plain", Title: "Plain"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = c.WithGroups([]catalog.Group{{Name: "all", Title: "Everything", Layers: []string{"zones"}}}); err != nil {
		t.Fatal(err)
	}
	return NewHandler(HandlerOptions{
		Catalog:   catalog.NewLive(c),
		PublicURL: "http://example.test",
		Renderer:  render.New(render.Options{MaxPixels: 3000 * 3000}),
		Limits:    limits,
		CRSs:      []string{"EPSG:4326", "CRS:84", "EPSG:3857"},
	})
}

func do(t *testing.T, h http.Handler, query string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/wms?"+query, nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestHandlerCapabilities(t *testing.T) {
	h := newTestHandler(t)
	resp, body := do(t, h, "SERVICE=WMS&REQUEST=GetCapabilities")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != CapabilitiesContentType130 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	xmlvalid.Validate(t, body, capabilitiesSchema130, sldCapabilitiesSchema)
	for _, want := range []string{"<Name>zones</Name>", "<Name>red</Name>", "<Name>plain</Name>", `queryable="1"`, "http://example.test/wms?", "<GetFeatureInfo>"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("1.3.0 capabilities lack %s", want)
		}
	}
	if !bytes.Contains(body, []byte(`<LegendURL width="20" height="20">`)) || !bytes.Contains(body, []byte("REQUEST=GetLegendGraphic&amp;SERVICE=WMS&amp;STYLE=red&amp;VERSION=1.3.0")) {
		t.Errorf("1.3.0 capabilities lack the legend of style red")
	}
	for _, q := range []string{"service=wms&request=GetCapabilities&version=1.1.1", "REQUEST=capabilities&WMTVER=1.0.0"} {
		resp, body = do(t, h, q)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != CapabilitiesContentType111 {
			t.Fatalf("%s: %d %s", q, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		xmlvalid.ValidateDTD(t, body)
		if !bytes.Contains(body, []byte("<GetFeatureInfo>")) || !bytes.Contains(body, []byte(`queryable="1"`)) {
			t.Errorf("1.1.1 capabilities do not advertise GetFeatureInfo and queryable layers")
		}
	}
}

func TestHandlerCapabilitiesDefaultStyle(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.gpkg"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := catalog.New(catalog.Service{Title: "T"}, []*catalog.Layer{{Name: "x", Bounds: crs.Bounds{MinX: 0, MinY: 0, MaxX: 1, MaxY: 1},
		Features: &catalog.Features{Source: s, Table: "x"}, Services: []catalog.Protocol{catalog.WMS}}})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(HandlerOptions{Catalog: catalog.NewLive(c)})
	_, body := do(t, h, "SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
	xmlvalid.Validate(t, body, capabilitiesSchema130, sldCapabilitiesSchema)
	if !bytes.Contains(body, []byte("<Name>default</Name>")) {
		t.Error("no default style advertised")
	}
}

func getImage(t *testing.T, h http.Handler, query, wantType string) image.Image {
	t.Helper()
	q := "SERVICE=WMS&REQUEST=GetMap&" + query
	if !strings.Contains(query, "LAYERS=") {
		q += "&LAYERS=zones"
	}
	if !strings.Contains(query, "STYLES=") {
		q += "&STYLES="
	}
	resp, body := do(t, h, q)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != wantType {
		t.Fatalf("%s: %d %s: %.400s", query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var img image.Image
	var err error
	if wantType == "image/jpeg" {
		img, err = jpeg.Decode(bytes.NewReader(body))
	} else {
		img, err = png.Decode(bytes.NewReader(body))
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return img
}

func nrgba(img image.Image, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

func nearColor(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func sameImage(t *testing.T, a, b image.Image) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v != %v", a.Bounds(), b.Bounds())
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if nrgba(a, x, y) != nrgba(b, x, y) {
				t.Fatalf("pixel %d,%d: %v != %v", x, y, nrgba(a, x, y), nrgba(b, x, y))
			}
		}
	}
}

func TestHandlerGetMap(t *testing.T) {
	h := newTestHandler(t)
	// View -2..6 E, 42..50 N at 200×100 px: the square 0..4 E, 44..48 N
	// spans x 50..150, y 25..75.
	a := getImage(t, h, "VERSION=1.3.0&CRS=EPSG:4326&BBOX=42,-2,50,6&WIDTH=200&HEIGHT=100&FORMAT=image/png", "image/png")
	if a.Bounds().Dx() != 200 || a.Bounds().Dy() != 100 {
		t.Fatalf("size %v", a.Bounds())
	}
	if p := nrgba(a, 100, 50); p != fillRed {
		t.Errorf("inside pixel %v, want %v", p, fillRed)
	}
	if p := nrgba(a, 10, 10); p != (color.NRGBA{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("outside pixel %v, want white", p)
	}
	b := getImage(t, h, "VERSION=1.1.1&SRS=EPSG:4326&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png", "image/png")
	sameImage(t, a, b)
	c := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png", "image/png")
	sameImage(t, a, c)

	// EPSG:3857 around the square's centre (2 E, 46 N).
	m := getImage(t, h, "VERSION=1.3.0&CRS=EPSG:3857&BBOX=100000,5700000,350000,5850000&WIDTH=100&HEIGHT=60&FORMAT=image/png", "image/png")
	if p := nrgba(m, 50, 30); p != fillRed {
		t.Errorf("EPSG:3857 centre pixel %v, want %v", p, fillRed)
	}

	// Named style without a style: the renderer default grey.
	p := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png&STYLES=plain", "image/png")
	if c := nrgba(p, 100, 50); c == fillRed {
		t.Errorf("style plain drew the red fill")
	}
	// BGCOLOR and TRANSPARENT.
	bg := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png&BGCOLOR=0x0000FF", "image/png")
	if c := nrgba(bg, 5, 5); c != (color.NRGBA{0, 0, 0xff, 0xff}) {
		t.Errorf("BGCOLOR pixel %v", c)
	}
	tr := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png&TRANSPARENT=TRUE", "image/png")
	if c := nrgba(tr, 5, 5); c.A != 0 {
		t.Errorf("transparent pixel %v", c)
	}

	j := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/jpeg", "image/jpeg")
	if c := nrgba(j, 100, 50); !nearColor(c, fillRed, 12) || j.Bounds().Dx() != 200 {
		t.Errorf("JPEG pixel %v, want about %v", c, fillRed)
	}
	p8 := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png%3B%20mode%3D8bit", "image/png")
	if _, ok := p8.(*image.Paletted); !ok {
		t.Errorf("PNG8 decoded as %T", p8)
	}
	if c := nrgba(p8, 100, 50); !nearColor(c, fillRed, 4) {
		t.Errorf("PNG8 pixel %v, want about %v", c, fillRed)
	}

	// HEAD answers the headers only.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/wms?SERVICE=WMS&REQUEST=GetCapabilities", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestHandlerErrors(t *testing.T) {
	h := newTestHandler(t)
	const ok130 = "SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png"
	const ok111 = "SERVICE=WMS&REQUEST=GetMap&VERSION=1.1.1&SRS=EPSG:4326&BBOX=-2,42,6,50&WIDTH=200&HEIGHT=100&FORMAT=image/png"
	for _, tc := range []struct {
		name, query string
		status      int
		code        string
	}{
		{"unknown layer", ok130 + "&LAYERS=nope", 400, "LayerNotDefined"},
		{"unknown style", ok130 + "&LAYERS=zones&STYLES=blue", 400, "StyleNotDefined"},
		{"unknown crs", strings.Replace(ok130, "CRS:84", "EPSG:2154", 1) + "&LAYERS=zones", 400, "InvalidCRS"},
		{"unknown format", strings.Replace(ok130, "image/png", "image/gif", 1) + "&LAYERS=zones", 400, "InvalidFormat"},
		{"huge size", strings.Replace(ok130, "WIDTH=200", "WIDTH=100000", 1) + "&LAYERS=zones", 400, "InvalidParameterValue"},
		{"render limit", strings.Replace(strings.Replace(ok130, "WIDTH=200", "WIDTH=3500", 1), "HEIGHT=100", "HEIGHT=3500", 1) + "&LAYERS=zones", 400, "InvalidParameterValue"},
		{"bad bbox", strings.Replace(ok130, "-2,42,6,50", "6,42,-2,50", 1) + "&LAYERS=zones", 400, "InvalidParameterValue"},
		{"missing service", "REQUEST=GetMap&VERSION=1.3.0", 400, "MissingParameterValue"},
		{"wrong service", "SERVICE=WFS&REQUEST=GetCapabilities", 400, "InvalidParameterValue"},
		{"feature info without map", "SERVICE=WMS&REQUEST=GetFeatureInfo&VERSION=1.3.0", 400, "MissingParameterValue"},
		{"legend without layer", "SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION=1.3.0", 400, "MissingParameterValue"},
		{"legend of an unknown layer", "SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION=1.3.0&FORMAT=image/png&LAYER=nope", 400, "LayerNotDefined"},
		{"legend of an unknown style", "SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION=1.3.0&FORMAT=image/png&LAYER=zones&STYLE=blue", 400, "StyleNotDefined"},
		{"legend of an unknown rule", "SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION=1.3.0&FORMAT=image/png&LAYER=zones&STYLE=red&RULE=nope", 400, "InvalidParameterValue"},
		{"legend too big", "SERVICE=WMS&REQUEST=GetLegendGraphic&VERSION=1.3.0&FORMAT=image/png&LAYER=zones&WIDTH=3000", 400, "InvalidParameterValue"},
		{"unknown request", "SERVICE=WMS&REQUEST=Dance&VERSION=1.3.0", 400, "OperationNotSupported"},
		{"111 unknown layer", ok111 + "&LAYERS=nope", 200, "LayerNotDefined"},
		{"111 unknown srs", strings.Replace(ok111, "EPSG:4326", "EPSG:2154", 1) + "&LAYERS=zones", 200, "InvalidSRS"},
		{"111 feature info without map", "SERVICE=WMS&REQUEST=GetFeatureInfo&VERSION=1.1.1", 200, "MissingParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, h, tc.query)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if !bytes.Contains(body, []byte(`code="`+tc.code+`"`)) {
				t.Errorf("want code %s: %s", tc.code, body)
			}
			if strings.Contains(tc.name, "111") {
				if resp.Header.Get("Content-Type") != ExceptionContentType111 {
					t.Errorf("content type %s", resp.Header.Get("Content-Type"))
				}
				xmlvalid.ValidateDTD(t, body)
			} else {
				if resp.Header.Get("Content-Type") != ExceptionContentType130 {
					t.Errorf("content type %s", resp.Header.Get("Content-Type"))
				}
				xmlvalid.Validate(t, body, "wms/1.3.0/exceptions_1_3_0.xsd")
			}
		})
	}
}

func TestHandlerInImage(t *testing.T) {
	h := newTestHandler(t)
	img := getImage(t, h, "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=300&HEIGHT=120&FORMAT=image/png&LAYERS=nope&EXCEPTIONS=INIMAGE", "image/png")
	if img.Bounds().Dx() != 300 || img.Bounds().Dy() != 120 {
		t.Fatalf("size %v", img.Bounds())
	}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	drawn := 0
	for y := range 120 {
		for x := range 300 {
			if nrgba(img, x, y) != white {
				drawn++
			}
		}
	}
	if drawn == 0 {
		t.Error("INIMAGE: no message drawn")
	}
	blank := getImage(t, h, "VERSION=1.1.1&SRS=EPSG:4326&BBOX=-2,42,6,50&WIDTH=30&HEIGHT=20&FORMAT=image/jpeg&LAYERS=nope&EXCEPTIONS=application/vnd.ogc.se_blank", "image/jpeg")
	if blank.Bounds().Dx() != 30 || !nearColor(nrgba(blank, 15, 10), white, 2) {
		t.Errorf("BLANK: %v %v", blank.Bounds(), nrgba(blank, 15, 10))
	}
}

// getLegend fetches a GetLegendGraphic image.
func getLegend(t *testing.T, h http.Handler, query, wantType string) image.Image {
	t.Helper()
	resp, body := do(t, h, "SERVICE=WMS&REQUEST=GetLegendGraphic&"+query)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != wantType {
		t.Fatalf("%s: %d %s: %.400s", query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return img
}

func TestHandlerLegend(t *testing.T) {
	h := newTestHandler(t)
	img := getLegend(t, h, "VERSION=1.3.0&FORMAT=image/png&LAYER=zones&STYLE=red", "image/png")
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 20 {
		t.Errorf("legend size %v, want the 20×20 swatch of a one-rule style", b)
	}
	if p := nrgba(img, 10, 10); !nearColor(p, fillRed, 2) {
		t.Errorf("legend centre %v, want the red fill", p)
	}
	img = getLegend(t, h, "FORMAT=image/jpeg&LAYER=zones&WIDTH=40&HEIGHT=30&RULE=all&STYLE=red", "image/jpeg")
	if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 30 {
		t.Errorf("legend size %v, want 40×30", b)
	}
	// The style without an SLD draws the default polygon: grey.
	img = getLegend(t, h, "FORMAT=image/png&LAYER=zones&STYLE=plain", "image/png")
	if p := nrgba(img, 10, 10); !nearColor(p, color.NRGBA{0x80, 0x80, 0x80, 0xff}, 2) {
		t.Errorf("default legend centre %v, want grey", p)
	}
}

func TestHandlerGroup(t *testing.T) {
	h := newTestHandler(t)
	const q = "VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=100&HEIGHT=100&FORMAT=image/png&STYLES="
	sameImage(t, getImage(t, h, q+"&LAYERS=all", "image/png"), getImage(t, h, q+"&LAYERS=zones", "image/png"))
	_, body := do(t, h, "SERVICE=WMS&REQUEST=GetMap&"+q+"default&LAYERS=all")
	if bytes.Contains(body, []byte("ServiceException")) {
		t.Errorf("group with the default style: %s", body)
	}
	_, body = do(t, h, "SERVICE=WMS&REQUEST=GetMap&"+q+"red&LAYERS=all")
	if !bytes.Contains(body, []byte(`code="StyleNotDefined"`)) {
		t.Errorf("group with a style: %s", body)
	}
	_, body = do(t, h, "SERVICE=WMS&REQUEST=GetFeatureInfo&VERSION=1.3.0&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=100&HEIGHT=100&LAYERS=all&QUERY_LAYERS=all&STYLES=&I=50&J=50&INFO_FORMAT=text/plain")
	if !bytes.Contains(body, []byte("Results for layer 'zones'")) {
		t.Errorf("feature info through a group: %s", body)
	}
	_, caps := do(t, h, "SERVICE=WMS&REQUEST=GetCapabilities")
	if !bytes.Contains(caps, []byte("<Name>all</Name>\n        <Title>Everything</Title>")) || !bytes.Contains(caps, []byte("        <Layer queryable=\"1\">\n          <Name>zones</Name>")) {
		t.Errorf("capabilities lack the group around zones:\n%s", caps)
	}
}
