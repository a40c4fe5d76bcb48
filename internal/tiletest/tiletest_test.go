package tiletest_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/tiling"
)

// TestProvider pins the behaviour the protocol tests build their
// expectations on: which tiles exist, and what they hold.
func TestProvider(t *testing.T) {
	ctx := context.Background()
	k := tiletest.Key("world", "WebMercatorQuad", "png", 3, 4, 5)
	deep := tiletest.Key("world", "WebMercatorQuad", "png", 4, 0, 0)
	broken := errors.New("broken")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		name string
		p    *tiletest.Provider
		ctx  context.Context
		k    tiling.Key
		err  error // nil: the tile is there
	}{
		{"every tile", &tiletest.Provider{}, ctx, deep, nil},
		{"down to MaxZoom", &tiletest.Provider{MaxZoom: 3}, ctx, k, nil},
		{"below MaxZoom", &tiletest.Provider{MaxZoom: 3}, ctx, deep, tiling.ErrNotFound},
		{"missing", &tiletest.Provider{Missing: true}, ctx, k, tiling.ErrNotFound},
		{"broken", &tiletest.Provider{Err: broken}, ctx, k, broken},
		{"cancelled", &tiletest.Provider{}, cancelled, k, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			tile, err := c.p.Tile(c.ctx, c.k)
			if c.p.Calls.Load() != 1 {
				t.Errorf("%d calls counted", c.p.Calls.Load())
			}
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Errorf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || !bytes.Equal(tile.Data, tiletest.TileData(c.k)) || !tile.ModTime.Equal(tiletest.ModTime) || tile.ContentEncoding != "" {
				t.Errorf("tile %q %v %q, err %v", tile.Data, tile.ModTime, tile.ContentEncoding, err)
			}
		})
	}
	t.Run("gzip", func(t *testing.T) {
		tile, err := (&tiletest.Provider{Gzip: true}).Tile(ctx, k)
		if err != nil || tile.ContentEncoding != "gzip" || !bytes.Equal(tiletest.Gunzip(t, tile.Data), tiletest.TileData(k)) {
			t.Errorf("tile %q %q, err %v", tile.Data, tile.ContentEncoding, err)
		}
	})
}
