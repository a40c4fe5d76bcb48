package render

import (
	"context"
	"errors"
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/tuiles/tuiles/styles"
)

// legendPolygons is a polygon style of three titled rules.
func legendPolygons() *styles.Style {
	outline := stroke(color.NRGBA{0x30, 0x30, 0x30, 0xff}, 1)
	return style(
		styles.Rule{Name: "low", Title: "Low density", Filter: kindIs("low"), Symbolizers: []styles.Symbolizer{
			styles.PolygonSymbolizer{Fill: fill(color.NRGBA{0xff, 0xf0, 0xb0, 0xff}), Stroke: outline}}},
		styles.Rule{Name: "mid", Title: "Medium", Filter: kindIs("mid"), Symbolizers: []styles.Symbolizer{
			&styles.PolygonSymbolizer{Fill: fill(color.NRGBA{0xf0, 0x90, 0x40, 0xff}), Stroke: outline}}},
		styles.Rule{Name: "high", Title: "High density (urban)", ElseFilter: true, Symbolizers: []styles.Symbolizer{
			styles.PolygonSymbolizer{Fill: &styles.Fill{Color: color.NRGBA{0xc0, 0x20, 0x20, 0xff}, Opacity: 0.8}, Stroke: stroke(black, 2)}}},
	)
}

// legendLines has a dashed line, and a cased road drawn in two feature
// type styles (two rows, as GeoServer shows them).
func legendLines() *styles.Style {
	dashed := *stroke(color.NRGBA{0x80, 0x30, 0x10, 0xff}, 2)
	dashed.DashArray = []float64{4, 2}
	casing := *stroke(color.NRGBA{0x30, 0x30, 0x30, 0xff}, 5)
	casing.LineCap = "round"
	inner := *stroke(color.NRGBA{0xff, 0xe0, 0x60, 0xff}, 3)
	inner.LineCap = "round"
	return &styles.Style{FeatureTypeStyles: []styles.FeatureTypeStyle{
		{Rules: []styles.Rule{
			{Name: "path", Title: "Footpath", Symbolizers: []styles.Symbolizer{styles.LineSymbolizer{Stroke: dashed}}},
			{Name: "road", Title: "Road", Symbolizers: []styles.Symbolizer{styles.LineSymbolizer{Stroke: casing}, styles.LineSymbolizer{Stroke: inner}}},
		}},
	}}
}

// legendPoints has one rule per mark (one of them too big for the
// swatch), and a label rule.
func legendPoints() *styles.Style {
	var rules []styles.Rule
	for i, name := range markNames {
		c := color.NRGBA{uint8(40 * i), 0x90, uint8(255 - 40*i), 0xff}
		size := 14.0
		if name == "star" {
			size = 40 // capped to the swatch
		}
		rules = append(rules, styles.Rule{Name: name, Title: "Mark " + name, Symbolizers: []styles.Symbolizer{styles.PointSymbolizer{Graphic: styles.Graphic{
			Marks:   []styles.Mark{{WellKnownName: name, Fill: fill(c), Stroke: stroke(black, 1)}},
			Size:    size,
			Opacity: 1,
		}}}})
	}
	s := style(rules...)
	s.FeatureTypeStyles = append(s.FeatureTypeStyles, styles.FeatureTypeStyle{Rules: []styles.Rule{{Name: "labels", Symbolizers: []styles.Symbolizer{styles.TextSymbolizer{
		Label: styles.Expression{Parts: []styles.Part{{Property: "name"}}},
		Font:  styles.Font{Size: 11, Weight: "bold"},
		Fill:  styles.Fill{Color: color.NRGBA{0x20, 0x20, 0x80, 0xff}, Opacity: 1},
		Halo:  &styles.Halo{Radius: 1, Fill: styles.Fill{Color: color.NRGBA{0xff, 0xff, 0x80, 0xff}, Opacity: 1}},
	}}}}})
	return s
}

// legendRamp is a raster style with a four-entry ramp, one entry without
// label (its quantity shows).
func legendRamp() *styles.Style {
	return rasterStyle(styles.RasterSymbolizer{Opacity: 1, ColorMap: &styles.ColorMap{
		Type: styles.ColorMapRamp,
		Entries: []styles.ColorMapEntry{
			{Color: color.NRGBA{0x20, 0x80, 0x20, 0xff}, Opacity: 1, Quantity: 0, Label: "Sea level"},
			{Color: color.NRGBA{0xe0, 0xd0, 0x80, 0xff}, Opacity: 1, Quantity: 250.5},
			{Color: color.NRGBA{0x90, 0x50, 0x30, 0xff}, Opacity: 1, Quantity: 1000, Label: "1000 m"},
			{Color: color.NRGBA{0xff, 0xff, 0xff, 0xff}, Opacity: 0.5, Quantity: 3000, Label: "Snow"},
		},
	}})
}

// legendCases are the golden legends.
func legendCases() []struct {
	name string
	req  LegendRequest
} {
	return []struct {
		name string
		req  LegendRequest
	}{
		{"polygon", LegendRequest{Style: legendPolygons(), GeometryType: "MULTIPOLYGON"}},
		{"line", LegendRequest{Style: legendLines(), GeometryType: "LINESTRING", Transparent: true}},
		{"point", LegendRequest{Style: legendPoints(), GeometryType: "POINT", Width: 24, Height: 24}},
		{"raster", LegendRequest{Style: legendRamp(), GeometryType: "raster"}},
		{"rule", LegendRequest{Style: legendPolygons(), Rule: "high", Width: 32, Height: 24}},
	}
}

func TestLegendGolden(t *testing.T) {
	r := New(Options{})
	for _, tc := range legendCases() {
		t.Run(tc.name, func(t *testing.T) {
			img, err := r.Legend(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", "legend-"+tc.name+".png"), img)
		})
	}
}

func TestLegendContent(t *testing.T) {
	r := New(Options{})
	ctx := context.Background()

	img, err := r.Legend(ctx, LegendRequest{Style: legendPolygons(), Rule: "mid"})
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 20, 20) {
		t.Fatalf("rule legend is %v, want one 20×20 swatch", img.Bounds())
	}
	checkPixel(t, img, image.Pt(10, 10), color.NRGBA{0xf0, 0x90, 0x40, 0xff}, "swatch fill")
	checkPixel(t, img, image.Pt(0, 0), white, "background")

	img, err = r.Legend(ctx, LegendRequest{Style: legendPolygons(), Transparent: true})
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() <= 20 || img.Bounds().Dy() != 3*20+2*2 {
		t.Fatalf("three-rule legend is %v, want three 20 px rows with titles", img.Bounds())
	}
	// Rows in rule order, the transparent background between them.
	checkPixel(t, img, image.Pt(10, 10), color.NRGBA{0xff, 0xf0, 0xb0, 0xff}, "first row")
	checkPixel(t, img, image.Pt(10, 22+10), color.NRGBA{0xf0, 0x90, 0x40, 0xff}, "second row")
	checkPixel(t, img, image.Pt(10, 21), none, "row gap")
	if !hasColour(img.SubImage(image.Rect(25, 0, img.Bounds().Dx(), 20)).(*image.NRGBA), black) {
		t.Error("no title text right of the first swatch")
	}

	// Raster rows: one per entry.
	img, err = r.Legend(ctx, LegendRequest{Style: legendRamp()})
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dy() != 4*20+3*2 {
		t.Fatalf("ramp legend is %v, want four rows", img.Bounds())
	}
	checkPixel(t, img, image.Pt(10, 3*22+10), color.NRGBA{0xff, 0xff, 0xff, 0xff}, "half-transparent white over white")
	checkPixel(t, img, image.Pt(10, 22+10), color.NRGBA{0xe0, 0xd0, 0x80, 0xff}, "second entry")

	// A single rule without title, and the default styles: just the
	// swatch.
	for _, req := range []LegendRequest{
		{Style: style(polyRule(red))},
		{GeometryType: "POINT"},
		{GeometryType: "MULTILINESTRING"},
		{GeometryType: "raster"},
		{GeometryType: ""},
	} {
		img, err := r.Legend(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != image.Rect(0, 0, 20, 20) {
			t.Errorf("%+v: legend is %v, want one 20×20 swatch", req, img.Bounds())
		}
		if !hasColour(img, black) && !hasColour(img, red) && !hasColour(img, color.NRGBA{0xa0, 0xa0, 0xa0, 0xff}) {
			t.Errorf("%+v: empty swatch", req)
		}
	}
}

func TestLegendNoRule(t *testing.T) {
	r := New(Options{})
	for _, rule := range []string{"nope", "Low density"} { // titles are not names
		_, err := r.Legend(context.Background(), LegendRequest{Style: legendPolygons(), Rule: rule})
		if !errors.Is(err, ErrNoRule) {
			t.Errorf("rule %q: err = %v, want ErrNoRule", rule, err)
		}
		if _, _, err := r.LegendSize(LegendRequest{Style: legendPolygons(), Rule: rule}); !errors.Is(err, ErrNoRule) {
			t.Errorf("LegendSize rule %q: err = %v, want ErrNoRule", rule, err)
		}
	}
}

func TestLegendScale(t *testing.T) {
	r := New(Options{})
	detail := polyRule(red)
	detail.Name, detail.Title, detail.MaxScale = "detail", "Buildings", 50_000
	overview := polyRule(blue)
	overview.Name, overview.Title, overview.MinScale = "overview", "Built-up areas", 10_000
	s := style(detail, overview)
	for _, tc := range []struct {
		scale float64
		rows  int
		first color.NRGBA
	}{
		{0, 2, red},
		{5_000, 1, red},
		{20_000, 2, red},
		{100_000, 1, blue}, // the detail rule stops at 1:50 000
	} {
		img, err := r.Legend(context.Background(), LegendRequest{Style: s, Scale: tc.scale})
		if err != nil {
			t.Fatal(err)
		}
		if want := tc.rows*20 + (tc.rows-1)*2; img.Bounds().Dy() != want {
			t.Errorf("scale %g: height %d, want %d (%d rows)", tc.scale, img.Bounds().Dy(), want, tc.rows)
		}
		checkPixel(t, img, image.Pt(10, 10), tc.first, "first row")
	}
	_, err := r.Legend(context.Background(), LegendRequest{Style: s, Rule: "detail", Scale: 100_000})
	if !errors.Is(err, ErrNoRule) {
		t.Errorf("rule out of its scale range: err = %v, want ErrNoRule", err)
	}
	// No rule at that scale: a blank swatch.
	s = style(detail)
	img, err := r.Legend(context.Background(), LegendRequest{Style: s, Scale: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 20, 20) || hasColour(img, red) {
		t.Errorf("no rule at scale: got %v, want a blank swatch", img.Bounds())
	}
}

func TestLegendSize(t *testing.T) {
	r := New(Options{})
	cases := legendCases()
	more := []struct {
		name string
		req  LegendRequest
	}{
		{"print dpi", LegendRequest{Style: legendPoints(), DPI: 300}},
		{"low dpi", LegendRequest{Style: legendLines(), DPI: 45}},
		{"tall swatches", LegendRequest{Style: legendRamp(), Width: 10, Height: 40}},
		{"flat swatches", LegendRequest{Style: legendPolygons(), Width: 40, Height: 6}},
		{"default", LegendRequest{GeometryType: "POLYGON"}},
		{"nothing at scale", LegendRequest{Style: style(styles.Rule{MaxScale: 10}), Scale: 1000}},
	}
	for _, tc := range append(cases, more...) {
		w, h, err := r.LegendSize(tc.req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		img, err := r.Legend(context.Background(), tc.req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if img.Bounds() != image.Rect(0, 0, w, h) {
			t.Errorf("%s: LegendSize %d×%d, Legend %v", tc.name, w, h, img.Bounds())
		}
	}
	// Titles grow with the DPI like map labels.
	w1, h1, _ := r.LegendSize(LegendRequest{Style: legendPolygons()})
	w2, h2, _ := r.LegendSize(LegendRequest{Style: legendPolygons(), DPI: 2 * DefaultDPI})
	if w2 <= w1 || h2 <= h1 {
		t.Errorf("at twice the DPI %d×%d, at the default %d×%d", w2, h2, w1, h1)
	}
}

func TestLegendLimits(t *testing.T) {
	r := New(Options{})
	for _, req := range []LegendRequest{
		{Width: 513, Height: 20},
		{Width: 20, Height: 10_000},
	} {
		if _, err := r.Legend(context.Background(), req); !errors.Is(err, ErrLimit) {
			t.Errorf("%d×%d: err = %v, want ErrLimit", req.Width, req.Height, err)
		}
		if _, _, err := r.LegendSize(req); !errors.Is(err, ErrLimit) {
			t.Errorf("LegendSize %d×%d: err = %v, want ErrLimit", req.Width, req.Height, err)
		}
	}
	if _, err := r.Legend(context.Background(), LegendRequest{Width: -1}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("negative width: err = %v, want ErrInvalidRequest", err)
	}
	small := New(Options{MaxPixels: 1000})
	if _, err := small.Legend(context.Background(), LegendRequest{Style: legendPoints()}); !errors.Is(err, ErrLimit) {
		t.Errorf("legend over MaxPixels: err = %v, want ErrLimit", err)
	}
	if _, err := small.Legend(context.Background(), LegendRequest{Style: legendPoints(), Rule: "star"}); err != nil {
		t.Errorf("one 20×20 swatch under MaxPixels 1000: %v", err)
	}
}

func TestLegendCancel(t *testing.T) {
	r := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range legendCases() {
		if _, err := r.Legend(ctx, tc.req); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", tc.name, err)
		}
	}
}
