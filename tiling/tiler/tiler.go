// Package tiler is a tiling.Provider for rendered image tiles: it answers
// from a cache and, on a miss, renders the whole metatile around the tile
// (n×n tiles plus a buffer of pixels on each side) in one call, cuts it
// into tiles, answers, and hands every tile to the cache.
//
// Metatiles are why tiles join seamlessly: a label or a wide symbol across
// a tile border is drawn once, in one image, and cut, instead of being
// drawn (or dropped) differently by each tile. The buffer does the same for
// features just outside the metatile.
//
// Concurrent requests for tiles of one metatile wait for one render
// (singleflight). Cache writes go through one background writer per Tiler,
// in batches, so SQLite never sees competing writers from the server; a
// rendered tile stays in memory until its write lands, so it is never
// rendered twice.
package tiler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
)

// RenderFunc draws an area: bbox in the tile matrix set's CRS,
// easting/northing; size in pixels.
type RenderFunc func(ctx context.Context, bbox crs.Bounds, width, height int) (*image.NRGBA, error)

// EncodeFunc encodes one tile image (PNG, JPEG...).
type EncodeFunc func(img *image.NRGBA) ([]byte, error)

// VectorFunc encodes the vector tile (z, bbox in the set's CRS) of a
// layer, gzip-compressed; nil data means an empty tile.
type VectorFunc func(ctx context.Context, z int, bbox crs.Bounds) ([]byte, error)

// Defaults of Options.
const (
	DefaultMetaTile = 4
	DefaultBuffer   = 64
	// RenderTimeout bounds a metatile render, which outlives the request
	// that started it (other requests may be waiting for it).
	RenderTimeout = time.Minute
	// queueSize bounds the tiles waiting to be written: past it, renders
	// wait for the writer (back-pressure) instead of piling up in memory.
	queueSize = 1024
)

// Options configure a Tiler.
type Options struct {
	Set          *tiling.TileMatrixSet
	Layer, Style string // the keys the tiler answers for
	Format       tiling.Format
	// Cache keeps tiles; nil renders every request.
	Cache  tiling.Cache
	Render RenderFunc
	Encode EncodeFunc
	// Vector, instead of Render and Encode, makes vector tiles: one tile
	// at a time (vector tiles carry their own buffer), empty tiles not
	// stored (tiling.ErrNotFound).
	Vector VectorFunc
	// MaxBytes, when positive, logs a warning with the address of every
	// tile larger than this: such tiles load slowly in web maps.
	MaxBytes int
	// MetaTile is the metatile side in tiles (default 4); Buffer the
	// pixels rendered around it and cut away (default 64; 0 is allowed
	// with NoBuffer).
	MetaTile int
	Buffer   int
	NoBuffer bool
	// Limits bounds the tiles of each zoom (nil: the whole matrix).
	Limits func(z int) (tiling.TileRange, bool)
	Logger *slog.Logger
	// OnTile, when set, is told whether each tile served came from the
	// cache (or memory) or had to be rendered, and OnRender how long each
	// metatile render took: the composition root turns them into metrics.
	OnTile   func(hit bool)
	OnRender func(d time.Duration, err error)
}

// Tiler serves and fills one layer's rendered tiles in one tile matrix set
// and format. It is safe for concurrent use.
type Tiler struct {
	o     Options
	log   *slog.Logger
	group singleflight.Group

	mu      sync.Mutex
	pending map[tiling.Key]tiling.Tile // rendered, not yet written

	queue     chan []mbtiles.KeyTile
	writerErr chan error
	closeOnce sync.Once
	// detached, once set, stops every write to the cache; writeMu is held
	// by the writer while it writes, so Detach can wait for the last one.
	detached atomic.Bool
	writeMu  sync.Mutex
	// queued counts metatiles handed to the writer and not yet written
	// (guarded by mu).
	queued int
	// closeMu is held (read) while a render hands tiles to the writer,
	// and (write) by Close while it closes the queue: a render that
	// outlives Close (a flight whose waiters have gone) finds closed set
	// and drops its tiles instead of sending on a closed channel.
	closeMu    sync.RWMutex
	closed     bool
	writerDone chan struct{}
}

// New returns a Tiler and starts its cache writer.
func New(o Options) (*Tiler, error) {
	switch {
	case o.Set == nil:
		return nil, errors.New("tiler: no tile matrix set")
	case o.Vector == nil && (o.Render == nil || o.Encode == nil):
		return nil, errors.New("tiler: no render or encode function")
	}
	if o.Vector != nil {
		o.MetaTile, o.NoBuffer, o.Buffer = 1, true, 0
	}
	if o.MetaTile <= 0 {
		o.MetaTile = DefaultMetaTile
	}
	if o.Buffer <= 0 && !o.NoBuffer {
		o.Buffer = DefaultBuffer
	}
	t := &Tiler{o: o, log: o.Logger, pending: map[tiling.Key]tiling.Tile{}}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if o.Cache != nil {
		t.queue = make(chan []mbtiles.KeyTile, queueSize/max(1, o.MetaTile*o.MetaTile))
		t.writerErr = make(chan error, 1)
		t.writerDone = make(chan struct{})
		go t.writer()
	}
	return t, nil
}

// ETag is the strong entity tag of tile data, the same as the server's
// and the MBTiles store's: the first 128 bits of SHA-256.
func ETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// check validates a key against the tiler and the limits.
func (t *Tiler) check(k tiling.Key) error {
	if k.Layer != t.o.Layer || k.Style != t.o.Style || k.Format != t.o.Format.Name || k.TileMatrixSet != t.o.Set.ID {
		return fmt.Errorf("%w: tile of %s/%s/%s/%s asked of the tiler of %s/%s/%s/%s", tiling.ErrOutOfRange,
			k.Layer, k.Style, k.TileMatrixSet, k.Format, t.o.Layer, t.o.Style, t.o.Set.ID, t.o.Format.Name)
	}
	if err := t.o.Set.Validate(k); err != nil {
		return err
	}
	if t.o.Limits != nil {
		r, ok := t.o.Limits(k.Z)
		if !ok || !r.Contains(k.Col, k.Row) {
			return fmt.Errorf("%w: tile %d/%d/%d is outside the layer's limits", tiling.ErrOutOfRange, k.Z, k.Col, k.Row)
		}
	}
	return nil
}

// key is the tiler's key of tile (z, col, row).
func (t *Tiler) key(z, col, row int) tiling.Key {
	return tiling.Key{Layer: t.o.Layer, TileMatrixSet: t.o.Set.ID, Z: z, Col: col, Row: row, Format: t.o.Format.Name, Style: t.o.Style}
}

// Tile returns tile k: from the cache, from a render not yet written, or
// rendered now with its metatile.
func (t *Tiler) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	if err := t.check(k); err != nil {
		return tiling.Tile{}, err
	}
	if tile, ok, err := t.stored(ctx, k); ok || err != nil {
		if ok && t.o.OnTile != nil {
			t.o.OnTile(true)
		}
		return tile, err
	}
	if t.o.OnTile != nil {
		t.o.OnTile(false)
	}
	// The flight joined may have been started for another tile of the
	// metatile and have found that tile already rendered, answering it
	// alone. This tile was then most likely rendered with it (look again);
	// if not (a cache filled only in part), a second flight renders it.
	for range 3 {
		tiles, full, err := t.renderShared(ctx, k.Z, k.Col, k.Row, &k)
		if err != nil {
			return tiling.Tile{}, err
		}
		for _, kt := range tiles {
			if kt.Key == k {
				return kt.Tile, nil
			}
		}
		if full {
			if t.o.Vector != nil {
				return tiling.Tile{}, tiling.ErrNotFound // an empty vector tile
			}
			break
		}
		if tile, ok, err := t.stored(ctx, k); ok || err != nil {
			return tile, err
		}
	}
	return tiling.Tile{}, fmt.Errorf("tiler: metatile of %d/%d/%d lacks the tile", k.Z, k.Col, k.Row)
}

// stored finds a tile rendered before: not yet written, or in the cache.
func (t *Tiler) stored(ctx context.Context, k tiling.Key) (tiling.Tile, bool, error) {
	if tile, ok := t.pendingTile(k); ok {
		return tile, true, nil
	}
	if t.o.Cache == nil {
		return tiling.Tile{}, false, nil
	}
	tile, err := t.o.Cache.Tile(ctx, k)
	switch {
	case err == nil:
		return tile, true, nil
	case errors.Is(err, tiling.ErrNotFound):
		return tiling.Tile{}, false, nil
	}
	return tiling.Tile{}, false, err
}

func (t *Tiler) pendingTile(k tiling.Key) (tiling.Tile, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tile, ok := t.pending[k]
	return tile, ok
}

// MetatileOf returns the tiles of the metatile holding (z, col, row),
// clipped to the matrix.
func (t *Tiler) MetatileOf(z, col, row int) tiling.TileRange {
	m, ok := t.o.Set.Level(z)
	if !ok {
		return tiling.TileRange{MinCol: 0, MinRow: 0, MaxCol: -1, MaxRow: -1}
	}
	n := t.o.MetaTile
	c0, r0 := col/n*n, row/n*n
	return tiling.TileRange{MinCol: c0, MinRow: r0, MaxCol: min(c0+n, m.MatrixWidth) - 1, MaxRow: min(r0+n, m.MatrixHeight) - 1}
}

// RenderMetatile renders the metatile holding (z, col, row), queues its
// tiles for the cache and returns them; seeding calls it.
func (t *Tiler) RenderMetatile(ctx context.Context, z, col, row int) ([]mbtiles.KeyTile, error) {
	if err := t.check(t.key(z, col, row)); err != nil {
		return nil, err
	}
	// A flight started by Tile may answer one tile found already rendered
	// instead of rendering; seeding wants the render, so it asks again.
	for range 3 {
		tiles, full, err := t.renderShared(ctx, z, col, row, nil)
		if err != nil || full {
			return tiles, err
		}
	}
	return nil, fmt.Errorf("tiler: metatile of %d/%d/%d: no render after three tries", z, col, row)
}

// renderShared renders a metatile once for all concurrent callers. The
// render runs detached from the first caller's cancellation (others may be
// waiting), bounded by RenderTimeout.
//
// want is the tile a request needs: a request that missed the cache just
// before another's render of the same metatile finished would otherwise
// start a second render; checking again inside the flight closes that gap.
// The answer is then that tile alone and full is false, so a waiter for
// another tile of the metatile may find its own missing and look again (see
// Tile), and seeding asks again for a real render.
func (t *Tiler) renderShared(ctx context.Context, z, col, row int, want *tiling.Key) (tiles []mbtiles.KeyTile, full bool, err error) {
	r := t.MetatileOf(z, col, row)
	id := strconv.Itoa(z) + "/" + strconv.Itoa(r.MinCol) + "/" + strconv.Itoa(r.MinRow)
	ch := t.group.DoChan(id, func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RenderTimeout)
		defer cancel()
		if want != nil {
			if tile, ok, err := t.stored(rctx, *want); ok || err != nil {
				return flight{tiles: []mbtiles.KeyTile{{Key: *want, Tile: tile}}}, err
			}
		}
		start := time.Now()
		tiles, err := t.render(rctx, z, r)
		if t.o.OnRender != nil {
			t.o.OnRender(time.Since(start), err)
		}
		if err != nil {
			return nil, err
		}
		if err := t.store(rctx, tiles); err != nil {
			return nil, err
		}
		return flight{tiles: tiles, full: true}, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, false, res.Err
		}
		f := res.Val.(flight)
		return f.tiles, f.full, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// flight is the answer of one singleflight call: the metatile's tiles
// (full), or only the wanted tile, found already rendered.
type flight struct {
	tiles []mbtiles.KeyTile
	full  bool
}

// render draws metatile r of zoom z with its buffer and cuts it.
func (t *Tiler) render(ctx context.Context, z int, r tiling.TileRange) ([]mbtiles.KeyTile, error) {
	m, _ := t.o.Set.Level(z)
	if t.o.Vector != nil {
		data, err := t.o.Vector(ctx, z, m.TileBounds(r.MinCol, r.MinRow))
		if err != nil || len(data) == 0 {
			return nil, err
		}
		t.checkSize(z, r.MinCol, r.MinRow, data)
		return []mbtiles.KeyTile{{Key: t.key(z, r.MinCol, r.MinRow), Tile: tiling.Tile{
			Data: data, ContentType: t.o.Format.MediaType, ContentEncoding: "gzip", ETag: ETag(data), ModTime: time.Now(),
		}}}, nil
	}
	b := m.RangeBounds(r)
	buf := t.o.Buffer
	bx, by := float64(buf)*m.CellSize, float64(buf)*m.CellSize
	area := crs.Bounds{MinX: b.MinX - bx, MinY: b.MinY - by, MaxX: b.MaxX + bx, MaxY: b.MaxY + by}
	cols, rows := r.MaxCol-r.MinCol+1, r.MaxRow-r.MinRow+1
	w, h := cols*m.TileWidth+2*buf, rows*m.TileHeight+2*buf
	img, err := t.o.Render(ctx, area, w, h)
	if err != nil {
		return nil, fmt.Errorf("rendering metatile %d/%d/%d: %w", z, r.MinCol, r.MinRow, err)
	}
	if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		return nil, fmt.Errorf("rendering metatile %d/%d/%d: got %v, want %dx%d", z, r.MinCol, r.MinRow, img.Bounds().Size(), w, h)
	}
	now := time.Now()
	out := make([]mbtiles.KeyTile, 0, cols*rows)
	// Tiles of the metatile outside the layer's limits are never served:
	// they are neither encoded nor stored.
	lim, limited := tiling.TileRange{}, false
	if t.o.Limits != nil {
		lim, limited = t.o.Limits(z)
	}
	for row := r.MinRow; row <= r.MaxRow; row++ {
		for col := r.MinCol; col <= r.MaxCol; col++ {
			if limited && !lim.Contains(col, row) {
				continue
			}
			x0 := img.Bounds().Min.X + buf + (col-r.MinCol)*m.TileWidth
			y0 := img.Bounds().Min.Y + buf + (row-r.MinRow)*m.TileHeight
			tile := image.NewNRGBA(image.Rect(0, 0, m.TileWidth, m.TileHeight))
			draw.Draw(tile, tile.Bounds(), img, image.Pt(x0, y0), draw.Src)
			data, err := t.o.Encode(tile)
			if err != nil {
				return nil, fmt.Errorf("encoding tile %d/%d/%d: %w", z, col, row, err)
			}
			t.checkSize(z, col, row, data)
			out = append(out, mbtiles.KeyTile{Key: t.key(z, col, row), Tile: tiling.Tile{
				Data: data, ContentType: t.o.Format.MediaType, ETag: ETag(data), ModTime: now,
			}})
		}
	}
	return out, nil
}

// checkSize reports tiles over MaxBytes with their address.
func (t *Tiler) checkSize(z, col, row int, data []byte) {
	if t.o.MaxBytes > 0 && len(data) > t.o.MaxBytes {
		t.log.Warn("tiler: tile over the size limit", "layer", t.o.Layer, "set", t.o.Set.ID,
			"tile", fmt.Sprintf("%d/%d/%d", z, col, row), "bytes", len(data), "limit", t.o.MaxBytes)
	}
}

// store keeps tiles in memory and queues them for the writer; it waits
// when the queue is full.
func (t *Tiler) store(ctx context.Context, tiles []mbtiles.KeyTile) error {
	if t.o.Cache == nil || len(tiles) == 0 || t.detached.Load() {
		return nil
	}
	t.closeMu.RLock()
	defer t.closeMu.RUnlock()
	if t.closed {
		return nil // rendered after Close: answered, not kept
	}
	t.mu.Lock()
	for _, kt := range tiles {
		t.pending[kt.Key] = kt.Tile
	}
	t.queued++
	t.mu.Unlock()
	select {
	case t.queue <- tiles:
		return nil
	case <-ctx.Done():
		t.written(tiles)
		return ctx.Err()
	}
}

// written drops tiles from memory once the cache has them (or gave up).
func (t *Tiler) written(tiles []mbtiles.KeyTile) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, kt := range tiles {
		delete(t.pending, kt.Key)
	}
	t.queued--
}

// batcher is what a cache offers for writing many tiles in one
// transaction (mbtiles.Store does).
type batcher interface {
	PutBatch(ctx context.Context, tiles []mbtiles.KeyTile) error
}

// writer writes queued metatiles one after the other.
func (t *Tiler) writer() {
	defer close(t.writerDone)
	for tiles := range t.queue {
		err := t.write(tiles)
		if err != nil {
			t.log.Error("tiler: writing tiles to the cache", "layer", t.o.Layer, "set", t.o.Set.ID, "err", err)
			select {
			case t.writerErr <- err:
			default:
			}
		}
		t.written(tiles)
	}
}

func (t *Tiler) write(tiles []mbtiles.KeyTile) error {
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	if t.detached.Load() {
		return nil // dropped: the cache belongs to another tiler now
	}
	// Writes outlive requests; they get their own bound.
	ctx, cancel := context.WithTimeout(context.Background(), RenderTimeout)
	defer cancel()
	if b, ok := t.o.Cache.(batcher); ok {
		return b.PutBatch(ctx, tiles)
	}
	for _, kt := range tiles {
		if err := t.o.Cache.Put(ctx, kt.Key, kt.Tile); err != nil {
			return err
		}
	}
	return nil
}

// Flush waits until every tile rendered so far is written, and returns
// the first write error since the last Flush.
func (t *Tiler) Flush(ctx context.Context) error {
	if t.o.Cache == nil {
		return nil
	}
	// Polling keeps the writer free of any per-Flush bookkeeping; a
	// flush is rare (end of a seed, shutdown).
	for {
		t.mu.Lock()
		n := t.queued
		t.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case err := <-t.writerErr:
		return err
	default:
		return nil
	}
}

// Detach stops every write to the cache, dropping the tiles not written
// yet, and returns once no write is under way. Tiles are still rendered
// and served. A reload calls it on the old tiler of a cache the new
// configuration empties (its style changed): the old tiler's renders,
// still finishing for requests in flight, must not land in the emptied
// cache.
func (t *Tiler) Detach() {
	t.detached.Store(true)
	t.writeMu.Lock()
	//lint:ignore SA2001 the empty critical section waits for the write in progress
	t.writeMu.Unlock()
}

// Close flushes the pending writes and stops the writer; the cache itself
// is left open (its owner closes it). Tile must not be called after Close.
func (t *Tiler) Close() error {
	var err error
	t.closeOnce.Do(func() {
		err = t.Flush(context.Background())
		if t.queue != nil {
			t.closeMu.Lock()
			t.closed = true
			close(t.queue)
			t.closeMu.Unlock()
			// Tiles queued between Flush and the close are written
			// before the caller closes the cache.
			<-t.writerDone
		}
	})
	return err
}
