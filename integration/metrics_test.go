package integration

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// scrape reads the demo server's /metrics into series → value.
func scrape(t *testing.T) map[string]float64 {
	t.Helper()
	return scrapeAt(t, demo.base)
}

// scrapeAt reads the /metrics of the server at base.
func scrapeAt(t *testing.T, base string) map[string]float64 {
	t.Helper()
	status, header, text := fetch(t, http.MethodGet, base+"/metrics", "", nil)
	if status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", status, header.Get("Content-Type"))
	}
	body := []byte(text)
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// The expected series move after a tile request, a GetMap and a
// GetFeature; runtime and process series are there.
func TestMetrics(t *testing.T) {
	before := scrape(t)
	get(t, "/tiles/departements/LAMB93/7/3/24.png")
	get(t, "/tiles/departements/LAMB93/7/3/24.png")
	get(t, "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=departements&STYLES=&CRS=EPSG:2154&BBOX=100000,6050000,1250000,7110000&WIDTH=256&HEIGHT=236&FORMAT=image/png")
	get(t, "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:departements&COUNT=2")
	get(t, "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=no-such-layer-"+strconv.Itoa(len(before))+"&STYLES=&CRS=EPSG:2154&BBOX=1,1,2,2&WIDTH=1&HEIGHT=1&FORMAT=image/png")
	after := scrape(t)
	for _, series := range []string{
		`tuiles_http_requests_total{layer="departements",request="tile",service="xyz",status="200"}`,
		`tuiles_http_requests_total{layer="departements",request="GetMap",service="wms",status="200"}`,
		`tuiles_http_requests_total{layer="departements",request="GetFeature",service="wfs",status="200"}`,
		`tuiles_http_requests_total{layer="",request="GetMap",service="wms",status="400"}`,
		`tuiles_http_request_duration_seconds_count{request="GetMap",service="wms"}`,
		`tuiles_http_response_bytes_total{service="wfs"}`,
		`tuiles_render_seconds_count{outcome="ok"}`,
		`tuiles_render_queue_seconds_count`,
		`tuiles_render_features_total`,
		`tuiles_store_query_seconds_count{outcome="ok",table="departements"}`,
		`tuiles_store_rows_total{table="departements"}`,
	} {
		if after[series] <= before[series] {
			t.Errorf("%s did not grow: %v → %v", series, before[series], after[series])
		}
	}
	hits := `tuiles_tile_cache_requests_total{layer="departements",result="hit",tile_matrix_set="LAMB93"}`
	if after[hits] <= before[hits] {
		t.Errorf("%s did not grow (the second request is a cache hit): %v → %v", hits, before[hits], after[hits])
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := after[name]; !ok {
			t.Errorf("no %s series", name)
		}
	}
	// An invented layer name is not a label value.
	for s := range after {
		if strings.Contains(s, "no-such-layer") {
			t.Errorf("an unknown layer became a label: %s", s)
		}
	}
}
