package wms

import (
	"bytes"
	"encoding/xml"
	"net/http"

	"github.com/tuiles/tuiles/ogc/ows"
)

// Exception report content types of each version.
const (
	ExceptionContentType130 = "text/xml"
	ExceptionContentType111 = "application/vnd.ogc.se_xml"
)

// Namespace and schema of WMS 1.3.0 exception reports, and the DTD of 1.1.1.
const (
	NamespaceOGC        = "http://www.opengis.net/ogc"
	ExceptionSchema130  = "http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd"
	ExceptionDTD111     = "http://schemas.opengis.net/wms/1.1.1/WMS_exception_1_1_1.dtd"
	exceptionDefaultMsg = "request failed"
)

// ExceptionReport130 encodes e as a WMS 1.3.0 ServiceExceptionReport.
func ExceptionReport130(e *ows.Error) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<ServiceExceptionReport version="1.3.0" xmlns="` + NamespaceOGC +
		`" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="` + NamespaceOGC + ` ` + ExceptionSchema130 + `">` + "\n")
	b.WriteString(`  <ServiceException`)
	if e.Code != "" {
		b.WriteString(` code="`)
		escape(&b, e.Code)
		b.WriteString(`"`)
	}
	if e.Locator != "" {
		b.WriteString(` locator="`)
		escape(&b, e.Locator)
		b.WriteString(`"`)
	}
	b.WriteString(`>`)
	escape(&b, message(e))
	b.WriteString("</ServiceException>\n</ServiceExceptionReport>\n")
	return b.Bytes()
}

// ExceptionReport111 encodes e as a WMS 1.1.1 ServiceExceptionReport. The
// 1.1.1 DTD has no locator attribute, so the locator prefixes the text.
func ExceptionReport111(e *ows.Error) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE ServiceExceptionReport SYSTEM "` + ExceptionDTD111 + `">` + "\n")
	b.WriteString(`<ServiceExceptionReport version="1.1.1">` + "\n")
	b.WriteString(`  <ServiceException`)
	if e.Code != "" {
		b.WriteString(` code="`)
		escape(&b, e.Code)
		b.WriteString(`"`)
	}
	b.WriteString(`>`)
	msg := message(e)
	if e.Locator != "" {
		msg = e.Locator + ": " + msg
	}
	escape(&b, msg)
	b.WriteString("</ServiceException>\n</ServiceExceptionReport>\n")
	return b.Bytes()
}

// ExceptionReport encodes e for version (1.3.0 unless 1.1.1) and returns
// the body with its content type and the HTTP status to answer with.
// WMS clients read the report only on a 200 in 1.1.1, so that version
// answers 200; 1.3.0 answers e.Status (400 when unset).
func ExceptionReport(e *ows.Error, version string) (body []byte, contentType string, status int) {
	if version == Version111 {
		return ExceptionReport111(e), ExceptionContentType111, http.StatusOK
	}
	status = e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	return ExceptionReport130(e), ExceptionContentType130, status
}

// message is what the client sees: internal causes are not shown.
func message(e *ows.Error) string {
	if e.Message != "" {
		return e.Message
	}
	return exceptionDefaultMsg
}

func escape(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }
