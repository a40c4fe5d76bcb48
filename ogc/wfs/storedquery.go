package wfs

import (
	"strings"

	"github.com/tuiles/tuiles/ogc/tileserve"
)

// serveListStoredQueries lists the one stored query, GetFeatureById,
// which returns any published type.
func (h *Handler) serveListStoredQueries(c *call, vw *view) error {
	types, err := vw.all()
	if err != nil {
		return err
	}
	d := newXMLDoc()
	d.open("wfs:ListStoredQueriesResponse", "xmlns:wfs", nsWFS20, "xmlns:"+Prefix, Namespace,
		"xmlns:xsi", nsXSI, "xsi:schemaLocation", nsWFS20+" "+schemaWFS20)
	d.open("wfs:StoredQuery", "id", getFeatureByID)
	d.leaf("wfs:Title", "Get feature by identifier")
	for _, t := range types {
		d.leaf("wfs:ReturnFeatureType", Prefix+":"+t.Name)
	}
	d.close("wfs:StoredQuery")
	d.close("wfs:ListStoredQueriesResponse")
	tileserve.WriteDocument(c.w, c.r, "application/xml; charset=utf-8", d.bytes())
	return nil
}

// serveDescribeStoredQueries describes GetFeatureById, the one stored
// query (the parser refused requests naming others).
func (h *Handler) serveDescribeStoredQueries(c *call, vw *view) error {
	types, err := vw.all()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(types))
	for _, t := range types {
		names = append(names, Prefix+":"+t.Name)
	}
	d := newXMLDoc()
	d.open("wfs:DescribeStoredQueriesResponse", "xmlns:wfs", nsWFS20, "xmlns:xsd", "http://www.w3.org/2001/XMLSchema",
		"xmlns:"+Prefix, Namespace, "xmlns:xsi", nsXSI, "xsi:schemaLocation", nsWFS20+" "+schemaWFS20)
	d.open("wfs:StoredQueryDescription", "id", getFeatureByID)
	d.leaf("wfs:Title", "Get feature by identifier")
	d.leaf("wfs:Abstract", "Returns the single feature whose identifier (gml:id, e.g. countries.12) is given as ID, or a NotFound exception.")
	d.open("wfs:Parameter", "name", "ID", "type", "xsd:string")
	d.leaf("wfs:Title", "Feature identifier")
	d.close("wfs:Parameter")
	// The expression is private: it is GetFeature with a ResourceId,
	// built by the server.
	d.empty("wfs:QueryExpressionText", "isPrivate", "true",
		"language", "urn:ogc:def:queryLanguage:OGC-WFS::WFS_QueryExpression",
		"returnFeatureTypes", strings.Join(names, " "))
	d.close("wfs:StoredQueryDescription")
	d.close("wfs:DescribeStoredQueriesResponse")
	tileserve.WriteDocument(c.w, c.r, "application/xml; charset=utf-8", d.bytes())
	return nil
}
