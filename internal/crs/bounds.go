package crs

import (
	"fmt"
	"math"
)

// MetersPerDegree is the length of one degree on the WGS84 equator, which OGC
// standards use to turn degrees into scale denominators.
const MetersPerDegree = 2 * math.Pi * 6378137 / 360

// Bounds is an axis-aligned rectangle in a CRS, always in easting/northing
// (x = longitude for geographic CRSs) order, whatever the CRS axis order.
type Bounds struct {
	MinX, MinY, MaxX, MaxY float64
}

// Empty tells whether b has no area (or is inverted, or holds NaN).
func (b Bounds) Empty() bool { return !(b.MaxX > b.MinX && b.MaxY > b.MinY) }

// Intersect returns the overlap of b and o; it is Empty when they do not meet.
func (b Bounds) Intersect(o Bounds) Bounds {
	return Bounds{math.Max(b.MinX, o.MinX), math.Max(b.MinY, o.MinY), math.Min(b.MaxX, o.MaxX), math.Min(b.MaxY, o.MaxY)}
}

// Width and Height of the rectangle in CRS units.
func (b Bounds) Width() float64  { return b.MaxX - b.MinX }
func (b Bounds) Height() float64 { return b.MaxY - b.MinY }

func (b Bounds) String() string {
	return fmt.Sprintf("%g,%g,%g,%g", b.MinX, b.MinY, b.MaxX, b.MaxY)
}
