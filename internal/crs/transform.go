package crs

import (
	"fmt"
	"math"
	"sync"

	"github.com/twpayne/go-proj/v11"
)

// Transformer converts coordinates between two CRSs, always in
// easting/northing (longitude/latitude) order on both sides, whatever the
// CRSs' official axis order: callers swap axes at the protocol edge only.
type Transformer struct {
	From, To CRS
	// PROJ objects are not safe for concurrent use; the lock serialises
	// callers, which only transform a handful of points at a time.
	mu sync.Mutex
	pj *proj.PJ
}

// NewTransformer prepares a transformation from one CRS to another.
func NewTransformer(from, to CRS) (*Transformer, error) {
	ctx := proj.NewContext()
	pj, err := ctx.NewCRSToCRS(from.projName(), to.projName(), nil)
	if err != nil {
		return nil, fmt.Errorf("transform %s to %s: %w", from, to, err)
	}
	norm, err := pj.NormalizeForVisualization()
	if err != nil {
		return nil, fmt.Errorf("transform %s to %s: %w", from, to, err)
	}
	return &Transformer{From: from, To: to, pj: norm}, nil
}

// Point transforms one point.
func (t *Transformer) Point(x, y float64) (float64, float64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, err := t.pj.Forward(proj.NewCoord(x, y, 0, 0))
	if err != nil {
		return 0, 0, err
	}
	if math.IsInf(c[0], 0) || math.IsInf(c[1], 0) || math.IsNaN(c[0]) || math.IsNaN(c[1]) {
		return 0, 0, fmt.Errorf("transform %s to %s: point %g,%g has no image", t.From, t.To, x, y)
	}
	return c[0], c[1], nil
}

// Bounds transforms a rectangle, densifying its edges so that the result
// encloses the curved image of the rectangle. An image that crosses the
// antimeridian of a geographic CRS spans all longitudes.
func (t *Transformer) Bounds(b Bounds) (Bounds, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, err := t.pj.ForwardBounds(proj.Bounds{XMin: b.MinX, YMin: b.MinY, XMax: b.MaxX, YMax: b.MaxY}, 21)
	if err != nil {
		return Bounds{}, fmt.Errorf("transform bounds %s from %s to %s: %w", b, t.From, t.To, err)
	}
	r := Bounds{out.XMin, out.YMin, out.XMax, out.YMax}
	if r.MinX > r.MaxX {
		// PROJ returns west > east for an image that crosses the
		// antimeridian of a geographic CRS. Callers want one rectangle
		// that encloses it: the whole range of longitudes.
		r.MinX, r.MaxX = -180, 180
	}
	for _, v := range []float64{r.MinX, r.MinY, r.MaxX, r.MaxY} {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return Bounds{}, fmt.Errorf("transform bounds %s from %s to %s: no finite image", b, t.From, t.To)
		}
	}
	return r, nil
}
