package render

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/styles"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/golden")

// goldenLayers draws every symbolizer feature render supports.
func goldenLayers(t testing.TB) []Layer {
	s := newFixture(t)
	polyStroke := stroke(black, 1.5)
	polys := style(
		styles.Rule{Filter: kindIs("a"), Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{Fill: &styles.Fill{Color: color.NRGBA{0x40, 0x80, 0xff, 0xff}, Opacity: 0.7}, Stroke: polyStroke}}},
		styles.Rule{ElseFilter: true, Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{Fill: fill(color.NRGBA{0xff, 0xc0, 0x40, 0xff}), Stroke: polyStroke}}},
	)
	dashed := *stroke(color.NRGBA{0x80, 0x30, 0x10, 0xff}, 2)
	dashed.DashArray = []float64{8, 4}
	wide := *stroke(color.NRGBA{0x30, 0x30, 0x30, 0xff}, 6)
	wide.LineCap = "round"
	inner := *stroke(color.NRGBA{0xff, 0xe0, 0x60, 0xff}, 3)
	inner.LineCap = "round"
	lines := &styles.Style{FeatureTypeStyles: []styles.FeatureTypeStyle{
		{Rules: []styles.Rule{
			{Filter: kindIs("road"), Symbolizers: []styles.Symbolizer{styles.LineSymbolizer{Stroke: wide}}},
			{Filter: kindIs("path"), Symbolizers: []styles.Symbolizer{styles.LineSymbolizer{Stroke: dashed}}},
		}},
		{Rules: []styles.Rule{{Filter: kindIs("road"), Symbolizers: []styles.Symbolizer{styles.LineSymbolizer{Stroke: inner}}}}},
	}}
	var markRules []styles.Rule
	for i, name := range markNames {
		c := color.NRGBA{uint8(40 * i), 0x90, uint8(255 - 40*i), 0xff}
		markRules = append(markRules, styles.Rule{Filter: kindIs(name), Symbolizers: []styles.Symbolizer{styles.PointSymbolizer{Graphic: styles.Graphic{
			Marks:   []styles.Mark{{WellKnownName: name, Fill: fill(c), Stroke: stroke(black, 1)}},
			Size:    14,
			Opacity: 1,
		}}}})
	}
	label := styles.TextSymbolizer{
		Label:          styles.Expression{Parts: []styles.Part{{Property: "kind"}, {Literal: " "}, {Property: "pop"}}},
		Font:           styles.Font{Size: 11, Weight: "bold"},
		Fill:           styles.Fill{Color: color.NRGBA{0x20, 0x20, 0x40, 0xff}, Opacity: 1},
		Halo:           &styles.Halo{Radius: 1.5, Fill: styles.Fill{Color: white, Opacity: 0.8}},
		PointPlacement: &styles.PointPlacement{AnchorX: 0, AnchorY: 0.5, DisplacementX: 7},
	}
	polyLabel := styles.TextSymbolizer{
		Label:          styles.Expression{Parts: []styles.Part{{Literal: "zone "}, {Property: "kind"}}},
		Font:           styles.Font{Size: 12, Style: "italic"},
		Fill:           styles.Fill{Color: black, Opacity: 1},
		PointPlacement: &styles.PointPlacement{AnchorX: 0.5, AnchorY: 0.5},
	}
	// In its own feature type style: a rule without filter in the first
	// would match every feature and leave the ElseFilter rule nothing.
	polys.FeatureTypeStyles = append(polys.FeatureTypeStyles, styles.FeatureTypeStyle{Rules: []styles.Rule{{Symbolizers: []styles.Symbolizer{polyLabel}}}})
	lineLabel := styles.TextSymbolizer{
		Label: styles.Expression{Parts: []styles.Part{{Property: "kind"}}},
		Font:  styles.Font{Size: 10},
		Fill:  styles.Fill{Color: color.NRGBA{0x80, 0x30, 0x10, 0xff}, Opacity: 1},
		Halo:  &styles.Halo{Radius: 1, Fill: styles.Fill{Color: white, Opacity: 1}},
	}
	lines.FeatureTypeStyles[1].Rules = append(lines.FeatureTypeStyles[1].Rules, styles.Rule{Symbolizers: []styles.Symbolizer{lineLabel}})
	points := style(
		styles.Rule{Filter: kindIs("city"), Symbolizers: []styles.Symbolizer{styles.PointSymbolizer{Graphic: styles.Graphic{
			Marks: []styles.Mark{{WellKnownName: "circle", Fill: fill(red), Stroke: stroke(white, 2)}}, Size: 10, Opacity: 1,
		}}}},
		styles.Rule{ElseFilter: true, Symbolizers: []styles.Symbolizer{styles.PointSymbolizer{Graphic: styles.Graphic{
			Marks: []styles.Mark{{WellKnownName: "triangle", Fill: fill(green)}}, Size: 10, Rotation: 180, Opacity: 1,
		}}}},
	)
	points.FeatureTypeStyles = append(points.FeatureTypeStyles, styles.FeatureTypeStyle{Rules: []styles.Rule{{Symbolizers: []styles.Symbolizer{label}}}})
	return []Layer{
		{Source: s, Table: "polys", Style: polys},
		{Source: s, Table: "lines", Style: lines},
		{Source: s, Table: "points", Style: points},
		{Source: s, Table: "marks", Style: style(markRules...)},
	}
}

func TestGolden(t *testing.T) {
	layers := goldenLayers(t)
	dem := Layer{Raster: makeRaster(t), Style: rasterStyle(styles.RasterSymbolizer{Opacity: 0.8, ColorMap: &styles.ColorMap{
		Type: styles.ColorMapRamp,
		Entries: []styles.ColorMapEntry{
			{Color: color.NRGBA{0x20, 0x80, 0x20, 0xff}, Opacity: 1, Quantity: 0},
			{Color: color.NRGBA{0xe0, 0xd0, 0x80, 0xff}, Opacity: 1, Quantity: 50},
			{Color: color.NRGBA{0x90, 0x50, 0x30, 0xff}, Opacity: 1, Quantity: 90},
		},
	}})}
	r := New(Options{})
	for _, tc := range []struct {
		name        string
		crs         crs.CRS
		transparent bool
		raster      bool
	}{
		{"epsg4326", crs.WGS84, false, false},
		{"epsg3857", crs.WebMercator, true, false},
		{"epsg2154", crs.Lambert93, false, false},
		{"raster-epsg2154", crs.Lambert93, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, w, h := viewOf(t, tc.crs)
			ls := layers
			if tc.raster {
				ls = append([]Layer{dem}, layers...)
			}
			img, err := r.Render(context.Background(), Request{
				CRS: tc.crs, BBox: b, Width: w, Height: h,
				Background: color.NRGBA{0xf0, 0xf0, 0xe8, 0xff}, Transparent: tc.transparent,
				Layers: ls,
			})
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", tc.name+".png"), img)
		})
	}
}

// compareGolden compares img with the golden PNG at path by pixels: each
// channel may differ by 16 levels, and up to 0.5% of the pixels may differ
// more (anti-aliasing varies between rasterizer versions). With -update it
// rewrites the file instead.
func compareGolden(t *testing.T, path string, img *image.NRGBA) {
	t.Helper()
	if *update {
		var buf bytes.Buffer
		if err := EncodePNG(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./render -run Golden -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("size %v, golden %v", img.Bounds(), want.Bounds())
	}
	b := img.Bounds()
	bad := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			if !near(img.NRGBAAt(x, y), w, 16) {
				bad++
			}
		}
	}
	if limit := b.Dx() * b.Dy() / 200; bad > limit {
		out := filepath.Join(t.TempDir(), filepath.Base(path))
		var buf bytes.Buffer
		if err := EncodePNG(&buf, img); err == nil {
			_ = os.WriteFile(out, buf.Bytes(), 0o644)
		}
		t.Errorf("%d pixels differ from %s (limit %d); got image written to %s", bad, path, limit, out)
	}
}
