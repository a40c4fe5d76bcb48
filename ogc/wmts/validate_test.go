package wmts_test

import (
	"testing"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

// Schemas, relative to testdata/ogc-schemas.
const (
	exceptionSchema = "ows/1.1.0/owsExceptionReport.xsd"
)

// validateCapabilities checks doc against the WMTS 1.0 capabilities schema,
// with the schema's known erratum on tile limits (see xmlvalid).
func validateCapabilities(t testing.TB, doc []byte) {
	t.Helper()
	xmlvalid.ValidateWMTSCapabilities(t, doc)
}

// validateException checks doc against the OWS 1.1 exception report schema.
func validateException(t testing.TB, doc []byte) {
	t.Helper()
	xmlvalid.Validate(t, doc, exceptionSchema)
}
