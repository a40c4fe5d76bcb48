package wmts_test

import (
	"encoding/xml"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/wmts"
)

// The capabilities document read back with its namespaces, as a client
// sees it.

type capsDoc struct {
	XMLName               xml.Name `xml:"http://www.opengis.net/wmts/1.0 Capabilities"`
	Version               string   `xml:"version,attr"`
	ServiceIdentification *struct {
		Title              string   `xml:"http://www.opengis.net/ows/1.1 Title"`
		Abstract           string   `xml:"http://www.opengis.net/ows/1.1 Abstract"`
		Keywords           []string `xml:"http://www.opengis.net/ows/1.1 Keywords>Keyword"`
		ServiceType        string   `xml:"http://www.opengis.net/ows/1.1 ServiceType"`
		ServiceTypeVersion string   `xml:"http://www.opengis.net/ows/1.1 ServiceTypeVersion"`
	} `xml:"http://www.opengis.net/ows/1.1 ServiceIdentification"`
	ServiceProvider *struct {
		ProviderName string `xml:"http://www.opengis.net/ows/1.1 ProviderName"`
		Email        string `xml:"http://www.opengis.net/ows/1.1 ServiceContact>ContactInfo>Address>ElectronicMailAddress"`
	} `xml:"http://www.opengis.net/ows/1.1 ServiceProvider"`
	OperationsMetadata *struct {
		Operations []struct {
			Name string `xml:"name,attr"`
			Gets []struct {
				Href       string `xml:"http://www.w3.org/1999/xlink href,attr"`
				Constraint struct {
					Name     string `xml:"name,attr"`
					Encoding string `xml:"http://www.opengis.net/ows/1.1 AllowedValues>Value"`
				} `xml:"http://www.opengis.net/ows/1.1 Constraint"`
			} `xml:"http://www.opengis.net/ows/1.1 DCP>HTTP>Get"`
		} `xml:"http://www.opengis.net/ows/1.1 Operation"`
	} `xml:"http://www.opengis.net/ows/1.1 OperationsMetadata"`
	Contents *struct {
		Layers []capsLayer `xml:"http://www.opengis.net/wmts/1.0 Layer"`
		Sets   []capsSet   `xml:"http://www.opengis.net/wmts/1.0 TileMatrixSet"`
	} `xml:"http://www.opengis.net/wmts/1.0 Contents"`
	ServiceMetadataURL struct {
		Href string `xml:"http://www.w3.org/1999/xlink href,attr"`
	} `xml:"http://www.opengis.net/wmts/1.0 ServiceMetadataURL"`
}

type capsBox struct {
	CRS   string `xml:"crs,attr"`
	Lower string `xml:"http://www.opengis.net/ows/1.1 LowerCorner"`
	Upper string `xml:"http://www.opengis.net/ows/1.1 UpperCorner"`
}

type capsLayer struct {
	Title      string    `xml:"http://www.opengis.net/ows/1.1 Title"`
	Identifier string    `xml:"http://www.opengis.net/ows/1.1 Identifier"`
	WGS84      *capsBox  `xml:"http://www.opengis.net/ows/1.1 WGS84BoundingBox"`
	Boxes      []capsBox `xml:"http://www.opengis.net/ows/1.1 BoundingBox"`
	Styles     []struct {
		IsDefault  string `xml:"isDefault,attr"`
		Identifier string `xml:"http://www.opengis.net/ows/1.1 Identifier"`
	} `xml:"http://www.opengis.net/wmts/1.0 Style"`
	Formats []string `xml:"http://www.opengis.net/wmts/1.0 Format"`
	Links   []struct {
		Set    string       `xml:"http://www.opengis.net/wmts/1.0 TileMatrixSet"`
		Limits []capsLimits `xml:"http://www.opengis.net/wmts/1.0 TileMatrixSetLimits>TileMatrixLimits"`
	} `xml:"http://www.opengis.net/wmts/1.0 TileMatrixSetLink"`
	ResourceURLs []struct {
		Format       string `xml:"format,attr"`
		ResourceType string `xml:"resourceType,attr"`
		Template     string `xml:"template,attr"`
	} `xml:"http://www.opengis.net/wmts/1.0 ResourceURL"`
}

type capsLimits struct {
	TileMatrix string `xml:"http://www.opengis.net/wmts/1.0 TileMatrix"`
	MinTileRow int    `xml:"http://www.opengis.net/wmts/1.0 MinTileRow"`
	MaxTileRow int    `xml:"http://www.opengis.net/wmts/1.0 MaxTileRow"`
	MinTileCol int    `xml:"http://www.opengis.net/wmts/1.0 MinTileCol"`
	MaxTileCol int    `xml:"http://www.opengis.net/wmts/1.0 MaxTileCol"`
}

type capsSet struct {
	Identifier        string `xml:"http://www.opengis.net/ows/1.1 Identifier"`
	SupportedCRS      string `xml:"http://www.opengis.net/ows/1.1 SupportedCRS"`
	WellKnownScaleSet string `xml:"http://www.opengis.net/wmts/1.0 WellKnownScaleSet"`
	Matrices          []struct {
		Identifier       string `xml:"http://www.opengis.net/ows/1.1 Identifier"`
		ScaleDenominator string `xml:"http://www.opengis.net/wmts/1.0 ScaleDenominator"`
		TopLeftCorner    string `xml:"http://www.opengis.net/wmts/1.0 TopLeftCorner"`
		TileWidth        int    `xml:"http://www.opengis.net/wmts/1.0 TileWidth"`
		TileHeight       int    `xml:"http://www.opengis.net/wmts/1.0 TileHeight"`
		MatrixWidth      int    `xml:"http://www.opengis.net/wmts/1.0 MatrixWidth"`
		MatrixHeight     int    `xml:"http://www.opengis.net/wmts/1.0 MatrixHeight"`
	} `xml:"http://www.opengis.net/wmts/1.0 TileMatrix"`
}

func (d *capsDoc) layer(t *testing.T, id string) capsLayer {
	t.Helper()
	for _, l := range d.Contents.Layers {
		if l.Identifier == id {
			return l
		}
	}
	t.Fatalf("no layer %q in the capabilities", id)
	return capsLayer{}
}

func (d *capsDoc) set(t *testing.T, id string) capsSet {
	t.Helper()
	for _, s := range d.Contents.Sets {
		if s.Identifier == id {
			return s
		}
	}
	t.Fatalf("no tile matrix set %q in the capabilities", id)
	return capsSet{}
}

// getCapabilities fetches target, checks the answer is a valid
// capabilities document and reads it back.
func getCapabilities(t *testing.T, h http.Handler, target string) (*capsDoc, []byte) {
	t.Helper()
	w := tiletest.Do(h, http.MethodGet, target)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", target, w.Code, w.Body)
	}
	body := w.Body.Bytes()
	validateCapabilities(t, body)
	var doc capsDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return &doc, body
}

func TestCapabilitiesContent(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("https://tiles.example.org/maps/")
	doc, _ := getCapabilities(t, h, "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
	const base = "https://tiles.example.org/maps"

	if doc.Version != "1.0.0" {
		t.Errorf("version %q", doc.Version)
	}
	si := doc.ServiceIdentification
	if si == nil || si.Title != "Test tiles" || si.Abstract != "Tiles for tests." || !slices.Equal(si.Keywords, []string{"a", "b"}) ||
		si.ServiceType != "OGC WMTS" || si.ServiceTypeVersion != "1.0.0" {
		t.Errorf("ServiceIdentification %+v", si)
	}
	if sp := doc.ServiceProvider; sp == nil || sp.ProviderName != "Tuiles & Co" || sp.Email != "maps@example.org" {
		t.Errorf("ServiceProvider %+v", sp)
	}
	if got := doc.ServiceMetadataURL.Href; got != base+"/wmts/1.0.0/WMTSCapabilities.xml" {
		t.Errorf("ServiceMetadataURL %q", got)
	}

	t.Run("operations", func(t *testing.T) {
		want := map[string][][2]string{
			"GetCapabilities": {{base + "/wmts?", "KVP"}, {base + "/wmts/1.0.0/WMTSCapabilities.xml", "RESTful"}},
			"GetTile":         {{base + "/wmts?", "KVP"}, {base + "/wmts/1.0.0/", "RESTful"}},
		}
		if doc.OperationsMetadata == nil || len(doc.OperationsMetadata.Operations) != len(want) {
			t.Fatalf("OperationsMetadata %+v", doc.OperationsMetadata)
		}
		for _, op := range doc.OperationsMetadata.Operations {
			var got [][2]string
			for _, g := range op.Gets {
				if g.Constraint.Name != "GetEncoding" {
					t.Errorf("%s: constraint %q, want GetEncoding", op.Name, g.Constraint.Name)
				}
				got = append(got, [2]string{g.Href, g.Constraint.Encoding})
			}
			if !slices.Equal(got, want[op.Name]) {
				t.Errorf("%s: Get %v, want %v", op.Name, got, want[op.Name])
			}
		}
	})

	t.Run("layers", func(t *testing.T) {
		var ids []string
		for _, l := range doc.Contents.Layers {
			ids = append(ids, l.Identifier)
		}
		// wmsonly has no tiles, so it is no WMTS layer.
		want := []string{"world", "roads", "france", "holes", "sparse", "broken", oddName}
		if !slices.Equal(ids, want) {
			t.Fatalf("layers %q, want %q", ids, want)
		}
		world := doc.layer(t, "world")
		if world.Title != "The world" || world.WGS84 == nil || world.WGS84.Lower != "-180 -85" || world.WGS84.Upper != "180 85" {
			t.Errorf("world: title %q, WGS84BoundingBox %+v", world.Title, world.WGS84)
		}
		if len(world.Styles) != 1 || world.Styles[0].Identifier != "default" || world.Styles[0].IsDefault != "true" {
			t.Errorf("world styles %+v", world.Styles)
		}
		if !slices.Equal(world.Formats, []string{"image/png", "image/jpeg"}) {
			t.Errorf("world formats %q", world.Formats)
		}
		var links []string
		for _, l := range world.Links {
			links = append(links, l.Set)
		}
		if !slices.Equal(links, []string{"WebMercatorQuad", "WorldCRS84Quad", "LAMB93", "WorldEPSG4326", "BottomLeftCRS84"}) {
			t.Errorf("world links %q", links)
		}
		var templates []string
		for _, u := range world.ResourceURLs {
			if u.ResourceType != "tile" {
				t.Errorf("resourceType %q", u.ResourceType)
			}
			templates = append(templates, u.Format+" "+u.Template)
		}
		wantTemplates := []string{
			"image/png " + base + "/wmts/1.0.0/world/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png",
			"image/jpeg " + base + "/wmts/1.0.0/world/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.jpeg",
		}
		if !slices.Equal(templates, wantTemplates) {
			t.Errorf("templates %q\nwant %q", templates, wantTemplates)
		}
		odd := doc.layer(t, oddName)
		if got := odd.ResourceURLs[0].Template; got != base+"/wmts/1.0.0/eaux%20&%20for%C3%AAts/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.png" {
			t.Errorf("odd layer template %q", got)
		}
		if got := doc.layer(t, "france").Title; got != `France <métropole> & "Corse"` {
			t.Errorf("france title %q", got)
		}
		// A layer without bounds has no WGS84BoundingBox rather than a
		// made-up one.
		if b := doc.layer(t, "holes").WGS84; b != nil {
			t.Errorf("holes WGS84BoundingBox %+v", b)
		}
	})

	t.Run("bounding boxes", func(t *testing.T) {
		boxes := map[string]capsBox{}
		for _, b := range doc.layer(t, "world").Boxes {
			if _, dup := boxes[b.CRS]; dup {
				t.Errorf("two boxes in %s", b.CRS)
			}
			boxes[b.CRS] = b
		}
		pair := func(a, b float64) string {
			return strconv.FormatFloat(a, 'f', -1, 64) + " " + strconv.FormatFloat(b, 'f', -1, 64)
		}
		merc, lamb := fx.sets["WebMercatorQuad"].Bounds(), fx.sets["LAMB93"].Bounds()
		for crs, want := range map[string][2]string{
			"urn:ogc:def:crs:EPSG::3857":    {pair(merc.MinX, merc.MinY), pair(merc.MaxX, merc.MaxY)},
			"urn:ogc:def:crs:OGC:1.3:CRS84": {"-180 -90", "180 90"},
			"urn:ogc:def:crs:EPSG::4326":    {"-90 -180", "90 180"}, // latitude first
			"urn:ogc:def:crs:EPSG::2154":    {pair(lamb.MinX, lamb.MinY), pair(lamb.MaxX, lamb.MaxY)},
		} {
			b, ok := boxes[crs]
			if !ok {
				t.Errorf("no BoundingBox in %s (have %v)", crs, boxes)
				continue
			}
			if b.Lower != want[0] || b.Upper != want[1] {
				t.Errorf("%s: %s / %s, want %s / %s", crs, b.Lower, b.Upper, want[0], want[1])
			}
		}
		// WebMercatorQuad and PM share EPSG:3857: one box for both.
		if n := len(doc.layer(t, "france").Boxes); n != 1 {
			t.Errorf("france has %d boxes, want 1", n)
		}
	})

	t.Run("limits", func(t *testing.T) {
		cat := fx.live.Current()
		for _, l := range cat.Layers() {
			if len(l.Tilesets) == 0 {
				continue
			}
			cl := doc.layer(t, l.Name)
			for i, ts := range l.Tilesets {
				link := cl.Links[i]
				if link.Set != ts.Set.ID || len(link.Limits) != ts.MaxZoom-ts.MinZoom+1 {
					t.Errorf("%s/%s: %d limits, want %d", l.Name, ts.Set.ID, len(link.Limits), ts.MaxZoom-ts.MinZoom+1)
					continue
				}
				for j, got := range link.Limits {
					z := ts.MinZoom + j
					r := ts.Limits[j]
					want := capsLimits{ts.Set.Matrices[z].ID, r.MinRow, r.MaxRow, r.MinCol, r.MaxCol}
					if got != want {
						t.Errorf("%s/%s zoom %d: %+v, want %+v", l.Name, ts.Set.ID, z, got, want)
					}
				}
			}
		}
		// France at zoom 2 of WebMercatorQuad: the tiles around Europe.
		got := doc.layer(t, "france").Links[0].Limits[0]
		if want := (capsLimits{"2", 1, 1, 1, 2}); got != want {
			t.Errorf("france zoom 2: %+v, want %+v", got, want)
		}
	})

	t.Run("tile matrix sets", func(t *testing.T) {
		var ids []string
		for _, s := range doc.Contents.Sets {
			ids = append(ids, s.Identifier)
		}
		if want := []string{"WebMercatorQuad", "WorldCRS84Quad", "LAMB93", "WorldEPSG4326", "BottomLeftCRS84", "PM"}; !slices.Equal(ids, want) {
			t.Fatalf("sets %q, want %q", ids, want)
		}
		for _, c := range []struct {
			set, crs, wkss, topLeft0 string
		}{
			{"WebMercatorQuad", "urn:ogc:def:crs:EPSG::3857", "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible", "-20037508.3427892 20037508.3427892"},
			{"WorldCRS84Quad", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:wkss:OGC:1.0:GoogleCRS84Quad", "-180 90"},
			{"LAMB93", "urn:ogc:def:crs:EPSG::2154", "", "0 12000000"},
			{"WorldEPSG4326", "urn:ogc:def:crs:EPSG::4326", "", "90 -180"},
			{"BottomLeftCRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "", "-180 90"},
			// IGN's PM does not name its scale set, but is one.
			{"PM", "urn:ogc:def:crs:EPSG::3857", "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible", "-20037508.3427892 20037508.3427892"},
		} {
			s := doc.set(t, c.set)
			if s.SupportedCRS != c.crs || s.WellKnownScaleSet != c.wkss {
				t.Errorf("%s: SupportedCRS %q WellKnownScaleSet %q, want %q %q", c.set, s.SupportedCRS, s.WellKnownScaleSet, c.crs, c.wkss)
			}
			def := fx.sets[c.set]
			if len(s.Matrices) != len(def.Matrices) {
				t.Errorf("%s: %d matrices, want %d", c.set, len(s.Matrices), len(def.Matrices))
				continue
			}
			for i, m := range s.Matrices {
				d := def.Matrices[i]
				if i == 0 || c.set != "BottomLeftCRS84" {
					// Every matrix of these sets shares its top-left corner.
					if m.TopLeftCorner != c.topLeft0 {
						t.Errorf("%s/%s: TopLeftCorner %q, want %q", c.set, m.Identifier, m.TopLeftCorner, c.topLeft0)
					}
				}
				scale, err := strconv.ParseFloat(m.ScaleDenominator, 64)
				if err != nil || scale != d.ScaleDenominator {
					t.Errorf("%s/%s: ScaleDenominator %q does not read back as %v", c.set, m.Identifier, m.ScaleDenominator, d.ScaleDenominator)
				}
				if m.Identifier != d.ID || m.TileWidth != d.TileWidth || m.TileHeight != d.TileHeight || m.MatrixWidth != d.MatrixWidth || m.MatrixHeight != d.MatrixHeight {
					t.Errorf("%s: matrix %d is %+v, want %+v", c.set, i, m, d)
				}
			}
		}
	})
}

// TestCapabilitiesEndpoints checks that the KVP and RESTful documents are
// the same and that the request spellings clients use all work.
func TestCapabilitiesEndpoints(t *testing.T) {
	fx := newFixture(t)
	h := fx.handler("")
	_, rest := getCapabilities(t, h, "/wmts/1.0.0/WMTSCapabilities.xml")
	for _, target := range []string{
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
		"/wmts/?service=wmts&request=getcapabilities",
		"/wmts?Service=WMTS&Request=GetCapabilities&Version=1.0.0",
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&AcceptVersions=2.0.0,1.0.0",
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&UPDATESEQUENCE=42",
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&SERVICE=WMTS",
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&Sections=All",
		"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&AcceptFormats=application/xml",
	} {
		_, body := getCapabilities(t, h, target)
		if string(body) != string(rest) {
			t.Errorf("%s differs from the RESTful document", target)
		}
	}
	// Without a configured public URL the links follow the request.
	if !strings.Contains(string(rest), `xlink:href="http://example.com/wmts?"`) {
		t.Errorf("links do not use the request's host:\n%s", rest)
	}
}

func TestCapabilitiesHeaders(t *testing.T) {
	h := newFixture(t).handler("")
	for _, c := range []struct {
		target, mediaType string
	}{
		{"/wmts/1.0.0/WMTSCapabilities.xml", "application/xml"},
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "application/xml"},
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&AcceptFormats=text/xml", "text/xml"},
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&AcceptFormats=image/png,text/xml", "text/xml"},
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&FORMAT=text/xml", "text/xml"},
		// No acceptable type: the default rather than an error (OWS 1.1).
		{"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&AcceptFormats=application/json", "application/xml"},
	} {
		w := tiletest.Do(h, http.MethodGet, c.target)
		mt, _, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
		if w.Code != http.StatusOK || err != nil || mt != c.mediaType {
			t.Errorf("%s: status %d, Content-Type %q, want %s", c.target, w.Code, w.Header().Get("Content-Type"), c.mediaType)
		}
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", c.target)
			continue
		}
		if w2 := tiletest.Do(h, http.MethodGet, c.target, "If-None-Match", etag); w2.Code != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: status %d, want 304", c.target, w2.Code)
		}
		if w2 := tiletest.Do(h, http.MethodHead, c.target); w2.Code != http.StatusOK || w2.Body.Len() != 0 || w2.Header().Get("ETag") != etag {
			t.Errorf("%s HEAD: status %d, %d body bytes, ETag %q", c.target, w2.Code, w2.Body.Len(), w2.Header().Get("ETag"))
		}
	}
}

func TestCapabilitiesSections(t *testing.T) {
	h := newFixture(t).handler("")
	for _, c := range []struct {
		sections                                    string
		identification, provider, operations, conts bool
	}{
		{"ServiceIdentification", true, false, false, false},
		{"ServiceProvider,OperationsMetadata", false, true, true, false},
		{"Contents", false, false, false, true},
		{"contents, serviceidentification", true, false, false, true},
		{"Themes", false, false, false, false},
		{"All", true, true, true, true},
	} {
		doc, _ := getCapabilities(t, h, "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities&SECTIONS="+strings.ReplaceAll(c.sections, " ", "%20"))
		got := [4]bool{doc.ServiceIdentification != nil, doc.ServiceProvider != nil, doc.OperationsMetadata != nil, doc.Contents != nil}
		if want := [4]bool{c.identification, c.provider, c.operations, c.conts}; got != want {
			t.Errorf("Sections=%s: present %v, want %v", c.sections, got, want)
		}
	}
}

// TestCapabilitiesEdgeCatalogs validates the documents of catalogs at the
// edges: empty, and with text that needs escaping everywhere.
func TestCapabilitiesEdgeCatalogs(t *testing.T) {
	empty, err := catalog.New(catalog.Service{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := wmts.NewHandler(wmts.Options{Catalog: catalog.NewLive(empty)})
	doc, _ := getCapabilities(t, h, "/wmts/1.0.0/WMTSCapabilities.xml")
	if doc.Contents == nil || len(doc.Contents.Layers) != 0 || doc.ServiceIdentification.Title == "" {
		t.Errorf("empty catalog: %+v", doc)
	}

	fx := newFixture(t)
	cat := fx.live.Current()
	hostile := *cat
	hostile.Service = catalog.Service{
		Title: "<script>alert(1)</script>", Abstract: "a ]]> b \x00\x1b", Keywords: []string{"&amp;", "  ", "\"'"},
		Provider: "<x/>", Fees: "1 € & more", AccessConstraints: "\"none\"",
	}
	h = wmts.NewHandler(wmts.Options{Catalog: catalog.NewLive(&hostile), PublicURL: "http://example.com/a&b"})
	doc, body := getCapabilities(t, h, "/wmts/1.0.0/WMTSCapabilities.xml")
	if doc.ServiceIdentification.Title != "<script>alert(1)</script>" || strings.Contains(string(body), "<script>") {
		t.Errorf("title not escaped: %q", doc.ServiceIdentification.Title)
	}
}
