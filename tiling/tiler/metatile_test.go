package tiler

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
)

// renderCall is what a RenderFunc was asked for.
type renderCall struct {
	bbox crs.Bounds
	w, h int
}

// recorder wraps a RenderFunc and remembers its calls.
type recorder struct {
	mu    sync.Mutex
	calls []renderCall
	next  RenderFunc
}

func (r *recorder) render(ctx context.Context, b crs.Bounds, w, h int) (*image.NRGBA, error) {
	r.mu.Lock()
	r.calls = append(r.calls, renderCall{b, w, h})
	r.mu.Unlock()
	return r.next(ctx, b, w, h)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func newStore(t *testing.T, set *tiling.TileMatrixSet) *mbtiles.Store {
	t.Helper()
	s, err := mbtiles.Create(t.Context(), filepath.Join(t.TempDir(), "c.mbtiles"), mbtiles.Options{TileMatrixSet: set}, mbtiles.Metadata{Format: "png", MaxZoom: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newWith builds a tiler of set with the default metatile and buffer.
func newWith(t *testing.T, setID string, cache tiling.Cache, render RenderFunc) *Tiler {
	t.Helper()
	set, err := tiling.Builtin(setID)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := New(Options{Set: set, Layer: "l", Style: "default", Format: tiling.PNG, Cache: cache, Render: render, Encode: encodePNG})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return tl
}

func builtin(t *testing.T, id string) *tiling.TileMatrixSet {
	t.Helper()
	set, err := tiling.Builtin(id)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Every pixel of a tile equals the matching pixel of one big render of the
// metatile area, offset by the buffer, and the ground pattern of the tile's
// own bounds: the crop is exact and the buffer cut away, whatever the set.
func TestTileIsWindowOfBigRender(t *testing.T) {
	for _, tc := range []struct {
		name     string
		set      string
		z        int
		col, row int
	}{
		{"WebMercatorQuad interior", "WebMercatorQuad", 5, 13, 18},
		{"WebMercatorQuad zoom 1", "WebMercatorQuad", 1, 1, 0},
		{"LAMB93 interior", "LAMB93", 7, 5, 10},
		{"LAMB93 edge", "LAMB93", 3, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			rec := &recorder{next: groundPattern(&n)}
			set := builtin(t, tc.set)
			tl := newWith(t, tc.set, newStore(t, set), rec.render)
			m, _ := set.Level(tc.z)
			if tc.col >= m.MatrixWidth || tc.row >= m.MatrixHeight {
				t.Fatalf("tile %d/%d outside the %dx%d matrix", tc.col, tc.row, m.MatrixWidth, m.MatrixHeight)
			}
			tile, err := tl.Tile(t.Context(), tl.key(tc.z, tc.col, tc.row))
			if err != nil {
				t.Fatal(err)
			}
			if rec.count() != 1 {
				t.Fatalf("%d renders, want 1", rec.count())
			}

			// The area a metatile render must cover, computed here from
			// the matrix rather than taken from the tiler.
			mt := tl.MetatileOf(tc.z, tc.col, tc.row)
			rb := m.RangeBounds(mt)
			buf := DefaultBuffer
			pad := float64(buf) * m.CellSize
			area := crs.Bounds{MinX: rb.MinX - pad, MinY: rb.MinY - pad, MaxX: rb.MaxX + pad, MaxY: rb.MaxY + pad}
			w := (mt.MaxCol-mt.MinCol+1)*m.TileWidth + 2*buf
			h := (mt.MaxRow-mt.MinRow+1)*m.TileHeight + 2*buf
			got := rec.calls[0]
			if got.w != w || got.h != h || !near(got.bbox, area, m.CellSize*1e-6) {
				t.Errorf("render of %v %dx%d, want %v %dx%d", got.bbox, got.w, got.h, area, w, h)
			}
			big, err := groundPattern(&n)(t.Context(), area, w, h)
			if err != nil {
				t.Fatal(err)
			}

			img := decode(t, tile.Data)
			if img.Bounds().Dx() != m.TileWidth || img.Bounds().Dy() != m.TileHeight {
				t.Fatalf("tile is %v", img.Bounds())
			}
			x0 := buf + (tc.col-mt.MinCol)*m.TileWidth
			y0 := buf + (tc.row-mt.MinRow)*m.TileHeight
			tb := m.TileBounds(tc.col, tc.row)
			bad := 0
			for y := range m.TileHeight {
				for x := range m.TileWidth {
					px := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
					if want := big.NRGBAAt(x0+x, y0+y); px != want {
						bad++
						if bad < 5 {
							t.Errorf("pixel %d,%d = %v, big render has %v", x, y, px, want)
						}
					}
					gx := tb.MinX + (float64(x)+0.5)*m.CellSize
					gy := tb.MaxY - (float64(y)+0.5)*m.CellSize
					if want := patternAt(gx/m.CellSize, gy/m.CellSize); px != want {
						bad++
						if bad < 5 {
							t.Errorf("pixel %d,%d = %v, ground has %v", x, y, px, want)
						}
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d wrong pixels", bad)
			}
		})
	}
}

func near(a, b crs.Bounds, tol float64) bool {
	return math.Abs(a.MinX-b.MinX) <= tol && math.Abs(a.MinY-b.MinY) <= tol &&
		math.Abs(a.MaxX-b.MaxX) <= tol && math.Abs(a.MaxY-b.MaxY) <= tol
}

// At the matrix edge a metatile holds only the tiles that exist, and the
// render is sized for them.
func TestEdgeMetatileRenderSize(t *testing.T) {
	for _, tc := range []struct {
		set        string
		z          int
		tiles, w   int
		h, renders int
	}{
		{"WebMercatorQuad", 0, 1, 256 + 128, 256 + 128, 1},
		{"WebMercatorQuad", 1, 4, 512 + 128, 512 + 128, 1},
		{"LAMB93", 3, 6, 512 + 128, 768 + 128, 1},
	} {
		rec := &recorder{next: flat}
		set := builtin(t, tc.set)
		store := newStore(t, set)
		tl := newWith(t, tc.set, store, rec.render)
		tiles, err := tl.RenderMetatile(t.Context(), tc.z, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(tiles) != tc.tiles || rec.count() != tc.renders {
			t.Errorf("%s zoom %d: %d tiles in %d renders, want %d in %d", tc.set, tc.z, len(tiles), rec.count(), tc.tiles, tc.renders)
			continue
		}
		if c := rec.calls[0]; c.w != tc.w || c.h != tc.h {
			t.Errorf("%s zoom %d: render %dx%d, want %dx%d", tc.set, tc.z, c.w, c.h, tc.w, tc.h)
		}
		if err := tl.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		// Transparent tiles are stored too.
		if st, _ := store.Stats(t.Context()); st[tc.z].Tiles != int64(tc.tiles) {
			t.Errorf("%s zoom %d: cache holds %+v, want %d tiles", tc.set, tc.z, st, tc.tiles)
		}
	}
}

// flat renders a transparent image: cheap, for tests about flow rather
// than pixels.
func flat(ctx context.Context, b crs.Bounds, w, h int) (*image.NRGBA, error) {
	return image.NewNRGBA(image.Rect(0, 0, w, h)), nil
}

// gate is a RenderFunc that blocks until released, counting its calls and
// reporting whether its context was cancelled.
type gate struct {
	calls     atomic.Int64
	started   chan struct{}
	release   chan struct{}
	cancelled atomic.Bool
	err       error
}

func newGate(err error) *gate {
	return &gate{started: make(chan struct{}, 100), release: make(chan struct{}), err: err}
}

func (g *gate) render(ctx context.Context, b crs.Bounds, w, h int) (*image.NRGBA, error) {
	g.calls.Add(1)
	g.started <- struct{}{}
	<-g.release
	if ctx.Err() != nil {
		g.cancelled.Store(true)
	}
	if g.err != nil {
		return nil, g.err
	}
	return flat(ctx, b, w, h)
}

func TestRenderErrorReachesEveryWaiter(t *testing.T) {
	boom := errors.New("boom")
	g := newGate(boom)
	set := builtin(t, "WebMercatorQuad")
	store := newStore(t, set)
	tl := newWith(t, "WebMercatorQuad", store, g.render)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = tl.Tile(t.Context(), tl.key(4, 4, 8)) })
	<-g.started // the flight is under way: the others join it
	for i := 1; i < 16; i++ {
		wg.Go(func() { _, errs[i] = tl.Tile(t.Context(), tl.key(4, 4+i%4, 8+i/4)) })
	}
	waitJoined(t)
	close(g.release)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, boom) {
			t.Errorf("waiter %d: err %v, want the render's", i, err)
		}
	}
	if n := g.calls.Load(); n != 1 {
		t.Errorf("%d renders, want 1", n)
	}
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.Stats(t.Context()); len(st) != 0 {
		t.Errorf("a failed render cached %+v", st)
	}
	// Nothing is remembered of the failure: the next request renders.
	if _, err := tl.Tile(t.Context(), tl.key(4, 4, 8)); !errors.Is(err, boom) || g.calls.Load() != 2 {
		t.Errorf("retry: %v after %d renders", err, g.calls.Load())
	}
}

// waitJoined gives the waiters started just before time to reach the
// singleflight group; there is no hook to observe them, so it sleeps.
func waitJoined(t *testing.T) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
}

// The request that started a render may go away; the render goes on for
// the others, with a context that is not cancelled.
func TestCancelledRequesterKeepsRender(t *testing.T) {
	g := newGate(nil)
	tl := newWith(t, "WebMercatorQuad", newStore(t, builtin(t, "WebMercatorQuad")), g.render)
	ctx, cancel := context.WithCancel(t.Context())
	var first, second error
	var wg sync.WaitGroup
	wg.Go(func() { _, first = tl.Tile(ctx, tl.key(3, 0, 0)) })
	<-g.started
	wg.Go(func() { _, second = tl.Tile(t.Context(), tl.key(3, 1, 1)) })
	waitJoined(t)
	cancel()
	time.Sleep(10 * time.Millisecond)
	close(g.release)
	wg.Wait()
	if !errors.Is(first, context.Canceled) {
		t.Errorf("cancelled requester: %v", first)
	}
	if second != nil {
		t.Errorf("other waiter: %v", second)
	}
	if g.cancelled.Load() {
		t.Error("the render saw its first requester's cancellation")
	}
	if g.calls.Load() != 1 {
		t.Errorf("%d renders", g.calls.Load())
	}
}

// slowCache holds every write until released. It hides PutBatch, so the
// tiler's one-Put-per-tile path is the one used.
type slowCache struct {
	tiling.Cache
	release chan struct{}
	puts    atomic.Int64
}

func (c *slowCache) Put(ctx context.Context, k tiling.Key, t tiling.Tile) error {
	<-c.release
	c.puts.Add(1)
	return c.Cache.Put(ctx, k, t)
}

// A tile asked again before its write lands comes from memory, not from a
// second render; the miss, the memory and the cache all give the same bytes.
func TestPendingTilesAreNotRenderedTwice(t *testing.T) {
	var n atomic.Int64
	set := builtin(t, "WebMercatorQuad")
	store := newStore(t, set)
	cache := &slowCache{Cache: store, release: make(chan struct{})}
	tl := newWith(t, "WebMercatorQuad", cache, groundPattern(&n))
	k := tl.key(4, 5, 9)
	miss, err := tl.Tile(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tl.Tile(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	other, err := tl.Tile(t.Context(), tl.key(4, 4, 8))
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 || cache.puts.Load() != 0 {
		t.Errorf("%d renders and %d writes before the writer was released, want 1 and 0", n.Load(), cache.puts.Load())
	}
	if !bytes.Equal(again.Data, miss.Data) || again.ETag != miss.ETag || other.ETag == miss.ETag {
		t.Errorf("pending tile differs from the one served: %s vs %s", again.ETag, miss.ETag)
	}
	close(cache.release)
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if cache.puts.Load() != 16 {
		t.Errorf("%d tiles written, want the 16 of the metatile", cache.puts.Load())
	}
	hit, err := tl.Tile(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hit.Data, miss.Data) || hit.ETag != miss.ETag || n.Load() != 1 {
		t.Errorf("cache hit %s after %d renders, miss served %s", hit.ETag, n.Load(), miss.ETag)
	}
	if hit.ContentType != "image/png" || hit.ContentType != miss.ContentType {
		t.Errorf("content types %q (hit) and %q (miss)", hit.ContentType, miss.ContentType)
	}
	if ETag(miss.Data) != miss.ETag {
		t.Errorf("ETag %s is not ETag(data)", miss.ETag)
	}
}

// With the writer stuck and its queue full, a render waits to hand its
// tiles over instead of dropping them.
func TestFullQueueWaits(t *testing.T) {
	set := builtin(t, "WebMercatorQuad")
	store := newStore(t, set)
	cache := &slowCache{Cache: store, release: make(chan struct{})}
	// Encoding is not under test: a trivial encoder keeps 66 metatiles
	// quick under the race detector.
	tl, err := New(Options{Set: set, Layer: "l", Style: "default", Format: tiling.PNG, Cache: cache, Render: flat,
		Encode: func(*image.NRGBA) ([]byte, error) { return []byte("tile"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	// One metatile in the writer, a queue full, and one more.
	total := cap(tl.queue) + 2
	const z = 6 // 16×16 metatiles
	var done atomic.Int64
	var wg sync.WaitGroup
	for i := range total {
		wg.Go(func() {
			if _, err := tl.Tile(context.Background(), tl.key(z, 4*(i%16), 4*(i/16))); err != nil {
				t.Error(err)
			}
			done.Add(1)
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for done.Load() < int64(total-1) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if got := done.Load(); got != int64(total-1) {
		t.Errorf("%d of %d requests answered with the writer stuck, want %d", got, total, total-1)
	}
	close(cache.release)
	wg.Wait()
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.Stats(t.Context()); st[z].Tiles != int64(16*total) {
		t.Errorf("cache holds %d tiles, want %d", st[z].Tiles, 16*total)
	}
}

func TestNoCacheRendersEveryTime(t *testing.T) {
	rec := &recorder{next: flat}
	tl := newWith(t, "WebMercatorQuad", nil, rec.render)
	for range 2 {
		if _, err := tl.Tile(t.Context(), tl.key(2, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if rec.count() != 2 {
		t.Errorf("%d renders without a cache, want 2", rec.count())
	}
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// lateCache finds tile `late` only on its second lookup, after release:
// as if another render had just written it.
type lateCache struct {
	tiling.Cache
	late    tiling.Key
	release chan struct{}
	looked  atomic.Int64
}

func (c *lateCache) Tile(ctx context.Context, k tiling.Key) (tiling.Tile, error) {
	if k != c.late {
		return c.Cache.Tile(ctx, k)
	}
	if c.looked.Add(1) == 1 {
		return tiling.Tile{}, tiling.ErrNotFound
	}
	<-c.release
	return tiling.Tile{Data: []byte("late"), ETag: ETag([]byte("late"))}, nil
}

// A request that joins a flight which ends up answering only another tile
// (found written meanwhile) still gets its own tile, from a render of its
// own, and seeding still gets a real render.
func TestJoinedFlightAnsweringAnotherTile(t *testing.T) {
	var n atomic.Int64
	set := builtin(t, "WebMercatorQuad")
	cache := &lateCache{Cache: newStore(t, set), release: make(chan struct{})}
	tl := newWith(t, "WebMercatorQuad", cache, groundPattern(&n))
	a, b := tl.key(3, 0, 0), tl.key(3, 1, 1)
	cache.late = a
	var ta, tb tiling.Tile
	var errA, errB, errSeed error
	var seeded []mbtiles.KeyTile
	var wg sync.WaitGroup
	wg.Go(func() { ta, errA = tl.Tile(t.Context(), a) })
	for cache.looked.Load() < 2 { // a's flight is looking again
		time.Sleep(time.Millisecond)
	}
	wg.Go(func() { tb, errB = tl.Tile(t.Context(), b) })
	wg.Go(func() { seeded, errSeed = tl.RenderMetatile(t.Context(), 3, 2, 2) })
	waitJoined(t)
	close(cache.release)
	wg.Wait()
	if errA != nil || string(ta.Data) != "late" {
		t.Errorf("tile a: %q, %v", ta.Data, errA)
	}
	if errB != nil || len(tb.Data) == 0 || string(tb.Data) == "late" {
		t.Errorf("tile b: %q, %v", tb.Data, errB)
	}
	if errSeed != nil || len(seeded) != 16 {
		t.Errorf("seeding: %d tiles, %v", len(seeded), errSeed)
	}
	if n.Load() != 1 {
		t.Errorf("%d renders, want 1 (b and the seed share it)", n.Load())
	}
}
