// Package crs knows coordinate reference system identifiers in all the
// spellings OGC clients use, answers "which axis comes first?" for each, and
// transforms coordinates through PROJ.
//
// Axis order is the most common source of interoperability bugs between map
// servers and clients (WMS 1.3.0 EPSG:4326 is latitude first, CRS:84 is
// longitude first), so every other package asks this one rather than keeping
// its own list.
package crs

import (
	"errors"
	"fmt"
	"strings"
)

// CRS is a CRS identifier normalised to an authority and a code, such as
// EPSG/4326, OGC/CRS84 or IGNF/LAMB93.
type CRS struct {
	Authority string
	Code      string
}

// Well-known CRSs.
var (
	WGS84         = CRS{"EPSG", "4326"}
	CRS84         = CRS{"OGC", "CRS84"}
	WebMercator   = CRS{"EPSG", "3857"}
	Lambert93     = CRS{"EPSG", "2154"}
	ErrUnknownCRS = errors.New("unknown CRS")
)

// Parse reads a CRS identifier: EPSG:4326, urn:ogc:def:crs:EPSG::4326,
// urn:ogc:def:crs:EPSG:6.6:4326, urn:x-ogc:def:crs:EPSG:4326,
// http(s)://www.opengis.net/def/crs/EPSG/0/4326, http://www.opengis.net/gml/srs/epsg.xml#4326,
// CRS:84, OGC:CRS84, and the legacy alias EPSG:900913.
func Parse(s string) (CRS, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return CRS{}, fmt.Errorf("%w: empty identifier", ErrUnknownCRS)
	}
	lower := strings.ToLower(raw)
	var c CRS
	switch {
	case strings.HasPrefix(lower, "urn:ogc:def:crs:"), strings.HasPrefix(lower, "urn:x-ogc:def:crs:"):
		// urn:ogc:def:crs:{authority}:{version}:{code}; the version may be
		// empty or absent.
		rest := raw[strings.Index(lower, "crs:")+4:]
		parts := strings.Split(rest, ":")
		if len(parts) < 2 || parts[len(parts)-1] == "" {
			return CRS{}, fmt.Errorf("%w: %q", ErrUnknownCRS, s)
		}
		c = CRS{parts[0], parts[len(parts)-1]}
	case strings.HasPrefix(lower, "http://www.opengis.net/def/crs/"), strings.HasPrefix(lower, "https://www.opengis.net/def/crs/"):
		rest := raw[strings.Index(lower, "/def/crs/")+9:]
		parts := strings.Split(strings.Trim(rest, "/"), "/")
		if len(parts) != 3 || parts[2] == "" {
			return CRS{}, fmt.Errorf("%w: %q", ErrUnknownCRS, s)
		}
		c = CRS{parts[0], parts[2]}
	case strings.HasPrefix(lower, "http://www.opengis.net/gml/srs/epsg.xml#"):
		c = CRS{"EPSG", raw[strings.Index(raw, "#")+1:]}
	default:
		i := strings.Index(raw, ":")
		if i <= 0 || i == len(raw)-1 {
			return CRS{}, fmt.Errorf("%w: %q", ErrUnknownCRS, s)
		}
		c = CRS{raw[:i], raw[i+1:]}
	}
	c.Authority = strings.ToUpper(c.Authority)
	if c.Authority == "CRS" && c.Code == "84" {
		c = CRS84
	}
	if c.Authority == "OGC" {
		c.Code = strings.ToUpper(c.Code)
	}
	if c.Authority == "EPSG" {
		if c.Code == "900913" || c.Code == "3785" || c.Code == "102100" {
			c.Code = "3857"
		}
		for _, r := range c.Code {
			if r < '0' || r > '9' {
				return CRS{}, fmt.Errorf("%w: EPSG code %q is not a number", ErrUnknownCRS, c.Code)
			}
		}
	}
	if strings.ContainsAny(c.Authority+c.Code, " /\\#?&") {
		return CRS{}, fmt.Errorf("%w: %q", ErrUnknownCRS, s)
	}
	return c, nil
}

// String is the short AUTHORITY:CODE form used by PROJ, WMS 1.1.1 and
// WMS 1.3.0 (EPSG:4326, CRS:84 for OGC CRS84).
func (c CRS) String() string {
	if c == CRS84 {
		return "CRS:84"
	}
	return c.Authority + ":" + c.Code
}

// URN is the OGC URN form, which WMTS capabilities must use: GDAL reads
// urn:ogc:def:crs:EPSG::4326 as latitude-first but misreads EPSG:4326.
func (c CRS) URN() string {
	if c.Authority == "OGC" {
		return "urn:ogc:def:crs:OGC:1.3:" + c.Code
	}
	return "urn:ogc:def:crs:" + c.Authority + "::" + c.Code
}

// URI is the OGC http URI form used by OGC API and TileJSON-era documents.
func (c CRS) URI() string {
	if c.Authority == "OGC" {
		return "http://www.opengis.net/def/crs/OGC/1.3/" + c.Code
	}
	return "http://www.opengis.net/def/crs/" + c.Authority + "/0/" + c.Code
}

// projName is the identifier PROJ understands for c.
func (c CRS) projName() string {
	if c == CRS84 {
		return "OGC:CRS84"
	}
	return c.Authority + ":" + c.Code
}
