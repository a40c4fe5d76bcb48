// Package store is the indexed feature store: one OGC GeoPackage 1.3 file
// (gpkg_contents, gpkg_geometry_columns, gpkg_spatial_ref_sys, an R-tree
// per table, GeoPackage geometry blobs) opened with mattn/go-sqlite3, so
// the same file opens in QGIS and GDAL. It imports features through
// LayerWriter and answers streamed queries by bounding box (R-tree),
// filter (translated to parameterised SQL, then evaluated exactly where SQL
// cannot), identifiers, sort and paging.
//
// Geometries keep their dimension (XY, XYZ, XYM, XYZM) as go-geom values.
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
}

// Feature is one row. Properties are aligned with Layer.Fields (or with
// Query.Properties when given); a nil entry is NULL. Values are string,
// int64, float64, bool, time.Time or []byte.
type Feature struct {
	ID         int64
	Geometry   geom.T // nil when the geometry is NULL
	Properties []any
}

// SortBy orders results by a property (the id column when Property is "").
type SortBy struct {
	Property string
	Desc     bool
}

// Query selects features of one layer. The zero value of each field means
// "no restriction".
type Query struct {
	Layer string
	// BBox in the layer's CRS (easting/northing), through the R-tree.
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
	// order).
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
