package tms_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/tms"
)

// The documents as a client reads them.

type servicesXML struct {
	XMLName        xml.Name `xml:"Services"`
	TileMapService struct {
		Version string `xml:"version,attr"`
		Title   string `xml:"title,attr"`
		Href    string `xml:"href,attr"`
	} `xml:"TileMapService"`
}

type tileMapServiceXML struct {
	XMLName  xml.Name `xml:"TileMapService"`
	Version  string   `xml:"version,attr"`
	Services string   `xml:"services,attr"`
	Title    string   `xml:"Title"`
	Abstract string   `xml:"Abstract"`
	TileMaps []struct {
		Title   string `xml:"title,attr"`
		SRS     string `xml:"srs,attr"`
		Profile string `xml:"profile,attr"`
		Href    string `xml:"href,attr"`
	} `xml:"TileMaps>TileMap"`
}

type tileMapXML struct {
	XMLName        xml.Name `xml:"TileMap"`
	Version        string   `xml:"version,attr"`
	TileMapService string   `xml:"tilemapservice,attr"`
	Title          string   `xml:"Title"`
	Abstract       string   `xml:"Abstract"`
	SRS            string   `xml:"SRS"`
	BoundingBox    struct {
		MinX float64 `xml:"minx,attr"`
		MinY float64 `xml:"miny,attr"`
		MaxX float64 `xml:"maxx,attr"`
		MaxY float64 `xml:"maxy,attr"`
	} `xml:"BoundingBox"`
	Origin struct {
		X float64 `xml:"x,attr"`
		Y float64 `xml:"y,attr"`
	} `xml:"Origin"`
	TileFormat struct {
		Width     int    `xml:"width,attr"`
		Height    int    `xml:"height,attr"`
		MediaType string `xml:"mime-type,attr"`
		Extension string `xml:"extension,attr"`
	} `xml:"TileFormat"`
	TileSets struct {
		Profile string `xml:"profile,attr"`
		TileSet []struct {
			Href          string  `xml:"href,attr"`
			UnitsPerPixel float64 `xml:"units-per-pixel,attr"`
			Order         int     `xml:"order,attr"`
		} `xml:"TileSet"`
	} `xml:"TileSets"`
}

type errorXML struct {
	XMLName xml.Name `xml:"TileMapServerError"`
	Message string   `xml:"Message"`
}

func decodeXML(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("Content-Type %q", ct)
	}
	if err := xml.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("%v\n%s", err, w.Body)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestServicesDocument(t *testing.T) {
	h := newFixture(t).handler("")
	for _, path := range []string{"/tms/", "/tms"} {
		t.Run(path, func(t *testing.T) {
			w := do(h, "GET", path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var doc servicesXML
			decodeXML(t, w, &doc)
			if doc.TileMapService.Version != "1.0.0" || doc.TileMapService.Href != "http://example.com/tms/1.0.0/" || doc.TileMapService.Title != "Test tiles" {
				t.Errorf("%+v", doc.TileMapService)
			}
			// GDAL recognises the document by these bytes.
			if !bytes.Contains(w.Body.Bytes(), []byte(`<Services`)) || !bytes.Contains(w.Body.Bytes(), []byte(`<TileMapService version="1.0`)) {
				t.Errorf("GDAL would not recognise:\n%s", w.Body)
			}
		})
	}
}

func TestTileMapServiceDocument(t *testing.T) {
	h := newFixture(t).handler("https://tiles.example.org/maps/")
	for _, path := range []string{"/tms/1.0.0/", "/tms/1.0.0"} {
		t.Run(path, func(t *testing.T) {
			w := do(h, "GET", path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if !bytes.Contains(w.Body.Bytes(), []byte(`<TileMapService version="1.0.0"`)) {
				t.Errorf("GDAL would not recognise:\n%s", w.Body)
			}
			var doc tileMapServiceXML
			decodeXML(t, w, &doc)
			if doc.Version != "1.0.0" || doc.Title != "Test tiles" || doc.Abstract != "Tiles for tests." || doc.Services != "https://tiles.example.org/maps/tms/" {
				t.Errorf("%+v", doc)
			}
			type ref struct{ title, srs, profile, href string }
			want := []ref{
				{"The world (WebMercatorQuad)", "EPSG:3857", "global-mercator", "https://tiles.example.org/maps/tms/1.0.0/world/WebMercatorQuad"},
				{"The world (WorldCRS84Quad)", "EPSG:4326", "global-geodetic", "https://tiles.example.org/maps/tms/1.0.0/world/WorldCRS84Quad"},
				{"The world (LAMB93)", "EPSG:2154", "none", "https://tiles.example.org/maps/tms/1.0.0/world/LAMB93"},
				{"Roads", "EPSG:3857", "global-mercator", "https://tiles.example.org/maps/tms/1.0.0/roads/WebMercatorQuad"},
				{"sparse", "EPSG:3857", "global-mercator", "https://tiles.example.org/maps/tms/1.0.0/sparse/WebMercatorQuad"},
				{"sparsevec", "EPSG:3857", "global-mercator", "https://tiles.example.org/maps/tms/1.0.0/sparsevec/WebMercatorQuad"},
				{"holes", "EPSG:3857", "global-mercator", "https://tiles.example.org/maps/tms/1.0.0/holes/WebMercatorQuad"},
				{"France", "EPSG:3857", "global-mercator", "https://tiles.example.org/maps/tms/1.0.0/france/WebMercatorQuad"},
			}
			if len(doc.TileMaps) != len(want) {
				t.Fatalf("%d tile maps, want %d", len(doc.TileMaps), len(want))
			}
			for i, tm := range doc.TileMaps {
				if got := (ref{tm.Title, tm.SRS, tm.Profile, tm.Href}); got != want[i] {
					t.Errorf("tile map %d = %+v, want %+v", i, got, want[i])
				}
			}
		})
	}
}

func TestTileMapDocument(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	const half = 20037508.342789244
	tests := []struct {
		path                   string
		srs, profile           string
		minX, minY, maxX, maxY float64
		cell0                  float64
		minZ, maxZ             int
		format, ext            string
	}{
		{"/tms/1.0.0/world/WebMercatorQuad", "EPSG:3857", "global-mercator", -half, -half, half, half, 156543.03392804097, 0, 6, "image/png", "png"},
		{"/tms/1.0.0/world/WorldCRS84Quad/", "EPSG:4326", "global-geodetic", -180, -90, 180, 90, 0.703125, 0, 5, "image/png", "png"},
		{"/tms/1.0.0/roads/WebMercatorQuad/", "EPSG:3857", "global-mercator", -half, -half, half, half, 156543.03392804097, 0, 14, "application/vnd.mapbox-vector-tile", "pbf"},
		{"/tms/1.0.0/france/WebMercatorQuad", "EPSG:3857", "global-mercator", -half, -half, half, half, 156543.03392804097, 2, 12, "image/png", "png"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := do(h, "GET", tt.path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if !bytes.Contains(w.Body.Bytes(), []byte(`<TileMap version="1.0.0" tilemapservice="http://example.com/tms/1.0.0/"`)) {
				t.Errorf("GDAL would not recognise:\n%s", w.Body)
			}
			var doc tileMapXML
			decodeXML(t, w, &doc)
			if doc.SRS != tt.srs || doc.TileSets.Profile != tt.profile {
				t.Errorf("SRS %q profile %q", doc.SRS, doc.TileSets.Profile)
			}
			bb := doc.BoundingBox
			if !near(bb.MinX, tt.minX) || !near(bb.MinY, tt.minY) || !near(bb.MaxX, tt.maxX) || !near(bb.MaxY, tt.maxY) {
				t.Errorf("BoundingBox %+v", bb)
			}
			// TMS counts from the bottom-left corner.
			if !near(doc.Origin.X, tt.minX) || !near(doc.Origin.Y, tt.minY) {
				t.Errorf("Origin %+v", doc.Origin)
			}
			tf := doc.TileFormat
			if tf.Width != 256 || tf.Height != 256 || tf.MediaType != tt.format || tf.Extension != tt.ext {
				t.Errorf("TileFormat %+v", tf)
			}
			if len(doc.TileSets.TileSet) != tt.maxZ-tt.minZ+1 {
				t.Fatalf("%d tile sets", len(doc.TileSets.TileSet))
			}
			base := "http://example.com" + strings.TrimSuffix(tt.path, "/")
			for i, ts := range doc.TileSets.TileSet {
				z := tt.minZ + i
				if ts.Order != z || ts.Href != base+"/"+strconv.Itoa(z) || !near(ts.UnitsPerPixel, tt.cell0/math.Exp2(float64(z))) {
					t.Errorf("TileSet %d = %+v", i, ts)
				}
			}
		})
	}

	t.Run("LAMB93", func(t *testing.T) {
		set := fx.sets["LAMB93"]
		w := do(h, "GET", "/tms/1.0.0/world/LAMB93")
		var doc tileMapXML
		decodeXML(t, w, &doc)
		b := set.Bounds()
		if doc.SRS != "EPSG:2154" || doc.TileSets.Profile != "none" {
			t.Errorf("SRS %q profile %q", doc.SRS, doc.TileSets.Profile)
		}
		if !near(doc.BoundingBox.MinX, b.MinX) || !near(doc.BoundingBox.MinY, b.MinY) || !near(doc.BoundingBox.MaxX, b.MaxX) || !near(doc.BoundingBox.MaxY, b.MaxY) {
			t.Errorf("BoundingBox %+v, want %v", doc.BoundingBox, b)
		}
		if !near(doc.Origin.X, 0) || !near(doc.Origin.Y, b.MinY) || !near(b.MaxY, 12000000) {
			t.Errorf("Origin %+v", doc.Origin)
		}
		for i, ts := range doc.TileSets.TileSet {
			if !near(ts.UnitsPerPixel, set.Matrices[i].CellSize) || ts.Order != i {
				t.Errorf("TileSet %d = %+v", i, ts)
			}
		}
	})
}

// TestGDALReadsTileMap follows what GDAL's WMS driver does with a TileMap
// (GDALWMSDatasetGetConfigFromTileMap and the TMS minidriver): it takes the
// URL template from the first TileSet's href, numbers the levels by
// counting TileSets, derives each level's resolution by halving from the
// last units-per-pixel, and turns a top-origin tile row into y with
// round(BoundingBox height / tile height) - row - 1. The tiles it asks for
// must be the tiles the OGC matrix holds at that row.
func TestGDALReadsTileMap(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	for _, set := range []string{"WebMercatorQuad", "WorldCRS84Quad"} {
		t.Run(set, func(t *testing.T) {
			var doc tileMapXML
			decodeXML(t, do(h, "GET", "/tms/1.0.0/world/"+set), &doc)
			sets := doc.TileSets.TileSet
			for i, ts := range sets {
				if ts.Order != i {
					t.Fatalf("GDAL expects order=%d, got %d", i, ts.Order)
				}
			}
			if !strings.HasSuffix(sets[0].Href, "/0") {
				t.Fatalf("first href %q does not end in /0", sets[0].Href)
			}
			template := strings.TrimSuffix(sets[0].Href, "/0") + "/${z}/${x}/${y}.${format}"
			last := len(sets) - 1
			height := doc.BoundingBox.MaxY - doc.BoundingBox.MinY
			m := fx.sets[set]
			for z := 0; z <= 3; z++ {
				res := sets[last].UnitsPerPixel * math.Exp2(float64(last-z))
				tileGround := res * float64(doc.TileFormat.Height)
				for row := 0; row < m.Matrices[z].MatrixHeight; row++ {
					y := int(math.Floor(height/tileGround+0.5)) - row - 1
					for col := 0; col < m.Matrices[z].MatrixWidth; col++ {
						u := strings.NewReplacer("${z}", strconv.Itoa(z), "${x}", strconv.Itoa(col), "${y}", strconv.Itoa(y), "${format}", doc.TileFormat.Extension).Replace(template)
						w := do(h, "GET", strings.TrimPrefix(u, "http://example.com"))
						want := tileData(fullKey("world", set, "png", z, col, row))
						if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
							t.Fatalf("GDAL tile %s = %d %q, want %q", u, w.Code, w.Body, want)
						}
					}
				}
			}
		})
	}
}

// TestRowFlip checks y = MatrixHeight(z)-1-row in every set, including
// LAMB93, whose matrices are not powers of two high.
func TestRowFlip(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	tests := []struct {
		set          string
		z, x, y, row int
	}{
		{"WebMercatorQuad", 0, 0, 0, 0},
		{"WebMercatorQuad", 1, 0, 0, 1},
		{"WebMercatorQuad", 1, 1, 1, 0},
		{"WebMercatorQuad", 3, 5, 2, 5},
		{"WebMercatorQuad", 6, 33, 40, 23},
		{"WorldCRS84Quad", 0, 0, 0, 0}, // 2x1
		{"WorldCRS84Quad", 0, 1, 0, 0},
		{"WorldCRS84Quad", 1, 3, 0, 1}, // 4x2
		{"WorldCRS84Quad", 2, 7, 3, 0}, // 8x4
		{"LAMB93", 0, 1, 0, 1},         // 2x2
		{"LAMB93", 3, 1, 0, 2},         // 2x3
		{"LAMB93", 3, 0, 2, 0},
		{"LAMB93", 4, 1, 1, 3},  // 2x5
		{"LAMB93", 6, 4, 0, 15}, // 5x16
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%d/%d", tt.set, tt.z, tt.x, tt.y), func(t *testing.T) {
			w := do(h, "GET", fmt.Sprintf("/tms/1.0.0/world/%s/%d/%d/%d.png", tt.set, tt.z, tt.x, tt.y))
			want := tileData(fullKey("world", tt.set, "png", tt.z, tt.x, tt.row))
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
				t.Fatalf("%d %q, want %q", w.Code, w.Body, want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "image/png" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	h := newFixture(t).handler("")
	for ext, want := range map[string]string{"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp", "PNG": "png"} {
		w := do(h, "GET", "/tms/1.0.0/world/WebMercatorQuad/1/0/0."+ext)
		if w.Code != http.StatusOK || w.Body.String() != string(tileData(fullKey("world", "WebMercatorQuad", want, 1, 0, 1))) {
			t.Errorf("%s: %d %q", ext, w.Code, w.Body)
		}
	}
}

func TestMissingTiles(t *testing.T) {
	h := newFixture(t).handler("")
	tests := []struct {
		path   string
		status int
		ct     string
		format string // decoded image format, "" for no body
		pixel  color.NRGBA
	}{
		{"/tms/1.0.0/sparse/WebMercatorQuad/2/1/1.png", http.StatusOK, "image/png", "png", color.NRGBA{}},
		{"/tms/1.0.0/sparse/WebMercatorQuad/2/1/1.jpeg", http.StatusOK, "image/jpeg", "jpeg", color.NRGBA{10, 20, 30, 255}},
		{"/tms/1.0.0/sparse/WebMercatorQuad/2/1/1.webp", http.StatusOK, "image/webp", "webp", color.NRGBA{}},
		{"/tms/1.0.0/sparsevec/WebMercatorQuad/2/1/1.pbf", http.StatusNoContent, "application/vnd.mapbox-vector-tile", "", color.NRGBA{}},
		{"/tms/1.0.0/holes/WebMercatorQuad/2/1/1.png", http.StatusNotFound, "application/xml; charset=utf-8", "", color.NRGBA{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := do(h, "GET", tt.path)
			if w.Code != tt.status || w.Header().Get("Content-Type") != tt.ct {
				t.Fatalf("%d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if tt.format == "" {
				if tt.status == http.StatusNoContent && w.Body.Len() != 0 {
					t.Errorf("204 with a body")
				}
				return
			}
			img, format, err := image.Decode(w.Body)
			if err != nil || format != tt.format {
				t.Fatalf("%s %v", format, err)
			}
			if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
				t.Errorf("size %v", b)
			}
			px := color.NRGBAModel.Convert(img.At(100, 100)).(color.NRGBA)
			d := func(a, b uint8) bool { return int(a)-int(b) <= 3 && int(b)-int(a) <= 3 }
			if px.A != tt.pixel.A || (px.A != 0 && !(d(px.R, tt.pixel.R) && d(px.G, tt.pixel.G) && d(px.B, tt.pixel.B))) {
				t.Errorf("pixel %v, want %v", px, tt.pixel)
			}
		})
	}
}

func TestOutOfRange(t *testing.T) {
	h := newFixture(t).handler("")
	for _, path := range []string{
		"/tms/1.0.0/world/WebMercatorQuad/7/0/0.png", // above MaxZoom
		"/tms/1.0.0/world/WebMercatorQuad/1/2/0.png", // x past the matrix
		"/tms/1.0.0/world/WebMercatorQuad/1/0/2.png", // y past the matrix
		"/tms/1.0.0/world/WorldCRS84Quad/0/2/0.png",  // 2x1
		"/tms/1.0.0/world/WorldCRS84Quad/0/0/1.png",  // 2x1
		"/tms/1.0.0/world/LAMB93/3/2/0.png",          // 2x3
		"/tms/1.0.0/world/LAMB93/3/0/3.png",
		"/tms/1.0.0/world/LAMB93/99/0/0.png",           // no such level
		"/tms/1.0.0/france/WebMercatorQuad/1/0/0.png",  // below MinZoom
		"/tms/1.0.0/france/WebMercatorQuad/13/0/0.png", // above MaxZoom
		"/tms/1.0.0/france/WebMercatorQuad/5/0/0.png",  // outside the bounds
		"/tms/1.0.0/france/WebMercatorQuad/5/31/31.png",
		"/tms/1.0.0/world/WebMercatorQuad/0/0/99999999999999999999.png",
		"/tms/1.0.0/world/WebMercatorQuad/99999999999999999999/0/0.png",
	} {
		w := do(h, "GET", path)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
			continue
		}
		var e errorXML
		decodeXML(t, w, &e)
		if e.Message == "" {
			t.Errorf("%s: empty message", path)
		}
	}
	// Inside the limits of the France layer: Paris at zoom 5 is column 16,
	// row 11 from the top, so y = 31-11 = 20.
	if w := do(h, "GET", "/tms/1.0.0/france/WebMercatorQuad/5/16/20.png"); w.Code != http.StatusOK {
		t.Errorf("Paris: %d %s", w.Code, w.Body)
	}
}

func TestConditionalAndHead(t *testing.T) {
	h := newFixture(t).handler("")
	const path = "/tms/1.0.0/world/WebMercatorQuad/2/1/1.png"
	w := do(h, "GET", path)
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("%d ETag %q", w.Code, etag)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	if lm := w.Header().Get("Last-Modified"); lm != modTime.Format(http.TimeFormat) {
		t.Errorf("Last-Modified %q", lm)
	}
	if w2 := do(h, "GET", path, "If-None-Match", etag); w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w2.Code)
	}
	if w2 := do(h, "GET", path, "If-None-Match", `"other"`); w2.Code != http.StatusOK {
		t.Errorf("other ETag: %d", w2.Code)
	}
	if w2 := do(h, "GET", path, "If-Modified-Since", modTime.Format(http.TimeFormat)); w2.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", w2.Code)
	}
	head := do(h, "HEAD", path)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag ||
		head.Header().Get("Content-Type") != "image/png" || head.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Errorf("HEAD: %d %v body %d", head.Code, head.Header(), head.Body.Len())
	}

	// Documents have ETags too.
	for _, doc := range []string{"/tms/", "/tms/1.0.0/", "/tms/1.0.0/world/LAMB93"} {
		w := do(h, "GET", doc)
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", doc)
		}
		if w2 := do(h, "GET", doc, "If-None-Match", etag); w2.Code != http.StatusNotModified {
			t.Errorf("%s If-None-Match: %d", doc, w2.Code)
		}
		if head := do(h, "HEAD", doc); head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag {
			t.Errorf("%s HEAD: %d %d", doc, head.Code, head.Body.Len())
		}
	}
}

func TestGzipTiles(t *testing.T) {
	h := newFixture(t).handler("")
	const path = "/tms/1.0.0/roads/WebMercatorQuad/3/4/5.pbf"
	want := tileData(fullKey("roads", "WebMercatorQuad", "pbf", 3, 4, 2))
	tests := []struct {
		acceptEncoding string
		gzipped        bool
	}{
		{"gzip", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"*", true},
		{"", false},
		{"identity", false},
		{"gzip;q=0", false},
		{"deflate, gzip; q=0", false},
	}
	etags := map[bool]string{}
	for _, tt := range tests {
		t.Run(tt.acceptEncoding, func(t *testing.T) {
			w := do(h, "GET", path, "Accept-Encoding", tt.acceptEncoding)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
				t.Fatalf("%d %v", w.Code, w.Header())
			}
			if !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
				t.Errorf("no Vary: Accept-Encoding")
			}
			if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=600" {
				t.Errorf("Cache-Control %q", cc)
			}
			body := w.Body.Bytes()
			if tt.gzipped {
				if w.Header().Get("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q", w.Header().Get("Content-Encoding"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			} else if ce := w.Header().Get("Content-Encoding"); ce != "" {
				t.Fatalf("Content-Encoding %q", ce)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body %q", body)
			}
			etag := w.Header().Get("ETag")
			if prev, ok := etags[tt.gzipped]; ok && prev != etag {
				t.Errorf("ETag %s, before %s", etag, prev)
			}
			etags[tt.gzipped] = etag
			if w2 := do(h, "GET", path, "Accept-Encoding", tt.acceptEncoding, "If-None-Match", etag); w2.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: %d", w2.Code)
			}
		})
	}
	if etags[true] == etags[false] {
		t.Errorf("gzip and identity share the ETag %s", etags[true])
	}
}

// TestBadRequests: no request path, however hostile, gets a 5xx.
func TestBadRequests(t *testing.T) {
	h := newFixture(t).handler("")
	const big = "99999999999999999999"
	tests := []struct {
		path   string
		status int
	}{
		{"/tms/1.0.0/world/WebMercatorQuad/a/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/a/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/a.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/-1/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/-1/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/-1.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/+1/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/1.5/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/1/0.5/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/1/0/0.5.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/1e3/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0x1/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/%20/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad//0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/" + big + "/0/0.png", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/" + big + "/0.png", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/" + big + ".png", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/9223372036854775807.png", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.gif", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.pbf", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.png.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.png/", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0/0.png", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.png/extra", 404},
		{"/tms/1.0.0/world", 404},
		{"/tms/1.0.0/world/", 404},
		{"/tms/1.0.0/nosuch/WebMercatorQuad/0/0/0.png", 404},
		{"/tms/1.0.0/nosuch/WebMercatorQuad", 404},
		{"/tms/1.0.0/world/NoSuchSet/0/0/0.png", 404},
		{"/tms/1.0.0/world/NoSuchSet", 404},
		{"/tms/1.0.0/roads/LAMB93/0/0/0.pbf", 404},
		{"/tms/1.0.0/World/WebMercatorQuad/0/0/0.png", 404},
		{"/tms/2.0.0/world/WebMercatorQuad/0/0/0.png", 404},
		{"/tms/2.0.0/", 404},
		{"/wmts/1.0.0/", 404},
		{"/", 404},
		{"/tms/1.0.0/../1.0.0/world/WebMercatorQuad/0/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad/../../../../etc/passwd", 400},
		{"/tms/1.0.0/%2e%2e/world/WebMercatorQuad/0/0/0.png", 400},
		{"/tms/1.0.0/world/%2E%2E/0/0/0.png", 400},
		{"/tms/1.0.0/world/./0/0/0.png", 400},
		{"/tms/1.0.0/world%2fWebMercatorQuad/0/0/0.png", 400},
		{"/tms/1.0.0/world/WebMercatorQuad%2f0/0/0.png", 400},
		{"/tms/1.0.0/world%5cWebMercatorQuad/0/0/0.png", 400},
		{"/tms/1.0.0/world%00/WebMercatorQuad/0/0/0.png", 400},
		{"/tms/1.0.0/%zz/WebMercatorQuad/0/0/0.png", 404},
		{"/tms/1.0.0/world/WebMercatorQuad/0/0/0.%00", 400},
		{"/tms/1.0.0/<script>/WebMercatorQuad/0/0/0.png", 404},
		{"/tms/1.0.0/" + strings.Repeat("x", 5000) + "/WebMercatorQuad/0/0/0.png", 404},
		{"/tms/1.0.0/" + strings.Repeat("a/", 500), 404},
		{"/tms/1.0.0/" + strings.Repeat("a/", 500) + "0.png", 404},
	}
	for _, tt := range tests {
		name := tt.path
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			w := do(h, "GET", tt.path)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var e errorXML
			decodeXML(t, w, &e)
			if e.Message == "" || len(e.Message) > 200 {
				t.Errorf("message %q", e.Message)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			if w.Header().Get("ETag") != "" {
				t.Errorf("error with an ETag")
			}
		})
	}
}

func TestMethods(t *testing.T) {
	h := newFixture(t).handler("")
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		w := do(h, m, "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d Allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

// TestRequestContext: a cancelled request reaches the provider as
// cancelled and is not reported as a server bug.
func TestRequestContext(t *testing.T) {
	h := newFixture(t).handler("")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d", w.Code)
	}
}

type nilSource struct{}

func (nilSource) Current() *catalog.Catalog { return nil }

func TestNoCatalog(t *testing.T) {
	h := tms.NewHandler(tms.Options{Catalog: nilSource{}})
	if w := do(h, "GET", "/tms/1.0.0/"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d", w.Code)
	}
}

// TestCatalogSwap: a reload reaches the handler without rewiring.
func TestCatalogSwap(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	empty, err := catalog.New(catalog.Service{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx.live.Swap(empty)
	if w := do(h, "GET", "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png"); w.Code != http.StatusNotFound {
		t.Errorf("status %d", w.Code)
	}
	w := do(h, "GET", "/tms/1.0.0/")
	var doc tileMapServiceXML
	decodeXML(t, w, &doc)
	if len(doc.TileMaps) != 0 || !bytes.Contains(w.Body.Bytes(), []byte("<TileMaps>")) {
		t.Errorf("%s", w.Body)
	}
}

func BenchmarkTMSTile(b *testing.B) {
	h := newFixture(b).handler("")
	r := httptest.NewRequest("GET", "/tms/1.0.0/world/WebMercatorQuad/6/33/40.png", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
