package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
	"github.com/tuiles/tuiles/tiling/pmtiles"
)

type exportArgs struct {
	to  string
	log logFlags
}

func exportFlags() (*flag.FlagSet, *exportArgs) {
	a := &exportArgs{}
	fs := newFlagSet("export", " FILE.mbtiles --to FILE.pmtiles")
	fs.StringVar(&a.to, "to", "", "the PMTiles archive to write (required)")
	a.log.register(fs, "warn")
	return fs, a
}

// runExport writes a Web Mercator MBTiles cache as a PMTiles archive, which
// plain object storage or a CDN can serve with HTTP range requests.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, a := exportFlags()
	if len(args) < 1 || len(args[0]) == 0 || args[0][0] == '-' {
		fmt.Fprintln(stderr, "tuiles export: want an MBTiles file first")
		fs.SetOutput(stderr)
		fs.Usage()
		return exitUsage
	}
	src := args[0]
	if code, ok := parseFlags(fs, args[1:], stdout, stderr); !ok {
		return code
	}
	if a.to == "" {
		fmt.Fprintln(stderr, "tuiles export: --to is required")
		return exitUsage
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "tuiles export: "+format+"\n", args...)
		return exitError
	}
	log, err := a.log.logger(stderr)
	if err != nil {
		return fail("%v", err)
	}
	if id := peekTileMatrixSet(ctx, src); id != "WebMercatorQuad" {
		return fail("%s is in tile matrix set %s: PMTiles holds Web Mercator (WebMercatorQuad) tiles only", src, id)
	}
	set, err := tiling.Builtin("WebMercatorQuad")
	if err != nil {
		return fail("%v", err)
	}
	s, err := mbtiles.Open(ctx, src, mbtiles.Options{TileMatrixSet: set, Logger: log})
	if err != nil {
		return fail("%v", err)
	}
	defer s.Close()
	meta := s.Metadata()
	o := pmtiles.Options{Bounds: meta.Bounds, Center: meta.Center}
	switch meta.Format {
	case "png":
		o.Type = pmtiles.PNG
	case "jpg", "jpeg":
		o.Type = pmtiles.JPEG
	case "webp":
		o.Type = pmtiles.WebP
	case "pbf", "mvt":
		o.Type = pmtiles.MVT
	default:
		return fail("%s holds %q tiles, which PMTiles has no type for", src, meta.Format)
	}
	if !meta.HasBounds() {
		o.Bounds = [4]float64{-180, -85.0511287798066, 180, 85.0511287798066}
	}
	if !meta.HasCenter() {
		o.Center = [3]float64{(o.Bounds[0] + o.Bounds[2]) / 2, (o.Bounds[1] + o.Bounds[3]) / 2, float64(meta.MinZoom)}
	}
	m := map[string]any{"name": meta.Name, "description": meta.Description, "attribution": meta.Attribution, "format": meta.Format}
	if meta.JSON != "" {
		var j map[string]json.RawMessage
		if json.Unmarshal([]byte(meta.JSON), &j) == nil && j["vector_layers"] != nil {
			m["vector_layers"] = j["vector_layers"]
		}
	}
	if o.Metadata, err = json.Marshal(m); err != nil {
		return fail("%v", err)
	}
	var tiles []pmtiles.Tile
	gzipped, plain := 0, 0
	for kt, err := range s.All(ctx) {
		if err != nil {
			return fail("%v", err)
		}
		if kt.Tile.ContentEncoding == "gzip" {
			gzipped++
		} else {
			plain++
		}
		tiles = append(tiles, pmtiles.Tile{Z: uint8(kt.Key.Z), X: uint32(kt.Key.Col), Y: uint32(kt.Key.Row), Data: kt.Tile.Data})
	}
	if gzipped > 0 && plain > 0 {
		return fail("%s mixes gzip-compressed and plain tiles; PMTiles declares one compression", src)
	}
	o.Gzipped = gzipped > 0
	if err := pmtiles.Write(a.to, tiles, o); err != nil {
		return fail("%v", err)
	}
	// Read the archive back: an export that a CDN would serve broken must
	// fail here.
	r, err := pmtiles.Open(a.to)
	if err != nil {
		return fail("%v", err)
	}
	n, err := r.Verify()
	if err != nil {
		return fail("%s does not verify: %v", a.to, err)
	}
	if n != int64(len(tiles)) {
		return fail("%s addresses %d tiles, not %d", a.to, n, len(tiles))
	}
	fmt.Fprintf(stdout, "exported %d tiles of %s to %s (verified)\n", len(tiles), src, a.to)
	return exitOK
}
