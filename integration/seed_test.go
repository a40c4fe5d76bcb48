package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
	"github.com/tuiles/tuiles/tiling/pmtiles"
)

// seedConfig writes a configuration publishing the demo départements as
// rendered tiles into a cache of dir, and returns its path.
func seedConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := departementsConfig(filepath.Join(demo.root, "testdata/demo/styles/departements.sld"), filepath.Join(dir, "cache.mbtiles"), "max_zoom: 12")
	path := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// departementsConfig is a configuration of the demo store publishing its
// départements in style (an SLD file) on every service, with rendered
// Web Mercator PNG tiles in cache; tiles adds keys to the tiles section.
func departementsConfig(style, cache, tiles string) string {
	return fmt.Sprintf(`store: %s
layers:
  - name: departements
    data: {table: departements}
    styles: [%s]
    tiles: {sets: [WebMercatorQuad], formats: [png], cache: %s, %s}
`, filepath.Join(demo.root, "testdata/demo/store.gpkg"), style, cache, tiles)
}

func runTuiles(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, demo.bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("tuiles %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// allTiles reads every tile of a cache.
func allTiles(t *testing.T, path string) map[tiling.Key][]byte {
	t.Helper()
	set, err := tiling.Builtin("WebMercatorQuad")
	if err != nil {
		t.Fatal(err)
	}
	s, err := mbtiles.Open(t.Context(), path, mbtiles.Options{TileMatrixSet: set})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ranges, err := s.TileRanges(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[tiling.Key][]byte{}
	for z, r := range ranges {
		for row := r.MinRow; row <= r.MaxRow; row++ {
			for col := r.MinCol; col <= r.MaxCol; col++ {
				k := tiling.Key{Z: z, Col: col, Row: row}
				if tile, err := s.Tile(t.Context(), k); err == nil {
					out[k] = tile.Data
				}
			}
		}
	}
	return out
}

// A seeded tile is byte-identical to the tile the server renders on
// demand at the same address; the dry run counts the work; a second seed
// finds everything done.
func TestSeedMatchesOnDemand(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	dry := runTuiles(t, "seed", "--config", cfg, "--layer", "departements", "--zoom", "0-6", "--dry-run")
	if !strings.Contains(dry, "total") || !strings.Contains(dry, "   6 ") {
		t.Errorf("dry run:\n%s", dry)
	}
	out := runTuiles(t, "seed", "--config", cfg, "--layer", "departements", "--zoom", "0-6", "--threads", "2")
	if !strings.Contains(out, "seeded departements in WebMercatorQuad") {
		t.Errorf("seed output:\n%s", out)
	}
	seeded := allTiles(t, filepath.Join(dir, "cache.mbtiles"))
	if len(seeded) < 20 {
		t.Fatalf("only %d tiles seeded", len(seeded))
	}
	compared := 0
	for k, data := range seeded {
		if k.Z != 6 {
			continue
		}
		_, served := get(t, fmt.Sprintf("/tiles/departements/WebMercatorQuad/%d/%d/%d.png", k.Z, k.Col, k.Row))
		if !bytes.Equal(served, data) {
			t.Errorf("tile %d/%d/%d: the seeded tile differs from the one served", k.Z, k.Col, k.Row)
		}
		compared++
	}
	if compared == 0 {
		t.Fatal("no zoom 6 tile compared")
	}
	again := runTuiles(t, "seed", "--config", cfg, "--layer", "departements", "--zoom", "0-6")
	if !strings.Contains(again, " 0 tiles rendered") {
		t.Errorf("a second seed rendered again:\n%s", again)
	}
	if v := runTuiles(t, "cache", "verify", filepath.Join(dir, "cache.mbtiles")); !strings.Contains(v, "ok: ") {
		t.Errorf("verify: %s", v)
	}
}

// kill -9 in the middle of a seed, then a resumed seed, give the same
// cache as an uninterrupted seed, and the cache verifies.
func TestSeedKilledThenResumed(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	cfgA, cfgB := seedConfig(t, a), seedConfig(t, b)
	args := func(cfg string) []string {
		return []string{"seed", "--config", cfg, "--layer", "departements", "--zoom", "0-8", "--threads", "2"}
	}
	cmd := exec.Command(demo.bin, args(cfgA)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it has written something, or after 3 s at most.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(filepath.Join(a, "cache.mbtiles-wal")); err == nil && fi.Size() > 64<<10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	runTuiles(t, args(cfgA)...)
	runTuiles(t, args(cfgB)...)
	resumed, straight := allTiles(t, filepath.Join(a, "cache.mbtiles")), allTiles(t, filepath.Join(b, "cache.mbtiles"))
	if len(resumed) != len(straight) || len(straight) == 0 {
		t.Fatalf("%d tiles after kill and resume, %d seeded straight\n%s", len(resumed), len(straight), log.String())
	}
	for k, data := range straight {
		if !bytes.Equal(resumed[k], data) {
			t.Errorf("tile %d/%d/%d differs after kill and resume", k.Z, k.Col, k.Row)
		}
	}
	if v := runTuiles(t, "cache", "verify", filepath.Join(a, "cache.mbtiles")); !strings.Contains(v, "ok: ") {
		t.Errorf("verify: %s", v)
	}
}

// Seeding the cache the server is serving (and filling on demand) at the
// same time gives no errors on either side.
func TestSeedWhileServing(t *testing.T) {
	done := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, demo.bin, "seed", "--config", filepath.Join(demo.root, "testdata/demo/tuiles.yaml"),
			"--layer", "departements", "--tms", "LAMB93", "--zoom", "0-8", "--refresh", "all", "--threads", "2").CombinedOutput()
		if err != nil {
			done <- fmt.Sprintf("seed failed: %v\n%s", err, out)
			return
		}
		done <- ""
	}()
	requests := 0
	for {
		select {
		case msg := <-done:
			if msg != "" {
				t.Fatal(msg)
			}
			if requests == 0 {
				t.Fatal("the seed ended before any request was made")
			}
			return
		default:
		}
		for _, p := range []string{"/tiles/departements/LAMB93/7/3/24.png", "/tiles/departements/LAMB93/8/7/50.png", "/tiles/departements/WebMercatorQuad/7/64/44.png"} {
			resp, body := get(t, p)
			if resp.StatusCode != 200 {
				t.Fatalf("%s while seeding: %d %.200s", p, resp.StatusCode, body)
			}
			requests++
		}
	}
}

// Vector tiles of a store table: served with TileJSON vector_layers, read
// by GDAL's MVT driver, and their seeded MBTiles cache opened by ogrinfo,
// as the raster cache is by gdalinfo.
func TestVectorTilesAndCachesInGDAL(t *testing.T) {
	_, tj := get(t, "/tiles/departements-vector/WebMercatorQuad/tiles.json")
	if !bytes.Contains(tj, []byte(`"vector_layers":[{"id":"departements-vector"`)) || !bytes.Contains(tj, []byte(`"nom"`)) {
		t.Errorf("TileJSON lacks the vector layer and its fields: %s", tj)
	}
	// tiles.fields keeps code, nom and code_region only.
	if bytes.Contains(tj, []byte(`"nom_region"`)) {
		t.Errorf("TileJSON lists a field left out by tiles.fields: %s", tj)
	}
	dir := t.TempDir()
	resp, body := get(t, "/tiles/departements-vector/WebMercatorQuad/6/32/22.pbf", "Accept-Encoding", "identity")
	if resp.StatusCode != 200 || len(body) < 1000 {
		t.Fatalf("vector tile: %d, %d bytes", resp.StatusCode, len(body))
	}
	tileDir := filepath.Join(dir, "6", "32")
	if err := os.MkdirAll(tileDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tileDir, "22.pbf"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	info := tool(t, "ogrinfo", "-ro", "-al", "-so", filepath.Join(tileDir, "22.pbf"))
	if !strings.Contains(info, "departements-vector (Multi Polygon)") && !strings.Contains(info, "Layer name: departements-vector") {
		t.Errorf("ogrinfo on a tile:\n%s", info)
	}
	if resp, _ := get(t, "/wmts/1.0.0/departements-vector/default/LAMB93/7/24/3.pbf"); resp.StatusCode != 200 {
		t.Errorf("a Lambert-93 vector tile: %d", resp.StatusCode)
	}
	runTuiles(t, "seed", "--config", filepath.Join(demo.root, "testdata/demo/tuiles.yaml"), "--layer", "departements-vector", "--zoom", "0-5")
	cache := filepath.Join(demo.root, "testdata/demo/cache/departements-vector-WebMercatorQuad.mbtiles")
	if out := tool(t, "ogrinfo", "-ro", "-so", cache, "departements-vector"); !strings.Contains(out, "Feature Count") {
		t.Errorf("ogrinfo on the MVT cache:\n%s", out)
	}
	runTuiles(t, "seed", "--config", filepath.Join(demo.root, "testdata/demo/tuiles.yaml"), "--layer", "departements", "--zoom", "0-5")
	if out := tool(t, "gdalinfo", filepath.Join(demo.root, "testdata/demo/cache/departements-WebMercatorQuad.mbtiles")); !strings.Contains(out, "Driver: MBTiles") {
		t.Errorf("gdalinfo on the PNG cache:\n%s", out)
	}
}

// Re-importing a layer's data, or changing its style, makes its rendered
// cache stale: the next seed renders everything again.
func TestCacheInvalidation(t *testing.T) {
	dir := t.TempDir()
	storePath := filepath.Join(dir, "store.gpkg")
	runTuiles(t, "import", filepath.Join(demo.root, "testdata/vector/sources.gpkg"), "--source-layer", "departements", "--layer", "departements", "--into", storePath)
	style, err := os.ReadFile(filepath.Join(demo.root, "testdata/demo/styles/departements.sld"))
	if err != nil {
		t.Fatal(err)
	}
	stylePath := filepath.Join(dir, "style.sld")
	if err := os.WriteFile(stylePath, style, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("store: %s\nlayers:\n  - name: departements\n    data: {table: departements}\n    styles: [%s]\n    tiles: {formats: [png], cache: %s}\n",
		storePath, stylePath, filepath.Join(dir, "cache.mbtiles"))
	cfgPath := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	seedArgs := []string{"seed", "--config", cfgPath, "--layer", "departements", "--zoom", "0-4"}
	first := runTuiles(t, seedArgs...)
	if again := runTuiles(t, seedArgs...); !strings.Contains(again, " 0 tiles rendered") {
		t.Fatalf("an unchanged layer was rendered again:\n%s\n%s", first, again)
	}
	runTuiles(t, "import", filepath.Join(demo.root, "testdata/vector/sources.gpkg"), "--source-layer", "departements", "--layer", "departements", "--into", storePath, "--replace")
	if out := runTuiles(t, seedArgs...); strings.Contains(out, " 0 tiles rendered") || !strings.Contains(out, " 0 already there") {
		t.Errorf("after a re-import the cache was not stale:\n%s", out)
	}
	if err := os.WriteFile(stylePath, bytes.Replace(style, []byte("#bcd4a6"), []byte("#a6bcd4"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runTuiles(t, seedArgs...); strings.Contains(out, " 0 tiles rendered") || !strings.Contains(out, " 0 already there") {
		t.Errorf("after a style change the cache was not stale:\n%s", out)
	}
}

// A seeded cache exported to PMTiles holds the same tiles, and the
// archive verifies.
func TestExportPMTiles(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	runTuiles(t, "seed", "--config", cfg, "--layer", "departements", "--zoom", "0-7")
	archive := filepath.Join(dir, "departements.pmtiles")
	if out := runTuiles(t, "export", filepath.Join(dir, "cache.mbtiles"), "--to", archive); !strings.Contains(out, "(verified)") {
		t.Errorf("export: %s", out)
	}
	r, err := pmtiles.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	tiles := allTiles(t, filepath.Join(dir, "cache.mbtiles"))
	if n, err := r.Verify(); err != nil || n != int64(len(tiles)) {
		t.Fatalf("verify: %d tiles (cache %d), %v", n, len(tiles), err)
	}
	for k, data := range tiles {
		got, ok, err := r.Tile(uint8(k.Z), uint32(k.Col), uint32(k.Row))
		if err != nil || !ok || !bytes.Equal(got, data) {
			t.Fatalf("tile %d/%d/%d: in the archive %v %v, differs from the cache", k.Z, k.Col, k.Row, ok, err)
		}
	}
	// A Lambert-93 cache cannot be exported: PMTiles is Web Mercator only.
	cmd := exec.Command(demo.bin, "export", filepath.Join(demo.root, "testdata/demo/france-LAMB93.mbtiles"), "--to", filepath.Join(dir, "x.pmtiles"))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "Web Mercator") {
		t.Errorf("exporting LAMB93: %v %s", err, out)
	}
}

// --coverage with --where seeds only the metatiles meeting the chosen
// polygons.
func TestSeedCoverage(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	runTuiles(t, "seed", "--config", cfg, "--layer", "departements", "--zoom", "10-12",
		"--coverage", filepath.Join(demo.root, "testdata/vector/sources.gpkg"), "--coverage-layer", "departements", "--where", "code = '75'")
	tiles := allTiles(t, filepath.Join(dir, "cache.mbtiles"))
	// Notre-Dame (2.35 E, 48.853 N) is in z12 tile 2074/1409; Marseille's
	// tiles are far outside Paris's metatiles.
	if _, ok := tiles[tiling.Key{Z: 12, Col: 2074, Row: 1409}]; !ok {
		t.Error("the tile over central Paris was not seeded")
	}
	for k := range tiles {
		if k.Z == 12 && (k.Col < 2064 || k.Col > 2083 || k.Row < 1400 || k.Row > 1419) {
			t.Errorf("tile %d/%d/%d lies far from Paris", k.Z, k.Col, k.Row)
		}
	}
	if len(tiles) > 4*16 { // 1 metatile at zooms 10 and 11, 2 at 12
		t.Errorf("%d tiles seeded for Paris at zooms 10-12", len(tiles))
	}
}

// --refresh older-than=DATE renders again the tiles stored before DATE.
func TestSeedRefreshOlderThan(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	args := []string{"seed", "--config", cfg, "--layer", "departements", "--zoom", "0-4"}
	runTuiles(t, args...)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if out := runTuiles(t, append(args, "--refresh", "older-than="+past)...); !strings.Contains(out, " 0 tiles rendered") {
		t.Errorf("tiles newer than an hour ago were rendered again:\n%s", out)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if out := runTuiles(t, append(args, "--refresh", "older-than="+future)...); strings.Contains(out, " 0 tiles rendered") || !strings.Contains(out, " 0 already there") {
		t.Errorf("tiles older than an hour from now were kept:\n%s", out)
	}
}

// cache truncate with a coverage empties only the tiles meeting it.
func TestCacheTruncateCoverage(t *testing.T) {
	dir := t.TempDir()
	cfg := seedConfig(t, dir)
	runTuiles(t, "seed", "--config", cfg, "--layer", "departements", "--zoom", "7-8")
	cache := filepath.Join(dir, "cache.mbtiles")
	before := allTiles(t, cache)
	out := runTuiles(t, "cache", "truncate", cache, "--zoom", "8", "--coverage", filepath.Join(demo.root, "testdata/vector/sources.gpkg"),
		"--coverage-layer", "departements", "--where", "code = '75'")
	after := allTiles(t, cache)
	removed := len(before) - len(after)
	if removed < 1 || removed > 4 || !strings.Contains(out, fmt.Sprintf("deleted %d tiles", removed)) {
		t.Errorf("%d tiles removed for Paris at zoom 8 (%s)", removed, out)
	}
	for k := range before {
		if _, kept := after[k]; !kept && (k.Z != 8 || k.Col < 128 || k.Col > 131 || k.Row < 86 || k.Row > 90) {
			t.Errorf("tile %d/%d/%d removed, far from Paris", k.Z, k.Col, k.Row)
		}
	}
	if v := runTuiles(t, "cache", "verify", cache); !strings.Contains(v, "ok: ") {
		t.Errorf("verify: %s", v)
	}
}

// A layer with tiles.seed_max_zoom is seeded by the server itself, in the
// background, with its progress in /metrics; the tiles it rendered are
// then served from the cache.
func TestBackgroundSeedInServe(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tuiles.yaml")
	text := departementsConfig(filepath.Join(demo.root, "testdata/demo/styles/departements.sld"), filepath.Join(dir, "cache.mbtiles"), "max_zoom: 12, seed_max_zoom: 6")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfg)
	waitFor(t, p, "background seed done")
	m := scrapeAt(t, p.base)
	total := m[`tuiles_seed_tiles{layer="departements",state="total",tile_matrix_set="WebMercatorQuad"}`]
	rendered := m[`tuiles_seed_tiles{layer="departements",state="rendered",tile_matrix_set="WebMercatorQuad"}`]
	empty := m[`tuiles_seed_tiles{layer="departements",state="empty",tile_matrix_set="WebMercatorQuad"}`]
	if total == 0 || rendered == 0 || rendered+empty > total {
		t.Fatalf("seed metrics: total %v, rendered %v, empty %v", total, rendered, empty)
	}
	tiles := allTiles(t, filepath.Join(dir, "cache.mbtiles"))
	maxZ := 0
	for k := range tiles {
		maxZ = max(maxZ, k.Z)
	}
	if float64(len(tiles)) < rendered || maxZ != 6 {
		t.Errorf("%d tiles in the cache up to zoom %d, %v rendered by the seed", len(tiles), maxZ, rendered)
	}
	before := m[`tuiles_tile_cache_requests_total{layer="departements",result="hit",tile_matrix_set="WebMercatorQuad"}`]
	if status, _, _ := fetch(t, http.MethodGet, p.base+"/tiles/departements/WebMercatorQuad/6/32/22.png", "", nil); status != http.StatusOK {
		t.Fatalf("tile: %d", status)
	}
	after := scrapeAt(t, p.base)[`tuiles_tile_cache_requests_total{layer="departements",result="hit",tile_matrix_set="WebMercatorQuad"}`]
	if after != before+1 {
		t.Errorf("a seeded tile was not a cache hit: hits %v → %v", before, after)
	}
}
