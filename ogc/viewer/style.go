package viewer

import (
	"fmt"
	"image/color"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/store/filter"
	"github.com/tuiles/tuiles/styles"
)

// rule is a style rule as the page's script draws vector tiles with it:
// the layer's own SLD, reduced to what OpenLayers styles say simply
// (fills, strokes, point marks, equality filters, else rules).
type rule struct {
	Property string  `json:"property,omitempty"` // PropertyIsEqualTo, with Value
	Value    string  `json:"value,omitempty"`
	Else     bool    `json:"else,omitempty"`
	Fill     string  `json:"fill,omitempty"`
	Stroke   string  `json:"stroke,omitempty"`
	Width    float64 `json:"width,omitempty"`
	Radius   float64 `json:"radius,omitempty"`
}

func css(c color.NRGBA, opacity float64) string {
	return fmt.Sprintf("rgba(%d,%d,%d,%.3g)", c.R, c.G, c.B, opacity)
}

// vectorRules translates the layer's default map style. Rules whose
// filter is not a plain equality are left out; nil means the page's
// default style.
func vectorRules(l *catalog.Layer) []rule {
	if len(l.MapStyles) == 0 || l.MapStyles[0].Style == nil {
		return nil
	}
	var out []rule
	for _, fts := range l.MapStyles[0].Style.FeatureTypeStyles {
		for _, r := range fts.Rules {
			var base rule
			switch f := r.Filter.(type) {
			case nil:
				base.Else = r.ElseFilter
			case filter.Compare:
				if f.Op != filter.EqualTo {
					continue
				}
				base.Property, base.Value = f.Property, f.Literal
			case *filter.Compare:
				if f.Op != filter.EqualTo {
					continue
				}
				base.Property, base.Value = f.Property, f.Literal
			default:
				continue
			}
			for _, s := range r.Symbolizers {
				rl := base
				switch s := s.(type) {
				case styles.PolygonSymbolizer:
					rl.fromPolygon(s)
				case *styles.PolygonSymbolizer:
					rl.fromPolygon(*s)
				case styles.LineSymbolizer:
					rl.Stroke, rl.Width = css(s.Stroke.Color, s.Stroke.Opacity), s.Stroke.Width
				case *styles.LineSymbolizer:
					rl.Stroke, rl.Width = css(s.Stroke.Color, s.Stroke.Opacity), s.Stroke.Width
				case styles.PointSymbolizer:
					rl.fromPoint(s)
				case *styles.PointSymbolizer:
					rl.fromPoint(*s)
				default:
					continue
				}
				out = append(out, rl)
			}
		}
	}
	return out
}

func (r *rule) fromPolygon(s styles.PolygonSymbolizer) {
	if s.Fill != nil {
		r.Fill = css(s.Fill.Color, s.Fill.Opacity)
	}
	if s.Stroke != nil {
		r.Stroke, r.Width = css(s.Stroke.Color, s.Stroke.Opacity), s.Stroke.Width
	}
}

func (r *rule) fromPoint(s styles.PointSymbolizer) {
	r.Radius = max(s.Graphic.Size/2, 2)
	if len(s.Graphic.Marks) > 0 {
		m := s.Graphic.Marks[0]
		if m.Fill != nil {
			r.Fill = css(m.Fill.Color, m.Fill.Opacity)
		}
		if m.Stroke != nil {
			r.Stroke, r.Width = css(m.Stroke.Color, m.Stroke.Opacity), m.Stroke.Width
		}
	}
}
