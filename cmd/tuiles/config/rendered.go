package config

import (
	"fmt"
	"strings"

	"github.com/tuiles/tuiles/tiling"
)

// validateRendered checks the tiles.cache family of keys of layer i: a
// cache for tiles rendered from the layer's table or raster.
func (c *Config) validateRendered(i int) Problems {
	var ps Problems
	l := &c.Layers[i]
	t := &l.Tiles
	p := fmt.Sprintf("layers[%d].tiles", i)
	add := func(key, format string, args ...any) { ps = append(ps, c.Problemf(key, format, args...)) }
	if !t.Rendered() {
		for _, k := range []string{"metatile", "buffer", "min_zoom", "max_zoom", "fields", "seed_max_zoom"} {
			if c.given(p + "." + k) {
				add(p+"."+k, "only rendered tiles have %s: give tiles.cache too", k)
			}
		}
		return ps
	}
	switch {
	case l.Data.MBTiles != "":
		add(p+".cache", "data.mbtiles is a tile cache already; tiles.cache is for tiles rendered from data.table or data.raster")
	case l.Data.Table == "" && l.Data.Raster == "":
		add(p+".cache", "rendered tiles need data.table or data.raster to render")
	}
	if len(t.Sets) > 1 && !strings.Contains(t.Cache, SetPlaceholder) {
		add(p+".cache", "an MBTiles file holds one tile matrix set: write %s in the path to use one file per set of tiles.sets", SetPlaceholder)
	}
	for j, name := range t.Formats {
		if name == FormatPNG8 {
			continue
		}
		f, ok := tiling.FormatByName(name)
		if !ok {
			continue // reported with the formats
		}
		at := fmt.Sprintf("%s.formats[%d]", p, j)
		switch {
		case f == tiling.WebP:
			ps = append(ps, c.problemAt(at, p+".formats", "rendered tiles are png, png8, jpeg or pbf (tuiles has no WebP encoder for full images)"))
		case f.Vector && l.Data.Table == "":
			ps = append(ps, c.problemAt(at, p+".formats", "vector tiles (pbf) are cut from a store table: give data.table"))
		}
	}
	if c.given(p + ".fields") {
		vector := false
		for _, name := range t.Formats {
			if f, ok := tiling.FormatByName(name); ok && f.Vector {
				vector = true
			}
		}
		if !vector {
			add(p+".fields", "fields selects the attributes of vector tiles: give formats: [pbf]")
		}
	}
	if t.MetaTile < 1 || t.MetaTile > 16 {
		add(p+".metatile", "%d is not a metatile side from 1 to 16 tiles", t.MetaTile)
	}
	if t.Buffer < 0 || t.Buffer > 512 {
		add(p+".buffer", "%d is not a buffer from 0 to 512 pixels", t.Buffer)
	}
	if t.MinZoom < 0 {
		add(p+".min_zoom", "%d is negative", t.MinZoom)
	}
	if c.given(p+".max_zoom") && t.MaxZoom < t.MinZoom {
		add(p+".max_zoom", "%d is below min_zoom %d", t.MaxZoom, t.MinZoom)
	}
	if c.given(p + ".seed_max_zoom") {
		switch {
		case t.SeedMaxZoom < t.MinZoom:
			add(p+".seed_max_zoom", "%d is below min_zoom %d", t.SeedMaxZoom, t.MinZoom)
		case t.MaxZoom >= 0 && t.SeedMaxZoom > t.MaxZoom:
			add(p+".seed_max_zoom", "%d is above max_zoom %d", t.SeedMaxZoom, t.MaxZoom)
		}
	}
	return ps
}

// ZoomRange is the zoom range of a rendered layer in set, which has
// levels 0 to levels-1.
func (t *Tiles) ZoomRange(levels int) (minZoom, maxZoom int) {
	minZoom, maxZoom = min(t.MinZoom, levels-1), min(levels-1, DefaultMaxZoom)
	if t.MaxZoom >= 0 {
		maxZoom = min(t.MaxZoom, levels-1)
	}
	return minZoom, max(minZoom, maxZoom)
}
