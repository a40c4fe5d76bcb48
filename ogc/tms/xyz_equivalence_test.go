package tms_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/ogc/xyz"
)

// TestSameTilesAsXYZ: TMS tile z/x/y is XYZ tile z/x/(MatrixHeight(z)-1-y),
// byte for byte and with the same ETag, on every tile of the first levels
// of each set: 2^z-1-y for WebMercatorQuad, 2^z-1-y with twice as many
// columns for WorldCRS84Quad (2x1 at level 0), and LAMB93's irregular
// heights (2, 2, 2, 3, 5, 9, 16).
func TestSameTilesAsXYZ(t *testing.T) {
	fx := newFixture(t)
	tiles := tileserve.New(nil)
	tmsH := fx.handler("")
	xyzH := xyz.NewHandler(xyz.Options{Catalog: fx.Live, Tiles: tiles})
	for _, set := range []string{"WebMercatorQuad", "WorldCRS84Quad", "LAMB93"} {
		s := fx.Sets[set]
		for z := 0; z <= 5; z++ {
			m := s.Matrices[z]
			if set == "WebMercatorQuad" && m.MatrixHeight != 1<<z {
				t.Fatalf("%s level %d is %d high", set, z, m.MatrixHeight)
			}
			if set == "WorldCRS84Quad" && (m.MatrixHeight != 1<<z || m.MatrixWidth != 2<<z) {
				t.Fatalf("%s level %d is %dx%d", set, z, m.MatrixWidth, m.MatrixHeight)
			}
			for x := 0; x < m.MatrixWidth; x++ {
				for y := 0; y < m.MatrixHeight; y++ {
					a := tiletest.Do(tmsH, "GET", fmt.Sprintf("/tms/1.0.0/world/%s/%d/%d/%d.png", set, z, x, y))
					b := tiletest.Do(xyzH, "GET", fmt.Sprintf("/tiles/world/%s/%d/%d/%d.png", set, z, x, m.MatrixHeight-1-y))
					if a.Code != http.StatusOK || b.Code != http.StatusOK {
						t.Fatalf("%s %d/%d/%d: TMS %d, XYZ %d", set, z, x, y, a.Code, b.Code)
					}
					if !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) || a.Header().Get("ETag") != b.Header().Get("ETag") {
						t.Fatalf("%s %d/%d/%d: TMS %q, XYZ %q", set, z, x, y, a.Body, b.Body)
					}
				}
			}
		}
	}
}
