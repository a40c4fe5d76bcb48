package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// ErrReadOnly is returned by Write on a store opened with Options.ReadOnly.
var ErrReadOnly = errors.New("store is read-only")

// GeoPackage date and datetime text forms (spec §1.1.1.1.3, Table 1).
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04:05.000Z"
)

// LayerWriter adds features to one layer inside one transaction: nothing
// is visible to readers, and nothing changes in the file, until Commit; an
// error, Rollback or the cancellation of Write's context leaves the store
// as it was. A LayerWriter is not safe for concurrent use; the store runs
// one at a time (a second Write waits for the first to finish).
type LayerWriter struct {
	s      *Store
	tx     *sql.Tx
	layer  Layer
	srsID  int32
	insert *sql.Stmt
	// index, for a new table, adds each feature's envelope to the R-tree
	// straight from Go: the standard triggers, created at Commit, would
	// call back into Go five times a row for what Add already knows.
	index *sql.Stmt
	// newRTree asks Commit to index the table (an Append into a table
	// without an R-tree); Appends into indexed tables go through the
	// triggers.
	newRTree bool
	// triggers asks Commit to add the R-tree triggers (new tables).
	triggers bool
	// before is the layer's extent before this writer (Append).
	before envelope
	extent envelope
	added  int64
	done   bool
}

// Write starts writing the layer spec describes. Empty IDColumn,
// GeometryColumn and GeometryType default to "fid", "geom" and GEOMETRY, a
// zero Layout to XY, a zero CRS to the undefined geographic system (srs_id
// 0, as GDAL writes data without a CRS; SRSID -1 picks the undefined
// Cartesian one). A CRS gets the srs_id the file already has for it, else
// a new row with PROJ's WKT, numbered SRSID when that is free, else the
// EPSG code as GDAL numbers them, else above 100000. For an existing layer,
// mode decides: Create fails with ErrExists, Replace drops it in the same
// transaction, Append checks that spec is compatible (a nil spec.Fields
// means all the table's fields, in table order) and adds to it; Append to
// a missing layer creates it. Layer reports the resolved description.
//
// The caller must end the writer with Commit or Rollback; a deferred
// Rollback after Commit is a no-op.
func (s *Store) Write(ctx context.Context, spec Layer, mode WriteMode) (*LayerWriter, error) {
	if s.wdb == nil {
		return nil, fmt.Errorf("write layer %q: %w", spec.Name, ErrReadOnly)
	}
	if mode != Create && mode != Replace && mode != Append {
		return nil, fmt.Errorf("write layer %q: unknown write mode %d", spec.Name, mode)
	}
	if err := normaliseSpec(&spec); err != nil {
		return nil, fmt.Errorf("write layer %q: %w", spec.Name, err)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("write layer %q: %w", spec.Name, err)
	}
	w := &LayerWriter{s: s, tx: tx}
	if err := w.prepare(ctx, spec, mode); err != nil {
		w.Rollback() //nolint:errcheck // the first error matters
		return nil, fmt.Errorf("write layer %q: %w", spec.Name, err)
	}
	return w, nil
}

// normaliseSpec fills defaults and checks names and types.
func normaliseSpec(l *Layer) error {
	if err := checkName("layer", l.Name); err != nil {
		return err
	}
	lower := strings.ToLower(l.Name)
	if strings.HasPrefix(lower, "gpkg_") || strings.HasPrefix(lower, "sqlite_") || strings.HasPrefix(lower, "rtree_") {
		return fmt.Errorf("%w: layer name %q uses a prefix GeoPackage or SQLite reserve", errBadName, l.Name)
	}
	l.GeometryType = strings.ToUpper(l.GeometryType)
	switch l.GeometryType {
	case "":
		// Filled from the existing layer on Append, else GEOMETRY.
	case "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
	default:
		return fmt.Errorf("unsupported geometry type %q", l.GeometryType)
	}
	if l.Layout > geom.XYZM {
		return fmt.Errorf("unsupported layout %v", l.Layout)
	}
	for _, n := range []struct{ what, name string }{{"id column", l.IDColumn}, {"geometry column", l.GeometryColumn}} {
		if n.name != "" {
			if err := checkName(n.what, n.name); err != nil {
				return err
			}
		}
	}
	seen := map[string]bool{}
	for _, f := range l.Fields {
		if err := checkName("field", f.Name); err != nil {
			return err
		}
		// SQLite column names are case-insensitive.
		key := strings.ToLower(f.Name)
		if seen[key] {
			return fmt.Errorf("%w: duplicate field %q", errBadName, f.Name)
		}
		seen[key] = true
		if _, err := sqlType(f.Kind); err != nil {
			return fmt.Errorf("field %q: %w", f.Name, err)
		}
	}
	return nil
}

func (w *LayerWriter) prepare(ctx context.Context, spec Layer, mode WriteMode) error {
	tx := w.tx
	existing, err := loadLayer(ctx, tx, spec.Name)
	if err != nil {
		return err
	}
	if existing == nil {
		if stored, ok, err := tableExists(ctx, tx, spec.Name); err != nil {
			return err
		} else if ok {
			// Never drop or append to a table that is not a feature layer.
			return fmt.Errorf("%w: table %q is not a feature table", ErrExists, stored)
		}
	}
	switch {
	case existing != nil && mode == Create:
		return ErrExists
	case existing != nil && mode == Replace:
		if err := dropLayer(ctx, tx, existing); err != nil {
			return err
		}
		existing = nil
	case existing != nil && mode == Append:
		return w.prepareAppend(ctx, spec, existing)
	}
	return w.prepareCreate(ctx, spec)
}

func (w *LayerWriter) prepareCreate(ctx context.Context, spec Layer) error {
	tx := w.tx
	spec.IDColumn = cmp.Or(spec.IDColumn, "fid")
	spec.GeometryColumn = cmp.Or(spec.GeometryColumn, "geom")
	spec.GeometryType = cmp.Or(spec.GeometryType, "GEOMETRY")
	if spec.Layout == geom.NoLayout {
		spec.Layout = geom.XY
	}
	if strings.EqualFold(spec.IDColumn, spec.GeometryColumn) {
		return fmt.Errorf("%w: id and geometry columns are both %q", errBadName, spec.IDColumn)
	}
	for _, f := range spec.Fields {
		if strings.EqualFold(f.Name, spec.IDColumn) || strings.EqualFold(f.Name, spec.GeometryColumn) {
			return fmt.Errorf("%w: field %q has the name of the id or geometry column", errBadName, f.Name)
		}
	}
	srsID, err := ensureSRS(ctx, tx, spec.CRS, spec.SRSID)
	if err != nil {
		return err
	}
	spec.SRSID = int(srsID)
	if spec.CRS == crs.CRS84 {
		spec.CRS = crs.WGS84
	}
	cols := []string{quote(spec.IDColumn) + " INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", quote(spec.GeometryColumn) + " " + spec.GeometryType}
	for _, f := range spec.Fields {
		t, _ := sqlType(f.Kind) // checked by normaliseSpec
		c := quote(f.Name) + " " + t
		if !f.Nullable {
			c += " NOT NULL"
		}
		cols = append(cols, c)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE `+quote(spec.Name)+` (`+strings.Join(cols, ", ")+`)`); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	// identifier is UNIQUE across layers: fall back to the table name when
	// another layer already uses the title, and to none (NULL) when that
	// is taken too.
	var ident any
	for _, cand := range []string{spec.Title, spec.Name} {
		if cand == "" {
			continue
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM gpkg_contents WHERE identifier = ?`, cand).Scan(&taken); err != nil {
			return err
		}
		if taken == 0 {
			ident = cand
			break
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, 'features', ?, ?, ?)`,
		spec.Name, ident, spec.Description, srsID); err != nil {
		return fmt.Errorf("register layer: %w", err)
	}
	z, m := 0, 0
	if spec.Layout == geom.XYZ || spec.Layout == geom.XYZM {
		z = 1
	}
	if spec.Layout == geom.XYM || spec.Layout == geom.XYZM {
		m = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?, ?, ?, ?, ?, ?)`,
		spec.Name, spec.GeometryColumn, spec.GeometryType, srsID, z, m); err != nil {
		return fmt.Errorf("register geometry column: %w", err)
	}
	if err := createRTreeTable(ctx, tx, spec.Name, spec.GeometryColumn); err != nil {
		return err
	}
	w.index, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(rtreeName(spec.Name, spec.GeometryColumn))+` VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	w.triggers = true
	spec.Extent = crs.Bounds{}
	w.layer, w.srsID = spec, srsID
	return w.prepareInsert(ctx)
}

func (w *LayerWriter) prepareAppend(ctx context.Context, spec Layer, l *layerInfo) error {
	switch {
	case spec.IDColumn != "" && !strings.EqualFold(spec.IDColumn, l.IDColumn):
		return fmt.Errorf("id column %q is %q in the layer", spec.IDColumn, l.IDColumn)
	case spec.GeometryColumn != "" && !strings.EqualFold(spec.GeometryColumn, l.GeometryColumn):
		return fmt.Errorf("geometry column %q is %q in the layer", spec.GeometryColumn, l.GeometryColumn)
	case spec.GeometryType != "" && l.GeometryType != "GEOMETRY" && spec.GeometryType != l.GeometryType:
		return fmt.Errorf("geometry type %s does not fit the layer's %s", spec.GeometryType, l.GeometryType)
	case spec.Layout != geom.NoLayout && spec.Layout != l.Layout:
		return fmt.Errorf("layout %v differs from the layer's %v", spec.Layout, l.Layout)
	case spec.CRS != (crs.CRS{}) && !sameCRS(spec.CRS, l.CRS):
		return fmt.Errorf("CRS %s differs from the layer's %s", spec.CRS, l.CRS)
	}
	out := l.Layer
	out.Fields = nil
	if spec.GeometryType != "" && spec.GeometryType != "GEOMETRY" {
		out.GeometryType = spec.GeometryType // the narrower type
	}
	if spec.Fields == nil {
		out.Fields = append(out.Fields, l.Fields...)
	}
	used := map[string]bool{}
	for _, f := range spec.Fields {
		i, ok := l.fields[f.Name]
		if !ok {
			for j, g := range l.Fields {
				if strings.EqualFold(g.Name, f.Name) {
					i, ok = j, true
				}
			}
		}
		if !ok {
			return fmt.Errorf("field %q is not in the layer", f.Name)
		}
		have := l.Fields[i]
		if have.Kind != f.Kind && !(have.Kind == filter.Real && f.Kind == filter.Integer) {
			return fmt.Errorf("field %q has kind %s in the layer, %s in the data", f.Name, kindName(have.Kind), kindName(f.Kind))
		}
		used[have.Name] = true
		out.Fields = append(out.Fields, have)
	}
	if spec.Fields != nil {
		for _, f := range l.Fields {
			if !f.Nullable && !used[f.Name] {
				return fmt.Errorf("field %q is NOT NULL in the layer but missing from the data", f.Name)
			}
		}
	}
	w.layer, w.srsID = out, int32(l.SRSID)
	w.newRTree = l.rtree == ""
	if l.Extent != (crs.Bounds{}) {
		w.before = envelope{l.Extent.MinX, l.Extent.MinY, l.Extent.MaxX, l.Extent.MaxY, true}
	} else {
		// No recorded extent: take it from the rows themselves.
		var minX, minY, maxX, maxY sql.NullFloat64
		c := quote(l.GeometryColumn)
		if err := w.tx.QueryRowContext(ctx, `SELECT min(ST_MinX(`+c+`)), min(ST_MinY(`+c+`)), max(ST_MaxX(`+c+`)), max(ST_MaxY(`+c+`)) FROM `+quote(l.Name)).
			Scan(&minX, &minY, &maxX, &maxY); err != nil {
			return err
		}
		w.before = envelope{minX.Float64, minY.Float64, maxX.Float64, maxY.Float64, minX.Valid}
	}
	return w.prepareInsert(ctx)
}

func (w *LayerWriter) prepareInsert(ctx context.Context) error {
	l := w.layer
	cols := []string{quote(l.IDColumn), quote(l.GeometryColumn)}
	marks := []string{"?", "?"}
	for _, f := range l.Fields {
		cols = append(cols, quote(f.Name))
		marks = append(marks, "?")
	}
	st, err := w.tx.PrepareContext(ctx, `INSERT INTO `+quote(l.Name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return err
	}
	w.insert = st
	return nil
}

// Layer describes the layer being written: defaults filled, srs_id
// resolved, and on Append the table's own names and field order that
// Add's Properties must follow.
func (w *LayerWriter) Layer() Layer {
	l := w.layer
	l.Fields = append([]Field(nil), l.Fields...)
	return l
}

// Add inserts one feature. f.ID is kept when non-zero (it must be unique in
// the layer), else the table numbers the feature. f.Properties must align
// with Layer().Fields, each value of its field's kind: string (String),
// any Go integer (Integer; Real also takes integers), float64 or float32
// (Real), bool (Boolean), time.Time (Date, DateTime: stored in UTC),
// []byte (Binary), or nil for NULL in a nullable field. f.Geometry must fit
// the layer's geometry type and layout; nil stores NULL.
func (w *LayerWriter) Add(ctx context.Context, f Feature) error {
	if w.done {
		return errors.New("add to a finished LayerWriter")
	}
	who := "feature #" + strconv.FormatInt(w.added+1, 10)
	if f.ID != 0 {
		who = "feature " + strconv.FormatInt(f.ID, 10)
	}
	if len(f.Properties) != len(w.layer.Fields) {
		return fmt.Errorf("%s: %d properties for %d fields of layer %q", who, len(f.Properties), len(w.layer.Fields), w.layer.Name)
	}
	args := make([]any, 2, 2+len(f.Properties))
	if f.ID != 0 {
		args[0] = f.ID
	}
	if f.Geometry != nil {
		if err := checkGeometry(f.Geometry, w.layer.GeometryType, w.layer.Layout, 0); err != nil {
			return fmt.Errorf("%s: %w", who, err)
		}
		blob, err := encodeGeometry(f.Geometry, w.srsID)
		if err != nil {
			return fmt.Errorf("%s: %w", who, err)
		}
		args[1] = blob
	}
	for i, fd := range w.layer.Fields {
		v, err := bindValue(fd, f.Properties[i])
		if err != nil {
			return fmt.Errorf("%s: %w", who, err)
		}
		args = append(args, v)
	}
	res, err := w.insert.ExecContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", who, err)
	}
	if f.Geometry != nil {
		e := geometryEnvelope(f.Geometry)
		w.extent.union(e)
		if w.index != nil && e.ok {
			id := f.ID
			if id == 0 {
				if id, err = res.LastInsertId(); err != nil {
					return fmt.Errorf("%s: %w", who, err)
				}
			}
			if _, err := w.index.ExecContext(ctx, id, e.minX, e.maxX, e.minY, e.maxY); err != nil {
				return fmt.Errorf("%s: index: %w", who, err)
			}
		}
	}
	w.added++
	return nil
}

// checkGeometry verifies that g fits a column of type typ and layout.
// Empty geometries fit any layout (an empty collection has none).
func checkGeometry(g geom.T, typ string, layout geom.Layout, depth int) error {
	if depth > maxWKBDepth {
		return fmt.Errorf("geometry nested deeper than %d", maxWKBDepth)
	}
	var name string
	switch g.(type) {
	case *geom.Point:
		name = "POINT"
	case *geom.LineString:
		name = "LINESTRING"
	case *geom.Polygon:
		name = "POLYGON"
	case *geom.MultiPoint:
		name = "MULTIPOINT"
	case *geom.MultiLineString:
		name = "MULTILINESTRING"
	case *geom.MultiPolygon:
		name = "MULTIPOLYGON"
	case *geom.GeometryCollection:
		name = "GEOMETRYCOLLECTION"
	default:
		return fmt.Errorf("unsupported geometry %T", g)
	}
	// GEOMETRYCOLLECTION columns take its subtypes, the multi geometries.
	fits := typ == "GEOMETRY" || typ == name || (typ == "GEOMETRYCOLLECTION" && strings.HasPrefix(name, "MULTI"))
	if !fits {
		return fmt.Errorf("%s geometry in a %s layer", name, typ)
	}
	if !g.Empty() && g.Layout() != layout {
		return fmt.Errorf("%s geometry has layout %v, the layer %v", name, g.Layout(), layout)
	}
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for _, m := range gc.Geoms() {
			if err := checkGeometry(m, "GEOMETRY", layout, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// bindValue turns a property into the value stored in f's column.
func bindValue(f Field, v any) (any, error) {
	if v == nil {
		if !f.Nullable {
			return nil, fmt.Errorf("field %q is NOT NULL", f.Name)
		}
		return nil, nil
	}
	bad := func() error {
		return fmt.Errorf("field %q (%s) cannot hold %T %s", f.Name, kindName(f.Kind), v, shortValue(v))
	}
	switch f.Kind {
	case filter.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case filter.Integer:
		if i, ok := toInt64(v); ok {
			return i, nil
		}
	case filter.Real:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		if i, ok := toInt64(v); ok {
			return float64(i), nil
		}
	case filter.Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case filter.Date:
		if t, ok := v.(time.Time); ok {
			return t.Format(dateLayout), nil
		}
	case filter.DateTime:
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format(dateTimeLayout), nil
		}
	case filter.Binary:
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	}
	return nil, bad()
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// shortValue renders v for an error message, cut so that a huge value
// does not flood the log.
func shortValue(v any) string {
	s := fmt.Sprintf("%q", fmt.Sprint(v))
	if len(s) > 40 {
		cut := 37
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func kindName(k filter.Kind) string {
	switch k {
	case filter.String:
		return "string"
	case filter.Integer:
		return "integer"
	case filter.Real:
		return "real"
	case filter.Boolean:
		return "boolean"
	case filter.Date:
		return "date"
	case filter.DateTime:
		return "datetime"
	case filter.Binary:
		return "binary"
	case filter.Geometry:
		return "geometry"
	}
	return "kind " + strconv.Itoa(int(k))
}

// Commit indexes the layer if needed, records its extent and last change in
// gpkg_contents, and commits: readers see the whole import at once.
func (w *LayerWriter) Commit(ctx context.Context) error {
	if w.done {
		return errors.New("commit of a finished LayerWriter")
	}
	err := w.finish(ctx)
	if err != nil {
		w.Rollback() //nolint:errcheck // the first error matters
		return fmt.Errorf("commit layer %q: %w", w.layer.Name, err)
	}
	// The data is committed whatever happens to ctx now.
	if err := w.s.Reload(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("layer %q committed: %w", w.layer.Name, err)
	}
	return nil
}

func (w *LayerWriter) finish(ctx context.Context) error {
	l := w.layer
	if err := w.closeStmts(); err != nil {
		return err
	}
	switch {
	case w.newRTree:
		if err := createRTree(ctx, w.tx, l.Name, l.IDColumn, l.GeometryColumn); err != nil {
			return err
		}
	case w.triggers:
		if err := createRTreeTriggers(ctx, w.tx, l.Name, l.IDColumn, l.GeometryColumn); err != nil {
			return err
		}
	}
	e := w.before
	e.union(w.extent)
	var args []any
	if e.ok {
		args = []any{e.minX, e.minY, e.maxX, e.maxY}
	} else {
		args = []any{nil, nil, nil, nil}
	}
	args = append(args, l.Name)
	if _, err := w.tx.ExecContext(ctx, `UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?,
		last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = ?`, args...); err != nil {
		return err
	}
	w.done = true
	return w.tx.Commit()
}

// Rollback abandons the writer's changes. It returns nil when the writer
// already finished (committed, rolled back, or its context was cancelled).
func (w *LayerWriter) Rollback() error {
	if w.done {
		return nil
	}
	w.done = true
	w.closeStmts() //nolint:errcheck // the rollback discards them anyway
	if err := w.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

func (w *LayerWriter) closeStmts() error {
	var err error
	for _, st := range []*sql.Stmt{w.insert, w.index} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	w.insert, w.index = nil, nil
	return err
}

// sameCRS compares CRSs as GeoPackage stores them (CRS84 as EPSG:4326).
func sameCRS(a, b crs.CRS) bool {
	if a == crs.CRS84 {
		a = crs.WGS84
	}
	if b == crs.CRS84 {
		b = crs.WGS84
	}
	return a == b
}

// Drop removes a feature layer with its R-tree and metadata, in one
// transaction; ErrNotFound when there is no such layer.
func (s *Store) Drop(ctx context.Context, name string) error {
	if s.wdb == nil {
		return fmt.Errorf("drop layer %q: %w", name, ErrReadOnly)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("drop layer %q: %w", name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	l, err := loadLayer(ctx, tx, name)
	if err != nil {
		return fmt.Errorf("drop layer %q: %w", name, err)
	}
	if l == nil {
		return fmt.Errorf("drop layer %q: %w", name, ErrNotFound)
	}
	if err := dropLayer(ctx, tx, l); err != nil {
		return fmt.Errorf("drop layer %q: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("drop layer %q: %w", name, err)
	}
	return s.Reload(context.WithoutCancel(ctx))
}
