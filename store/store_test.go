package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

func TestOpenCreatesGeoPackage(t *testing.T) {
	s, path := newStore(t)
	ctx := context.Background()
	var appID, version int64
	var journal string
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := s.wdb.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if appID != 0x47504B47 || version != 10300 || journal != "wal" {
		t.Errorf("application_id %#x, user_version %d, journal %s", appID, version, journal)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT srs_id, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys ORDER BY srs_id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id, code int
		var org, def string
		if err := rows.Scan(&id, &org, &code, &def); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %d", id, org, code))
		if id == 4326 && !strings.HasPrefix(def, `GEOGCS["WGS 84"`) {
			t.Errorf("4326 definition %q", def)
		}
	}
	rows.Close()
	if want := []string{"-1 NONE -1", "0 NONE 0", "4326 EPSG 4326"}; !reflect.DeepEqual(got, want) {
		t.Errorf("spatial refs %v, want %v", got, want)
	}
	for _, table := range []string{"gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions"} {
		if _, ok, err := tableExists(ctx, s.rdb, table); err != nil || !ok {
			t.Errorf("table %s missing (%v)", table, err)
		}
	}
	if len(s.Layers()) != 0 {
		t.Errorf("layers in a new store: %v", s.Layers())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed, the file stands alone: rollback journal, no -wal companion.
	head := make([]byte, 20)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(head); err != nil {
		t.Fatal(err)
	}
	if head[18] != 1 || head[19] != 1 {
		t.Errorf("file format bytes %d %d: still WAL after Close", head[18], head[19])
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("-wal file left behind: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, filepath.Join(dir, "missing.gpkg"), Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only open of a missing file: %v", err)
	}
	// An SQLite database that is not a GeoPackage is refused, not altered.
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite3", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := fileSum(t, other)
	for _, ro := range []bool{false, true} {
		if s, err := Open(ctx, other, Options{ReadOnly: ro}); !errors.Is(err, errNotGeoPackage) {
			t.Errorf("ReadOnly=%v: open of a plain SQLite file: %v", ro, err)
			if s != nil {
				s.Close()
			}
		}
	}
	if fileSum(t, other) != before {
		t.Error("the refused file was modified")
	}
	if _, err := Open(ctx, dir, Options{}); err == nil {
		t.Error("opened a directory")
	}
}

func TestReadOnly(t *testing.T) {
	s, path := newStore(t)
	writeLayer(t, s, Layer{Name: "pts", GeometryType: "POINT", CRS: crs.WGS84}, Create,
		[]Feature{{Geometry: geom.NewPointFlat(geom.XY, []float64{1, 2})}})
	s.Close()
	ro, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Write(context.Background(), Layer{Name: "x"}, Create); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Write on a read-only store: %v", err)
	}
	if n, err := ro.Count(context.Background(), Query{Layer: "pts"}); err != nil || n != 1 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if _, err := ro.Layer("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Layer(nope): %v", err)
	}
}

func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// allKinds is a layer with one field of each kind, plus a NOT NULL one,
// with names that need quoting.
var allKinds = Layer{
	Name:           `Communes "été" 名前`,
	Title:          "Communes",
	Description:    "every kind",
	IDColumn:       "gid",
	GeometryColumn: "the geom",
	GeometryType:   "POINT",
	Layout:         geom.XYZ,
	CRS:            crs.Lambert93,
	Fields: []Field{
		{Name: "nom_département", Kind: filter.String, Nullable: true},
		{Name: "population", Kind: filter.Integer, Nullable: true},
		{Name: "surface", Kind: filter.Real, Nullable: true},
		{Name: "chef-lieu?", Kind: filter.Boolean, Nullable: true},
		{Name: "créée", Kind: filter.Date, Nullable: true},
		{Name: "mise à jour", Kind: filter.DateTime, Nullable: true},
		{Name: `we"ird`, Kind: filter.Binary, Nullable: true},
		{Name: "code", Kind: filter.String},
	},
}

func TestWriteReadRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	paris := time.FixedZone("CET", 3600)
	feats := []Feature{
		{ID: 1000, Geometry: geom.NewPointFlat(geom.XYZ, []float64{652300, 6861300, 35}),
			Properties: []any{"Île-de-France ✓", int64(2161000), 105.4, true,
				time.Date(1790, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, paris),
				[]byte{0, 1, 2, 0xff}, "75056"}},
		{ID: 7, Geometry: nil, Properties: []any{nil, nil, nil, nil, nil, nil, nil, "00000"}},
		// No id: numbered after the highest.
		{Geometry: geom.NewPointEmpty(geom.XYZ), Properties: []any{"", int64(-5), math.Inf(1), false, nil, nil, []byte{}, "x"}},
		// Narrower Go types are accepted.
		{Geometry: geom.NewPointFlat(geom.XYZ, []float64{1, 2, 3}), Properties: []any{"a", int32(3), float32(1.5), false, nil, nil, nil, "y"}},
	}
	writeLayer(t, s, allKinds, Create, feats)

	l, err := s.Layer(allKinds.Name)
	if err != nil {
		t.Fatal(err)
	}
	if l.IDColumn != "gid" || l.GeometryColumn != "the geom" || l.GeometryType != "POINT" || l.Layout != geom.XYZ ||
		l.CRS != crs.Lambert93 || l.SRSID != 2154 || l.Title != "Communes" || l.Description != "every kind" {
		t.Errorf("layer %+v", l)
	}
	if !reflect.DeepEqual(l.Fields, allKinds.Fields) {
		t.Errorf("fields\n got %+v\nwant %+v", l.Fields, allKinds.Fields)
	}
	if want := (crs.Bounds{MinX: 1, MinY: 2, MaxX: 652300, MaxY: 6861300}); l.Extent != want {
		t.Errorf("extent %v, want %v", l.Extent, want)
	}

	got := collect(t, s.Features(context.Background(), Query{Layer: allKinds.Name}))
	if want := []int64{7, 1000, 1001, 1002}; !reflect.DeepEqual(ids(got), want) {
		t.Fatalf("ids %v, want %v", ids(got), want)
	}
	byID := map[int64]Feature{}
	for _, f := range got {
		byID[f.ID] = f
	}
	// Date-times come back in UTC, to the millisecond.
	wantProps := map[int64][]any{
		1000: {"Île-de-France ✓", int64(2161000), 105.4, true,
			time.Date(1790, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 2, 2, 4, 5, 678_000_000, time.UTC),
			[]byte{0, 1, 2, 0xff}, "75056"},
		7:    {nil, nil, nil, nil, nil, nil, nil, "00000"},
		1001: {"", int64(-5), math.Inf(1), false, nil, nil, []byte{}, "x"},
		1002: {"a", int64(3), 1.5, false, nil, nil, nil, "y"},
	}
	for id, want := range wantProps {
		if g := byID[id].Properties; !reflect.DeepEqual(g, want) {
			t.Errorf("feature %d properties\n got %#v\nwant %#v", id, g, want)
		}
	}
	if g := byID[1000].Geometry; g == nil || !reflect.DeepEqual(g.FlatCoords(), []float64{652300, 6861300, 35}) || g.Layout() != geom.XYZ {
		t.Errorf("geometry of 1000: %v", g)
	}
	if byID[7].Geometry != nil {
		t.Errorf("NULL geometry read as %v", byID[7].Geometry)
	}
	if g := byID[1001].Geometry; g == nil || !g.Empty() {
		t.Errorf("empty geometry read as %v", g)
	}
}

// TestWriteGeometryLayouts writes and reads every geometry type in every
// layout, each in a layer of its own type.
func TestWriteGeometryLayouts(t *testing.T) {
	s, _ := newStore(t)
	for i, c := range geometryCases {
		g := mustWKT(t, c)
		typ := strings.Fields(c)[0]
		layout := g.Layout()
		if layout == geom.NoLayout {
			layout = geom.XY
		}
		name := fmt.Sprintf("layer_%02d", i)
		writeLayer(t, s, Layer{Name: name, GeometryType: typ, Layout: layout, CRS: crs.WGS84}, Create,
			[]Feature{{ID: 42, Geometry: g}})
		l, err := s.Layer(name)
		if err != nil {
			t.Fatal(err)
		}
		if l.GeometryType != typ || l.Layout != layout {
			t.Errorf("%s: layer type %s layout %v", c, l.GeometryType, l.Layout)
		}
		fs := collect(t, s.Features(context.Background(), Query{Layer: name}))
		if len(fs) != 1 || fs[0].ID != 42 {
			t.Fatalf("%s: read %v", c, fs)
		}
		if got, want := toWKT(t, fs[0].Geometry), toWKT(t, g); got != want {
			t.Errorf("%s: read %s", want, got)
		}
		checkRTree(t, s, name)
	}
}

func TestWriteModes(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	spec := Layer{Name: "roads", GeometryType: "LINESTRING", CRS: crs.WGS84,
		Fields: []Field{{Name: "name", Kind: filter.String, Nullable: true}, {Name: "lanes", Kind: filter.Real, Nullable: true}}}
	line := func(x float64) geom.T { return geom.NewLineStringFlat(geom.XY, []float64{x, 0, x + 1, 1}) }
	writeLayer(t, s, spec, Create, []Feature{{Geometry: line(0), Properties: []any{"a", 1.0}}})

	if _, err := s.Write(ctx, spec, Create); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	// SQLite table names ignore case, so do existence checks.
	upper := spec
	upper.Name = "ROADS"
	if _, err := s.Write(ctx, upper, Create); !errors.Is(err, ErrExists) {
		t.Fatalf("Create of ROADS over roads: %v", err)
	}

	// Append with the fields reordered and an integer kind into a real.
	app := spec
	app.Fields = []Field{{Name: "lanes", Kind: filter.Integer}, {Name: "name", Kind: filter.String}}
	writeLayer(t, s, app, Append, []Feature{{Geometry: line(10), Properties: []any{int64(2), "b"}}})
	fs := collect(t, s.Features(ctx, Query{Layer: "roads"}))
	if len(fs) != 2 || !reflect.DeepEqual(fs[1].Properties, []any{"b", 2.0}) {
		t.Fatalf("after append: %+v", fs)
	}
	if l, _ := s.Layer("roads"); l.Extent != (crs.Bounds{MinX: 0, MinY: 0, MaxX: 11, MaxY: 1}) {
		t.Errorf("extent after append %v", l.Extent)
	}
	// Append with nil Fields takes the table's.
	writeLayer(t, s, Layer{Name: "roads"}, Append, []Feature{{Geometry: line(20), Properties: []any{"c", nil}}})

	for name, bad := range map[string]Layer{
		"kind":    {Name: "roads", Fields: []Field{{Name: "name", Kind: filter.Integer}}},
		"missing": {Name: "roads", Fields: []Field{{Name: "nope", Kind: filter.String}}},
		"type":    {Name: "roads", GeometryType: "POINT"},
		"layout":  {Name: "roads", Layout: geom.XYZ},
		"crs":     {Name: "roads", CRS: crs.Lambert93},
	} {
		if w, err := s.Write(ctx, bad, Append); err == nil {
			w.Rollback()
			t.Errorf("incompatible append (%s) accepted", name)
		}
	}

	writeLayer(t, s, spec, Replace, []Feature{{Geometry: line(5), Properties: []any{"new", nil}}})
	fs = collect(t, s.Features(ctx, Query{Layer: "roads"}))
	if len(fs) != 1 || fs[0].Properties[0] != "new" || fs[0].ID != 1 {
		t.Fatalf("after replace: %+v", fs)
	}
	// Append to a missing layer creates it.
	writeLayer(t, s, Layer{Name: "fresh", GeometryType: "POINT"}, Append, []Feature{{Geometry: geom.NewPointFlat(geom.XY, []float64{1, 1})}})
	if _, err := s.Layer("fresh"); err != nil {
		t.Fatal(err)
	}
}

func TestWriteValidation(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	spec := Layer{Name: "v", GeometryType: "POINT", Fields: []Field{
		{Name: "n", Kind: filter.Integer, Nullable: true},
		{Name: "req", Kind: filter.String},
	}}
	pt := geom.NewPointFlat(geom.XY, []float64{0, 0})
	tests := []struct {
		name string
		f    Feature
		want []string // substrings of the error
	}{
		{"string into integer", Feature{ID: 12, Geometry: pt, Properties: []any{"12", "x"}}, []string{`"n"`, "feature 12", "string"}},
		{"float into integer", Feature{Geometry: pt, Properties: []any{1.5, "x"}}, []string{`"n"`, "feature #1"}},
		{"count", Feature{Geometry: pt, Properties: []any{int64(1)}}, []string{"1 properties for 2 fields"}},
		{"NOT NULL", Feature{Geometry: pt, Properties: []any{int64(1), nil}}, []string{`"req"`, "NOT NULL"}},
		{"geometry type", Feature{Geometry: geom.NewLineStringFlat(geom.XY, []float64{0, 0, 1, 1}), Properties: []any{nil, "x"}}, []string{"LINESTRING geometry in a POINT layer"}},
		{"layout", Feature{Geometry: geom.NewPointFlat(geom.XYZ, []float64{0, 0, 0}), Properties: []any{nil, "x"}}, []string{"layout"}},
	}
	w, err := s.Write(ctx, spec, Create)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.Add(ctx, tt.f)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, sub := range tt.want {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q lacks %q", err, sub)
				}
			}
		})
	}
	// Duplicate ids are refused by the table.
	if err := w.Add(ctx, Feature{ID: 3, Geometry: pt, Properties: []any{nil, "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, Feature{ID: 3, Geometry: pt, Properties: []any{nil, "b"}}); err == nil || !strings.Contains(err.Error(), "feature 3") {
		t.Errorf("duplicate id: %v", err)
	}
	w.Rollback()

	for name, bad := range map[string]Layer{
		"NUL in table":     {Name: "a\x00b"},
		"NUL in field":     {Name: "ok", Fields: []Field{{Name: "x\x00", Kind: filter.String}}},
		"empty name":       {Name: ""},
		"reserved prefix":  {Name: "gpkg_contents"},
		"sqlite prefix":    {Name: "sqlite_master"},
		"duplicate field":  {Name: "ok", Fields: []Field{{Name: "a", Kind: filter.String}, {Name: "A", Kind: filter.Integer}}},
		"field is id":      {Name: "ok", Fields: []Field{{Name: "FID", Kind: filter.Integer}}},
		"geometry field":   {Name: "ok", Fields: []Field{{Name: "g2", Kind: filter.Geometry}}},
		"geometry type":    {Name: "ok", GeometryType: "CIRCULARSTRING"},
		"non-numeric code": {Name: "ok", CRS: crs.CRS{Authority: "IGNF", Code: "LAMB93"}},
	} {
		if w, err := s.Write(ctx, bad, Create); err == nil {
			w.Rollback()
			t.Errorf("%s: accepted", name)
		}
	}
	if len(s.Layers()) != 0 {
		t.Errorf("failed writes left layers: %v", s.Layers())
	}
}

// TestWriteHostileNames uses names built to break naive SQL: they must be
// stored and read back verbatim.
func TestWriteHostileNames(t *testing.T) {
	s, _ := newStore(t)
	names := []string{`x"; DROP TABLE gpkg_contents; --`, `a"b`, "[brackets]", "`tick`", "'quote'", "sp ace", "ünïcødé"}
	for i, n := range names {
		spec := Layer{Name: n, IDColumn: n + "_id", GeometryColumn: n + "_g", GeometryType: "POINT",
			Fields: []Field{{Name: n, Kind: filter.String, Nullable: true}}}
		writeLayer(t, s, spec, Create, []Feature{{Geometry: geom.NewPointFlat(geom.XY, []float64{float64(i), 0}), Properties: []any{n}}})
	}
	if got := len(s.Layers()); got != len(names) {
		t.Fatalf("%d layers, want %d", got, len(names))
	}
	for i, n := range names {
		fs := collect(t, s.Features(context.Background(), Query{Layer: n, BBox: &crs.Bounds{MinX: float64(i), MaxX: float64(i), MinY: -1, MaxY: 1},
			SortBy: []SortBy{{Property: n}}, Properties: []string{n}}))
		if len(fs) != 1 || fs[0].Properties[0] != n {
			t.Errorf("layer %q: %+v", n, fs)
		}
	}
}

// TestRollbackLeavesFileUnchanged checks, byte for byte, that an abandoned
// import (explicit Rollback, failed Add, cancelled context) leaves the
// database file as it was. The WAL is checkpointed around each attempt so
// that the main file holds everything committed.
func TestRollbackLeavesFileUnchanged(t *testing.T) {
	s, path := newStore(t)
	ctx := context.Background()
	spec := Layer{Name: "pts", GeometryType: "POINT", CRS: crs.WGS84, Fields: []Field{{Name: "n", Kind: filter.Integer}}}
	writeLayer(t, s, spec, Create, []Feature{{Geometry: geom.NewPointFlat(geom.XY, []float64{1, 1}), Properties: []any{int64(1)}}})
	checkpoint := func() {
		t.Helper()
		if _, err := s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
	}
	checkpoint()
	before := fileSum(t, path)
	bigImport := func(ctx context.Context, mode WriteMode, name string) (*LayerWriter, error) {
		sp := spec
		sp.Name = name
		w, err := s.Write(ctx, sp, mode)
		if err != nil {
			return nil, err
		}
		// Enough rows to spill uncommitted pages out of SQLite's cache.
		for i := range 20000 {
			if err := w.Add(ctx, Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{float64(i), 2}), Properties: []any{int64(i)}}); err != nil {
				return w, err
			}
		}
		return w, nil
	}

	t.Run("Rollback", func(t *testing.T) {
		w, err := bigImport(ctx, Replace, "pts")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Rollback(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("failed Add", func(t *testing.T) {
		w, err := bigImport(ctx, Create, "other")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(ctx, Feature{Properties: []any{"not a number"}}); err == nil {
			t.Fatal("bad feature accepted")
		}
		w.Rollback()
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		w, err := bigImport(cctx, Append, "pts")
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := w.Add(cctx, Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{0, 0}), Properties: []any{int64(0)}}); err == nil {
			t.Error("Add after cancel succeeded")
		}
		if err := w.Commit(cctx); err == nil {
			t.Error("Commit after cancel succeeded")
		}
		w.Rollback()
	})
	checkpoint()
	if fileSum(t, path) != before {
		t.Fatal("abandoned imports changed the file")
	}
	if n, err := s.Count(ctx, Query{Layer: "pts"}); err != nil || n != 1 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if len(s.Layers()) != 1 {
		t.Errorf("layers %v", s.Layers())
	}
}

// TestConcurrentWriteWaits checks that a second writer waits for the first
// instead of failing, and that readers see only committed data meanwhile.
func TestConcurrentWriteWaits(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	w1, err := s.Write(ctx, Layer{Name: "a", GeometryType: "POINT"}, Create)
	if err != nil {
		t.Fatal(err)
	}
	if err := w1.Add(ctx, Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{0, 0})}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Layer("a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("uncommitted layer visible: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		w2, err := s.Write(ctx, Layer{Name: "b", GeometryType: "POINT"}, Create)
		if err == nil {
			err = w2.Commit(ctx)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("second writer did not wait: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := w1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(s.Layers()) != 2 {
		t.Errorf("layers %v", s.Layers())
	}
	// A waiting writer gives up with its context.
	w3, err := s.Write(ctx, Layer{Name: "c"}, Create)
	if err != nil {
		t.Fatal(err)
	}
	defer w3.Rollback()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.Write(short, Layer{Name: "d"}, Create); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("blocked Write: %v", err)
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]filter.Kind{
		"INTEGER": filter.Integer, "int": filter.Integer, "MEDIUMINT": filter.Integer, "SMALLINT": filter.Integer,
		"TINYINT": filter.Integer, "BIGINT": filter.Integer, "BOOLEAN": filter.Boolean,
		"REAL": filter.Real, "DOUBLE": filter.Real, "FLOAT": filter.Real, "NUMERIC": filter.Real,
		"TEXT": filter.String, "TEXT(20)": filter.String, "VARCHAR(80)": filter.String,
		"DATE": filter.Date, "DATETIME": filter.DateTime, "BLOB": filter.Binary, "": filter.Binary,
	}
	for decl, want := range tests {
		if got := kindOf(decl); got != want {
			t.Errorf("kindOf(%q) = %v, want %v", decl, got, want)
		}
	}
}

func TestSchema(t *testing.T) {
	sc := allKinds.Schema()
	tests := []struct {
		name string
		col  string
		kind filter.Kind
		ok   bool
	}{
		{"population", "population", filter.Integer, true},
		{"ns:population", "population", filter.Integer, true},
		{"Population", "", 0, false}, // case-sensitive
		{"@id", "gid", filter.Integer, true},
		{"gid", "gid", filter.Integer, true},
		{"the geom", "the geom", filter.Geometry, true},
		{"tuiles:the geom", "the geom", filter.Geometry, true},
		{"nope", "", 0, false},
		{"", "", 0, false},
		{`x" OR 1=1 --`, "", 0, false},
	}
	for _, tt := range tests {
		p, ok := sc.Property(tt.name)
		if ok != tt.ok || (ok && (p.Column != tt.col || p.Kind != tt.kind)) {
			t.Errorf("Property(%q) = %+v, %v", tt.name, p, ok)
		}
	}
	if p, ok := sc.DefaultGeometry(); !ok || p.Column != "the geom" {
		t.Errorf("DefaultGeometry = %+v, %v", p, ok)
	}
	// A column whose name holds a colon resolves as is.
	l := Layer{IDColumn: "fid", GeometryColumn: "geom", Fields: []Field{{Name: "name:fr", Kind: filter.String}, {Name: "fr", Kind: filter.Integer}}}
	if p, ok := l.Schema().Property("name:fr"); !ok || p.Column != "name:fr" {
		t.Errorf("name:fr = %+v, %v", p, ok)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{`a`: `"a"`, `a"b`: `"a""b"`, `""`: `""""""`} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
	if !bytes.Equal([]byte(fileURI("/tmp/a?b#c%d")), []byte("file:/tmp/a%3fb%23c%25d")) {
		t.Errorf("fileURI = %s", fileURI("/tmp/a?b#c%d"))
	}
}

// TestOddFileName opens a store whose path holds URI-reserved characters.
func TestOddFileName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20 d.gpkg")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("store not at its path: %v", err)
	}
}

func TestSpatialRefs(t *testing.T) {
	s, _ := newStore(t)
	tests := []struct {
		spec Layer
		id   int
		crs  crs.CRS
	}{
		{Layer{Name: "none"}, 0, crs.CRS{}},
		{Layer{Name: "cartesian", SRSID: -1}, -1, crs.CRS{}},
		{Layer{Name: "wgs84", CRS: crs.WGS84}, 4326, crs.WGS84},
		{Layer{Name: "crs84", CRS: crs.CRS84}, 4326, crs.WGS84},
		{Layer{Name: "mercator", CRS: crs.WebMercator}, 3857, crs.WebMercator},
		{Layer{Name: "mercator again", CRS: crs.WebMercator, SRSID: 77}, 3857, crs.WebMercator},
		{Layer{Name: "laea", CRS: crs.CRS{Authority: "EPSG", Code: "3035"}, SRSID: 900}, 900, crs.CRS{Authority: "EPSG", Code: "3035"}},
	}
	for _, tt := range tests {
		writeLayer(t, s, tt.spec, Create, nil)
		l, err := s.Layer(tt.spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		if l.SRSID != tt.id || l.CRS != tt.crs {
			t.Errorf("%s: srs_id %d CRS %v, want %d %v", tt.spec.Name, l.SRSID, l.CRS, tt.id, tt.crs)
		}
	}
	var def string
	if err := s.rdb.QueryRow(`SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 3857`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(def, `PROJCS["WGS 84 / Pseudo-Mercator"`) {
		t.Errorf("3857 definition %q", def)
	}
}

// TestReloadSeesOtherWriters opens the same file twice, as the server and
// an import would: the reader sees the new layer after Reload.
func TestReloadSeesOtherWriters(t *testing.T) {
	w, path := newStore(t)
	ctx := context.Background()
	r, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	writeLayer(t, w, Layer{Name: "late", GeometryType: "POINT"}, Create, []Feature{{Geometry: geom.NewPointFlat(geom.XY, []float64{1, 1})}})
	if _, err := r.Layer("late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before Reload: %v", err)
	}
	if err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Count(ctx, Query{Layer: "late"}); err != nil || n != 1 {
		t.Fatalf("Count after Reload = %d, %v", n, err)
	}
}

// checkRTree verifies that the R-tree holds exactly the non-empty
// geometries, each box covering its geometry's envelope.
func checkRTree(t *testing.T, s *Store, layer string) {
	t.Helper()
	ctx := context.Background()
	l, err := s.layer(layer)
	if err != nil {
		t.Fatal(err)
	}
	if l.rtree == "" {
		t.Fatalf("%s has no R-tree", layer)
	}
	boxes := map[int64][4]float64{}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, minx, maxx, miny, maxy FROM `+quote(l.rtree))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var b [4]float64
		if err := rows.Scan(&id, &b[0], &b[1], &b[2], &b[3]); err != nil {
			t.Fatal(err)
		}
		boxes[id] = b
	}
	rows.Close()
	n := 0
	for _, f := range collect(t, s.Features(ctx, Query{Layer: layer, Properties: []string{}})) {
		if f.Geometry == nil || f.Geometry.Empty() {
			if _, ok := boxes[f.ID]; ok {
				t.Errorf("R-tree holds empty feature %d", f.ID)
			}
			continue
		}
		n++
		e := geometryEnvelope(f.Geometry)
		b, ok := boxes[f.ID]
		if !ok {
			t.Errorf("feature %d missing from the R-tree", f.ID)
			continue
		}
		if b[0] > e.minX || b[1] < e.maxX || b[2] > e.minY || b[3] < e.maxY {
			t.Errorf("feature %d: R-tree box %v does not cover %+v", f.ID, b, e)
		}
	}
	if n != len(boxes) {
		t.Errorf("R-tree has %d entries for %d geometries", len(boxes), n)
	}
}

// TestRTreeFollowsEdits edits a layer with plain SQL, as QGIS does: the
// triggers must keep the index right.
func TestRTreeFollowsEdits(t *testing.T) {
	s, _ := randomStore(t, 300)
	ctx := context.Background()
	checkRTree(t, s, "random")
	moved, err := encodeGeometry(geom.NewPointFlat(geom.XY, []float64{170, 80}), 4326)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := encodeGeometry(geom.NewPointEmpty(geom.XY), 4326)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE random SET geom = ? WHERE fid = 10`, []any{moved}},
		{`UPDATE random SET geom = NULL WHERE fid = 11`, nil},
		{`UPDATE random SET geom = ? WHERE fid = 12`, []any{empty}},
		{`UPDATE random SET fid = 5000 WHERE fid = 13`, nil},
		{`DELETE FROM random WHERE fid = 14`, nil},
		{`INSERT INTO random (geom, cat) VALUES (?, 'new')`, []any{moved}},
	} {
		if _, err := s.wdb.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	checkRTree(t, s, "random")
	b := crs.Bounds{MinX: 169, MinY: 79, MaxX: 171, MaxY: 81}
	got := ids(collect(t, s.Features(ctx, Query{Layer: "random", BBox: &b})))
	if !slices.Contains(got, 10) || !slices.Contains(got, 5001) {
		t.Errorf("bbox around the moved features: %v", got)
	}
	// Appending through the store keeps it right too.
	writeLayer(t, s, Layer{Name: "random"}, Append, randomFeatures(50, 99))
	checkRTree(t, s, "random")
}

func TestDrop(t *testing.T) {
	s, _ := newStore(t)
	writeLayer(t, s, allKinds, Create, nil)
	if err := s.Drop(t.Context(), allKinds.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Layer(allKinds.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Drop: %v", err)
	}
	if err := s.Drop(t.Context(), allKinds.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("dropping twice: %v", err)
	}
	// The name is free again.
	writeLayer(t, s, allKinds, Create, nil)
}
