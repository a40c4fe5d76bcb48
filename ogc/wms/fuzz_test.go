package wms

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/ogc/ows"
)

// FuzzParseGetMap feeds raw query strings through the same steps as the
// server: a parse never panics, and every failure is an *ows.Error with a
// code, and every success has a usable map.
func FuzzParseGetMap(f *testing.F) {
	f.Add(base130)
	f.Add(base111)
	o := testOptions()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, opts := range []Options{{}, o} {
			m, err := opts.ParseGetMap(ows.ParseKVP(q))
			if err != nil {
				var e *ows.Error
				if !errors.As(err, &e) || e.Code == "" || e.Status != 400 {
					t.Fatalf("%q: error %v is not a 400 *ows.Error", raw, err)
				}
				_ = ExceptionReport130(e)
				_ = ExceptionReport111(e)
				continue
			}
			if m.Width <= 0 || m.Height <= 0 || m.BBox.Empty() || len(m.Layers) != len(m.Styles) || m.Format == "" {
				t.Fatalf("%q: accepted an unusable map %+v", raw, m)
			}
		}
	})
}

// FuzzHandler sends raw query strings to the whole WMS handler (every
// request type, rendering included, with small size limits to keep runs
// fast): it never panics and never answers a server error.
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{
		"SERVICE=WMS&REQUEST=GetCapabilities",
		"SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.1.1",
		"SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0&LAYERS=zones&STYLES=&CRS=EPSG:4326&BBOX=42,-2,50,6&WIDTH=64&HEIGHT=64&FORMAT=image/png",
		"SERVICE=WMS&REQUEST=GetMap&VERSION=1.1.1&LAYERS=all&STYLES=&SRS=EPSG:3857&BBOX=0,5000000,500000,6000000&WIDTH=32&HEIGHT=16&FORMAT=image/jpeg&EXCEPTIONS=application/vnd.ogc.se_inimage",
		"SERVICE=WMS&REQUEST=GetFeatureInfo&VERSION=1.3.0&LAYERS=zones&QUERY_LAYERS=zones&STYLES=red&CRS=CRS:84&BBOX=-2,42,6,50&WIDTH=10&HEIGHT=10&I=5&J=5&INFO_FORMAT=application/json&FEATURE_COUNT=3&BUFFER=4",
		"SERVICE=WMS&REQUEST=GetLegendGraphic&LAYER=zones&STYLE=red&FORMAT=image/png&RULE=all&SCALE=1000&WIDTH=30&HEIGHT=10",
	} {
		f.Add(seed)
	}
	h := newLimitedHandler(f, Options{MaxWidth: 256, MaxHeight: 256})
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.ContainsAny(raw, "\x00") {
			return
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/wms", nil)
		req.URL.RawQuery = raw
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: status %d: %s", raw, rec.Code, rec.Body.String())
		}
	})
}
