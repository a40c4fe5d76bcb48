package render

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang/freetype/truetype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"

	"github.com/tuiles/tuiles/styles"
)

// fonts are the embedded Go fonts, parsed once per Renderer. Parsed fonts
// are safe for concurrent use; faces (which hold buffers) are made per
// request.
type fonts struct {
	regular, bold, italic, boldItalic, mono, monoBold *truetype.Font
}

func loadFonts() (*fonts, error) {
	var f fonts
	for _, x := range []struct {
		dst **truetype.Font
		ttf []byte
	}{
		{&f.regular, goregular.TTF}, {&f.bold, gobold.TTF}, {&f.italic, goitalic.TTF},
		{&f.boldItalic, gobolditalic.TTF}, {&f.mono, gomono.TTF}, {&f.monoBold, gomonobold.TTF},
	} {
		ft, err := truetype.Parse(x.ttf)
		if err != nil {
			return nil, fmt.Errorf("embedded font: %w", err)
		}
		*x.dst = ft
	}
	return &f, nil
}

// pick chooses the embedded font closest to an SLD font: monospace
// families get Go Mono, every other family Go (sans-serif).
func (f *fonts) pick(ft styles.Font) *truetype.Font {
	bold := strings.EqualFold(ft.Weight, "bold")
	italic := strings.EqualFold(ft.Style, "italic") || strings.EqualFold(ft.Style, "oblique")
	for _, fam := range ft.Families {
		if l := strings.ToLower(fam); strings.Contains(l, "mono") || strings.Contains(l, "courier") {
			if bold {
				return f.monoBold
			}
			return f.mono
		}
	}
	switch {
	case bold && italic:
		return f.boldItalic
	case bold:
		return f.bold
	case italic:
		return f.italic
	}
	return f.regular
}

// label is a label candidate, placed after all geometry is drawn.
type label struct {
	text     string
	at       orb.Point // pixel anchor point
	sym      *styles.TextSymbolizer
	priority float64
	line     bool // placed on a line: centred on its midpoint
	seq      int  // collection order, to keep sorting stable
}

// labeler collects the labels of one request and places them without
// overlaps, highest priority first.
type labeler struct {
	fonts *fonts
	k     float64
	w, h  int
	// area, when not empty, is the pixel rectangle labels must lie in
	// entirely (Request.LabelArea).
	area   image.Rectangle
	labels []label
	faces  map[faceKey]font.Face
	placed []box
}

type faceKey struct {
	f    *truetype.Font
	size float64
}

type box struct{ x0, y0, x1, y1 float64 }

func (b box) overlaps(o box) bool {
	return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1
}

// add collects the labels sym gives feature f (pixel geometry g).
func (l *labeler) add(sym *styles.TextSymbolizer, g orb.Geometry, f *evalFeature) {
	text := strings.TrimSpace(sym.Label.Eval(f.property))
	if text == "" {
		return
	}
	prio := 0.0
	if !sym.Priority.IsZero() {
		if v, err := strconv.ParseFloat(strings.TrimSpace(sym.Priority.Eval(f.property)), 64); err == nil {
			prio = v
		}
	}
	add := func(p orb.Point, line bool) {
		if p[0] < 0 || p[1] < 0 || p[0] > float64(l.w) || p[1] > float64(l.h) {
			return // the anchor is outside the view; a neighbour tile labels it
		}
		l.labels = append(l.labels, label{text: text, at: p, sym: sym, priority: prio, line: line, seq: len(l.labels)})
	}
	var walk func(g orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Point:
			add(g, false)
		case orb.MultiPoint:
			for _, p := range g {
				add(p, false)
			}
		case orb.LineString:
			if p, ok := midpoint(g); ok {
				add(p, sym.PointPlacement == nil)
			}
		case orb.MultiLineString:
			// The longest part carries the label.
			best, bestLen := -1, 0.0
			for i, ls := range g {
				if n := planar.Length(ls); n > bestLen {
					best, bestLen = i, n
				}
			}
			if best >= 0 {
				walk(g[best])
			}
		case orb.Polygon:
			p, _ := planar.CentroidArea(g)
			add(p, false)
		case orb.MultiPolygon:
			// The largest part carries the label.
			best, bestArea := -1, 0.0
			for i, p := range g {
				if a := math.Abs(planar.Area(p)); a > bestArea {
					best, bestArea = i, a
				}
			}
			if best >= 0 {
				walk(g[best])
			}
		case orb.Collection:
			for _, m := range g {
				walk(m)
			}
		}
	}
	walk(g)
}

func midpoint(ls orb.LineString) (orb.Point, bool) {
	total := planar.Length(ls)
	if total == 0 {
		return orb.Point{}, false
	}
	half, acc := total/2, 0.0
	for i := 1; i < len(ls); i++ {
		d := planar.Distance(ls[i-1], ls[i])
		if acc+d >= half && d > 0 {
			t := (half - acc) / d
			return orb.Point{ls[i-1][0] + t*(ls[i][0]-ls[i-1][0]), ls[i-1][1] + t*(ls[i][1]-ls[i-1][1])}, true
		}
		acc += d
	}
	return ls[len(ls)-1], true
}

func (l *labeler) face(ft styles.Font) font.Face {
	size := ft.Size
	if size <= 0 {
		size = 10
	}
	key := faceKey{l.fonts.pick(ft), size * l.k}
	if f, ok := l.faces[key]; ok {
		return f
	}
	// Sizes are pixels: at 72 DPI a point is a pixel.
	f := truetype.NewFace(key.f, &truetype.Options{Size: key.size, DPI: 72, Hinting: font.HintingNone})
	if l.faces == nil {
		l.faces = make(map[faceKey]font.Face)
	}
	l.faces[key] = f
	return f
}

// draw places and draws the collected labels: by priority, highest first,
// then in the order features were drawn; a label overlapping one already
// placed is dropped.
func (l *labeler) draw(c *canvas, deadline func() error) error {
	slices.SortStableFunc(l.labels, func(a, b label) int {
		switch {
		case a.priority > b.priority:
			return -1
		case a.priority < b.priority:
			return 1
		}
		return a.seq - b.seq
	})
	dc := c.dc
	dst, _ := dc.Image().(*image.RGBA)
	for i := range l.labels {
		if err := deadline(); err != nil {
			return err
		}
		lb := &l.labels[i]
		s := lb.sym
		face := l.face(s.Font)
		dc.SetFontFace(face)
		w, h := dc.MeasureString(lb.text)
		ax, ay, dx, dy := 0.0, 0.5, 0.0, 0.0
		if lb.line {
			ax = 0.5
		}
		if p := s.PointPlacement; p != nil {
			ax, ay, dx, dy = p.AnchorX, p.AnchorY, p.DisplacementX*l.k, p.DisplacementY*l.k
		}
		if p := s.LinePlacement; p != nil {
			dy = p.PerpendicularOffset * l.k
		}
		x, y := lb.at[0]+dx, lb.at[1]-dy // SE displacement is y up
		halo := 0.0
		if s.Halo != nil {
			halo = s.Halo.Radius * l.k
		}
		// gg anchors on the baseline: ay=0 puts the text above y (SE
		// AnchorPointY 0 is the bottom of the label), ay=1 below.
		pad := halo + 1
		left := x - ax*w
		base := y + ay*h
		bx := box{left - pad, base - h - pad, left + w + pad, base + h*0.25 + pad}
		if bx.x1 < 0 || bx.y1 < 0 || bx.x0 > float64(l.w) || bx.y0 > float64(l.h) {
			continue
		}
		if a := l.area; !a.Empty() && (bx.x0 < float64(a.Min.X) || bx.y0 < float64(a.Min.Y) || bx.x1 > float64(a.Max.X) || bx.y1 > float64(a.Max.Y)) {
			continue
		}
		if slices.ContainsFunc(l.placed, bx.overlaps) {
			continue
		}
		l.placed = append(l.placed, bx)
		// Labels are never rotated, so glyph masks go straight onto the
		// canvas (gg would resample every glyph through a bilinear
		// transform, the slowest part of a labelled map).
		ox, oy := x-ax*w, y+ay*h // the baseline origin gg's anchoring computes
		if s.Halo != nil && s.Halo.Fill.Opacity > 0 && halo > 0 {
			src := image.NewUniform(withOpacity(s.Halo.Fill.Color, s.Halo.Fill.Opacity))
			n := max(8, int(math.Ceil(halo*4)))
			for j := range n {
				a := 2 * math.Pi * float64(j) / float64(n)
				drawText(dst, src, face, lb.text, ox+halo*math.Cos(a), oy+halo*math.Sin(a))
			}
		}
		drawText(dst, image.NewUniform(withOpacity(s.Fill.Color, s.Fill.Opacity)), face, lb.text, ox, oy)
	}
	return nil
}

// drawText draws s with its baseline starting at (x, y), composing over
// dst.
func drawText(dst *image.RGBA, src image.Image, face font.Face, s string, x, y float64) {
	if dst == nil {
		return
	}
	d := font.Drawer{Dst: dst, Src: src, Face: face, Dot: fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))}}
	d.DrawString(s)
}

// property reads a property as label text.
func (f *evalFeature) property(name string) (string, bool) {
	i, ok := f.fields[name]
	if !ok && strings.Contains(name, ":") {
		i, ok = f.fields[name[strings.IndexByte(name, ':')+1:]]
	}
	if !ok {
		if name == f.layer.IDColumn || name == "@id" {
			return strconv.FormatInt(f.id, 10), true
		}
		return "", false
	}
	if i >= len(f.props) {
		return "", false
	}
	switch v := f.props[i].(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case time.Time:
		return v.Format(time.RFC3339), true
	case []byte:
		return "", false
	default:
		return fmt.Sprint(v), true
	}
}
