package main

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/cmd/tuiles/config"
	"github.com/tuiles/tuiles/internal/syncbuf"
	"github.com/tuiles/tuiles/tiling"
	"github.com/tuiles/tuiles/tiling/mbtiles"
)

// pngTile is a real 1×1 PNG, so that any client reading a fixture tile
// gets an image.
func pngTile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// makeMBTiles writes an MBTiles file in set with the given metadata and one
// tile at each key.
func makeMBTiles(t *testing.T, path, setID string, meta mbtiles.Metadata, keys ...tiling.Key) {
	t.Helper()
	set, err := tiling.Builtin(setID)
	if err != nil {
		t.Fatal(err)
	}
	if setID == "WebMercatorQuad" {
		// Such files usually leave tile_matrix_set out.
		meta.TileMatrixSet = ""
	}
	s, err := mbtiles.Create(t.Context(), path, mbtiles.Options{TileMatrixSet: set}, meta)
	if err != nil {
		t.Fatal(err)
	}
	data := pngTile(t)
	for _, k := range keys {
		if err := s.Put(t.Context(), k, tiling.Tile{Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// fixture writes a configuration and the MBTiles files it uses into a new
// directory and returns the configuration's path.
func fixture(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	makeMBTiles(t, filepath.Join(dir, "world.mbtiles"), "WebMercatorQuad",
		mbtiles.Metadata{Name: "World", Format: "png", MinZoom: 0, MaxZoom: 3, Bounds: [4]float64{-180, -85, 180, 85}, Attribution: "Somebody"},
		tiling.Key{Z: 0}, tiling.Key{Z: 1, Col: 1, Row: 1})
	makeMBTiles(t, filepath.Join(dir, "france-WebMercatorQuad.mbtiles"), "WebMercatorQuad",
		mbtiles.Metadata{Format: "png", MinZoom: 0, MaxZoom: 5}, tiling.Key{Z: 0})
	makeMBTiles(t, filepath.Join(dir, "france-LAMB93.mbtiles"), "LAMB93",
		mbtiles.Metadata{Format: "png", MinZoom: 0, MaxZoom: 4}, tiling.Key{Z: 0})
	makeMBTiles(t, filepath.Join(dir, "lamb.mbtiles"), "LAMB93",
		mbtiles.Metadata{Name: "Lambert", Description: "In Lambert-93", Format: "png", MinZoom: 1, MaxZoom: 2, Bounds: [4]float64{-5, 41, 10, 51.5}},
		tiling.Key{Z: 1})
	// No bounds: the tiles present give them.
	makeMBTiles(t, filepath.Join(dir, "sparse.mbtiles"), "WebMercatorQuad",
		mbtiles.Metadata{Format: "png", MinZoom: 0, MaxZoom: 2}, tiling.Key{Z: 2, Col: 2, Row: 1})
	makeMBTiles(t, filepath.Join(dir, "deep.mbtiles"), "WebMercatorQuad",
		mbtiles.Metadata{Format: "png", MinZoom: 0, MaxZoom: 30}, tiling.Key{Z: 0})
	makeMBTiles(t, filepath.Join(dir, "vector.mbtiles"), "WebMercatorQuad",
		mbtiles.Metadata{Format: "pbf", MinZoom: 0, MaxZoom: 1, JSON: `{"vector_layers": [{"id": "roads", "fields": {}}]}`})
	if err := os.WriteFile(filepath.Join(dir, "garbage.mbtiles"), []byte("this is not SQLite"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodConfig = `
service: {title: Test maps}
layers:
  - name: world
    data: {mbtiles: world.mbtiles}
  - name: france
    title: France
    data: {mbtiles: "france-{set}.mbtiles"}
    tiles: {sets: [LAMB93, WebMercatorQuad], bounds: [-5.5, 41, 10, 51.5], formats: [png], missing: not_found}
  - name: lambert
    data: {mbtiles: lamb.mbtiles}
  - name: sparse
    data: {mbtiles: sparse.mbtiles}
  - name: roads
    data: {mbtiles: vector.mbtiles}
`

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckGood(t *testing.T) {
	p := fixture(t, goodConfig)
	code, out, errOut := runMain(t, "check", "--config", p)
	if code != 0 || out != "ok: 5 layers\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestCheckBad(t *testing.T) {
	p := fixture(t, `
server:
  listen: ":8080"
  colour: red
layers:
  - name: garbage
    data: {mbtiles: garbage.mbtiles}
  - name: wrongformat
    data: {mbtiles: world.mbtiles}
    tiles:
      formats: [jpeg]
  - name: toodeep
    data: {mbtiles: deep.mbtiles}
  - name: wrongset
    data: {mbtiles: lamb.mbtiles}
    tiles: {sets: [WebMercatorQuad]}
  - name: bad name
    data: {mbtiles: garbage.mbtiles}
  - name: unknownset
    data: {mbtiles: world.mbtiles}
    tiles: {sets: [Nope]}
`)
	code, out, errOut := runMain(t, "check", "--config", p)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`tuiles\.yaml:4:3: server\.colour: unknown key "colour"`),
		regexp.MustCompile(`tuiles\.yaml:17:11: layers\[4\]\.name: "bad name" is not a valid layer name`),
		regexp.MustCompile(`tuiles\.yaml:21:20: layers\[5\]\.tiles\.sets: unknown tile matrix set "Nope"`),
		regexp.MustCompile(`tuiles\.yaml:7:21: layers\[0\]\.data\.mbtiles: mbtiles .*garbage\.mbtiles: .*`),
		regexp.MustCompile(`tuiles\.yaml:11:17: layers\[1\]\.tiles\.formats: format "jpeg" disagrees with the format of world\.mbtiles, "png"`),
		regexp.MustCompile(`tuiles\.yaml:13:21: layers\[2\]\.data\.mbtiles: deep\.mbtiles has zoom levels 0-30 but tile matrix set WebMercatorQuad has levels 0-24`),
		regexp.MustCompile(`tuiles\.yaml:15:21: layers\[3\]\.data\.mbtiles: mbtiles .*lamb\.mbtiles: .*tile_matrix_set is "LAMB93"`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], re)
		}
	}
	if !strings.Contains(errOut, "7 problems") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestCheckSyntaxError(t *testing.T) {
	p := fixture(t, "layers: [\n")
	code, out, _ := runMain(t, "check", "--config", p)
	if code != 1 || !strings.Contains(out, "tuiles.yaml:1:") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}

func TestBuildCatalog(t *testing.T) {
	p := fixture(t, goodConfig)
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	b, ps := buildCatalog(t.Context(), cfg, nil, nil)
	defer b.Close()
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	cat := b.catalog
	if cat.Service.Title != "Test maps" || len(cat.Layers()) != 5 || len(b.stores) != 6 {
		t.Fatalf("service %q, %d layers, %d stores", cat.Service.Title, len(cat.Layers()), len(b.stores))
	}

	world, _ := cat.Layer("world")
	if world.Title != "World" || world.Attribution != "Somebody" || world.MaxAge != time.Hour || world.Formats[0].Name != "png" {
		t.Errorf("world: %+v", world)
	}
	ts := world.Tilesets[0]
	if ts.Set.ID != "WebMercatorQuad" || ts.MinZoom != 0 || ts.MaxZoom != 3 {
		t.Errorf("world tileset %s %d-%d", ts.Set.ID, ts.MinZoom, ts.MaxZoom)
	}
	// 85° of latitude is 19971868.88 m in Web Mercator.
	if ts.Bounds.MinX > -20037508 || ts.Bounds.MaxY < 19971868 || ts.Bounds.MaxY > 19971869 {
		t.Errorf("world bounds in EPSG:3857 %v", ts.Bounds)
	}

	france, _ := cat.Layer("france")
	if len(france.Tilesets) != 2 || france.Tilesets[0].Set.ID != "LAMB93" || france.Tilesets[1].Set.ID != "WebMercatorQuad" {
		t.Fatalf("france tilesets %v", france.Tilesets)
	}
	if france.Bounds.MinX != -5.5 || france.Bounds.MaxY != 51.5 || france.Title != "France" {
		t.Errorf("france layer %+v", france)
	}
	l93 := france.Tilesets[0].Bounds
	// Metropolitan France in Lambert-93 lies around x 100–1250 km, y
	// 6000–7200 km.
	if l93.MinX < 0 || l93.MaxX > 1.4e6 || l93.MinY < 5.9e6 || l93.MaxY > 7.3e6 || l93.Empty() {
		t.Errorf("france bounds in Lambert-93 %v", l93)
	}
	if france.Missing != catalog.MissingNotFound {
		t.Errorf("missing policy %v", france.Missing)
	}

	lambert, _ := cat.Layer("lambert")
	if lambert.Tilesets[0].Set.ID != "LAMB93" || lambert.Title != "Lambert" || lambert.Abstract != "In Lambert-93" {
		t.Errorf("lambert: set %s, %+v", lambert.Tilesets[0].Set.ID, lambert)
	}
	if l, ok := cat.TileMatrixSet("LAMB93"); !ok || l != france.Tilesets[0].Set || l != lambert.Tilesets[0].Set {
		t.Error("layers do not share one LAMB93 value")
	}

	sparse, _ := cat.Layer("sparse")
	st := sparse.Tilesets[0]
	want := st.Set.Matrices[2].TileBounds(2, 1)
	if st.Bounds != want {
		t.Errorf("sparse bounds %v, want the one tile present %v", st.Bounds, want)
	}
	if lim, _ := st.Limit(2); lim != (tiling.TileRange{MinCol: 2, MinRow: 1, MaxCol: 2, MaxRow: 1}) {
		t.Errorf("sparse limits at z2 %+v", lim)
	}
	if wb := sparse.Bounds; math.Abs(wb.MinX) > 1e-9 || math.Abs(wb.MinY) > 1e-9 || math.Abs(wb.MaxX-90) > 1e-9 || math.Abs(wb.MaxY-66.5133) > 1e-4 {
		t.Errorf("sparse WGS84 bounds %v", sparse.Bounds)
	}

	roads, _ := cat.Layer("roads")
	if !roads.Vector() || string(roads.VectorLayers) != `[{"id": "roads", "fields": {}}]` {
		t.Errorf("roads: vector %v, vector layers %s", roads.Vector(), roads.VectorLayers)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderr     string
		emptyOther bool
	}{
		{"no arguments", nil, 2, "", "Usage:", true},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`, true},
		{"help", []string{"help"}, 0, "Usage:", "", true},
		{"-h", []string{"-h"}, 0, "Usage:", "", true},
		{"help serve", []string{"help", "serve"}, 0, "-listen", "", true},
		{"help unknown", []string{"help", "nope"}, 2, "", `unknown command "nope"`, true},
		{"serve -h", []string{"serve", "-h"}, 0, "-config", "", true},
		{"serve unknown flag", []string{"serve", "--colour"}, 2, "", "flag provided but not defined: -colour", true},
		{"serve extra argument", []string{"serve", "extra"}, 2, "", `unexpected argument "extra"`, true},
		{"serve bad listen", []string{"serve", "--listen", "nowhere"}, 2, "", `--listen "nowhere"`, true},
		{"serve bad log format", []string{"serve", "--log-format", "xml"}, 2, "", `--log-format "xml"`, true},
		{"serve bad log level", []string{"serve", "--log-level", "loud"}, 2, "", `--log-level "loud"`, true},
		{"check without config", []string{"check"}, 2, "", "--config is required", true},
		{"check missing file", []string{"check", "--config", "/nonexistent/tuiles.yaml"}, 1, "/nonexistent/tuiles.yaml: cannot read the configuration", "", false},
		{"version extra argument", []string{"version", "now"}, 2, "", `unexpected argument "now"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stdout %q\nstderr %q", out, errOut)
			}
			if tt.emptyOther && ((tt.stdout == "" && out != "") || (tt.stderr == "" && errOut != "")) {
				t.Errorf("unexpected output: stdout %q, stderr %q", out, errOut)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runMain(t, "version")
	if code != 0 || !strings.HasPrefix(out, "tuiles ") || !strings.Contains(out, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("exit %d, %q", code, out)
	}
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/tuiles/tuiles", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2025-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	want := "tuiles v1.2.3 (revision 0123456789ab, 2025-01-02T03:04:05Z, modified) go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH
	if got := versionLine(bi); got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
	if got := versionLine(&debug.BuildInfo{}); !strings.HasPrefix(got, "tuiles (devel) go") {
		t.Errorf("no build info: %q", got)
	}
	if got := versionLine(nil); !strings.HasPrefix(got, "tuiles (devel) go") {
		t.Errorf("nil build info: %q", got)
	}
}

func TestFindDemo(t *testing.T) {
	dir := t.TempDir()
	found := filepath.Join(dir, "b", demoConfig)
	if err := os.MkdirAll(filepath.Dir(found), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(found, []byte("layers: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "a", demoConfig)
	got, err := findDemo([]string{missing, found})
	if err != nil || got != found {
		t.Errorf("%q, %v", got, err)
	}
	_, err = findDemo([]string{missing})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v does not name where it looked", err)
	}
	if c := demoCandidates(); len(c) != 3 {
		t.Errorf("candidates %q", c)
	}
}

func TestServe(t *testing.T) {
	p := fixture(t, goodConfig)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", p, "--listen", "127.0.0.1:0", "--log-format", "json"}, io.Discard, logs)
	}()

	addrRE := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d early:\n%s", code, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no listening line:\n%s", logs.String())
	}
	for path, want := range map[string]int{
		"/healthz": 200,
		"/readyz":  200,
		"/":        200,
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities": 200,
		"/tms/1.0.0/": 200,
		"/tiles/world/WebMercatorQuad/tiles.json": 200,
		"/tiles/world/WebMercatorQuad/0/0/0.png":  200,
		"/tiles/france/LAMB93/0/0/0.png":          200,
		"/nope":                                   404,
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d: %.200s", path, resp.StatusCode, want, body)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d:\n%s", code, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	// Every log line is JSON, as asked.
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			t.Errorf("not a JSON log line: %s", sc.Text())
		}
	}
}

func TestServeBadConfig(t *testing.T) {
	p := fixture(t, "layers:\n  - name: x\n    data: {mbtiles: garbage.mbtiles}\n")
	code, _, errOut := runMain(t, "serve", "--config", p, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "tuiles.yaml:3:21: layers[0].data.mbtiles: mbtiles") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	p = fixture(t, "layers:\n  - name: x\n    dat: {}\n")
	code, _, errOut = runMain(t, "serve", "--config", p)
	if code != 1 || !strings.Contains(errOut, `tuiles.yaml:3:5: layers[0].dat: unknown key "dat"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// HTTPS needs a certificate and its key; the token command needs its
// configuration and arguments.
func TestServeAndTokenUsage(t *testing.T) {
	p := fixture(t, goodConfig)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--config", p, "--listen", "127.0.0.1:0", "--tls-cert", "cert.pem"}, exitUsage, "HTTPS needs both a certificate and a key"},
		{[]string{"token"}, exitUsage, "want create, list or revoke"},
		{[]string{"token", "list"}, exitUsage, "--config is required"},
		{[]string{"token", "revoke", "x", "--config", p}, exitUsage, `"x" is not a token id`},
		{[]string{"token", "list", "--config", p}, exitError, "no producer.data_dir"},
	} {
		code, _, errOut := runMain(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
