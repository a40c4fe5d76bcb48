package mbtiles_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"golang.org/x/sync/errgroup"

	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
)

const (
	worldRGB  = "../../testdata/mbtiles/world.rgb.mbtiles"
	countries = "../../testdata/mbtiles/countries_110m_mvt.mbtiles"
)

// pngData is a tile whose bytes start like a PNG, enough for format
// sniffing; the store never decodes images.
func pngData(s string) []byte { return append([]byte("\x89PNG\r\n\x1a\n"), s...) }

func gzipData(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sqlFile makes an SQLite file in a temporary directory from SQL text.
func sqlFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.mbtiles")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Writes a header, so even a file with no table is a real database.
	if _, err := db.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

// classicSchema is the plain layout of MBTiles 1.1 writers such as GDAL.
const classicSchema = `CREATE TABLE metadata (name text, value text);
CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);
CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);`

// rawInt runs a query returning one integer on a separate connection, to
// see what other MBTiles readers see.
func rawInt(t *testing.T, path, query string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func create(t *testing.T, opts mbtiles.Options, meta mbtiles.Metadata) (*mbtiles.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.mbtiles")
	s, err := mbtiles.Create(t.Context(), path, opts, meta)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func open(t *testing.T, path string, opts mbtiles.Options) *mbtiles.Store {
	t.Helper()
	s, err := mbtiles.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var etagRE = regexp.MustCompile(`^"[0-9a-f]{32}"$`)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		format   string
		data     func(k tiling.Key) []byte
		wantType string
		wantEnc  string
	}{
		{"png", "png", func(k tiling.Key) []byte { return pngData(fmt.Sprint(k)) }, "image/png", ""},
		{"jpeg", "jpeg", func(k tiling.Key) []byte { return append([]byte{0xff, 0xd8, 0xff}, fmt.Sprint(k)...) }, "image/jpeg", ""},
		{"webp", "webp", func(k tiling.Key) []byte { return []byte("RIFF\x00\x00\x00\x00WEBP" + fmt.Sprint(k)) }, "image/webp", ""},
		{"gzipped pbf", "pbf", func(k tiling.Key) []byte { return gzipData(t, fmt.Sprint(k)) }, "application/vnd.mapbox-vector-tile", "gzip"},
		{"plain mvt", "mvt", func(k tiling.Key) []byte { return []byte(fmt.Sprint(k)) }, "application/vnd.mapbox-vector-tile", ""},
		{"media type", "image/avif", func(k tiling.Key) []byte { return []byte(fmt.Sprint(k)) }, "image/avif", ""},
	}
	keys := []tiling.Key{{Z: 0}, {Z: 1, Col: 1}, {Z: 3, Col: 7, Row: 2}, {Z: 12, Col: 2047, Row: 4095}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: tt.format, MaxZoom: 12})
			for _, k := range keys {
				if err := s.Put(t.Context(), k, tiling.Tile{Data: tt.data(k)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			r := open(t, path, mbtiles.Options{})
			etags := map[string]bool{}
			for _, k := range keys {
				got, err := r.Tile(t.Context(), k)
				if err != nil {
					t.Fatalf("Tile(%v): %v", k, err)
				}
				if !bytes.Equal(got.Data, tt.data(k)) {
					t.Errorf("Tile(%v).Data = %q, want %q", k, got.Data, tt.data(k))
				}
				if got.ContentType != tt.wantType || got.ContentEncoding != tt.wantEnc {
					t.Errorf("Tile(%v) type, encoding = %q, %q; want %q, %q", k, got.ContentType, got.ContentEncoding, tt.wantType, tt.wantEnc)
				}
				if !etagRE.MatchString(got.ETag) {
					t.Errorf("Tile(%v).ETag = %s, want a quoted 32-digit hex string", k, got.ETag)
				}
				etags[got.ETag] = true
				if got.ModTime.IsZero() {
					t.Errorf("Tile(%v).ModTime is zero", k)
				}
			}
			if len(etags) != len(keys) {
				t.Errorf("%d distinct ETags for %d distinct tiles", len(etags), len(keys))
			}
		})
	}
}

func TestRowFlip(t *testing.T) {
	// A set whose matrices are neither square nor powers of two, like
	// LAMB93, so that a flip with 2^z would be caught.
	odd := &tiling.TileMatrixSet{ID: "Odd", Matrices: []tiling.TileMatrix{
		{ID: "0", MatrixWidth: 3, MatrixHeight: 2},
		{ID: "1", MatrixWidth: 6, MatrixHeight: 5},
	}}
	tests := []struct {
		name    string
		tms     *tiling.TileMatrixSet
		key     tiling.Key
		wantRow int
	}{
		{"web mercator z2", nil, tiling.Key{Z: 2, Col: 1, Row: 0}, 3},
		{"web mercator z2 bottom", nil, tiling.Key{Z: 2, Col: 1, Row: 3}, 0},
		{"web mercator z0", nil, tiling.Key{Z: 0}, 0},
		{"odd set z1", odd, tiling.Key{Z: 1, Col: 5, Row: 1}, 3},
		{"odd set z0", odd, tiling.Key{Z: 0, Col: 2, Row: 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := create(t, mbtiles.Options{TileMatrixSet: tt.tms}, mbtiles.Metadata{Format: "png"})
			data := pngData("flip")
			if err := s.Put(t.Context(), tt.key, tiling.Tile{Data: data}); err != nil {
				t.Fatal(err)
			}
			got := rawInt(t, path, `SELECT tile_row FROM tiles WHERE zoom_level = ? AND tile_column = ?`, tt.key.Z, tt.key.Col)
			if got != tt.wantRow {
				t.Errorf("tile_row = %d, want %d", got, tt.wantRow)
			}
			tile, err := s.Tile(t.Context(), tt.key)
			if err != nil || !bytes.Equal(tile.Data, data) {
				t.Errorf("Tile(%v) = %q, %v; want the tile put", tt.key, tile.Data, err)
			}
			ranges, err := s.TileRanges(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := tiling.TileRange{MinCol: tt.key.Col, MaxCol: tt.key.Col, MinRow: tt.key.Row, MaxRow: tt.key.Row}
			if ranges[tt.key.Z] != want || len(ranges) != 1 {
				t.Errorf("TileRanges = %v, want {%d: %v}", ranges, tt.key.Z, want)
			}
		})
	}
}

func TestOddPath(t *testing.T) {
	// SQLite reads the path as a URI, where these characters mean something.
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e&mode=rw")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x?.mbtiles")
	s, err := mbtiles.Create(t.Context(), path, mbtiles.Options{}, mbtiles.Metadata{Format: "png"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), tiling.Key{}, tiling.Tile{Data: pngData("x")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r := open(t, path, mbtiles.Options{})
	if _, err := r.Tile(t.Context(), tiling.Key{}); err != nil {
		t.Error(err)
	}
	// A badly escaped path would have made SQLite open another file.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "x?.mbtiles") {
			t.Errorf("SQLite made %q beside x?.mbtiles", e.Name())
		}
	}
}

func TestSchemeXYZ(t *testing.T) {
	// Rows of a scheme=xyz file count from the top already.
	path := sqlFile(t, classicSchema,
		`INSERT INTO metadata VALUES ('format', 'png'), ('scheme', 'xyz')`,
		`INSERT INTO tiles VALUES (2, 1, 0, x'89504e470d0a1a0a01')`)
	s := open(t, path, mbtiles.Options{})
	if _, err := s.Tile(t.Context(), tiling.Key{Z: 2, Col: 1, Row: 0}); err != nil {
		t.Errorf("Tile(2/1/0) in an xyz file: %v", err)
	}
	if _, err := s.Tile(t.Context(), tiling.Key{Z: 2, Col: 1, Row: 3}); !errors.Is(err, tiling.ErrNotFound) {
		t.Errorf("Tile(2/1/3) in an xyz file: %v, want ErrNotFound", err)
	}
}

func TestDedup(t *testing.T) {
	s, path := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png", MaxZoom: 3})
	ctx := t.Context()
	ocean, land, coast := pngData("ocean"), pngData("land"), pngData("coast")
	k1, k2, k3 := tiling.Key{Z: 3, Col: 0, Row: 0}, tiling.Key{Z: 3, Col: 1, Row: 0}, tiling.Key{Z: 3, Col: 2, Row: 0}
	count := func(table string) int { return rawInt(t, path, `SELECT count(*) FROM `+table) }

	err := s.PutBatch(ctx, []mbtiles.KeyTile{
		{Key: k1, Tile: tiling.Tile{Data: ocean}},
		{Key: k2, Tile: tiling.Tile{Data: ocean}},
		{Key: k3, Tile: tiling.Tile{Data: land}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, i := count("map"), count("images"); m != 3 || i != 2 {
		t.Errorf("after 3 tiles of 2 kinds: %d map rows, %d images; want 3, 2", m, i)
	}
	wantID := fmt.Sprintf("%x", sha256.Sum256(ocean))
	if n := rawInt(t, path, `SELECT count(*) FROM map WHERE tile_id = ?`, wantID); n != 2 {
		t.Errorf("%d map rows with tile_id = sha256(ocean), want 2", n)
	}

	// Replacing one ocean tile keeps the image the other one uses.
	if err := s.Put(ctx, k1, tiling.Tile{Data: coast}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneImages(ctx); err != nil || n != 0 {
		t.Errorf("PruneImages with every image in use = %d, %v; want 0", n, err)
	}
	// Replacing the last one leaves it unreferenced.
	if err := s.Put(ctx, k2, tiling.Tile{Data: coast}); err != nil {
		t.Fatal(err)
	}
	if m, i := count("map"), count("images"); m != 3 || i != 3 {
		t.Errorf("after replacing: %d map rows, %d images; want 3, 3", m, i)
	}
	if n, err := s.PruneImages(ctx); err != nil || n != 1 {
		t.Errorf("PruneImages = %d, %v; want 1", n, err)
	}
	if err := s.Vacuum(ctx); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[tiling.Key][]byte{k1: coast, k2: coast, k3: land} {
		got, err := s.Tile(ctx, k)
		if err != nil || !bytes.Equal(got.Data, want) {
			t.Errorf("Tile(%v) = %q, %v; want %q", k, got.Data, err, want)
		}
	}
	if i := count("images"); i != 2 {
		t.Errorf("%d images after pruning, want 2", i)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	lamb93 := &tiling.TileMatrixSet{ID: "LAMB93", Matrices: []tiling.TileMatrix{{ID: "0", MatrixWidth: 1, MatrixHeight: 1}}}
	meta := mbtiles.Metadata{
		Name:          "countries",
		Format:        "pbf",
		Bounds:        [4]float64{-5.14, 41.334, 9.56, 51.089},
		Center:        [3]float64{2.35, 48.85, 6},
		MinZoom:       2,
		MaxZoom:       14,
		Attribution:   `<a href="https://www.ign.fr">IGN</a>`,
		Description:   "Régions, départements",
		Type:          "overlay",
		Version:       "1.2",
		JSON:          `{"vector_layers":[{"id":"regions","fields":{"nom":"String"}}]}`,
		TileMatrixSet: "LAMB93",
		Extra:         map[string]string{"generator": "tuiles", "scheme": "tms"},
	}
	opts := mbtiles.Options{TileMatrixSet: lamb93}
	s, path := create(t, opts, meta)
	if got := s.Metadata(); !reflect.DeepEqual(got, meta) {
		t.Errorf("Metadata after Create =\n%+v\nwant\n%+v", got, meta)
	}
	// The returned value is the caller's.
	s.Metadata().Extra["generator"] = "changed"
	if s.Metadata().Extra["generator"] != "tuiles" {
		t.Error("changing the map returned by Metadata changed the store")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rawInt(t, path, `SELECT count(*) FROM metadata WHERE name = 'tile_matrix_set' AND value = 'LAMB93'`); got != 1 {
		t.Error("tile_matrix_set key not stored under its name")
	}

	w := open(t, path, mbtiles.Options{TileMatrixSet: lamb93, Writable: true})
	if got := w.Metadata(); !reflect.DeepEqual(got, meta) {
		t.Errorf("Metadata after reopening =\n%+v\nwant\n%+v", got, meta)
	}
	changed := w.Metadata()
	changed.Format = "png"
	changed.MaxZoom = 16
	changed.Bounds = [4]float64{}
	changed.Extra = nil
	if err := w.SetMetadata(t.Context(), changed); err != nil {
		t.Fatal(err)
	}
	if got := w.Metadata(); !reflect.DeepEqual(got, changed) {
		t.Errorf("Metadata after SetMetadata =\n%+v\nwant\n%+v", got, changed)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := open(t, path, mbtiles.Options{TileMatrixSet: lamb93})
	if got := r.Metadata(); !reflect.DeepEqual(got, changed) {
		t.Errorf("Metadata after SetMetadata and reopening =\n%+v\nwant\n%+v", got, changed)
	}
	if lo, hi, ok := r.ZoomRange(); lo != 2 || hi != 16 || !ok {
		t.Errorf("ZoomRange = %d, %d, %v; want 2, 16, true", lo, hi, ok)
	}
}

func TestCreateDefaults(t *testing.T) {
	set := &tiling.TileMatrixSet{ID: "WorldCRS84Quad", Matrices: []tiling.TileMatrix{{ID: "0", MatrixWidth: 2, MatrixHeight: 1}}}
	s, _ := create(t, mbtiles.Options{TileMatrixSet: set}, mbtiles.Metadata{Format: "png"})
	got := s.Metadata()
	if got.Name != "cache" || got.TileMatrixSet != "WorldCRS84Quad" {
		t.Errorf("Name, TileMatrixSet = %q, %q; want the file name and the set of the options", got.Name, got.TileMatrixSet)
	}
}

func TestSetMetadataErrors(t *testing.T) {
	s, _ := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png"})
	tests := []struct {
		name    string
		meta    mbtiles.Metadata
		wantErr string
	}{
		{"unknown format", mbtiles.Metadata{Format: "gif"}, `"gif"`},
		{"no format", mbtiles.Metadata{}, "no format"},
		{"zooms reversed", mbtiles.Metadata{Format: "png", MinZoom: 5, MaxZoom: 2}, "minzoom"},
		{"bounds in metres", mbtiles.Metadata{Format: "png", Bounds: [4]float64{-20037508, -20037508, 20037508, 20037508}}, "bounds"},
		{"bad json", mbtiles.Metadata{Format: "pbf", JSON: "{"}, "json"},
		{"field key in extra", mbtiles.Metadata{Format: "png", Extra: map[string]string{"minzoom": "3"}}, "minzoom"},
		{"other tile matrix set", mbtiles.Metadata{Format: "png", TileMatrixSet: "LAMB93"}, "LAMB93"},
		{"scheme flip", mbtiles.Metadata{Format: "png", Extra: map[string]string{"scheme": "xyz"}}, "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetMetadata(t.Context(), tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SetMetadata = %v, want an error mentioning %s", err, tt.wantErr)
			}
		})
	}
	if got := s.Metadata().Format; got != "png" {
		t.Errorf("Format after failed SetMetadata = %q, want png", got)
	}
}

func TestMetadataParsing(t *testing.T) {
	tiles := `INSERT INTO tiles VALUES (2, 0, 0, x'89504e470d0a1a0a00'), (5, 3, 4, x'89504e470d0a1a0a01')`
	tests := []struct {
		name     string
		metadata string // rows for INSERT INTO metadata VALUES
		noTiles  bool
		want     func(m *mbtiles.Metadata) // edits the expected value from a base
		wantErr  string
	}{
		{
			name:     "1.1 file without zooms",
			metadata: `('name', 'old'), ('format', 'png'), ('bounds', '-10.5 , -20,30, 40.25 ')`,
			want: func(m *mbtiles.Metadata) {
				m.Name, m.Bounds, m.MinZoom, m.MaxZoom = "old", [4]float64{-10.5, -20, 30, 40.25}, 2, 5
			},
		},
		{
			name:     "only minzoom",
			metadata: `('format', 'png'), ('minzoom', '3')`,
			want:     func(m *mbtiles.Metadata) { m.MinZoom, m.MaxZoom = 3, 5 },
		},
		{
			name:     "real zooms and center without zoom",
			metadata: `('format', 'png'), ('minzoom', '1.0'), ('maxzoom', ' 7 '), ('center', '2.5, 48')`,
			want: func(m *mbtiles.Metadata) {
				m.MinZoom, m.MaxZoom, m.Center = 1, 7, [3]float64{2.5, 48, 0}
			},
		},
		{
			name:     "format guessed",
			metadata: `('name', 'x')`,
			want:     func(m *mbtiles.Metadata) { m.Name, m.Format, m.MinZoom, m.MaxZoom = "x", "png", 2, 5 },
		},
		{
			name:     "NULL value and unknown keys",
			metadata: `('format', 'png'), ('legend', NULL), ('scheme', 'tms')`,
			want: func(m *mbtiles.Metadata) {
				m.MinZoom, m.MaxZoom = 2, 5
				m.Extra = map[string]string{"legend": "", "scheme": "tms"}
			},
		},
		{name: "non-numeric minzoom", metadata: `('format', 'png'), ('minzoom', 'abc')`, wantErr: `"minzoom"`},
		{name: "negative maxzoom", metadata: `('format', 'png'), ('maxzoom', '-1')`, wantErr: `"maxzoom"`},
		{name: "zooms reversed", metadata: `('format', 'png'), ('minzoom', '6'), ('maxzoom', '2')`, wantErr: "minzoom"},
		{name: "three bounds", metadata: `('format', 'png'), ('bounds', '1,2,3')`, wantErr: `"bounds"`},
		{name: "word in bounds", metadata: `('format', 'png'), ('bounds', '1,2,3,north')`, wantErr: `"bounds"`},
		{name: "bounds in metres", metadata: `('format', 'png'), ('bounds', '-20037508,-20037508,20037508,20037508')`, wantErr: `"bounds"`},
		{name: "bad center", metadata: `('format', 'png'), ('center', '1')`, wantErr: `"center"`},
		{name: "bad json", metadata: `('format', 'pbf'), ('json', '{"vector_layers": [')`, wantErr: `"json"`},
		{name: "unknown format", metadata: `('format', 'gif')`, wantErr: `"format"`},
		{name: "no format, no tiles", metadata: `('name', 'x')`, noTiles: true, wantErr: "no format"},
		{name: "other tile matrix set", metadata: `('format', 'png'), ('tile_matrix_set', 'LAMB93')`, wantErr: "LAMB93"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts := []string{classicSchema, `INSERT INTO metadata VALUES ` + tt.metadata}
			if !tt.noTiles {
				stmts = append(stmts, tiles)
			}
			path := sqlFile(t, stmts...)
			s, err := mbtiles.Open(t.Context(), path, mbtiles.Options{})
			if tt.wantErr != "" {
				if err == nil {
					s.Close()
					t.Fatalf("Open succeeded, want an error mentioning %s", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Errorf("Open error %q does not name %s and the file", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := mbtiles.Metadata{Format: "png"}
			tt.want(&want)
			if got := s.Metadata(); !reflect.DeepEqual(got, want) {
				t.Errorf("Metadata =\n%+v\nwant\n%+v", got, want)
			}
			if lo, hi, ok := s.ZoomRange(); lo != want.MinZoom || hi != want.MaxZoom || !ok {
				t.Errorf("ZoomRange = %d, %d, %v; want %d, %d, true", lo, hi, ok, want.MinZoom, want.MaxZoom)
			}
		})
	}
}

func TestZoomRangeUnknown(t *testing.T) {
	path := sqlFile(t, classicSchema, `INSERT INTO metadata VALUES ('format', 'png')`)
	s := open(t, path, mbtiles.Options{})
	if _, _, ok := s.ZoomRange(); ok {
		t.Error("ZoomRange of a file with no zoom keys and no tiles reports ok")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	real, err := os.ReadFile(worldRGB)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string
		wantIs  error
	}{
		{"missing file", func(*testing.T) string { return filepath.Join(dir, "missing.mbtiles") }, "no such file", fs.ErrNotExist},
		{"directory", func(*testing.T) string { return dir }, "not a regular file", nil},
		{"garbage", func(*testing.T) string {
			return write("garbage.mbtiles", bytes.Repeat([]byte("this is not SQLite "), 300))
		}, "not an SQLite file", nil},
		{"truncated", func(*testing.T) string { return write("truncated.mbtiles", real[:len(real)/2]) }, "truncated or corrupt", nil},
		{"truncated header", func(*testing.T) string { return write("header.mbtiles", real[:50]) }, "", nil},
		{"no tables", func(t *testing.T) string { return sqlFile(t) }, "no tiles table", nil},
		{"no metadata", func(t *testing.T) string {
			return sqlFile(t, `CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)`)
		}, "no metadata table", nil},
		{"no tiles", func(t *testing.T) string { return sqlFile(t, `CREATE TABLE metadata (name, value)`) }, "no tiles table", nil},
		{"tiles without tile_data", func(t *testing.T) string {
			return sqlFile(t, `CREATE TABLE metadata (name, value)`, `CREATE TABLE tiles (zoom_level, tile_column, tile_row, data)`)
		}, "tile_data", nil},
		{"dangling view", func(t *testing.T) string {
			return sqlFile(t, `CREATE TABLE metadata (name, value)`,
				`CREATE TABLE map (zoom_level, tile_column, tile_row, tile_id)`,
				`CREATE TABLE images (tile_data, tile_id)`,
				`CREATE VIEW tiles AS SELECT zoom_level, tile_column, tile_row, tile_data FROM map JOIN images USING (tile_id)`,
				`DROP TABLE images`)
		}, "images", nil},
		{"unknown format", func(t *testing.T) string {
			return sqlFile(t, classicSchema, `INSERT INTO metadata VALUES ('format', 'tiff')`)
		}, `"tiff"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			for _, writable := range []bool{false, true} {
				s, err := mbtiles.Open(t.Context(), path, mbtiles.Options{Writable: writable})
				if err == nil {
					s.Close()
					t.Fatalf("Open(writable=%v) succeeded", writable)
				}
				msg := err.Error()
				t.Logf("writable=%v: %s", writable, msg)
				if !strings.HasPrefix(msg, "mbtiles "+path+": ") || !strings.Contains(msg, tt.wantErr) {
					t.Errorf("Open(writable=%v) error %q: want \"mbtiles %s: ...%s...\"", writable, msg, path, tt.wantErr)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("Open error %v is not %v", err, tt.wantIs)
				}
			}
		})
	}
	// A failed writable open must not have touched a foreign database.
	gpkg := sqlFile(t, `CREATE TABLE gpkg_contents (table_name)`)
	before, _ := os.ReadFile(gpkg)
	if s, err := mbtiles.Open(t.Context(), gpkg, mbtiles.Options{Writable: true}); err == nil {
		s.Close()
		t.Fatal("Open of a non-MBTiles database succeeded")
	}
	if after, _ := os.ReadFile(gpkg); !bytes.Equal(before, after) {
		t.Error("a failed writable Open changed a non-MBTiles file")
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.mbtiles")
	s, err := mbtiles.Create(t.Context(), path, mbtiles.Options{}, mbtiles.Metadata{Format: "png"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := mbtiles.Create(t.Context(), path, mbtiles.Options{}, mbtiles.Metadata{Format: "png"}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over an existing file: %v, want fs.ErrExist", err)
	}
	bad := filepath.Join(dir, "b.mbtiles")
	if _, err := mbtiles.Create(t.Context(), bad, mbtiles.Options{}, mbtiles.Metadata{Format: "bmp"}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Create with format bmp: %v, want an error naming the file", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Create left %s behind", bad)
	}
	if _, err := mbtiles.Create(t.Context(), filepath.Join(dir, "no", "dir.mbtiles"), mbtiles.Options{}, mbtiles.Metadata{Format: "png"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create in a missing directory: %v, want fs.ErrNotExist", err)
	}
}

func TestTileMatrixSetCheck(t *testing.T) {
	lamb93 := &tiling.TileMatrixSet{ID: "LAMB93", Matrices: []tiling.TileMatrix{{ID: "0", MatrixWidth: 1, MatrixHeight: 1}}}
	other := &tiling.TileMatrixSet{ID: "PM", Matrices: []tiling.TileMatrix{{ID: "0", MatrixWidth: 1, MatrixHeight: 1}}}
	s, path := create(t, mbtiles.Options{TileMatrixSet: lamb93}, mbtiles.Metadata{Format: "png"})
	s.Close()
	tests := []struct {
		name   string
		tms    *tiling.TileMatrixSet
		wantOK bool
	}{
		{"same set", lamb93, true},
		{"no set", nil, false},
		{"other set", other, false},
		{"empty set", &tiling.TileMatrixSet{ID: "LAMB93"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mbtiles.Open(t.Context(), path, mbtiles.Options{TileMatrixSet: tt.tms})
			if (err == nil) != tt.wantOK {
				t.Errorf("Open: %v, want ok=%v", err, tt.wantOK)
			}
			if err == nil {
				s.Close()
			}
		})
	}
	// Files that name no set are Web Mercator and open with any set, since
	// IGN's PM and others are Web Mercator under another name.
	if s, err := mbtiles.Open(t.Context(), worldRGB, mbtiles.Options{TileMatrixSet: other}); err != nil {
		t.Errorf("Open of a file without tile_matrix_set: %v", err)
	} else {
		s.Close()
	}
}

func TestNotFoundAndOutOfRange(t *testing.T) {
	two := &tiling.TileMatrixSet{ID: "Two", Matrices: []tiling.TileMatrix{
		{ID: "a", MatrixWidth: 1, MatrixHeight: 1}, {ID: "b", MatrixWidth: 3, MatrixHeight: 2},
	}}
	s, _ := create(t, mbtiles.Options{TileMatrixSet: two}, mbtiles.Metadata{Format: "png", MaxZoom: 1})
	if err := s.Put(t.Context(), tiling.Key{Z: 1, Col: 2, Row: 1}, tiling.Tile{Data: pngData("x")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  tiling.Key
		want error
	}{
		{tiling.Key{Z: 1, Col: 2, Row: 1}, nil},
		{tiling.Key{Z: 1, Col: 2, Row: 0}, tiling.ErrNotFound},
		{tiling.Key{Z: 0}, tiling.ErrNotFound},
		{tiling.Key{Z: 2}, tiling.ErrOutOfRange},
		{tiling.Key{Z: -1}, tiling.ErrOutOfRange},
		{tiling.Key{Z: 1, Col: 3}, tiling.ErrOutOfRange},
		{tiling.Key{Z: 1, Row: 2}, tiling.ErrOutOfRange},
		{tiling.Key{Z: 1, Row: -1}, tiling.ErrOutOfRange},
	}
	for _, tt := range tests {
		_, err := s.Tile(t.Context(), tt.key)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("Tile(%v) = %v, want %v", tt.key, err, tt.want)
		}
		if tt.want == tiling.ErrOutOfRange {
			if err := s.Put(t.Context(), tt.key, tiling.Tile{Data: pngData("x")}); !errors.Is(err, tiling.ErrOutOfRange) {
				t.Errorf("Put(%v) = %v, want ErrOutOfRange", tt.key, err)
			}
		}
	}
	// Without a set, zoom levels are those of WebMercatorQuad.
	w := open(t, worldRGB, mbtiles.Options{})
	for _, k := range []tiling.Key{{Z: 31}, {Z: 1, Col: 2}, {Z: 0, Row: 1}} {
		if _, err := w.Tile(t.Context(), k); !errors.Is(err, tiling.ErrOutOfRange) {
			t.Errorf("Tile(%v) = %v, want ErrOutOfRange", k, err)
		}
	}
	if _, err := w.Tile(t.Context(), tiling.Key{Z: 5}); !errors.Is(err, tiling.ErrNotFound) {
		t.Errorf("Tile(5/0/0) = %v, want ErrNotFound", err)
	}
}

func TestClassicFile(t *testing.T) {
	// A file as GDAL writes it, rows from the bottom.
	path := sqlFile(t, classicSchema,
		`INSERT INTO metadata VALUES ('name', 'classic'), ('format', 'png'), ('minzoom', '0'), ('maxzoom', '2')`,
		`INSERT INTO tiles VALUES (0, 0, 0, x'89504e470d0a1a0a00'), (2, 1, 3, x'89504e470d0a1a0a23')`)
	r := open(t, path, mbtiles.Options{})
	got, err := r.Tile(t.Context(), tiling.Key{Z: 2, Col: 1, Row: 0})
	if err != nil || !bytes.Equal(got.Data, []byte("\x89PNG\r\n\x1a\n\x23")) || got.ContentType != "image/png" {
		t.Errorf("Tile(2/1/0) = %+v, %v; want the tile stored at tile_row 3", got, err)
	}
	if err := r.Put(t.Context(), tiling.Key{}, tiling.Tile{Data: pngData("x")}); !errors.Is(err, mbtiles.ErrReadOnly) {
		t.Errorf("Put on a read-only store = %v, want ErrReadOnly", err)
	}
	if err := r.SetMetadata(t.Context(), r.Metadata()); !errors.Is(err, mbtiles.ErrReadOnly) {
		t.Errorf("SetMetadata on a read-only store = %v, want ErrReadOnly", err)
	}
	if _, err := r.PruneImages(t.Context()); !errors.Is(err, mbtiles.ErrReadOnly) {
		t.Errorf("PruneImages on a read-only store = %v, want ErrReadOnly", err)
	}

	w := open(t, path, mbtiles.Options{Writable: true})
	k := tiling.Key{Z: 2, Col: 3, Row: 1}
	for _, data := range [][]byte{pngData("first"), pngData("second")} {
		if err := w.Put(t.Context(), k, tiling.Tile{Data: data}); err != nil {
			t.Fatal(err)
		}
		got, err := r.Tile(t.Context(), k)
		if err != nil || !bytes.Equal(got.Data, data) {
			t.Errorf("after Put(%q): Tile = %q, %v", data, got.Data, err)
		}
	}
	if n := rawInt(t, path, `SELECT count(*) FROM tiles WHERE zoom_level = 2 AND tile_column = 3 AND tile_row = 2`); n != 1 {
		t.Errorf("%d rows for the replaced tile, want 1", n)
	}
	if n, err := w.PruneImages(t.Context()); n != 0 || err != nil {
		t.Errorf("PruneImages on a classic file = %d, %v; want 0, nil", n, err)
	}
}

func TestForeignView(t *testing.T) {
	// Some writers hide their tables behind a view of their own: readable,
	// not writable.
	path := sqlFile(t, `CREATE TABLE metadata (name, value)`,
		`INSERT INTO metadata VALUES ('format', 'png')`,
		`CREATE TABLE t (z, x, y, d)`,
		`INSERT INTO t VALUES (1, 1, 1, x'89504e470d0a1a0a')`,
		`CREATE VIEW tiles AS SELECT z AS zoom_level, x AS tile_column, y AS tile_row, d AS tile_data FROM t`)
	s := open(t, path, mbtiles.Options{})
	if _, err := s.Tile(t.Context(), tiling.Key{Z: 1, Col: 1, Row: 0}); err != nil {
		t.Errorf("Tile: %v", err)
	}
	if _, err := mbtiles.Open(t.Context(), path, mbtiles.Options{Writable: true}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("writable Open of a custom view = %v, want an error advising read-only", err)
	}
}

func TestPutHonoursContext(t *testing.T) {
	s, _ := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	k := tiling.Key{Z: 1}
	if err := s.Put(ctx, k, tiling.Tile{Data: pngData("x")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v, want context.Canceled", err)
	}
	batch := []mbtiles.KeyTile{{Key: k, Tile: tiling.Tile{Data: pngData("x")}}}
	if err := s.PutBatch(ctx, batch); !errors.Is(err, context.Canceled) {
		t.Errorf("PutBatch with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := s.Tile(t.Context(), k); !errors.Is(err, tiling.ErrNotFound) {
		t.Errorf("Tile after cancelled Puts = %v, want ErrNotFound", err)
	}
	if _, err := s.Tile(ctx, k); !errors.Is(err, context.Canceled) {
		t.Errorf("Tile with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestWorldRGB(t *testing.T) {
	before, err := os.ReadFile(worldRGB)
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, worldRGB, mbtiles.Options{})
	m := s.Metadata()
	if m.Format != "jpg" || m.Name != "world.rgb" || m.Type != "overlay" || m.Bounds != [4]float64{-180, -85.0511287798066036, 180, 85.0511287798066036} {
		t.Errorf("Metadata = %+v", m)
	}
	if lo, hi, ok := s.ZoomRange(); lo != 0 || hi != 1 || !ok {
		t.Errorf("ZoomRange = %d, %d, %v; want 0, 1, true", lo, hi, ok)
	}
	n := 0
	for z := 0; z <= 1; z++ {
		for col := range 1 << z {
			for row := range 1 << z {
				tile, err := s.Tile(t.Context(), tiling.Key{Z: z, Col: col, Row: row})
				if err != nil {
					t.Fatalf("Tile(%d/%d/%d): %v", z, col, row, err)
				}
				if !bytes.HasPrefix(tile.Data, []byte{0xff, 0xd8, 0xff}) || tile.ContentType != "image/jpeg" || tile.ContentEncoding != "" {
					t.Errorf("Tile(%d/%d/%d): %d bytes % x..., %q, %q; want JPEG", z, col, row, len(tile.Data), tile.Data[:4], tile.ContentType, tile.ContentEncoding)
				}
				n++
			}
		}
	}
	if n != 5 {
		t.Errorf("%d tiles, want 5", n)
	}
	s.Close()
	if after, _ := os.ReadFile(worldRGB); !bytes.Equal(before, after) {
		t.Error("a read-only open changed the file")
	}
	if _, err := os.Stat(worldRGB + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a read-only open left a WAL file")
	}
}

func TestCountriesMVT(t *testing.T) {
	s := open(t, countries, mbtiles.Options{})
	m := s.Metadata()
	if m.Format != "pbf" || m.Extra["scheme"] != "tms" || !strings.Contains(m.JSON, `"vector_layers"`) {
		t.Errorf("Metadata = %+v", m)
	}
	ranges, err := s.TileRanges(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := []int{1, 4, 16, 58, 195}
	if len(ranges) != len(wantCounts) {
		t.Errorf("TileRanges has %d zoom levels, want %d", len(ranges), len(wantCounts))
	}
	for z, want := range wantCounts {
		r := ranges[z]
		n := 0
		for col := r.MinCol; col <= r.MaxCol; col++ {
			for row := r.MinRow; row <= r.MaxRow; row++ {
				tile, err := s.Tile(t.Context(), tiling.Key{Z: z, Col: col, Row: row})
				if errors.Is(err, tiling.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if tile.ContentEncoding != "gzip" || tile.ContentType != "application/vnd.mapbox-vector-tile" {
					t.Fatalf("Tile(%d/%d/%d): %q, %q", z, col, row, tile.ContentEncoding, tile.ContentType)
				}
				n++
			}
		}
		if n != want {
			t.Errorf("zoom %d: %d tiles in %+v, want %d", z, n, r, want)
		}
	}

	// The northernmost row with tiles is Row 0 from the top only if the flip
	// is right: at zoom 4 the land reaches 83.6°N, inside the top row.
	if ranges[4].MinRow != 0 {
		t.Errorf("zoom 4 rows start at %d from the top, want 0", ranges[4].MinRow)
	}
	// Antarctica's tiles at the bottom decode as MVT whose layer is named.
	tile, err := s.Tile(t.Context(), tiling.Key{Z: 2, Col: 1, Row: 3})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tile.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("countries")) {
		t.Error("gunzipped tile does not hold the countries layer")
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	w, path := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png", MaxZoom: 4})
	// A second store on the same file, as the server beside a seeder.
	r := open(t, path, mbtiles.Options{})
	ctx := t.Context()
	const z, side, rounds = 4, 16, 20
	data := func(col, row, round int) []byte { return pngData(fmt.Sprintf("%d/%d/%d@%d", z, col, row, round)) }
	var done atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer done.Store(true)
		for round := range rounds {
			batch := make([]mbtiles.KeyTile, 0, side*side)
			for col := range side {
				for row := range side {
					batch = append(batch, mbtiles.KeyTile{Key: tiling.Key{Z: z, Col: col, Row: row}, Tile: tiling.Tile{Data: data(col, row, round)}})
				}
			}
			if err := w.PutBatch(gctx, batch); err != nil {
				return err
			}
			// Single Puts interleave with the batches.
			if err := w.Put(gctx, tiling.Key{Z: 0}, tiling.Tile{Data: pngData(fmt.Sprint(round))}); err != nil {
				return err
			}
		}
		return nil
	})
	var hits atomic.Int64
	for i := range 8 {
		store := r
		if i%2 == 1 {
			store = w // the writer's own read pool
		}
		g.Go(func() error {
			for n := 0; !done.Load() || n < 50; n++ {
				col, row := (n*7+i)%side, (n*3+i)%side
				tile, err := store.Tile(gctx, tiling.Key{Z: z, Col: col, Row: row})
				if errors.Is(err, tiling.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				prefix := fmt.Sprintf("\x89PNG\r\n\x1a\n%d/%d/%d@", z, col, row)
				if !bytes.HasPrefix(tile.Data, []byte(prefix)) {
					return fmt.Errorf("tile %d/%d/%d holds %q", z, col, row, tile.Data)
				}
				hits.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if hits.Load() == 0 {
		t.Error("readers never saw a tile")
	}
	got, err := r.Tile(ctx, tiling.Key{Z: z, Col: 3, Row: 5})
	if err != nil || !bytes.Equal(got.Data, data(3, 5, rounds-1)) {
		t.Errorf("final tile = %q, %v; want the last round", got.Data, err)
	}
	if n := rawInt(t, path, `SELECT count(*) FROM map`); n != side*side+1 {
		t.Errorf("%d map rows, want %d", n, side*side+1)
	}
}

func BenchmarkTile(b *testing.B) {
	s, err := mbtiles.Open(b.Context(), countries, mbtiles.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ranges, err := s.TileRanges(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	var keys []tiling.Key
	for z, r := range ranges {
		for col := r.MinCol; col <= r.MaxCol; col++ {
			for row := r.MinRow; row <= r.MaxRow; row++ {
				k := tiling.Key{Z: z, Col: col, Row: row}
				if _, err := s.Tile(b.Context(), k); err == nil {
					keys = append(keys, k)
				}
			}
		}
	}
	if len(keys) == 0 {
		b.Fatal("no tiles")
	}
	ctx := b.Context()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Tile(ctx, keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
}
