package wfs

import (
	"math"
	"strconv"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
)

// Namespaces of the capabilities documents.
const (
	nsOWS11 = "http://www.opengis.net/ows/1.1"
	nsOWS10 = "http://www.opengis.net/ows"
	nsFES20 = "http://www.opengis.net/fes/2.0"
	nsOGC   = "http://www.opengis.net/ogc"
	nsXLink = "http://www.w3.org/1999/xlink"
)

// serveCapabilities writes the capabilities of the negotiated version.
func (h *Handler) serveCapabilities(c *call, s sections) error {
	vw := h.view(c.r.Context())
	types, err := vw.all()
	if err != nil {
		return err
	}
	base := ows.WithQuery(ows.BaseURL(c.r, h.opts.PublicURL)+"/wfs", ows.KeyQuery(c.r.Context()))
	if c.v == v110 {
		tileserve.WriteDocument(c.w, c.r, "text/xml; charset=utf-8", h.capabilities11(vw.svc, types, base))
		return nil
	}
	tileserve.WriteDocument(c.w, c.r, "application/xml; charset=utf-8", h.capabilities20(vw.svc, types, base, s))
	return nil
}

// capabilities20 writes WFS 2.0.0 capabilities (09-025r2 clause 8).
func (h *Handler) capabilities20(svc catalog.Service, types []*featureType, base string, s sections) []byte {
	d := newXMLDoc()
	d.open("wfs:WFS_Capabilities", "version", "2.0.0",
		"xmlns:wfs", nsWFS20, "xmlns:ows", nsOWS11, "xmlns:xlink", nsXLink, "xmlns:fes", nsFES20,
		"xmlns:gml", nsGML32, "xmlns:"+Prefix, Namespace, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsWFS20+" "+schemaWFS20)
	if s.identification {
		serviceIdentification(d, svc, []string{"2.0.0", "1.1.0"})
	}
	if s.provider {
		serviceProvider(d, svc)
	}
	if s.operations {
		d.open("ows:OperationsMetadata")
		operation := func(name string, params ...[]string) {
			d.open("ows:Operation", "name", name)
			d.open("ows:DCP")
			d.open("ows:HTTP")
			d.empty("ows:Get", "xlink:href", ows.KVPEndpoint(base))
			d.empty("ows:Post", "xlink:href", base)
			d.close("ows:HTTP")
			d.close("ows:DCP")
			for _, p := range params {
				allowed11(d, "ows:Parameter", p[0], p[1:]...)
			}
			d.close("ows:Operation")
		}
		operation("GetCapabilities",
			[]string{"AcceptVersions", "2.0.0", "1.1.0"},
			[]string{"AcceptFormats", "text/xml"},
			[]string{"Sections", "ServiceIdentification", "ServiceProvider", "OperationsMetadata", "FeatureTypeList", "Filter_Capabilities", "All"})
		operation("DescribeFeatureType",
			[]string{"outputFormat", mediaGML32, "text/xml; subtype=gml/3.2", mediaGML311, mediaJSON})
		operation("GetFeature",
			[]string{"resultType", "results", "hits"},
			[]string{"outputFormat", mediaGML32, "text/xml; subtype=gml/3.2", mediaGML311, mediaGeoJSON, mediaJSON})
		operation("GetPropertyValue",
			[]string{"resultType", "results", "hits"},
			[]string{"outputFormat", mediaGML32})
		operation("ListStoredQueries")
		operation("DescribeStoredQueries")
		allowed11(d, "ows:Parameter", "version", "2.0.0", "1.1.0")
		// The conformance classes of 09-025r2 table 13, all of which must
		// be listed; the basic WFS with paging is what tuiles implements.
		for _, cl := range []struct {
			name string
			ok   bool
		}{
			{"ImplementsBasicWFS", true},
			{"ImplementsTransactionalWFS", false},
			{"ImplementsLockingWFS", false},
			{"KVPEncoding", true},
			{"XMLEncoding", true},
			{"SOAPEncoding", false},
			{"ImplementsInheritance", false},
			{"ImplementsRemoteResolve", false},
			{"ImplementsResultPaging", true},
			{"ImplementsStandardJoins", false},
			{"ImplementsSpatialJoins", false},
			{"ImplementsTemporalJoins", false},
			{"ImplementsFeatureVersioning", false},
			{"ManageStoredQueries", false},
			{"PagingIsTransactionSafe", false},
		} {
			defaultValue11(d, "ows:Constraint", cl.name, boolText(cl.ok))
		}
		defaultValue11(d, "ows:Constraint", "CountDefault", strconv.Itoa(h.opts.MaxFeatures))
		allowed11(d, "ows:Constraint", "QueryExpressions", "wfs:Query", "wfs:StoredQuery")
		d.close("ows:OperationsMetadata")
	}
	if s.featureTypes && len(types) > 0 {
		d.open("wfs:FeatureTypeList")
		for _, t := range types {
			d.open("wfs:FeatureType")
			d.leaf("wfs:Name", Prefix+":"+t.Name)
			d.leaf("wfs:Title", firstNonEmpty(t.Title, t.layer.Title, t.Name))
			if a := firstNonEmpty(t.Abstract, t.layer.Description); a != "" {
				d.leaf("wfs:Abstract", a)
			}
			keywords(d, t.Keywords)
			d.leaf("wfs:DefaultCRS", t.layer.CRS.URN())
			for _, o := range otherCRS(t.layer.CRS, v200) {
				d.leaf("wfs:OtherCRS", o.URN())
			}
			d.open("wfs:OutputFormats")
			for _, f := range []string{mediaGML32, "text/xml; subtype=gml/3.2", mediaGML311, mediaGeoJSON, mediaJSON} {
				d.leaf("wfs:Format", f)
			}
			d.close("wfs:OutputFormats")
			h.wgs84Box(d, t)
			d.close("wfs:FeatureType")
		}
		d.close("wfs:FeatureTypeList")
	}
	if s.filter {
		filterCapabilities20(d)
	}
	d.close("wfs:WFS_Capabilities")
	return d.bytes()
}

// capabilities11 writes WFS 1.1.0 capabilities (04-094 clause 13), where
// ogc:Filter_Capabilities is mandatory and sections are not offered.
func (h *Handler) capabilities11(svc catalog.Service, types []*featureType, base string) []byte {
	d := newXMLDoc()
	d.open("wfs:WFS_Capabilities", "version", "1.1.0",
		"xmlns:wfs", nsWFS11, "xmlns:ows", nsOWS10, "xmlns:ogc", nsOGC, "xmlns:xlink", nsXLink,
		"xmlns:gml", nsGML311, "xmlns:"+Prefix, Namespace, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsWFS11+" "+schemaWFS11)
	serviceIdentification(d, svc, []string{"1.1.0"})
	serviceProvider(d, svc)
	d.open("ows:OperationsMetadata")
	operation := func(name string, params ...[]string) {
		d.open("ows:Operation", "name", name)
		d.open("ows:DCP")
		d.open("ows:HTTP")
		d.empty("ows:Get", "xlink:href", ows.KVPEndpoint(base))
		d.empty("ows:Post", "xlink:href", base)
		d.close("ows:HTTP")
		d.close("ows:DCP")
		for _, p := range params {
			d.open("ows:Parameter", "name", p[0])
			for _, v := range p[1:] {
				d.leaf("ows:Value", v)
			}
			d.close("ows:Parameter")
		}
		d.close("ows:Operation")
	}
	operation("GetCapabilities",
		[]string{"AcceptVersions", "1.1.0", "2.0.0"},
		[]string{"AcceptFormats", "text/xml"})
	operation("DescribeFeatureType", []string{"outputFormat", mediaGML311, mediaJSON})
	operation("GetFeature",
		[]string{"resultType", "results", "hits"},
		[]string{"outputFormat", mediaGML311, mediaGeoJSON, mediaJSON})
	d.close("ows:OperationsMetadata")
	if len(types) > 0 {
		d.open("wfs:FeatureTypeList")
		d.open("wfs:Operations")
		d.leaf("wfs:Operation", "Query")
		d.close("wfs:Operations")
		for _, t := range types {
			d.open("wfs:FeatureType")
			d.leaf("wfs:Name", Prefix+":"+t.Name)
			d.leaf("wfs:Title", firstNonEmpty(t.Title, t.layer.Title, t.Name))
			if a := firstNonEmpty(t.Abstract, t.layer.Description); a != "" {
				d.leaf("wfs:Abstract", a)
			}
			keywords(d, t.Keywords)
			d.leaf("wfs:DefaultSRS", t.layer.CRS.URN())
			for _, o := range otherCRS(t.layer.CRS, v110) {
				d.leaf("wfs:OtherSRS", o.URN())
			}
			d.open("wfs:OutputFormats")
			for _, f := range []string{mediaGML311, mediaGeoJSON, mediaJSON} {
				d.leaf("wfs:Format", f)
			}
			d.close("wfs:OutputFormats")
			h.wgs84Box(d, t)
			d.close("wfs:FeatureType")
		}
		d.close("wfs:FeatureTypeList")
	}
	filterCapabilities11(d)
	d.close("wfs:WFS_Capabilities")
	return d.bytes()
}

// serviceIdentification is the same element in OWS 1.0 and 1.1.
func serviceIdentification(d *xmlDoc, svc catalog.Service, versions []string) {
	d.open("ows:ServiceIdentification")
	d.leaf("ows:Title", firstNonEmpty(svc.Title, "tuiles"))
	if svc.Abstract != "" {
		d.leaf("ows:Abstract", svc.Abstract)
	}
	keywords(d, svc.Keywords)
	d.leaf("ows:ServiceType", "WFS")
	for _, v := range versions {
		d.leaf("ows:ServiceTypeVersion", v)
	}
	d.leaf("ows:Fees", firstNonEmpty(svc.Fees, "none"))
	d.leaf("ows:AccessConstraints", firstNonEmpty(svc.AccessConstraints, "none"))
	d.close("ows:ServiceIdentification")
}

// serviceProvider is the same element in OWS 1.0 and 1.1.
func serviceProvider(d *xmlDoc, svc catalog.Service) {
	d.open("ows:ServiceProvider")
	d.leaf("ows:ProviderName", firstNonEmpty(svc.Provider, svc.Title, "tuiles"))
	if svc.ProviderURL != "" {
		d.empty("ows:ProviderSite", "xlink:href", svc.ProviderURL)
	}
	if svc.ContactEmail != "" {
		d.open("ows:ServiceContact")
		d.open("ows:ContactInfo")
		d.open("ows:Address")
		d.leaf("ows:ElectronicMailAddress", svc.ContactEmail)
		d.close("ows:Address")
		d.close("ows:ContactInfo")
		d.close("ows:ServiceContact")
	} else {
		d.empty("ows:ServiceContact")
	}
	d.close("ows:ServiceProvider")
}

func keywords(d *xmlDoc, kw []string) {
	var list []string
	for _, k := range kw {
		if k != "" {
			list = append(list, k)
		}
	}
	if len(list) == 0 {
		return
	}
	d.open("ows:Keywords")
	for _, k := range list {
		d.leaf("ows:Keyword", k)
	}
	d.close("ows:Keywords")
}

// otherCRS lists the CRSs besides the native one a type can be asked in:
// WGS84 (by URN, latitude first), Web Mercator, and for 2.0 CRS84.
func otherCRS(native crs.CRS, v version) []crs.CRS {
	var out []crs.CRS
	for _, c := range []crs.CRS{crs.WGS84, crs.WebMercator, crs.CRS84} {
		if c == native || (c == crs.CRS84 && v == v110) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// wgs84Box writes the type's extent in longitude/latitude; the whole
// world when the layer is empty or its extent cannot be transformed.
func (h *Handler) wgs84Box(d *xmlDoc, t *featureType) {
	e := t.layer.Extent
	box := crs.Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}
	valid := !(e.MinX == 0 && e.MinY == 0 && e.MaxX == 0 && e.MaxY == 0) && e.MinX <= e.MaxX && e.MinY <= e.MaxY
	for _, v := range []float64{e.MinX, e.MinY, e.MaxX, e.MaxY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			valid = false
		}
	}
	if valid {
		if sameCoordinates(t.layer.CRS, crs.CRS84) {
			box = e
		} else if tr, err := h.transformer(t.layer.CRS, crs.CRS84); err == nil {
			if b, err := tr.Bounds(e); err == nil {
				box = b
			}
		}
	}
	box.MinX, box.MaxX = math.Max(box.MinX, -180), math.Min(box.MaxX, 180)
	box.MinY, box.MaxY = math.Max(box.MinY, -90), math.Min(box.MaxY, 90)
	d.open("ows:WGS84BoundingBox")
	corner := func(x, y float64) string { return string(appendFloat(append(appendFloat(nil, x), ' '), y)) }
	d.leaf("ows:LowerCorner", corner(box.MinX, box.MinY))
	d.leaf("ows:UpperCorner", corner(box.MaxX, box.MaxY))
	d.close("ows:WGS84BoundingBox")
}

// allowed11 writes an OWS 1.1 domain with allowed values.
func allowed11(d *xmlDoc, elem, name string, values ...string) {
	d.open(elem, "name", name)
	d.open("ows:AllowedValues")
	for _, v := range values {
		d.leaf("ows:Value", v)
	}
	d.close("ows:AllowedValues")
	d.close(elem)
}

// defaultValue11 writes an OWS 1.1 domain with no values but a default,
// the form of conformance constraints.
func defaultValue11(d *xmlDoc, elem, name, value string) {
	d.open(elem, "name", name)
	d.empty("ows:NoValues")
	d.leaf("ows:DefaultValue", value)
	d.close(elem)
}

func boolText(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
