package render

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/styles"
)

// makeRaster writes a 10×10 one-degree grid over lon 0..10, lat 40..50 in
// EPSG:4326 whose value is 10×column, with a nodata top row, as a GeoTIFF
// (through Debian's gdal_translate).
func makeRaster(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("gdal_translate"); err != nil {
		t.Fatal("gdal_translate is not installed (make test installs gdal-bin)")
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("ncols 10\nnrows 10\nxllcorner 0\nyllcorner 40\ncellsize 1\nNODATA_value -9999\n")
	for r := range 10 {
		for c := range 10 {
			if c > 0 {
				b.WriteByte(' ')
			}
			if r == 0 {
				b.WriteString("-9999")
			} else {
				fmt.Fprintf(&b, "%d", 10*c)
			}
		}
		b.WriteByte('\n')
	}
	asc := filepath.Join(dir, "grid.asc")
	if err := os.WriteFile(asc, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tif := filepath.Join(dir, "grid.tif")
	if out, err := exec.Command("gdal_translate", "-q", "-a_srs", "EPSG:4326", "-ot", "Float32", asc, tif).CombinedOutput(); err != nil {
		t.Fatalf("gdal_translate: %v\n%s", err, out)
	}
	return tif
}

func rasterStyle(sym styles.RasterSymbolizer) *styles.Style {
	return style(styles.Rule{Symbolizers: []styles.Symbolizer{sym}})
}

func TestRaster(t *testing.T) {
	path := makeRaster(t)
	ramp := &styles.ColorMap{Type: styles.ColorMapRamp, Entries: []styles.ColorMapEntry{
		{Color: black, Opacity: 1, Quantity: 0}, {Color: white, Opacity: 1, Quantity: 90},
	}}
	intervals := &styles.ColorMap{Type: styles.ColorMapIntervals, Entries: []styles.ColorMapEntry{
		{Color: red, Opacity: 1, Quantity: 30}, {Color: green, Opacity: 1, Quantity: 60}, {Color: blue, Opacity: 1, Quantity: 80},
	}}
	values := &styles.ColorMap{Type: styles.ColorMapValues, Entries: []styles.ColorMapEntry{
		{Color: red, Opacity: 1, Quantity: 50},
	}}
	grey := func(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 0xff} }
	type probe struct {
		lon, lat float64
		want     color.NRGBA
	}
	for _, tc := range []struct {
		name   string
		crs    crs.CRS
		sym    styles.RasterSymbolizer
		probes []probe
	}{
		{"ramp", crs.WGS84, styles.RasterSymbolizer{Opacity: 1, ColorMap: ramp}, []probe{
			{5.5, 45.5, grey(142)}, {0.5, 45.5, black}, {9.5, 45.5, white}, {5.5, 49.5, none}, {-1, 45, none},
		}},
		{"ramp reprojected", crs.WebMercator, styles.RasterSymbolizer{Opacity: 1, ColorMap: ramp}, []probe{
			{5.5, 45.5, grey(142)}, {2.5, 41.5, grey(57)}, {5.5, 49.5, none},
		}},
		{"ramp Lambert 93", crs.Lambert93, styles.RasterSymbolizer{Opacity: 1, ColorMap: ramp}, []probe{
			{5.5, 45.5, grey(142)}, {7.5, 42.5, grey(198)},
		}},
		{"intervals", crs.WGS84, styles.RasterSymbolizer{Opacity: 1, ColorMap: intervals}, []probe{
			{2.5, 45.5, red}, {5.5, 45.5, green}, {7.5, 45.5, blue}, {8.5, 45.5, none},
		}},
		{"values", crs.WGS84, styles.RasterSymbolizer{Opacity: 1, ColorMap: values}, []probe{
			{5.5, 45.5, red}, {4.5, 45.5, none},
		}},
		{"opacity", crs.WGS84, styles.RasterSymbolizer{Opacity: 0.5, ColorMap: values}, []probe{
			{5.5, 45.5, color.NRGBA{0xff, 0, 0, 0x80}},
		}},
		{"grey without colour map", crs.WGS84, styles.RasterSymbolizer{Opacity: 1}, []probe{
			{5.5, 45.5, grey(50)}, {5.5, 49.5, none},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bbox crs.Bounds
			view := crs.Bounds{MinX: -2, MinY: 40, MaxX: 10, MaxY: 50}
			if tc.crs == crs.WGS84 {
				bbox = view
			} else {
				tr, err := crs.NewTransformer(crs.WGS84, tc.crs)
				if err != nil {
					t.Fatal(err)
				}
				if bbox, err = tr.Bounds(view); err != nil {
					t.Fatal(err)
				}
			}
			w, h := 240, 200
			img, err := New(Options{}).Render(context.Background(), Request{
				CRS: tc.crs, BBox: bbox, Width: w, Height: h, Transparent: true,
				Layers: []Layer{{Raster: path, Style: rasterStyle(tc.sym)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.probes {
				px := expectedPixel(t, tc.crs, bbox, w, h, p.lon, p.lat)
				if got := img.NRGBAAt(px.X, px.Y); !near(got, p.want, 3) {
					t.Errorf("%g,%g (pixel %v) = %v, want %v", p.lon, p.lat, px, got, p.want)
				}
			}
		})
	}
}

func TestRasterMissing(t *testing.T) {
	b, w, h := viewOf(t, crs.WGS84)
	_, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WGS84, BBox: b, Width: w, Height: h,
		Layers: []Layer{{Raster: filepath.Join(t.TempDir(), "missing.tif")}},
	})
	if err == nil {
		t.Fatal("rendered a missing raster")
	}
}
