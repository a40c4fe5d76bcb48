package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/internal/crs"
)

// GeoPackage 1.3 file identification (spec §1.1.1.1.1): the SQLite header's
// application_id is "GPKG" and user_version 10300.
const (
	applicationID = 0x47504B47
	userVersion   = 10300
)

// knownApplicationID tells whether id marks a GeoPackage; older ones
// (1.0 "GP10", 1.1 "GP11") open too.
func knownApplicationID(id int64) bool {
	return id == applicationID || id == 0x47503130 || id == 0x47503131
}

// The tables GeoPackage 1.3 requires for vector features, as the spec's
// Annex C defines them (GDAL creates the same).
const coreSchema = `
	CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
		srs_name TEXT NOT NULL,
		srs_id INTEGER NOT NULL PRIMARY KEY,
		organization TEXT NOT NULL,
		organization_coordsys_id INTEGER NOT NULL,
		definition TEXT NOT NULL,
		description TEXT);
	CREATE TABLE IF NOT EXISTS gpkg_contents (
		table_name TEXT NOT NULL PRIMARY KEY,
		data_type TEXT NOT NULL,
		identifier TEXT UNIQUE,
		description TEXT DEFAULT '',
		last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
		min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
		srs_id INTEGER,
		CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
	CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
		table_name TEXT NOT NULL,
		column_name TEXT NOT NULL,
		geometry_type_name TEXT NOT NULL,
		srs_id INTEGER NOT NULL,
		z TINYINT NOT NULL,
		m TINYINT NOT NULL,
		CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
		CONSTRAINT uk_gc_table_name UNIQUE (table_name),
		CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
		CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
	CREATE TABLE IF NOT EXISTS gpkg_extensions (
		table_name TEXT,
		column_name TEXT,
		extension_name TEXT NOT NULL,
		definition TEXT NOT NULL,
		scope TEXT NOT NULL,
		CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));`

const (
	rtreeExtension  = "gpkg_rtree_index"
	rtreeDefinition = "http://www.geopackage.org/spec120/#extension_rtree"
)

// queryer is what *sql.DB, *sql.Conn and *sql.Tx share.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// errNotGeoPackage reports an SQLite file that is not a GeoPackage.
var errNotGeoPackage = errors.New("not a GeoPackage")

// initialise makes the database a GeoPackage: a new (empty) file gets the
// GeoPackage header and core tables; an existing GeoPackage gets whatever
// core table it lacks; any other SQLite database is refused rather than
// altered.
func initialise(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	var tables int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
		return err
	}
	if tables > 0 {
		var hasContents int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'`).Scan(&hasContents); err != nil {
			return err
		}
		if hasContents == 0 {
			return fmt.Errorf("%w: SQLite database without gpkg_contents", errNotGeoPackage)
		}
	} else {
		for _, p := range []string{
			fmt.Sprintf("PRAGMA application_id = %d", applicationID),
			fmt.Sprintf("PRAGMA user_version = %d", userVersion),
		} {
			if _, err := tx.ExecContext(ctx, p); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, coreSchema); err != nil {
		return fmt.Errorf("create GeoPackage tables: %w", err)
	}
	wgs84, err := projWKT(crs.WGS84, wkt1GDAL)
	if err != nil {
		return err
	}
	// The three rows every GeoPackage must have (spec §1.1.2.1.2).
	rows := []struct {
		name  string
		id    int
		org   string
		orgID int
		def   string
		desc  string
	}{
		{"Undefined Cartesian SRS", -1, "NONE", -1, "undefined", "undefined Cartesian coordinate reference system"},
		{"Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"},
		{"WGS 84 geodetic", 4326, "EPSG", 4326, wgs84, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
	}
	extra, err := hasColumn(ctx, tx, "gpkg_spatial_ref_sys", "definition_12_063")
	if err != nil {
		return err
	}
	for _, r := range rows {
		q := `INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)`
		args := []any{r.name, r.id, r.org, r.orgID, r.def, r.desc}
		if extra {
			// GDAL's crs_wkt extension makes this column NOT NULL.
			q = `INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description, definition_12_063) VALUES (?, ?, ?, ?, ?, ?, ?)`
			def2 := "undefined"
			if r.id == 4326 {
				if def2, err = projWKT(crs.WGS84, wkt2015); err != nil {
					return err
				}
			}
			args = append(args, def2)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert spatial reference %d: %w", r.id, err)
		}
	}
	return tx.Commit()
}

// hasColumn tells whether table has a column of that name.
func hasColumn(ctx context.Context, q queryer, table, column string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ? COLLATE NOCASE`, table, column).Scan(&n)
	return n > 0, err
}

// tableExists tells whether a table (any case: SQLite names are
// case-insensitive) exists, and returns its stored name.
func tableExists(ctx context.Context, q queryer, name string) (string, bool, error) {
	var stored string
	err := q.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`, name).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return stored, err == nil, err
}

// ensureSRS returns the srs_id for c, adding a gpkg_spatial_ref_sys row with
// PROJ's WKT if the file has none. The zero CRS maps to the undefined
// geographic system (srs_id 0, as GDAL does for data without a CRS), or to
// the undefined Cartesian one when preferred is -1. GeoPackage coordinates
// are always easting/northing, so OGC:CRS84 is stored as EPSG:4326.
func ensureSRS(ctx context.Context, q queryer, c crs.CRS, preferred int) (int32, error) {
	if c == (crs.CRS{}) {
		if preferred == -1 {
			return -1, nil
		}
		return 0, nil
	}
	if c == crs.CRS84 {
		c = crs.WGS84
	}
	code, err := strconv.ParseInt(c.Code, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: %s has no numeric code, which gpkg_spatial_ref_sys requires", crs.ErrUnknownCRS, c)
	}
	var id int32
	err = q.QueryRowContext(ctx, `SELECT srs_id FROM gpkg_spatial_ref_sys WHERE upper(organization) = ? AND organization_coordsys_id = ? ORDER BY srs_id LIMIT 1`,
		strings.ToUpper(c.Authority), code).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	info, err := crs.Lookup(c)
	if err != nil {
		return 0, err
	}
	wkt1, err := projWKT(c, wkt1GDAL)
	if err != nil {
		return 0, err
	}
	// Prefer the srs_id GDAL would use (the EPSG code), unless taken.
	id = -2
	for _, cand := range []int64{int64(preferred), code} {
		if cand <= 0 || cand > 1<<31-1 {
			continue
		}
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, cand).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			id = int32(cand)
			break
		}
	}
	if id == -2 {
		if err := q.QueryRowContext(ctx, `SELECT max(100000, coalesce(max(srs_id), 0)) + 1 FROM gpkg_spatial_ref_sys`).Scan(&id); err != nil {
			return 0, err
		}
	}
	cols := `srs_name, srs_id, organization, organization_coordsys_id, definition, description`
	vals := `?, ?, ?, ?, ?, ?`
	args := []any{info.Name, id, c.Authority, code, wkt1, ""}
	extra, err := hasColumn(ctx, q, "gpkg_spatial_ref_sys", "definition_12_063")
	if err != nil {
		return 0, err
	}
	if extra {
		wkt2, err := projWKT(c, wkt2015)
		if err != nil {
			return 0, err
		}
		cols += ", definition_12_063"
		vals += ", ?"
		args = append(args, wkt2)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO gpkg_spatial_ref_sys (`+cols+`) VALUES (`+vals+`)`, args...); err != nil {
		return 0, fmt.Errorf("add spatial reference %s: %w", c, err)
	}
	return id, nil
}

// rtreeName is the R-tree table the GeoPackage spec names for a geometry
// column (Annex F.3): rtree_<table>_<column>.
func rtreeName(table, column string) string { return "rtree_" + table + "_" + column }

// createRTree adds the spec's R-tree to a table, indexes the rows already
// there and adds the triggers that keep it right.
func createRTree(ctx context.Context, q queryer, table, id, column string) error {
	if err := createRTreeTable(ctx, q, table, column); err != nil {
		return err
	}
	c := quote(column)
	if _, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO `+quote(rtreeName(table, column))+
		` SELECT `+quote(id)+`, ST_MinX(`+c+`), ST_MaxX(`+c+`), ST_MinY(`+c+`), ST_MaxY(`+c+`) FROM `+quote(table)+
		` WHERE `+c+` NOT NULL AND NOT ST_IsEmpty(`+c+`)`); err != nil {
		return fmt.Errorf("index %s: %w", table, err)
	}
	return createRTreeTriggers(ctx, q, table, id, column)
}

// createRTreeTable creates the R-tree virtual table of a geometry column
// (GeoPackage 1.3 Annex F.3).
func createRTreeTable(ctx context.Context, q queryer, table, column string) error {
	if _, err := q.ExecContext(ctx, `CREATE VIRTUAL TABLE `+quote(rtreeName(table, column))+` USING rtree(id, minx, maxx, miny, maxy)`); err != nil {
		return fmt.Errorf("create R-tree for %s: %w", table, err)
	}
	return nil
}

// createRTreeTriggers adds the triggers of GeoPackage 1.3 (those GDAL 3.6
// writes), which keep the R-tree right through later edits in QGIS or
// GDAL, and registers the extension in gpkg_extensions.
func createRTreeTriggers(ctx context.Context, q queryer, table, id, column string) error {
	rt := rtreeName(table, column)
	t, i, c, r := quote(table), quote(id), quote(column), quote(rt)
	values := fmt.Sprintf(`(NEW.%[1]s, ST_MinX(NEW.%[2]s), ST_MaxX(NEW.%[2]s), ST_MinY(NEW.%[2]s), ST_MaxY(NEW.%[2]s))`, i, c)
	stmts := []string{
		`CREATE TRIGGER ` + quote(rt+"_insert") + ` AFTER INSERT ON ` + t + ` WHEN (NEW.` + c + ` NOT NULL AND NOT ST_IsEmpty(NEW.` + c + `)) BEGIN INSERT OR REPLACE INTO ` + r + ` VALUES ` + values + `; END`,
		`CREATE TRIGGER ` + quote(rt+"_update1") + ` AFTER UPDATE OF ` + c + ` ON ` + t + ` WHEN OLD.` + i + ` = NEW.` + i + ` AND (NEW.` + c + ` NOTNULL AND NOT ST_IsEmpty(NEW.` + c + `)) BEGIN INSERT OR REPLACE INTO ` + r + ` VALUES ` + values + `; END`,
		`CREATE TRIGGER ` + quote(rt+"_update2") + ` AFTER UPDATE OF ` + c + ` ON ` + t + ` WHEN OLD.` + i + ` = NEW.` + i + ` AND (NEW.` + c + ` ISNULL OR ST_IsEmpty(NEW.` + c + `)) BEGIN DELETE FROM ` + r + ` WHERE id = OLD.` + i + `; END`,
		`CREATE TRIGGER ` + quote(rt+"_update3") + ` AFTER UPDATE ON ` + t + ` WHEN OLD.` + i + ` != NEW.` + i + ` AND (NEW.` + c + ` NOTNULL AND NOT ST_IsEmpty(NEW.` + c + `)) BEGIN DELETE FROM ` + r + ` WHERE id = OLD.` + i + `; INSERT OR REPLACE INTO ` + r + ` VALUES ` + values + `; END`,
		`CREATE TRIGGER ` + quote(rt+"_update4") + ` AFTER UPDATE ON ` + t + ` WHEN OLD.` + i + ` != NEW.` + i + ` AND (NEW.` + c + ` ISNULL OR ST_IsEmpty(NEW.` + c + `)) BEGIN DELETE FROM ` + r + ` WHERE id IN (OLD.` + i + `, NEW.` + i + `); END`,
		`CREATE TRIGGER ` + quote(rt+"_delete") + ` AFTER DELETE ON ` + t + ` WHEN OLD.` + c + ` NOT NULL BEGIN DELETE FROM ` + r + ` WHERE id = OLD.` + i + `; END`,
	}
	for _, s := range stmts {
		if _, err := q.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create R-tree triggers for %s: %w", table, err)
		}
	}
	_, err := q.ExecContext(ctx, `INSERT OR REPLACE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES (?, ?, ?, ?, 'write-only')`,
		table, column, rtreeExtension, rtreeDefinition)
	return err
}

// dropLayer removes a feature table with its R-tree and every metadata row
// that names it, including those of GDAL's optional tables.
func dropLayer(ctx context.Context, q queryer, l *layerInfo) error {
	// By name, registered or not: a stale index would block the new one.
	if _, err := q.ExecContext(ctx, `DROP TABLE IF EXISTS `+quote(rtreeName(l.Name, l.GeometryColumn))); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DROP TABLE IF EXISTS `+quote(l.Name)); err != nil {
		return err
	}
	for _, meta := range []string{"gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents", "gpkg_data_columns", "gpkg_metadata_reference", "gpkg_contents"} {
		if _, ok, err := tableExists(ctx, q, meta); err != nil {
			return err
		} else if !ok {
			continue
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM `+meta+` WHERE lower(table_name) = lower(?)`, l.Name); err != nil {
			return fmt.Errorf("drop %s from %s: %w", l.Name, meta, err)
		}
	}
	return nil
}
