// Package mbtiles keeps tiles in MBTiles 1.3 files (SQLite databases): the
// caches tuiles fills and the prebuilt tile sets it serves.
//
// # Rows
//
// MBTiles counts tile_row from the bottom of the matrix (TMS order), while
// tiling.Key counts rows from the top. The flip, tile_row = MatrixHeight(z)-1-Row,
// happens here and nowhere else in the tile path, with the matrix heights of
// Options.TileMatrixSet (2^z when it is nil). A few tools write the
// non-standard key scheme=xyz for files already in top-origin order; it is
// honoured so those files are not served upside down.
//
// # Layouts
//
// Create writes the deduplicated layout that mbutil and tippecanoe also
// write: a map table (zoom_level, tile_column, tile_row, tile_id), an images
// table (tile_data, tile_id) and a tiles view joining them, so any MBTiles
// reader can read it. tile_id is the hex SHA-256 of the tile, so identical
// tiles (blank ocean, empty vector tiles) are stored once. Open reads that
// layout, the classic one with a plain tiles table, and any other tiles view;
// it writes to the first two.
//
// # Metadata
//
// The metadata table holds the MBTiles 1.3 keys (name, format, bounds,
// center, minzoom, maxzoom, attribution, description, type, version, json)
// and one key of tuiles:
//
//	tile_matrix_set   the OGC identifier of the tile matrix set of the tiles,
//	                  e.g. "LAMB93" or "WorldCRS84Quad". Absent means
//	                  WebMercatorQuad, the only set the MBTiles specification
//	                  knows.
//
// MBTiles cannot otherwise say that its tiles are not Web Mercator, so every
// cache in another set names it there, and Open refuses a file whose set
// differs from Options.TileMatrixSet rather than serving Lambert-93 tiles as
// Web Mercator ones. Bounds stay WGS84 longitude/latitude whatever the set,
// as the specification requires.
//
// # Concurrency
//
// A Store is safe for concurrent use. Reads go through a pool of read-only
// connections; writes through a single connection in WAL journal mode, so
// readers, including those of other processes such as a seeder running beside
// the server, do not wait for the writer, and writers are serialised. A busy
// timeout absorbs the short locks SQLite still takes. Read-only stores never
// use SQLite's immutable flag, because another process may be writing.
package mbtiles

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuiles/tuiles/tiling"
)

// ErrReadOnly is returned by the writing methods of a Store opened without
// Options.Writable.
var ErrReadOnly = errors.New("store is read-only")

// Options configures Open and Create. The zero value opens a Web Mercator
// file read-only.
type Options struct {
	// TileMatrixSet gives the matrix heights needed to flip rows. Nil means
	// a WebMercatorQuad-like set with 2^z × 2^z tiles at zoom z.
	TileMatrixSet *tiling.TileMatrixSet
	// Writable opens the file for Put and SetMetadata (Create implies it).
	Writable bool
	// MaxReaders bounds the read connections; 0 means
	// max(4, GOMAXPROCS).
	MaxReaders int
	// Logger receives one line per open; nil discards.
	Logger *slog.Logger
}

// KeyTile is one tile to store with PutBatch.
type KeyTile struct {
	Key  tiling.Key
	Tile tiling.Tile
}

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection (often another process) before failing with SQLITE_BUSY. WAL
// keeps such waits short; 5 s covers a checkpoint or a large seeding batch.
const busyTimeoutMS = 5000

// webMercatorQuad is the set an MBTiles file is in when it does not say.
const webMercatorQuad = "WebMercatorQuad"

// applicationID is "MPBX", the SQLite application_id MBTiles 1.3 suggests,
// so file(1) and others recognise the files Create writes.
const applicationID = 0x4d504258

// layout is how the tiles table is stored.
type layout int

const (
	layoutClassic layout = iota // tiles is a table
	layoutDedup                 // tiles is a view over map and images
	layoutOther                 // tiles is a view over tables this package does not know
)

func (l layout) String() string {
	switch l {
	case layoutClassic:
		return "classic"
	case layoutDedup:
		return "deduplicated"
	}
	return "custom view"
}

// schema is the deduplicated layout Create writes. Every reader of MBTiles
// reads the tiles view; the unique indexes make Put's lookups and the
// images deduplication cheap.
const schema = `
CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
CREATE UNIQUE INDEX metadata_name ON metadata (name);
CREATE TABLE map (
	zoom_level INTEGER NOT NULL,
	tile_column INTEGER NOT NULL,
	tile_row INTEGER NOT NULL,
	tile_id TEXT NOT NULL,
	rendered_at INTEGER
);
CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
CREATE TABLE images (tile_data BLOB NOT NULL, tile_id TEXT NOT NULL PRIMARY KEY);
CREATE VIEW tiles AS
	SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,
		map.tile_row AS tile_row, images.tile_data AS tile_data
	FROM map JOIN images ON images.tile_id = map.tile_id;
`

// The compiler checks the contract here, not in a caller's build.
var _ tiling.Cache = (*Store)(nil)

// Store is one MBTiles file. It implements tiling.Cache.
type Store struct {
	path   string
	logger *slog.Logger
	tms    *tiling.TileMatrixSet
	layout layout
	// flip is false only for files that declare scheme=xyz.
	flip       bool
	maxReaders int

	rdb *sql.DB // pool of read-only connections
	wdb *sql.DB // the single writer connection; nil when read-only

	selectTile *sql.Stmt
	// Writer statements, nil when read-only.
	insertImage, deleteTile, insertTile *sql.Stmt

	state   atomic.Pointer[metaState]
	modTime atomic.Int64 // Unix nanoseconds

	closeOnce sync.Once
	closeErr  error
}

// metaState is replaced as a whole by SetMetadata, so readers see a
// consistent format and content type without a lock.
type metaState struct {
	meta        Metadata
	contentType string
	zoomKnown   bool
}

// Open opens an existing MBTiles file, read-only unless opts.Writable. It
// reads the schema, the metadata and one tile, so a missing, truncated or
// foreign file fails here rather than on the first request. A missing file
// gives an error matching fs.ErrNotExist.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", path, unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("mbtiles %s: not a regular file", path)
	}
	s := newStore(path, opts)
	s.modTime.Store(fi.ModTime().UnixNano())
	if err := s.openReaders(ctx); err != nil {
		return nil, errors.Join(err, s.closeDBs())
	}
	if opts.Writable {
		// The writer comes after the checks so that a file that is not
		// MBTiles is not switched to WAL.
		if err := s.openWriter(ctx); err != nil {
			return nil, errors.Join(err, s.closeDBs())
		}
		if err := s.prepareWriter(ctx); err != nil {
			return nil, errors.Join(err, s.closeDBs())
		}
	}
	s.logOpen("opened MBTiles")
	return s, nil
}

// Create makes a new MBTiles file with the deduplicated layout and meta,
// and opens it writable. It fails with an error matching fs.ErrExist when
// the file exists, so an existing cache is never overwritten. meta.Format
// is required; an empty Name defaults to the file name, and an empty
// TileMatrixSet to opts.TileMatrixSet's identifier.
func Create(ctx context.Context, path string, opts Options, meta Metadata) (_ *Store, err error) {
	meta = meta.clone()
	if meta.Name == "" {
		meta.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if meta.TileMatrixSet == "" && opts.TileMatrixSet != nil {
		meta.TileMatrixSet = opts.TileMatrixSet.ID
	}
	pairs, err := meta.pairs()
	if err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", path, err)
	}
	if err := checkTileMatrixSet(opts.TileMatrixSet, meta.TileMatrixSet); err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", path, err)
	}
	// O_EXCL makes creation atomic: two seeders cannot both create the file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", path, unwrapPathError(err))
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("mbtiles %s: %w", path, unwrapPathError(err))
	}
	opts.Writable = true
	s := newStore(path, opts)
	defer func() {
		if err != nil {
			err = errors.Join(err, s.closeDBs())
			// A half-made file would make the next Create fail with
			// ErrExist and Open fail on the schema.
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				_ = os.Remove(path + suffix)
			}
		}
	}()
	if err := s.openWriter(ctx); err != nil {
		return nil, err
	}
	if err := s.createSchema(ctx, pairs); err != nil {
		return nil, err
	}
	if err := s.openReaders(ctx); err != nil {
		return nil, err
	}
	if err := s.prepareWriter(ctx); err != nil {
		return nil, err
	}
	s.modTime.Store(time.Now().UnixNano())
	s.logOpen("created MBTiles")
	return s, nil
}

// Tile returns the tile at k. Key fields other than Z, Col and Row are not
// looked at: a Store holds one layer, set and format. It returns
// tiling.ErrNotFound (unwrapped, since misses are routine) when the file has
// no such tile, and an error wrapping tiling.ErrOutOfRange when k lies
// outside the tile matrix set. ModTime is the file's modification time at
// open, or the time of this Store's last Put: writes by other processes do
// not move it, but they change the ETag, which conditional requests check
// first.
func (s *Store) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	row, err := s.storedRow(k)
	if err != nil {
		return tiling.Tile{}, err
	}
	var data []byte
	err = s.selectTile.QueryRowContext(ctx, k.Z, k.Col, row).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return tiling.Tile{}, tiling.ErrNotFound
	}
	if err != nil {
		return tiling.Tile{}, s.errorf("reading tile %d/%d/%d: %w", k.Z, k.Col, k.Row, err)
	}
	t := tiling.Tile{
		Data:        data,
		ContentType: s.state.Load().contentType,
		ETag:        etag(data),
		ModTime:     time.Unix(0, s.modTime.Load()),
	}
	if isGzip(data) {
		t.ContentEncoding = "gzip"
	}
	return t, nil
}

// etag is a strong entity tag: 128 bits of SHA-256 identify content well
// enough and keep headers short.
func etag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// Put stores t.Data at k, replacing any tile there. The bytes are stored as
// given: vector tiles are expected gzipped, as MBTiles readers expect.
// It fails with ErrReadOnly on a read-only store.
func (s *Store) Put(ctx context.Context, k tiling.Key, t tiling.Tile) error {
	return s.PutBatch(ctx, []KeyTile{{Key: k, Tile: t}})
}

// PutBatch stores tiles in one transaction, which is what makes seeding
// fast: SQLite syncs once per transaction, not once per tile. Either all
// tiles are stored or none. ctx is checked between tiles.
func (s *Store) PutBatch(ctx context.Context, tiles []KeyTile) error {
	if s.wdb == nil {
		return s.errorf("%w", ErrReadOnly)
	}
	type item struct {
		z, col, row int
		data        []byte
		id          string
	}
	// Hashing and validation happen before taking the writer, so callers
	// do them in parallel.
	items := make([]item, len(tiles))
	for i, kt := range tiles {
		row, err := s.storedRow(kt.Key)
		if err != nil {
			return s.errorf("storing tile: %w", err)
		}
		data := kt.Tile.Data
		if data == nil {
			data = []byte{} // tile_data is NOT NULL
		}
		it := item{z: kt.Key.Z, col: kt.Key.Col, row: row, data: data}
		if s.layout == layoutDedup {
			sum := sha256.Sum256(data)
			it.id = hex.EncodeToString(sum[:])
		}
		items[i] = it
	}
	if len(items) == 0 {
		return nil
	}
	now := time.Now().Unix() // map.rendered_at, for tuiles seed --refresh older-than
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("storing tiles: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	del := tx.StmtContext(ctx, s.deleteTile)
	ins := tx.StmtContext(ctx, s.insertTile)
	var img *sql.Stmt
	if s.layout == layoutDedup {
		img = tx.StmtContext(ctx, s.insertImage)
	}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return s.errorf("storing tiles: %w", err)
		}
		if _, err := del.ExecContext(ctx, it.z, it.col, it.row); err != nil {
			return s.errorf("storing tile zoom_level %d, tile_column %d, tile_row %d: %w", it.z, it.col, it.row, err)
		}
		if img != nil {
			if _, err := img.ExecContext(ctx, it.data, it.id); err != nil {
				return s.errorf("storing tile zoom_level %d, tile_column %d, tile_row %d: %w", it.z, it.col, it.row, err)
			}
			_, err = ins.ExecContext(ctx, it.z, it.col, it.row, it.id, now)
		} else {
			_, err = ins.ExecContext(ctx, it.z, it.col, it.row, it.data)
		}
		if err != nil {
			return s.errorf("storing tile zoom_level %d, tile_column %d, tile_row %d: %w", it.z, it.col, it.row, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("storing tiles: %w", err)
	}
	s.modTime.Store(time.Now().UnixNano())
	return nil
}

// PruneImages deletes the images no tile refers to any more, which Put
// leaves behind when it replaces a tile (checking at every Put would slow
// seeding). It returns how many were deleted; classic files have none.
func (s *Store) PruneImages(ctx context.Context) (int64, error) {
	if s.wdb == nil {
		return 0, s.errorf("%w", ErrReadOnly)
	}
	if s.layout != layoutDedup {
		return 0, nil
	}
	res, err := s.wdb.ExecContext(ctx,
		`DELETE FROM images WHERE tile_id NOT IN (SELECT tile_id FROM map WHERE tile_id IS NOT NULL)`)
	if err != nil {
		return 0, s.errorf("pruning images: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.errorf("pruning images: %w", err)
	}
	return n, nil
}

// Vacuum prunes unreferenced images, then rebuilds the file to give the
// freed pages back to the file system. It rewrites the whole file, so it is
// a maintenance command, not something to run while seeding.
func (s *Store) Vacuum(ctx context.Context) error {
	if _, err := s.PruneImages(ctx); err != nil {
		return err
	}
	if _, err := s.wdb.ExecContext(ctx, `VACUUM`); err != nil {
		return s.errorf("vacuum: %w", err)
	}
	return nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Metadata returns the metadata read at open or last set with SetMetadata,
// with the zoom range and format filled in as described on Metadata. The
// caller owns the returned value.
func (s *Store) Metadata() Metadata { return s.state.Load().meta.clone() }

// ZoomRange is the zoom range of the metadata, or of the tiles when the
// metadata lacks it. ok is false for a file with neither.
func (s *Store) ZoomRange() (minZoom, maxZoom int, ok bool) {
	st := s.state.Load()
	return st.meta.MinZoom, st.meta.MaxZoom, st.zoomKnown
}

// SetMetadata replaces the whole metadata table with m (Extra included; to
// change one key, start from Metadata()). It cannot change the scheme key's
// row order, which would turn the stored tiles upside down.
func (s *Store) SetMetadata(ctx context.Context, m Metadata) error {
	if s.wdb == nil {
		return s.errorf("%w", ErrReadOnly)
	}
	m = m.clone()
	pairs, err := m.pairs()
	if err != nil {
		return s.errorf("%w", err)
	}
	ct, err := contentType(m.Format)
	if err != nil {
		return s.errorf("%w", err)
	}
	if err := checkTileMatrixSet(s.tms, m.TileMatrixSet); err != nil {
		return s.errorf("%w", err)
	}
	if rowsFromTop(m) == s.flip {
		return s.errorf("metadata scheme %q would change the row order of the stored tiles", m.Extra[keyScheme])
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("writing metadata: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM metadata`); err != nil {
		return s.errorf("writing metadata: %w", err)
	}
	if err := insertMetadata(ctx, tx, pairs); err != nil {
		return s.errorf("writing metadata: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("writing metadata: %w", err)
	}
	s.state.Store(&metaState{meta: m, contentType: ct, zoomKnown: true})
	return nil
}

// TileRanges returns, for each zoom level that has tiles, the columns and
// rows (from the top) they span. It reads the whole tile index, so callers
// use it once, when the metadata has no bounds.
func (s *Store) TileRanges(ctx context.Context) (map[int]tiling.TileRange, error) {
	rows, err := s.rdb.QueryContext(ctx,
		`SELECT zoom_level, min(tile_column), max(tile_column), min(tile_row), max(tile_row)
		 FROM `+s.indexTable()+` GROUP BY zoom_level`)
	if err != nil {
		return nil, s.errorf("reading tile ranges: %w", err)
	}
	defer rows.Close()
	out := map[int]tiling.TileRange{}
	for rows.Next() {
		var z, minCol, maxCol, minRow, maxRow int
		if err := rows.Scan(&z, &minCol, &maxCol, &minRow, &maxRow); err != nil {
			return nil, s.errorf("reading tile ranges: %w", err)
		}
		_, h, ok := s.matrixSize(z)
		if !ok {
			return nil, s.errorf("tiles at zoom level %d, which the tile matrix set does not have", z)
		}
		if s.flip {
			minRow, maxRow = h-1-maxRow, h-1-minRow
		}
		out[z] = tiling.TileRange{MinCol: minCol, MinRow: minRow, MaxCol: maxCol, MaxRow: maxRow}
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("reading tile ranges: %w", err)
	}
	return out, nil
}

// Close releases the connections. The writer closes last: the last
// connection to close checkpoints the WAL back into the file, and only a
// writer can.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.closeDBs() })
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.selectTile, s.insertImage, s.deleteTile, s.insertTile} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return s.errorf("closing: %w", err)
	}
	return nil
}
