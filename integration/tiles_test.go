package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

// The same tile through TMS (y from the bottom), XYZ (y from the top), WMTS
// KVP and WMTS REST must be the same bytes.
func TestSameTileThroughEveryProtocol(t *testing.T) {
	tests := []struct {
		layer, set, ext, mime string
		z, col, row           int
		tmsRow                int
	}{
		{"france", "WebMercatorQuad", "png", "image/png", 5, 16, 11, 32 - 1 - 11},
		{"france", "WebMercatorQuad", "png", "image/png", 8, 129, 90, 256 - 1 - 90},
		// LAMB93 matrices are not square: level 6 is 5×16 tiles, so the
		// TMS row flips against the matrix height, not 2^z.
		{"france", "LAMB93", "png", "image/png", 6, 1, 12, 16 - 1 - 12},
		{"countries", "WorldCRS84Quad", "png", "image/png", 0, 1, 0, 0},
		{"countries", "WorldCRS84Quad", "png", "image/png", 2, 3, 1, 4 - 1 - 1},
		{"world", "WebMercatorQuad", "jpeg", "image/jpeg", 1, 0, 1, 0},
		{"countries-vector", "WebMercatorQuad", "pbf", "application/vnd.mapbox-vector-tile", 3, 4, 2, 8 - 1 - 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%d/%d/%d", tt.layer, tt.set, tt.z, tt.col, tt.row), func(t *testing.T) {
			urls := map[string]string{
				"xyz":  fmt.Sprintf("/tiles/%s/%s/%d/%d/%d.%s", tt.layer, tt.set, tt.z, tt.col, tt.row, tt.ext),
				"tms":  fmt.Sprintf("/tms/1.0.0/%s/%s/%d/%d/%d.%s", tt.layer, tt.set, tt.z, tt.col, tt.tmsRow, tt.ext),
				"rest": fmt.Sprintf("/wmts/1.0.0/%s/default/%s/%d/%d/%d.%s", tt.layer, tt.set, tt.z, tt.row, tt.col, tt.ext),
				"kvp": fmt.Sprintf("/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s&STYLE=default&FORMAT=%s&TILEMATRIXSET=%s&TILEMATRIX=%d&TILEROW=%d&TILECOL=%d",
					tt.layer, tt.mime, tt.set, tt.z, tt.row, tt.col),
			}
			var ref []byte
			var refName string
			for _, name := range []string{"xyz", "tms", "rest", "kvp"} {
				resp, body := get(t, urls[name], "Accept-Encoding", "gzip")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s %s: status %d: %s", name, urls[name], resp.StatusCode, body)
				}
				if got := resp.Header.Get("Content-Type"); got != tt.mime {
					t.Errorf("%s: Content-Type %q, want %q", name, got, tt.mime)
				}
				if len(body) < 50 {
					t.Fatalf("%s: %d bytes is no tile", name, len(body))
				}
				if ref == nil {
					ref, refName = body, name
				} else if !bytes.Equal(ref, body) {
					t.Errorf("%s and %s differ (%d vs %d bytes)", refName, name, len(ref), len(body))
				}
			}
		})
	}
}

// A different tile must differ, or the test above could pass on a server
// answering one tile for everything.
func TestDistinctTilesDiffer(t *testing.T) {
	_, a := get(t, "/tiles/france/WebMercatorQuad/8/129/90.png")
	_, b := get(t, "/tiles/france/WebMercatorQuad/8/130/90.png")
	if bytes.Equal(a, b) {
		t.Fatal("two neighbouring tiles are identical")
	}
}

func TestBadRequestsNeverFail(t *testing.T) {
	paths := []string{
		"/wmts?SERVICE=WMTS&REQUEST=GetTile",
		"/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=france&STYLE=default&FORMAT=image/png&TILEMATRIXSET=LAMB93&TILEMATRIX=6&TILEROW=99999999999999999999&TILECOL=1",
		"/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=nope&STYLE=default&FORMAT=image/png&TILEMATRIXSET=LAMB93&TILEMATRIX=6&TILEROW=1&TILECOL=1",
		"/wmts/1.0.0/france/default/LAMB93/6/-1/1.png",
		"/wmts/1.0.0/../../../etc/passwd",
		"/wmts/1.0.0/france/default/LAMB93/6/%2e%2e/1.png",
		"/tms/1.0.0/france/WebMercatorQuad/99/0/0.png",
		"/tms/1.0.0/france/WebMercatorQuad/1/0/0.gif",
		"/tiles/france/NoSuchSet/1/0/0.png",
		"/tiles/france/WebMercatorQuad/1/0/0",
		"/tiles/france/WebMercatorQuad/1/1e3/0.png",
		"/tiles/..%2f..%2fetc/WebMercatorQuad/1/0/0.png",
	}
	for _, p := range paths {
		resp, body := get(t, p)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s: status %d, want a 4xx: %s", p, resp.StatusCode, body)
		}
	}
}

func TestCORSAndCaching(t *testing.T) {
	resp, _ := get(t, "/tiles/france/WebMercatorQuad/5/16/11.png", "Origin", "http://example.org")
	if resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Error("no CORS header on a tile")
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("ETag %q Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	resp, body := get(t, "/tiles/france/WebMercatorQuad/5/16/11.png", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", resp.StatusCode, len(body))
	}
}
