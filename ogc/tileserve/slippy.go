package tileserve

// The z/x/y protocols (TMS and XYZ) share one error policy: unreadable
// request text is a 400, anything that names no tile (unknown layer or set,
// out of range, missing) a 404. Each still writes its own error document.

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/tiling"
)

// LookupTileset finds a layer published through proto and its tileset in
// set, or a 404 error naming what is missing.
func LookupTileset(cat *catalog.Catalog, proto catalog.Protocol, layer, set string) (*catalog.Layer, *catalog.Tileset, error) {
	l, ok := cat.LayerFor(proto, layer)
	if !ok {
		return nil, nil, &ows.Error{Code: ows.CodeLayerNotDefined, Status: http.StatusNotFound,
			Message: fmt.Sprintf("unknown layer %q", Clip(layer)), Err: catalog.ErrUnknownLayer}
	}
	ts, ok := l.Tileset(set)
	if !ok {
		return nil, nil, NotFound("layer %s has no tiles in tile matrix set %q", l.Name, Clip(set))
	}
	return l, ts, nil
}

// BadRequest is a 400 InvalidParameterValue error.
func BadRequest(format string, args ...any) *ows.Error {
	return &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 NotFound error.
func NotFound(format string, args ...any) *ows.Error {
	return &ows.Error{Code: ows.CodeNotFound, Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

// SlippyPathError words the path errors of SplitPath and ParseTilePath
// the way the z/x/y protocols (TMS, XYZ) answer them: text that
// cannot be read is a 400, and a number too big for any matrix a 404, like
// any other tile outside the map.
func SlippyPathError(err error) error {
	var pe *PathError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Err {
	case ErrMalformedSegment:
		return BadRequest("malformed path segment %q", Clip(pe.Text))
	case ErrEmptySegment:
		return BadRequest("empty path segment")
	case ErrInvalidSegment:
		return BadRequest("invalid path segment %q", Clip(pe.Text))
	case ErrNoExtension:
		return BadRequest("the tile %q has no file extension", Clip(pe.Text))
	case ErrEmptyIndex:
		return BadRequest("%s is empty", pe.Part)
	case ErrMalformedIndex:
		return BadRequest("%s %q is not a non-negative integer", pe.Part, Clip(pe.Text))
	case ErrIndexTooLarge:
		return &ows.Error{Code: ows.CodeTileOutOfRange, Locator: pe.Part, Status: http.StatusNotFound,
			Message: fmt.Sprintf("%s %s is out of range", pe.Part, Clip(pe.Text)), Err: tiling.ErrOutOfRange}
	}
	return err
}

// Classify turns an error into an HTTP status and a message safe to show.
func Classify(err error) (int, string) {
	var e *ows.Error
	if errors.As(err, &e) && e.Status != 0 && e.Status < 500 {
		return e.Status, e.Message
	}
	switch {
	case errors.Is(err, tiling.ErrOutOfRange):
		return http.StatusNotFound, "tile out of range"
	case errors.Is(err, tiling.ErrNotFound):
		return http.StatusNotFound, "tile not found"
	case errors.Is(err, catalog.ErrUnknownLayer):
		return http.StatusNotFound, "unknown layer"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the request was cancelled or timed out"
	case errors.Is(err, render.ErrBusy):
		return http.StatusServiceUnavailable, "the server is busy rendering; retry shortly"
	}
	if e != nil && e.Status != 0 {
		return e.Status, e.Message
	}
	return http.StatusInternalServerError, "internal error"
}
