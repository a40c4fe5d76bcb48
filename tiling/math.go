package tiling

import (
	"fmt"
	"math"
)

// TileRange is an inclusive rectangle of tiles in one tile matrix, rows from
// the top.
type TileRange struct {
	MinCol, MinRow, MaxCol, MaxRow int
}

// Empty tells whether the range holds no tile.
func (r TileRange) Empty() bool { return r.MaxCol < r.MinCol || r.MaxRow < r.MinRow }

// Contains tells whether the tile col,row lies in r.
func (r TileRange) Contains(col, row int) bool {
	return col >= r.MinCol && col <= r.MaxCol && row >= r.MinRow && row <= r.MaxRow
}

// Count is the number of tiles in r.
func (r TileRange) Count() int64 {
	if r.Empty() {
		return 0
	}
	return int64(r.MaxCol-r.MinCol+1) * int64(r.MaxRow-r.MinRow+1)
}

// Full is the range of every tile of the matrix.
func (m *TileMatrix) Full() TileRange {
	return TileRange{0, 0, m.MatrixWidth - 1, m.MatrixHeight - 1}
}

// TileBounds is the ground rectangle of tile col,row (row from the top).
func (m *TileMatrix) TileBounds(col, row int) Bounds {
	minX := m.OriginX + float64(col)*m.TileSpanX()
	maxX := minX + m.TileSpanX()
	if m.Corner == BottomLeft {
		// Rows still count from the top for callers; the origin is at the
		// bottom, so the top row is the farthest from it.
		fromBottom := m.MatrixHeight - 1 - row
		minY := m.OriginY + float64(fromBottom)*m.TileSpanY()
		return Bounds{MinX: minX, MinY: minY, MaxX: maxX, MaxY: minY + m.TileSpanY()}
	}
	maxY := m.OriginY - float64(row)*m.TileSpanY()
	return Bounds{MinX: minX, MinY: maxY - m.TileSpanY(), MaxX: maxX, MaxY: maxY}
}

// edgeTolerance keeps a bounding box that touches a tile edge (within
// floating-point noise) from pulling in the neighbouring row or column.
const edgeTolerance = 1e-6

// TileRange returns the tiles of m that intersect b, clamped to the matrix.
// The range is Empty when b does not meet the matrix.
func (m *TileMatrix) TileRange(b Bounds) TileRange {
	mb := m.Bounds()
	b = b.Intersect(mb)
	if b.Empty() {
		return TileRange{0, 0, -1, -1}
	}
	sx, sy := m.TileSpanX(), m.TileSpanY()
	minCol := int(math.Floor((b.MinX-mb.MinX)/sx + edgeTolerance))
	maxCol := int(math.Ceil((b.MaxX-mb.MinX)/sx-edgeTolerance)) - 1
	minRow := int(math.Floor((mb.MaxY-b.MaxY)/sy + edgeTolerance))
	maxRow := int(math.Ceil((mb.MaxY-b.MinY)/sy-edgeTolerance)) - 1
	r := TileRange{
		MinCol: clamp(minCol, 0, m.MatrixWidth-1),
		MaxCol: clamp(maxCol, 0, m.MatrixWidth-1),
		MinRow: clamp(minRow, 0, m.MatrixHeight-1),
		MaxRow: clamp(maxRow, 0, m.MatrixHeight-1),
	}
	// A box thinner than the tolerance still covers the tile it lies in.
	if r.MaxCol < r.MinCol {
		r.MaxCol = r.MinCol
	}
	if r.MaxRow < r.MinRow {
		r.MaxRow = r.MinRow
	}
	return r
}

// RangeBounds is the ground rectangle covered by the tiles of r.
func (m *TileMatrix) RangeBounds(r TileRange) Bounds {
	tl := m.TileBounds(r.MinCol, r.MinRow)
	br := m.TileBounds(r.MaxCol, r.MaxRow)
	return Bounds{MinX: tl.MinX, MinY: br.MinY, MaxX: br.MaxX, MaxY: tl.MaxY}
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Matrix returns the matrix with the given identifier and its zoom index.
func (s *TileMatrixSet) Matrix(id string) (*TileMatrix, int, bool) {
	for i := range s.Matrices {
		if s.Matrices[i].ID == id {
			return &s.Matrices[i], i, true
		}
	}
	return nil, -1, false
}

// Level returns the matrix at zoom index z.
func (s *TileMatrixSet) Level(z int) (*TileMatrix, bool) {
	if z < 0 || z >= len(s.Matrices) {
		return nil, false
	}
	return &s.Matrices[z], true
}

// Bounds is the extent of the coarsest matrix, which every finer matrix of
// the standard sets shares.
func (s *TileMatrixSet) Bounds() Bounds { return s.Matrices[0].Bounds() }

// ZoomForResolution returns the zoom index whose cell size is closest to res
// (CRS units per pixel) on a logarithmic scale, since zoom levels are a
// geometric series.
func (s *TileMatrixSet) ZoomForResolution(res float64) int {
	best, bestDist := 0, math.Inf(1)
	for i, m := range s.Matrices {
		d := math.Abs(math.Log(m.CellSize / res))
		if d < bestDist {
			best, bestDist = i, d
		}
	}
	return best
}

// ScaleDenominator returns the scale denominator of a cell size in the set's
// CRS, with the 0.28 mm standard pixel.
func (s *TileMatrixSet) ScaleDenominator(cellSize float64) float64 {
	return cellSize * s.CRSInfo.MetersPerUnit / StandardPixelSize
}

// Validate checks that k addresses a tile of s; it returns ErrOutOfRange
// wrapped with the reason otherwise.
func (s *TileMatrixSet) Validate(k Key) error {
	m, ok := s.Level(k.Z)
	if !ok {
		return fmt.Errorf("%w: %s has no zoom level %d", ErrOutOfRange, s.ID, k.Z)
	}
	if k.Col < 0 || k.Col >= m.MatrixWidth || k.Row < 0 || k.Row >= m.MatrixHeight {
		return fmt.Errorf("%w: tile %d/%d/%d is outside the %dx%d matrix %s", ErrOutOfRange, k.Z, k.Col, k.Row, m.MatrixWidth, m.MatrixHeight, m.ID)
	}
	return nil
}
