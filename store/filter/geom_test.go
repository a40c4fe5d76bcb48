package filter

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

func mustShape(t testing.TB, g orb.Geometry) *shape {
	t.Helper()
	s, err := prepare(g)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrient(t *testing.T) {
	tests := []struct {
		name    string
		a, b, c orb.Point
		want    int
	}{
		{"left", orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{0, 1}, 1},
		{"right", orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{0, -1}, -1},
		{"collinear", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{3, 3}, 0},
		{"collinear big", orb.Point{1e15, 1e15}, orb.Point{1e15 + 2, 1e15 + 2}, orb.Point{1e15 + 7, 1e15 + 7}, 0},
		// 0.1 and 0.3 are not exact: (0.1,0.3) is not exactly on the
		// line through the origin and (1,3) and the sign must say so.
		{"near collinear", orb.Point{0, 0}, orb.Point{1, 3}, orb.Point{0.1, 0.3}, cmpRat(orb.Point{0, 0}, orb.Point{1, 3}, orb.Point{0.1, 0.3})},
		{"tiny", orb.Point{0, 0}, orb.Point{1e-300, 0}, orb.Point{0, 1e-300}, 1},
		{"huge", orb.Point{-1e300, -1e300}, orb.Point{1e300, 1e300}, orb.Point{0, 0}, 0},
		{"huge left", orb.Point{-1e300, -1e300}, orb.Point{1e300, 1e300}, orb.Point{-1, 1}, 1},
		{"mixed magnitudes", orb.Point{1e-300, 5e-324}, orb.Point{1e300, 1e-300}, orb.Point{0.5, 3e-310}, cmpRat(orb.Point{1e-300, 5e-324}, orb.Point{1e300, 1e-300}, orb.Point{0.5, 3e-310})},
		{"subnormal collinear", orb.Point{0, 0}, orb.Point{5e-324, 5e-324}, orb.Point{1e-323, 1e-323}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := orient(tt.a, tt.b, tt.c); got != tt.want {
				t.Errorf("orient = %d, want %d", got, tt.want)
			}
			if got := orient(tt.b, tt.a, tt.c); got != -tt.want {
				t.Errorf("reversed orient = %d, want %d", got, -tt.want)
			}
		})
	}
}

// The references use rationals, independent of the scaled integers the
// implementation falls back to.
func ratOf(f float64) *big.Rat { return new(big.Rat).SetFloat64(f) }

func ratDet(a, b, c orb.Point) *big.Rat {
	l := new(big.Rat).Mul(new(big.Rat).Sub(ratOf(a[0]), ratOf(c[0])), new(big.Rat).Sub(ratOf(b[1]), ratOf(c[1])))
	r := new(big.Rat).Mul(new(big.Rat).Sub(ratOf(a[1]), ratOf(c[1])), new(big.Rat).Sub(ratOf(b[0]), ratOf(c[0])))
	return l.Sub(l, r)
}

func cmpRat(a, b, c orb.Point) int { return ratDet(a, b, c).Sign() }

// TestOrientAgreesWithRationals checks the float filter and the exact fast
// path against rational arithmetic on nearly degenerate inputs.
func TestOrientAgreesWithRationals(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		a := orb.Point{r.Float64() * 10, r.Float64() * 10}
		b := orb.Point{r.Float64() * 10, r.Float64() * 10}
		f := r.Float64()
		// A point near the line a-b, rounded.
		c := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
		if i%3 == 0 {
			c[0] = math.Nextafter(c[0], math.Inf(1))
		}
		if got, want := orient(a, b, c), cmpRat(a, b, c); got != want {
			t.Fatalf("orient(%v, %v, %v) = %d, rationals say %d", a, b, c, got, want)
		}
		q := orb.Point{r.Float64() * 10, r.Float64() * 10}
		d := ratDet(a, b, c)
		if got, want := orientMid(a, b, c, q), d.Add(d, ratDet(a, b, q)).Sign(); got != want {
			t.Fatalf("orientMid = %d, rationals say %d", got, want)
		}
	}
}

func TestCmpMid(t *testing.T) {
	tests := []struct {
		p, q, v float64
		want    int
	}{
		{1, 3, 2, 0},
		{1, 3, 2.5, -1},
		{0.1, 0.2, 0.15, cmpMidRat(0.1, 0.2, 0.15)},
		{1e300, 1e300, 1e300, 0},
		{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64, 0},
		{-math.MaxFloat64, math.MaxFloat64, 0, 0},
		{5e-324, 0, 0, 1},
	}
	for _, tt := range tests {
		if got := cmpMid(tt.p, tt.q, tt.v); got != tt.want {
			t.Errorf("cmpMid(%g, %g, %g) = %d, want %d", tt.p, tt.q, tt.v, got, tt.want)
		}
	}
}

func cmpMidRat(p, q, v float64) int {
	s := ratOf(p)
	s.Add(s, ratOf(q))
	w := ratOf(v)
	w.Add(w, ratOf(v))
	return s.Cmp(w)
}

func TestRelSeg(t *testing.T) {
	p := func(x, y float64) orb.Point { return orb.Point{x, y} }
	tests := []struct {
		name       string
		a, b, c, d orb.Point
		want       segRel
	}{
		{"cross", p(0, 0), p(2, 2), p(0, 2), p(2, 0), segCross},
		{"apart", p(0, 0), p(1, 0), p(0, 1), p(1, 1), segApart},
		{"T", p(0, 0), p(2, 0), p(1, 0), p(1, 1), segTouch},
		{"end to end", p(0, 0), p(1, 1), p(1, 1), p(2, 0), segTouch},
		{"collinear end to end", p(0, 0), p(1, 1), p(1, 1), p(2, 2), segTouch},
		{"collinear apart", p(0, 0), p(1, 1), p(2, 2), p(3, 3), segApart},
		{"overlap", p(0, 0), p(2, 2), p(1, 1), p(3, 3), segOverlap},
		{"contained", p(0, 0), p(3, 0), p(1, 0), p(2, 0), segOverlap},
		{"parallel", p(0, 0), p(2, 0), p(0, 1e-300), p(2, 1e-300), segApart},
		{"vertical overlap", p(0, 0), p(0, 2), p(0, 1), p(0, 3), segOverlap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, perm := range [][4]orb.Point{{tt.a, tt.b, tt.c, tt.d}, {tt.b, tt.a, tt.d, tt.c}, {tt.c, tt.d, tt.a, tt.b}} {
				if got := relSeg(perm[0], perm[1], perm[2], perm[3]); got != tt.want {
					t.Errorf("relSeg(%v) = %d, want %d", perm, got, tt.want)
				}
			}
		})
	}
}

func TestLocate(t *testing.T) {
	// A square with a hole, and a triangle with a diagonal edge.
	sq := mustShape(t, orb.Polygon{
		{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		{{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}},
	})
	tri := mustShape(t, orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {0, 0}}})
	line := mustShape(t, orb.MultiLineString{{{0, 0}, {2, 0}}, {{2, 0}, {2, 2}}, {{5, 5}, {6, 6}, {5, 6}, {5, 5}}})
	tests := []struct {
		name string
		s    *shape
		p    orb.Point
		want loc
	}{
		{"square inside", sq, orb.Point{0.5, 0.5}, interior},
		{"square corner", sq, orb.Point{0, 0}, boundary},
		{"square edge", sq, orb.Point{4, 2}, boundary},
		{"square outside", sq, orb.Point{5, 2}, exterior},
		{"hole inside", sq, orb.Point{2, 2}, exterior},
		{"hole edge", sq, orb.Point{1, 2}, boundary},
		{"hole corner", sq, orb.Point{3, 3}, boundary},
		{"ray through vertex", sq, orb.Point{-1, 4}, exterior},
		{"level with top vertex", sq, orb.Point{0.5, 3}, interior},
		{"triangle diagonal", tri, orb.Point{1.5, 1.5}, boundary},
		{"triangle inside", tri, orb.Point{2, 1}, interior},
		{"triangle outside", tri, orb.Point{1, 2}, exterior},
		{"line end", line, orb.Point{0, 0}, boundary},
		// (2,0) ends two lines: even, so interior (mod-2 rule).
		{"line joint", line, orb.Point{2, 0}, interior},
		{"line middle", line, orb.Point{1, 0}, interior},
		{"closed line", line, orb.Point{5, 5}, interior},
		{"off line", line, orb.Point{1, 1}, exterior},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.locate(tt.p); got != tt.want {
				t.Errorf("locate(%v) = %d, want %d", tt.p, got, tt.want)
			}
		})
	}
}

// rel is the expected outcome of every predicate for one pair.
type rel struct {
	intersects, within, contains, equals, touches, crosses, overlaps bool
}

func relOf(t *testing.T, a, b *shape) rel {
	t.Helper()
	var r rel
	for _, c := range []struct {
		op  SpatialOp
		dst *bool
	}{
		{Intersects, &r.intersects}, {Within, &r.within}, {Contains, &r.contains}, {Equals, &r.equals},
		{Touches, &r.touches}, {Crosses, &r.crosses}, {Overlaps, &r.overlaps},
	} {
		v, err := relate(c.op, a, b)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		*c.dst = v
	}
	if d, err := relate(Disjoint, a, b); err != nil || d == r.intersects {
		t.Fatalf("disjoint = %v (%v), intersects = %v", d, err, r.intersects)
	}
	return r
}

func TestPredicates(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}
	sqCW := orb.Polygon{{{0, 0}, {0, 2}, {2, 2}, {2, 0}, {0, 0}}}
	holed := orb.Polygon{{{0, 0}, {6, 0}, {6, 6}, {0, 6}, {0, 0}}, {{2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}}}
	box := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	tests := []struct {
		name string
		a, b orb.Geometry
		want rel
	}{
		// Polygon/polygon.
		{"same square", sq, sq, rel{intersects: true, within: true, contains: true, equals: true}},
		{"same square other orientation", sq, sqCW, rel{intersects: true, within: true, contains: true, equals: true}},
		{"same square as a bound", sq, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, rel{intersects: true, within: true, contains: true, equals: true}},
		{"shared edge", sq, box(2, 0, 4, 2), rel{intersects: true, touches: true}},
		{"shared half edge", sq, box(2, 1, 4, 5), rel{intersects: true, touches: true}},
		{"touching corners", sq, box(2, 2, 4, 4), rel{intersects: true, touches: true}},
		{"overlapping", sq, box(1, 1, 3, 3), rel{intersects: true, overlaps: true}},
		{"inside", box(0.5, 0.5, 1.5, 1.5), sq, rel{intersects: true, within: true}},
		{"inside touching edge", box(0, 0, 1, 1), sq, rel{intersects: true, within: true}},
		{"around", sq, box(0.5, 0.5, 1.5, 1.5), rel{intersects: true, contains: true}},
		{"apart", sq, box(3, 3, 4, 4), rel{}},
		{"in the hole", box(2.5, 2.5, 3.5, 3.5), holed, rel{}},
		{"filling the hole", box(2, 2, 4, 4), holed, rel{intersects: true, touches: true}},
		{"in the hole touching it", box(2, 2, 3, 3), holed, rel{intersects: true, touches: true}},
		{"covering the hole", box(1, 1, 5, 5), holed, rel{intersects: true, overlaps: true}},
		{"around the holed", box(-1, -1, 7, 7), holed, rel{intersects: true, contains: true}},
		{"in the ring part", box(0, 0, 1, 6), holed, rel{intersects: true, within: true}},
		{"diamond in square", orb.Polygon{{{1, 0}, {2, 1}, {1, 2}, {0, 1}, {1, 0}}}, sq, rel{intersects: true, within: true}},
		{"multipolygon part", sq, orb.MultiPolygon{sq, box(5, 5, 6, 6)}, rel{intersects: true, within: true}},
		// Line/polygon.
		{"line across", orb.LineString{{-1, 1}, {3, 1}}, sq, rel{intersects: true, crosses: true}},
		{"line inside", orb.LineString{{0.5, 1}, {1.5, 1}}, sq, rel{intersects: true, within: true}},
		{"line inside to edge", orb.LineString{{1, 1}, {2, 1}}, sq, rel{intersects: true, within: true}},
		{"line on edge", orb.LineString{{0, 0}, {2, 0}}, sq, rel{intersects: true, touches: true}},
		{"line along edge and beyond", orb.LineString{{-1, 0}, {3, 0}}, sq, rel{intersects: true, touches: true}},
		{"line touching corner", orb.LineString{{2, 2}, {3, 3}}, sq, rel{intersects: true, touches: true}},
		{"line through corner only", orb.LineString{{1, 3}, {3, 1}}, sq, rel{intersects: true, touches: true}},
		{"line diagonal", orb.LineString{{0, 0}, {2, 2}}, sq, rel{intersects: true, within: true}},
		// Out and back in through two vertices, without crossing an
		// edge anywhere.
		{"line out and back via vertices", orb.LineString{{0.5, 1}, {3.5, 1}},
			orb.Polygon{{{0, 0}, {4, 0}, {4, 2}, {3, 1}, {2, 0.5}, {1, 1}, {0, 2}, {0, 0}}}, rel{intersects: true, crosses: true}},
		{"line along part of the boundary", orb.LineString{{0, 0.5}, {4, 0.5}},
			orb.Polygon{{{0, 0}, {4, 0}, {4, 1}, {3, 0.5}, {1, 0.5}, {0, 1}, {0, 0}}}, rel{intersects: true, within: true}},
		{"line in the hole", orb.LineString{{2.5, 3}, {3.5, 3}}, holed, rel{}},
		{"line across the hole", orb.LineString{{1, 3}, {5, 3}}, holed, rel{intersects: true, crosses: true}},
		{"polygon contains line", sq, orb.LineString{{0.5, 1}, {1.5, 1}}, rel{intersects: true, contains: true}},
		// Line/line.
		{"X", orb.LineString{{0, 0}, {2, 2}}, orb.LineString{{0, 2}, {2, 0}}, rel{intersects: true, crosses: true}},
		{"T", orb.LineString{{0, 0}, {2, 0}}, orb.LineString{{1, 0}, {1, 1}}, rel{intersects: true, touches: true}},
		{"end to end", orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{1, 1}, {2, 0}}, rel{intersects: true, touches: true}},
		{"collinear overlap", orb.LineString{{0, 0}, {2, 0}}, orb.LineString{{1, 0}, {3, 0}}, rel{intersects: true, overlaps: true}},
		{"sub-line", orb.LineString{{1, 0}, {2, 0}}, orb.LineString{{0, 0}, {3, 0}}, rel{intersects: true, within: true}},
		{"same line reversed", orb.LineString{{0, 0}, {1, 1}, {2, 0}}, orb.LineString{{2, 0}, {1, 1}, {0, 0}}, rel{intersects: true, within: true, contains: true, equals: true}},
		{"split line", orb.LineString{{0, 0}, {2, 0}}, orb.MultiLineString{{{0, 0}, {1, 0}}, {{1, 0}, {2, 0}}}, rel{intersects: true, within: true, contains: true, equals: true}},
		{"parallel", orb.LineString{{0, 0}, {2, 0}}, orb.LineString{{0, 1}, {2, 1}}, rel{}},
		{"closed ring crossed", orb.LineString{{0, 0}, {2, 0}, {2, 2}, {0, 0}}, orb.LineString{{1, -1}, {1, 1}}, rel{intersects: true, touches: false, crosses: true}},
		{"closed ring touched at its start", orb.LineString{{0, 0}, {2, 0}, {2, 2}, {0, 0}}, orb.LineString{{0, 0}, {-1, -1}}, rel{intersects: true, touches: true}},
		// Points.
		{"point inside", orb.Point{1, 1}, sq, rel{intersects: true, within: true}},
		{"point on edge", orb.Point{2, 1}, sq, rel{intersects: true, touches: true}},
		{"point on corner", orb.Point{2, 2}, sq, rel{intersects: true, touches: true}},
		{"point outside", orb.Point{3, 1}, sq, rel{}},
		{"point on hole edge", orb.Point{2, 3}, holed, rel{intersects: true, touches: true}},
		{"point in hole", orb.Point{3, 3}, holed, rel{}},
		{"point at line end", orb.Point{0, 0}, orb.LineString{{0, 0}, {2, 0}}, rel{intersects: true, touches: true}},
		{"point on line", orb.Point{1, 0}, orb.LineString{{0, 0}, {2, 0}}, rel{intersects: true, within: true}},
		{"point on slanted line", orb.Point{0.5, 1.5}, orb.LineString{{0, 0}, {1, 3}}, rel{intersects: true, within: true}},
		{"point near slanted line", orb.Point{0.1, 0.3}, orb.LineString{{0, 0}, {1, 3}}, rel{}},
		{"same point", orb.Point{1, 1}, orb.Point{1, 1}, rel{intersects: true, within: true, contains: true, equals: true}},
		{"points partly in", orb.MultiPoint{{1, 1}, {5, 5}}, sq, rel{intersects: true, crosses: true}},
		{"points overlapping", orb.MultiPoint{{1, 1}, {5, 5}}, orb.MultiPoint{{1, 1}, {6, 6}}, rel{intersects: true, overlaps: true}},
		{"polygon contains point", sq, orb.Point{1, 1}, rel{intersects: true, contains: true}},
		{"line crosses points", orb.LineString{{0, 0}, {2, 0}}, orb.MultiPoint{{1, 0}, {1, 1}}, rel{intersects: true, crosses: true}},
		// Collections of one dimension behave as their multi form.
		{"collection of polygons", orb.Collection{box(0, 0, 1, 1), box(1, 1, 2, 2)}, sq, rel{intersects: true, within: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustShape(t, tt.a), mustShape(t, tt.b)
			if got := relOf(t, a, b); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			// Swapping the operands swaps within and contains.
			want := tt.want
			want.within, want.contains = want.contains, want.within
			if got := relOf(t, b, a); got != want {
				t.Errorf("swapped: got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestMixedCollections(t *testing.T) {
	mixed := mustShape(t, orb.Collection{orb.Point{5, 5}, orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}})
	pt := mustShape(t, orb.Point{5, 5})
	far := mustShape(t, orb.Point{9, 9})
	if ok, err := relate(Intersects, pt, mixed); err != nil || !ok {
		t.Errorf("intersects = %v, %v", ok, err)
	}
	if ok, err := relate(Disjoint, far, mixed); err != nil || !ok {
		t.Errorf("disjoint = %v, %v", ok, err)
	}
	for _, op := range []SpatialOp{Within, Contains, Equals, Touches, Crosses, Overlaps} {
		if _, err := relate(op, pt, mixed); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrUnsupported", op, err)
		}
	}
	if d := distance(far, mixed); math.Abs(d-4*math.Sqrt2) > 1e-12 {
		t.Errorf("distance = %g", d)
	}
}

func TestDistance(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}
	tests := []struct {
		name string
		a, b orb.Geometry
		want float64
	}{
		{"point point", orb.Point{0, 0}, orb.Point{3, 4}, 5},
		{"point inside", orb.Point{1, 1}, sq, 0},
		{"point beside", orb.Point{5, 1}, sq, 3},
		{"point off corner", orb.Point{5, 6}, sq, 5},
		{"line beside", orb.LineString{{3, -5}, {3, 5}}, sq, 1},
		{"polygons", orb.Polygon{{{4, 0}, {5, 0}, {5, 1}, {4, 0}}}, sq, 2},
		{"crossing lines", orb.LineString{{0, 0}, {2, 2}}, orb.LineString{{0, 2}, {2, 0}}, 0},
		{"polygon around", orb.Polygon{{{-9, -9}, {9, -9}, {9, 9}, {-9, 9}, {-9, -9}}}, sq, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := distance(mustShape(t, tt.a), mustShape(t, tt.b))
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("distance = %g, want %g", got, tt.want)
			}
		})
	}
}

func TestPrepareRejectsNonFinite(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{math.NaN(), 0},
		orb.LineString{{0, 0}, {math.Inf(1), 0}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, math.NaN()}, {0, 0}}},
	} {
		if _, err := prepare(g); !errors.Is(err, ErrInvalid) {
			t.Errorf("prepare(%v) err = %v", g, err)
		}
	}
}

func TestDegenerateGeometries(t *testing.T) {
	// A polygon with no area is its outline; a one-point line is a point.
	flat := mustShape(t, orb.Polygon{{{0, 0}, {2, 0}, {1, 0}, {0, 0}}})
	if flat.dim() != 1 {
		t.Errorf("flat polygon dim = %d", flat.dim())
	}
	dot := mustShape(t, orb.LineString{{1, 1}, {1, 1}})
	if dot.dim() != 0 {
		t.Errorf("one-point line dim = %d", dot.dim())
	}
	if !intersects(dot, mustShape(t, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}})) {
		t.Error("dot outside box")
	}
}

// --- A topological oracle on a grid --------------------------------------
//
// Shapes whose vertices are integers and whose edges are axis-aligned have
// all their topology on the integer grid: the location of a point in them
// is constant on each grid vertex, open unit edge and open unit cell. So
// locating one sample per cell (the points of the half-integer grid) gives
// the exact DE-9IM answers, computed here by brute force from the
// definitions. The geometries under test are the same shapes under exact
// transforms (rotation by 45° with scaling, reflection, translation), so
// diagonal edges and both ring orientations are exercised too.

type gridRect struct{ x0, y0, x1, y1 int }

type gridPoly struct {
	shell gridRect
	holes []gridRect
}

type gridShape struct {
	pts   [][2]int
	lines [][][2]int
	polys []gridPoly
}

func (g gridShape) dim() int {
	switch {
	case len(g.polys) > 0:
		return 2
	case len(g.lines) > 0:
		return 1
	}
	return 0
}

// locate works in doubled coordinates: samples are integers, shape
// coordinates even.
func (g gridShape) locate(x, y int) loc {
	best := exterior
	for _, p := range g.pts {
		if 2*p[0] == x && 2*p[1] == y {
			return interior
		}
	}
	ends := map[[2]int]int{}
	onLine := false
	for _, l := range g.lines {
		if l[0] != l[len(l)-1] {
			ends[l[0]]++
			ends[l[len(l)-1]]++
		}
		for i := 0; i+1 < len(l); i++ {
			a, b := l[i], l[i+1]
			if inSpan(2*a[0], 2*b[0], x) && inSpan(2*a[1], 2*b[1], y) {
				onLine = true
			}
		}
	}
	if x%2 == 0 && y%2 == 0 && ends[[2]int{x / 2, y / 2}]%2 == 1 {
		return boundary
	}
	if onLine {
		return interior
	}
	for _, p := range g.polys {
		switch rectLoc(p.shell, x, y) {
		case boundary:
			best = boundary
			continue
		case exterior:
			continue
		}
		in := interior
		for _, h := range p.holes {
			switch rectLoc(h, x, y) {
			case boundary:
				in = boundary
			case interior:
				in = exterior
			}
		}
		if in == interior {
			return interior
		}
		if in == boundary {
			best = boundary
		}
	}
	return best
}

func inSpan(a, b, v int) bool { return min(a, b) <= v && v <= max(a, b) }

func rectLoc(r gridRect, x, y int) loc {
	x0, y0, x1, y1 := 2*r.x0, 2*r.y0, 2*r.x1, 2*r.y1
	switch {
	case x < x0 || x > x1 || y < y0 || y > y1:
		return exterior
	case x == x0 || x == x1 || y == y0 || y == y1:
		return boundary
	}
	return interior
}

// oracle computes every predicate from the samples.
func oracle(a, b gridShape) rel {
	var meet, ii, ii1, aOutB, bOutA, aIntOutB, bIntOutA bool
	for x := -4; x <= 20; x++ {
		for y := -4; y <= 20; y++ {
			la, lb := a.locate(x, y), b.locate(x, y)
			meet = meet || (la != exterior && lb != exterior)
			if la == interior && lb == interior {
				ii = true
				if x%2 != 0 || y%2 != 0 {
					ii1 = true
				}
			}
			aOutB = aOutB || (la != exterior && lb == exterior)
			bOutA = bOutA || (lb != exterior && la == exterior)
			aIntOutB = aIntOutB || (la == interior && lb == exterior)
			bIntOutA = bIntOutA || (lb == interior && la == exterior)
		}
	}
	da, db := a.dim(), b.dim()
	r := rel{
		intersects: meet,
		within:     ii && !aOutB,
		contains:   ii && !bOutA,
		equals:     !aOutB && !bOutA,
		touches:    meet && !ii,
	}
	switch {
	case da < db:
		r.crosses = ii && aIntOutB
	case da > db:
		r.crosses = ii && bIntOutA
	case da == 1:
		r.crosses = ii && !ii1
	}
	if da == db {
		inter := ii
		if da == 1 {
			inter = ii1
		}
		r.overlaps = inter && aIntOutB && bIntOutA
	}
	return r
}

// geometry renders a grid shape through an exact transform.
func (g gridShape) geometry(tf func(x, y int) orb.Point, reverse bool) orb.Geometry {
	ring := func(r gridRect, hole bool) orb.Ring {
		pts := orb.Ring{tf(r.x0, r.y0), tf(r.x1, r.y0), tf(r.x1, r.y1), tf(r.x0, r.y1), tf(r.x0, r.y0)}
		if hole != reverse {
			for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
				pts[i], pts[j] = pts[j], pts[i]
			}
		}
		return pts
	}
	switch g.dim() {
	case 0:
		var mp orb.MultiPoint
		for _, p := range g.pts {
			mp = append(mp, tf(p[0], p[1]))
		}
		if len(mp) == 1 {
			return mp[0]
		}
		return mp
	case 1:
		var ml orb.MultiLineString
		for _, l := range g.lines {
			var ls orb.LineString
			for _, p := range l {
				ls = append(ls, tf(p[0], p[1]))
			}
			if reverse {
				for i, j := 0, len(ls)-1; i < j; i, j = i+1, j-1 {
					ls[i], ls[j] = ls[j], ls[i]
				}
			}
			ml = append(ml, ls)
		}
		if len(ml) == 1 {
			return ml[0]
		}
		return ml
	}
	var mp orb.MultiPolygon
	for _, p := range g.polys {
		poly := orb.Polygon{ring(p.shell, false)}
		for _, h := range p.holes {
			poly = append(poly, ring(h, true))
		}
		mp = append(mp, poly)
	}
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

func randGridShape(r *rand.Rand) gridShape {
	var g gridShape
	n := 1 + r.IntN(2)
	switch r.IntN(3) {
	case 0:
		for i := 0; i < n; i++ {
			g.pts = append(g.pts, [2]int{r.IntN(7), r.IntN(7)})
		}
	case 1:
		for i := 0; i < n; i++ {
			p := [2]int{r.IntN(7), r.IntN(7)}
			l := [][2]int{p}
			for k := 0; k < 1+r.IntN(3); k++ {
				d := 1 + r.IntN(3)
				if r.IntN(2) == 0 {
					d = -d
				}
				if r.IntN(2) == 0 {
					p[0] = min(max(p[0]+d, 0), 7)
				} else {
					p[1] = min(max(p[1]+d, 0), 7)
				}
				if p != l[len(l)-1] {
					l = append(l, p)
				}
			}
			if len(l) > 1 {
				g.lines = append(g.lines, l)
			}
		}
		if len(g.lines) == 0 {
			g.lines = [][][2]int{{{1, 1}, {3, 1}}}
		}
	default:
		for i := 0; i < n; i++ {
			x0, y0 := r.IntN(6), r.IntN(6)
			s := gridRect{x0, y0, min(x0+1+r.IntN(6), 8), min(y0+1+r.IntN(6), 8)}
			// Parts must not share edges or overlap: keep a gap.
			clash := false
			for _, o := range g.polys {
				if s.x0 <= o.shell.x1 && o.shell.x0 <= s.x1 && s.y0 <= o.shell.y1 && o.shell.y0 <= s.y1 {
					clash = true
				}
			}
			if clash {
				continue
			}
			p := gridPoly{shell: s}
			if s.x1-s.x0 >= 3 && s.y1-s.y0 >= 3 && r.IntN(2) == 0 {
				hx := s.x0 + 1 + r.IntN(s.x1-s.x0-2)
				hy := s.y0 + 1 + r.IntN(s.y1-s.y0-2)
				p.holes = append(p.holes, gridRect{hx, hy, hx + 1 + r.IntN(s.x1-hx-1), hy + 1 + r.IntN(s.y1-hy-1)})
			}
			g.polys = append(g.polys, p)
		}
	}
	return g
}

func TestPredicatesAgainstGridOracle(t *testing.T) {
	transforms := []struct {
		name string
		tf   func(x, y int) orb.Point
	}{
		{"identity", func(x, y int) orb.Point { return orb.Point{float64(x), float64(y)} }},
		{"rotated 45°", func(x, y int) orb.Point { return orb.Point{float64(x - y), float64(x + y)} }},
		{"mirrored and halved", func(x, y int) orb.Point { return orb.Point{-float64(x) / 2, float64(y) / 2} }},
		{"far away", func(x, y int) orb.Point { return orb.Point{1e15 + float64(x), -1e15 + float64(y)} }},
		{"tiny", func(x, y int) orb.Point { return orb.Point{float64(x) * 0x1p-40, float64(y+x) * 0x1p-40} }},
	}
	r := rand.New(rand.NewPCG(3, 4))
	n := 4000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		ga, gb := randGridShape(r), randGridShape(r)
		if i%8 == 0 {
			gb = ga // equal shapes, drawn in opposite orientations
		}
		want := oracle(ga, gb)
		tr := transforms[i%len(transforms)]
		reverse := r.IntN(2) == 0
		a := mustShape(t, ga.geometry(tr.tf, reverse))
		b := mustShape(t, gb.geometry(tr.tf, !reverse))
		if got := relOf(t, a, b); got != want {
			t.Fatalf("%s #%d:\na = %+v\nb = %+v\ngot  %+v\nwant %+v", tr.name, i, ga.geometry(tr.tf, reverse), gb.geometry(tr.tf, !reverse), got, want)
		}
	}
}

func BenchmarkIntersectsPolygon(b *testing.B) {
	// A 1000-vertex circle against a small box, the usual WFS case.
	var ring orb.Ring
	for i := 0; i < 1000; i++ {
		a := 2 * math.Pi * float64(i) / 1000
		ring = append(ring, orb.Point{math.Cos(a), math.Sin(a)})
	}
	ring = append(ring, ring[0])
	feat := orb.Polygon{ring}
	lit := orb.Bound{Min: orb.Point{0.5, 0.5}, Max: orb.Point{2, 2}}
	for _, op := range []SpatialOp{Intersects, Within, Overlaps} {
		b.Run(fmt.Sprint(op), func(b *testing.B) {
			for b.Loop() {
				a, _ := prepare(feat)
				l, _ := prepare(lit)
				if _, err := relate(op, a, l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
