package render

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/styles"
)

// An external graphic is drawn centred on the point at the symbol size,
// and GetFeatureInfo finds the point anywhere on it.
func TestExternalGraphic(t *testing.T) {
	s := newFixture(t)
	icon := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < len(icon.Pix); i += 4 {
		icon.Pix[i+2], icon.Pix[i+3] = 0xff, 0xff // blue
	}
	st := style(styles.Rule{Symbolizers: []styles.Symbolizer{styles.PointSymbolizer{Graphic: styles.Graphic{
		ExternalGraphics: []styles.ExternalGraphic{{Href: "icon.png", Format: "image/png", Image: icon}},
		Size:             16, Opacity: 1,
	}}}})
	b, w, h := viewOf(t, crs.WebMercator)
	req := Request{CRS: crs.WebMercator, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "points", Style: st}}}
	img, err := New(Options{}).Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	p := expectedPixel(t, crs.WebMercator, b, w, h, 2.35, 48.85)
	blue := color.NRGBA{0, 0, 0xff, 0xff}
	for _, d := range []image.Point{{0, 0}, {-6, -6}, {6, 6}, {6, -6}} {
		if c := img.NRGBAAt(p.X+d.X, p.Y+d.Y); !near(c, blue, 8) {
			t.Errorf("pixel %v from the point: %v, want the icon's blue (scaled to 16 px)", d, c)
		}
	}
	if c := img.NRGBAAt(p.X+11, p.Y); c.A != 0 {
		t.Errorf("pixel 11 px right of the point: %v, want nothing", c)
	}
	hits, err := New(Options{}).FeatureInfo(context.Background(), InfoRequest{Map: req, X: p.X + 7, Y: p.Y + 7})
	if err != nil || len(hits) != 1 {
		t.Errorf("feature info on the icon's corner: %v %v", hits, err)
	}
}
