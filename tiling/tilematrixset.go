package tiling

import (
	"github.com/tuiles/tuiles/internal/crs"
)

// StandardPixelSize is the 0.28 mm "standardized rendering pixel" of OGC
// WMTS and 17-083r4: scale denominator = cell size × meters per unit / 0.00028.
const StandardPixelSize = 0.00028

// MetersPerDegree is the length of one degree on the WGS84 equator, which the
// OGC tile matrix sets use to turn degrees into scale denominators.
const MetersPerDegree = crs.MetersPerDegree

// Bounds is an axis-aligned rectangle in easting/northing order.
type Bounds = crs.Bounds

// Corner names the corner of a tile matrix its origin stands at.
type Corner int

const (
	TopLeft Corner = iota
	BottomLeft
)

// TileMatrix is one zoom level of a tile matrix set.
type TileMatrix struct {
	// ID is the identifier used in WMTS requests ("0", "12", "EPSG:4326:3").
	ID               string
	ScaleDenominator float64
	// CellSize is the size of one pixel in CRS units.
	CellSize float64
	// OriginX, OriginY is the point of origin in easting/northing order
	// (normalised from the JSON's CRS axis order).
	OriginX, OriginY float64
	Corner           Corner
	TileWidth        int
	TileHeight       int
	MatrixWidth      int
	MatrixHeight     int
}

// TileSpanX and TileSpanY are the ground size of one tile in CRS units.
func (m *TileMatrix) TileSpanX() float64 { return float64(m.TileWidth) * m.CellSize }
func (m *TileMatrix) TileSpanY() float64 { return float64(m.TileHeight) * m.CellSize }

// Bounds is the whole extent covered by the matrix.
func (m *TileMatrix) Bounds() Bounds {
	w := float64(m.MatrixWidth) * m.TileSpanX()
	h := float64(m.MatrixHeight) * m.TileSpanY()
	if m.Corner == BottomLeft {
		return Bounds{MinX: m.OriginX, MinY: m.OriginY, MaxX: m.OriginX + w, MaxY: m.OriginY + h}
	}
	return Bounds{MinX: m.OriginX, MinY: m.OriginY - h, MaxX: m.OriginX + w, MaxY: m.OriginY}
}

// TileMatrixSet is a parsed OGC 2D Tile Matrix Set.
type TileMatrixSet struct {
	ID    string
	Title string
	// URI is the set's registered URI, if any.
	URI string
	// CRS is the CRS as written in the definition (a URI, URN or
	// AUTHORITY:CODE string).
	CRS string
	// CRSInfo is what PROJ knows of CRS: its normalised code, axis order
	// and units.
	CRSInfo crs.Info
	// OrderedAxes as given by the definition (e.g. ["Lat","Lon"]).
	OrderedAxes []string
	// WellKnownScaleSet is the URI of the well-known scale set this set
	// conforms to, if any.
	WellKnownScaleSet string
	// Matrices from coarsest to finest; the index is the zoom level Z.
	Matrices []TileMatrix
}
