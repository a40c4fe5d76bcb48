package ows

import (
	"bytes"
	"encoding/xml"
	"net/http"
)

// OWS 1.1 ExceptionReport namespace and schema, used by WMTS 1.0.0 and
// WFS 2.0.
const (
	NamespaceOWS11 = "http://www.opengis.net/ows/1.1"
	SchemaOWS11    = "http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd"
)

// ExceptionReport encodes e as an OWS 1.1 ExceptionReport. version is the
// version of the service that raised it (1.0.0 for WMTS).
func ExceptionReport(e *Error, version string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<ows:ExceptionReport xmlns:ows="` + NamespaceOWS11 + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="` + NamespaceOWS11 + ` ` + SchemaOWS11 + `" version="`)
	xml.EscapeText(&b, []byte(version))
	b.WriteString(`" xml:lang="en">` + "\n")
	b.WriteString(`  <ows:Exception exceptionCode="`)
	xml.EscapeText(&b, []byte(e.Code))
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

// WriteExceptionReport answers the request with e as an OWS 1.1 exception
// report and e.Status (400 when unset).
func WriteExceptionReport(w http.ResponseWriter, e *Error, version string) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body := ExceptionReport(e, version)
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Del("Content-Encoding")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
