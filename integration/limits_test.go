package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// limitsConfig publishes the demo départements (WMS, WFS, rendered tiles)
// with small limits, so that each can be reached by a test.
func limitsConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := departementsConfig(filepath.Join(demo.root, "testdata/demo/styles/departements.sld"), filepath.Join(dir, "cache.mbtiles"), "max_zoom: 14, metatile: 1") +
		"server:\n  max_body_bytes: 2000\n" + extra + `
wfs:
  max_features: 5
wms:
  max_width: 1000
  max_height: 1000
  max_layers: 3
`
	path := filepath.Join(dir, "tuiles.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fetch does one request, with header given as name, value pairs, and
// returns its status, headers and body.
func fetch(t *testing.T, method, url, contentType string, body io.Reader, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

const limitsGetMap = "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=departements&STYLES=&CRS=EPSG:3857&BBOX=-600000,5000000,1100000,6700000&FORMAT=image/png"

// Each limit answers its documented status, and the server goes on serving.
func TestLimits(t *testing.T) {
	p := startServe(t, limitsConfig(t, t.TempDir(), "  rate_limits: {wms: {rate: 1, burst: 3}}"))
	key := 0
	// Each request of the first checks has its own client (apikey), so the
	// WMS rate limit does not interfere.
	wms := func(query string) (int, http.Header, string) {
		key++
		return fetch(t, http.MethodGet, fmt.Sprintf("%s%s&apikey=check%d", p.base, query, key), "", nil)
	}

	t.Run("oversized WMS", func(t *testing.T) {
		status, _, body := wms(limitsGetMap + "&WIDTH=1001&HEIGHT=256")
		if status != http.StatusBadRequest || !strings.Contains(body, `code="InvalidParameterValue"`) || !strings.Contains(body, `locator="WIDTH"`) {
			t.Errorf("WIDTH=1001: %d %s", status, body)
		}
		if status, _, _ := wms(limitsGetMap + "&WIDTH=1000&HEIGHT=1000"); status != http.StatusOK {
			t.Errorf("1000×1000, at the limit: %d", status)
		}
		status, _, body = wms(strings.Replace(limitsGetMap, "LAYERS=departements", "LAYERS=departements,departements,departements,departements", 1) + "&WIDTH=256&HEIGHT=256")
		if status != http.StatusBadRequest || !strings.Contains(body, `locator="LAYERS"`) {
			t.Errorf("4 layers: %d %s", status, body)
		}
		_, _, caps := wms("/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities")
		for _, want := range []string{"<LayerLimit>3</LayerLimit>", "<MaxWidth>1000</MaxWidth>"} {
			if !strings.Contains(caps, want) {
				t.Errorf("capabilities lack %s", want)
			}
		}
	})

	t.Run("too-large WFS page", func(t *testing.T) {
		status, _, body := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=100000&OUTPUTFORMAT=application/json", "", nil)
		var fc struct {
			NumberMatched  int               `json:"numberMatched"`
			NumberReturned int               `json:"numberReturned"`
			Features       []json.RawMessage `json:"features"`
			Links          []struct {
				Rel  string `json:"rel"`
				Href string `json:"href"`
			} `json:"links"`
		}
		if status != http.StatusOK {
			t.Fatalf("COUNT=100000: %d %s", status, body)
		}
		if err := json.Unmarshal([]byte(body), &fc); err != nil {
			t.Fatal(err)
		}
		next := ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
		if fc.NumberReturned != 5 || len(fc.Features) != 5 || fc.NumberMatched <= 5 || next == "" {
			t.Errorf("COUNT=100000 under max_features 5: returned %d, %d features, matched %d, next %q", fc.NumberReturned, len(fc.Features), fc.NumberMatched, next)
		}
		_, _, caps := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities", "", nil)
		if !strings.Contains(caps, "CountDefault") || !strings.Contains(caps, "<ows:DefaultValue>5</ows:DefaultValue>") {
			t.Errorf("capabilities do not advertise CountDefault 5")
		}
	})

	t.Run("request body", func(t *testing.T) {
		big := `<wfs:GetCapabilities xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS"><!--` + strings.Repeat("x", 3000) + `--></wfs:GetCapabilities>`
		status, _, body := fetch(t, http.MethodPost, p.base+"/wfs", "application/xml", strings.NewReader(big))
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("3 kB body over a 2000-byte limit: %d %s", status, body)
		}
		small := `<wfs:GetCapabilities xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS"/>`
		if status, _, body := fetch(t, http.MethodPost, p.base+"/wfs", "application/xml", strings.NewReader(small)); status != http.StatusOK {
			t.Errorf("small body: %d %s", status, body)
		}
	})

	t.Run("flood from one client", func(t *testing.T) {
		statuses := map[int]int{}
		retryAfter := ""
		for range 12 {
			status, h, _ := fetch(t, http.MethodGet, p.base+limitsGetMap+"&WIDTH=64&HEIGHT=64&apikey=flooder", "", nil)
			statuses[status]++
			if status == http.StatusTooManyRequests {
				retryAfter = h.Get("Retry-After")
			}
		}
		if statuses[http.StatusTooManyRequests] == 0 || statuses[http.StatusOK] == 0 || len(statuses) != 2 {
			t.Errorf("12 quick GetMaps from one client over 1/s, burst 3: statuses %v", statuses)
		}
		if retryAfter == "" {
			t.Error("429 without Retry-After")
		}
		// Another client is served at once, on WMS and elsewhere.
		if status, _, _ := fetch(t, http.MethodGet, p.base+limitsGetMap+"&WIDTH=64&HEIGHT=64&apikey=other", "", nil); status != http.StatusOK {
			t.Errorf("another client's GetMap during the flood: %d", status)
		}
		if status, _, _ := fetch(t, http.MethodGet, p.base+"/tiles/departements/WebMercatorQuad/5/16/11.png", "", nil); status != http.StatusOK {
			t.Errorf("a tile during the flood: %d", status)
		}
	})
}

// Past max_renders running and render_queue waiting, renders are refused
// with 503 and Retry-After rather than queued without bound, and requests
// that render nothing are still served.
func TestRenderQueueFull(t *testing.T) {
	p := startServe(t, limitsConfig(t, t.TempDir(), "  max_renders: 1\n  render_queue: 1"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	statuses := map[int]int{}
	retryAfter := ""
	// Rounds of 8 simultaneous GetMaps of 1000×1000 until some are refused.
	for round := 0; statuses[http.StatusServiceUnavailable] == 0 && ctx.Err() == nil && round < 20; round++ {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				// Distinct maps, so none is answered from another's work.
				q := fmt.Sprintf("%s&WIDTH=1000&HEIGHT=1000&BGCOLOR=0x%02x%02x00&apikey=r", limitsGetMap, round, i)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+q, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusServiceUnavailable {
					retryAfter = resp.Header.Get("Retry-After")
				}
				mu.Unlock()
			})
		}
		// Meanwhile capabilities and feature requests are served.
		if status, _, _ := fetch(t, http.MethodGet, p.base+"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=1", "", nil); status != http.StatusOK {
			t.Errorf("GetFeature while renders are refused: %d", status)
		}
		wg.Wait()
	}
	if statuses[http.StatusServiceUnavailable] == 0 || statuses[http.StatusOK] == 0 {
		t.Fatalf("statuses %v: want some 200 and some 503", statuses)
	}
	for s := range statuses {
		if s != http.StatusOK && s != http.StatusServiceUnavailable {
			t.Errorf("unexpected status %d (%v)", s, statuses)
		}
	}
	if retryAfter == "" {
		t.Error("503 without Retry-After")
	}
	// Once the flood is over, maps are drawn again.
	if status, _, _ := fetch(t, http.MethodGet, p.base+limitsGetMap+"&WIDTH=256&HEIGHT=256", "", nil); status != http.StatusOK {
		t.Errorf("GetMap after the flood: %d", status)
	}
}
