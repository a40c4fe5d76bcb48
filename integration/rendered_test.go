package integration

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"net/http"
	"testing"
)

// webMercatorTileBounds is the EPSG:3857 box of XYZ tile z/x/y.
func webMercatorTileBounds(z, x, y int) (minX, minY, maxX, maxY float64) {
	const half = 20037508.342789244
	span := 2 * half / math.Exp2(float64(z))
	minX = -half + float64(x)*span
	maxY = half - float64(y)*span
	return minX, maxY - span, minX + span, maxY
}

func fetchTile(t *testing.T, path string) ([]byte, image.Image) {
	t.Helper()
	resp, body := get(t, path)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("%s: %d %s %.200s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return body, img
}

// Rendered tiles of the départements (rendered on demand through 4×4
// metatiles) stitch into the map WMS draws for the same area: no seams,
// nothing missing, nothing doubled.
func TestRenderedTilesStitchLikeWMS(t *testing.T) {
	const z, x0, y0 = 6, 31, 21
	stitched := image.NewNRGBA(image.Rect(0, 0, 768, 768))
	for dy := range 3 {
		for dx := range 3 {
			_, img := fetchTile(t, fmt.Sprintf("/tiles/departements/WebMercatorQuad/%d/%d/%d.png", z, x0+dx, y0+dy))
			draw.Draw(stitched, image.Rect(dx*256, dy*256, dx*256+256, dy*256+256), img, image.Point{}, draw.Src)
		}
	}
	minX, _, _, maxY := webMercatorTileBounds(z, x0, y0)
	_, minY, maxX, _ := webMercatorTileBounds(z, x0+2, y0+2)
	wms := wmsImage(t, fmt.Sprintf("VERSION=1.3.0&LAYERS=departements&CRS=EPSG:3857&BBOX=%f,%f,%f,%f&WIDTH=768&HEIGHT=768&TRANSPARENT=TRUE", minX, minY, maxX, maxY))
	closeImages(t, "3×3 rendered tiles vs one WMS map", stitched, wms, 16, 0.005)
}

// A tile answered from the cache is byte-identical to the one rendered on
// the first request, ETag included.
func TestRenderedTileCached(t *testing.T) {
	path := "/tiles/departements/LAMB93/7/3/24.png"
	resp1, first := get(t, path)
	resp2, again := get(t, path)
	if resp1.StatusCode != http.StatusOK || resp2.StatusCode != http.StatusOK {
		t.Fatalf("statuses %d %d", resp1.StatusCode, resp2.StatusCode)
	}
	if !bytes.Equal(first, again) || resp1.Header.Get("ETag") != resp2.Header.Get("ETag") || resp1.Header.Get("ETag") == "" {
		t.Errorf("a cached tile differs from the rendered one (ETags %s, %s)", resp1.Header.Get("ETag"), resp2.Header.Get("ETag"))
	}
	// WMTS serves the same bytes.
	_, wmts := get(t, "/wmts/1.0.0/departements/default/LAMB93/7/24/3.png")
	if !bytes.Equal(first, wmts) {
		t.Error("WMTS and XYZ answer different bytes for one rendered tile")
	}
}

// At a labelled zoom, the 3×3 tiles of one metatile stitch into the WMS map
// of that metatile's whole rendered area (its 4×4 tiles and 64-pixel
// buffer), cut to the same pixels: the documented buffer rule, under
// which labels that would leave the metatile are not drawn.
func TestRenderedLabelledTilesMatchMetatileMap(t *testing.T) {
	const z, x0, y0, buf = 8, 128, 88, 64 // metatile 128-131 × 88-91, over Paris
	stitched := image.NewNRGBA(image.Rect(0, 0, 768, 768))
	for dy := range 3 {
		for dx := range 3 {
			_, img := fetchTile(t, fmt.Sprintf("/tiles/departements/WebMercatorQuad/%d/%d/%d.png", z, x0+dx, y0+dy))
			draw.Draw(stitched, image.Rect(dx*256, dy*256, dx*256+256, dy*256+256), img, image.Point{}, draw.Src)
		}
	}
	minX, _, _, maxY := webMercatorTileBounds(z, x0, y0)
	_, minY, maxX, _ := webMercatorTileBounds(z, x0+3, y0+3)
	res := (maxX - minX) / 1024
	wms := wmsImage(t, fmt.Sprintf("VERSION=1.3.0&LAYERS=departements&CRS=EPSG:3857&BBOX=%f,%f,%f,%f&WIDTH=%d&HEIGHT=%d&TRANSPARENT=TRUE",
		minX-buf*res, minY-buf*res, maxX+buf*res, maxY+buf*res, 1024+2*buf, 1024+2*buf))
	window := image.NewNRGBA(image.Rect(0, 0, 768, 768))
	draw.Draw(window, window.Bounds(), wms, image.Pt(buf, buf), draw.Src)
	closeImages(t, "3×3 labelled tiles vs the WMS map of their metatile", stitched, window, 16, 0.005) // 0.09 % here: labels the metatile leaves out at its edge
}
