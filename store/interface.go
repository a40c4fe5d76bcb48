// Package store is the indexed feature store: one OGC GeoPackage 1.3 file
// (gpkg_contents, gpkg_geometry_columns, gpkg_spatial_ref_sys, an R-tree
// per table, GeoPackage geometry blobs) opened with mattn/go-sqlite3, so
// the same file opens in QGIS and GDAL. It imports features through
// LayerWriter and answers streamed queries by bounding box (R-tree),
// filter (translated to parameterised SQL, then evaluated exactly where SQL
// cannot), identifiers, sort and paging.
//
// Geometries keep their dimension (XY, XYZ, XYM, XYZM) as go-geom values;
// ToOrb gives the 2D orb view the rest of tuiles works with.
//
// Files written here follow the GeoPackage 1.3 layout GDAL writes (core
// tables, rtree_<table>_<column> with the standard triggers and the
// ST_MinX… functions they call, ISO WKB blobs), so QGIS and GDAL read and
// edit them; files GDAL writes open here. Coordinate transforms of filter
// literals go through PROJ via internal/crs, the project's one CRS path.
package store

import (
	"context"
	"errors"
	"iter"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store/filter"
)

// Errors callers compare with errors.Is.
var (
	// ErrNotFound: no layer (table) of that name.
	ErrNotFound = errors.New("not found")
	// ErrExists: creating a layer that exists without Replace or Append.
	ErrExists = errors.New("layer exists")
)

// Field is one attribute column of a layer.
type Field struct {
	Name     string
	Kind     filter.Kind
	Nullable bool
}

// Layer describes one feature table.
type Layer struct {
	// Name is the table name, also the feature type name.
	Name        string
	Title       string
	Description string
	// IDColumn is the integer primary key (GeoPackage: usually "fid").
	IDColumn string
	// GeometryColumn is the geometry column ("geom").
	GeometryColumn string
	// GeometryType is the GeoPackage geometry type name in upper case:
	// POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING,
	// MULTIPOLYGON, GEOMETRYCOLLECTION or GEOMETRY.
	GeometryType string
	// Layout is the coordinate dimension of the geometries.
	Layout geom.Layout
	// CRS of the geometries, and its GeoPackage srs_id.
	CRS   crs.CRS
	SRSID int
	// Fields in table order, without the id and geometry columns.
	Fields []Field
	// Extent of the geometries in the layer's CRS (easting/northing).
	Extent crs.Bounds
	// LastChange is gpkg_contents.last_change as stored (ISO 8601), which
	// every write of tuiles updates: caches rendered from the table
	// compare it to know they are stale.
	LastChange string
}

// Feature is one row. Properties are aligned with Layer.Fields (or with
// Query.Properties when given); a nil entry is NULL. Values are string,
// int64, float64, bool, time.Time or []byte, by Field.Kind: Date and
// DateTime are time.Time in UTC (a date at midnight); a value the column's
// type cannot explain (SQLite types loosely, e.g. date text that is no
// date) comes back as stored, usually a string.
type Feature struct {
	ID         int64
	Geometry   geom.T // nil when the geometry is NULL
	Properties []any
}

// SortBy orders results by a property (the id column when Property is ""
// or "@id"). Property names resolve as Layer.Schema resolves them; the
// geometry cannot be sorted on.
type SortBy struct {
	Property string
	Desc     bool
}

// Query selects features of one layer. The zero value of each field means
// "no restriction".
type Query struct {
	Layer string
	// BBox in the layer's CRS (easting/northing), through the R-tree:
	// features whose envelope intersects BBox (edges included), tested
	// exactly, not on the R-tree's float32 boxes. Geometry-exact
	// semantics (FES BBOX) are a filter.Spatial's.
	BBox *crs.Bounds
	// Filter is applied exactly: parts SQL can express become a WHERE
	// clause, spatial predicates are then evaluated on each candidate.
	Filter filter.Filter
	IDs    []int64
	SortBy []SortBy
	// Offset and Limit page the result after filtering and sorting;
	// Limit 0 means no limit.
	Offset, Limit int
	// Properties restricts the returned properties (nil: all, in table
	// order; empty: none). Names resolve as Layer.Schema resolves them
	// and must be fields: the id and geometry always come in Feature.ID
	// and Feature.Geometry.
	Properties []string
}

// Source is the read side, which WFS and the renderer depend on. *Store
// implements it; tests may fake it.
type Source interface {
	// Layers lists the feature tables.
	Layers() []Layer
	// Layer describes one table, or returns ErrNotFound.
	Layer(name string) (Layer, error)
	// Features streams the features matching q, in order, holding no more
	// than one row in memory. Iteration stops at the first error, which
	// is yielded; ctx cancellation stops the query.
	Features(ctx context.Context, q Query) iter.Seq2[Feature, error]
	// Count returns how many features match q, ignoring Offset and Limit.
	Count(ctx context.Context, q Query) (int64, error)
}

// WriteMode says what to do when the target layer exists.
type WriteMode int

const (
	// Create fails with ErrExists if the layer exists.
	Create WriteMode = iota
	// Replace drops the existing layer first (in the same transaction).
	Replace
	// Append adds to the existing layer, whose schema must be compatible.
	Append
)
