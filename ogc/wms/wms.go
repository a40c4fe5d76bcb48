// Package wms speaks the OGC Web Map Service, versions 1.3.0 and 1.1.1:
// it parses GetMap, GetFeatureInfo and GetLegendGraphic requests into typed
// values, writes the ServiceExceptionReport of each version, and encodes
// the capabilities documents.
//
// Everything here is pure: no rendering, no store, no net/http handler yet.
// GetMap rendering (and the handler mounted at /wms) is wired when package
// render lands; the parsed GetMap carries exactly what a render request
// needs (layers, styles, CRS, easting/northing bbox, size, format,
// transparency, background colour).
package wms

import (
	"net/http"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
)

// Protocol versions.
const (
	Version130 = "1.3.0"
	Version111 = "1.1.1"
)

// WMS exception codes not shared with the other OGC services (WMS 1.3.0
// annex E; 1.1.1 annex A.3).
const (
	CodeLayerNotQueryable     = "LayerNotQueryable"
	CodeInvalidPoint          = "InvalidPoint"
	CodeMissingDimensionValue = "MissingDimensionValue"
	CodeInvalidDimensionValue = "InvalidDimensionValue"
)

// Format is an image (or info) MIME type as the service names it.
type Format string

// Image formats offered by GetMap and GetLegendGraphic.
const (
	FormatPNG  Format = "image/png"
	FormatPNG8 Format = "image/png; mode=8bit"
	FormatJPEG Format = "image/jpeg"
)

// Info formats offered by GetFeatureInfo.
const (
	InfoText Format = "text/plain"
	InfoHTML Format = "text/html"
	InfoJSON Format = "application/json"
	InfoGML  Format = "application/vnd.ogc.gml"
)

// ImageFormats and InfoFormats list the formats in the order capabilities
// advertise them; they are functions so that callers cannot change them.
func ImageFormats() []Format { return []Format{FormatPNG, FormatPNG8, FormatJPEG} }

// InfoFormats lists the GetFeatureInfo formats.
func InfoFormats() []Format { return []Format{InfoText, InfoHTML, InfoJSON, InfoGML} }

// DefaultCRSs is the CRS list capabilities advertise when none is configured.
func DefaultCRSs() []crs.CRS {
	return []crs.CRS{crs.WebMercator, crs.WGS84, crs.CRS84, crs.Lambert93, {Authority: "EPSG", Code: "3035"}, {Authority: "EPSG", Code: "4258"}}
}

// Exceptions is how a GetMap error is reported to the client.
type Exceptions int

// Exception modes: an XML report (the default), the message drawn in an
// image of the requested size, or a blank image.
const (
	ExceptionsXML Exceptions = iota
	ExceptionsInImage
	ExceptionsBlank
)

// Names returns the EXCEPTIONS value of e in WMS 1.3.0 and 1.1.1.
func (e Exceptions) Names() (v130, v111 string) {
	switch e {
	case ExceptionsInImage:
		return "INIMAGE", "application/vnd.ogc.se_inimage"
	case ExceptionsBlank:
		return "BLANK", "application/vnd.ogc.se_blank"
	}
	return "XML", "application/vnd.ogc.se_xml"
}

// Layer is what parsing needs to know about a published layer.
type Layer struct {
	// Styles are the layer's style names; the first is the default. An
	// empty list accepts only the default style.
	Styles    []string
	Queryable bool
}

// Options bound and check requests. The zero value applies the defaults
// and checks no layer names.
type Options struct {
	// MaxWidth and MaxHeight bound WIDTH and HEIGHT (default 4096).
	MaxWidth, MaxHeight int
	// MaxFeatureCount caps FEATURE_COUNT (default 50).
	MaxFeatureCount int
	// MaxLayers bounds the names in LAYERS (and QUERY_LAYERS), groups
	// counting once (default DefaultMaxLayers).
	MaxLayers int
	// CRSs, when set, are the only CRSs accepted (those the capabilities
	// advertise); otherwise any CRS that internal/crs knows is.
	CRSs []crs.CRS
	// Layer answers whether a layer is published; nil accepts every name
	// and leaves the check to the caller.
	Layer func(name string) (Layer, bool)
}

func (o Options) maxWidth() int {
	if o.MaxWidth > 0 {
		return o.MaxWidth
	}
	return 4096
}

func (o Options) maxHeight() int {
	if o.MaxHeight > 0 {
		return o.MaxHeight
	}
	return 4096
}

// DefaultMaxLayers is the LAYERS limit when Options.MaxLayers is 0: well
// above what clients build (QGIS and OpenLayers send the layers a user
// ticked) and low enough that a crafted list cannot make one request draw
// the same layer thousands of times.
const DefaultMaxLayers = 100

func (o Options) maxLayers() int {
	if o.MaxLayers > 0 {
		return o.MaxLayers
	}
	return DefaultMaxLayers
}

func (o Options) maxFeatureCount() int {
	if o.MaxFeatureCount > 0 {
		return o.MaxFeatureCount
	}
	return 50
}

func wmsError(code, locator, format string, args ...any) *ows.Error {
	e := ows.InvalidParameter(locator, format, args...)
	e.Code = code
	e.Status = http.StatusBadRequest
	return e
}
