package render

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

// maxHitRadiusPx bounds how far from the queried pixel a symbol may
// reach and still be found: a style with a 500-pixel mark must not turn a
// GetFeatureInfo into a read of the whole view.
const maxHitRadiusPx = 64

// Hit is something drawn at the queried pixel: a feature of a vector
// layer, or the band values of a raster layer.
type Hit struct {
	// Layer is the index of the layer in Request.Layers.
	Layer int
	// Info describes the feature's table (vector layers).
	Info *store.Layer
	// Feature is the feature as stored: geometry in the table's CRS,
	// properties aligned with Info.Fields.
	Feature store.Feature
	// Bands are the raster's band values at the pixel (raster layers);
	// nil for features.
	Bands []float64
}

// InfoRequest asks what is drawn at one pixel of a map.
type InfoRequest struct {
	Map Request
	// X and Y are the pixel's column and row from the top left; the
	// pixel's centre is tested.
	X, Y int
	// Tolerance in pixels widens every symbol (default 0: exact).
	Tolerance float64
	// MaxPerLayer bounds the features returned for each layer (default
	// 1), topmost first.
	MaxPerLayer int
}

// FeatureInfo returns what the map of req.Map shows at pixel (X, Y),
// layer by layer from the top one down and topmost feature first: the
// features whose drawn symbols (fills, strokes at their width, marks at
// their size; labels excepted) cover the pixel's centre, within
// Tolerance pixels (those covering the pixel itself first), with the
// style's rules and scale ranges applied as Render applies them; and for raster layers the band values of the
// source pixel under it, unless it is nodata.
func (r *Renderer) FeatureInfo(ctx context.Context, req InfoRequest) ([]Hit, error) {
	v, err := r.validate(&req.Map)
	if err != nil {
		return nil, err
	}
	if req.X < 0 || req.Y < 0 || req.X >= v.w || req.Y >= v.h {
		return nil, fmt.Errorf("%w: pixel %d,%d is outside the %dx%d map", ErrInvalidRequest, req.X, req.Y, v.w, v.h)
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	release, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	per := max(req.MaxPerLayer, 1)
	tol := max(req.Tolerance, 0)
	budget := r.maxFeatures
	var hits []Hit
	for i := len(req.Map.Layers) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := req.Map.Layers[i]
		var found []Hit
		if l.Raster != "" {
			found, err = r.rasterHit(ctx, v, req.Map.CRS, l, req.X, req.Y)
		} else {
			found, err = r.vectorHits(ctx, v, req.Map.CRS, l, req.X, req.Y, tol, per, &budget)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		for j := range found {
			found[j].Layer = i
		}
		hits = append(hits, found...)
	}
	return hits, nil
}

// subView is the square of side 2*radius+1 pixels of v centred on pixel
// (x, y), at v's resolution and scale, and the tested point (the pixel's
// centre) in its pixel coordinates.
func subView(v *view, x, y, radius int) (*view, orb.Point) {
	x0, y0 := x-radius, y-radius
	side := 2*radius + 1
	minX := v.bbox.MinX + float64(x0)*v.resX
	maxY := v.bbox.MaxY - float64(y0)*v.resY
	sv := *v
	sv.bbox = crs.Bounds{MinX: minX, MinY: maxY - float64(side)*v.resY, MaxX: minX + float64(side)*v.resX, MaxY: maxY}
	sv.w, sv.h = side, side
	return &sv, orb.Point{float64(radius) + 0.5, float64(radius) + 0.5}
}

func (r *Renderer) vectorHits(ctx context.Context, v *view, reqCRS crs.CRS, l Layer, x, y int, tol float64, per int, budget *int) ([]Hit, error) {
	info, err := l.Source.Layer(l.Table)
	if err != nil {
		return nil, err
	}
	active := activeStyles(layerStyle(l, &info), v.scale)
	if len(active) == 0 {
		return nil, nil
	}
	reach := 0.0
	for _, a := range active {
		for _, rules := range [][]styles.Rule{a.rules, a.elses} {
			for _, rule := range rules {
				for _, s := range rule.Symbolizers {
					reach = max(reach, symbolReach(s, v.symScale))
				}
			}
		}
	}
	radius := int(math.Ceil(min(tol+reach, maxHitRadiusPx))) + 1
	sv, p := subView(v, x, y, radius)
	items, err := r.readItems(ctx, sv, reqCRS, l, &info, 0, budget)
	if err != nil {
		return nil, err
	}
	schema := info.Schema()
	// Features whose symbols cover the pixel itself come first, then
	// those only within the tolerance: a click inside France answers
	// France before the neighbour whose border passes nearby. Within
	// each group, later features are drawn over earlier ones: the
	// topmost comes first.
	var exact, near []Hit
	for i := len(items) - 1; i >= 0 && len(exact) < per; i-- {
		it := &items[i]
		onPixel, inReach := false, false
		for _, a := range active {
			err := matchRules(&a, schema, it, func(rule styles.Rule) {
				for _, s := range rule.Symbolizers {
					onPixel = onPixel || symbolCovers(s, it.pixel, p, 0, v.symScale)
					inReach = inReach || (tol > 0 && symbolCovers(s, it.pixel, p, tol, v.symScale))
				}
			})
			if err != nil {
				return nil, err
			}
		}
		switch {
		case onPixel:
			exact = append(exact, Hit{Info: &info, Feature: it.raw})
		case inReach:
			near = append(near, Hit{Info: &info, Feature: it.raw})
		}
	}
	hits := append(exact, near...)
	if len(hits) > per {
		hits = hits[:per]
	}
	return hits, nil
}

// symbolReach is how many pixels beyond its geometry a symbolizer
// paints.
func symbolReach(s styles.Symbolizer, k float64) float64 {
	switch s := deref(s).(type) {
	case styles.PolygonSymbolizer:
		if s.Stroke != nil {
			return s.Stroke.Width * k / 2
		}
	case styles.LineSymbolizer:
		return s.Stroke.Width*k/2 + math.Abs(s.PerpendicularOffset*k)
	case styles.PointSymbolizer:
		return graphicSize(s.Graphic, k) / 2
	}
	return 0
}

// deref turns the pointer forms of symbolizers into values.
func deref(s styles.Symbolizer) styles.Symbolizer {
	switch s := s.(type) {
	case *styles.PolygonSymbolizer:
		return *s
	case *styles.LineSymbolizer:
		return *s
	case *styles.PointSymbolizer:
		return *s
	case *styles.TextSymbolizer:
		return *s
	case *styles.RasterSymbolizer:
		return *s
	}
	return s
}

// symbolCovers reports whether symbolizer s drawn for pixel geometry g
// paints point p, give or take tol pixels.
func symbolCovers(s styles.Symbolizer, g orb.Geometry, p orb.Point, tol, k float64) bool {
	switch s := deref(s).(type) {
	case styles.PolygonSymbolizer:
		inside := false
		polygons(g, func(poly orb.Polygon) {
			inside = inside || planar.PolygonContains(poly, p)
		})
		if inside && s.Fill != nil && s.Fill.Opacity > 0 {
			return true
		}
		// An unfilled polygon is hit on its outline, as drawn (or within
		// the tolerance of it when it has no stroke).
		w := 0.0
		if s.Stroke != nil {
			w = s.Stroke.Width * k
		}
		return distanceToLines(g, p) <= w/2+tol
	case styles.LineSymbolizer:
		return distanceToLines(g, p) <= s.Stroke.Width*k/2+math.Abs(s.PerpendicularOffset*k)+tol
	case styles.PointSymbolizer:
		// Circles are hit within their radius; other marks and images
		// within their bounding box (rotation aside).
		gr := s.Graphic
		halfH := graphicSize(gr, k) / 2
		halfW := halfH
		if img := graphicImage(gr); img != nil {
			halfW = halfH * float64(img.Bounds().Dx()) / float64(img.Bounds().Dy())
		}
		circle := graphicImage(gr) == nil && (len(gr.Marks) == 0 || strings.EqualFold(gr.Marks[0].WellKnownName, "circle"))
		hit := false
		points(g, func(q orb.Point) {
			dx, dy := math.Abs(q[0]-p[0]), math.Abs(q[1]-p[1])
			if circle {
				hit = hit || math.Hypot(dx, dy) <= halfH+tol
			} else {
				hit = hit || (dx <= halfW+tol && dy <= halfH+tol)
			}
		})
		return hit
	}
	return false
}

// distanceToLines is the distance from p to the nearest line of g
// (polygon rings included); +Inf when g has none.
func distanceToLines(g orb.Geometry, p orb.Point) float64 {
	d := math.Inf(1)
	lines(g, func(pts []orb.Point, closed bool) {
		n := len(pts)
		for i := 0; i+1 < n; i++ {
			d = min(d, segmentDistance(p, pts[i], pts[i+1]))
		}
		if closed && n > 2 {
			d = min(d, segmentDistance(p, pts[n-1], pts[0]))
		}
		if n == 1 {
			d = min(d, math.Hypot(p[0]-pts[0][0], p[1]-pts[0][1]))
		}
	})
	return d
}

func segmentDistance(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	return math.Hypot(p[0]-(a[0]+t*dx), p[1]-(a[1]+t*dy))
}

// rasterHit samples the raster under pixel (x, y): the source pixel
// nearest to its centre, warped to the request CRS as Render warps it.
func (r *Renderer) rasterHit(ctx context.Context, v *view, reqCRS crs.CRS, l Layer, x, y int) ([]Hit, error) {
	style := styles.Default("raster")
	if l.Style != nil {
		style = *l.Style
	}
	if _, ok := rasterSymbolizer(style, v.scale); !ok {
		return nil, nil // not drawn at this scale
	}
	ras, err := gdal.OpenRaster(ctx, l.Raster)
	if err != nil {
		return nil, err
	}
	defer ras.Close()
	sv, _ := subView(v, x, y, 0)
	var bandList []int
	if n := ras.Info().Bands; n > 4 {
		bandList = []int{1, 2, 3, 4} // Warp reads at most four
	}
	res, err := ras.Warp(ctx, gdal.WarpRequest{
		Bands:  bandList,
		DstSRS: reqCRS.String(),
		MinX:   sv.bbox.MinX, MinY: sv.bbox.MinY, MaxX: sv.bbox.MaxX, MaxY: sv.bbox.MaxY,
		Width: 1, Height: 1,
		Resampling: "near",
	})
	if err != nil {
		return nil, err
	}
	if len(res.Valid) == 0 || !res.Valid[0] {
		return nil, nil
	}
	bands := make([]float64, len(res.Bands))
	for i, b := range res.Bands {
		bands[i] = float64(b[0])
	}
	return []Hit{{Bands: bands}}, nil
}
