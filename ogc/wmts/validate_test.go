package wmts_test

import (
	"bytes"
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// Schemas, relative to testdata/ogc-schemas.
const (
	capabilitiesSchema = "wmts/1.0/wmtsGetCapabilities_response.xsd"
	exceptionSchema    = "ows/1.1.0/owsExceptionReport.xsd"
)

// validateCapabilities checks doc against the WMTS 1.0 capabilities schema.
//
// The official schema types MinTileRow, MaxTileRow, MinTileCol and
// MaxTileCol as xs:positiveInteger, although 07-057r7 (table 32 and its
// footnotes) counts rows and columns from 0: a known erratum never fixed
// upstream (GeoWebCache issues 250 and 411), which every server listing the
// first row or column trips over. The document must say 0 there, so only
// that value is raised to 1 in the copy that is validated; any other
// mistake in those elements (a negative or a non-number) still fails.
func validateCapabilities(t testing.TB, doc []byte) {
	t.Helper()
	patched := doc
	for _, el := range []string{"MinTileRow", "MaxTileRow", "MinTileCol", "MaxTileCol"} {
		patched = bytes.ReplaceAll(patched, []byte("<"+el+">0</"+el+">"), []byte("<"+el+">1</"+el+">"))
	}
	xmlvalid.Validate(t, patched, capabilitiesSchema)
}

// validateException checks doc against the OWS 1.1 exception report schema.
func validateException(t testing.TB, doc []byte) {
	t.Helper()
	xmlvalid.Validate(t, doc, exceptionSchema)
}
