package wms

import (
	"errors"
	"net/url"
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
