package render

import (
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/fogleman/gg"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tuiles/tuiles/styles"
)

// canvas draws pixel-space geometries with gg.
type canvas struct {
	dc *gg.Context
}

func newCanvas(w, h int) *canvas {
	return &canvas{dc: gg.NewContext(w, h)}
}

func (c *canvas) fillBackground(bg color.NRGBA) {
	c.dc.SetColor(bg)
	c.dc.Clear()
}

// image converts gg's premultiplied RGBA to NRGBA.
func (c *canvas) image() *image.NRGBA {
	src := c.dc.Image().(*image.RGBA)
	b := src.Bounds()
	dst := image.NewNRGBA(b)
	for i := 0; i+3 < len(src.Pix); i += 4 {
		r, g, bl, a := src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3]
		switch a {
		case 0:
			// stays transparent black
		case 255:
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = r, g, bl, a
		default:
			dst.Pix[i] = uint8((uint32(r)*255 + uint32(a)/2) / uint32(a))
			dst.Pix[i+1] = uint8((uint32(g)*255 + uint32(a)/2) / uint32(a))
			dst.Pix[i+2] = uint8((uint32(bl)*255 + uint32(a)/2) / uint32(a))
			dst.Pix[i+3] = a
		}
	}
	return dst
}

func withOpacity(c color.NRGBA, opacity float64) color.NRGBA {
	if opacity < 0 {
		opacity = 0
	}
	if opacity > 1 {
		opacity = 1
	}
	c.A = uint8(math.Round(float64(c.A) * opacity))
	return c
}

// drawSymbolizers draws syms for one feature; labels go to lab, which
// places them after all geometry (nil: no labels).
func (c *canvas) drawSymbolizers(syms []styles.Symbolizer, g orb.Geometry, k float64, lab *labeler, f *evalFeature) {
	for _, s := range syms {
		switch s := s.(type) {
		case styles.PolygonSymbolizer:
			c.polygon(s, g, k)
		case *styles.PolygonSymbolizer:
			c.polygon(*s, g, k)
		case styles.LineSymbolizer:
			c.line(s, g, k)
		case *styles.LineSymbolizer:
			c.line(*s, g, k)
		case styles.PointSymbolizer:
			c.point(s, g, k)
		case *styles.PointSymbolizer:
			c.point(*s, g, k)
		case styles.TextSymbolizer:
			if lab != nil {
				lab.add(&s, g, f)
			}
		case *styles.TextSymbolizer:
			if lab != nil {
				lab.add(s, g, f)
			}
		}
		// RasterSymbolizer does not apply to features.
	}
}

// polygons lists the polygons of g.
func polygons(g orb.Geometry, fn func(orb.Polygon)) {
	switch g := g.(type) {
	case orb.Polygon:
		fn(g)
	case orb.MultiPolygon:
		for _, p := range g {
			fn(p)
		}
	case orb.Collection:
		for _, m := range g {
			polygons(m, fn)
		}
	}
}

// lines lists the lines of g; polygon rings count as closed lines.
func lines(g orb.Geometry, fn func(pts []orb.Point, closed bool)) {
	switch g := g.(type) {
	case orb.LineString:
		fn(g, false)
	case orb.MultiLineString:
		for _, l := range g {
			fn(l, false)
		}
	case orb.Polygon:
		for _, r := range g {
			fn(r, true)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				fn(r, true)
			}
		}
	case orb.Collection:
		for _, m := range g {
			lines(m, fn)
		}
	}
}

// points lists where point symbols go: points themselves, and the
// centroid of lines and polygons.
func points(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			fn(p)
		}
	case orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon:
		p, _ := planar.CentroidArea(g)
		fn(p)
	case orb.Collection:
		for _, m := range g {
			points(m, fn)
		}
	}
}

func (c *canvas) path(pts []orb.Point, closed bool) {
	dc := c.dc
	dc.NewSubPath()
	for i, p := range pts {
		if i == 0 {
			dc.MoveTo(p[0], p[1])
		} else {
			dc.LineTo(p[0], p[1])
		}
	}
	if closed {
		dc.ClosePath()
	}
}

func (c *canvas) setStroke(s *styles.Stroke, k float64, opacity float64) bool {
	w := s.Width * k
	if w <= 0 || s.Opacity*opacity <= 0 {
		return false
	}
	dc := c.dc
	dc.SetColor(withOpacity(s.Color, s.Opacity*opacity))
	dc.SetLineWidth(w)
	if len(s.DashArray) > 0 {
		d := make([]float64, len(s.DashArray))
		sum := 0.0
		for i, v := range s.DashArray {
			d[i] = v * k
			sum += d[i]
		}
		if sum > 0 {
			dc.SetDash(d...)
		} else {
			dc.SetDash()
		}
	} else {
		dc.SetDash()
	}
	switch strings.ToLower(s.LineCap) {
	case "round":
		dc.SetLineCap(gg.LineCapRound)
	case "square":
		dc.SetLineCap(gg.LineCapSquare)
	default:
		dc.SetLineCap(gg.LineCapButt)
	}
	switch strings.ToLower(s.LineJoin) {
	case "bevel":
		dc.SetLineJoin(gg.LineJoinBevel)
	default:
		// gg has no miter join; round is the closest to it.
		dc.SetLineJoin(gg.LineJoinRound)
	}
	return true
}

func (c *canvas) polygon(s styles.PolygonSymbolizer, g orb.Geometry, k float64) {
	dc := c.dc
	if s.Fill != nil && s.Fill.Opacity > 0 {
		dc.ClearPath()
		polygons(g, func(p orb.Polygon) {
			for _, r := range p {
				if len(r) >= 3 {
					c.path(r, true)
				}
			}
		})
		// Even-odd keeps holes empty whatever the ring orientation.
		dc.SetFillRuleEvenOdd()
		dc.SetColor(withOpacity(s.Fill.Color, s.Fill.Opacity))
		dc.Fill()
	}
	if s.Stroke != nil && c.setStroke(s.Stroke, k, 1) {
		dc.ClearPath()
		polygons(g, func(p orb.Polygon) {
			for _, r := range p {
				if len(r) >= 2 {
					c.path(r, true)
				}
			}
		})
		dc.Stroke()
	}
}

func (c *canvas) line(s styles.LineSymbolizer, g orb.Geometry, k float64) {
	if !c.setStroke(&s.Stroke, k, 1) {
		return
	}
	dc := c.dc
	dc.ClearPath()
	off := s.PerpendicularOffset * k
	lines(g, func(pts []orb.Point, closed bool) {
		if len(pts) < 2 {
			return
		}
		if off != 0 {
			pts = offsetLine(pts, off)
		}
		c.path(pts, closed)
	})
	dc.Stroke()
}

// offsetLine shifts a pixel-space line by d pixels to its left (seen
// walking along it; y points down), with mitred vertices whose miter is
// limited to 4×d so that sharp turns do not spike.
func offsetLine(pts []orb.Point, d float64) []orb.Point {
	// Unit left normals of the non-degenerate segments.
	type seg struct{ nx, ny float64 }
	var clean []orb.Point
	for _, p := range pts {
		if len(clean) == 0 || p != clean[len(clean)-1] {
			clean = append(clean, p)
		}
	}
	if len(clean) < 2 {
		return pts
	}
	segs := make([]seg, len(clean)-1)
	for i := range segs {
		dx, dy := clean[i+1][0]-clean[i][0], clean[i+1][1]-clean[i][1]
		l := math.Hypot(dx, dy)
		segs[i] = seg{dy / l, -dx / l}
	}
	out := make([]orb.Point, len(clean))
	for i, p := range clean {
		var nx, ny float64
		switch i {
		case 0:
			nx, ny = segs[0].nx*d, segs[0].ny*d
		case len(clean) - 1:
			nx, ny = segs[i-1].nx*d, segs[i-1].ny*d
		default:
			a, b := segs[i-1], segs[i]
			mx, my := a.nx+b.nx, a.ny+b.ny
			ml := math.Hypot(mx, my)
			if ml < 1e-9 { // the line turns back on itself
				nx, ny = b.nx*d, b.ny*d
				break
			}
			mx, my = mx/ml, my/ml
			scale := d / (mx*b.nx + my*b.ny)
			if math.Abs(scale) > 4*math.Abs(d) {
				scale = math.Copysign(4*math.Abs(d), scale)
			}
			nx, ny = mx*scale, my*scale
		}
		out[i] = orb.Point{p[0] + nx, p[1] + ny}
	}
	return out
}

// defaultMark is drawn when a graphic has no mark tuiles can draw (only
// external graphics, not loaded yet): the SLD default grey square.
func defaultMark() styles.Mark {
	return styles.Mark{
		WellKnownName: "square",
		Fill:          &styles.Fill{Color: color.NRGBA{0x80, 0x80, 0x80, 0xff}, Opacity: 1},
		Stroke:        &styles.Stroke{Color: color.NRGBA{0, 0, 0, 0xff}, Width: 1, Opacity: 1},
	}
}

func (c *canvas) point(s styles.PointSymbolizer, g orb.Geometry, k float64) {
	gr := s.Graphic
	if img := graphicImage(gr); img != nil {
		size := graphicSize(gr, k)
		scale := size / float64(img.Bounds().Dy())
		dc := c.dc
		points(g, func(p orb.Point) {
			dc.Push()
			dc.Translate(p[0], p[1])
			dc.Rotate(gg.Radians(gr.Rotation))
			dc.Scale(scale, scale)
			dc.DrawImageAnchored(img, 0, 0, 0.5, 0.5)
			dc.Pop()
		})
		return
	}
	mark := defaultMark()
	if len(gr.Marks) > 0 {
		mark = gr.Marks[0]
	}
	size := gr.Size * k
	if size <= 0 {
		size = 6 * k
	}
	opacity := gr.Opacity
	points(g, func(p orb.Point) {
		c.mark(mark, p, size, gr.Rotation, opacity, k)
	})
}

// graphicImage is the first loaded external graphic of gr (see
// styles.LoadGraphics), nil when it has none and marks are drawn.
func graphicImage(gr styles.Graphic) *image.NRGBA {
	for _, e := range gr.ExternalGraphics {
		if e.Image != nil && e.Image.Bounds().Dy() > 0 {
			return e.Image
		}
	}
	return nil
}

// graphicSize is the drawn height of a point symbol in pixels: Size, or
// for an image without one its own height, or the SLD default of 6.
func graphicSize(gr styles.Graphic, k float64) float64 {
	if gr.Size > 0 {
		return gr.Size * k
	}
	if img := graphicImage(gr); img != nil {
		return float64(img.Bounds().Dy()) * k
	}
	return 6 * k
}

// markShape returns the outline of a well-known mark of the given size
// (its height) centred on the origin, y down.
func markShape(name string, size float64) (pts []orb.Point, circle bool) {
	r := size / 2
	switch strings.ToLower(name) {
	case "circle":
		return nil, true
	case "triangle":
		// Equilateral, base at the bottom of the size box.
		h := size
		side := h * 2 / math.Sqrt(3)
		return []orb.Point{{0, -r}, {side / 2, r}, {-side / 2, r}}, false
	case "star":
		var out []orb.Point
		inner := r * 0.382
		for i := range 10 {
			rad := r
			if i%2 == 1 {
				rad = inner
			}
			a := -math.Pi/2 + float64(i)*math.Pi/5
			out = append(out, orb.Point{rad * math.Cos(a), rad * math.Sin(a)})
		}
		return out, false
	case "cross", "x":
		t := r * 0.3 // half the arm thickness
		out := []orb.Point{
			{-t, -r}, {t, -r}, {t, -t}, {r, -t}, {r, t}, {t, t},
			{t, r}, {-t, r}, {-t, t}, {-r, t}, {-r, -t}, {-t, -t},
		}
		if strings.EqualFold(name, "x") {
			for i, p := range out {
				out[i] = rotate(p, math.Pi/4)
			}
		}
		return out, false
	default: // square
		return []orb.Point{{-r, -r}, {r, -r}, {r, r}, {-r, r}}, false
	}
}

func rotate(p orb.Point, a float64) orb.Point {
	s, co := math.Sincos(a)
	return orb.Point{p[0]*co - p[1]*s, p[0]*s + p[1]*co}
}

func (c *canvas) mark(m styles.Mark, at orb.Point, size, rotationDeg, opacity, k float64) {
	dc := c.dc
	shape, circle := markShape(m.WellKnownName, size)
	build := func() {
		dc.ClearPath()
		if circle {
			dc.DrawCircle(at[0], at[1], size/2)
			return
		}
		a := rotationDeg * math.Pi / 180
		dc.NewSubPath()
		for i, p := range shape {
			p = rotate(p, a)
			if i == 0 {
				dc.MoveTo(at[0]+p[0], at[1]+p[1])
			} else {
				dc.LineTo(at[0]+p[0], at[1]+p[1])
			}
		}
		dc.ClosePath()
	}
	if m.Fill != nil && m.Fill.Opacity*opacity > 0 {
		build()
		dc.SetFillRuleWinding()
		dc.SetColor(withOpacity(m.Fill.Color, m.Fill.Opacity*opacity))
		dc.Fill()
	}
	if m.Stroke != nil && c.setStroke(m.Stroke, k, opacity) {
		build()
		dc.Stroke()
	}
}
