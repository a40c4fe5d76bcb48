package seed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tuiles/tuiles/tiling"
)

// fakeTarget is a cache of tiles in memory with metatiles of side meta.
type fakeTarget struct {
	meta    int
	mu      sync.Mutex
	tiles   map[[3]int]bool
	renders int
	fail    func(z, col, row int) error
}

func newFake(meta int) *fakeTarget { return &fakeTarget{meta: meta, tiles: map[[3]int]bool{}} }

func (f *fakeTarget) MetatileOf(z, col, row int) tiling.TileRange {
	n := 1 << z // WebMercatorQuad
	c0, r0 := col/f.meta*f.meta, row/f.meta*f.meta
	return tiling.TileRange{MinCol: c0, MinRow: r0, MaxCol: min(c0+f.meta, n) - 1, MaxRow: min(r0+f.meta, n) - 1}
}

func (f *fakeTarget) RenderMetatile(ctx context.Context, z, col, row int) error {
	if f.fail != nil {
		if err := f.fail(z, col, row); err != nil {
			return err
		}
	}
	r := f.MetatileOf(z, col, row)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renders++
	for y := r.MinRow; y <= r.MaxRow; y++ {
		for x := r.MinCol; x <= r.MaxCol; x++ {
			f.tiles[[3]int{z, x, y}] = true
		}
	}
	return nil
}

func (f *fakeTarget) Has(ctx context.Context, z, col, row int) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tiles[[3]int{z, col, row}], nil
}

func options(t *testing.T, minZ, maxZ int) Options {
	t.Helper()
	set, err := tiling.Builtin("WebMercatorQuad")
	if err != nil {
		t.Fatal(err)
	}
	return Options{Set: set, MinZoom: minZ, MaxZoom: maxZ, Area: set.Bounds(), Threads: 3}
}

func TestDryRun(t *testing.T) {
	p, err := DryRun(newFake(4), options(t, 0, 4))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ tiles, metas int64 }{{1, 1}, {4, 1}, {16, 1}, {64, 4}, {256, 16}}
	for i, z := range p.Zooms {
		if z.Tiles != want[i].tiles || z.Metatiles != want[i].metas {
			t.Errorf("zoom %d: %d tiles in %d metatiles, want %+v", z.Zoom, z.Tiles, z.Metatiles, want[i])
		}
	}
	if p.Tiles() != 341 || p.Metatiles() != 23 {
		t.Errorf("totals %d tiles, %d metatiles", p.Tiles(), p.Metatiles())
	}
	o := options(t, 3, 3)
	m, _ := o.Set.Level(3)
	o.Area = m.TileBounds(5, 2) // one tile: its metatile only
	if p, _ := DryRun(newFake(4), o); p.Tiles() != 1 || p.Metatiles() != 1 {
		t.Errorf("one-tile area: %+v", p)
	}
	if _, err := DryRun(newFake(4), options(t, 3, 99)); err == nil {
		t.Error("zoom beyond the set accepted")
	}
}

func TestRunAndResume(t *testing.T) {
	f := newFake(4)
	var last Progress
	o := options(t, 0, 4)
	o.Progress = func(p Progress) { last = p }
	p, err := Run(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	if f.renders != 23 || len(f.tiles) != 341 || p.Done != 341 || !last.Finished || last.Done != 341 {
		t.Fatalf("renders %d, tiles %d, progress %+v / %+v", f.renders, len(f.tiles), p, last)
	}
	// A second run finds everything there: it renders nothing.
	p, err = Run(context.Background(), f, o)
	if err != nil || f.renders != 23 || p.Skipped != 341 || p.Done != 0 {
		t.Fatalf("resume: renders %d, %+v, %v", f.renders, p, err)
	}
	// Refresh All renders again.
	o.Refresh = All
	if _, err := Run(context.Background(), f, o); err != nil || f.renders != 46 {
		t.Fatalf("refresh all: renders %d, %v", f.renders, err)
	}
}

// An interrupted seed leaves finished metatiles, and the next run renders
// only the rest.
func TestInterruptThenResume(t *testing.T) {
	f := newFake(2)
	ctx, cancel := context.WithCancel(context.Background())
	stopAt := 10
	f.fail = func(z, col, row int) error {
		f.mu.Lock()
		n := f.renders
		f.mu.Unlock()
		if n >= stopAt {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	o := options(t, 0, 4)
	o.Threads = 1
	if _, err := Run(ctx, f, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err %v", err)
	}
	first := f.renders
	f.fail = nil
	p, err := Run(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := DryRun(f, o)
	if int64(first+f.renders-first) != plan.Metatiles() || len(f.tiles) != 341 || p.Skipped == 0 {
		t.Errorf("first run %d renders, total %d of %d metatiles, %d tiles, %+v", first, f.renders, plan.Metatiles(), len(f.tiles), p)
	}
}

func TestEmptySubtrees(t *testing.T) {
	f := newFake(4)
	o := options(t, 0, 5)
	o.SubtreeEmpty = true
	asked := map[int]int{}
	var mu sync.Mutex
	// Only the north-west quarter of the world has data.
	o.Empty = func(ctx context.Context, z int, r tiling.TileRange) (bool, error) {
		mu.Lock()
		asked[z]++
		mu.Unlock()
		half := (1 << z) / 2
		return z >= 1 && r.MinCol >= half || z >= 1 && r.MinRow >= half, nil
	}
	p, err := Run(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	// Zoom 3 (8×8 tiles, 4 metatiles): three are empty and never asked
	// about again at zooms 4 and 5.
	if asked[4] != 4 || asked[5] != 16 {
		t.Errorf("store asked %v times per zoom; want 4 at zoom 4, 16 at zoom 5", asked)
	}
	if p.Empty == 0 || p.Done+p.Empty != p.Total {
		t.Errorf("progress %+v", p)
	}
}

func TestRenderError(t *testing.T) {
	f := newFake(4)
	f.fail = func(z, col, row int) error {
		if z == 2 {
			return fmt.Errorf("boom")
		}
		return nil
	}
	_, err := Run(context.Background(), f, options(t, 0, 3))
	if err == nil || err.Error() != "seed: zoom 2 metatile at 0/0: boom" {
		t.Errorf("err %v", err)
	}
}
