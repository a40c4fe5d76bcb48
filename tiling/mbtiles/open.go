package mbtiles

// This file holds what Open and Create share: connections, schema checks,
// metadata loading and the row arithmetic.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strings"

	// Importing the driver registers it as "sqlite3".
	"github.com/mattn/go-sqlite3"

	"github.com/tuiles/tuiles/tiling"
)

func newStore(path string, opts Options) *Store {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{path: path, logger: logger, tms: opts.TileMatrixSet, flip: true, maxReaders: opts.MaxReaders}
}

// dsn builds a mattn/go-sqlite3 URI filename. The path is escaped because
// SQLite decodes %XX and stops at '?' and '#' in URIs.
func dsn(path, mode string, writer bool) string {
	q := url.Values{}
	q.Set("mode", mode)
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMS))
	if writer {
		q.Set("_journal_mode", "WAL")
		// NORMAL is safe from corruption in WAL mode; a power cut may only
		// lose the last transactions, which a cache can re-render.
		q.Set("_synchronous", "NORMAL")
		// BEGIN IMMEDIATE takes the write lock at once, so two writing
		// processes wait on the busy timeout instead of deadlocking when a
		// read transaction tries to upgrade.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// openReaders opens the read pool, checks the file is MBTiles and loads the
// metadata.
func (s *Store) openReaders(ctx context.Context) error {
	rdb, err := sql.Open("sqlite3", dsn(s.path, "ro", false))
	if err != nil {
		return s.errorf("opening: %w", err)
	}
	s.rdb = rdb
	n := s.maxReaders
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	rdb.SetMaxOpenConns(n)
	// Keeping every connection idle keeps its prepared statement and page
	// cache warm.
	rdb.SetMaxIdleConns(n)

	if err := s.detectLayout(ctx); err != nil {
		return err
	}
	s.selectTile, err = rdb.PrepareContext(ctx,
		`SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`)
	if err != nil {
		return s.errorf("tiles table or view unusable: %w%s", err, hint(err))
	}
	// Reading one tile touches the tables behind the tiles view, so a
	// dangling view or a truncated file fails now.
	var sample []byte
	err = rdb.QueryRowContext(ctx, `SELECT tile_data FROM tiles LIMIT 1`).Scan(&sample)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s.errorf("reading tiles: %w%s", err, hint(err))
	}
	st, err := s.readMetadata(ctx, sample)
	if err != nil {
		return err
	}
	if err := checkTileMatrixSet(s.tms, st.meta.TileMatrixSet); err != nil {
		return s.errorf("%w", err)
	}
	s.flip = !rowsFromTop(st.meta)
	s.state.Store(st)
	return nil
}

// detectLayout finds the tables. It is also the first query, so a file that
// is not SQLite fails here with SQLite's "file is not a database".
func (s *Store) detectLayout(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx,
		`SELECT lower(name), type FROM sqlite_master
		 WHERE type IN ('table', 'view') AND lower(name) IN ('tiles', 'metadata', 'map', 'images')`)
	if err != nil {
		return s.errorf("reading schema: %w%s", err, hint(err))
	}
	defer rows.Close()
	kinds := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return s.errorf("reading schema: %w", err)
		}
		kinds[name] = typ
	}
	if err := rows.Err(); err != nil {
		return s.errorf("reading schema: %w", err)
	}
	switch {
	case kinds["tiles"] == "":
		return s.errorf("no tiles table or view: not an MBTiles file")
	case kinds["metadata"] != "table" && kinds["metadata"] != "view":
		return s.errorf("no metadata table: not an MBTiles file")
	case kinds["tiles"] == "table":
		s.layout = layoutClassic
	case kinds["map"] == "table" && kinds["images"] == "table":
		s.layout = layoutDedup
	default:
		s.layout = layoutOther
	}
	return nil
}

// indexTable is the table holding the tile coordinates. Queries that need
// no tile data read it rather than the tiles view, to use its index without
// the join.
func (s *Store) indexTable() string {
	if s.layout == layoutDedup {
		return "map"
	}
	return "tiles"
}

// readMetadata parses the metadata table and fills what MBTiles 1.1 files
// leave out: the zoom range from the tiles, the format from sample.
func (s *Store) readMetadata(ctx context.Context, sample []byte) (*metaState, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, value FROM metadata`)
	if err != nil {
		return nil, s.errorf("reading metadata: %w", err)
	}
	defer rows.Close()
	kv := map[string]string{}
	for rows.Next() {
		var name, value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return nil, s.errorf("reading metadata: %w", err)
		}
		if name.Valid {
			kv[name.String] = value.String
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("reading metadata: %w", err)
	}
	meta, zp, err := parseMetadata(kv)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	st := &metaState{zoomKnown: zp.min && zp.max}
	if !st.zoomKnown {
		var lo, hi sql.NullInt64
		q := `SELECT min(zoom_level), max(zoom_level) FROM ` + s.indexTable()
		if err := s.rdb.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
			return nil, s.errorf("reading zoom levels: %w", err)
		}
		if lo.Valid && hi.Valid {
			if !zp.min {
				meta.MinZoom = int(lo.Int64)
			}
			if !zp.max {
				meta.MaxZoom = int(hi.Int64)
			}
			if meta.MinZoom > meta.MaxZoom {
				// The one key given disagrees with the tiles: the tiles
				// are what can be served.
				meta.MinZoom, meta.MaxZoom = int(lo.Int64), int(hi.Int64)
			}
			st.zoomKnown = true
		}
	}
	if meta.Format == "" {
		meta.Format = sniffFormat(sample)
		switch {
		case meta.Format != "":
			s.logger.Info("MBTiles metadata has no format; guessed from a tile", "path", s.path, "format", meta.Format)
		case sample == nil:
			return nil, s.errorf("metadata has no format and there are no tiles to guess it from")
		default:
			return nil, s.errorf("metadata has no format and the tiles are not PNG, JPEG, WebP or gzipped vector tiles")
		}
	}
	st.contentType, err = contentType(meta.Format)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	st.meta = meta
	return st, nil
}

// checkTileMatrixSet refuses to flip rows with the heights of another set
// than the one the file says its tiles are in.
func checkTileMatrixSet(tms *tiling.TileMatrixSet, name string) error {
	if tms != nil && len(tms.Matrices) == 0 {
		return fmt.Errorf("tile matrix set %q has no tile matrices", tms.ID)
	}
	switch {
	case name == "":
		return nil
	case tms == nil && name != webMercatorQuad:
		return fmt.Errorf("metadata tile_matrix_set is %q: Options.TileMatrixSet must give its matrices", name)
	case tms != nil && name != tms.ID:
		return fmt.Errorf("metadata tile_matrix_set is %q but the store was opened with tile matrix set %q", name, tms.ID)
	}
	return nil
}

// openWriter opens the single writer connection and checks that WAL mode
// took, which fails on a file the process may not write.
func (s *Store) openWriter(ctx context.Context) error {
	wdb, err := sql.Open("sqlite3", dsn(s.path, "rw", true))
	if err != nil {
		return s.errorf("opening for writing: %w", err)
	}
	s.wdb = wdb
	// One connection serialises writers inside the process without a
	// mutex, and waiting for it honours the caller's context.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	var mode string
	if err := wdb.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return s.errorf("opening for writing: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return s.errorf("opening for writing: journal mode is %q, not WAL (is the file or its directory read-only?)", mode)
	}
	return nil
}

func (s *Store) createSchema(ctx context.Context, pairs [][2]string) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("creating schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return s.errorf("creating schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID)); err != nil {
		return s.errorf("creating schema: %w", err)
	}
	if err := insertMetadata(ctx, tx, pairs); err != nil {
		return s.errorf("writing metadata: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("creating schema: %w", err)
	}
	return nil
}

func insertMetadata(ctx context.Context, tx *sql.Tx, pairs [][2]string) error {
	for _, p := range pairs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO metadata (name, value) VALUES (?, ?)`, p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// prepareWriter prepares the statements of Put for the file's layout. Put
// deletes then inserts rather than relying on INSERT OR REPLACE, which
// needs unique indexes that files from other tools may lack.
func (s *Store) prepareWriter(ctx context.Context) error {
	var qDelete, qInsert string
	switch s.layout {
	case layoutDedup:
		// Written as INSERT ... WHERE NOT EXISTS for the same reason.
		var err error
		s.insertImage, err = s.wdb.PrepareContext(ctx,
			`INSERT INTO images (tile_data, tile_id) SELECT ?1, ?2
			 WHERE NOT EXISTS (SELECT 1 FROM images WHERE tile_id = ?2)`)
		if err != nil {
			return s.errorf("preparing writes: %w", err)
		}
		// Files made before rendered_at existed get the column: it is
		// nullable, so every MBTiles reader ignores it.
		has, err := hasColumnMap(ctx, s.wdb)
		if err != nil {
			return s.errorf("preparing writes: %w", err)
		}
		if !has {
			if _, err := s.wdb.ExecContext(ctx, `ALTER TABLE map ADD COLUMN rendered_at INTEGER`); err != nil {
				return s.errorf("preparing writes: %w", err)
			}
		}
		qDelete = `DELETE FROM map WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`
		qInsert = `INSERT INTO map (zoom_level, tile_column, tile_row, tile_id, rendered_at) VALUES (?, ?, ?, ?, ?)`
	case layoutClassic:
		qDelete = `DELETE FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`
		qInsert = `INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`
	default:
		return s.errorf("cannot write: tiles is a view over tables other than map and images; open it read-only")
	}
	var err error
	if s.deleteTile, err = s.wdb.PrepareContext(ctx, qDelete); err != nil {
		return s.errorf("preparing writes: %w", err)
	}
	if s.insertTile, err = s.wdb.PrepareContext(ctx, qInsert); err != nil {
		return s.errorf("preparing writes: %w", err)
	}
	return nil
}

func (s *Store) logOpen(msg string) {
	st := s.state.Load()
	s.logger.Info(msg, "path", s.path, "format", st.meta.Format, "layout", s.layout.String(),
		"minzoom", st.meta.MinZoom, "maxzoom", st.meta.MaxZoom, "writable", s.wdb != nil)
}

func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf("mbtiles %s: %w", s.path, fmt.Errorf(format, args...))
}

// hint explains the SQLite errors an operator meets when a file was cut
// short by a failed copy or is not a database at all.
func hint(err error) string {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Code {
	case sqlite3.ErrCorrupt:
		return " (the file is truncated or corrupt)"
	case sqlite3.ErrNotADB:
		return " (not an SQLite file)"
	}
	return ""
}

// unwrapPathError drops the *fs.PathError wrapper, whose message repeats
// the path the caller's message already names, keeping errors.Is working.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// storedRow validates k against the matrix and returns its tile_row.
func (s *Store) storedRow(k tiling.Key) (int, error) {
	w, h, ok := s.matrixSize(k.Z)
	if !ok {
		return 0, fmt.Errorf("%w: no zoom level %d", tiling.ErrOutOfRange, k.Z)
	}
	if k.Col < 0 || k.Col >= w || k.Row < 0 || k.Row >= h {
		return 0, fmt.Errorf("%w: tile %d/%d/%d outside the %dx%d matrix", tiling.ErrOutOfRange, k.Z, k.Col, k.Row, w, h)
	}
	if !s.flip {
		return k.Row, nil
	}
	return h - 1 - k.Row, nil
}

// matrixSize is the width and height in tiles of zoom level z.
func (s *Store) matrixSize(z int) (w, h int, ok bool) {
	if s.tms != nil {
		if z < 0 || z >= len(s.tms.Matrices) {
			return 0, 0, false
		}
		m := &s.tms.Matrices[z]
		return m.MatrixWidth, m.MatrixHeight, true
	}
	if z < 0 || z > 30 {
		return 0, 0, false
	}
	return 1 << z, 1 << z, true
}
