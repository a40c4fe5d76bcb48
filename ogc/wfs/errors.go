package wfs

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/tuiles/tuiles/ogc/ows"
)

// Exception codes WFS 2.0 adds to OWS Common (09-025r2 table 3), and the
// OWS ones ogc/ows does not name.
const (
	codeOperationParsingFailed    = "OperationParsingFailed"
	codeOperationProcessingFailed = "OperationProcessingFailed"
	codeOptionNotSupported        = "OptionNotSupported"
)

// OWS 1.0 exception reports, which WFS 1.1.0 uses.
const (
	namespaceOWS10 = "http://www.opengis.net/ows"
	schemaOWS10    = "http://schemas.opengis.net/ows/1.0.0/owsExceptionReport.xsd"
)

// filterParseError reports a filter (or another XML parameter) that cannot
// be read: OperationParsingFailed in WFS 2.0, which defines it, and
// InvalidParameterValue in 1.1, which does not.
func filterParseError(v version, locator string, err error) *ows.Error {
	code := codeOperationParsingFailed
	if v == v110 {
		code = ows.CodeInvalidParameterValue
	}
	return &ows.Error{Code: code, Locator: locator, Status: http.StatusBadRequest,
		Message: "the " + locator + " cannot be read: " + clip(errText(err)), Err: err}
}

// unsupportedFilter reports a filter operator tuiles does not implement.
// The capabilities do not announce it, so it is the client's mistake, not
// a failure of the server: 501 Not Implemented, never a 500.
func unsupportedFilter(err error) *ows.Error {
	return &ows.Error{Code: codeOptionNotSupported, Locator: "filter", Status: http.StatusNotImplemented,
		Message: "the filter uses an operator this server does not implement (see Filter_Capabilities): " + clip(errText(err)), Err: err}
}

// notSupported reports an option of an operation tuiles does not offer.
func notSupported(locator, format string, args ...any) *ows.Error {
	return &ows.Error{Code: codeOptionNotSupported, Locator: locator, Status: http.StatusNotImplemented,
		Message: fmt.Sprintf(format, args...)}
}

// errText is the message of err bounded in length: parser messages may
// quote the request, which must not be echoed at any size.
func errText(err error) string {
	if err == nil {
		return ""
	}
	const maxLen = 300
	s := err.Error()
	if len(s) <= maxLen {
		return s
	}
	i := maxLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// clip shortens a value quoted in a message or a log record.
func clip(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	i := maxLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// exceptionReport10 encodes e as an OWS 1.0 ExceptionReport, the form
// WFS 1.1.0 (04-094 clause 7.7) specifies.
func exceptionReport10(e *ows.Error) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<ows:ExceptionReport xmlns:ows="` + namespaceOWS10 + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="` +
		namespaceOWS10 + ` ` + schemaOWS10 + `" version="1.1.0" language="en">` + "\n")
	b.WriteString(`  <ows:Exception exceptionCode="`)
	xml.EscapeText(&b, []byte(code10(e.Code)))
	b.WriteString(`"`)
	if e.Locator != "" {
		b.WriteString(` locator="`)
		xml.EscapeText(&b, []byte(e.Locator))
		b.WriteString(`"`)
	}
	b.WriteString(">\n    <ows:ExceptionText>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</ows:ExceptionText>\n  </ows:Exception>\n</ows:ExceptionReport>\n")
	return b.Bytes()
}

// code10 words a WFS 2.0 exception code for WFS 1.1.0, which knows only
// the OWS 1.0 codes.
func code10(code string) string {
	switch code {
	case codeOperationParsingFailed:
		return ows.CodeInvalidParameterValue
	case codeOperationProcessingFailed, ows.CodeNotFound:
		return ows.CodeNoApplicableCode
	}
	return code
}

// writeExceptionReport10 answers with e as an OWS 1.0 exception report.
func writeExceptionReport10(w http.ResponseWriter, e *ows.Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Del("Content-Encoding")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(exceptionReport10(e))
}
