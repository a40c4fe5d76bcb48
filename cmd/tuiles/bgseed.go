package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/seed"
	"github.com/tuiles/tuiles/tiling/tiler"
)

// startSeeds seeds, in one background goroutine, the missing tiles of the
// layers with tiles.seed_max_zoom, one layer and set after the other, with
// threads metatiles at once. It stops when ctx is cancelled or the build
// closes (Close waits for it). Progress goes to the seed metrics.
func (b *built) startSeeds(ctx context.Context, cfg *config.Config, log *slog.Logger, threads int) {
	type job struct {
		target seedTarget
		o      seed.Options
	}
	var jobs []job
	for i := range cfg.Layers {
		cl := &cfg.Layers[i]
		if cl.Tiles.SeedMaxZoom < 0 {
			continue
		}
		l, ok := b.catalog.Layer(cl.Name)
		if !ok {
			continue // left out (its data is unavailable)
		}
		for _, ts := range l.Tilesets {
			tl, ok := ts.Provider.(*tiler.Tiler)
			if !ok {
				continue
			}
			o := seedOptions(ts)
			o.MaxZoom = min(cl.Tiles.SeedMaxZoom, ts.MaxZoom)
			o.Threads = max(threads, 1)
			o.Empty = emptyProbe(l, ts, cl.Tiles.Buffer)
			o.ProgressEvery = 5 * time.Second
			o.Progress = b.metrics.onSeed(l.Name, ts.Set.ID)
			jobs = append(jobs, job{
				target: seedTarget{tl: tl, cache: b.caches[tl], waitBusy: true,
					key: tiling.Key{Layer: l.Name, TileMatrixSet: ts.Set.ID, Format: l.Formats[0].Name, Style: "default"}},
				o: o,
			})
		}
	}
	if len(jobs) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	b.stopSeeds = func() {
		cancel()
		<-done
	}
	go func() {
		defer close(done)
		for _, j := range jobs {
			k := j.target.key
			log.Info("background seed started", "layer", k.Layer, "set", k.TileMatrixSet, "zooms", []int{j.o.MinZoom, j.o.MaxZoom})
			p, err := seed.Run(ctx, j.target, j.o)
			switch {
			case errors.Is(err, context.Canceled):
				log.Info("background seed stopped", "layer", k.Layer, "set", k.TileMatrixSet, "rendered", p.Done)
				return
			case err != nil:
				log.Error("background seed failed", "layer", k.Layer, "set", k.TileMatrixSet, "err", err)
				continue
			}
			log.Info("background seed done", "layer", k.Layer, "set", k.TileMatrixSet,
				"rendered", p.Done, "already_there", p.Skipped, "empty", p.Empty, "seconds", p.Elapsed.Seconds())
		}
	}()
}

// renderWaitingForSlot renders a metatile for a background seed: when the
// renderer is busy with requests, it waits and tries again rather than
// failing the seed, so that seeding never takes a slot a request needs.
func renderWaitingForSlot(ctx context.Context, tl *tiler.Tiler, z, col, row int) error {
	for {
		_, err := tl.RenderMetatile(ctx, z, col, row)
		if !errors.Is(err, render.ErrBusy) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
