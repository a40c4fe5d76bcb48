package render

import (
	"context"
	"errors"
	"image"
	"image/color"
	"iter"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

func TestReprojection(t *testing.T) {
	s := newFixture(t)
	r := New(Options{})
	for _, c := range []crs.CRS{crs.WGS84, crs.WebMercator, crs.Lambert93} {
		t.Run(c.String(), func(t *testing.T) {
			b, w, h := viewOf(t, c)
			img, err := r.Render(context.Background(), Request{
				CRS: c, BBox: b, Width: w, Height: h, Transparent: true,
				Layers: []Layer{
					{Source: s, Table: "polys", Style: style(polyRule(blue))},
					{Source: s, Table: "points", Style: style(markRule("square", red, 8))},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
				t.Fatalf("size %v, want %dx%d", img.Bounds(), w, h)
			}
			px := func(lon, lat float64) image.Point { return expectedPixel(t, c, b, w, h, lon, lat) }
			checkPixel(t, img, px(2.35, 48.85), red, "Paris mark")
			checkPixel(t, img, px(-1.55, 47.22), red, "Nantes mark")
			checkPixel(t, img, px(5.37, 43.3), red, "Marseille mark")
			// Four pixels off the mark centre (size 8) is still mark;
			// eight is not.
			p := px(2.35, 48.85)
			checkPixel(t, img, p.Add(image.Pt(3, 0)), red, "mark edge")
			checkPixel(t, img, p.Add(image.Pt(8, 0)), none, "beside mark")
			checkPixel(t, img, px(0.75, 46), blue, "polygon interior")
			checkPixel(t, img, px(7, 45), blue, "second polygon")
			checkPixel(t, img, px(2, 46), none, "hole")
			checkPixel(t, img, px(-3, 45), none, "exterior")
		})
	}
}

func TestBackground(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	img, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WGS84, BBox: b, Width: w, Height: h, Background: white,
		Layers: []Layer{{Source: s, Table: "polys", Style: style(polyRule(blue))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkPixel(t, img, expectedPixel(t, crs.WGS84, b, w, h, 2, 46), white, "hole")
	checkPixel(t, img, expectedPixel(t, crs.WGS84, b, w, h, 1, 45), blue, "interior")
}

func TestRules(t *testing.T) {
	s := newFixture(t)
	r := New(Options{})
	b, w, h := viewOf(t, crs.WGS84)
	scale, err := ScaleDenominator(crs.WGS84, b, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 15° over 300 px: 15*111319.49/(300*0.00028).
	if want := 15 * crs.MetersPerDegree / (300 * 0.00028); scale < want*0.999 || scale > want*1.001 {
		t.Fatalf("scale %g, want %g", scale, want)
	}
	withScale := func(rule styles.Rule, lo, hi float64) styles.Rule {
		rule.MinScale, rule.MaxScale = lo, hi
		return rule
	}
	withFilter := func(rule styles.Rule, f string) styles.Rule {
		rule.Filter = kindIs(f)
		return rule
	}
	elseRule := func(rule styles.Rule) styles.Rule {
		rule.ElseFilter = true
		return rule
	}
	paris := expectedPixel(t, crs.WGS84, b, w, h, 2.35, 48.85)
	nantes := expectedPixel(t, crs.WGS84, b, w, h, -1.55, 47.22)
	tests := []struct {
		name          string
		style         *styles.Style
		paris, nantes color.NRGBA
	}{
		{"scale range on", style(withScale(markRule("square", red, 8), scale/2, scale*2)), red, red},
		{"scale range below", style(withScale(markRule("square", red, 8), 0, scale)), none, none},
		{"scale range above", style(withScale(markRule("square", red, 8), scale*1.01, 0)), none, none},
		{"min inclusive", style(withScale(markRule("square", red, 8), scale*0.999999, 0)), red, red},
		{"filter", style(withFilter(markRule("square", red, 8), "city")), red, none},
		{"else filter", style(withFilter(markRule("square", red, 8), "city"), elseRule(markRule("square", green, 8))), red, green},
		{"else inactive out of scale rules", style(
			withScale(withFilter(markRule("square", red, 8), "town"), 0, 1),
			elseRule(markRule("square", green, 8)),
		), green, green},
		{"rules drawn in order", style(markRule("square", red, 8), markRule("square", blue, 8)), blue, blue},
		{"feature type styles in order", &styles.Style{FeatureTypeStyles: []styles.FeatureTypeStyle{
			{Rules: []styles.Rule{markRule("square", blue, 8)}},
			{Rules: []styles.Rule{withFilter(markRule("square", green, 8), "town")}},
		}}, blue, green},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := r.Render(context.Background(), Request{
				CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true,
				Layers: []Layer{{Source: s, Table: "points", Style: tc.style}},
			})
			if err != nil {
				t.Fatal(err)
			}
			checkPixel(t, img, paris, tc.paris, "Paris")
			checkPixel(t, img, nantes, tc.nantes, "Nantes")
		})
	}
}

func TestLayersInOrder(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	req := Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true}
	p := expectedPixel(t, crs.WGS84, b, w, h, 7, 45)
	for _, tc := range []struct {
		name   string
		first  *styles.Style
		second *styles.Style
		want   color.NRGBA
	}{
		{"blue over red", style(polyRule(red)), style(polyRule(blue)), blue},
		{"red over blue", style(polyRule(blue)), style(polyRule(red)), red},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req.Layers = []Layer{{Source: s, Table: "polys", Style: tc.first}, {Source: s, Table: "polys", Style: tc.second}}
			img, err := New(Options{}).Render(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			checkPixel(t, img, p, tc.want, "polygon")
		})
	}
}

func TestLine(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	rule := styles.Rule{Filter: kindIs("road"), Symbolizers: []styles.Symbolizer{styles.LineSymbolizer{Stroke: *stroke(black, 4)}}}
	for _, tc := range []struct {
		name string
		dpi  float64
		off  int // pixels from the line still black
	}{
		{"default dpi", 0, 1},
		{"double dpi", 2 * DefaultDPI, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := New(Options{}).Render(context.Background(), Request{
				CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true, DPI: tc.dpi,
				Layers: []Layer{{Source: s, Table: "lines", Style: style(rule)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			// Latitude 42 is row 180 exactly: the 4 px line covers rows
			// 178..181 (8 px at double DPI: 176..183).
			checkPixel(t, img, image.Pt(150, 180), black, "on line")
			checkPixel(t, img, image.Pt(150, 180+tc.off), black, "line width")
			checkPixel(t, img, image.Pt(150, 180-tc.off-1), black, "line width")
			checkPixel(t, img, image.Pt(150, 180+tc.off+3), none, "beside line")
			checkPixel(t, img, image.Pt(150, 160), none, "other line filtered out")
		})
	}
}

func TestDefaultStyle(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	img, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "polys"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := img.NRGBAAt(expectedPixel(t, crs.WGS84, b, w, h, 1, 45).X, 120); got.A == 0 {
		t.Errorf("default style drew nothing inside the polygon")
	}
}

func TestErrors(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	all := []Layer{
		{Source: s, Table: "polys", Style: style(polyRule(blue))},
		{Source: s, Table: "points", Style: style(markRule("circle", red, 8))},
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		opts Options
		ctx  context.Context
		req  Request
		want error
	}{
		{"empty bbox", Options{}, context.Background(), Request{CRS: crs.WGS84, BBox: crs.Bounds{MinX: 1, MinY: 1, MaxX: 1, MaxY: 2}, Width: w, Height: h}, ErrInvalidRequest},
		{"inverted bbox", Options{}, context.Background(), Request{CRS: crs.WGS84, BBox: crs.Bounds{MinX: 2, MinY: 1, MaxX: 1, MaxY: 2}, Width: w, Height: h}, ErrInvalidRequest},
		{"zero size", Options{}, context.Background(), Request{CRS: crs.WGS84, BBox: b, Width: 0, Height: h}, ErrInvalidRequest},
		{"no source", Options{}, context.Background(), Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Layers: []Layer{{Table: "polys"}}}, ErrInvalidRequest},
		{"unknown CRS", Options{}, context.Background(), Request{CRS: crs.CRS{Authority: "EPSG", Code: "999999"}, BBox: b, Width: w, Height: h}, ErrInvalidRequest},
		{"max pixels", Options{MaxPixels: w*h - 1}, context.Background(), Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h}, ErrLimit},
		{"max features", Options{MaxFeatures: 4}, context.Background(), Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Layers: all}, ErrLimit},
		{"timeout", Options{Timeout: time.Nanosecond}, context.Background(), Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Layers: all}, context.DeadlineExceeded},
		{"cancelled", Options{}, cancelled, Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Layers: all}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts).Render(tc.ctx, tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Exactly at the limits renders.
	if _, err := New(Options{MaxFeatures: 5, MaxPixels: w * h}).Render(context.Background(), Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Layers: all}); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
}

// cancelling cancels the render context after yielding the first feature,
// to check that rendering stops between features.
type cancelling struct {
	store.Source
	cancel context.CancelFunc
}

func (c *cancelling) Features(ctx context.Context, q store.Query) iter.Seq2[store.Feature, error] {
	return func(yield func(store.Feature, error) bool) {
		for f, err := range c.Source.Features(context.WithoutCancel(ctx), q) {
			if !yield(f, err) {
				return
			}
			c.cancel()
		}
	}
}

func TestCancelDuringRender(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelling{Source: s, cancel: cancel}
	_, err := New(Options{}).Render(ctx, Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h,
		Layers: []Layer{{Source: src, Table: "points", Style: style(markRule("circle", red, 8))}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestConcurrentRenders(t *testing.T) {
	s := newFixture(t)
	r := New(Options{})
	b, w, h := viewOf(t, crs.WebMercator)
	req := Request{CRS: crs.WebMercator, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "points", Style: style(markRule("square", red, 8))}}}
	p := expectedPixel(t, crs.WebMercator, b, w, h, 2.35, 48.85)
	errs := make(chan error, 8)
	imgs := make(chan *image.NRGBA, 8)
	for range 8 {
		go func() {
			img, err := r.Render(context.Background(), req)
			errs <- err
			imgs <- img
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		checkPixel(t, <-imgs, p, red, "Paris")
	}
}

func TestPerpendicularOffset(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	rule := styles.Rule{Filter: kindIs("road"), Symbolizers: []styles.Symbolizer{
		styles.LineSymbolizer{Stroke: *stroke(black, 2), PerpendicularOffset: 6},
	}}
	img, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "lines", Style: style(rule)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The road runs east along row 180; left of it is up.
	checkPixel(t, img, image.Pt(150, 174), black, "offset line")
	checkPixel(t, img, image.Pt(150, 180), none, "original position")
}

// A polygon reaching the pole projects far beyond the view in Web Mercator
// (PROJ gives about -2.4e8 m for latitude -90): clipping keeps it drawable.
func TestPoleVertices(t *testing.T) {
	s := newFixture(t)
	write(t, s, "south", "POLYGON", []store.Feature{{
		Geometry:   geom.NewPolygonFlat(geom.XY, square(0, -90, 4, 42), []int{10}),
		Properties: []any{"south", int64(0)},
	}})
	b, w, h := viewOf(t, crs.WebMercator)
	img, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WebMercator, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "south", Style: style(polyRule(blue))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkPixel(t, img, expectedPixel(t, crs.WebMercator, b, w, h, 2, 41.5), blue, "inside")
	checkPixel(t, img, expectedPixel(t, crs.WebMercator, b, w, h, 2, 43), none, "north of it")
}
