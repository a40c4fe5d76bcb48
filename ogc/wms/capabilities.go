package wms

import (
	"bytes"
	"encoding/xml"
	"math"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
)

// Capabilities content types and the 1.1.1 DTD.
const (
	CapabilitiesContentType130 = "text/xml"
	CapabilitiesContentType111 = "application/vnd.ogc.wms_xml"
	CapabilitiesDTD111         = "http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd"
	NamespaceWMS               = "http://www.opengis.net/wms"
	CapabilitiesSchema130      = "http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd"
	NamespaceSLD               = "http://www.opengis.net/sld"
	SLDCapabilitiesSchema      = "http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd"
)

// CapabilitiesInput is what the capabilities documents describe.
type CapabilitiesInput struct {
	Service catalog.Service
	// URL is the WMS endpoint as clients reach it (such as
	// http://host/wms); operations are advertised at URL + "?".
	URL string
	// RootTitle titles the root layer (default Service.Title).
	RootTitle string
	// CRSs are advertised on the root layer (default DefaultCRSs).
	CRSs []crs.CRS
	// LayerLimit, MaxWidth and MaxHeight are advertised in 1.3.0 when
	// set.
	LayerLimit, MaxWidth, MaxHeight int
	Layers                          []CapabilitiesLayer
	// WithoutFeatureInfo and WithoutLegendGraphic leave GetFeatureInfo
	// and GetLegendGraphic out of the advertised operations, for servers
	// that do not answer them.
	WithoutFeatureInfo, WithoutLegendGraphic bool
}

// CapabilitiesLayer is one published layer.
type CapabilitiesLayer struct {
	Name, Title, Abstract string
	Keywords              []string
	// Bounds are in WGS84 longitude/latitude.
	Bounds    crs.Bounds
	Queryable bool
	Styles    []CapabilitiesStyle
	// MinScale and MaxScale are scale denominators; zero means unbounded.
	MinScale, MaxScale float64
	// Children make the layer a group: a node of the layer tree (with a
	// Name, a group GetMap can also draw). A group's bounds, when unset,
	// are the union of its children's.
	Children []CapabilitiesLayer
}

// CapabilitiesStyle is one style of a layer.
type CapabilitiesStyle struct {
	Name, Title string
	// LegendURL, when set, is advertised as a PNG legend of
	// LegendWidth × LegendHeight pixels (default 20 × 20).
	LegendURL                 string
	LegendWidth, LegendHeight int
}

func (c CapabilitiesInput) crsList() []crs.CRS {
	if len(c.CRSs) > 0 {
		return c.CRSs
	}
	return DefaultCRSs()
}

func (c CapabilitiesInput) onlineResource() string {
	return ows.KVPEndpoint(c.URL)
}

// bbox is one advertised bounding box in easting/northing order.
type bbox struct {
	crs crs.CRS
	b   crs.Bounds
	// northingFirst tells 1.3.0 to swap axes.
	northingFirst bool
}

// transformers keeps one transformer per CRS while a document is
// written: opening PROJ for every layer and CRS would dominate the cost.
type transformers map[crs.CRS]*crs.Transformer

func (ts transformers) get(c crs.CRS) (*crs.Transformer, error) {
	if t, ok := ts[c]; ok {
		return t, nil
	}
	t, err := crs.NewTransformer(crs.WGS84, c)
	if err != nil {
		return nil, err
	}
	ts[c] = t
	return t, nil
}

// boundingBoxes transforms WGS84 bounds into each CRS, clipped to the
// CRS's area of use; CRSs where it has no image are left out.
func (ts transformers) boundingBoxes(list []crs.CRS, w crs.Bounds) []bbox {
	var out []bbox
	for _, c := range list {
		info, err := crs.Lookup(c)
		if err != nil {
			continue
		}
		clip := w
		if !info.AreaOfUse.Empty() {
			clip = w.Intersect(info.AreaOfUse)
		}
		if clip.Empty() {
			continue
		}
		var b crs.Bounds
		if c == crs.WGS84 || c == crs.CRS84 {
			b = clip
		} else {
			t, err := ts.get(c)
			if err != nil {
				continue
			}
			if b, err = t.Bounds(clip); err != nil || b.Empty() {
				continue
			}
		}
		out = append(out, bbox{crs: c, b: b, northingFirst: info.NorthingFirst})
	}
	return out
}

func union(layers []CapabilitiesLayer) crs.Bounds {
	u := crs.Bounds{MinX: math.Inf(1), MinY: math.Inf(1), MaxX: math.Inf(-1), MaxY: math.Inf(-1)}
	for _, l := range layers {
		b := l.bounds()
		if b.Empty() {
			continue
		}
		u = crs.Bounds{MinX: math.Min(u.MinX, b.MinX), MinY: math.Min(u.MinY, b.MinY),
			MaxX: math.Max(u.MaxX, b.MaxX), MaxY: math.Max(u.MaxY, b.MaxY)}
	}
	return u
}

// w writes indented XML elements.
type w struct{ bytes.Buffer }

func (b *w) text(indent int, name, value string) {
	b.WriteString(strings.Repeat("  ", indent) + "<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">\n")
}

func (b *w) open(indent int, tag string) {
	b.WriteString(strings.Repeat("  ", indent) + "<" + tag + ">\n")
}
func (b *w) close(indent int, name string) {
	b.WriteString(strings.Repeat("  ", indent) + "</" + name + ">\n")
}

func (b *w) line(indent int, s string) { b.WriteString(strings.Repeat("  ", indent) + s + "\n") }

func attr(name, value string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(value))
	return " " + name + `="` + b.String() + `"`
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (b *w) onlineResource(indent int, href string) {
	b.line(indent, `<OnlineResource xmlns:xlink="http://www.w3.org/1999/xlink" xlink:type="simple"`+attr("xlink:href", href)+`/>`)
}

func (b *w) keywords(indent int, kw []string) {
	if len(kw) == 0 {
		return
	}
	b.open(indent, "KeywordList")
	for _, k := range kw {
		b.text(indent+1, "Keyword", k)
	}
	b.close(indent, "KeywordList")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (b *w) service(c CapabilitiesInput, name string) {
	s := c.Service
	b.open(1, "Service")
	b.text(2, "Name", name)
	b.text(2, "Title", s.Title)
	if s.Abstract != "" {
		b.text(2, "Abstract", s.Abstract)
	}
	b.keywords(2, s.Keywords)
	href := s.ProviderURL
	if href == "" {
		href = c.URL
	}
	b.onlineResource(2, href)
	if s.Provider != "" || s.ContactEmail != "" {
		b.open(2, "ContactInformation")
		if s.Provider != "" {
			b.open(3, "ContactPersonPrimary")
			b.text(4, "ContactPerson", "")
			b.text(4, "ContactOrganization", s.Provider)
			b.close(3, "ContactPersonPrimary")
		}
		if s.ContactEmail != "" {
			b.text(3, "ContactElectronicMailAddress", s.ContactEmail)
		}
		b.close(2, "ContactInformation")
	}
	b.text(2, "Fees", orNone(s.Fees))
	b.text(2, "AccessConstraints", orNone(s.AccessConstraints))
}

func (b *w) operation(name string, formats []string, href string) {
	b.open(3, name)
	for _, f := range formats {
		b.text(4, "Format", f)
	}
	b.open(4, "DCPType")
	b.open(5, "HTTP")
	b.open(6, "Get")
	b.onlineResource(7, href)
	b.close(6, "Get")
	b.close(5, "HTTP")
	b.close(4, "DCPType")
	b.close(3, name)
}

func strs[T ~string](fs []T) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

func (c CapabilitiesInput) rootTitle() string {
	if c.RootTitle != "" {
		return c.RootTitle
	}
	if c.Service.Title != "" {
		return c.Service.Title
	}
	return "tuiles"
}

// Capabilities130 encodes the WMS 1.3.0 capabilities document.
func Capabilities130(c CapabilitiesInput) []byte {
	var b w
	b.WriteString(xml.Header)
	b.WriteString(`<WMS_Capabilities version="1.3.0" xmlns="` + NamespaceWMS + `" xmlns:xlink="http://www.w3.org/1999/xlink"` +
		` xmlns:sld="` + NamespaceSLD + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="` + NamespaceWMS + ` ` + CapabilitiesSchema130 + ` ` + NamespaceSLD + ` ` + SLDCapabilitiesSchema + `">` + "\n")
	b.service(c, "WMS")
	if c.LayerLimit > 0 {
		b.text(2, "LayerLimit", strconv.Itoa(c.LayerLimit))
	}
	if c.MaxWidth > 0 {
		b.text(2, "MaxWidth", strconv.Itoa(c.MaxWidth))
	}
	if c.MaxHeight > 0 {
		b.text(2, "MaxHeight", strconv.Itoa(c.MaxHeight))
	}
	b.close(1, "Service")
	b.open(1, "Capability")
	b.open(2, "Request")
	href := c.onlineResource()
	b.operation("GetCapabilities", []string{"text/xml"}, href)
	b.operation("GetMap", strs(ImageFormats()), href)
	if !c.WithoutFeatureInfo {
		b.operation("GetFeatureInfo", strs(InfoFormats()), href)
	}
	if !c.WithoutLegendGraphic {
		// GetLegendGraphic comes from the SLD 1.1 profile of WMS 1.3.0.
		b.operation("sld:GetLegendGraphic", strs(ImageFormats()), href)
	}
	b.close(2, "Request")
	b.open(2, "Exception")
	for _, e := range []Exceptions{ExceptionsXML, ExceptionsInImage, ExceptionsBlank} {
		n, _ := e.Names()
		b.text(3, "Format", n)
	}
	b.close(2, "Exception")
	list := c.crsList()
	ts := transformers{}
	b.open(2, "Layer")
	b.text(3, "Title", c.rootTitle())
	for _, x := range list {
		b.text(3, "CRS", x.String())
	}
	if u := union(c.Layers); !u.Empty() {
		b.geoBBox130(3, u)
		b.bboxes130(3, ts.boundingBoxes(list, u))
	}
	for _, l := range c.Layers {
		b.layer130(3, l, list, ts)
	}
	b.close(2, "Layer")
	b.close(1, "Capability")
	b.WriteString("</WMS_Capabilities>\n")
	return b.Bytes()
}

func (b *w) geoBBox130(indent int, g crs.Bounds) {
	b.open(indent, "EX_GeographicBoundingBox")
	b.text(indent+1, "westBoundLongitude", num(g.MinX))
	b.text(indent+1, "eastBoundLongitude", num(g.MaxX))
	b.text(indent+1, "southBoundLatitude", num(g.MinY))
	b.text(indent+1, "northBoundLatitude", num(g.MaxY))
	b.close(indent, "EX_GeographicBoundingBox")
}

func (b *w) bboxes130(indent int, list []bbox) {
	for _, x := range list {
		v := x.b
		if x.northingFirst {
			v = crs.Bounds{MinX: v.MinY, MinY: v.MinX, MaxX: v.MaxY, MaxY: v.MaxX}
		}
		b.line(indent, `<BoundingBox`+attr("CRS", x.crs.String())+attr("minx", num(v.MinX))+attr("miny", num(v.MinY))+
			attr("maxx", num(v.MaxX))+attr("maxy", num(v.MaxY))+`/>`)
	}
}

func (b *w) layer130(indent int, l CapabilitiesLayer, list []crs.CRS, ts transformers) {
	q := "0"
	if l.queryable() {
		q = "1"
	}
	b.line(indent, `<Layer`+attr("queryable", q)+`>`)
	in := indent + 1
	if l.Name != "" {
		b.text(in, "Name", l.Name)
	}
	b.text(in, "Title", titleOr(l.Title, l.Name))
	if l.Abstract != "" {
		b.text(in, "Abstract", l.Abstract)
	}
	b.keywords(in, l.Keywords)
	if bounds := l.bounds(); !bounds.Empty() {
		b.geoBBox130(in, bounds)
		b.bboxes130(in, ts.boundingBoxes(list, bounds))
	}
	b.styles(in, l.Styles)
	if l.MinScale > 0 {
		b.text(in, "MinScaleDenominator", num(l.MinScale))
	}
	if l.MaxScale > 0 {
		b.text(in, "MaxScaleDenominator", num(l.MaxScale))
	}
	for _, c := range l.Children {
		b.layer130(in, c, list, ts)
	}
	b.close(indent, "Layer")
}

// queryable tells whether GetFeatureInfo answers for the layer: a group
// is queryable when one of its members is.
func (l CapabilitiesLayer) queryable() bool {
	q := l.Queryable
	for _, c := range l.Children {
		q = q || c.queryable()
	}
	return q
}

// bounds are the layer's, or for a group without its own the union of
// its members'.
func (l CapabilitiesLayer) bounds() crs.Bounds {
	if !l.Bounds.Empty() || len(l.Children) == 0 {
		return l.Bounds
	}
	return union(l.Children)
}

func titleOr(t, name string) string {
	if t != "" {
		return t
	}
	return name
}

func (b *w) styles(indent int, styles []CapabilitiesStyle) {
	for _, s := range styles {
		b.open(indent, "Style")
		b.text(indent+1, "Name", s.Name)
		b.text(indent+1, "Title", titleOr(s.Title, s.Name))
		if s.LegendURL != "" {
			wd, ht := s.LegendWidth, s.LegendHeight
			if wd <= 0 {
				wd = 20
			}
			if ht <= 0 {
				ht = 20
			}
			b.line(indent+1, `<LegendURL`+attr("width", strconv.Itoa(wd))+attr("height", strconv.Itoa(ht))+`>`)
			b.text(indent+2, "Format", string(FormatPNG))
			b.onlineResource(indent+2, s.LegendURL)
			b.close(indent+1, "LegendURL")
		}
		b.close(indent, "Style")
	}
}

// Capabilities111 encodes the WMS 1.1.1 capabilities document, with the
// DOCTYPE of its DTD.
func Capabilities111(c CapabilitiesInput) []byte {
	var b w
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE WMT_MS_Capabilities SYSTEM "` + CapabilitiesDTD111 + `">` + "\n")
	b.WriteString(`<WMT_MS_Capabilities version="1.1.1">` + "\n")
	b.service(c, "OGC:WMS")
	b.close(1, "Service")
	b.open(1, "Capability")
	b.open(2, "Request")
	href := c.onlineResource()
	b.operation("GetCapabilities", []string{CapabilitiesContentType111}, href)
	b.operation("GetMap", strs(ImageFormats()), href)
	if !c.WithoutFeatureInfo {
		b.operation("GetFeatureInfo", strs(InfoFormats()), href)
	}
	if !c.WithoutLegendGraphic {
		b.operation("GetLegendGraphic", strs(ImageFormats()), href)
	}
	b.close(2, "Request")
	b.open(2, "Exception")
	for _, e := range []Exceptions{ExceptionsXML, ExceptionsInImage, ExceptionsBlank} {
		_, n := e.Names()
		b.text(3, "Format", n)
	}
	b.close(2, "Exception")
	list := c.crsList()
	ts := transformers{}
	b.open(2, "Layer")
	b.text(3, "Title", c.rootTitle())
	for _, x := range list {
		b.text(3, "SRS", x.String())
	}
	if u := union(c.Layers); !u.Empty() {
		b.latLon111(3, u)
		b.bboxes111(3, ts.boundingBoxes(list, u))
	}
	for _, l := range c.Layers {
		b.layer111(3, l, list, ts)
	}
	b.close(2, "Layer")
	b.close(1, "Capability")
	b.WriteString("</WMT_MS_Capabilities>\n")
	return b.Bytes()
}

func (b *w) latLon111(indent int, g crs.Bounds) {
	b.line(indent, `<LatLonBoundingBox`+attr("minx", num(g.MinX))+attr("miny", num(g.MinY))+attr("maxx", num(g.MaxX))+attr("maxy", num(g.MaxY))+`/>`)
}

func (b *w) bboxes111(indent int, list []bbox) {
	for _, x := range list {
		v := x.b
		b.line(indent, `<BoundingBox`+attr("SRS", x.crs.String())+attr("minx", num(v.MinX))+attr("miny", num(v.MinY))+
			attr("maxx", num(v.MaxX))+attr("maxy", num(v.MaxY))+`/>`)
	}
}

// pixelDiagonal turns a scale denominator into the 1.1.1 ScaleHint unit:
// the ground length of a pixel's diagonal, with the standard 0.28 mm pixel.
func pixelDiagonal(scale float64) float64 { return scale * 0.00028 * math.Sqrt2 }

func (b *w) layer111(indent int, l CapabilitiesLayer, list []crs.CRS, ts transformers) {
	q := "0"
	if l.queryable() {
		q = "1"
	}
	b.line(indent, `<Layer`+attr("queryable", q)+`>`)
	in := indent + 1
	if l.Name != "" {
		b.text(in, "Name", l.Name)
	}
	b.text(in, "Title", titleOr(l.Title, l.Name))
	if l.Abstract != "" {
		b.text(in, "Abstract", l.Abstract)
	}
	b.keywords(in, l.Keywords)
	if bounds := l.bounds(); !bounds.Empty() {
		b.latLon111(in, bounds)
		b.bboxes111(in, ts.boundingBoxes(list, bounds))
	}
	b.styles(in, l.Styles)
	if l.MinScale > 0 || l.MaxScale > 0 {
		maxHint := "1e+308"
		if l.MaxScale > 0 {
			maxHint = num(pixelDiagonal(l.MaxScale))
		}
		b.line(in, `<ScaleHint`+attr("min", num(pixelDiagonal(l.MinScale)))+attr("max", maxHint)+`/>`)
	}
	for _, c := range l.Children {
		b.layer111(in, c, list, ts)
	}
	b.close(indent, "Layer")
}
