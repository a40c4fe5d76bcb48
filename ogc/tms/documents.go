package tms

import (
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/tiling"
)

// The TMS profiles tuiles recognises. Clients use them to skip reading the
// TileMap: global-mercator is the spherical Mercator quadtree with one tile
// at zoom 0, global-geodetic the WGS84 quadtree with two.
const (
	ProfileMercator = "global-mercator"
	ProfileGeodetic = "global-geodetic"
	ProfileNone     = "none"
)

// The XML encodings of the three TMS documents. Field order is element and
// attribute order, which matters to GDAL (see the package comment).

type servicesDoc struct {
	XMLName        xml.Name   `xml:"Services"`
	TileMapService serviceRef `xml:"TileMapService"`
}

type serviceRef struct {
	Version string `xml:"version,attr"`
	Title   string `xml:"title,attr"`
	Href    string `xml:"href,attr"`
}

type tileMapServiceDoc struct {
	XMLName     xml.Name    `xml:"TileMapService"`
	Version     string      `xml:"version,attr"`
	Services    string      `xml:"services,attr"`
	Title       string      `xml:"Title"`
	Abstract    string      `xml:"Abstract"`
	KeywordList string      `xml:"KeywordList,omitempty"`
	TileMaps    tileMapList `xml:"TileMaps"`
}

// tileMapList is its own type so that an empty catalog still yields an
// empty <TileMaps/> element, which GDAL requires.
type tileMapList struct {
	TileMap []tileMapRef `xml:"TileMap"`
}

type tileMapRef struct {
	Title   string `xml:"title,attr"`
	SRS     string `xml:"srs,attr"`
	Profile string `xml:"profile,attr"`
	Href    string `xml:"href,attr"`
}

type tileMapDoc struct {
	XMLName        xml.Name   `xml:"TileMap"`
	Version        string     `xml:"version,attr"`
	TileMapService string     `xml:"tilemapservice,attr"`
	Title          string     `xml:"Title"`
	Abstract       string     `xml:"Abstract"`
	KeywordList    string     `xml:"KeywordList,omitempty"`
	SRS            string     `xml:"SRS"`
	BoundingBox    boundsElem `xml:"BoundingBox"`
	Origin         originElem `xml:"Origin"`
	TileFormat     formatElem `xml:"TileFormat"`
	TileSets       tileSets   `xml:"TileSets"`
}

// Numbers are strings so that they are written in plain decimal notation:
// encoding/xml would write 2.0037508342789244e+07.
type boundsElem struct {
	MinX string `xml:"minx,attr"`
	MinY string `xml:"miny,attr"`
	MaxX string `xml:"maxx,attr"`
	MaxY string `xml:"maxy,attr"`
}

type originElem struct {
	X string `xml:"x,attr"`
	Y string `xml:"y,attr"`
}

type formatElem struct {
	Width     int    `xml:"width,attr"`
	Height    int    `xml:"height,attr"`
	MediaType string `xml:"mime-type,attr"`
	Extension string `xml:"extension,attr"`
}

type tileSets struct {
	Profile string    `xml:"profile,attr"`
	TileSet []tileSet `xml:"TileSet"`
}

type tileSet struct {
	Href          string `xml:"href,attr"`
	UnitsPerPixel string `xml:"units-per-pixel,attr"`
	Order         int    `xml:"order,attr"`
}

type errorDoc struct {
	XMLName xml.Name `xml:"TileMapServerError"`
	Message string   `xml:"Message"`
}

func serviceURL(base string) string { return base + "/tms/" + Version + "/" }

func tileMapURL(base string, l *catalog.Layer, set *tiling.TileMatrixSet) string {
	return serviceURL(base) + url.PathEscape(l.Name) + "/" + url.PathEscape(set.ID)
}

func servicesDocument(cat *catalog.Catalog, base string) servicesDoc {
	return servicesDoc{TileMapService: serviceRef{Version: Version, Title: serviceTitle(cat), Href: serviceURL(base)}}
}

func serviceTitle(cat *catalog.Catalog) string {
	if cat.Service.Title != "" {
		return cat.Service.Title
	}
	return "tuiles Tile Map Service"
}

func tileMapServiceDocument(cat *catalog.Catalog, base string) tileMapServiceDoc {
	d := tileMapServiceDoc{
		Version:     Version,
		Services:    base + "/tms/",
		Title:       serviceTitle(cat),
		Abstract:    cat.Service.Abstract,
		KeywordList: strings.Join(cat.Service.Keywords, " "),
	}
	for _, l := range cat.LayersFor(catalog.TMS) {
		for _, ts := range l.Tilesets {
			title := layerTitle(l)
			if len(l.Tilesets) > 1 {
				// GDAL and QGIS list TileMaps by title; tell the sets apart.
				title += " (" + ts.Set.ID + ")"
			}
			d.TileMaps.TileMap = append(d.TileMaps.TileMap, tileMapRef{
				Title:   title,
				SRS:     srs(ts.Set),
				Profile: profile(ts.Set),
				Href:    tileMapURL(base, l, ts.Set),
			})
		}
	}
	return d
}

func tileMapDocument(l *catalog.Layer, ts *catalog.Tileset, base string) tileMapDoc {
	set := ts.Set
	b := set.Bounds()
	f := l.Formats[0]
	first := &set.Matrices[ts.MinZoom]
	d := tileMapDoc{
		Version:        Version,
		TileMapService: serviceURL(base),
		Title:          layerTitle(l),
		Abstract:       l.Abstract,
		KeywordList:    strings.Join(l.Keywords, " "),
		SRS:            srs(set),
		BoundingBox:    boundsElem{MinX: num(b.MinX), MinY: num(b.MinY), MaxX: num(b.MaxX), MaxY: num(b.MaxY)},
		// TMS numbers rows from the bottom, so the origin is the
		// bottom-left corner of the grid whatever corner the OGC
		// definition starts from.
		Origin:     originElem{X: num(b.MinX), Y: num(b.MinY)},
		TileFormat: formatElem{Width: first.TileWidth, Height: first.TileHeight, MediaType: f.MediaType, Extension: f.Ext},
		TileSets:   tileSets{Profile: profile(set)},
	}
	href := tileMapURL(base, l, set)
	// TileSets start at level 0 even when the data starts deeper: GDAL
	// accepts a TileMap only if its TileSets are ordered 0, 1, 2, … and it
	// takes the tile URL pattern from the first one. Tiles of the levels
	// above MinZoom stay outside the layer's limits and answer 404.
	for z := 0; z <= ts.MaxZoom; z++ {
		d.TileSets.TileSet = append(d.TileSets.TileSet, tileSet{
			Href:          href + "/" + strconv.Itoa(z),
			UnitsPerPixel: num(set.Matrices[z].CellSize),
			Order:         z,
		})
	}
	return d
}

func layerTitle(l *catalog.Layer) string {
	if l.Title != "" {
		return l.Title
	}
	return l.Name
}

// srs is the CRS in the short EPSG:xxxx form TMS clients expect. CRS84
// becomes EPSG:4326: TMS always writes x before y, so the axis order that
// tells them apart elsewhere does not matter here, and EPSG:4326 is what
// the global-geodetic profile names.
func srs(s *tiling.TileMatrixSet) string {
	c := s.CRSInfo.CRS
	switch {
	case c == crs.CRS84:
		return "EPSG:4326"
	case c.Authority == "":
		return s.CRS
	}
	return c.String()
}

// mercatorHalfWorld is half the width of the spherical Mercator world.
const mercatorHalfWorld = math.Pi * 6378137

// profile recognises the two global TMS profiles by the shape of the grid
// rather than by the set's name, so that a custom definition of the same
// grid (PM, GoogleMapsCompatible) is recognised too.
func profile(s *tiling.TileMatrixSet) string {
	c := s.CRSInfo.CRS
	switch {
	case c == crs.WebMercator && quadtree(s, 1, 1, tiling.Bounds{MinX: -mercatorHalfWorld, MinY: -mercatorHalfWorld, MaxX: mercatorHalfWorld, MaxY: mercatorHalfWorld}):
		return ProfileMercator
	case (c == crs.CRS84 || c == crs.WGS84) && quadtree(s, 2, 1, tiling.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}):
		return ProfileGeodetic
	}
	return ProfileNone
}

// quadtree tells whether every level z of s is a (w0·2^z)×(h0·2^z) matrix of
// 256-pixel tiles covering want, as the global profiles require.
func quadtree(s *tiling.TileMatrixSet, w0, h0 int, want tiling.Bounds) bool {
	if len(s.Matrices) == 0 || len(s.Matrices) > 30 {
		return false
	}
	tol := 1e-6 * want.Width()
	for z := range s.Matrices {
		m := &s.Matrices[z]
		if m.TileWidth != 256 || m.TileHeight != 256 || m.MatrixWidth != w0<<z || m.MatrixHeight != h0<<z {
			return false
		}
		b := m.Bounds()
		if math.Abs(b.MinX-want.MinX) > tol || math.Abs(b.MinY-want.MinY) > tol ||
			math.Abs(b.MaxX-want.MaxX) > tol || math.Abs(b.MaxY-want.MaxY) > tol {
			return false
		}
	}
	return true
}

// num writes a coordinate in plain decimal notation with the shortest
// digits that read back to the same float.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// writeXML encodes a document and serves it with an ETag, so that clients
// polling capabilities get 304s until the catalog changes.
func writeXML(w http.ResponseWriter, r *http.Request, doc any) error {
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return ows.Internal(fmt.Errorf("encoding TMS document: %w", err))
	}
	body = append([]byte(xml.Header), append(body, '\n')...)
	tileserve.WriteDocument(w, r, "application/xml; charset=utf-8", body)
	return nil
}

func errorDocument(msg string) []byte {
	body, err := xml.MarshalIndent(errorDoc{Message: msg}, "", "  ")
	if err != nil {
		// A struct of one string cannot fail to encode; keep a valid
		// document anyway.
		body = []byte("<TileMapServerError><Message>error</Message></TileMapServerError>")
	}
	return append([]byte(xml.Header), append(body, '\n')...)
}
