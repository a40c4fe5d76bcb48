package styles

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pointSLD(href string) string {
	return `<?xml version="1.0"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:xlink="http://www.w3.org/1999/xlink">
 <NamedLayer><Name>p</Name><UserStyle><Name>icons</Name><FeatureTypeStyle><Rule>
  <PointSymbolizer><Graphic>
   <ExternalGraphic><OnlineResource xlink:type="simple" xlink:href="` + href + `"/><Format>image/png</Format></ExternalGraphic>
   <Opacity>0.5</Opacity><Size>16</Size>
  </Graphic></PointSymbolizer>
 </Rule></FeatureTypeStyle></UserStyle></NamedLayer>
</StyledLayerDescriptor>`
}

func writeIcon(t *testing.T, dir string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 0xff, 0xff
	}
	f, err := os.Create(filepath.Join(dir, "icon.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func loadPointStyle(t *testing.T, href, dir string) (Style, error) {
	t.Helper()
	sld, err := Parse("p.sld", []byte(pointSLD(href)))
	if err != nil {
		t.Fatal(err)
	}
	st := sld.Layers[0].Styles[0].Style
	return st, LoadGraphics(&st, "p.sld", dir)
}

func TestLoadGraphics(t *testing.T) {
	dir := t.TempDir()
	writeIcon(t, dir, 8, 8)
	for _, href := range []string{"icon.png", "file:icon.png", "file://" + filepath.Join(dir, "icon.png")} {
		st, err := loadPointStyle(t, href, dir)
		if err != nil {
			t.Fatalf("%s: %v", href, err)
		}
		img := st.FeatureTypeStyles[0].Rules[0].Symbolizers[0].(PointSymbolizer).Graphic.ExternalGraphics[0].Image
		if img == nil || img.Bounds().Dx() != 8 {
			t.Fatalf("%s: image %v not loaded", href, img)
		}
		// The graphic's opacity is applied once, at load.
		if c := img.NRGBAAt(4, 4); c != (color.NRGBA{0xff, 0, 0, 0x80}) {
			t.Errorf("%s: pixel %v, want half-transparent red", href, c)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.png"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	for href, want := range map[string]string{
		"https://example.org/icon.png": "remote graphics are not fetched",
		"missing.png":                  "no such file",
		"bad.png":                      "not a PNG, JPEG or GIF image",
	} {
		_, err := loadPointStyle(t, href, dir)
		var se *Error
		if !errors.As(err, &se) || se.Line != 5 || se.File != "p.sld" || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want a located error containing %q", href, err, want)
		}
	}
	big := t.TempDir()
	writeIcon(t, big, 2048, 1024)
	if _, err := loadPointStyle(t, "icon.png", big); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("huge graphic: err %v", err)
	}
}
