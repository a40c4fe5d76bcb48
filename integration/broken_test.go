package integration

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A missing, a corrupt and a locked MBTiles each leave their layer out
// with a clear error naming the file; the other layers are served.
func TestBrokenFilesLeaveTheRestServing(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.mbtiles")
	if err := os.WriteFile(corrupt, []byte("SQLite format 3\x00 but not really; the rest is garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.mbtiles")
	copyFile(t, filepath.Join(demo.root, "testdata/demo/france-WebMercatorQuad.mbtiles"), locked)
	// Another process holds an exclusive lock on it for the whole start.
	db, err := sql.Open("sqlite3", "file:"+locked+"?_locking_mode=EXCLUSIVE")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(demo.root, "testdata/demo/france-WebMercatorQuad.mbtiles")
	cfg := departementsConfig(filepath.Join(demo.root, "testdata/demo/styles/departements.sld"), filepath.Join(dir, "cache.mbtiles"), "max_zoom: 12") + fmt.Sprintf(`  - name: good-tiles
    data: {mbtiles: %s}
  - name: corrupt
    data: {mbtiles: %s}
  - name: missing
    data: {mbtiles: %s}
  - name: locked
    data: {mbtiles: %s}
`, good, corrupt, filepath.Join(dir, "missing.mbtiles"), locked)
	path := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p := startServe(t, path)
	t.Logf("started in %s", time.Since(start).Round(time.Millisecond))
	logs := p.logs.String()
	for _, want := range []string{"layer left out", corrupt, "missing.mbtiles", locked, "locked"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not mention %q:\n%s", want, logs)
		}
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/tiles/good-tiles/WebMercatorQuad/5/16/11.png", 200},
		{"/tiles/departements/WebMercatorQuad/5/16/11.png", 200},
		{"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=1", 200},
		{"/tiles/corrupt/WebMercatorQuad/5/16/11.png", 404},
		{"/tiles/locked/WebMercatorQuad/5/16/11.png", 404},
		{"/readyz", 200},
	} {
		resp, err := http.Get(p.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
	}
	_, _, caps := fetch(t, http.MethodGet, p.base+"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "", nil)
	if !strings.Contains(caps, "<ows:Identifier>good-tiles</ows:Identifier>") || strings.Contains(caps, "<ows:Identifier>corrupt</ows:Identifier>") {
		t.Error("WMTS capabilities should list good-tiles and not the broken layers")
	}
	// Once the lock is gone, a reload brings the layer back.
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	db.Close()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, "configuration reloaded")
	if status, _, _ := fetch(t, http.MethodGet, p.base+"/tiles/locked/WebMercatorQuad/5/16/11.png", "", nil); status != http.StatusOK {
		t.Errorf("the unlocked layer after a reload: %d", status)
	}
}

// A configuration whose every layer is broken does not start.
func TestAllLayersBrokenRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(path, []byte("layers:\n  - name: missing\n    data: {mbtiles: "+filepath.Join(dir, "nope.mbtiles")+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, demo.bin, "serve", "--config", path, "--listen", "127.0.0.1:0").CombinedOutput()
	out := string(b)
	if err == nil || !strings.Contains(out, "nope.mbtiles") || !strings.Contains(out, "no layer could be built") {
		t.Errorf("serve with only a missing file: %v\n%s", err, out)
	}
}
