package crs

import (
	"fmt"
	"math"
	"runtime"

	"github.com/twpayne/go-proj/v11"
)

// Transformer converts coordinates between two CRSs, always in
// easting/northing (longitude/latitude) order on both sides, whatever the
// CRSs' official axis order: callers swap axes at the protocol edge only.
// It is safe for concurrent use.
type Transformer struct {
	From, To CRS
	// idle holds PROJ objects not in use. A PROJ object (and its context)
	// serves one caller at a time; concurrent renders each borrow their
	// own, created when none is idle, instead of queueing on one lock.
	idle chan *proj.PJ
}

// NewTransformer prepares a transformation from one CRS to another.
func NewTransformer(from, to CRS) (*Transformer, error) {
	t := &Transformer{From: from, To: to, idle: make(chan *proj.PJ, 2*runtime.GOMAXPROCS(0))}
	pj, err := t.newPJ()
	if err != nil {
		return nil, err
	}
	t.idle <- pj
	return t, nil
}

func (t *Transformer) newPJ() (*proj.PJ, error) {
	pj, err := proj.NewContext().NewCRSToCRS(t.From.projName(), t.To.projName(), nil)
	if err != nil {
		return nil, fmt.Errorf("transform %s to %s: %w", t.From, t.To, err)
	}
	norm, err := pj.NormalizeForVisualization()
	if err != nil {
		return nil, fmt.Errorf("transform %s to %s: %w", t.From, t.To, err)
	}
	return norm, nil
}

// borrow takes an idle PROJ object, or makes one; give it back with
// giveBack.
func (t *Transformer) borrow() (*proj.PJ, error) {
	select {
	case pj := <-t.idle:
		return pj, nil
	default:
		return t.newPJ()
	}
}

// giveBack returns pj to the idle ones; past their bound it is left to
// the garbage collector, which destroys it.
func (t *Transformer) giveBack(pj *proj.PJ) {
	select {
	case t.idle <- pj:
	default:
	}
}

// Point transforms one point.
func (t *Transformer) Point(x, y float64) (float64, float64, error) {
	pj, err := t.borrow()
	if err != nil {
		return 0, 0, err
	}
	defer t.giveBack(pj)
	c, err := pj.Forward(proj.NewCoord(x, y, 0, 0))
	if err != nil {
		return 0, 0, err
	}
	if math.IsInf(c[0], 0) || math.IsInf(c[1], 0) || math.IsNaN(c[0]) || math.IsNaN(c[1]) {
		return 0, 0, fmt.Errorf("transform %s to %s: point %g,%g has no image", t.From, t.To, x, y)
	}
	return c[0], c[1], nil
}

// Pairs transforms x,y pairs in place, in one call to PROJ: the way to
// transform a line or ring, thousands of times cheaper per point than
// Point at the scale of a map. A pair without an image becomes infinite
// (callers drop it, as Point's error would have them).
func Pairs[P ~[2]float64](t *Transformer, ps []P) error {
	if len(ps) == 0 {
		return nil
	}
	pj, err := t.borrow()
	if err != nil {
		return err
	}
	defer t.giveBack(pj)
	const stride = 16 // bytes from one pair to the next
	n := len(ps)
	// PROJ reports an error when any point fails; the others are
	// transformed all the same, and the failed ones are HUGE_VAL.
	_ = pj.TransGeneric(proj.DirectionFwd, &ps[0][0], stride, n, &ps[0][1], stride, n, nil, 0, 0, nil, 0, 0)
	for i := range ps {
		if math.IsNaN(ps[i][0]) || math.IsNaN(ps[i][1]) {
			ps[i] = P{math.Inf(1), math.Inf(1)}
		}
	}
	return nil
}

// Bounds transforms a rectangle, densifying its edges so that the result
// encloses the curved image of the rectangle. An image that crosses the
// antimeridian of a geographic CRS spans all longitudes.
func (t *Transformer) Bounds(b Bounds) (Bounds, error) {
	pj, err := t.borrow()
	if err != nil {
		return Bounds{}, err
	}
	defer t.giveBack(pj)
	out, err := pj.ForwardBounds(proj.Bounds{XMin: b.MinX, YMin: b.MinY, XMax: b.MaxX, YMax: b.MaxY}, 21)
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

// ToWGS84 is a rectangle of CRS c as longitudes and latitudes (an
// enclosing rectangle, see Transformer.Bounds); an empty one is an error.
func ToWGS84(c CRS, b Bounds) (Bounds, error) {
	if b.Empty() {
		return Bounds{}, fmt.Errorf("an empty extent in %s", c)
	}
	if c == WGS84 || c == CRS84 {
		return b, nil
	}
	tr, err := NewTransformer(c, WGS84)
	if err != nil {
		return Bounds{}, err
	}
	return tr.Bounds(b)
}
