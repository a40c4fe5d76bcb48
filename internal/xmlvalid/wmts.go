package xmlvalid

import (
	"bytes"
	"testing"
)

// WMTSCapabilitiesSchema is the schema of WMTS 1.0.0 capabilities, relative
// to testdata/ogc-schemas.
const WMTSCapabilitiesSchema = "wmts/1.0/wmtsGetCapabilities_response.xsd"

// ValidateWMTSCapabilities checks doc against the official WMTS 1.0
// capabilities schema.
//
// That schema types MinTileRow, MaxTileRow, MinTileCol and MaxTileCol as
// xs:positiveInteger, although 07-057r7 (table 32 and its footnotes) counts
// rows and columns from 0: a known erratum never fixed upstream (GeoWebCache
// issues 250 and 411), which every server listing the first row or column
// trips over. The document must say 0 there, so only that value is raised
// to 1 in the copy that is validated; any other mistake in those elements
// (a negative or a non-number) still fails, and so does everything else.
func ValidateWMTSCapabilities(t testing.TB, doc []byte) {
	t.Helper()
	Validate(t, WMTSLimitsErratum(doc), WMTSCapabilitiesSchema)
}

// WMTSLimitsErratum returns doc with the value 0 of the four TileMatrixLimits
// elements raised to 1 (see ValidateWMTSCapabilities).
func WMTSLimitsErratum(doc []byte) []byte {
	for _, el := range []string{"MinTileRow", "MaxTileRow", "MinTileCol", "MaxTileCol"} {
		doc = bytes.ReplaceAll(doc, []byte("<"+el+">0</"+el+">"), []byte("<"+el+">1</"+el+">"))
	}
	return doc
}
