package render

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/styles"
)

func textRule(kind string, c color.NRGBA, size float64, priority string) styles.Rule {
	sym := styles.TextSymbolizer{
		Label: styles.Expression{Parts: []styles.Part{{Literal: "MMMMMM"}}},
		Font:  styles.Font{Size: size, Weight: "bold"},
		Fill:  styles.Fill{Color: c, Opacity: 1},
	}
	if priority != "" {
		sym.Priority = styles.Expression{Parts: []styles.Part{{Property: priority}}}
	}
	return styles.Rule{Filter: kindIs(kind), Symbolizers: []styles.Symbolizer{sym}}
}

// hasColour tells whether some pixel of img is c (opaque, ±tol).
func hasColour(img *image.NRGBA, c color.NRGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.NRGBAAt(x, y), c, 24) {
				return true
			}
		}
	}
	return false
}

func TestLabelCollisions(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	// The marks layer has six points 40 px apart; labels about 100 px wide
	// overlap their neighbours'.
	colours := []color.NRGBA{
		{0xff, 0, 0, 0xff}, {0, 0xff, 0, 0xff}, {0, 0, 0xff, 0xff},
		{0xff, 0, 0xff, 0xff}, {0, 0xff, 0xff, 0xff}, {0xff, 0xff, 0, 0xff},
	}
	for _, tc := range []struct {
		name     string
		priority string
		placed   []bool
	}{
		// In feature order, the first label wins against its neighbour.
		{"feature order", "", []bool{true, false}},
		// By priority (pop = 0..5), the last one wins.
		{"priority", "pop", []bool{false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rules []styles.Rule
			for i, name := range markNames {
				rules = append(rules, textRule(name, colours[i], 24, tc.priority))
			}
			img, err := New(Options{}).Render(context.Background(), Request{
				CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true,
				Layers: []Layer{{Source: s, Table: "marks", Style: style(rules...)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][2]int{{0, 1}, {4, 5}} {
				got := []bool{hasColour(img, colours[p[0]]), hasColour(img, colours[p[1]])}
				if got[0] == got[1] {
					t.Errorf("labels %d and %d: placed %v, want exactly one", p[0], p[1], got)
				}
			}
			if got := hasColour(img, colours[5]); got != tc.placed[1] {
				t.Errorf("label 5 placed = %v, want %v", got, tc.placed[1])
			}
			if got := hasColour(img, colours[0]); got != tc.placed[0] {
				t.Errorf("label 0 placed = %v, want %v", got, tc.placed[0])
			}
		})
	}
}

func TestLabelPlacement(t *testing.T) {
	s := newFixture(t)
	b, w, h := viewOf(t, crs.WGS84)
	paris := expectedPixel(t, crs.WGS84, b, w, h, 2.35, 48.85)
	sym := styles.TextSymbolizer{
		Label: styles.Expression{Parts: []styles.Part{{Property: "kind"}, {Literal: " "}, {Property: "pop"}}},
		Font:  styles.Font{Size: 12},
		Fill:  styles.Fill{Color: red, Opacity: 1},
		Halo:  &styles.Halo{Radius: 2, Fill: styles.Fill{Color: white, Opacity: 1}},
	}
	img, err := New(Options{}).Render(context.Background(), Request{
		CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "points", Style: style(styles.Rule{Filter: kindIs("city"), Symbolizers: []styles.Symbolizer{sym}})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Default placement: anchor (0, 0.5), so the text starts at the point
	// and is centred on it vertically; nothing to the left.
	count := func(x0, x1, y0, y1 int) (text, halo int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				c := img.NRGBAAt(x, y)
				if near(c, red, 40) {
					text++
				}
				if near(c, white, 8) {
					halo++
				}
			}
		}
		return
	}
	if text, halo := count(paris.X, paris.X+60, paris.Y-8, paris.Y+8); text == 0 || halo == 0 {
		t.Errorf("right of Paris: %d text and %d halo pixels, want some", text, halo)
	}
	if text, halo := count(paris.X-40, paris.X-3, paris.Y-8, paris.Y+8); text+halo != 0 {
		t.Errorf("left of Paris: %d text and %d halo pixels, want none", text, halo)
	}
	if text, _ := count(paris.X, paris.X+60, paris.Y-30, paris.Y-12); text != 0 {
		t.Errorf("above Paris: %d text pixels, want none", text)
	}
	// The town does not match the rule.
	nantes := expectedPixel(t, crs.WGS84, b, w, h, -1.55, 47.22)
	if text, halo := count(nantes.X, nantes.X+60, nantes.Y-8, nantes.Y+8); text+halo != 0 {
		t.Errorf("Nantes labelled")
	}
}

// Labels that would cross the label area's edge are dropped; those inside
// are kept.
func TestLabelArea(t *testing.T) {
	s := newFixture(t)
	label := styles.TextSymbolizer{
		Label: styles.Expression{Parts: []styles.Part{{Property: "kind"}}},
		Font:  styles.Font{Size: 12},
		Fill:  styles.Fill{Color: black, Opacity: 1},
	}
	st := style(styles.Rule{Symbolizers: []styles.Symbolizer{label}})
	b, w, h := viewOf(t, crs.WGS84)
	req := Request{CRS: crs.WGS84, BBox: b, Width: w, Height: h, Transparent: true,
		Layers: []Layer{{Source: s, Table: "points", Style: st}}}
	drawn := func(img *image.NRGBA, x0, x1 int) bool {
		for y := range h {
			for x := x0; x < x1; x++ {
				if img.NRGBAAt(x, y).A != 0 {
					return true
				}
			}
		}
		return false
	}
	r := New(Options{})
	all, err := r.Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// Paris (2.35 E) is at x≈147: a label area ending at x=150 cuts it.
	req.LabelArea = image.Rect(0, 0, 150, h)
	cut, err := r.Render(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !drawn(all, 140, 200) || drawn(cut, 140, 200) {
		t.Errorf("Paris's label: drawn %v without an area, %v with an area cutting it (want true, false)", drawn(all, 140, 200), drawn(cut, 140, 200))
	}
	// Nantes (-1.55 E, x≈69) lies inside: still labelled.
	if !drawn(cut, 60, 120) {
		t.Error("a label inside the area was dropped")
	}
}
