package store

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"
)

// geometryCases covers every geometry type in every layout, empty ones and
// nesting.
var geometryCases = []string{
	"POINT (1 2)",
	"POINT Z (1 2 3)",
	"POINT M (1 2 4)",
	"POINT ZM (1 2 3 4)",
	"LINESTRING (0 0, 1 1, 2 0)",
	"LINESTRING Z (0 0 1, 1 1 2)",
	"LINESTRING M (0 0 1, 1 1 2)",
	"LINESTRING ZM (0 0 1 2, 1 1 3 4)",
	"POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (1 1, 2 1, 2 2, 1 1))",
	"POLYGON Z ((0 0 1, 10 0 2, 10 10 3, 0 0 1))",
	"POLYGON M ((0 0 1, 10 0 2, 10 10 3, 0 0 1))",
	"POLYGON ZM ((0 0 1 5, 10 0 2 6, 10 10 3 7, 0 0 1 5))",
	"MULTIPOINT ((1 2), (3 4))",
	"MULTIPOINT Z ((1 2 3), (4 5 6))",
	"MULTIPOINT M ((1 2 3), (4 5 6))",
	"MULTIPOINT ZM ((1 2 3 4), (5 6 7 8))",
	"MULTILINESTRING ((0 0, 1 1), (5 5, 6 6, 7 5))",
	"MULTILINESTRING Z ((0 0 1, 1 1 2), (5 5 3, 6 6 4))",
	"MULTILINESTRING M ((0 0 1, 1 1 2), (5 5 3, 6 6 4))",
	"MULTILINESTRING ZM ((0 0 1 2, 1 1 3 4))",
	"MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.1 5.1, 5.2 5.1, 5.2 5.2, 5.1 5.1)))",
	"MULTIPOLYGON Z (((0 0 1, 1 0 1, 1 1 1, 0 0 1)))",
	"MULTIPOLYGON M (((0 0 1, 1 0 1, 1 1 1, 0 0 1)))",
	"MULTIPOLYGON ZM (((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2)))",
	"GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1))",
	"GEOMETRYCOLLECTION Z (POINT Z (1 2 3), GEOMETRYCOLLECTION Z (LINESTRING Z (0 0 0, 1 1 1)))",
	"GEOMETRYCOLLECTION M (POINT M (1 2 3))",
	"GEOMETRYCOLLECTION ZM (POINT ZM (1 2 3 4), POLYGON ZM ((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2)))",
	"POINT EMPTY",
	"POINT Z EMPTY",
	"LINESTRING EMPTY",
	"LINESTRING M EMPTY",
	"POLYGON EMPTY",
	"POLYGON ZM EMPTY",
	"MULTIPOINT EMPTY",
	"MULTILINESTRING Z EMPTY",
	"MULTIPOLYGON EMPTY",
	"GEOMETRYCOLLECTION EMPTY",
}

func mustWKT(t testing.TB, s string) geom.T {
	t.Helper()
	g, err := wkt.Unmarshal(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return g
}

func toWKT(t testing.TB, g geom.T) string {
	t.Helper()
	if g == nil {
		return "<nil>"
	}
	s, err := wkt.Marshal(g)
	if err != nil {
		t.Fatalf("marshal %T: %v", g, err)
	}
	return s
}

func TestGeometryRoundTrip(t *testing.T) {
	for _, in := range geometryCases {
		t.Run(in, func(t *testing.T) {
			g := mustWKT(t, in)
			blob, err := encodeGeometry(g, 2154)
			if err != nil {
				t.Fatal(err)
			}
			h, err := parseHeader(blob)
			if err != nil {
				t.Fatal(err)
			}
			if h.srsID != 2154 {
				t.Errorf("srs_id %d", h.srsID)
			}
			if h.empty != g.Empty() {
				t.Errorf("empty flag %v for %s", h.empty, in)
			}
			_, isPoint := g.(*geom.Point)
			if hasEnv := blob[3]&(envelopeMask<<envelopeShift) != 0; hasEnv != (!g.Empty() && !isPoint) {
				t.Errorf("envelope present = %v", hasEnv)
			}
			back, err := decodeGeometry(blob)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := toWKT(t, back), toWKT(t, g); got != want {
				t.Errorf("round trip:\n got %s\nwant %s", got, want)
			}
			if back.Layout() != g.Layout() && !g.Empty() {
				t.Errorf("layout %v, want %v", back.Layout(), g.Layout())
			}
		})
	}
}

func TestGeometryNull(t *testing.T) {
	blob, err := encodeGeometry(nil, 4326)
	if err != nil || blob != nil {
		t.Fatalf("encode nil = %v, %v", blob, err)
	}
	g, err := decodeGeometry(nil)
	if err != nil || g != nil {
		t.Fatalf("decode nil = %v, %v", g, err)
	}
}

func TestGeometryEnvelope(t *testing.T) {
	tests := []struct {
		wkt                    string
		minX, minY, maxX, maxY float64
		empty                  bool
	}{
		{"POINT (3 4)", 3, 4, 3, 4, false},
		{"POINT ZM (3 4 5 6)", 3, 4, 3, 4, false},
		{"LINESTRING Z (0 -1 100, 5 7 -100)", 0, -1, 5, 7, false},
		{"GEOMETRYCOLLECTION (POINT (10 10), GEOMETRYCOLLECTION (POINT (-1 3)))", -1, 3, 10, 10, false},
		{"MULTIPOINT (EMPTY, (1 1))", 1, 1, 1, 1, false},
		{"POINT EMPTY", 0, 0, 0, 0, true},
		{"POLYGON EMPTY", 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.wkt, func(t *testing.T) {
			g, err := wkt.Unmarshal(tt.wkt)
			if err != nil {
				t.Skipf("go-geom cannot parse %q: %v", tt.wkt, err)
			}
			blob, err := encodeGeometry(g, 0)
			if err != nil {
				t.Fatal(err)
			}
			e, err := blobEnvelope(blob)
			if err != nil {
				t.Fatal(err)
			}
			if tt.empty {
				if e.ok {
					t.Fatalf("envelope of empty geometry: %+v", e)
				}
				return
			}
			if want := (envelope{tt.minX, tt.minY, tt.maxX, tt.maxY, true}); e != want {
				t.Errorf("envelope %+v, want %+v", e, want)
			}
		})
	}
}

func TestGeometryCorrupt(t *testing.T) {
	good, err := encodeGeometry(mustWKT(t, "LINESTRING (0 0, 1 1)"), 4326)
	if err != nil {
		t.Fatal(err)
	}
	hugeCount := bytes.Clone(good)
	// The point count of the linestring follows the 40-byte header+envelope
	// and the 5-byte WKB header.
	binary.LittleEndian.PutUint32(hugeCount[gpHeaderSize+32+5:], math.MaxUint32)
	tests := map[string][]byte{
		"short":             []byte("GP"),
		"no magic":          append([]byte("XX"), good[2:]...),
		"version":           append([]byte{'G', 'P', 1}, good[3:]...),
		"extended":          append([]byte{'G', 'P', 0, good[3] | flagExtended}, good[4:]...),
		"bad envelope":      append([]byte{'G', 'P', 0, 0x0f}, good[4:]...),
		"truncated":         good[:len(good)-3],
		"trailing":          append(bytes.Clone(good), 0),
		"huge count":        hugeCount,
		"curve":             append(bytes.Clone(good[:gpHeaderSize+32]), 1, 8, 0, 0, 0, 0, 0, 0, 0),
		"wkb byte order":    append(bytes.Clone(good[:gpHeaderSize+32]), 7, 1, 0, 0, 0),
		"non-ISO dimension": append(bytes.Clone(good[:gpHeaderSize+32]), 1, 1, 0x10, 0, 0),
	}
	for name, blob := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeGeometry(blob); !errors.Is(err, errGeometry) {
				t.Errorf("err = %v, want errGeometry", err)
			}
		})
	}
}

// TestGeometryDeepNesting checks that collections nested past the limit
// are refused rather than recursed into.
func TestGeometryDeepNesting(t *testing.T) {
	var w []byte
	for range 1000 {
		w = append(w, 1, 7, 0, 0, 0, 1, 0, 0, 0)
	}
	w = append(w, 1, 1, 0, 0, 0)
	w = append(w, make([]byte, 16)...)
	blob := append([]byte{'G', 'P', 0, 1, 0, 0, 0, 0}, w...)
	if _, err := decodeGeometry(blob); !errors.Is(err, errGeometry) {
		t.Fatalf("err = %v", err)
	}
}

// TestGeometryFromGDAL decodes the blobs ogr2ogr writes, which differ from
// ours: envelopes with Z and M, big-endian-free but with NaN empty points.
func TestGeometryFromGDAL(t *testing.T) {
	requireGDAL(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "in.csv")
	var sb strings.Builder
	sb.WriteString("n,WKT\n")
	for i, c := range geometryCases {
		sb.WriteString(strconv.Itoa(i) + ",\"" + c + "\"\n")
	}
	sb.WriteString(strconv.Itoa(len(geometryCases)) + ",\n") // NULL geometry
	if err := os.WriteFile(csv, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	gpkg := filepath.Join(dir, "gdal.gpkg")
	ogr2ogr(t, "-f", "GPKG", gpkg, csv, "-nln", "g")

	db, err := sql.Open("sqlite3", "file:"+gpkg+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT n, geom FROM g ORDER BY fid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var n int
		var blob []byte
		if err := rows.Scan(&n, &blob); err != nil {
			t.Fatal(err)
		}
		seen++
		g, err := decodeGeometry(blob)
		if err != nil {
			t.Errorf("row %d: %v", n, err)
			continue
		}
		if n == len(geometryCases) {
			if g != nil {
				t.Errorf("NULL geometry decoded as %s", toWKT(t, g))
			}
			continue
		}
		want := mustWKT(t, geometryCases[n])
		if got := toWKT(t, g); got != toWKT(t, want) && !(want.Empty() && g.Empty()) {
			t.Errorf("GDAL blob %d:\n got %s\nwant %s", n, got, toWKT(t, want))
		}
		// Our envelope functions must agree with GDAL's header envelope.
		e, err := blobEnvelope(blob)
		if err != nil {
			t.Fatal(err)
		}
		if e != geometryEnvelope(want) {
			t.Errorf("envelope of %s: %+v, want %+v", geometryCases[n], e, geometryEnvelope(want))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(geometryCases)+1 {
		t.Fatalf("read %d rows, want %d", seen, len(geometryCases)+1)
	}
}

func TestToOrb(t *testing.T) {
	tests := []struct {
		wkt  string
		want orb.Geometry
	}{
		{"POINT ZM (1 2 3 4)", orb.Point{1, 2}},
		{"POINT EMPTY", nil},
		{"LINESTRING Z (0 0 9, 1 1 9)", orb.LineString{{0, 0}, {1, 1}}},
		{"POLYGON ((0 0, 1 0, 1 1, 0 0), (0.1 0.1, 0.2 0.1, 0.2 0.2, 0.1 0.1))", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.1, 0.1}, {0.2, 0.1}, {0.2, 0.2}, {0.1, 0.1}}}},
		{"MULTIPOINT M ((1 2 3), (4 5 6))", orb.MultiPoint{{1, 2}, {4, 5}}},
		{"MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))", orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
		{"MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.1 5.1, 5.2 5.1, 5.2 5.2, 5.1 5.1)))", orb.MultiPolygon{
			{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
			{{{5, 5}, {6, 5}, {6, 6}, {5, 5}}, {{5.1, 5.1}, {5.2, 5.1}, {5.2, 5.2}, {5.1, 5.1}}},
		}},
		{"GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1))", orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.wkt, func(t *testing.T) {
			got := ToOrb(mustWKT(t, tt.wkt))
			if tt.want == nil {
				if got != nil {
					t.Fatalf("got %v", got)
				}
				return
			}
			if !orb.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeGeometry(f *testing.F) {
	for _, c := range geometryCases {
		g, err := wkt.Unmarshal(c)
		if err != nil {
			f.Fatal(err)
		}
		blob, err := encodeGeometry(g, 4326)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		g, err := decodeGeometry(blob)
		if err != nil || g == nil {
			return
		}
		// Whatever decodes must encode again and decode to the same.
		again, err := encodeGeometry(g, 4326)
		if err != nil {
			return // go-geom refuses some shapes WKB allows (mixed layouts)
		}
		g2, err := decodeGeometry(again)
		if err != nil {
			t.Fatalf("re-encoded blob does not decode: %v", err)
		}
		if toWKT(t, g) != toWKT(t, g2) {
			t.Fatalf("unstable: %s vs %s", toWKT(t, g), toWKT(t, g2))
		}
		if _, err := blobEnvelope(blob); err != nil {
			t.Fatalf("envelope of a decodable blob: %v", err)
		}
	})
}

// requireGDAL fails (never skips) when the GDAL command-line tools the
// interoperability tests drive are missing.
func requireGDAL(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ogr2ogr", "ogrinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install Debian's gdal-bin (make deps) to run the GDAL interoperability tests", tool)
		}
	}
}

func ogr2ogr(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ogr2ogr", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogr2ogr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
