package wmts_test

import (
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/ows"
)

// checkException fails unless w is a valid OWS 1.1 exception report for
// WMTS 1.0.0 with the given status, code and locator, that no cache keeps.
func checkException(t *testing.T, w *httptest.ResponseRecorder, status int, code, locator string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if mt, _, err := mime.ParseMediaType(w.Header().Get("Content-Type")); err != nil || mt != "application/xml" {
		t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	for _, hd := range []string{"ETag", "Last-Modified", "Content-Encoding"} {
		if v := w.Header().Get(hd); v != "" {
			t.Errorf("an exception carries %s %q", hd, v)
		}
	}
	validateException(t, w.Body.Bytes())
	er, err := parseException(w.Body.Bytes())
	if err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	e := er.Exceptions[0]
	if er.Version != "1.0.0" || e.Code != code || e.Locator != locator {
		t.Errorf("version %q, exception %s locator %q, want %s locator %q: %q", er.Version, e.Code, e.Locator, code, locator, e.Text)
	}
	if len(e.Text) == 0 || e.Text[0] == "" {
		t.Errorf("no ExceptionText")
	}
}

func TestErrors(t *testing.T) {
	const (
		missing  = ows.CodeMissingParameterValue
		invalid  = ows.CodeInvalidParameterValue
		notSupp  = ows.CodeOperationNotSupported
		outRange = ows.CodeTileOutOfRange
		noCode   = ows.CodeNoApplicableCode
	)
	const tile = "/wmts/1.0.0/world/default/WebMercatorQuad/1/"
	fx := newFixture(t)
	h := fx.handler("")
	for _, c := range []struct {
		name    string
		method  string // GET when empty
		target  string
		status  int
		code    string
		locator string
	}{
		// The KVP endpoint and its operations.
		{"no parameter", "", "/wmts", 400, missing, "SERVICE"},
		{"no SERVICE", "", "/wmts/?REQUEST=GetCapabilities", 400, missing, "SERVICE"},
		{"empty SERVICE", "", "/wmts?SERVICE=&REQUEST=GetCapabilities", 400, missing, "SERVICE"},
		{"wrong SERVICE", "", "/wmts?SERVICE=WMS&REQUEST=GetCapabilities", 400, invalid, "SERVICE"},
		{"two SERVICEs", "", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&service=WFS", 400, invalid, "SERVICE"},
		{"no REQUEST", "", "/wmts?SERVICE=WMTS", 400, missing, "REQUEST"},
		{"unknown REQUEST", "", "/wmts?SERVICE=WMTS&REQUEST=GetMap", 501, notSupp, "GetMap"},
		{"GetFeatureInfo", "", tileQuery("REQUEST", "GetFeatureInfo", "I", "1", "J", "1", "INFOFORMAT", "text/html"), 501, notSupp, "GetFeatureInfo"},
		{"two REQUESTs", "", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&REQUEST=GetTile", 400, invalid, "REQUEST"},
		{"malformed query", "", "/wmts?SERVICE=WMTS&REQUEST=%zz", 400, invalid, ""},
		{"semicolon separator", "", "/wmts?SERVICE=WMTS;REQUEST=GetCapabilities", 400, invalid, ""},
		{"garbage", "", "/wmts?%00=%00&&&==&%ff", 400, missing, "SERVICE"},
		{"no acceptable version", "", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&AcceptVersions=2.0.0,0.9", 400, ows.CodeVersionNegotiation, ""},
		{"unknown section", "", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&Sections=Contents,Layers", 400, invalid, "SECTIONS"},

		// KVP GetTile parameters.
		{"no VERSION", "", tileQuery("VERSION", omit), 400, missing, "VERSION"},
		{"wrong VERSION", "", tileQuery("VERSION", "1.1.0"), 400, invalid, "VERSION"},
		{"no LAYER", "", tileQuery("LAYER", omit), 400, missing, "LAYER"},
		{"empty LAYER", "", tileQuery("LAYER", ""), 400, missing, "LAYER"},
		{"unknown LAYER", "", tileQuery("LAYER", "nope"), 400, invalid, "LAYER"},
		{"LAYER case matters", "", tileQuery("LAYER", "World"), 400, invalid, "LAYER"},
		{"LAYER without tiles", "", tileQuery("LAYER", "wmsonly"), 400, invalid, "LAYER"},
		{"two LAYERs", "", tileQuery("layer", "roads"), 400, invalid, "LAYER"},
		{"no STYLE", "", tileQuery("STYLE", omit), 400, missing, "STYLE"},
		{"unknown STYLE", "", tileQuery("STYLE", "fancy"), 400, invalid, "STYLE"},
		{"no FORMAT", "", tileQuery("FORMAT", omit), 400, missing, "FORMAT"},
		{"unknown FORMAT", "", tileQuery("FORMAT", "image/gif"), 400, invalid, "FORMAT"},
		{"FORMAT the layer lacks", "", tileQuery("FORMAT", "application/vnd.mapbox-vector-tile"), 400, invalid, "FORMAT"},
		{"FORMAT as extension", "", tileQuery("FORMAT", "png"), 400, invalid, "FORMAT"},
		{"no TILEMATRIXSET", "", tileQuery("TILEMATRIXSET", omit), 400, missing, "TILEMATRIXSET"},
		{"unknown TILEMATRIXSET", "", tileQuery("TILEMATRIXSET", "EPSG:4326"), 400, invalid, "TILEMATRIXSET"},
		{"TILEMATRIXSET of another layer", "", tileQuery("TILEMATRIXSET", "PM"), 400, invalid, "TILEMATRIXSET"},
		{"no TILEMATRIX", "", tileQuery("TILEMATRIX", omit), 400, missing, "TILEMATRIX"},
		{"unknown TILEMATRIX", "", tileQuery("TILEMATRIX", "99"), 400, invalid, "TILEMATRIX"},
		{"TILEMATRIX with spaces inside", "", tileQuery("TILEMATRIX", "1 1"), 400, invalid, "TILEMATRIX"},
		{"no TILEROW", "", tileQuery("TILEROW", omit), 400, missing, "TILEROW"},
		{"empty TILECOL", "", tileQuery("TILECOL", ""), 400, missing, "TILECOL"},
		{"negative TILEROW", "", tileQuery("TILEROW", "-1"), 400, invalid, "TILEROW"},
		{"signed TILEROW", "", tileQuery("TILEROW", "+1"), 400, invalid, "TILEROW"},
		{"exponent TILEROW", "", tileQuery("TILEROW", "1e3"), 400, invalid, "TILEROW"},
		{"decimal TILECOL", "", tileQuery("TILECOL", "1.0"), 400, invalid, "TILECOL"},
		{"hex TILECOL", "", tileQuery("TILECOL", "0x1"), 400, invalid, "TILECOL"},
		{"word TILECOL", "", tileQuery("TILECOL", "one"), 400, invalid, "TILECOL"},
		{"overflowing TILEROW", "", tileQuery("TILEROW", "99999999999999999999"), 400, invalid, "TILEROW"},
		{"overflowing TILECOL", "", tileQuery("TILECOL", "9223372036854775808"), 400, invalid, "TILECOL"},
		{"TILEROW past the matrix", "", tileQuery("TILEROW", "2"), 400, outRange, "TILEROW"},
		{"huge TILECOL past the matrix", "", tileQuery("TILECOL", "9223372036854775807"), 400, outRange, "TILECOL"},
		{"zoom past the layer", "", tileQuery("TILEMATRIX", "7"), 400, outRange, "TILEMATRIX"},
		{"zoom before the layer", "", tileQuery("LAYER", "france", "TILEMATRIX", "1"), 400, outRange, "TILEMATRIX"},
		{"row outside the limits", "", tileQuery("LAYER", "france", "TILEMATRIX", "2", "TILEROW", "0", "TILECOL", "1"), 400, outRange, "TILEROW"},
		{"col outside the limits", "", tileQuery("LAYER", "france", "TILEMATRIX", "2", "TILEROW", "1", "TILECOL", "0"), 400, outRange, "TILECOL"},
		{"missing tile, 404 policy", "", tileQuery("LAYER", "holes"), 404, noCode, ""},

		// RESTful paths.
		{"REST tile past the matrix", "", tile + "5/0.png", 400, outRange, "TILEROW"},
		{"REST unknown layer", "", "/wmts/1.0.0/nope/default/WebMercatorQuad/1/0/1.png", 400, invalid, "LAYER"},
		{"REST unknown style", "", "/wmts/1.0.0/world/fancy/WebMercatorQuad/1/0/1.png", 400, invalid, "STYLE"},
		{"REST unknown set", "", "/wmts/1.0.0/world/default/GoogleMapsCompatible/1/0/1.png", 400, invalid, "TILEMATRIXSET"},
		{"REST unknown matrix", "", "/wmts/1.0.0/world/default/WebMercatorQuad/x/0/1.png", 400, invalid, "TILEMATRIX"},
		{"REST negative row", "", tile + "-1/1.png", 400, invalid, "TILEROW"},
		{"REST overflowing col", "", tile + "0/99999999999999999999.png", 400, invalid, "TILECOL"},
		{"REST no extension", "", tile + "0/1", 400, invalid, "FORMAT"},
		{"REST empty extension", "", tile + "0/1.", 400, invalid, "FORMAT"},
		{"REST unknown extension", "", tile + "0/1.gif", 400, invalid, "FORMAT"},
		{"REST extension the layer lacks", "", tile + "0/1.pbf", 400, invalid, "FORMAT"},
		{"REST no column", "", tile + "0/.png", 400, missing, "TILECOL"},
		{"REST missing tile", "", "/wmts/1.0.0/holes/default/WebMercatorQuad/1/0/1.png", 404, noCode, ""},
		{"REST too few segments", "", tile + "0.png", 404, noCode, ""},
		{"REST too many segments", "", tile + "0/1/2.png", 404, noCode, ""},
		{"REST trailing slash", "", tile + "0/1.png/", 404, noCode, ""},
		{"REST other version", "", "/wmts/2.0.0/WMTSCapabilities.xml", 404, noCode, ""},
		{"REST capabilities with slash", "", "/wmts/1.0.0/WMTSCapabilities.xml/", 404, noCode, ""},
		{"REST version root", "", "/wmts/1.0.0/", 404, noCode, ""},
		{"not WMTS", "", "/wmtsx", 404, noCode, ""},
		{"dot dot", "", "/wmts/1.0.0/../../etc/passwd", 400, invalid, ""},
		{"dot dot in a tile", "", tile + "../1.png", 400, invalid, ""},
		{"encoded dot dot", "", "/wmts/1.0.0/world/default/%2e%2e/%2E%2E/0/1.png", 400, invalid, ""},
		{"encoded slash", "", "/wmts/1.0.0/world%2f..%2f..%2fetc/default/WebMercatorQuad/1/0/1.png", 400, invalid, ""},
		{"backslash", "", "/wmts/1.0.0/world/default/..\\..\\etc/1/0/1.png", 400, invalid, ""},
		{"encoded backslash", "", "/wmts/1.0.0/world/default/WebMercatorQuad/1/0/1%5c.png", 400, invalid, ""},
		{"NUL", "", "/wmts/1.0.0/world/default/WebMercatorQuad/1/0/1.png%00.png", 400, invalid, ""},
		{"dot segment", "", "/wmts/1.0.0/./WMTSCapabilities.xml", 400, invalid, ""},
		{"empty segment", "", "/wmts//1.0.0/WMTSCapabilities.xml", 400, invalid, ""},
		// net/http refuses such a request line; a handler called directly
		// sees the literal text, which names no layer.
		{"malformed escape", "", "/wmts/1.0.0/%zz/default/WebMercatorQuad/1/0/1.png", 400, invalid, "LAYER"},

		// Methods.
		{"POST", http.MethodPost, "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", 405, notSupp, ""},
		{"DELETE a tile", http.MethodDelete, tile + "0/1.png", 405, notSupp, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range fx.providers {
				p.Calls.Store(0)
			}
			method := c.method
			if method == "" {
				method = http.MethodGet
			}
			w := tiletest.Do(h, method, c.target)
			checkException(t, w, c.status, c.code, c.locator)
			if c.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
			// Nothing refused reaches storage: only the missing tile was
			// looked for.
			if !strings.Contains(c.target, "holes") {
				for name, p := range fx.providers {
					if n := p.Calls.Load(); n != 0 {
						t.Errorf("provider of %s called %d times", name, n)
					}
				}
			}
		})
	}
}
