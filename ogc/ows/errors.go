// Package ows is the vocabulary shared by the OGC protocol packages:
// case-insensitive KVP parameters, the protocol error type with its standard
// exception codes, OWS exception reports, and the base URL of the service as
// clients see it. It depends on nothing else in tuiles.
package ows

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Standard OWS exception codes (OGC 06-121r9 table 25, WMTS 07-057r7
// table 28, WMS 1.3.0 annex E).
const (
	CodeMissingParameterValue = "MissingParameterValue"
	CodeInvalidParameterValue = "InvalidParameterValue"
	CodeOperationNotSupported = "OperationNotSupported"
	CodeVersionNegotiation    = "VersionNegotiationFailed"
	CodeInvalidUpdateSequence = "InvalidUpdateSequence"
	CodeNoApplicableCode      = "NoApplicableCode"
	CodeTileOutOfRange        = "TileOutOfRange"
	CodeInvalidFormat         = "InvalidFormat"
	CodeLayerNotDefined       = "LayerNotDefined"
	CodeStyleNotDefined       = "StyleNotDefined"
	CodeInvalidCRS            = "InvalidCRS"
	CodeInvalidSRS            = "InvalidSRS"
	CodeNotFound              = "NotFound"
)

// Error is a protocol error: an exception code, the parameter it concerns
// (the OWS "locator"), the HTTP status to answer with, and the cause.
type Error struct {
	Code    string
	Locator string
	Status  int
	// Message is shown to the client.
	Message string
	// Err is the underlying cause, logged but not always shown.
	Err error
}

func (e *Error) Error() string {
	msg := e.Code
	if e.Locator != "" {
		msg += " (" + e.Locator + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// MissingParameter reports a required parameter that is absent or empty.
func MissingParameter(name string) *Error {
	return &Error{Code: CodeMissingParameterValue, Locator: name, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("parameter %s is required", name)}
}

// InvalidParameter reports a parameter whose value cannot be used.
func InvalidParameter(name string, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameterValue, Locator: name, Status: http.StatusBadRequest,
		Message: fmt.Sprintf(format, args...)}
}

// OperationNotSupported reports a REQUEST the service does not offer.
func OperationNotSupported(op string) *Error {
	return &Error{Code: CodeOperationNotSupported, Locator: op, Status: http.StatusNotImplemented,
		Message: fmt.Sprintf("operation %q is not supported", op)}
}

// Internal wraps an unexpected failure; its cause is logged, not shown.
func Internal(err error) *Error {
	return &Error{Code: CodeNoApplicableCode, Status: http.StatusInternalServerError, Message: "internal error", Err: err}
}

// AsError returns err as an *Error, turning any other error into Internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// LogLevel is the level at which a failed request of status is logged:
// a failure of this server (5xx) is an error, a 503 (busy, timed out) a
// warning, a client's mistake or an operation not offered (501) routine.
// A request whose client went away (its context cancelled) is routine
// whatever it ended with: nothing failed but the client's patience.
func LogLevel(r *http.Request, status int) slog.Level {
	switch {
	case r.Context().Err() != nil:
		return slog.LevelDebug
	case status == http.StatusServiceUnavailable:
		return slog.LevelWarn
	case status >= 500 && status != http.StatusNotImplemented:
		return slog.LevelError
	}
	return slog.LevelDebug
}
