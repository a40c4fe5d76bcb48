// Package tiling holds the tile model shared by every tile service: tile
// matrix sets (OGC 17-083r4, the 2D Tile Matrix Set standard), the tile math
// that maps tiles to ground coordinates and back, the typed tile key, and the
// contracts that tile caches and tile providers fulfil.
//
// Rows are always counted from the top of a tile matrix here (the OGC and
// XYZ convention). The bottom-origin row of TMS and MBTiles is converted only
// in tiling/mbtiles and ogc/tms.
package tiling

import (
	"context"
	"errors"
	"time"
)

// Key names one tile of one layer. It is built from a parsed request and is
// comparable, so it can key maps and singleflight groups directly.
type Key struct {
	Layer         string
	TileMatrixSet string
	// Z is the index of the tile matrix inside its set (0 = coarsest), not
	// the matrix identifier, which may be any string.
	Z      int
	Col    int
	Row    int // from the top of the matrix
	Format string
	Style  string
}

// Tile is one encoded tile as stored in a cache.
type Tile struct {
	Data []byte
	// ContentType is the media type of Data once decoded from
	// ContentEncoding (image/png, application/vnd.mapbox-vector-tile, ...).
	ContentType string
	// ContentEncoding is "gzip" when Data is stored compressed (as MBTiles
	// stores most vector tiles), "" otherwise.
	ContentEncoding string
	// ETag is a strong entity tag (with its quotes) derived from Data.
	ETag    string
	ModTime time.Time
}

// Errors shared by providers and caches. Protocol packages map them to their
// own exceptions in one place; callers compare with errors.Is.
var (
	// ErrNotFound means the tile is valid for the layer but no data is
	// stored for it.
	ErrNotFound = errors.New("tile not found")
	// ErrOutOfRange means the tile lies outside the tile matrix, or outside
	// the layer's limits.
	ErrOutOfRange = errors.New("tile out of range")
)

// Provider gives tiles. Implementations are safe for concurrent use. The
// returned Tile's Data must not be modified by the caller.
type Provider interface {
	// Tile returns the tile for k, ErrNotFound when there is none, or
	// another error when the storage failed. It honours ctx cancellation.
	Tile(ctx context.Context, k Key) (Tile, error)
}

// Cache is a Provider that also stores tiles. One Cache holds the tiles of
// one layer in one tile matrix set and one format.
type Cache interface {
	Provider
	// Put stores t.Data for k, replacing any previous tile. Safe for
	// concurrent use; writers are serialised inside the cache.
	Put(ctx context.Context, k Key, t Tile) error
	// Close releases the cache. No method may be called after Close.
	Close() error
}
