package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/tuiles/tuiles/internal/crs"
)

// ParseBBOX reads the WFS KVP parameter BBOX=minx,miny,maxx,maxy[,crs]
// into a BBOX filter on the default geometry, with its box normalised to
// easting/northing.
//
// The coordinates are in the axis order of their CRS (WFS 1.1 and 2.0):
// with a URN or http://www.opengis.net/def/crs URI the CRS's official
// order (urn:ogc:def:crs:EPSG::4326 is latitude first), with the short
// EPSG:n form easting/northing as GeoServer reads it, CRS:84 longitude
// first. Without a CRS the box is in defaultCRS (the feature type's, which
// capabilities advertise as a URN) and so in its official axis order; a
// zero defaultCRS leaves the box as given, in the layer's CRS.
func ParseBBOX(value string, defaultCRS crs.CRS) (Spatial, error) {
	if len(value) > MaxLiteralLength {
		return Spatial{}, fmt.Errorf("%w: BBOX longer than %d bytes", ErrInvalid, MaxLiteralLength)
	}
	parts := strings.Split(value, ",")
	if len(parts) != 4 && len(parts) != 5 {
		return Spatial{}, fmt.Errorf("%w: BBOX %q: want minx,miny,maxx,maxy[,crs]", ErrInvalid, short(value))
	}
	var v [4]float64
	for i := range v {
		f, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Spatial{}, fmt.Errorf("%w: BBOX value %q is not a finite number", ErrInvalid, short(strings.TrimSpace(parts[i])))
		}
		v[i] = f
	}
	info := srsInfo{crs: defaultCRS}
	if len(parts) == 5 {
		name := strings.TrimSpace(parts[4])
		var err error
		if info, err = axisSwap(name); err != nil {
			return Spatial{}, fmt.Errorf("%w: BBOX CRS %q: %w", ErrInvalid, short(name), err)
		}
	} else if defaultCRS != (crs.CRS{}) {
		i, err := crs.Lookup(defaultCRS)
		if err != nil {
			return Spatial{}, fmt.Errorf("%w: BBOX default CRS: %w", ErrInvalid, err)
		}
		info.flip = i.NorthingFirst
	}
	lo, hi := orb.Point{v[0], v[1]}, orb.Point{v[2], v[3]}
	if info.flip {
		lo, hi = orb.Point{v[1], v[0]}, orb.Point{v[3], v[2]}
	}
	if lo[0] > hi[0] || lo[1] > hi[1] {
		return Spatial{}, fmt.Errorf("%w: BBOX %q has its minimum above its maximum (boxes across the antimeridian are not supported)", ErrInvalid, short(value))
	}
	return Spatial{Op: BBOX, Geometry: orb.Bound{Min: lo, Max: hi}, CRS: info.crs}, nil
}
