package wmts

import (
	"bytes"
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

// Namespaces and schema of the capabilities document.
const (
	namespaceWMTS  = "http://www.opengis.net/wmts/1.0"
	namespaceXLink = "http://www.w3.org/1999/xlink"
	namespaceXSI   = "http://www.w3.org/2001/XMLSchema-instance"
	schemaWMTS     = "http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd"
)

// The XML encoding of the capabilities document. Field order is element
// order, which the schema fixes. Element names carry their prefix
// literally ("ows:Title"): encoding/xml would otherwise redeclare the
// namespace on every element, which is valid but unreadable.

type capabilitiesDoc struct {
	XMLName               xml.Name               `xml:"Capabilities"`
	Xmlns                 string                 `xml:"xmlns,attr"`
	XmlnsOWS              string                 `xml:"xmlns:ows,attr"`
	XmlnsXLink            string                 `xml:"xmlns:xlink,attr"`
	XmlnsXSI              string                 `xml:"xmlns:xsi,attr"`
	SchemaLocation        string                 `xml:"xsi:schemaLocation,attr"`
	Version               string                 `xml:"version,attr"`
	ServiceIdentification *serviceIdentification `xml:"ows:ServiceIdentification"`
	ServiceProvider       *serviceProvider       `xml:"ows:ServiceProvider"`
	OperationsMetadata    *operationsMetadata    `xml:"ows:OperationsMetadata"`
	Contents              *contents              `xml:"Contents"`
	ServiceMetadataURL    onlineResource         `xml:"ServiceMetadataURL"`
}

type serviceIdentification struct {
	Title              string    `xml:"ows:Title"`
	Abstract           string    `xml:"ows:Abstract,omitempty"`
	Keywords           *keywords `xml:"ows:Keywords"`
	ServiceType        string    `xml:"ows:ServiceType"`
	ServiceTypeVersion string    `xml:"ows:ServiceTypeVersion"`
	Fees               string    `xml:"ows:Fees"`
	AccessConstraints  string    `xml:"ows:AccessConstraints"`
}

type keywords struct {
	Keyword []string `xml:"ows:Keyword"`
}

type serviceProvider struct {
	ProviderName   string          `xml:"ows:ProviderName"`
	ProviderSite   *onlineResource `xml:"ows:ProviderSite"`
	ServiceContact serviceContact  `xml:"ows:ServiceContact"`
}

type onlineResource struct {
	Href string `xml:"xlink:href,attr"`
}

type serviceContact struct {
	ContactInfo *contactInfo `xml:"ows:ContactInfo"`
}

type contactInfo struct {
	Address address `xml:"ows:Address"`
}

type address struct {
	ElectronicMailAddress string `xml:"ows:ElectronicMailAddress"`
}

type operationsMetadata struct {
	Operation []operation `xml:"ows:Operation"`
}

type operation struct {
	Name string   `xml:"name,attr"`
	Get  []getURL `xml:"ows:DCP>ows:HTTP>ows:Get"`
}

type getURL struct {
	Href       string     `xml:"xlink:href,attr"`
	Constraint constraint `xml:"ows:Constraint"`
}

type constraint struct {
	Name  string   `xml:"name,attr"`
	Value []string `xml:"ows:AllowedValues>ows:Value"`
}

type contents struct {
	Layer         []layerElem         `xml:"Layer"`
	TileMatrixSet []tileMatrixSetElem `xml:"TileMatrixSet"`
}

type layerElem struct {
	Title             string        `xml:"ows:Title"`
	Abstract          string        `xml:"ows:Abstract,omitempty"`
	Keywords          *keywords     `xml:"ows:Keywords"`
	WGS84BoundingBox  *boundingBox  `xml:"ows:WGS84BoundingBox"`
	Identifier        string        `xml:"ows:Identifier"`
	BoundingBox       []boundingBox `xml:"ows:BoundingBox"`
	Style             []styleElem   `xml:"Style"`
	Format            []string      `xml:"Format"`
	TileMatrixSetLink []setLink     `xml:"TileMatrixSetLink"`
	ResourceURL       []resourceURL `xml:"ResourceURL"`
}

type boundingBox struct {
	CRS         string `xml:"crs,attr,omitempty"`
	LowerCorner string `xml:"ows:LowerCorner"`
	UpperCorner string `xml:"ows:UpperCorner"`
}

type styleElem struct {
	IsDefault  bool   `xml:"isDefault,attr,omitempty"`
	Title      string `xml:"ows:Title,omitempty"`
	Identifier string `xml:"ows:Identifier"`
}

type setLink struct {
	TileMatrixSet string       `xml:"TileMatrixSet"`
	Limits        []limitsElem `xml:"TileMatrixSetLimits>TileMatrixLimits"`
}

type limitsElem struct {
	TileMatrix string `xml:"TileMatrix"`
	MinTileRow int    `xml:"MinTileRow"`
	MaxTileRow int    `xml:"MaxTileRow"`
	MinTileCol int    `xml:"MinTileCol"`
	MaxTileCol int    `xml:"MaxTileCol"`
}

type resourceURL struct {
	Format       string `xml:"format,attr"`
	ResourceType string `xml:"resourceType,attr"`
	Template     string `xml:"template,attr"`
}

type tileMatrixSetElem struct {
	Title             string           `xml:"ows:Title,omitempty"`
	Identifier        string           `xml:"ows:Identifier"`
	SupportedCRS      string           `xml:"ows:SupportedCRS"`
	WellKnownScaleSet string           `xml:"WellKnownScaleSet,omitempty"`
	TileMatrix        []tileMatrixElem `xml:"TileMatrix"`
}

type tileMatrixElem struct {
	Identifier       string `xml:"ows:Identifier"`
	ScaleDenominator string `xml:"ScaleDenominator"`
	TopLeftCorner    string `xml:"TopLeftCorner"`
	TileWidth        int    `xml:"TileWidth"`
	TileHeight       int    `xml:"TileHeight"`
	MatrixWidth      int    `xml:"MatrixWidth"`
	MatrixHeight     int    `xml:"MatrixHeight"`
}

// writeCapabilities answers with the capabilities document. It carries a
// strong ETag of its bytes so clients that poll it (QGIS on every project
// load) get a 304 while nothing changed; http.ServeContent handles HEAD
// and the conditional headers.
func (h *Handler) writeCapabilities(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, s sections, mediaType string) error {
	base := ows.BaseURL(r, h.opts.PublicURL)
	body, err := encodeCapabilities(capabilities(cat, base, ows.KeyQuery(r.Context()), s))
	if err != nil {
		return fmt.Errorf("wmts: encoding capabilities: %w", err)
	}
	tileserve.WriteDocument(w, r, mediaType+"; charset=utf-8", body)
	return nil
}

func encodeCapabilities(doc *capabilitiesDoc) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// capabilities builds the document for cat as seen from base, the URL
// clients reach the server at.
// key, when not empty, is a query parameter (the request's access key)
// that every URL of the document carries.
func capabilities(cat *catalog.Catalog, base, key string, s sections) *capabilitiesDoc {
	restCaps := ows.WithQuery(base+restRoot+"/"+capabilitiesFile, key)
	doc := &capabilitiesDoc{
		Xmlns:              namespaceWMTS,
		XmlnsOWS:           ows.NamespaceOWS11,
		XmlnsXLink:         namespaceXLink,
		XmlnsXSI:           namespaceXSI,
		SchemaLocation:     namespaceWMTS + " " + schemaWMTS,
		Version:            Version,
		ServiceMetadataURL: onlineResource{Href: restCaps},
	}
	svc := cat.Service
	if s.has(sectionServiceIdentification) {
		doc.ServiceIdentification = &serviceIdentification{
			Title:              firstNonEmpty(svc.Title, "tuiles WMTS"),
			Abstract:           svc.Abstract,
			Keywords:           keywordList(svc.Keywords),
			ServiceType:        "OGC WMTS",
			ServiceTypeVersion: Version,
			Fees:               firstNonEmpty(svc.Fees, "none"),
			AccessConstraints:  firstNonEmpty(svc.AccessConstraints, "none"),
		}
	}
	if s.has(sectionServiceProvider) {
		sp := &serviceProvider{ProviderName: svc.Provider}
		if svc.ProviderURL != "" {
			sp.ProviderSite = &onlineResource{Href: svc.ProviderURL}
		}
		if svc.ContactEmail != "" {
			sp.ServiceContact.ContactInfo = &contactInfo{Address: address{ElectronicMailAddress: svc.ContactEmail}}
		}
		doc.ServiceProvider = sp
	}
	if s.has(sectionOperationsMetadata) {
		kvp := ows.KVPEndpoint(ows.WithQuery(base+kvpPath, key))
		doc.OperationsMetadata = &operationsMetadata{Operation: []operation{
			{Name: "GetCapabilities", Get: []getURL{
				encodingGet(kvp, "KVP"),
				encodingGet(restCaps, "RESTful"),
			}},
			{Name: "GetTile", Get: []getURL{
				encodingGet(kvp, "KVP"),
				encodingGet(base+restRoot+"/", "RESTful"),
			}},
		}}
	}
	if s.has(sectionContents) {
		c := &contents{}
		for _, l := range cat.LayersFor(catalog.WMTS) {
			if len(l.Tilesets) > 0 {
				c.Layer = append(c.Layer, layerElement(l, base, key))
			}
		}
		for _, set := range cat.TileMatrixSets() {
			c.TileMatrixSet = append(c.TileMatrixSet, tileMatrixSetElement(set))
		}
		doc.Contents = c
	}
	return doc
}

// encodingGet is one ows:Get with the GetEncoding constraint GDAL, QGIS
// and OpenLayers use to pick the KVP or RESTful endpoint (07-057r7
// section 8.1.1.2).
func encodingGet(href, encoding string) getURL {
	return getURL{Href: href, Constraint: constraint{Name: "GetEncoding", Value: []string{encoding}}}
}

func keywordList(kw []string) *keywords {
	var out []string
	for _, k := range kw {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &keywords{Keyword: out}
}

func layerElement(l *catalog.Layer, base, key string) layerElem {
	le := layerElem{
		Title:      firstNonEmpty(l.Title, l.Name),
		Abstract:   l.Abstract,
		Keywords:   keywordList(l.Keywords),
		Identifier: l.Name,
	}
	world := crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}
	if b := l.Bounds.Intersect(world); finiteBounds(b) && !b.Empty() {
		le.WGS84BoundingBox = &boundingBox{
			LowerCorner: formatPair(b.MinX, b.MinY),
			UpperCorner: formatPair(b.MaxX, b.MaxY),
		}
	}
	le.BoundingBox = layerBoundingBoxes(l)
	for i, s := range l.Styles {
		le.Style = append(le.Style, styleElem{IsDefault: i == 0, Title: s.Title, Identifier: s.Name})
	}
	if len(le.Style) == 0 {
		le.Style = []styleElem{{IsDefault: true, Identifier: "default"}}
	}
	for _, f := range l.Formats {
		le.Format = append(le.Format, f.MediaType)
	}
	for _, ts := range l.Tilesets {
		link := setLink{TileMatrixSet: ts.Set.ID}
		for z := ts.MinZoom; z <= ts.MaxZoom; z++ {
			r, ok := ts.Limit(z)
			m, okm := ts.Set.Level(z)
			if !ok || !okm {
				continue
			}
			link.Limits = append(link.Limits, limitsElem{
				TileMatrix: m.ID,
				MinTileRow: r.MinRow, MaxTileRow: r.MaxRow,
				MinTileCol: r.MinCol, MaxTileCol: r.MaxCol,
			})
		}
		le.TileMatrixSetLink = append(le.TileMatrixSetLink, link)
	}
	prefix := base + restRoot + "/" + url.PathEscape(l.Name) + "/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}."
	for _, f := range l.Formats {
		le.ResourceURL = append(le.ResourceURL, resourceURL{Format: f.MediaType, ResourceType: "tile", Template: ows.WithQuery(prefix+f.Ext, key)})
	}
	return le
}

// layerBoundingBoxes gives the layer's extent in the CRS of each of its
// tile matrix sets, corners in that CRS's axis order. Sets sharing a CRS
// (WebMercatorQuad and IGN's PM) get one box, the union of theirs, since
// clients key boxes by CRS and would keep only one anyway.
func layerBoundingBoxes(l *catalog.Layer) []boundingBox {
	type entry struct {
		crs           string
		b             crs.Bounds
		northingFirst bool
	}
	var entries []entry
	index := map[string]int{}
	for _, ts := range l.Tilesets {
		b := ts.Bounds.Intersect(ts.Set.Bounds())
		if !finiteBounds(b) || b.Empty() {
			continue
		}
		urn := supportedCRS(ts.Set)
		if i, ok := index[urn]; ok {
			e := &entries[i]
			e.b = crs.Bounds{MinX: math.Min(e.b.MinX, b.MinX), MinY: math.Min(e.b.MinY, b.MinY), MaxX: math.Max(e.b.MaxX, b.MaxX), MaxY: math.Max(e.b.MaxY, b.MaxY)}
			continue
		}
		index[urn] = len(entries)
		entries = append(entries, entry{crs: urn, b: b, northingFirst: ts.Set.CRSInfo.NorthingFirst})
	}
	out := make([]boundingBox, 0, len(entries))
	for _, e := range entries {
		out = append(out, boundingBox{
			CRS:         e.crs,
			LowerCorner: axisOrdered(e.b.MinX, e.b.MinY, e.northingFirst),
			UpperCorner: axisOrdered(e.b.MaxX, e.b.MaxY, e.northingFirst),
		})
	}
	return out
}

func tileMatrixSetElement(set *tiling.TileMatrixSet) tileMatrixSetElem {
	e := tileMatrixSetElem{
		Title:             set.Title,
		Identifier:        set.ID,
		SupportedCRS:      supportedCRS(set),
		WellKnownScaleSet: wellKnownScaleSet(set),
	}
	nf := set.CRSInfo.NorthingFirst
	for i := range set.Matrices {
		m := &set.Matrices[i]
		// WMTS knows only top-left origins; rows count from the top in
		// tiling too, so a bottom-left matrix is the same matrix described
		// from its other corner. That corner is computed, so its
		// floating-point noise, a billionth of a pixel, is rounded off
		// (89.9999999999994 is 90).
		left, top := m.OriginX, m.OriginY
		if m.Corner != tiling.TopLeft {
			top = tidy(m.Bounds().MaxY, m.CellSize*1e-9)
		}
		e.TileMatrix = append(e.TileMatrix, tileMatrixElem{
			Identifier:       m.ID,
			ScaleDenominator: formatFloat(m.ScaleDenominator),
			TopLeftCorner:    axisOrdered(left, top, nf),
			TileWidth:        m.TileWidth,
			TileHeight:       m.TileHeight,
			MatrixWidth:      m.MatrixWidth,
			MatrixHeight:     m.MatrixHeight,
		})
	}
	return e
}

// supportedCRS is the set's CRS in URN form. GDAL honours the EPSG axis
// order only for URNs, and reads the short OGC forms (CRS:84, OGC:CRS84)
// wrongly, so CRS84 must be urn:ogc:def:crs:OGC:1.3:CRS84.
func supportedCRS(set *tiling.TileMatrixSet) string {
	if set.CRSInfo.CRS != (crs.CRS{}) {
		return set.CRSInfo.CRS.URN()
	}
	if c, err := crs.Parse(set.CRS); err == nil {
		return c.URN()
	}
	return set.CRS
}

// GoogleMapsCompatible (07-057r7 annex E.4): EPSG:3857, 256-pixel tiles,
// 2^z × 2^z tiles at level z from the whole-world tile at level 0.
const (
	wkssGoogleMaps      = "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
	googleMapsScale0    = 559082264.0287178
	webMercatorHalfSide = 20037508.3427892
)

// wellKnownScaleSet is the URN of the set's well-known scale set. WMTS
// 1.0 clients know the URN form only, so the OGC 17-083 http URI is
// rewritten; a Web Mercator quadtree that does not say it is one (IGN's
// PM) is recognised by its matrices, since clients such as QGIS use the
// scale set to align tiles with other Google-compatible layers.
func wellKnownScaleSet(set *tiling.TileMatrixSet) string {
	if u := set.WellKnownScaleSet; u != "" {
		for _, prefix := range []string{"http://www.opengis.net/def/wkss/", "https://www.opengis.net/def/wkss/"} {
			if len(u) > len(prefix) && strings.EqualFold(u[:len(prefix)], prefix) {
				parts := strings.Split(strings.Trim(u[len(prefix):], "/"), "/")
				if len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != "" {
					return "urn:ogc:def:wkss:" + strings.Join(parts, ":")
				}
			}
		}
		return u
	}
	if googleMapsCompatible(set) {
		return wkssGoogleMaps
	}
	return ""
}

func googleMapsCompatible(set *tiling.TileMatrixSet) bool {
	if set.CRSInfo.CRS != crs.WebMercator || len(set.Matrices) == 0 || len(set.Matrices) > 31 {
		return false
	}
	for z := range set.Matrices {
		m := &set.Matrices[z]
		n := 1 << z
		want := googleMapsScale0 / float64(n)
		b := m.Bounds()
		if m.TileWidth != 256 || m.TileHeight != 256 || m.MatrixWidth != n || m.MatrixHeight != n ||
			math.Abs(m.ScaleDenominator-want) > 1e-9*want ||
			math.Abs(b.MinX+webMercatorHalfSide) > 1e-3 || math.Abs(b.MaxY-webMercatorHalfSide) > 1e-3 {
			return false
		}
	}
	return true
}

// axisOrdered writes an easting/northing point in the CRS's axis order.
func axisOrdered(x, y float64, northingFirst bool) string {
	if northingFirst {
		return formatPair(y, x)
	}
	return formatPair(x, y)
}

func formatPair(a, b float64) string { return formatFloat(a) + " " + formatFloat(b) }

// formatFloat prints the shortest decimal that reads back as v: GDAL
// derives pixel sizes from scale denominators and corners, and a rounded
// value shifts tiles by a pixel at fine zoom levels.
func formatFloat(v float64) string {
	if v == 0 {
		return "0" // also for -0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// tidy returns the number with the fewest significant digits within tol
// of v, so that computed extents print as their definitions do.
func tidy(v, tol float64) float64 {
	for p := 1; p < 17; p++ {
		r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', p, 64), 64)
		if err == nil && math.Abs(r-v) <= tol {
			return r
		}
	}
	return v
}

func finiteBounds(b crs.Bounds) bool {
	for _, v := range []float64{b.MinX, b.MinY, b.MaxX, b.MaxY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
