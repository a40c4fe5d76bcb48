package integration

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// redSLD is a one-rule style filling départements in pure red.
const redSLD = `<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc">
  <NamedLayer><Name>departements</Name><UserStyle><Name>red</Name><IsDefault>1</IsDefault>
    <FeatureTypeStyle><Rule><PolygonSymbolizer><Fill><CssParameter name="fill">#ff0000</CssParameter></Fill></PolygonSymbolizer></Rule></FeatureTypeStyle>
  </UserStyle></NamedLayer>
</StyledLayerDescriptor>
`

// reloadConfig writes the configuration: départements (rendered tiles,
// WMS, WFS) in the given style, plus countries when withCountries.
func reloadConfig(t *testing.T, dir, style string, withCountries bool) string {
	t.Helper()
	cfg := departementsConfig(style, filepath.Join(dir, "cache.mbtiles"), "max_zoom: 12")
	if withCountries {
		cfg += "  - name: countries\n    data: {table: countries}\n"
	}
	path := filepath.Join(dir, "tuiles.yaml")
	// Written aside and renamed, as editors and deployment tools do, so
	// the server never reads half a file.
	if err := os.WriteFile(path+".new", []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	return path
}

// SIGHUP under load: the new configuration (a new layer, a new style)
// takes effect with no failed request and no stale tile; an invalid one
// is refused with its reason logged and the one in force stays.
func TestReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	red := filepath.Join(dir, "red.sld")
	if err := os.WriteFile(red, []byte(redSLD), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := reloadConfig(t, dir, filepath.Join(demo.root, "testdata/demo/styles/departements.sld"), false)
	p := startServe(t, cfg)
	const tile = "/tiles/departements/WebMercatorQuad/6/32/22.png"
	before := centreColour(t, p.base+tile)

	// Load during the reload: tiles, maps and features, all of which
	// must succeed whichever catalog answers them.
	stop := make(chan struct{})
	var mu sync.Mutex
	var failures []string
	served := 0
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var u string
				switch (w + i) % 3 {
				case 0:
					u = fmt.Sprintf("/tiles/departements/WebMercatorQuad/8/%d/%d.png", 125+i%10, 85+(i/10)%10)
				case 1:
					u = limitsGetMap + fmt.Sprintf("&WIDTH=%d&HEIGHT=200", 200+i%50)
				default:
					u = "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=3"
				}
				resp, err := http.Get(p.base + u)
				mu.Lock()
				if err != nil {
					failures = append(failures, u+": "+err.Error())
				} else {
					_, rerr := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || rerr != nil {
						failures = append(failures, fmt.Sprintf("%s: %d %v", u, resp.StatusCode, rerr))
					} else {
						served++
					}
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	reloadConfig(t, dir, red, true)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, "configuration reloaded")
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed around the reload, first: %s", len(failures), served+len(failures), failures[0])
	}

	// The new layer is published everywhere, with no restart.
	_, _, caps := fetch(t, http.MethodGet, p.base+"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", "", nil)
	if !strings.Contains(caps, "<Name>countries</Name>") {
		t.Error("WMS capabilities lack the new layer")
	}
	if status, _, _ := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:countries&COUNT=1", "", nil); status != http.StatusOK {
		t.Errorf("GetFeature of the new layer: %d", status)
	}
	// The new style shows on tiles: the cache was emptied, not served stale.
	if after := centreColour(t, p.base+tile); after != [3]uint8{255, 0, 0} || after == before {
		t.Errorf("tile after the style change: centre %v (before %v), want red", after, before)
	}

	// An invalid configuration is refused and the one in force stays.
	if err := os.WriteFile(cfg, []byte("layers:\n  - name: broken\n    data: {table: no_such_table}\n    colour: blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, "configuration refused")
	if !strings.Contains(p.logs.String(), "colour") {
		t.Errorf("the refusal does not name the bad key:\n%s", p.logs.String())
	}
	if status, _, _ := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:countries&COUNT=1", "", nil); status != http.StatusOK {
		t.Errorf("after a refused reload the layers in force are gone: %d", status)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, 40*time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, p.logs.String())
	}
	if v := runTuiles(t, "cache", "verify", filepath.Join(dir, "cache.mbtiles")); !strings.Contains(v, "ok: ") {
		t.Errorf("verify: %s", v)
	}
	// Every tile of the cache is in the new style: none rendered in the old
	// one landed after the cache was emptied.
	cached := allTiles(t, filepath.Join(dir, "cache.mbtiles"))
	t.Logf("%d tiles in the cache", len(cached))
	for k, data := range cached {
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("tile %v: %v", k, err)
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 8 {
			for x := b.Min.X; x < b.Max.X; x += 8 {
				r, g, bl, a := img.At(x, y).RGBA()
				if a == 0xffff && !(r == 0xffff && g == 0 && bl == 0) && !(r == 0xffff && g == 0xffff && bl == 0xffff) {
					t.Fatalf("tile %v has an old-style pixel at %d,%d: %v", k, x, y, img.At(x, y))
				}
			}
		}
	}
}

// centreColour is the colour of a tile's centre pixel.
func centreColour(t *testing.T, url string) [3]uint8 {
	t.Helper()
	status, _, body := fetch(t, http.MethodGet, url, "", nil)
	if status != http.StatusOK {
		t.Fatalf("%s: %d", url, status)
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := img.At(128, 128).RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

// waitFor waits until the server's log has a line with msg (after the
// lines already read for an earlier wait).
func waitFor(t *testing.T, p *process, msg string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.logs.String(), msg) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %q in the log after 30 s:\n%s", msg, p.logs.String())
}
