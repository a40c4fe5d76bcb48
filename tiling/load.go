package tiling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/tuiles/tuiles/internal/crs"
)

// ErrInvalidTileMatrixSet wraps every problem found in a definition.
var ErrInvalidTileMatrixSet = errors.New("invalid tile matrix set")

// jsonTileMatrixSet mirrors the OGC 17-083r4 JSON encoding (TMS 2.0), with
// the fields of the 1.0 encoding that register files still use.
type jsonTileMatrixSet struct {
	ID                string          `json:"id"`
	Identifier        string          `json:"identifier"` // TMS 1.0
	Title             string          `json:"title"`
	URI               string          `json:"uri"`
	CRS               json.RawMessage `json:"crs"`
	SupportedCRS      string          `json:"supportedCRS"` // TMS 1.0
	OrderedAxes       []string        `json:"orderedAxes"`
	WellKnownScaleSet string          `json:"wellKnownScaleSet"`
	TileMatrices      []jsonMatrix    `json:"tileMatrices"`
	TileMatrix        []jsonMatrix    `json:"tileMatrix"` // TMS 1.0
}

type jsonMatrix struct {
	ID                   string          `json:"id"`
	Identifier           string          `json:"identifier"`
	ScaleDenominator     float64         `json:"scaleDenominator"`
	CellSize             float64         `json:"cellSize"`
	CornerOfOrigin       string          `json:"cornerOfOrigin"`
	PointOfOrigin        []float64       `json:"pointOfOrigin"`
	TopLeftCorner        []float64       `json:"topLeftCorner"` // TMS 1.0
	TileWidth            int             `json:"tileWidth"`
	TileHeight           int             `json:"tileHeight"`
	MatrixWidth          int             `json:"matrixWidth"`
	MatrixHeight         int             `json:"matrixHeight"`
	VariableMatrixWidths json.RawMessage `json:"variableMatrixWidths"`
}

// maxMatrixSide bounds matrix dimensions so tile counts stay within int64
// and hostile definitions cannot make later arithmetic overflow.
const maxMatrixSide = 1 << 30

// ParseTileMatrixSet reads one TileMatrixSet in the OGC JSON encoding. name
// is used in error messages (usually the file path).
func ParseTileMatrixSet(name string, data []byte) (*TileMatrixSet, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidTileMatrixSet, name, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var j jsonTileMatrixSet
	if err := dec.Decode(&j); err != nil {
		return nil, fail("%v", err)
	}
	s := &TileMatrixSet{ID: firstNonEmpty(j.ID, j.Identifier), Title: j.Title, URI: j.URI, OrderedAxes: j.OrderedAxes, WellKnownScaleSet: j.WellKnownScaleSet}
	if s.ID == "" {
		return nil, fail("no id")
	}
	if strings.ContainsAny(s.ID, "/\\?#&<>\"' ") {
		return nil, fail("id %q has characters that cannot stand in a URL path", s.ID)
	}
	crsText, err := crsString(j.CRS)
	if err != nil {
		return nil, fail("crs: %v", err)
	}
	s.CRS = firstNonEmpty(crsText, j.SupportedCRS)
	if s.CRS == "" {
		return nil, fail("no crs")
	}
	code, err := crs.Parse(s.CRS)
	if err != nil {
		return nil, fail("crs: %v", err)
	}
	info, err := crs.Lookup(code)
	if err != nil {
		return nil, fail("crs %s: %v", s.CRS, err)
	}
	s.CRSInfo = info
	northingFirst, metersPerUnit := axisFacts(info, j.OrderedAxes)
	matrices := j.TileMatrices
	if len(matrices) == 0 {
		matrices = j.TileMatrix
	}
	if len(matrices) == 0 {
		return nil, fail("no tileMatrices")
	}
	seen := map[string]bool{}
	for i, m := range matrices {
		id := firstNonEmpty(m.ID, m.Identifier)
		where := fmt.Sprintf("tileMatrices[%d] (id %q)", i, id)
		if id == "" {
			return nil, fail("%s: no id", where)
		}
		if seen[id] {
			return nil, fail("%s: duplicate id", where)
		}
		seen[id] = true
		if len(m.VariableMatrixWidths) > 0 && string(m.VariableMatrixWidths) != "null" && string(m.VariableMatrixWidths) != "[]" {
			return nil, fail("%s: variableMatrixWidths (coalesced rows) are not supported", where)
		}
		origin := m.PointOfOrigin
		if origin == nil {
			origin = m.TopLeftCorner
		}
		if len(origin) != 2 || !finite(origin[0]) || !finite(origin[1]) {
			return nil, fail("%s: pointOfOrigin must be two numbers", where)
		}
		if m.TileWidth <= 0 || m.TileHeight <= 0 || m.TileWidth > 8192 || m.TileHeight > 8192 {
			return nil, fail("%s: tileWidth and tileHeight must be between 1 and 8192", where)
		}
		if m.MatrixWidth <= 0 || m.MatrixHeight <= 0 || m.MatrixWidth > maxMatrixSide || m.MatrixHeight > maxMatrixSide {
			return nil, fail("%s: matrixWidth and matrixHeight must be between 1 and %d", where, maxMatrixSide)
		}
		if !(m.ScaleDenominator > 0) || !finite(m.ScaleDenominator) {
			return nil, fail("%s: scaleDenominator must be positive", where)
		}
		cell := m.CellSize
		fromScale := m.ScaleDenominator * StandardPixelSize / metersPerUnit
		if cell == 0 {
			cell = fromScale
		} else if !(cell > 0) || !finite(cell) {
			return nil, fail("%s: cellSize must be positive", where)
		} else if math.Abs(cell-fromScale) > 1e-6*fromScale {
			return nil, fail("%s: cellSize %g disagrees with scaleDenominator %g (expected %g)", where, cell, m.ScaleDenominator, fromScale)
		}
		tm := TileMatrix{ID: id, ScaleDenominator: m.ScaleDenominator, CellSize: cell, TileWidth: m.TileWidth, TileHeight: m.TileHeight, MatrixWidth: m.MatrixWidth, MatrixHeight: m.MatrixHeight}
		tm.OriginX, tm.OriginY = origin[0], origin[1]
		if northingFirst {
			tm.OriginX, tm.OriginY = origin[1], origin[0]
		}
		switch strings.ToLower(m.CornerOfOrigin) {
		case "", "topleft":
			tm.Corner = TopLeft
		case "bottomleft":
			tm.Corner = BottomLeft
		default:
			return nil, fail("%s: cornerOfOrigin %q is neither topLeft nor bottomLeft", where, m.CornerOfOrigin)
		}
		if b := tm.Bounds(); !finite(b.MinX) || !finite(b.MinY) || !finite(b.MaxX) || !finite(b.MaxY) {
			return nil, fail("%s: the matrix extent is not a finite rectangle", where)
		}
		if i > 0 && !(tm.CellSize < s.Matrices[i-1].CellSize) {
			return nil, fail("%s: tile matrices must go from coarsest to finest", where)
		}
		s.Matrices = append(s.Matrices, tm)
	}
	return s, nil
}

// crsString accepts the crs member as a string or as {"uri": ...} (TMS 2.0
// allows both).
func crsString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		URI string `json:"uri"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.URI == "" {
		return "", errors.New("must be a string or an object with a uri")
	}
	return obj.URI, nil
}

// axisFacts tells in which order pointOfOrigin is written and how many meters
// one CRS unit is. orderedAxes, when present, is authoritative for the order:
// IGN's definitions write EPSG:4326 origins longitude first and say so there.
func axisFacts(info crs.Info, orderedAxes []string) (northingFirst bool, metersPerUnit float64) {
	northingFirst = info.NorthingFirst
	if len(orderedAxes) == 2 {
		switch strings.ToLower(orderedAxes[0]) {
		case "lat", "latitude", "n", "northing", "north", "y":
			northingFirst = true
		case "lon", "long", "longitude", "e", "easting", "east", "x":
			northingFirst = false
		}
	}
	return northingFirst, info.MetersPerUnit
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
