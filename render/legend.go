package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"golang.org/x/image/font"

	"github.com/tuiles/tuiles/styles"
)

// ErrNoRule marks a legend request naming a rule the style does not have
// (or that does not apply at the requested scale).
var ErrNoRule = errors.New("no such rule")

// LegendRequest asks for the legend of a style.
type LegendRequest struct {
	Style         *styles.Style // nil: styles.Default(GeometryType)
	GeometryType  string        // geometry type of the layer's table (POINT, MULTIPOLYGON, LINESTRING...) or "raster"
	Rule          string        // "" : every rule; else only the rule with that Name (error wrapping ErrNoRule if absent)
	Scale         float64       // 0: every rule; >0: only rules whose Min/MaxScaleDenominator include that scale
	Width, Height int           // size of each symbol swatch in pixels, 0 means 20×20
	Transparent   bool          // otherwise white background
	DPI           float64       // 0: DefaultDPI; scales strokes/marks/fonts like Render does
}

// Legend layout constants, in pixels at DefaultDPI (scaled by DPI like
// symbols, so a print legend keeps its proportions).
const (
	// DefaultLegendSize is the swatch side when the request leaves Width
	// or Height at 0 (GeoServer's and MapServer's default).
	DefaultLegendSize = 20
	// MaxLegendSize bounds the swatch side: legends are icons, and a
	// bigger request is more likely a mistake or an attack.
	MaxLegendSize = 512

	legendFontSize = 12 // title text, as GeoServer's default legend font
	legendTextGap  = 5  // between a swatch and its title
	legendRowGap   = 2  // between rows
	legendMargin   = 2  // right of the widest title
	// legendSample is what a TextSymbolizer shows in its swatch: there is
	// no feature to take a label from.
	legendSample = "Abc"
)

// legendRow is one line of a legend: a swatch and maybe a title.
type legendRow struct {
	// syms draw the swatch; when entry is set the swatch is that colour
	// map entry instead, at opacity entryOpacity.
	syms         []styles.Symbolizer
	entry        *styles.ColorMapEntry
	entryOpacity float64
	text         string
	h            int // row height: max(swatch, text)
}

// legendLayout is a measured legend, drawn by Legend and reported by
// LegendSize, so the two cannot disagree.
type legendLayout struct {
	w, h   int
	sw, sh int     // swatch size
	k      float64 // DPI / DefaultDPI
	rows   []legendRow
	gap    int // between rows
	textX  int
	// face and its metrics draw titles; nil when no row has text or the
	// fonts are missing.
	face          font.Face
	ascent, textH int
	lab           *labeler // face cache shared with the swatches
}

// Legend draws the legend of a style, as WMS GetLegendGraphic returns it.
//
// With req.Rule set the image is exactly one Width×Height swatch of that
// rule's symbolizers, without text. Otherwise it has one row per rule
// active at req.Scale (all feature type styles in order, ElseFilter rules
// included): the swatch, then the rule's Title, else its Name. A legend of
// a single rule without Title is just the swatch (GeoServer shows no text
// for one rule: a default style's rule name "default" says nothing). A
// rule whose RasterSymbolizer has a ColorMap gives one row per entry
// instead: its colour, then its label, else its quantity. When no rule
// applies the legend is one blank swatch, so that clients advertising a
// LegendURL still get an image.
//
// Swatches are drawn by the code that draws maps, on pixel geometries
// built for the purpose: polygons as a rectangle, lines as a slight
// zigzag, points as their graphic at its size (capped to the swatch),
// text as "Abc" in the symbolizer's font, fill and halo (GeoServer draws
// nothing for text; a sample tells more about label rules, which would
// otherwise show an empty swatch). A RasterSymbolizer without ColorMap is
// a grey swatch.
func (r *Renderer) Legend(ctx context.Context, req LegendRequest) (*image.NRGBA, error) {
	lay, err := r.legendLayout(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := newCanvas(lay.w, lay.h)
	if !req.Transparent {
		c.fillBackground(color.NRGBA{0xff, 0xff, 0xff, 0xff})
	}
	dst := c.dc.Image().(*image.RGBA)
	y := 0
	for _, row := range lay.rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Each swatch has its own canvas: symbols wider than the swatch
		// (thick strokes, big labels) are clipped to it instead of
		// running into the titles, and the geometry stays in swatch
		// coordinates.
		sc := newCanvas(lay.sw, lay.sh)
		if err := lay.drawSwatch(ctx, sc, row); err != nil {
			return nil, err
		}
		sy := y + (row.h-lay.sh)/2
		draw.Draw(dst, image.Rect(0, sy, lay.sw, sy+lay.sh), sc.dc.Image(), image.Point{}, draw.Over)
		if row.text != "" && lay.face != nil {
			c.dc.SetFontFace(lay.face)
			c.dc.SetColor(color.NRGBA{0, 0, 0, 0xff})
			base := y + (row.h-lay.textH)/2 + lay.ascent
			c.dc.DrawString(row.text, float64(lay.textX), float64(base))
		}
		y += row.h + lay.gap
	}
	return c.image(), nil
}

// LegendSize returns the size Legend would produce, without drawing (used
// to advertise LegendURL width/height in capabilities).
func (r *Renderer) LegendSize(req LegendRequest) (width, height int, err error) {
	lay, err := r.legendLayout(req)
	if err != nil {
		return 0, 0, err
	}
	return lay.w, lay.h, nil
}

// legendLayout checks req, selects the rules and measures the rows.
func (r *Renderer) legendLayout(req LegendRequest) (*legendLayout, error) {
	sw, sh := req.Width, req.Height
	if sw < 0 || sh < 0 {
		return nil, fmt.Errorf("%w: legend size %dx%d", ErrInvalidRequest, sw, sh)
	}
	if sw == 0 {
		sw = DefaultLegendSize
	}
	if sh == 0 {
		sh = DefaultLegendSize
	}
	if sw > MaxLegendSize || sh > MaxLegendSize {
		return nil, fmt.Errorf("%w: legend size %dx%d is over %d pixels a side", ErrLimit, sw, sh, MaxLegendSize)
	}
	dpi := req.DPI
	if dpi <= 0 || math.IsNaN(dpi) || math.IsInf(dpi, 0) {
		dpi = DefaultDPI
	}
	lay := &legendLayout{sw: sw, sh: sh, k: dpi / DefaultDPI}
	if r.fonts != nil {
		lay.lab = &labeler{fonts: r.fonts, k: lay.k, w: sw, h: sh}
	}
	style := styles.Default(req.GeometryType)
	if req.Style != nil {
		style = *req.Style
	}

	if req.Rule != "" {
		rule, err := legendRule(style, req.Rule, req.Scale)
		if err != nil {
			return nil, err
		}
		lay.rows = []legendRow{{syms: rule.Symbolizers, h: sh}}
		lay.w, lay.h = sw, sh
		return lay, r.legendCheck(lay)
	}

	titled := false
	for _, fts := range style.FeatureTypeStyles {
		for _, rule := range fts.Rules {
			if req.Scale > 0 && !rule.Applies(req.Scale) {
				continue
			}
			if rs, ok := colorMapOf(rule.Symbolizers); ok {
				for i := range rs.ColorMap.Entries {
					e := &rs.ColorMap.Entries[i]
					text := e.Label
					if text == "" {
						text = strconv.FormatFloat(e.Quantity, 'f', -1, 64)
					}
					lay.rows = append(lay.rows, legendRow{entry: e, entryOpacity: rs.Opacity, text: text})
				}
				titled = true
				continue
			}
			text := rule.Title
			if text != "" {
				titled = true
			} else {
				text = rule.Name
			}
			lay.rows = append(lay.rows, legendRow{syms: rule.Symbolizers, text: text})
		}
	}
	switch {
	case len(lay.rows) == 0:
		lay.rows = []legendRow{{}}
	case len(lay.rows) == 1 && !titled:
		lay.rows[0].text = ""
	}

	var textW int
	if lay.lab != nil {
		for i := range lay.rows {
			if lay.rows[i].text == "" {
				continue
			}
			if lay.face == nil {
				lay.face = lay.lab.face(styles.Font{Size: legendFontSize})
				m := lay.face.Metrics()
				lay.ascent = m.Ascent.Ceil()
				lay.textH = lay.ascent + m.Descent.Ceil()
			}
			textW = max(textW, font.MeasureString(lay.face, lay.rows[i].text).Ceil())
		}
	}
	lay.w, lay.h = sw, 0
	if textW > 0 {
		lay.textX = sw + legendPx(legendTextGap, lay.k)
		lay.w = lay.textX + textW + legendPx(legendMargin, lay.k)
	}
	lay.gap = legendPx(legendRowGap, lay.k)
	for i := range lay.rows {
		row := &lay.rows[i]
		row.h = sh
		if row.text != "" {
			row.h = max(sh, lay.textH)
		}
		if i > 0 {
			lay.h += lay.gap
		}
		lay.h += row.h
		// Checked as it grows: a style with very many rules must not
		// overflow before the limit check.
		if lay.h > r.maxPixels {
			break
		}
	}
	return lay, r.legendCheck(lay)
}

// legendCheck applies the renderer's pixel limit to a laid out legend.
func (r *Renderer) legendCheck(lay *legendLayout) error {
	if lay.w > r.maxPixels || lay.h > r.maxPixels || int64(lay.w)*int64(lay.h) > int64(r.maxPixels) {
		return fmt.Errorf("%w: legend of %dx%d is over %d pixels", ErrLimit, lay.w, lay.h, r.maxPixels)
	}
	return nil
}

// legendPx scales a layout distance by the DPI ratio, to whole pixels so
// that rows and swatches stay on the pixel grid.
func legendPx(px, k float64) int {
	return max(1, int(math.Round(px*k)))
}

// legendRule finds the rule named name (the first, if several share it).
func legendRule(style styles.Style, name string, scale float64) (styles.Rule, error) {
	found := false
	for _, fts := range style.FeatureTypeStyles {
		for _, rule := range fts.Rules {
			if rule.Name != name {
				continue
			}
			if scale > 0 && !rule.Applies(scale) {
				found = true
				continue
			}
			return rule, nil
		}
	}
	if found {
		return styles.Rule{}, fmt.Errorf("%w: rule %q does not apply at scale 1:%g", ErrNoRule, name, scale)
	}
	return styles.Rule{}, fmt.Errorf("%w: %q", ErrNoRule, name)
}

// colorMapOf returns the first RasterSymbolizer of syms that has colour
// map entries.
func colorMapOf(syms []styles.Symbolizer) (styles.RasterSymbolizer, bool) {
	for _, s := range syms {
		if rs, ok := deref(s).(styles.RasterSymbolizer); ok && rs.ColorMap != nil && len(rs.ColorMap.Entries) > 0 {
			return rs, true
		}
	}
	return styles.RasterSymbolizer{}, false
}

// drawSwatch draws one row's swatch on c, a canvas of the swatch's size.
func (lay *legendLayout) drawSwatch(ctx context.Context, c *canvas, row legendRow) error {
	w, h, k := float64(lay.sw), float64(lay.sh), lay.k
	if e := row.entry; e != nil {
		c.fillRect(0, w, h, e.Color, e.Opacity*row.entryOpacity, k)
		return nil
	}
	for _, s := range row.syms {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch s := deref(s).(type) {
		case styles.PolygonSymbolizer:
			in := 1.0
			if s.Stroke != nil {
				in = legendInset(s.Stroke, k, w, h)
			}
			c.drawSymbolizers([]styles.Symbolizer{s}, legendRect(in, in, w-in, h-in), k, nil, nil)
		case styles.LineSymbolizer:
			// A line rising left to right with a slight zigzag, so that
			// joins show, ends inset so that caps show.
			in := legendInset(&s.Stroke, k, w, h)
			ls := orb.LineString{{in, h - in}, {0.4 * w, 0.45 * h}, {0.6 * w, 0.55 * h}, {w - in, in}}
			c.drawSymbolizers([]styles.Symbolizer{s}, ls, k, nil, nil)
		case styles.PointSymbolizer:
			// The graphic at its size, shrunk (never grown) to fit.
			limit := min(w, h) - 1
			if len(s.Graphic.Marks) > 0 && s.Graphic.Marks[0].Stroke != nil {
				limit -= s.Graphic.Marks[0].Stroke.Width * k
			}
			limit = max(limit, 1)
			size := s.Graphic.Size * k
			if size <= 0 {
				size = 6 * k // canvas.point's default
			}
			if size > limit {
				s.Graphic.Size = limit / k
			}
			c.drawSymbolizers([]styles.Symbolizer{s}, orb.Point{w / 2, h / 2}, k, nil, nil)
		case styles.TextSymbolizer:
			if err := lay.textSample(ctx, c, s); err != nil {
				return err
			}
		case styles.RasterSymbolizer:
			if s.ColorMap == nil || len(s.ColorMap.Entries) == 0 {
				c.fillRect(0, w, h, color.NRGBA{0xa0, 0xa0, 0xa0, 0xff}, s.Opacity, k)
				continue
			}
			// One swatch for a whole colour map: a stripe per entry.
			es := s.ColorMap.Entries
			step := w / float64(len(es))
			for i, e := range es {
				c.fillRect(float64(i)*step, float64(i+1)*step, h, e.Color, e.Opacity*s.Opacity, k)
			}
		}
	}
	return nil
}

// fillRect fills the rectangle x0..x1 × 1..h-1 (inset 1 px from the
// swatch top and bottom, and from its sides at 0 and the swatch width) as
// a polygon of the colour would be drawn.
func (c *canvas) fillRect(x0, x1, h float64, col color.NRGBA, opacity, k float64) {
	w := float64(c.dc.Width())
	if x0 <= 0 {
		x0 = 1
	}
	if x1 >= w {
		x1 = w - 1
	}
	sym := styles.PolygonSymbolizer{Fill: &styles.Fill{Color: col, Opacity: opacity}}
	c.drawSymbolizers([]styles.Symbolizer{sym}, legendRect(x0, 1, x1, h-1), k, nil, nil)
}

// legendInset keeps a stroke inside the swatch: half its width, at least
// 1 px, at most a quarter of the swatch.
func legendInset(s *styles.Stroke, k, w, h float64) float64 {
	return min(max(1, s.Width*k/2), min(w, h)/4)
}

func legendRect(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// textSample draws legendSample centred with the symbolizer's font, fill
// and halo, through the map labeler, its size reduced to fit the swatch.
func (lay *legendLayout) textSample(ctx context.Context, c *canvas, s styles.TextSymbolizer) error {
	if lay.lab == nil {
		return nil
	}
	w, h, k := float64(lay.sw), float64(lay.sh), lay.k
	if s.Font.Size <= 0 {
		s.Font.Size = 10 // the labeler's default
	}
	halo := 0.0
	if s.Halo != nil {
		halo = s.Halo.Radius * k
	}
	if limit := (h - 2*halo) * 0.8 / k; s.Font.Size > limit {
		s.Font.Size = max(limit, 1)
	}
	if tw := float64(font.MeasureString(lay.lab.face(s.Font), legendSample).Ceil()); tw > w-2*halo-2 {
		s.Font.Size = max(s.Font.Size*(w-2*halo-2)/tw, 1)
	}
	s.PointPlacement = &styles.PointPlacement{AnchorX: 0.5, AnchorY: 0.5}
	s.LinePlacement = nil
	// A labeler per swatch: labels of different swatches never collide,
	// and its faces come from the legend's shared cache.
	lab := &labeler{fonts: lay.lab.fonts, k: k, w: lay.sw, h: lay.sh, faces: lay.lab.faces}
	// The labeler centres the em box on the anchor; capitals sit in its
	// upper part, so the anchor goes up by 0.15 em to centre them.
	lab.labels = []label{{text: legendSample, at: orb.Point{w / 2, h/2 - 0.15*s.Font.Size*k}, sym: &s}}
	return lab.draw(c, ctx.Err)
}
