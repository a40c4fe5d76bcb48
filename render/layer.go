package render

import (
	"context"
	"fmt"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"
	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/geomproj"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
	"github.com/tuiles/tuiles/styles"
)

// bufferPx is how far beyond the view features are read and kept, so that
// marks and wide strokes of features just outside still show at the edge.
const bufferPx = 32

// simplifyPx is the Douglas-Peucker tolerance in pixels: detail below half
// a pixel does not show after anti-aliasing.
const simplifyPx = 0.5

// decimatePx is how close to the previous vertex a vertex may be and still
// be dropped while projecting, before clipping and simplification: a
// quarter pixel moves no edge visibly.
const decimatePx = 0.25

// activeStyle is one feature type style reduced to the rules that apply
// at the request scale.
type activeStyle struct {
	rules []styles.Rule // non-else rules
	elses []styles.Rule
}

// item is a feature ready to draw: the pixel geometry plus what filters
// read.
type item struct {
	feat  evalFeature
	pixel orb.Geometry
	raw   store.Feature // as read, for GetFeatureInfo
}

// activeStyles reduces a style to the rules that apply at scale, feature
// type style by feature type style, dropping those left empty.
func activeStyles(style styles.Style, scale float64) []activeStyle {
	var active []activeStyle
	for _, fts := range style.FeatureTypeStyles {
		var a activeStyle
		for _, rule := range fts.Rules {
			if !rule.Applies(scale) {
				continue
			}
			if rule.ElseFilter {
				a.elses = append(a.elses, rule)
			} else {
				a.rules = append(a.rules, rule)
			}
		}
		if len(a.rules)+len(a.elses) > 0 {
			active = append(active, a)
		}
	}
	return active
}

// layerStyle is the style a layer is drawn with.
func layerStyle(l Layer, info *store.Layer) styles.Style {
	if l.Style != nil {
		return *l.Style
	}
	return styles.Default(info.GeometryType)
}

// readItems reads the features of l whose envelope meets the view
// enlarged by bufPx pixels on each side, projected to pixels, clipped to
// that enlarged view and simplified; budget counts the features read
// across layers.
func (r *Renderer) readItems(ctx context.Context, v *view, reqCRS crs.CRS, l Layer, info *store.Layer, bufPx float64, budget *int) ([]item, error) {
	var fwd *crs.Transformer
	bufX, bufY := bufPx*v.resX, bufPx*v.resY
	q := crs.Bounds{MinX: v.bbox.MinX - bufX, MinY: v.bbox.MinY - bufY, MaxX: v.bbox.MaxX + bufX, MaxY: v.bbox.MaxY + bufY}
	query := store.Query{Layer: l.Table, BBox: &q}
	if info.CRS != reqCRS {
		// Transformers are kept by the renderer: PROJ setup is costly.
		var err error
		fwd, err = r.trs.Get(info.CRS, reqCRS)
		if err != nil {
			return nil, err
		}
		inv, err := r.trs.Get(reqCRS, info.CRS)
		if err != nil {
			return nil, err
		}
		lb, err := inv.Bounds(q)
		if err != nil {
			// The view reaches beyond the area where the inverse is
			// defined (e.g. Web Mercator past the poles): read everything
			// and let per-point transforms sort it out.
			r.log.Debug("render: bbox has no image in layer CRS; reading all features", "layer", l.Table, "err", err)
			query.BBox = nil
		} else {
			query.BBox = &lb
		}
	}

	fields := make(map[string]int, len(info.Fields))
	for i, f := range info.Fields {
		fields[f.Name] = i
	}
	clipBound := orb.Bound{Min: orb.Point{-bufPx, -bufPx}, Max: orb.Point{float64(v.w) + bufPx, float64(v.h) + bufPx}}
	simp := simplify.DouglasPeucker(simplifyPx)

	var items []item
	for f, err := range l.Source.Features(ctx, query) {
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		*budget--
		if *budget < 0 {
			return nil, fmt.Errorf("%w: more than %d features", ErrLimit, r.maxFeatures)
		}
		// The converted geometry is projected in place: filters that
		// need the layer-CRS geometry convert the stored one again.
		g := store.ToOrb(f.Geometry)
		if g == nil {
			continue
		}
		px, ok := project(g, fwd, v)
		if !ok {
			continue
		}
		// Most features of a view lie inside it: clipping only those
		// that cross the edge saves an allocation per ring.
		if b := px.Bound(); !(b.Min[0] >= clipBound.Min[0] && b.Min[1] >= clipBound.Min[1] && b.Max[0] <= clipBound.Max[0] && b.Max[1] <= clipBound.Max[1]) {
			px = clip.Geometry(clipBound, px)
		}
		if px == nil || isEmpty(px) {
			continue
		}
		if _, isPoint := px.(orb.Point); !isPoint {
			px = simp.Simplify(px)
		}
		items = append(items, item{
			feat:  evalFeature{id: f.ID, props: f.Properties, stored: f.Geometry, layer: info, fields: fields},
			pixel: px,
			raw:   f,
		})
	}
	return items, nil
}

// matchRules calls fn with the symbolizers of every rule of a that
// draws it: the rules whose filter it passes, else the else rules.
func matchRules(a *activeStyle, schema filter.Schema, it *item, fn func(styles.Rule)) error {
	matched := false
	for _, rule := range a.rules {
		ok, err := filter.Evaluate(rule.Filter, schema, &it.feat)
		if err != nil {
			return fmt.Errorf("rule %q: %w", rule.Name, err)
		}
		if ok {
			matched = true
			fn(rule)
		}
	}
	if !matched {
		for _, rule := range a.elses {
			fn(rule)
		}
	}
	return nil
}

func (r *Renderer) drawLayer(ctx context.Context, c *canvas, lab *labeler, v *view, reqCRS crs.CRS, l Layer, budget *int) error {
	info, err := l.Source.Layer(l.Table)
	if err != nil {
		return err
	}
	active := activeStyles(layerStyle(l, &info), v.scale)
	if len(active) == 0 {
		return nil
	}
	items, err := r.readItems(ctx, v, reqCRS, l, &info, bufferPx, budget)
	if err != nil {
		return err
	}
	schema := info.Schema()
	for _, a := range active {
		for i := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			it := &items[i]
			err := matchRules(&a, schema, it, func(rule styles.Rule) {
				c.drawSymbolizers(rule.Symbolizers, it.pixel, v.symScale, lab, &it.feat)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// project transforms g in place to the map CRS and then to pixels (see
// geomproj.Project).
func project(g orb.Geometry, fwd *crs.Transformer, v *view) (orb.Geometry, bool) {
	return geomproj.Project(g, fwd, func(x, y float64) orb.Point {
		px, py := v.toPixel(x, y)
		return orb.Point{px, py}
	}, decimatePx)
}

func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return false
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) < 2
	case orb.MultiLineString:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0 || len(g[0]) < 3
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		return len(g) == 0
	}
	return true
}

// evalFeature is a store feature as filter.Evaluate reads it; the
// geometry stays in the layer CRS, as the filter literals are.
type evalFeature struct {
	id     int64
	props  []any
	stored geom.T       // as read from the store
	geom   orb.Geometry // stored, converted when a filter first asks
	layer  *store.Layer
	fields map[string]int
}

func (f *evalFeature) ID() string { return strconv.FormatInt(f.id, 10) }

func (f *evalFeature) Value(column string) (any, bool) {
	if column == f.layer.IDColumn {
		return f.id, true
	}
	i, ok := f.fields[column]
	if !ok || i >= len(f.props) {
		return nil, false
	}
	return f.props[i], true
}

func (f *evalFeature) Geometry(column string) orb.Geometry {
	if column == f.layer.GeometryColumn || column == "" {
		if f.geom == nil && f.stored != nil {
			f.geom = store.ToOrb(f.stored)
		}
		return f.geom
	}
	return nil
}
