// Command demotiles builds the demo tile caches in testdata/demo from the
// open datasets the project was given (France départements, Natural Earth
// countries). It is a developer tool, run once when the demo changes; its
// output is committed so that tests and `make run` need neither GDAL's
// command-line tools nor the source data.
//
// It rasterizes the vector data with gdal_rasterize for each zoom level of a
// tile matrix set, then cuts the level image into tiles and writes them to
// MBTiles with tiling/mbtiles, so the tile grid math is the project's own.
//
//	go run ./internal/tools/demotiles -src ../shared/data -out testdata/demo
package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"

	_ "github.com/mattn/go-sqlite3"
)

// cache describes one MBTiles file to build.
type cache struct {
	name        string // layer name
	set         string // tile matrix set id
	epsg        string // target CRS for gdal
	source      string // vector file relative to -src
	layer       string // layer in source
	colorKey    string // SQL expression giving an integer per feature
	clip        string // optional -clipsrc box (source CRS) for ogr2ogr
	minZ, maxZ  int
	description string
	attribution string
}

func main() {
	src := flag.String("src", "", "folder holding france/france_l93.gpkg and world/countries_110m.gpkg")
	out := flag.String("out", "testdata/demo", "output folder")
	flag.Parse()
	if *src == "" {
		fmt.Fprintln(os.Stderr, "usage: demotiles -src DATA_DIR [-out DIR]")
		os.Exit(2)
	}
	const franceAttr = "IGN Admin Express, INSEE (Licence Ouverte / Etalab)"
	const worldAttr = "Natural Earth (public domain), world-atlas"
	caches := []cache{
		{"france", "LAMB93", "EPSG:2154", "france/france_l93.gpkg", "departements", "CAST(code_region AS INTEGER)", "", 0, 8, "French départements coloured by région", franceAttr},
		{"france", "WebMercatorQuad", "EPSG:3857", "france/france_l93.gpkg", "departements", "CAST(code_region AS INTEGER)", "", 0, 8, "French départements coloured by région", franceAttr},
		{"countries", "WorldCRS84Quad", "EPSG:4326", "world/countries_110m.gpkg", "countries", "COALESCE(CAST(iso_n3 AS INTEGER), 7)", "", 0, 3, "Countries of the world (Natural Earth 1:110m)", worldAttr},
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "demotiles")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	for _, c := range caches {
		if err := build(ctx, c, *src, *out, tmp); err != nil {
			fail(fmt.Errorf("%s-%s: %w", c.name, c.set, err))
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "demotiles:", err)
	os.Exit(1)
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, stderr.String())
	}
	return nil
}

func build(ctx context.Context, c cache, srcDir, outDir, tmp string) error {
	set, err := tiling.Builtin(c.set)
	if err != nil {
		return err
	}
	// Reproject the vector source into the set's CRS once.
	vec := filepath.Join(tmp, c.name+"-"+c.set+".gpkg")
	args := []string{"-f", "GPKG", "-t_srs", c.epsg, "-nln", "src", "-nlt", "MULTIPOLYGON", vec, filepath.Join(srcDir, c.source), c.layer}
	if c.clip != "" {
		args = append([]string{"-clipsrc"}, append(strings.Fields(c.clip), args...)...)
	}
	if err := run(ctx, "ogr2ogr", args...); err != nil {
		return err
	}
	extent, err := layerExtent(ctx, vec)
	if err != nil {
		return err
	}
	path := filepath.Join(outDir, c.name+"-"+c.set+".mbtiles")
	_ = os.Remove(path)
	wgs, err := wgs84Extent(ctx, filepath.Join(srcDir, c.source), c.layer)
	if err != nil {
		return err
	}
	meta := mbtiles.Metadata{
		Name: c.name, Format: "png", Bounds: wgs, MinZoom: c.minZ, MaxZoom: c.maxZ,
		Center:      [3]float64{(wgs[0] + wgs[2]) / 2, (wgs[1] + wgs[3]) / 2, float64(c.minZ+c.maxZ) / 2},
		Attribution: c.attribution, Description: c.description, Type: "baselayer", Version: "1",
	}
	if c.set != "WebMercatorQuad" {
		meta.TileMatrixSet = c.set
	}
	store, err := mbtiles.Create(ctx, path, mbtiles.Options{TileMatrixSet: set}, meta)
	if err != nil {
		return err
	}
	defer compact(ctx, path)
	defer store.Close()
	for z := c.minZ; z <= c.maxZ; z++ {
		m := &set.Matrices[z]
		r := m.TileRange(extent)
		b := m.RangeBounds(r)
		w := (r.MaxCol - r.MinCol + 1) * m.TileWidth
		h := (r.MaxRow - r.MinRow + 1) * m.TileHeight
		img, err := rasterize(ctx, c, vec, tmp, b, w, h)
		if err != nil {
			return fmt.Errorf("level %d: %w", z, err)
		}
		n := 0
		for row := r.MinRow; row <= r.MaxRow; row++ {
			for col := r.MinCol; col <= r.MaxCol; col++ {
				x0 := (col - r.MinCol) * m.TileWidth
				y0 := (row - r.MinRow) * m.TileHeight
				tile := image.NewNRGBA(image.Rect(0, 0, m.TileWidth, m.TileHeight))
				draw.Draw(tile, tile.Bounds(), img, image.Pt(x0, y0), draw.Src)
				if transparent(tile) {
					continue // served as an empty tile by the missing-tile policy
				}
				var buf bytes.Buffer
				if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, tile); err != nil {
					return err
				}
				k := tiling.Key{Layer: c.name, TileMatrixSet: c.set, Z: z, Col: col, Row: row, Format: "png"}
				if err := store.Put(ctx, k, tiling.Tile{Data: buf.Bytes(), ContentType: "image/png"}); err != nil {
					return err
				}
				n++
			}
		}
		fmt.Printf("%s %s z%d: %d tiles (range %+v)\n", c.name, c.set, z, n, r)
	}
	return nil
}

// rasterize draws the features coloured by colorKey with dark outlines into
// a w×h RGBA image covering b.
func rasterize(ctx context.Context, c cache, vec, tmp string, b tiling.Bounds, w, h int) (image.Image, error) {
	tif := filepath.Join(tmp, "level.tif")
	pngPath := filepath.Join(tmp, "level.png")
	_ = os.Remove(tif)
	te := []string{"-te", ftoa(b.MinX), ftoa(b.MinY), ftoa(b.MaxX), ftoa(b.MaxY), "-ts", strconv.Itoa(w), strconv.Itoa(h)}
	create := append([]string{"-ot", "Byte", "-init", "0", "-burn", "0", "-burn", "0", "-burn", "0", "-burn", "0", "-a_srs", c.epsg, "-sql", "SELECT geom FROM src WHERE 0"}, te...)
	create = append(create, vec, tif)
	if err := run(ctx, "gdal_rasterize", create...); err != nil {
		return nil, err
	}
	// Pastel fill: each channel from the key, kept in 120..239.
	for band, mul := range []int{67, 131, 197} {
		sql := fmt.Sprintf("SELECT geom, ((%s) * %d) %% 120 + 120 AS v FROM src", c.colorKey, mul)
		if err := run(ctx, "gdal_rasterize", "-b", strconv.Itoa(band+1), "-a", "v", "-dialect", "SQLite", "-sql", sql, vec, tif); err != nil {
			return nil, err
		}
	}
	if err := run(ctx, "gdal_rasterize", "-b", "4", "-burn", "255", "-sql", "SELECT geom FROM src", vec, tif); err != nil {
		return nil, err
	}
	// Countries split at the antimeridian (Russia, Fiji, Antarctica) have
	// rings that run along ±180°; their outlines would draw a line across
	// the world, so only their fill is drawn.
	outline := "SELECT ST_Boundary(geom) AS geom FROM src WHERE ST_MaxX(geom) - ST_MinX(geom) < 300"
	if err := run(ctx, "gdal_rasterize", "-b", "1", "-b", "2", "-b", "3", "-b", "4", "-burn", "60", "-burn", "60", "-burn", "70", "-burn", "255", "-dialect", "SQLite", "-sql", outline, vec, tif); err != nil {
		return nil, err
	}
	if err := run(ctx, "gdal_translate", "-q", "-of", "PNG", tif, pngPath); err != nil {
		return nil, err
	}
	f, err := os.Open(pngPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

func transparent(img *image.NRGBA) bool {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0 {
			return false
		}
	}
	return true
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// layerExtent reads the extent of layer src of a GeoPackage.
func layerExtent(ctx context.Context, gpkg string) (tiling.Bounds, error) {
	e, err := extent(ctx, gpkg, "src")
	return tiling.Bounds{MinX: e[0], MinY: e[1], MaxX: e[2], MaxY: e[3]}, err
}

// wgs84Extent is the extent of a layer in longitude/latitude, for the
// MBTiles bounds metadata.
func wgs84Extent(ctx context.Context, path, layer string) ([4]float64, error) {
	return extent(ctx, path, layer, "-t_srs", "EPSG:4326")
}

func extent(ctx context.Context, path, layer string, extra ...string) ([4]float64, error) {
	tmp, err := os.MkdirTemp("", "extent")
	if err != nil {
		return [4]float64{}, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "e.geojson")
	args := append([]string{"-f", "GeoJSON", "-lco", "WRITE_BBOX=YES"}, extra...)
	args = append(args, out, path, layer)
	if err := run(ctx, "ogr2ogr", args...); err != nil {
		return [4]float64{}, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return [4]float64{}, err
	}
	return parseBBox(data)
}

// compact leaves the committed file in rollback-journal mode and without
// free pages, so it opens read-only anywhere and diffs stay small.
func compact(ctx context.Context, path string) {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		fail(err)
	}
	defer db.Close()
	for _, q := range []string{"PRAGMA journal_mode=DELETE", "VACUUM"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			fail(fmt.Errorf("%s: %s: %w", path, q, err))
		}
	}
}
