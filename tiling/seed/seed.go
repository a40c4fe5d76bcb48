// Package seed is the seeding engine of rendered tile caches as a library:
// it walks the metatiles of a zoom range that meet an area, skips those
// already complete (so an interrupted seed resumes where it stopped) and
// those with nothing to draw, renders the others on N workers through the
// same tiler the server uses, and reports progress.
//
// Metatiles are walked zoom by zoom, row by row inside each zoom, which
// keeps the store's R-tree pages and the cache's B-tree pages warm. For
// vector layers an empty metatile proves its whole subtree empty (a child's
// buffered box lies inside its parent's), so deeper levels skip it without
// asking the store again.
package seed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/tiling"
)

// Target is what a seed fills: a tiler with its cache.
type Target interface {
	// MetatileOf returns the tiles of the metatile holding tile (z,
	// col, row), clipped to the matrix.
	MetatileOf(z, col, row int) tiling.TileRange
	// RenderMetatile renders and stores the metatile holding (z, col,
	// row).
	RenderMetatile(ctx context.Context, z, col, row int) error
	// Has tells whether the cache holds tile (z, col, row).
	Has(ctx context.Context, z, col, row int) (bool, error)
}

// Refresh says which metatiles are rendered again.
type Refresh int

const (
	// Missing renders metatiles with at least one tile missing (resume).
	Missing Refresh = iota
	// All renders every metatile.
	All
)

// Options describe one seed.
type Options struct {
	Set              *tiling.TileMatrixSet
	MinZoom, MaxZoom int
	// Area limits the seed, in the set's CRS; Limits(z) further bounds
	// the tiles of each zoom (the layer's TileMatrixSetLimits).
	Area   crs.Bounds
	Limits func(z int) (tiling.TileRange, bool)
	// Covers, when set, tells whether the metatile whose tiles are r at
	// zoom z meets the area to seed (a coverage polygon), beyond Area.
	Covers func(z int, r tiling.TileRange) bool
	// Empty, when set, tells whether the metatile r at zoom z (with its
	// buffer) has nothing to draw; SubtreeEmpty says its result holds for
	// deeper levels too (vector data).
	Empty        func(ctx context.Context, z int, r tiling.TileRange) (bool, error)
	SubtreeEmpty bool
	Refresh      Refresh
	Threads      int
	// Progress is called at most every ProgressEvery (default 1 s) and at
	// the end.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is a snapshot of a running seed, counted in tiles.
type Progress struct {
	Done, Skipped, Empty, Total int64
	Elapsed                     time.Duration
	Finished                    bool
}

// Rate is the rendering rate in tiles per second.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// ETA estimates the time left at the current rate, counting skipped and
// empty tiles as free.
func (p Progress) ETA() time.Duration {
	left := p.Total - p.Done - p.Skipped - p.Empty
	r := p.Rate()
	if left <= 0 || r <= 0 {
		return 0
	}
	return time.Duration(float64(left) / r * float64(time.Second))
}

// Plan counts what a seed covers, per zoom, without rendering: the dry
// run.
type Plan struct {
	Zooms []ZoomPlan
}

// ZoomPlan is one zoom level of a Plan.
type ZoomPlan struct {
	Zoom             int
	Tiles, Metatiles int64
	Range            tiling.TileRange
}

// Tiles sums the tiles of every zoom.
func (p Plan) Tiles() int64 {
	var n int64
	for _, z := range p.Zooms {
		n += z.Tiles
	}
	return n
}

// Metatiles sums the metatiles of every zoom.
func (p Plan) Metatiles() int64 {
	var n int64
	for _, z := range p.Zooms {
		n += z.Metatiles
	}
	return n
}

// job is one metatile to consider.
type job struct {
	z int
	r tiling.TileRange
}

// zoomRange is the range of tiles of zoom z to seed, if any.
func (o *Options) zoomRange(z int) (tiling.TileRange, bool) {
	m, ok := o.Set.Level(z)
	if !ok {
		return tiling.TileRange{}, false
	}
	r := m.TileRange(o.Area)
	if o.Limits != nil {
		lim, ok := o.Limits(z)
		if !ok {
			return tiling.TileRange{}, false
		}
		r = tiling.TileRange{MinCol: max(r.MinCol, lim.MinCol), MinRow: max(r.MinRow, lim.MinRow), MaxCol: min(r.MaxCol, lim.MaxCol), MaxRow: min(r.MaxRow, lim.MaxRow)}
	}
	return r, !r.Empty()
}

// metatiles calls fn with each metatile of zoom z meeting the seed, in
// row-major order, clipped to the zoom's range.
func (o *Options) metatiles(t Target, z int, fn func(tiling.TileRange) bool) {
	r, ok := o.zoomRange(z)
	if !ok {
		return
	}
	for row := r.MinRow; row <= r.MaxRow; {
		next := row
		for col := r.MinCol; col <= r.MaxCol; {
			mt := t.MetatileOf(z, col, row)
			c := tiling.TileRange{MinCol: max(mt.MinCol, r.MinCol), MinRow: max(mt.MinRow, r.MinRow), MaxCol: min(mt.MaxCol, r.MaxCol), MaxRow: min(mt.MaxRow, r.MaxRow)}
			if o.Covers == nil || o.Covers(z, c) {
				if !fn(c) {
					return
				}
			}
			col = mt.MaxCol + 1
			next = mt.MaxRow + 1
		}
		row = next
	}
}

// DryRun counts the tiles and metatiles a seed covers.
func DryRun(t Target, o Options) (Plan, error) {
	if err := o.check(); err != nil {
		return Plan{}, err
	}
	var p Plan
	for z := o.MinZoom; z <= o.MaxZoom; z++ {
		zp := ZoomPlan{Zoom: z}
		zp.Range, _ = o.zoomRange(z)
		o.metatiles(t, z, func(r tiling.TileRange) bool {
			zp.Metatiles++
			zp.Tiles += r.Count()
			return true
		})
		p.Zooms = append(p.Zooms, zp)
	}
	return p, nil
}

func (o *Options) check() error {
	if o.Set == nil {
		return errors.New("seed: no tile matrix set")
	}
	if o.MinZoom < 0 || o.MaxZoom >= len(o.Set.Matrices) || o.MinZoom > o.MaxZoom {
		return fmt.Errorf("seed: zoom range %d-%d is outside 0-%d", o.MinZoom, o.MaxZoom, len(o.Set.Matrices)-1)
	}
	return nil
}

// complete tells whether every tile of r is in the cache.
func complete(ctx context.Context, t Target, z int, r tiling.TileRange) (bool, error) {
	for row := r.MinRow; row <= r.MaxRow; row++ {
		for col := r.MinCol; col <= r.MaxCol; col++ {
			ok, err := t.Has(ctx, z, col, row)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// emptyBelow remembers empty metatiles of a vector layer, so that their
// descendants are skipped without a store query.
type emptyBelow struct {
	mu     sync.Mutex
	set    *tiling.TileMatrixSet
	bounds map[int][]crs.Bounds // by zoom
}

func (e *emptyBelow) add(z int, r tiling.TileRange) {
	m, _ := e.set.Level(z)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bounds[z] = append(e.bounds[z], m.RangeBounds(r))
}

// covered tells whether r at zoom z lies inside an empty metatile of a
// coarser zoom.
func (e *emptyBelow) covered(z int, r tiling.TileRange) bool {
	m, _ := e.set.Level(z)
	b := m.RangeBounds(r)
	// Shrink by a thousandth of a tile so shared edges do not count.
	eps := m.CellSize * float64(m.TileWidth) / 1000
	b = crs.Bounds{MinX: b.MinX + eps, MinY: b.MinY + eps, MaxX: b.MaxX - eps, MaxY: b.MaxY - eps}
	e.mu.Lock()
	defer e.mu.Unlock()
	for zz, list := range e.bounds {
		if zz >= z {
			continue
		}
		for _, p := range list {
			if b.MinX >= p.MinX && b.MinY >= p.MinY && b.MaxX <= p.MaxX && b.MaxY <= p.MaxY {
				return true
			}
		}
	}
	return false
}

// Run seeds: it returns when every metatile is done, at the first render
// error, or when ctx is cancelled (after the metatiles in progress; the
// cache stays consistent and a later Run resumes).
func Run(ctx context.Context, t Target, o Options) (Progress, error) {
	plan, err := DryRun(t, o)
	if err != nil {
		return Progress{}, err
	}
	threads := max(o.Threads, 1)
	every := o.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	var done, skipped, empty atomic.Int64
	start := time.Now()
	snapshot := func(finished bool) Progress {
		return Progress{Done: done.Load(), Skipped: skipped.Load(), Empty: empty.Load(), Total: plan.Tiles(), Elapsed: time.Since(start), Finished: finished}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	eb := &emptyBelow{set: o.Set, bounds: map[int][]crs.Bounds{}}

	jobs := make(chan job)
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			for j := range jobs {
				if err := work(ctx, t, &o, eb, j, &done, &skipped, &empty); err != nil {
					cancel(err)
				}
			}
		})
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		for {
			select {
			case <-tick.C:
				if o.Progress != nil {
					o.Progress(snapshot(false))
				}
			case <-stopProgress:
				return
			}
		}
	}()
feed:
	for z := o.MinZoom; z <= o.MaxZoom; z++ {
		// Zooms run one after the other so that the empty metatiles of a
		// zoom are known before its children are considered.
		stopped := false
		o.metatiles(t, z, func(r tiling.TileRange) bool {
			select {
			case jobs <- job{z, r}:
				return true
			case <-ctx.Done():
				stopped = true
				return false
			}
		})
		if stopped {
			break feed
		}
		if o.SubtreeEmpty && z < o.MaxZoom {
			// Wait for this zoom's workers before feeding its children.
			close(jobs)
			wg.Wait()
			jobs = make(chan job)
			for range threads {
				wg.Go(func() {
					for j := range jobs {
						if err := work(ctx, t, &o, eb, j, &done, &skipped, &empty); err != nil {
							cancel(err)
						}
					}
				})
			}
		}
	}
	close(jobs)
	wg.Wait()
	close(stopProgress)
	<-progressDone
	p := snapshot(true)
	if o.Progress != nil {
		o.Progress(p)
	}
	if err := context.Cause(ctx); err != nil {
		return p, err
	}
	return p, nil
}

func work(ctx context.Context, t Target, o *Options, eb *emptyBelow, j job, done, skipped, empty *atomic.Int64) error {
	if ctx.Err() != nil {
		return nil
	}
	n := j.r.Count()
	if o.SubtreeEmpty && eb.covered(j.z, j.r) {
		empty.Add(n)
		return nil
	}
	if o.Refresh == Missing {
		ok, err := complete(ctx, t, j.z, j.r)
		if err != nil {
			return err
		}
		if ok {
			skipped.Add(n)
			return nil
		}
	}
	if o.Empty != nil {
		isEmpty, err := o.Empty(ctx, j.z, j.r)
		if err != nil {
			return err
		}
		if isEmpty {
			if o.SubtreeEmpty {
				eb.add(j.z, j.r)
			}
			empty.Add(n)
			return nil
		}
	}
	if err := t.RenderMetatile(ctx, j.z, j.r.MinCol, j.r.MinRow); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("seed: zoom %d metatile at %d/%d: %w", j.z, j.r.MinCol, j.r.MinRow, err)
	}
	done.Add(n)
	return nil
}
