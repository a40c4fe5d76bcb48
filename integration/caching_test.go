package integration

import (
	"net/http"
	"testing"
)

// Every generated document carries an ETag and Last-Modified and answers a
// conditional request with 304, so polling clients (QGIS reloading a
// project, web maps) transfer it once.
func TestDocumentsRevalidate(t *testing.T) {
	for _, path := range []string{
		"/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities",
		"/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetCapabilities",
		"/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities",
		"/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetCapabilities",
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
		"/wmts/1.0.0/WMTSCapabilities.xml",
		"/tms/1.0.0",
		"/tiles/departements/WebMercatorQuad/tiles.json",
	} {
		t.Run(path, func(t *testing.T) {
			resp, _ := get(t, path)
			etag, modified := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			if resp.StatusCode != http.StatusOK || etag == "" || modified == "" {
				t.Fatalf("status %d, ETag %q, Last-Modified %q", resp.StatusCode, etag, modified)
			}
			if resp, body := get(t, path, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("If-None-Match: status %d, %d bytes", resp.StatusCode, len(body))
			}
			if resp, _ := get(t, path, "If-Modified-Since", modified); resp.StatusCode != http.StatusNotModified {
				t.Errorf("If-Modified-Since: status %d", resp.StatusCode)
			}
			if resp, _ := get(t, path, "If-None-Match", `"other"`); resp.StatusCode != http.StatusOK {
				t.Errorf("another ETag: status %d", resp.StatusCode)
			}
		})
	}
}
