package tiler

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
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

// groundPattern draws each pixel with a colour derived from the ground
// coordinates of its centre, so that a crop can be checked exactly.
func groundPattern(calls *atomic.Int64) RenderFunc {
	return func(ctx context.Context, b crs.Bounds, w, h int) (*image.NRGBA, error) {
		calls.Add(1)
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		rx, ry := b.Width()/float64(w), b.Height()/float64(h)
		for y := range h {
			for x := range w {
				gx := b.MinX + (float64(x)+0.5)*rx
				gy := b.MaxY - (float64(y)+0.5)*ry
				img.SetNRGBA(x, y, patternAt(gx/rx, gy/ry))
			}
		}
		return img, nil
	}
}

// patternAt is the colour of the pixel whose centre is at (px, py) in
// pixel units of the ground. Blue mixes in the 256-pixel block numbers, so
// that tiles (256 pixels wide) differ and a crop one tile off shows.
func patternAt(px, py float64) color.NRGBA {
	ix, iy := int64(math.Floor(px)), int64(math.Floor(py))
	return color.NRGBA{uint8(ix), uint8(iy), uint8(ix*7 + iy*13 + (ix>>8)*31 + (iy>>8)*17), 0xff}
}

func encodePNG(img *image.NRGBA) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func newTiler(t *testing.T, setID string, render RenderFunc) (*Tiler, *mbtiles.Store) {
	t.Helper()
	set, err := tiling.Builtin(setID)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := mbtiles.Create(t.Context(), filepath.Join(t.TempDir(), "c.mbtiles"), mbtiles.Options{TileMatrixSet: set}, mbtiles.Metadata{Format: "png", MaxZoom: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	tl, err := New(Options{Set: set, Layer: "l", Style: "default", Format: tiling.PNG, Cache: cache, Render: render, Encode: encodePNG})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return tl, cache
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Each tile holds exactly its own window of the ground: the buffer is cut
// away and the tile is where the matrix says.
func TestCropIsExact(t *testing.T) {
	for _, setID := range []string{"WebMercatorQuad", "LAMB93"} {
		var calls atomic.Int64
		tl, _ := newTiler(t, setID, groundPattern(&calls))
		set := tl.o.Set
		z := 3
		m, _ := set.Level(z)
		for _, cr := range [][2]int{{1, 2}, {5, 6}} {
			col, row := cr[0], cr[1]
			if col >= m.MatrixWidth || row >= m.MatrixHeight {
				continue
			}
			tile, err := tl.Tile(t.Context(), tl.key(z, col, row))
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, tile.Data)
			b := m.TileBounds(col, row)
			rx := m.CellSize
			for _, p := range [][2]int{{0, 0}, {255, 0}, {0, 255}, {128, 77}, {255, 255}} {
				gx := b.MinX + (float64(p[0])+0.5)*rx
				gy := b.MaxY - (float64(p[1])+0.5)*rx
				want := patternAt(gx/rx, gy/rx)
				if got := color.NRGBAModel.Convert(img.At(p[0], p[1])).(color.NRGBA); got != want {
					t.Errorf("%s %d/%d/%d pixel %v: %v, want %v", setID, z, col, row, p, got, want)
				}
			}
		}
	}
}

func TestOneRenderPerMetatile(t *testing.T) {
	var calls atomic.Int64
	tl, cache := newTiler(t, "WebMercatorQuad", groundPattern(&calls))
	var wg sync.WaitGroup
	tiles := make([]tiling.Tile, 16)
	for i := range 16 {
		wg.Go(func() {
			tile, err := tl.Tile(context.Background(), tl.key(4, 4+i%4, 8+i/4))
			if err != nil {
				t.Error(err)
			}
			tiles[i] = tile
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d renders for one metatile, want 1", n)
	}
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i, want := range tiles {
		got, err := cache.Tile(t.Context(), tl.key(4, 4+i%4, 8+i/4))
		if err != nil || !bytes.Equal(got.Data, want.Data) || got.ETag != want.ETag {
			t.Errorf("tile %d: cached %v (err %v) differs from the one served", i, got.ETag, err)
		}
	}
	// Served from the cache now: no new render.
	if _, err := tl.Tile(t.Context(), tl.key(4, 5, 9)); err != nil || calls.Load() != 1 {
		t.Errorf("cache hit rendered again: %d renders, %v", calls.Load(), err)
	}
}

func TestMetatileEdges(t *testing.T) {
	var calls atomic.Int64
	tl, _ := newTiler(t, "WebMercatorQuad", groundPattern(&calls))
	if r := tl.MetatileOf(0, 0, 0); r != (tiling.TileRange{MaxCol: 0, MaxRow: 0}) {
		t.Errorf("zoom 0 metatile %+v", r)
	}
	if r := tl.MetatileOf(1, 1, 1); r != (tiling.TileRange{MaxCol: 1, MaxRow: 1}) {
		t.Errorf("zoom 1 metatile %+v", r)
	}
	tiles, err := tl.RenderMetatile(t.Context(), 1, 1, 0)
	if err != nil || len(tiles) != 4 {
		t.Fatalf("zoom 1: %d tiles, %v", len(tiles), err)
	}
}

func TestRenderErrorsAndRange(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int64
	tl, cache := newTiler(t, "WebMercatorQuad", func(ctx context.Context, b crs.Bounds, w, h int) (*image.NRGBA, error) {
		calls.Add(1)
		return nil, boom
	})
	if _, err := tl.Tile(t.Context(), tl.key(2, 1, 1)); !errors.Is(err, boom) {
		t.Errorf("err %v, want the render's", err)
	}
	_ = tl.Flush(t.Context())
	if _, err := cache.Tile(t.Context(), tl.key(2, 1, 1)); !errors.Is(err, tiling.ErrNotFound) {
		t.Errorf("a failed render cached something: %v", err)
	}
	k := tl.key(2, 1, 1)
	for _, bad := range []tiling.Key{
		func() tiling.Key { k := k; k.Layer = "other"; return k }(),
		func() tiling.Key { k := k; k.Format = "jpeg"; return k }(),
		func() tiling.Key { k := k; k.Col = 4; return k }(),
	} {
		if _, err := tl.Tile(t.Context(), bad); !errors.Is(err, tiling.ErrOutOfRange) {
			t.Errorf("%+v: err %v, want ErrOutOfRange", bad, err)
		}
	}
	tl.o.Limits = func(z int) (tiling.TileRange, bool) {
		return tiling.TileRange{MinCol: 0, MinRow: 0, MaxCol: 0, MaxRow: 0}, z == 2
	}
	if _, err := tl.Tile(t.Context(), k); !errors.Is(err, tiling.ErrOutOfRange) {
		t.Errorf("outside the limits: err %v", err)
	}
}

func TestVectorTiles(t *testing.T) {
	set, err := tiling.Builtin("WebMercatorQuad")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := mbtiles.Create(t.Context(), filepath.Join(t.TempDir(), "v.mbtiles"), mbtiles.Options{TileMatrixSet: set}, mbtiles.Metadata{Format: "pbf", MaxZoom: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	var calls atomic.Int64
	tl, err := New(Options{Set: set, Layer: "v", Style: "default", Format: tiling.MVT, Cache: cache,
		Vector: func(ctx context.Context, z int, b crs.Bounds) ([]byte, error) {
			calls.Add(1)
			if b.MinX >= 0 {
				return nil, nil // the eastern half is empty
			}
			return []byte{0x1f, 0x8b, byte(z)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	k := tl.key(2, 1, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tile, err := tl.Tile(context.Background(), k)
			if err != nil || tile.ContentEncoding != "gzip" || tile.ContentType != tiling.MVT.MediaType {
				t.Errorf("tile %+v, %v", tile, err)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d encodings of one tile", calls.Load())
	}
	if _, err := tl.Tile(t.Context(), tl.key(2, 3, 1)); !errors.Is(err, tiling.ErrNotFound) {
		t.Errorf("empty tile: err %v, want ErrNotFound", err)
	}
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st, _ := cache.Stats(t.Context()); st[2].Tiles != 1 {
		t.Errorf("cache holds %+v, want only the non-empty tile", st)
	}
	if r := tl.MetatileOf(3, 5, 6); r != (tiling.TileRange{MinCol: 5, MinRow: 6, MaxCol: 5, MaxRow: 6}) {
		t.Errorf("vector metatile %+v, want the tile alone", r)
	}
}

// A detached tiler still serves what it renders but writes nothing more to
// its cache.
func TestDetachStopsWrites(t *testing.T) {
	var calls atomic.Int64
	tl, cache := newTiler(t, "WebMercatorQuad", groundPattern(&calls))
	if _, err := tl.Tile(t.Context(), tl.key(4, 4, 8)); err != nil {
		t.Fatal(err)
	}
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	tl.Detach()
	if _, err := tl.Tile(t.Context(), tl.key(4, 0, 0)); err != nil {
		t.Fatalf("a detached tiler must still serve: %v", err)
	}
	if err := tl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Tile(t.Context(), tl.key(4, 4, 8)); err != nil {
		t.Errorf("the tile written before Detach is gone: %v", err)
	}
	if _, err := cache.Tile(t.Context(), tl.key(4, 0, 0)); !errors.Is(err, tiling.ErrNotFound) {
		t.Errorf("a tile rendered after Detach reached the cache: %v", err)
	}
}

// A render that outlives Close (its requester gave up; seeding was
// stopped) is dropped, not sent to the closed writer.
func TestRenderFinishingAfterClose(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var calls atomic.Int64
	ground := groundPattern(&calls)
	tl, _ := newTiler(t, "WebMercatorQuad", func(ctx context.Context, b crs.Bounds, w, h int) (*image.NRGBA, error) {
		started <- struct{}{}
		<-release
		return ground(ctx, b, w, h)
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := tl.Tile(ctx, tl.key(4, 4, 8))
		done <- err
	}()
	<-started
	cancel() // the requester goes; the flight goes on
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled request: %v", err)
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	close(release) // the render ends after Close: no panic
	// The flight encodes and stores its tiles in the background; give it
	// time to (not) crash the test binary.
	time.Sleep(time.Second)
}
