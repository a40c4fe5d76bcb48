package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mySet is a small custom tile matrix set: the first three levels of Web
// Mercator under another name.
const mySet = `{
  "id": "MySet",
  "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
  "tileMatrices": [
    {"id": "0", "scaleDenominator": 559082264.028717, "pointOfOrigin": [-20037508.3427892, 20037508.3427892], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1},
    {"id": "1", "scaleDenominator": 279541132.0143585, "pointOfOrigin": [-20037508.3427892, 20037508.3427892], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2, "matrixHeight": 2},
    {"id": "2", "scaleDenominator": 139770566.00717925, "pointOfOrigin": [-20037508.3427892, 20037508.3427892], "tileWidth": 256, "tileHeight": 256, "matrixWidth": 4, "matrixHeight": 4}
  ]
}`

// writeConfig writes the configuration and the files it names in a fresh
// directory and returns the configuration's path. Files ending in .mbtiles
// are left empty: Load only checks that they exist.
func writeConfig(t *testing.T, yaml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// problemLines formats problems without the directory, as file:line:col:
// key: message.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %T is not Problems: %v", err, err)
	}
	var out []string
	for _, p := range ps {
		p.File = filepath.Base(p.File)
		out = append(out, p.Error())
	}
	return out
}

var standardFiles = map[string]string{
	"tiles/world.mbtiles":                  "",
	"tiles/france-LAMB93.mbtiles":          "",
	"tiles/france-WebMercatorQuad.mbtiles": "",
	"tiles/custom-MySet.mbtiles":           "",
	"sets/MySet.json":                      mySet,
	"store.gpkg":                           "",
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want lists every problem expected, in order; each entry must be
		// contained in the corresponding problem line.
		want []string
	}{
		{
			name: "unknown top-level key",
			yaml: "server:\n  listen: \":8080\"\nlayres: []\n",
			want: []string{`tuiles.yaml:3:1: layres: unknown key "layres" (known: layers, producer, server, service, store, tile_matrix_sets, wfs, wms)`},
		},
		{
			name: "rate limits",
			yaml: "server:\n  rate_limits:\n    wcs: {rate: 5}\n",
			want: []string{`server.rate_limits.wcs: unknown key "wcs"`},
		},
		{
			name: "limits, producer and seeding values",
			yaml: "server:\n  max_body_bytes: -1\n  seed_threads: -2\nproducer: {data_dir: data, max_upload_bytes: -5}\nwms:\n  max_layers: 0\nstore: store.gpkg\nlayers:\n  - name: a\n    data: {table: t}\n    access_key_sha256: nothex\n    tiles: {cache: c.mbtiles, min_zoom: 3, seed_max_zoom: 2}\n  - name: b\n    data: {store: other.gpkg}\n",
			want: []string{
				`server.max_body_bytes: -1 is negative`,
				`server.seed_threads: -2 is negative`,
				`producer.max_upload_bytes: -5 is negative`,
				`wms.max_layers: 0 is not a number of layers`,
				`layers[0].access_key_sha256: want the SHA-256`,
				`layers[0].tiles.seed_max_zoom: 2 is below min_zoom 3`,
				`layers[1].data.mbtiles: a layer needs data`,
				`layers[1].data.store: a store is for data.table`,
			},
		},
		{
			name: "rate limit values",
			yaml: "server:\n  rate_limits:\n    wms: {rate: 0, burst: 3}\n",
			want: []string{`server.rate_limits.wms.rate: 0 is not a positive number`},
		},
		{
			name: "wms section",
			yaml: "wms:\n  crs: [EPSG:3857, EPSG:99999]\n  max_width: 0\n  max_features: -1\n  timeout: 0s\n  groups:\n    - name: \"bad name\"\n      layers: []\n",
			want: []string{`2:20: wms.crs[1]: "EPSG:99999" is not a CRS tuiles knows`, `3:14: wms.max_width: 0 is not a size`, `4:17: wms.max_features: -1 is not a positive`, `5:12: wms.timeout: 0s is not a positive duration`, `7:13: wms.groups[0].name: "bad name" is not a name`, `8:15: wms.groups[0].layers: a group needs at least one layer`},
		},
		{
			name: "rendered tiles",
			yaml: "store: store.gpkg\nlayers:\n  - name: t\n    data: {table: roads}\n    tiles: {sets: [WebMercatorQuad, LAMB93], formats: [webp], cache: c.mbtiles, metatile: 0, buffer: 1000, min_zoom: 5, max_zoom: 2}\n  - name: u\n    data: {table: roads}\n    tiles: {metatile: 2}\n",
			want: []string{`layers[0].tiles.formats: rendered tiles are png, png8, jpeg or pbf`, `layers[0].tiles.cache: an MBTiles file holds one tile matrix set`, `layers[0].tiles.metatile: 0 is not a metatile side`, `layers[0].tiles.buffer: 1000 is not a buffer`, `layers[0].tiles.max_zoom: 2 is below min_zoom 5`, `layers[1].tiles.metatile: only rendered tiles have metatile`},
		},
		{
			name: "store table without a store",
			yaml: "layers:\n  - name: t\n    data: {table: roads}\n",
			want: []string{`layers[0].data.table: a store table needs the top-level store: key`},
		},
		{
			name: "missing store file",
			yaml: "store: nowhere.gpkg\nlayers:\n  - name: t\n    data: {table: roads}\n",
			want: []string{`store: store`},
		},
		{
			name: "services that the data cannot feed",
			yaml: "store: store.gpkg\nlayers:\n  - name: t\n    data: {table: roads}\n    services: [wmts, wfs, wfs, wms2]\n",
			want: []string{`5:16: layers[0].services: service "wmts" needs tile cache data (data.mbtiles, or tiles.cache for rendered tiles)`, `5:27: layers[0].services: service "wfs" is listed twice`, `5:32: layers[0].services: unknown service "wms2"`},
		},
		{
			name: "bad wfs limits",
			yaml: "wfs: {max_features: 0, timeout: 0s}\n",
			want: []string{`wfs.max_features: 0 is not a positive number`, `wfs.timeout: 0s is not a positive duration`},
		},
		{
			name: "unknown nested key",
			yaml: `
layers:
  - name: world
    data:
      mbtiles: tiles/world.mbtiles
    tiles:
      maxage: 60
`,
			want: []string{`tuiles.yaml:7:7: layers[0].tiles.maxage: unknown key "maxage" (known: background, bounds, buffer, cache, fields, formats, max_age, max_zoom, metatile, min_zoom, missing, seed_max_zoom, sets)`},
		},
		{
			name: "unknown format, as in the documentation",
			yaml: `
layers:
  - name: world
    data: {mbtiles: tiles/world.mbtiles}
  - name: other
    data: {mbtiles: tiles/world.mbtiles}
    tiles:
      formats:
        - gif
`,
			want: []string{`tuiles.yaml:9:11: layers[1].tiles.formats: unknown format "gif" (known: png, jpeg, webp, pbf)`},
		},
		{
			name: "syntax error",
			yaml: "server:\n  listen: [\":8080\"\n",
			want: []string{`tuiles.yaml:2:11: sequence end token ']' not found`},
		},
		{
			name: "broken flow mapping with {set}",
			yaml: "layers:\n  - name: x\n    data: {mbtiles: tiles/x-{set}.mbtiles\n",
			want: []string{"tuiles.yaml:3:29: ',' or '}' must be specified (inside {...}, quote a path that contains {set}"},
		},
		{
			name: "two documents",
			yaml: "server: {}\n---\nlayers: []\n",
			want: []string{`tuiles.yaml:3:1: a configuration is one YAML document`},
		},
		{
			name: "not a mapping",
			yaml: "- a\n- b\n",
			want: []string{`tuiles.yaml:1:1: want a mapping with server, service, tile_matrix_sets and layers, got a list`},
		},
		{
			name: "wrong shapes",
			yaml: `
server: [":8080"]
service:
  keywords: maps
layers:
  - name: world
    title: {en: World}
    data: {mbtiles: tiles/world.mbtiles}
    tiles: {bounds: [a, 1, 2, 3]}
`,
			want: []string{
				`tuiles.yaml:2:9: server: want a mapping of keys to values, got a list`,
				`tuiles.yaml:4:13: service.keywords: want a list, got "maps"`,
				`tuiles.yaml:7:12: layers[0].title: want a string, got a mapping`,
				`tuiles.yaml:9:22: layers[0].tiles.bounds[0]: want a number, got "a"`,
			},
		},
		{
			name: "layer names",
			yaml: `
layers:
  - name: world
    data: {mbtiles: tiles/world.mbtiles}
  - name: world
    data: {mbtiles: tiles/world.mbtiles}
  - name: "bad name/../"
    data: {mbtiles: tiles/world.mbtiles}
  - title: Nameless
    data: {mbtiles: tiles/world.mbtiles}
`,
			want: []string{
				`tuiles.yaml:5:11: layers[1].name: layer name "world" is already used by layers[0]`,
				`tuiles.yaml:7:11: layers[2].name: "bad name/../" is not a valid layer name`,
				`tuiles.yaml:9:5: layers[3].name: a layer needs a name`,
			},
		},
		{
			name: "data",
			yaml: `
layers:
  - name: nodata
  - name: missing
    data: {mbtiles: tiles/nope.mbtiles}
  - name: needsets
    data: {mbtiles: "tiles/france-{set}.mbtiles"}
  - name: needplaceholder
    data: {mbtiles: tiles/world.mbtiles}
    tiles: {sets: [WebMercatorQuad, LAMB93]}
  - name: onemissing
    data: {mbtiles: "tiles/france-{set}.mbtiles"}
    tiles: {sets: [LAMB93, WorldCRS84Quad]}
  - name: directory
    data: {mbtiles: tiles}
`,
			want: []string{
				`tuiles.yaml:3:5: layers[0].data.mbtiles: a layer needs data`,
				`tuiles.yaml:5:21: layers[1].data.mbtiles: MBTiles file `,
				`tuiles.yaml:7:21: layers[2].data.mbtiles: the path contains {set} but tiles.sets lists no tile matrix set`,
				`tuiles.yaml:9:21: layers[3].data.mbtiles: an MBTiles file holds one tile matrix set`,
				`tuiles.yaml:12:21: layers[4].data.mbtiles: MBTiles file `,
				`tuiles.yaml:15:21: layers[5].data.mbtiles: MBTiles file `,
			},
		},
		{
			name: "tiles values",
			yaml: `
layers:
  - name: world
    data: {mbtiles: tiles/world.mbtiles}
    tiles:
      sets: [Mercator, WebMercatorQuad, WebMercatorQuad]
      formats: [png, png8, jpeg]
      max_age: -1h
      missing: blank
      background: "#12345"
  - name: age
    data: {mbtiles: tiles/world.mbtiles}
    tiles: {max_age: soon}
  - name: bg
    data: {mbtiles: tiles/world.mbtiles}
    tiles:
      background: #ffffff
`,
			want: []string{
				`tuiles.yaml:4:21: layers[0].data.mbtiles: an MBTiles file holds one tile matrix set`,
				`tuiles.yaml:6:14: layers[0].tiles.sets: unknown tile matrix set "Mercator" (known: LAMB93, PM, WebMercatorQuad, WorldCRS84Quad)`,
				`tuiles.yaml:6:41: layers[0].tiles.sets: tile matrix set "WebMercatorQuad" is listed twice`,
				`tuiles.yaml:7:22: layers[0].tiles.formats: format "png8" is listed twice`,
				`tuiles.yaml:7:28: layers[0].tiles.formats: an MBTiles cache holds one format`,
				`tuiles.yaml:8:16: layers[0].tiles.max_age: -1h0m0s is negative`,
				`tuiles.yaml:9:16: layers[0].tiles.missing: unknown value "blank" (want empty or not_found)`,
				`tuiles.yaml:10:19: layers[0].tiles.background: "#12345" is not a colour`,
				`tuiles.yaml:13:22: layers[1].tiles.max_age: "soon" is not a duration`,
				`tuiles.yaml:17:7: layers[2].tiles.background: an unquoted # starts a YAML comment`,
			},
		},
		{
			name: "bounds",
			yaml: `
layers:
  - {name: a, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: [1, 2, 3]}}
  - {name: b, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: [10, 40, 5, 50]}}
  - {name: c, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: [0, 50, 10, 40]}}
  - {name: d, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: [-200, 0, 10, 40]}}
  - {name: e, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: [0, 0, 10, 95]}}
  - {name: f, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: [0, 0, .inf, 10]}}
  - {name: g, data: {mbtiles: tiles/world.mbtiles}, tiles: {bounds: "0,0,1,1"}}
`,
			want: []string{
				`tuiles.yaml:3:69: layers[0].tiles.bounds: want 4 numbers [west, south, east, north], got 3`,
				`tuiles.yaml:4:69: layers[1].tiles.bounds: [10, 40, 5, 50] is inverted or empty`,
				`tuiles.yaml:5:69: layers[2].tiles.bounds: [0, 50, 10, 40] is inverted or empty`,
				`tuiles.yaml:6:69: layers[3].tiles.bounds: [-200, 0, 10, 40] is outside [-180, -90, 180, 90]`,
				`tuiles.yaml:7:69: layers[4].tiles.bounds: [0, 0, 10, 95] is outside`,
				`tuiles.yaml:8:69: layers[5].tiles.bounds: bounds must be finite numbers`,
				`tuiles.yaml:9:69: layers[6].tiles.bounds: want a list, got "0,0,1,1"`,
			},
		},
		{
			name: "server and service",
			yaml: `
server:
  listen: "8080"
  public_url: "maps.example.org"
  cors_origins: ["*", "https://a.example/path"]
service:
  provider_url: "ftp://x"
  contact_email: "nobody"
`,
			want: []string{
				`tuiles.yaml:3:11: server.listen: "8080" is not a listen address`,
				`tuiles.yaml:4:15: server.public_url: "maps.example.org" is not an absolute http or https URL`,
				`tuiles.yaml:5:18: server.cors_origins[0]: "*" allows every origin; list it alone`,
				`tuiles.yaml:5:23: server.cors_origins[1]: "https://a.example/path" is not an origin`,
				`tuiles.yaml:7:17: service.provider_url: "ftp://x" is not an absolute http or https URL`,
				`tuiles.yaml:8:18: service.contact_email: "nobody" is not an e-mail address`,
			},
		},
		{
			name: "tile matrix sets",
			yaml: `
tile_matrix_sets:
  - WebMercatorQuad
  - Nope
  - sets/missing.json
  - sets/MySet.json
  - sets/MySet.json
  - sets/broken.json
  - sets/dup.json
layers:
  - name: world
    data: {mbtiles: tiles/world.mbtiles}
    tiles: {sets: [Nope]}
`,
			want: []string{
				`tuiles.yaml:4:5: tile_matrix_sets[1]: unknown tile matrix set "Nope": not a built-in set (LAMB93, PM, WebMercatorQuad, WorldCRS84Quad)`,
				`tuiles.yaml:5:5: tile_matrix_sets[2]: tile matrix set file `,
				`tuiles.yaml:7:5: tile_matrix_sets[4]: "sets/MySet.json" is already listed at tile_matrix_sets[3]`,
				`tuiles.yaml:8:5: tile_matrix_sets[5]: invalid tile matrix set: sets/broken.json`,
				`tuiles.yaml:9:5: tile_matrix_sets[6]: sets/dup.json defines tile matrix set "WebMercatorQuad", which the built-in set already defines`,
				`tuiles.yaml:13:20: layers[0].tiles.sets: unknown tile matrix set "Nope" (known: LAMB93, PM, WebMercatorQuad, WorldCRS84Quad, MySet)`,
			},
		},
		{
			name: "many problems at once",
			yaml: `
server:
  listen: ":8080"
  lissen: ":9090"
layers:
  - name: world
    data: {mbtiles: tiles/world.mbtiles}
    tiles: {formats: [gif], max_age: -5}
  - name: world
    data: {mbtiles: tiles/none.mbtiles}
    tiles: {sets: [Unknown], bounds: [0, 0, 0, 0]}
`,
			want: []string{
				`tuiles.yaml:4:3: server.lissen: unknown key`,
				`tuiles.yaml:8:23: layers[0].tiles.formats: unknown format "gif"`,
				`tuiles.yaml:8:38: layers[0].tiles.max_age: -5s is negative`,
				`tuiles.yaml:9:11: layers[1].name: layer name "world" is already used by layers[0]`,
				`tuiles.yaml:10:21: layers[1].data.mbtiles: MBTiles file `,
				`tuiles.yaml:11:20: layers[1].tiles.sets: unknown tile matrix set "Unknown"`,
				`tuiles.yaml:11:38: layers[1].tiles.bounds: [0, 0, 0, 0] is inverted or empty`,
			},
		},
	}
	files := map[string]string{
		"sets/broken.json": `{"id": "Broken"}`,
		"sets/dup.json":    strings.Replace(mySet, `"MySet"`, `"WebMercatorQuad"`, 1),
	}
	for k, v := range standardFiles {
		files[k] = v
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.yaml, files)
			_, err := Load(path)
			got := problemLines(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestLoadValues(t *testing.T) {
	path := writeConfig(t, `
server:
  listen: "127.0.0.1:9000"
  public_url: https://maps.example.org/tuiles
  cors_origins: []
service:
  title: My maps
  keywords: [maps, tiles]
tile_matrix_sets: [WebMercatorQuad, sets/MySet.json]
x-tiles: &common
  max_age: 600
  missing: not_found
layers:
  - name: world
    title: World
    data:
      mbtiles: tiles/world.mbtiles
    tiles:
      <<: *common
      formats: [PNG]
      bounds: [-10, -20, 30, 40.5]
  - name: france
    data: {mbtiles: "tiles/france-{set}.mbtiles"}
    tiles:
      sets: [LAMB93, WebMercatorQuad]
      max_age: 90s
      background: "#0a0"
  - name: custom
    data: {mbtiles: tiles/custom-{set}.mbtiles}
    tiles: {sets: [MySet], max_age: "2.5"}
`, standardFiles)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != "127.0.0.1:9000" || c.Server.PublicURL != "https://maps.example.org/tuiles" {
		t.Errorf("server %+v", c.Server)
	}
	if c.Server.CORSOrigins == nil || len(c.Server.CORSOrigins) != 0 {
		t.Errorf("cors_origins: [] gave %#v, want an empty list", c.Server.CORSOrigins)
	}
	if c.Service.Title != "My maps" || len(c.Service.Keywords) != 2 {
		t.Errorf("service %+v", c.Service)
	}
	if len(c.Layers) != 3 {
		t.Fatalf("%d layers", len(c.Layers))
	}
	w := c.Layers[0]
	if w.Title != "World" || time.Duration(w.Tiles.MaxAge) != 10*time.Minute || w.Tiles.Missing != MissingNotFound {
		t.Errorf("world: %+v (merged defaults lost?)", w)
	}
	if len(w.Tiles.Bounds) != 4 || w.Tiles.Bounds[3] != 40.5 {
		t.Errorf("bounds %v", w.Tiles.Bounds)
	}
	if w.Tiles.Background != (Color{255, 255, 255}) {
		t.Errorf("default background %v", w.Tiles.Background)
	}
	f := c.Layers[1]
	if time.Duration(f.Tiles.MaxAge) != 90*time.Second || f.Tiles.Missing != MissingEmpty || f.Tiles.Background != (Color{0, 0xaa, 0}) {
		t.Errorf("france tiles %+v", f.Tiles)
	}
	if got := c.Resolve(f.MBTilesFile("LAMB93")); got != filepath.Join(filepath.Dir(path), "tiles/france-LAMB93.mbtiles") {
		t.Errorf("resolved path %s", got)
	}
	// Unquoted in a flow mapping, which strict YAML does not allow.
	if got := c.Layers[2].Data.MBTiles; got != "tiles/custom-{set}.mbtiles" {
		t.Errorf("unquoted {set} path read as %q", got)
	}
	if time.Duration(c.Layers[2].Tiles.MaxAge) != 2500*time.Millisecond {
		t.Errorf("max_age \"2.5\" gave %v", c.Layers[2].Tiles.MaxAge)
	}
	s, ok := c.TileMatrixSet("MySet")
	if !ok || len(s.Matrices) != 3 {
		t.Errorf("custom set not loaded")
	}
	for _, id := range []string{"WebMercatorQuad", "WorldCRS84Quad", "PM", "LAMB93"} {
		if _, ok := c.TileMatrixSet(id); !ok {
			t.Errorf("built-in %s not available", id)
		}
	}
	a, _ := c.TileMatrixSet("LAMB93")
	b, _ := c.TileMatrixSet("LAMB93")
	if a != b {
		t.Error("a set identifier gives two values")
	}
	p := c.Problemf("layers[1].tiles.sets", "x")
	if p.Line != 25 || p.Col != 13 {
		t.Errorf("position of layers[1].tiles.sets: %d:%d, want 25:13", p.Line, p.Col)
	}
	p = c.Problemf("layers[1].tiles.formats", "x")
	if p.Line != 25 || p.Col != 7 {
		t.Errorf("position of absent layers[1].tiles.formats: %d:%d, want 25:7 (where its parent tiles starts)", p.Line, p.Col)
	}
}

func TestLoadDefaults(t *testing.T) {
	for _, yaml := range []string{"", "# nothing yet\n", "server:\nservice:\nlayers:\n"} {
		path := writeConfig(t, yaml, nil)
		c, err := Load(path)
		if err != nil {
			t.Fatalf("%q: %v", yaml, err)
		}
		d := Default()
		if len(c.WMS.CRS) != 6 || c.WMS.MaxWidth != DefaultWMSMaxSize || time.Duration(c.WMS.Timeout) != DefaultWMSTimeout {
			t.Errorf("%q: wms defaults %+v", yaml, c.WMS)
		}
		if c.Server.Listen != d.Server.Listen || len(c.Server.CORSOrigins) != 1 || c.Server.CORSOrigins[0] != "*" || c.Service.Title != d.Service.Title || len(c.Layers) != 0 {
			t.Errorf("%q: %+v", yaml, c)
		}
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	lines := problemLines(t, err)
	if len(lines) != 1 || !strings.Contains(lines[0], "absent.yaml: cannot read the configuration: no such file or directory") {
		t.Errorf("%q", lines)
	}
}

func TestLoadNeverPanics(t *testing.T) {
	// Odd but parseable inputs: aliases in loops, tags, nulls everywhere.
	for _, yaml := range []string{
		"a: &a {b: *a}\n",
		"layers: &l [*l]\n",
		"layers:\n  - &x {name: a, tiles: *x}\n",
		"layers: [~, null, {}]\n",
		"server: !!map {listen: ':1'}\n",
		"layers:\n  - name: !!str 42\n    data: {mbtiles: !!binary aGVsbG8=}\n",
		"? [complex, key]\n: value\n",
		"layers:\n  - <<: [*nope]\n",
		"layers:\n  - <<: 5\n",
		"tile_matrix_sets: [~, '', 5]\n",
		"layers:\n  - tiles: {bounds: [1e400, 0, 1, 1]}\n",
		"layers:\n  - tiles: {max_age: 1e300}\n",
		"\xff\xfe",
	} {
		path := writeConfig(t, yaml, nil)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%q: panic %v", yaml, p)
				}
			}()
			_, _ = Load(path)
		}()
	}
}

func TestProblemFormat(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Col: 5, Key: "layers[0].name", Msg: "bad"}, "a.yaml:3:5: layers[0].name: bad"},
		{Problem{File: "a.yaml", Line: 3, Key: "k", Msg: "bad"}, "a.yaml:3: k: bad"},
		{Problem{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{Problem{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
	ps := Problems{tests[0].p, tests[2].p}
	if ps.Error() != "a.yaml:3:5: layers[0].name: bad\na.yaml: bad" {
		t.Errorf("%q", ps.Error())
	}
	if !ps.About("layers[0]") || ps.About("layers[1]") || ps.About("layers[0].n") {
		t.Error("About")
	}
}

func TestDurationAndColor(t *testing.T) {
	durations := map[string]time.Duration{"1h": time.Hour, "3600": time.Hour, "0": 0, "1.5": 1500 * time.Millisecond, `"90s"`: 90 * time.Second, `"60"`: time.Minute}
	for in, want := range durations {
		var d Duration
		if err := d.UnmarshalYAML([]byte(in)); err != nil || time.Duration(d) != want {
			t.Errorf("%s: %v %v, want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{"soon", "[1]", "true", "1e300"} {
		var d Duration
		if err := d.UnmarshalYAML([]byte(in)); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
	colors := map[string]Color{"#ffffff": {255, 255, 255}, "#0a0": {0, 170, 0}, "102030": {16, 32, 48}, "ABC": {170, 187, 204}}
	for in, want := range colors {
		c, err := ParseColor(in)
		if err != nil || c != want {
			t.Errorf("%s: %v %v", in, c, err)
		}
		if c.String() != "#"+strings.ToLower(strings.TrimPrefix(c.String(), "#")) {
			t.Errorf("String %q", c.String())
		}
	}
	for _, in := range []string{"", "#ff", "#gggggg", "#ffffff0", "red"} {
		if _, err := ParseColor(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// WithLayers appends layers checked like the file's own, paths resolved
// against their own directory, names unique across both.
func TestWithLayers(t *testing.T) {
	path := writeConfig(t, "store: s.gpkg\nlayers:\n  - name: a\n    data: {table: t}\n", map[string]string{"s.gpkg": ""})
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.gpkg"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "layers:\n  - name: b\n    data: {table: roads, store: p.gpkg}\n    tiles: {cache: cache/b-{set}.mbtiles, sets: [WebMercatorQuad]}\n"
	out, err := c.WithLayers([]byte(doc), "publications", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Layers) != 2 || len(c.Layers) != 1 {
		t.Fatalf("layers %d (original %d)", len(out.Layers), len(c.Layers))
	}
	b := out.Layers[1]
	if b.Data.Store != filepath.Join(dir, "p.gpkg") || b.Tiles.Cache != filepath.Join(dir, "cache/b-{set}.mbtiles") || b.Tiles.MetaTile != DefaultMetaTile || b.Tiles.MaxZoom != -1 {
		t.Errorf("published layer %+v", b)
	}
	// A name taken by the file, a store that does not exist.
	doc = "layers:\n  - name: a\n    data: {table: roads, store: p.gpkg}\n  - name: c\n    data: {table: roads, store: nope.gpkg}\n"
	_, err = c.WithLayers([]byte(doc), "publications", dir)
	lines := strings.Join(problemLines(t, err), "\n")
	if !strings.Contains(lines, `"a" is already the name`) || !strings.Contains(lines, "nope.gpkg") {
		t.Errorf("problems:\n%s", lines)
	}
}
