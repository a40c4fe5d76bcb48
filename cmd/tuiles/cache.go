package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
)

type cacheArgs struct {
	zoom, bbox                     string
	coverage, coverageLayer, where string
	log                            logFlags
}

func cacheFlags() (*flag.FlagSet, *cacheArgs) {
	a := &cacheArgs{}
	fs := newFlagSet("cache", " info|verify|truncate FILE.mbtiles [--zoom 0-12] [--bbox W,S,E,N | --coverage FILE [--where SQL]]")
	fs.StringVar(&a.zoom, "zoom", "", "truncate: zoom levels to empty, such as 14 or 10-18 (required)")
	fs.StringVar(&a.bbox, "bbox", "", "truncate: only tiles meeting this box, west,south,east,north in WGS84 degrees")
	fs.StringVar(&a.coverage, "coverage", "", "truncate: only tiles meeting the polygons of this file (any format GDAL reads)")
	fs.StringVar(&a.coverageLayer, "coverage-layer", "", "with --coverage: the layer to read (default: the first)")
	fs.StringVar(&a.where, "where", "", "with --coverage: only its features matching this OGR SQL condition")
	a.log.register(fs, "warn")
	return fs, a
}

// runCache maintains an MBTiles cache: info prints its metadata and tiles
// per zoom, verify checks it (exit 1 on damage), truncate deletes the
// tiles of zooms (and an area) so that they are rendered again.
func runCache(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := cacheFlags()
	if len(args) < 2 || !slices.Contains([]string{"info", "verify", "truncate"}, args[0]) {
		fmt.Fprintln(stderr, "tuiles cache: want info, verify or truncate and an MBTiles file")
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	op, file := args[0], args[1]
	if code, ok := parseFlags(fs, args[2:], stdout, stderr); !ok {
		return code
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "tuiles cache %s: "+format+"\n", append([]any{op}, args...)...)
		return exitError
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		return fail("%v", err)
	}
	setID := peekTileMatrixSet(ctx, file)
	set, err := tiling.Builtin(setID)
	if err != nil {
		set = nil // a custom set: rows are flipped as in WebMercatorQuad-like grids
		log.Warn("tile matrix set is not built in; row order assumes 2^z rows", "set", setID)
	}
	s, err := mbtiles.Open(ctx, file, mbtiles.Options{TileMatrixSet: set, Writable: op == "truncate", Logger: log})
	if err != nil {
		return fail("%v", err)
	}
	defer s.Close()
	switch op {
	case "info":
		m := s.Metadata()
		fmt.Fprintf(stdout, "%s\nname: %s\nformat: %s\ntile matrix set: %s\nzoom: %d-%d\n", file, m.Name, m.Format, setID, m.MinZoom, m.MaxZoom)
		if m.HasBounds() {
			fmt.Fprintf(stdout, "bounds: %g,%g,%g,%g\n", m.Bounds[0], m.Bounds[1], m.Bounds[2], m.Bounds[3])
		}
		st, err := s.Stats(ctx)
		if err != nil {
			return fail("%v", err)
		}
		zooms := make([]int, 0, len(st))
		for z := range st {
			zooms = append(zooms, z)
		}
		slices.Sort(zooms)
		var tiles, bytes int64
		fmt.Fprintln(stdout, "zoom  tiles       bytes")
		for _, z := range zooms {
			fmt.Fprintf(stdout, "%4d %6d %11d\n", z, st[z].Tiles, st[z].Bytes)
			tiles += st[z].Tiles
			bytes += st[z].Bytes
		}
		fmt.Fprintf(stdout, "total %d tiles, %d bytes of tile data\n", tiles, bytes)
	case "verify":
		problems, err := s.Verify(ctx)
		if err != nil {
			return fail("%v", err)
		}
		for _, p := range problems {
			fmt.Fprintf(stdout, "%s: %s\n", file, p)
		}
		if len(problems) > 0 {
			return fail("%s: %d problem(s)", file, len(problems))
		}
		fmt.Fprintf(stdout, "ok: %s\n", file)
	case "truncate":
		if a.zoom == "" {
			return fail("--zoom is required")
		}
		lo, hi, err := parseZoomRange(a.zoom)
		if err != nil {
			return fail("--zoom: %v", err)
		}
		if set == nil {
			return fail("truncating needs a built-in tile matrix set, not %q", setID)
		}
		area := set.Bounds()
		if a.bbox != "" {
			if area, err = parseBBoxFlag(a.bbox, set); err != nil {
				return fail("--bbox: %v", err)
			}
		}
		var cov *coverage
		if a.coverage != "" {
			if cov, err = loadCoverage(ctx, a.coverage, a.coverageLayer, a.where, set); err != nil {
				return fail("--coverage: %v", err)
			}
			area = area.Intersect(cov.bounds)
		}
		var total int64
		for z := lo; z <= min(hi, len(set.Matrices)-1); z++ {
			m := &set.Matrices[z]
			r := m.TileRange(area)
			if r.Empty() {
				continue
			}
			if cov == nil {
				n, err := s.Delete(ctx, z, r)
				if err != nil {
					return fail("%v", err)
				}
				total += n
				continue
			}
			// Row by row, runs of tiles meeting the coverage.
			for row := r.MinRow; row <= r.MaxRow; row++ {
				for col := r.MinCol; col <= r.MaxCol; col++ {
					if !cov.meets(m.TileBounds(col, row)) {
						continue
					}
					end := col
					for end+1 <= r.MaxCol && cov.meets(m.TileBounds(end+1, row)) {
						end++
					}
					n, err := s.Delete(ctx, z, tiling.TileRange{MinCol: col, MinRow: row, MaxCol: end, MaxRow: row})
					if err != nil {
						return fail("%v", err)
					}
					total += n
					col = end
				}
			}
		}
		fmt.Fprintf(stdout, "deleted %d tiles from %s\n", total, file)
	}
	return exitOK
}
