package filter

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// Exact geometric primitives. A filter decides whether a feature is returned,
// so a point lying exactly on an edge must be classified the same way every
// time, whatever the rounding of float64 products. Each primitive first uses
// float64 arithmetic with a proven error bound (Shewchuk's static filter) and
// falls back to exact integer arithmetic (math/big) when the float result is too close
// to call. All coordinates must be finite: prepare rejects NaN and ±Inf.

const (
	epsilon = 0x1p-53
	// ccwBound is Shewchuk's bound on the error of the float orientation
	// determinant, relative to the sum of the magnitudes of its two products.
	ccwBound = (3 + 16*epsilon) * epsilon
	// tiny is where products may lose bits to underflow and relative error
	// bounds stop holding; below it the slow path decides.
	tiny = 0x1p-900
)

// orient is the sign of the signed area of the triangle a, b, c: +1 when c
// lies to the left of a→b, -1 to the right, 0 when the three are collinear.
func orient(a, b, c orb.Point) int {
	d, sum := orientDet(a, b, c)
	if sum > tiny && !math.IsInf(sum, 0) {
		bound := ccwBound * sum
		if d > bound {
			return 1
		}
		if d < -bound {
			return -1
		}
	}
	return orientSlow(a, b, c)
}

// orientDet is the float orientation determinant and the sum of the
// magnitudes of its products, from which its error bound follows.
func orientDet(a, b, c orb.Point) (det, sum float64) {
	l := (a[0] - c[0]) * (b[1] - c[1])
	r := (a[1] - c[1]) * (b[0] - c[0])
	return l - r, math.Abs(l) + math.Abs(r)
}

// orientSlow decides the cases the filter could not: degenerate (often
// axis-aligned, collinear) inputs are common in real data, so it first checks
// whether the float differences and products happen to be exact, which they
// are for "nice" coordinates, before paying for big integers.
func orientSlow(a, b, c orb.Point) int {
	ax, ok1 := exactDiff(a[0], c[0])
	by, ok2 := exactDiff(b[1], c[1])
	ay, ok3 := exactDiff(a[1], c[1])
	bx, ok4 := exactDiff(b[0], c[0])
	if ok1 && ok2 && ok3 && ok4 {
		l, okl := exactMul(ax, by)
		r, okr := exactMul(ay, bx)
		if okl && okr {
			return cmpFloat(l, r)
		}
	}
	l, r := orientRat(a, b, c)
	return l.Cmp(r)
}

// orientRat returns the two products of the orientation determinant
// exactly.
func orientRat(a, b, c orb.Point) (l, r *big.Int) {
	v := scaled(a[0], a[1], b[0], b[1], c[0], c[1])
	ax, ay, bx, by, cx, cy := &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]
	l = new(big.Int).Mul(new(big.Int).Sub(ax, cx), new(big.Int).Sub(by, cy))
	r = new(big.Int).Mul(new(big.Int).Sub(ay, cy), new(big.Int).Sub(bx, cx))
	return l, r
}

// scaled converts finite floats exactly into integers that share one
// power-of-two scale (vals[i] = n[i]·2^e for a common e), so that sums,
// differences and products keep their order without rationals' costly
// normalisation.
func scaled(vals ...float64) []big.Int {
	mants := make([]int64, len(vals))
	exps := make([]int, len(vals))
	minExp := math.MaxInt
	for i, v := range vals {
		if v == 0 {
			continue
		}
		frac, exp := math.Frexp(v) // v = frac·2^exp, 0.5 <= |frac| < 1
		mants[i] = int64(frac * (1 << 53))
		exps[i] = exp - 53
		minExp = min(minExp, exps[i])
	}
	out := make([]big.Int, len(vals))
	for i := range vals {
		out[i].SetInt64(mants[i])
		if mants[i] != 0 {
			out[i].Lsh(&out[i], uint(exps[i]-minExp))
		}
	}
	return out
}

// orientMid is orient(a, b, m) for the midpoint m of p and q, computed
// exactly although m itself is usually not representable: the determinant
// is affine in its third point, so its sign at m is the sign of the sum of
// the determinants at p and q.
func orientMid(a, b, p, q orb.Point) int {
	if p == q {
		return orient(a, b, p)
	}
	d1, s1 := orientDet(a, b, p)
	d2, s2 := orientDet(a, b, q)
	s := d1 + d2
	errSum := s1 + s2
	if errSum > tiny && !math.IsInf(errSum, 0) && !math.IsInf(s, 0) {
		// |exact - s| <= ccwBound*(s1+s2) + epsilon*|s|, with margins
		// for the rounding of the bound itself.
		bound := ccwBound*errSum*(1+8*epsilon) + 2*epsilon*math.Abs(s)
		if s > bound {
			return 1
		}
		if s < -bound {
			return -1
		}
	}
	v := scaled(a[0], a[1], b[0], b[1], p[0], p[1], q[0], q[1])
	ax, ay, bx, by := &v[0], &v[1], &v[2], &v[3]
	det := func(cx, cy *big.Int) *big.Int {
		l := new(big.Int).Mul(new(big.Int).Sub(ax, cx), new(big.Int).Sub(by, cy))
		r := new(big.Int).Mul(new(big.Int).Sub(ay, cy), new(big.Int).Sub(bx, cx))
		return l.Sub(l, r)
	}
	d := det(&v[4], &v[5])
	return d.Add(d, det(&v[6], &v[7])).Sign()
}

// cmpMid is the sign of (p+q)/2 - v, exactly.
func cmpMid(p, q, v float64) int {
	if p == q {
		return cmpFloat(p, v)
	}
	d1, ok1 := exactDiff(p, v)
	d2, ok2 := exactDiff(q, v)
	if ok1 && ok2 {
		// d1 + d2 has the sign of d1 - (-d2), which a comparison
		// gives without rounding.
		return cmpFloat(d1, -d2)
	}
	n := scaled(p, q, v)
	s := new(big.Int).Add(&n[0], &n[1])
	t := new(big.Int).Lsh(&n[2], 1)
	return s.Cmp(t)
}

// exactDiff returns a-b and whether it is exact (Knuth's TwoDiff: the
// rounding error is recovered exactly and must be zero).
func exactDiff(a, b float64) (float64, bool) {
	d := a - b
	if math.IsInf(d, 0) {
		return d, false
	}
	bv := a - d
	av := d + bv
	br := bv - b
	ar := a - av
	return d, ar+br == 0
}

// exactMul returns x*y and whether it is exact: the fused multiply-add
// recovers the rounding error, which must be zero, away from underflow.
func exactMul(x, y float64) (float64, bool) {
	p := x * y
	if math.IsInf(p, 0) {
		return p, false
	}
	if p == 0 {
		return 0, x == 0 || y == 0
	}
	if math.Abs(p) < tiny {
		return p, false
	}
	return p, math.FMA(x, y, -p) == 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lexLess orders points by x, then y. Along one line it orders collinear
// points by their position, which makes it the exact way to sort events on a
// segment.
func lexLess(a, b orb.Point) bool {
	return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
}

// inBox tells whether c lies in the closed axis-aligned box spanned by a
// and b.
func inBox(a, b, c orb.Point) bool {
	return math.Min(a[0], b[0]) <= c[0] && c[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= c[1] && c[1] <= math.Max(a[1], b[1])
}

// onSegment tells whether c lies on the closed segment a-b.
func onSegment(a, b, c orb.Point) bool {
	return inBox(a, b, c) && orient(a, b, c) == 0
}

// segRel is how two segments meet.
type segRel int

const (
	segApart   segRel = iota
	segCross          // at one point interior to both, transversally
	segTouch          // at one point that is an endpoint of at least one
	segOverlap        // collinear, sharing a stretch of positive length
)

// relSeg classifies segments a-b and c-d, neither of zero length.
func relSeg(a, b, c, d orb.Point) segRel {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return segApart
	}
	o1 := orient(a, b, c)
	o2 := orient(a, b, d)
	if o1 == 0 && o2 == 0 {
		lo1, hi1 := a, b
		if lexLess(hi1, lo1) {
			lo1, hi1 = hi1, lo1
		}
		lo2, hi2 := c, d
		if lexLess(hi2, lo2) {
			lo2, hi2 = hi2, lo2
		}
		start, end := lo1, hi1
		if lexLess(start, lo2) {
			start = lo2
		}
		if lexLess(hi2, end) {
			end = hi2
		}
		switch {
		case lexLess(start, end):
			return segOverlap
		case start == end:
			return segTouch
		}
		return segApart
	}
	o3 := orient(c, d, a)
	o4 := orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return segCross
	}
	if (o1 == 0 && inBox(a, b, c)) || (o2 == 0 && inBox(a, b, d)) ||
		(o3 == 0 && inBox(c, d, a)) || (o4 == 0 && inBox(c, d, b)) {
		return segTouch
	}
	return segApart
}
