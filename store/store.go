package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// Options configure Open. The zero value opens read-write with defaults.
type Options struct {
	// ReadOnly opens the file without write access (it must exist);
	// Write then fails.
	ReadOnly bool
	// Logger receives warnings about tables the store skips; nil discards.
	Logger *slog.Logger
	// MaxReaders bounds the concurrent read connections (queries being
	// streamed at once); 0 means max(4, GOMAXPROCS).
	MaxReaders int
	// Observe, when set, is told about every feature query (Features,
	// Count) once it ends, for metrics.
	Observe func(QueryStats)
}

// QueryStats describe one query of the store.
type QueryStats struct {
	// Table is the layer queried.
	Table string
	// Rows counts the features yielded (Features) or counted (Count).
	Rows int64
	// Elapsed runs from the query's start to its last row; since rows
	// stream to the caller, it includes the caller's work between rows.
	Elapsed time.Duration
	Err     error
}

// Store is one GeoPackage file. Its methods are safe for concurrent use:
// reads go through a pool of read connections, and writes through a single
// write connection, so one LayerWriter runs at a time (others wait) while
// reads go on against the last committed state (WAL journal).
type Store struct {
	path string
	log  *slog.Logger
	// observe receives query statistics (Options.Observe); may be nil.
	observe func(QueryStats)
	rdb     *sql.DB // read pool
	wdb     *sql.DB // single write connection; nil when read-only
	layers  atomic.Pointer[layerSet]
	// reloadMu serialises Reload: two commits reloading concurrently must
	// not let the older read of the layer list be stored last.
	reloadMu sync.Mutex
	// transformers caches PROJ transformations for filter literals, keyed
	// by [2]crs.CRS{from, to}.
	transformers sync.Map
}

var _ Source = (*Store)(nil)

// layerSet is an immutable snapshot of the layer list, swapped whole after
// each commit so that readers never see a half-updated list.
type layerSet struct {
	list   []*layerInfo
	byName map[string]*layerInfo
}

// layerInfo is a Layer plus what queries need and callers do not.
type layerInfo struct {
	Layer
	// rtree is the R-tree table of the geometry column, "" when the table
	// has none (queries then test envelopes without an index).
	rtree string
	// fields maps field names to their index in Fields.
	fields map[string]int
}

// Open opens (or, unless opts.ReadOnly, creates) the GeoPackage at path and
// reads its layer list. A new file is a valid, empty GeoPackage 1.3. Close
// the Store when done.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	s := &Store{path: path, log: opts.Logger, observe: opts.Observe}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	readers := opts.MaxReaders
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	uri := fileURI(path)
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		s.rdb = openDB(newConnector(uri+"?mode=ro&_busy_timeout=5000&_stmt_cache_size=64"), readers)
	} else {
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("open store %s: is a directory", path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open store: %w", err)
		}
		// _txlock=immediate takes the write lock at BEGIN, so a writer
		// never fails half-way upgrading a read lock; WAL (below) lets
		// readers go on during an import.
		s.wdb = openDB(newConnector(uri+"?_busy_timeout=10000&_txlock=immediate&_synchronous=NORMAL&_cache_size=-65536&_stmt_cache_size=16"), 1)
		err := initialise(ctx, s.wdb)
		if err == nil {
			// Only now that the file is known to be a GeoPackage: the
			// journal mode is stored in the file.
			_, err = s.wdb.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
		}
		if err != nil {
			s.wdb.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		s.rdb = openDB(newConnector(uri+"?_busy_timeout=5000&_query_only=1&_stmt_cache_size=64"), readers)
	}
	if err := s.check(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.Reload(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// check verifies that the file is a GeoPackage before anything reads it.
func (s *Store) check(ctx context.Context) error {
	var id int64
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&id); err != nil {
		return err
	}
	_, ok, err := tableExists(ctx, s.rdb, "gpkg_contents")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no gpkg_contents table", errNotGeoPackage)
	}
	if !knownApplicationID(id) {
		s.log.Warn("store: SQLite application_id is not GeoPackage's; reading it anyway", "path", s.path, "application_id", id)
	}
	return nil
}

// Close releases the connections. Streams still being iterated fail. A
// writable store goes back to a rollback journal when no other process has
// it open, so the file is self-contained (no -wal/-shm companions) for
// copying and read-only media.
func (s *Store) Close() error {
	err := s.rdb.Close()
	if s.wdb != nil {
		ctx := context.Background()
		// Best effort: with other readers around, keep WAL rather than wait.
		if _, e := s.wdb.ExecContext(ctx, `PRAGMA busy_timeout = 100`); e == nil {
			if _, e := s.wdb.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); e != nil {
				s.log.Debug("store: journal stays WAL", "path", s.path, "err", e)
			}
		}
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// Layers lists the feature tables by name. The slice and its Layers are
// copies the caller may keep.
func (s *Store) Layers() []Layer {
	set := s.layers.Load()
	out := make([]Layer, len(set.list))
	for i, l := range set.list {
		out[i] = l.copy()
	}
	return out
}

// Layer describes one table (name as stored, case-sensitive), or returns
// an error wrapping ErrNotFound.
func (s *Store) Layer(name string) (Layer, error) {
	l, err := s.layer(name)
	if err != nil {
		return Layer{}, err
	}
	return l.copy(), nil
}

func (s *Store) layer(name string) (*layerInfo, error) {
	if l, ok := s.layers.Load().byName[name]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("layer %q: %w", name, ErrNotFound)
}

func (l *layerInfo) copy() Layer {
	c := l.Layer
	c.Fields = slices.Clone(l.Fields)
	return c
}

// Reload re-reads the layer list from the file, for tables another process
// (an import, QGIS) added or changed since Open. Writes through this Store
// reload by themselves.
func (s *Store) Reload(ctx context.Context) error {
	// Through the read pool: a writer's open transaction does not block
	// it, and in WAL mode a new read sees every commit before it.
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	set, err := loadLayers(ctx, s.rdb, s.log)
	if err != nil {
		return fmt.Errorf("read layers of %s: %w", s.path, err)
	}
	s.layers.Store(set)
	return nil
}

// loadLayers reads gpkg_contents, gpkg_geometry_columns and each table's
// columns. Tables that break the GeoPackage rules are skipped with a
// warning rather than failing the whole store.
func loadLayers(ctx context.Context, db queryer, log *slog.Logger) (*layerSet, error) {
	infos, err := queryLayers(ctx, db, "")
	if err != nil {
		return nil, err
	}
	set := &layerSet{byName: make(map[string]*layerInfo, len(infos))}
	for _, l := range infos {
		if err := describeTable(ctx, db, l); err != nil {
			log.Warn("store: skipping table", "table", l.Name, "err", err)
			continue
		}
		set.list = append(set.list, l)
		set.byName[l.Name] = l
	}
	slices.SortFunc(set.list, func(a, b *layerInfo) int { return cmp.Compare(a.Name, b.Name) })
	return set, nil
}

// loadLayer reads one feature layer (name matched as SQLite does, ignoring
// case); it returns nil when there is none.
func loadLayer(ctx context.Context, db queryer, name string) (*layerInfo, error) {
	infos, err := queryLayers(ctx, db, name)
	if err != nil || len(infos) == 0 {
		return nil, err
	}
	if err := describeTable(ctx, db, infos[0]); err != nil {
		return nil, fmt.Errorf("layer %q: %w", infos[0].Name, err)
	}
	return infos[0], nil
}

// queryLayers reads the metadata of the feature layers, or of the one
// named (when name is not "").
func queryLayers(ctx context.Context, db queryer, name string) ([]*layerInfo, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name, coalesce(c.identifier, ''), coalesce(c.description, ''),
		       c.min_x, c.min_y, c.max_x, c.max_y, coalesce(c.last_change, ''),
		       g.column_name, upper(g.geometry_type_name), g.srs_id, g.z, g.m,
		       coalesce(upper(s.organization), ''), coalesce(s.organization_coordsys_id, 0)
		FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
		WHERE c.data_type = 'features' AND (? = '' OR c.table_name = ? COLLATE NOCASE)
		ORDER BY c.table_name`, name, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var infos []*layerInfo
	for rows.Next() {
		var (
			l                      layerInfo
			minX, minY, maxX, maxY sql.NullFloat64
			z, m                   int
			org                    string
			orgID                  int64
		)
		if err := rows.Scan(&l.Name, &l.Title, &l.Description, &minX, &minY, &maxX, &maxY, &l.LastChange,
			&l.GeometryColumn, &l.GeometryType, &l.SRSID, &z, &m, &org, &orgID); err != nil {
			return nil, err
		}
		if minX.Valid && minY.Valid && maxX.Valid && maxY.Valid {
			l.Extent = crs.Bounds{MinX: minX.Float64, MinY: minY.Float64, MaxX: maxX.Float64, MaxY: maxY.Float64}
		}
		if org != "" && org != "NONE" {
			l.CRS = crs.CRS{Authority: org, Code: strconv.FormatInt(orgID, 10)}
		}
		l.Layout = layoutOf(z > 0, m > 0)
		infos = append(infos, &l)
	}
	return infos, rows.Err()
}

// describeTable fills the id column, fields, R-tree and, when
// gpkg_contents lacks it, the extent.
func describeTable(ctx context.Context, db queryer, l *layerInfo) error {
	rows, err := db.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, l.Name)
	if err != nil {
		return err
	}
	var pks int
	geomFound := false
	for rows.Next() {
		var (
			name, typ   string
			notNull, pk int
		)
		if err := rows.Scan(&name, &typ, &notNull, &pk); err != nil {
			rows.Close()
			return err
		}
		switch {
		case pk > 0:
			pks++
			if strings.EqualFold(typ, "INTEGER") {
				l.IDColumn = name
			}
		case strings.EqualFold(name, l.GeometryColumn):
			l.GeometryColumn = name // the table's spelling
			geomFound = true
		default:
			l.Fields = append(l.Fields, Field{Name: name, Kind: kindOf(typ), Nullable: notNull == 0})
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	switch {
	case len(l.Fields) == 0 && l.IDColumn == "" && !geomFound:
		return errors.New("no such table")
	case pks != 1 || l.IDColumn == "":
		return errors.New("no INTEGER PRIMARY KEY column")
	case !geomFound:
		return fmt.Errorf("no geometry column %q", l.GeometryColumn)
	}
	l.fields = make(map[string]int, len(l.Fields))
	for i, f := range l.Fields {
		l.fields[f.Name] = i
	}
	rt := rtreeName(l.Name, l.GeometryColumn)
	var n int
	if err := db.QueryRowContext(ctx, `
		SELECT count(*) FROM sqlite_master m, gpkg_extensions e
		WHERE m.type = 'table' AND m.name = ? COLLATE NOCASE
		  AND lower(e.table_name) = lower(?) AND lower(e.column_name) = lower(?) AND e.extension_name = ?`,
		rt, l.Name, l.GeometryColumn, rtreeExtension).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		l.rtree = rt
		if l.Extent == (crs.Bounds{}) {
			var minX, minY, maxX, maxY sql.NullFloat64
			if err := db.QueryRowContext(ctx, `SELECT min(minx), min(miny), max(maxx), max(maxy) FROM `+quote(rt)).Scan(&minX, &minY, &maxX, &maxY); err != nil {
				return err
			}
			if minX.Valid {
				l.Extent = crs.Bounds{MinX: minX.Float64, MinY: minY.Float64, MaxX: maxX.Float64, MaxY: maxY.Float64}
			}
		}
	}
	return nil
}

func layoutOf(z, m bool) geom.Layout {
	switch {
	case z && m:
		return geom.XYZM
	case z:
		return geom.XYZ
	case m:
		return geom.XYM
	}
	return geom.XY
}

// kindOf maps a declared column type to a Kind: the GeoPackage type names
// first (spec Table 1), then SQLite's affinity rules for whatever else
// other tools declare.
func kindOf(decl string) filter.Kind {
	t := strings.ToUpper(strings.TrimSpace(decl))
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i]) // TEXT(20), VARCHAR(80)
	}
	switch t {
	case "BOOLEAN":
		return filter.Boolean
	case "INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT":
		return filter.Integer
	case "REAL", "DOUBLE", "FLOAT":
		return filter.Real
	case "TEXT":
		return filter.String
	case "DATE":
		return filter.Date
	case "DATETIME", "TIMESTAMP":
		return filter.DateTime
	case "BLOB", "", "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
		return filter.Binary
	}
	switch {
	case strings.Contains(t, "INT"):
		return filter.Integer
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return filter.String
	case strings.Contains(t, "BLOB"):
		return filter.Binary
	}
	return filter.Real
}

// sqlType is the GeoPackage column type written for a Kind.
func sqlType(k filter.Kind) (string, error) {
	switch k {
	case filter.String:
		return "TEXT", nil
	case filter.Integer:
		return "INTEGER", nil
	case filter.Real:
		return "REAL", nil
	case filter.Boolean:
		return "BOOLEAN", nil
	case filter.Date:
		return "DATE", nil
	case filter.DateTime:
		return "DATETIME", nil
	case filter.Binary:
		return "BLOB", nil
	}
	return "", fmt.Errorf("field kind %d cannot be stored as an attribute", k)
}
