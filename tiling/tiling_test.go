package tiling

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustBuiltin(t testing.TB, id string) *TileMatrixSet {
	t.Helper()
	s, err := Builtin(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Values from OGC 17-083r4 Annex D (WebMercatorQuad, WorldCRS84Quad) and
// from IGN's published LAMB93 and PM grids.
func TestBuiltinPublishedValues(t *testing.T) {
	tests := []struct {
		set       string
		z         int
		scale     float64
		cell      float64
		originX   float64
		originY   float64
		w, h      int
		northing  bool
		crsString string
	}{
		{"WebMercatorQuad", 0, 559082264.0287178, 156543.0339280410, -20037508.3427892, 20037508.3427892, 1, 1, false, "EPSG:3857"},
		{"WebMercatorQuad", 18, 2132.729583849784, 0.5971642834779395, -20037508.3427892, 20037508.3427892, 1 << 18, 1 << 18, false, "EPSG:3857"},
		{"WorldCRS84Quad", 0, 279541132.0143589, 0.703125, -180, 90, 2, 1, false, "CRS:84"},
		{"WorldCRS84Quad", 3, 34942641.50179486, 0.087890625, -180, 90, 16, 8, false, "CRS:84"},
		{"PM", 0, 559082264.028718, 156543.033928041, -20037508.3427892, 20037508.3427892, 1, 1, false, "EPSG:3857"},
		{"LAMB93", 0, 373497230.535336, 104579.224549894, 0, 12000000, 2, 2, false, "EPSG:2154"},
		{"LAMB93", 21, 178.010363571429, 0.0498429018, 0, 12000000, 101121, 471125, false, "EPSG:2154"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			s := mustBuiltin(t, tt.set)
			m, ok := s.Level(tt.z)
			if !ok {
				t.Fatalf("no level %d", tt.z)
			}
			if !near(m.ScaleDenominator, tt.scale, 1e-6*tt.scale) || !near(m.CellSize, tt.cell, 1e-9*tt.cell) {
				t.Errorf("scale %v cell %v", m.ScaleDenominator, m.CellSize)
			}
			if !near(m.OriginX, tt.originX, 1e-6) || !near(m.OriginY, tt.originY, 1e-6) {
				t.Errorf("origin %v %v", m.OriginX, m.OriginY)
			}
			if m.MatrixWidth != tt.w || m.MatrixHeight != tt.h {
				t.Errorf("matrix %dx%d", m.MatrixWidth, m.MatrixHeight)
			}
			if s.CRSInfo.CRS.String() != tt.crsString {
				t.Errorf("crs %v", s.CRSInfo.CRS)
			}
			// The scale denominator follows from the cell size and the
			// 0.28 mm pixel.
			if got := s.ScaleDenominator(m.CellSize); !near(got, m.ScaleDenominator, 1e-6*got) {
				t.Errorf("ScaleDenominator(cell) = %v", got)
			}
		})
	}
}

func TestTileBoundsAndRange(t *testing.T) {
	wm := mustBuiltin(t, "WebMercatorQuad")
	m, _ := wm.Level(1)
	b := m.TileBounds(1, 0) // north-east quarter
	if !near(b.MinX, 0, 1e-6) || !near(b.MaxX, 20037508.3427892, 1e-6) || !near(b.MinY, 0, 1e-6) || !near(b.MaxY, 20037508.3427892, 1e-6) {
		t.Errorf("tile 1/1/0 = %v", b)
	}
	// The tile's own bounds map back to exactly that tile.
	for _, tc := range []struct{ z, col, row int }{{0, 0, 0}, {1, 1, 0}, {5, 17, 11}, {12, 2074, 1409}} {
		m, _ := wm.Level(tc.z)
		r := m.TileRange(m.TileBounds(tc.col, tc.row))
		if r != (TileRange{tc.col, tc.row, tc.col, tc.row}) {
			t.Errorf("z%d: range of tile %d,%d = %+v", tc.z, tc.col, tc.row, r)
		}
	}
	// A box outside the matrix gives an empty range; a huge box is clamped.
	if r := m.TileRange(Bounds{MinX: 3e7, MinY: 3e7, MaxX: 4e7, MaxY: 4e7}); !r.Empty() {
		t.Errorf("outside: %+v", r)
	}
	if r := m.TileRange(Bounds{MinX: -1e9, MinY: -1e9, MaxX: 1e9, MaxY: 1e9}); r != m.Full() {
		t.Errorf("clamp: %+v", r)
	}
	// LAMB93: Paris (652 300, 6 861 300) at level 0 lies in the bottom-left
	// tile; the origin is at (0, 12 000 000).
	l93 := mustBuiltin(t, "LAMB93")
	m0, _ := l93.Level(0)
	r := m0.TileRange(Bounds{MinX: 652300, MinY: 6861300, MaxX: 652301, MaxY: 6861301})
	if r != (TileRange{0, 0, 0, 0}) {
		// Tile span at level 0 is 256 × 104579 ≈ 26.8 km × 1000 = 26 772 281 m,
		// so everything in France sits in tile 0,0.
		t.Errorf("Paris at LAMB93 level 0: %+v", r)
	}
	m10, _ := l93.Level(10)
	r = m10.TileRange(Bounds{MinX: 652300, MinY: 6861300, MaxX: 652301, MaxY: 6861301})
	wantCol := int(math.Floor(652300 / m10.TileSpanX()))
	wantRow := int(math.Floor((12000000 - 6861301) / m10.TileSpanY()))
	if r.MinCol != wantCol || r.MinRow != wantRow {
		t.Errorf("Paris at LAMB93 level 10: %+v want col %d row %d", r, wantCol, wantRow)
	}
}

func TestBottomLeftCorner(t *testing.T) {
	def := `{"id":"BL","crs":"EPSG:3857","tileMatrices":[{"id":"0","scaleDenominator":559082264.0287178,"cellSize":156543.033928041,"cornerOfOrigin":"bottomLeft","pointOfOrigin":[-20037508.3427892,-20037508.3427892],"tileWidth":256,"tileHeight":256,"matrixWidth":2,"matrixHeight":2}]}`
	s, err := ParseTileMatrixSet("bl.json", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Level(0)
	top := m.TileBounds(0, 0)
	if !near(top.MaxY, 20037508.3427892*3, 1) {
		t.Errorf("top row of a bottom-left matrix: %v", top)
	}
	if r := m.TileRange(top); r != (TileRange{0, 0, 0, 0}) {
		t.Errorf("round trip %+v", r)
	}
}

func TestNorthingFirstOrigin(t *testing.T) {
	// A EPSG:4326 set without orderedAxes writes its origin lat,lon.
	def := `{"id":"G","crs":"http://www.opengis.net/def/crs/EPSG/0/4326","tileMatrices":[{"id":"0","scaleDenominator":279541132.0143589,"pointOfOrigin":[90,-180],"tileWidth":256,"tileHeight":256,"matrixWidth":2,"matrixHeight":1}]}`
	s, err := ParseTileMatrixSet("g.json", []byte(def))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Level(0)
	if m.OriginX != -180 || m.OriginY != 90 || !near(m.CellSize, 0.703125, 1e-12) {
		t.Errorf("origin %v,%v cell %v", m.OriginX, m.OriginY, m.CellSize)
	}
}

func TestParseErrors(t *testing.T) {
	base := `{"id":"X","crs":"EPSG:3857","tileMatrices":[{"id":"0","scaleDenominator":559082264.0287178,"pointOfOrigin":[-20037508.3427892,20037508.3427892],"tileWidth":256,"tileHeight":256,"matrixWidth":1,"matrixHeight":1}]}`
	tests := map[string]struct{ def, want string }{
		"not json":       {`{"id":`, "unexpected EOF"},
		"no id":          {strings.Replace(base, `"id":"X",`, ``, 1), "no id"},
		"bad id":         {strings.Replace(base, `"id":"X"`, `"id":"../x"`, 1), "URL path"},
		"no crs":         {strings.Replace(base, `"crs":"EPSG:3857",`, ``, 1), "no crs"},
		"unknown crs":    {strings.Replace(base, `EPSG:3857`, `EPSG:999999`, 1), "PROJ does not know"},
		"no matrices":    {`{"id":"X","crs":"EPSG:3857","tileMatrices":[]}`, "no tileMatrices"},
		"zero tile":      {strings.Replace(base, `"tileWidth":256`, `"tileWidth":0`, 1), "tileWidth"},
		"huge matrix":    {strings.Replace(base, `"matrixWidth":1`, `"matrixWidth":99999999999`, 1), "matrixWidth"},
		"negative scale": {strings.Replace(base, `559082264.0287178`, `-1`, 1), "scaleDenominator"},
		"bad origin":     {strings.Replace(base, `[-20037508.3427892,20037508.3427892]`, `[1]`, 1), "pointOfOrigin"},
		"bad corner":     {strings.Replace(base, `"tileWidth"`, `"cornerOfOrigin":"middle","tileWidth"`, 1), "cornerOfOrigin"},
		"cell mismatch":  {strings.Replace(base, `"tileWidth"`, `"cellSize":3,"tileWidth"`, 1), "disagrees"},
		"infinite":       {strings.Replace(strings.Replace(base, `559082264.0287178`, `1e308`, 1), `"matrixWidth":1`, `"matrixWidth":1000000`, 1), "finite"},
		"variable":       {strings.Replace(base, `"tileWidth"`, `"variableMatrixWidths":[{"coalesce":2,"minTileRow":0,"maxTileRow":0}],"tileWidth"`, 1), "variableMatrixWidths"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTileMatrixSet("x.json", []byte(tt.def))
			if err == nil || !errors.Is(err, ErrInvalidTileMatrixSet) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "x.json") {
				t.Errorf("err = %v, want one containing %q and the file name", err, tt.want)
			}
		})
	}
}

func TestZoomForResolution(t *testing.T) {
	wm := mustBuiltin(t, "WebMercatorQuad")
	for z := 0; z < len(wm.Matrices); z++ {
		if got := wm.ZoomForResolution(wm.Matrices[z].CellSize * 1.2); got != z {
			t.Errorf("z%d: got %d", z, got)
		}
	}
}

func TestValidateKey(t *testing.T) {
	wm := mustBuiltin(t, "WebMercatorQuad")
	for _, k := range []Key{{Z: -1}, {Z: 25}, {Z: 2, Col: 4}, {Z: 2, Row: -1}, {Z: 0, Col: 1}} {
		if err := wm.Validate(k); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%+v: %v", k, err)
		}
	}
	if err := wm.Validate(Key{Z: 2, Col: 3, Row: 3}); err != nil {
		t.Error(err)
	}
}

// Every built-in and every IGN/OGC definition of the same model parses.
func TestBuiltinsParse(t *testing.T) {
	for _, n := range BuiltinNames() {
		if _, err := Builtin(n); err != nil {
			t.Error(err)
		}
	}
	if _, err := Builtin("Nope"); err == nil {
		t.Error("unknown built-in accepted")
	}
	files, _ := filepath.Glob("definitions/*.json")
	if len(files) != 4 {
		t.Errorf("definitions: %v", files)
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if _, err := ParseTileMatrixSet(f, data); err != nil {
			t.Error(err)
		}
	}
}

func FuzzParseTileMatrixSet(f *testing.F) {
	for _, n := range BuiltinNames() {
		data, _ := definitions.ReadFile("definitions/" + n + ".json")
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseTileMatrixSet("fuzz", data)
		if err != nil {
			return
		}
		for i := range s.Matrices {
			m := &s.Matrices[i]
			r := m.TileRange(m.Bounds())
			if r != m.Full() {
				t.Fatalf("level %d: full bounds give %+v", i, r)
			}
		}
	})
}
