package tms_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/tiletest"
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
			w := tiletest.Do(h, "GET", path)
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
			w := tiletest.Do(h, "GET", path)
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
			w := tiletest.Do(h, "GET", tt.path)
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
			// Every level from 0 is listed, whatever MinZoom: GDAL needs
			// TileSets ordered 0, 1, 2, …
			if len(doc.TileSets.TileSet) != tt.maxZ+1 {
				t.Fatalf("%d tile sets, want levels 0 to %d", len(doc.TileSets.TileSet), tt.maxZ)
			}
			base := "http://example.com" + strings.TrimSuffix(tt.path, "/")
			for i, ts := range doc.TileSets.TileSet {
				z := i
				if ts.Order != z || ts.Href != base+"/"+strconv.Itoa(z) || !near(ts.UnitsPerPixel, tt.cell0/math.Exp2(float64(z))) {
					t.Errorf("TileSet %d = %+v", i, ts)
				}
			}
		})
	}

	t.Run("LAMB93", func(t *testing.T) {
		set := fx.Sets["LAMB93"]
		w := tiletest.Do(h, "GET", "/tms/1.0.0/world/LAMB93")
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
			decodeXML(t, tiletest.Do(h, "GET", "/tms/1.0.0/world/"+set), &doc)
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
			m := fx.Sets[set]
			for z := 0; z <= 3; z++ {
				res := sets[last].UnitsPerPixel * math.Exp2(float64(last-z))
				tileGround := res * float64(doc.TileFormat.Height)
				for row := 0; row < m.Matrices[z].MatrixHeight; row++ {
					y := int(math.Floor(height/tileGround+0.5)) - row - 1
					for col := 0; col < m.Matrices[z].MatrixWidth; col++ {
						u := strings.NewReplacer("${z}", strconv.Itoa(z), "${x}", strconv.Itoa(col), "${y}", strconv.Itoa(y), "${format}", doc.TileFormat.Extension).Replace(template)
						w := tiletest.Do(h, "GET", strings.TrimPrefix(u, "http://example.com"))
						want := tiletest.TileData(tiletest.Key("world", set, "png", z, col, row))
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
			w := tiletest.Do(h, "GET", fmt.Sprintf("/tms/1.0.0/world/%s/%d/%d/%d.png", tt.set, tt.z, tt.x, tt.y))
			want := tiletest.TileData(tiletest.Key("world", tt.set, "png", tt.z, tt.x, tt.row))
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
		w := tiletest.Do(h, "GET", "/tms/1.0.0/world/WebMercatorQuad/1/0/0."+ext)
		if w.Code != http.StatusOK || w.Body.String() != string(tiletest.TileData(tiletest.Key("world", "WebMercatorQuad", want, 1, 0, 1))) {
			t.Errorf("%s: %d %q", ext, w.Code, w.Body)
		}
	}
}

func TestMissingTiles(t *testing.T) {
	tiletest.CheckMissingTiles(t, newFixture(t).handler(""), "/tms/1.0.0/", "application/xml; charset=utf-8")
}

func TestOutOfRange(t *testing.T) {
	h := newFixture(t).handler("")
	tiletest.CheckStatuses(t, h, tiletest.OutOfRangeTiles("/tms/1.0.0/"), checkError)
	// Inside the limits of the France layer: Paris at zoom 5 is column 16,
	// row 11 from the top, so y = 31-11 = 20.
	if w := tiletest.Do(h, "GET", "/tms/1.0.0/france/WebMercatorQuad/5/16/20.png"); w.Code != http.StatusOK {
		t.Errorf("Paris: %d %s", w.Code, w.Body)
	}
}

// checkError fails unless w holds a TMS error document that no cache
// keeps.
func checkError(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
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
}

func TestConditionalAndHead(t *testing.T) {
	h := newFixture(t).handler("")
	tiletest.CheckConditional(t, h, "/tms/1.0.0/world/WebMercatorQuad/2/1/1.png", "image/png")

	// Documents have ETags too.
	for _, doc := range []string{"/tms/", "/tms/1.0.0/", "/tms/1.0.0/world/LAMB93"} {
		w := tiletest.Do(h, "GET", doc)
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", doc)
		}
		if w2 := tiletest.Do(h, "GET", doc, "If-None-Match", etag); w2.Code != http.StatusNotModified {
			t.Errorf("%s If-None-Match: %d", doc, w2.Code)
		}
		if head := tiletest.Do(h, "HEAD", doc); head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("ETag") != etag {
			t.Errorf("%s HEAD: %d %d", doc, head.Code, head.Body.Len())
		}
	}
}

func TestGzipTiles(t *testing.T) {
	// y 5 from the bottom of level 3 is row 2 from the top.
	want := tiletest.TileData(tiletest.Key("roads", "WebMercatorQuad", "pbf", 3, 4, 2))
	tiletest.CheckGzipNegotiation(t, newFixture(t).handler(""), "/tms/1.0.0/roads/WebMercatorQuad/3/4/5.pbf", want)
}

// TestBadRequests: no request path, however hostile, gets a 5xx.
func TestBadRequests(t *testing.T) {
	cases := append(tiletest.BadTilePaths("/tms/1.0.0/"), []tiletest.StatusCase{
		{Target: "/tms/2.0.0/world/WebMercatorQuad/0/0/0.png", Status: 404},
		{Target: "/tms/2.0.0/", Status: 404},
		{Target: "/wmts/1.0.0/", Status: 404},
		{Target: "/", Status: 404},
		{Target: "/tms/1.0.0/../1.0.0/world/WebMercatorQuad/0/0/0.png", Status: 400},
	}...)
	tiletest.CheckStatuses(t, newFixture(t).handler(""), cases, checkError)
}

func TestMethods(t *testing.T) {
	tiletest.CheckMethods(t, newFixture(t).handler(""), "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png", "/tms/1.0.0/world/WebMercatorQuad")
}

// TestRequestContext: a cancelled request reaches the provider as
// cancelled and is not reported as a server bug.
func TestRequestContext(t *testing.T) {
	tiletest.CheckCancelled(t, newFixture(t).handler(""), "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png")
}

func TestNoCatalog(t *testing.T) {
	h := tms.NewHandler(tms.Options{Catalog: tiletest.NilSource{}})
	if w := tiletest.Do(h, "GET", "/tms/1.0.0/"); w.Code != http.StatusServiceUnavailable {
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
	fx.Live.Swap(empty, nil)
	if w := tiletest.Do(h, "GET", "/tms/1.0.0/world/WebMercatorQuad/0/0/0.png"); w.Code != http.StatusNotFound {
		t.Errorf("status %d", w.Code)
	}
	w := tiletest.Do(h, "GET", "/tms/1.0.0/")
	var doc tileMapServiceXML
	decodeXML(t, w, &doc)
	if len(doc.TileMaps) != 0 || !bytes.Contains(w.Body.Bytes(), []byte("<TileMaps>")) {
		t.Errorf("%s", w.Body)
	}
}

func BenchmarkTMSTile(b *testing.B) {
	tiletest.Bench(b, newFixture(b).handler(""), httptest.NewRequest("GET", "/tms/1.0.0/world/WebMercatorQuad/6/33/40.png", nil))
}
