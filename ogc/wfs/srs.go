package wfs

import (
	"fmt"
	"strings"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
)

// Labels of longitude-first WGS84 coordinates in GML: the OGC's CRS84,
// whose axis order is easting first whatever the spelling.
const (
	crs84URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	crs84URN = "urn:ogc:def:crs:OGC:1.3:CRS84"
)

// outCRS says how a response writes coordinates.
type outCRS struct {
	crs crs.CRS
	// northFirst: each position is written northing (latitude) first.
	northFirst bool
	// label is the srsName of GML geometries: an identifier whose
	// authority axis order is the order the coordinates are written in.
	label string
	// tr transforms from the layer CRS; nil when none is needed.
	tr *crs.Transformer
}

// offeredCRS tells whether c may be asked for as SRSNAME for a layer in
// native: the layer's own CRS and the ones the capabilities list as
// OtherCRS. CRS84 is listed for 2.0 only, but it is EPSG:4326 longitude
// first, so a 1.1 client asking for it is served all the same.
func offeredCRS(native, c crs.CRS) bool {
	switch c {
	case native, crs.WGS84, crs.WebMercator, crs.CRS84:
		return true
	}
	return false
}

// outputCRS decides the CRS and axis order of a response from SRSNAME
// (raw, possibly empty).
//
// The axis order follows the spelling, as GeoServer, GDAL and QGIS agree:
// a URN or http URI means the authority's order (urn:ogc:def:crs:EPSG::4326
// is latitude first), a short AUTHORITY:CODE or CRS:84 means easting first
// (EPSG:4326 is longitude first, the pre-2.0 habit of every client).
// Without SRSNAME, GML uses the layer CRS in its authority's order, as the
// capabilities advertise it by URN, and GeoJSON uses CRS84 (RFC 7946).
func (h *Handler) outputCRS(raw string, t *featureType, f outputFormat) (outCRS, error) {
	native := t.layer.CRS
	var o outCRS
	switch {
	case raw == "" && f == fmtGeoJSON:
		o.crs = crs.CRS84
	case raw == "":
		o.crs = native
		info, err := h.crsInfo(native)
		if err != nil {
			return outCRS{}, fmt.Errorf("wfs: layer %s: CRS %s: %w", t.Name, native, err)
		}
		o.northFirst = info.NorthingFirst
	default:
		c, err := crs.Parse(raw)
		if err != nil {
			return outCRS{}, ows.InvalidParameter("srsName", "SRSNAME %q is not a CRS identifier", clip(raw))
		}
		if !offeredCRS(native, c) {
			return outCRS{}, ows.InvalidParameter("srsName", "feature type %s is not offered in %s; ask for its DefaultCRS or one of its OtherCRS", t.Name, c.URN())
		}
		info, err := h.crsInfo(c)
		if err != nil {
			return outCRS{}, ows.InvalidParameter("srsName", "CRS %s is not known to this server", c.URN())
		}
		o.crs = c
		lower := strings.ToLower(raw)
		authorityOrder := strings.HasPrefix(lower, "urn:") || strings.HasPrefix(lower, "http:") || strings.HasPrefix(lower, "https:")
		// GeoJSON positions are easting first, whatever the name (RFC 7946
		// section 3.1.1 for CRS84; the same convention for the others).
		o.northFirst = authorityOrder && info.NorthingFirst && f != fmtGeoJSON
	}
	if f != fmtGeoJSON {
		label, err := h.srsLabel(o.crs, o.northFirst, f)
		if err != nil {
			return outCRS{}, err
		}
		o.label = label
	}
	if !sameCoordinates(native, o.crs) {
		tr, err := h.transformer(native, o.crs)
		if err != nil {
			return outCRS{}, ows.InvalidParameter("srsName", "feature type %s cannot be transformed to %s", t.Name, o.crs.URN())
		}
		o.tr = tr
	}
	return o, nil
}

// sameCoordinates tells whether coordinates in a are, easting first, the
// same numbers in b: EPSG:4326 and CRS84 differ only in axis order, which
// the encoders apply.
func sameCoordinates(a, b crs.CRS) bool {
	if a == b {
		return true
	}
	wgs := func(c crs.CRS) bool { return c == crs.WGS84 || c == crs.CRS84 }
	return wgs(a) && wgs(b)
}

// srsLabel names c for GML so that its axis order is the order written:
// the URN when that is the authority's order; CRS84 for WGS84 longitude
// first; the short EPSG:n code (read easting first by every client) for
// another CRS written against its authority's order.
func (h *Handler) srsLabel(c crs.CRS, northFirst bool, f outputFormat) (string, error) {
	info, err := h.crsInfo(c)
	if err != nil {
		return "", fmt.Errorf("wfs: CRS %s: %w", c, err)
	}
	lonLatWGS84 := !northFirst && (c == crs.WGS84 || c == crs.CRS84)
	switch {
	case lonLatWGS84 && f == fmtGML32:
		return crs84URI, nil
	case lonLatWGS84:
		return crs84URN, nil
	case northFirst == info.NorthingFirst:
		return c.URN(), nil
	}
	return c.String(), nil
}
