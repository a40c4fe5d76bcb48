package mbtiles_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
)

func realPNG(t *testing.T, v uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestStatsVerifyDelete(t *testing.T) {
	s, path := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png", MaxZoom: 3})
	ctx := t.Context()
	good := realPNG(t, 0x80)
	for _, k := range []tiling.Key{{Z: 1}, {Z: 1, Col: 1}, {Z: 2, Col: 3, Row: 1}, {Z: 2, Col: 0, Row: 3}} {
		if err := s.Put(ctx, k, tiling.Tile{Data: good}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, tiling.Key{Z: 3, Col: 5, Row: 6}, tiling.Tile{Data: good[:len(good)-10]}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st[1].Tiles != 2 || st[2].Tiles != 2 || st[3].Tiles != 1 || st[1].Bytes != int64(2*len(good)) {
		t.Errorf("stats %+v", st)
	}
	problems, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Z != 3 || problems[0].Col != 5 || problems[0].Row != 6 || !strings.Contains(problems[0].String(), "tile 3/5/6: truncated") {
		t.Errorf("problems %v, want the truncated tile 3/5/6", problems)
	}
	// Delete the two tiles of zoom 2 in rows 0-1 and columns 2-3: one.
	n, err := s.Delete(ctx, 2, tiling.TileRange{MinCol: 2, MinRow: 0, MaxCol: 3, MaxRow: 1})
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if _, err := s.Tile(ctx, tiling.Key{Z: 2, Col: 3, Row: 1}); err != tiling.ErrNotFound {
		t.Errorf("deleted tile still there: %v", err)
	}
	if _, err := s.Tile(ctx, tiling.Key{Z: 2, Col: 0, Row: 3}); err != nil {
		t.Errorf("a tile outside the range went: %v", err)
	}
	if _, err := s.Delete(ctx, 2, tiling.TileRange{MinCol: 0, MinRow: 0, MaxCol: 3, MaxRow: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro := open(t, path, mbtiles.Options{})
	if _, err := ro.Delete(ctx, 1, tiling.TileRange{MaxCol: 1, MaxRow: 1}); err == nil {
		t.Error("a read-only store deleted tiles")
	}
	if p, err := ro.Verify(ctx); err != nil || len(p) != 1 {
		t.Errorf("verify after deletes: %v %v", p, err)
	}
}

func TestTruncate(t *testing.T) {
	s, _ := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png", MaxZoom: 3, Extra: map[string]string{"k": "v"}})
	ctx := t.Context()
	for _, k := range []tiling.Key{{Z: 1}, {Z: 2, Col: 3, Row: 1}} {
		if err := s.Put(ctx, k, tiling.Tile{Data: realPNG(t, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Truncate(ctx); err != nil || n != 2 {
		t.Fatalf("truncated %d, %v", n, err)
	}
	if st, _ := s.Stats(ctx); len(st) != 0 {
		t.Errorf("tiles left: %+v", st)
	}
	if s.Metadata().Extra["k"] != "v" {
		t.Error("truncate lost the metadata")
	}
}

func TestRenderedAt(t *testing.T) {
	s, _ := create(t, mbtiles.Options{}, mbtiles.Metadata{Format: "png", MaxZoom: 3})
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	k := tiling.Key{Z: 2, Col: 1, Row: 3}
	if err := s.Put(ctx, k, tiling.Tile{Data: realPNG(t, 1)}); err != nil {
		t.Fatal(err)
	}
	at, ok, err := s.RenderedAt(ctx, k)
	if err != nil || !ok || at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("rendered at %v, %v, %v", at, ok, err)
	}
	if _, ok, err := s.RenderedAt(ctx, tiling.Key{Z: 2}); ok || err != nil {
		t.Errorf("a missing tile: %v %v", ok, err)
	}
}
