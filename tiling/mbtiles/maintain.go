package mbtiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // tiles Verify decodes
	_ "image/png"
	"io"
	"iter"
	"time"

	"github.com/tuiles/tuiles/tiling"
)

// ZoomStats counts the tiles of one zoom level.
type ZoomStats struct {
	Tiles int64
	Bytes int64
}

// Stats counts tiles and their bytes per zoom level (bytes as stored: a
// deduplicated image counts once per tile that uses it).
func (s *Store) Stats(ctx context.Context) (map[int]ZoomStats, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT zoom_level, count(*), coalesce(sum(length(tile_data)), 0) FROM tiles GROUP BY zoom_level`)
	if err != nil {
		return nil, s.errorf("counting tiles: %w", err)
	}
	defer rows.Close()
	out := map[int]ZoomStats{}
	for rows.Next() {
		var z int
		var st ZoomStats
		if err := rows.Scan(&z, &st.Tiles, &st.Bytes); err != nil {
			return nil, s.errorf("counting tiles: %w", err)
		}
		out[z] = st
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("counting tiles: %w", err)
	}
	return out, nil
}

// Problem is one fault Verify found.
type Problem struct {
	// Z, Col, Row locate a tile (Row from the top); Z is -1 for a fault of
	// the file itself.
	Z, Col, Row int
	Msg         string
}

func (p Problem) String() string {
	if p.Z < 0 {
		return p.Msg
	}
	return fmt.Sprintf("tile %d/%d/%d: %s", p.Z, p.Col, p.Row, p.Msg)
}

// maxProblems bounds Verify's report: past it, a cache is broken enough.
const maxProblems = 100

// Verify checks the file: SQLite's integrity check, tiles outside their
// tile matrix, and tile data that does not decode in the file's format
// (PNG and JPEG headers, gzip streams of vector tiles). It reads every
// tile. The report stops at 100 problems.
func (s *Store) Verify(ctx context.Context) ([]Problem, error) {
	var out []Problem
	add := func(p Problem) bool {
		out = append(out, p)
		return len(out) < maxProblems
	}
	rows, err := s.rdb.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, s.errorf("integrity check: %w", err)
	}
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return nil, s.errorf("integrity check: %w", err)
		}
		if msg != "ok" {
			add(Problem{Z: -1, Msg: "SQLite: " + msg})
		}
	}
	rows.Close()
	if s.layout == layoutDedup {
		var orphans int64
		err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM map LEFT JOIN images ON images.tile_id = map.tile_id WHERE images.tile_id IS NULL`).Scan(&orphans)
		if err != nil {
			return nil, s.errorf("checking the map table: %w", err)
		}
		if orphans > 0 {
			add(Problem{Z: -1, Msg: fmt.Sprintf("%d map rows name no image", orphans)})
		}
	}
	format := s.state.Load().meta.Format
	rows, err = s.rdb.QueryContext(ctx, `SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles`)
	if err != nil {
		return nil, s.errorf("reading tiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var z, col, stored int
		var data []byte
		if err := rows.Scan(&z, &col, &stored, &data); err != nil {
			return nil, s.errorf("reading tiles: %w", err)
		}
		row := stored
		w, h, ok := s.matrixSize(z)
		if ok && s.flip {
			row = h - 1 - stored
		}
		var msg string
		switch {
		case !ok || col < 0 || col >= w || stored < 0 || stored >= h:
			msg = "outside the tile matrix set"
		default:
			msg = checkTileData(format, data)
		}
		if msg != "" && !add(Problem{Z: z, Col: col, Row: row, Msg: msg}) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return out, s.errorf("reading tiles: %w", err)
	}
	return out, nil
}

// checkTileData returns what is wrong with a tile's data, or "".
func checkTileData(format string, data []byte) string {
	if len(data) == 0 {
		return "empty tile data"
	}
	switch format {
	case "png", "jpg", "jpeg", "image/png", "image/jpeg":
		cfg, f, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "does not decode as an image: " + err.Error()
		}
		if f != "png" && f != "jpeg" || cfg.Width <= 0 || cfg.Height <= 0 {
			return fmt.Sprintf("a %s image of %dx%d pixels in a %s cache", f, cfg.Width, cfg.Height, format)
		}
		// Read the whole image: a truncated tile passes DecodeConfig.
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			return "truncated or damaged image: " + err.Error()
		}
	case "pbf", "mvt":
		if isGzip(data) {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return "damaged gzip stream: " + err.Error()
			}
			if _, err := io.Copy(io.Discard, zr); err != nil {
				return "damaged gzip stream: " + err.Error()
			}
		}
	}
	return ""
}

// Delete removes the tiles of zoom z in r (rows from the top) and returns
// how many there were; images no tile uses any more are removed too.
func (s *Store) Delete(ctx context.Context, z int, r tiling.TileRange) (int64, error) {
	if s.wdb == nil {
		return 0, s.errorf("%w", ErrReadOnly)
	}
	_, h, ok := s.matrixSize(z)
	if !ok {
		return 0, fmt.Errorf("%w: no zoom level %d", tiling.ErrOutOfRange, z)
	}
	lo, hi := r.MinRow, r.MaxRow
	if s.flip {
		lo, hi = h-1-r.MaxRow, h-1-r.MinRow
	}
	table := "tiles"
	if s.layout == layoutDedup {
		table = "map"
	}
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM `+table+` WHERE zoom_level = ? AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?`,
		z, r.MinCol, r.MaxCol, lo, hi)
	if err != nil {
		return 0, s.errorf("deleting tiles: %w", err)
	}
	n, _ := res.RowsAffected()
	if s.layout == layoutDedup && n > 0 {
		if _, err := s.PruneImages(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Truncate removes every tile (and image), keeping the metadata.
func (s *Store) Truncate(ctx context.Context) (int64, error) {
	if s.wdb == nil {
		return 0, s.errorf("%w", ErrReadOnly)
	}
	table := "tiles"
	if s.layout == layoutDedup {
		table = "map"
	}
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM `+table)
	if err != nil {
		return 0, s.errorf("truncating: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.PruneImages(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// All reads every tile, rows counted from the top, in no particular
// order; iteration stops at the first error, which is yielded.
func (s *Store) All(ctx context.Context) iter.Seq2[KeyTile, error] {
	return func(yield func(KeyTile, error) bool) {
		rows, err := s.rdb.QueryContext(ctx, `SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles`)
		if err != nil {
			yield(KeyTile{}, s.errorf("reading tiles: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var z, col, row int
			var data []byte
			if err := rows.Scan(&z, &col, &row, &data); err != nil {
				yield(KeyTile{}, s.errorf("reading tiles: %w", err))
				return
			}
			if _, h, ok := s.matrixSize(z); ok && s.flip {
				row = h - 1 - row
			}
			t := tiling.Tile{Data: data}
			if isGzip(data) {
				t.ContentEncoding = "gzip"
			}
			if !yield(KeyTile{Key: tiling.Key{Z: z, Col: col, Row: row}, Tile: t}, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(KeyTile{}, s.errorf("reading tiles: %w", err))
		}
	}
}

func hasColumnMap(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('map') WHERE name = 'rendered_at'`).Scan(&n)
	return n > 0, err
}

// RenderedAt returns when tile k was stored, for caches that record it
// (those tuiles writes); ok is false when the tile is missing, and the
// time is zero when the cache does not know it.
func (s *Store) RenderedAt(ctx context.Context, k tiling.Key) (t time.Time, ok bool, err error) {
	row, err := s.storedRow(k)
	if err != nil {
		return time.Time{}, false, err
	}
	if s.layout != layoutDedup {
		_, err := s.Tile(ctx, k)
		switch {
		case err == nil:
			return time.Time{}, true, nil
		case errors.Is(err, tiling.ErrNotFound):
			return time.Time{}, false, nil
		}
		return time.Time{}, false, err
	}
	var at sql.NullInt64
	err = s.rdb.QueryRowContext(ctx, `SELECT rendered_at FROM map WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`, k.Z, k.Col, row).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		// A file made elsewhere may lack the column: the time is unknown.
		if _, terr := s.Tile(ctx, k); terr == nil {
			return time.Time{}, true, nil
		}
		return time.Time{}, false, s.errorf("reading tile time: %w", err)
	case !at.Valid:
		return time.Time{}, true, nil
	}
	return time.Unix(at.Int64, 0), true, nil
}
