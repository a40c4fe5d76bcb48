// Package wmts serves the OGC Web Map Tile Service 1.0.0 (OGC 07-057r7) in
// both of its encodings:
//
//	/wmts?SERVICE=WMTS&REQUEST=GetCapabilities                       KVP capabilities
//	/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=...       KVP tile
//	/wmts/1.0.0/WMTSCapabilities.xml                                  RESTful capabilities
//	/wmts/1.0.0/{layer}/{style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.{ext}
//
// Both encodings of GetTile build the same tiling.Key and answer through
// ogc/tileserve, so a tile is byte-for-byte the same whichever way it is
// asked for, and shares its ETag across them.
//
// The capabilities document follows what GDAL, QGIS and OpenLayers read:
// CRSs in URN form with their authority's axis order (GDAL swaps axes for
// urn:ogc:def:crs:EPSG::4326 but not for EPSG:4326), scale denominators
// printed with full precision (GDAL derives pixel sizes from them), and the
// GetEncoding constraint on every ows:Get so clients can tell the KVP
// endpoint from the RESTful one.
//
// Errors are OWS 1.1 exception reports with the codes of 07-057r7 table 28;
// the handler methods return errors and ServeHTTP turns them into responses
// and logs them, in one place.
package wmts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/tiling"
)

// Version is the only WMTS version there is.
const Version = "1.0.0"

// Paths the handler answers. The server mounts the handler at "/wmts" and
// "/wmts/" and the handler reads the full request path.
const (
	kvpPath          = "/wmts"
	restRoot         = "/wmts/" + Version
	capabilitiesFile = "WMTSCapabilities.xml"
)

// Options configures a Handler; the tile protocols share its fields.
type Options = tileserve.HandlerOptions

// Handler answers WMTS requests. It is safe for concurrent use.
type Handler struct {
	opts Options // with defaults filled in
}

// NewHandler makes a Handler.
func NewHandler(o Options) *Handler {
	return &Handler{opts: o.WithDefaults()}
}

// ServeHTTP routes the request and writes any error as an OWS exception
// report; this is the one place errors become responses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.writeError(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return &ows.Error{Code: ows.CodeOperationNotSupported, Status: http.StatusMethodNotAllowed,
			Message: "only GET and HEAD are allowed"}
	}
	segs, err := tileserve.SplitPath(r.URL.EscapedPath())
	if err != nil {
		return pathError(err)
	}
	if len(segs) == 0 || segs[0] != "wmts" {
		return noResource()
	}
	segs = segs[1:]
	// "/wmts" and "/wmts/" are the KVP endpoint.
	if len(segs) == 0 || (len(segs) == 1 && segs[0] == "") {
		return h.serveKVP(w, r)
	}
	if segs[0] != Version {
		return noResource()
	}
	switch {
	case len(segs) == 2 && segs[1] == capabilitiesFile:
		cat, err := h.current(r.Context())
		if err != nil {
			return err
		}
		return h.writeCapabilities(w, r, cat, allSections(), mediaTypeXML)
	case len(segs) == 7:
		cat, err := h.current(r.Context())
		if err != nil {
			return err
		}
		req, err := parseRESTTile(segs[1:])
		if err != nil {
			return err
		}
		return h.serveTile(w, r, cat, req)
	}
	return noResource()
}

// serveKVP answers the KVP encoding: the operation is named by REQUEST.
func (h *Handler) serveKVP(w http.ResponseWriter, r *http.Request) error {
	kvp, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	service, err := single(kvp, "SERVICE")
	if err != nil {
		return err
	}
	if service == "" {
		return ows.MissingParameter("SERVICE")
	}
	// OGC values are case-sensitive, but rejecting "wmts" helps nobody.
	if !strings.EqualFold(service, "WMTS") {
		return ows.InvalidParameter("SERVICE", "SERVICE must be WMTS, not %q", tileserve.Clip(service))
	}
	request, err := single(kvp, "REQUEST")
	if err != nil {
		return err
	}
	switch {
	case request == "":
		return ows.MissingParameter("REQUEST")
	case strings.EqualFold(request, "GetCapabilities"):
		cr, err := parseCapabilitiesRequest(kvp)
		if err != nil {
			return err
		}
		cat, err := h.current(r.Context())
		if err != nil {
			return err
		}
		return h.writeCapabilities(w, r, cat, cr.sections, cr.mediaType)
	case strings.EqualFold(request, "GetTile"):
		req, err := parseKVPTile(kvp)
		if err != nil {
			return err
		}
		cat, err := h.current(r.Context())
		if err != nil {
			return err
		}
		return h.serveTile(w, r, cat, req)
	case strings.EqualFold(request, "GetFeatureInfo"):
		// Tile layers here are images or vector tiles of a cache, with no
		// features to query, so the capabilities offer no InfoFormat.
		return ows.OperationNotSupported("GetFeatureInfo")
	}
	return ows.OperationNotSupported(tileserve.Clip(request))
}

func (h *Handler) current(ctx context.Context) (*catalog.Catalog, error) {
	if h.opts.Catalog == nil {
		return nil, errNoCatalog()
	}
	cat := h.opts.Catalog.For(ctx)
	if cat == nil {
		return nil, errNoCatalog()
	}
	return cat, nil
}

// serveTile resolves a parsed GetTile request against the catalog and
// answers it through the shared tile responder.
func (h *Handler) serveTile(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, req tileRequest) error {
	rt, err := resolveTile(cat, req)
	if err != nil {
		return err
	}
	t, err := h.opts.Tiles.Fetch(r.Context(), rt.layer, rt.tileset, rt.key, rt.format)
	if err != nil {
		if errors.Is(err, tiling.ErrOutOfRange) {
			return outOfRange(rt.tileset, rt.key, req, err)
		}
		return err
	}
	if err := tileserve.Write(w, r, t, rt.layer.MaxAge); err != nil {
		return fmt.Errorf("wmts: writing tile %d/%d/%d of layer %s: %w", rt.key.Z, rt.key.Col, rt.key.Row, rt.layer.Name, err)
	}
	return nil
}

// writeError maps err to an exception report and logs it once: server
// failures as errors with their cause, client mistakes at debug level.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toOWSError(err)
	// Client mistakes and operations not offered (501) are routine; a
	// 503 (a timeout, no catalog yet) is worth a look; anything else is a
	// failure of this server.
	h.opts.Logger.LogAttrs(r.Context(), ows.LogLevel(r, e.Status), "wmts request failed",
		slog.String("method", r.Method),
		slog.String("path", tileserve.Clip(r.URL.Path)),
		slog.String("query", tileserve.Clip(r.URL.RawQuery)),
		slog.Int("status", e.Status),
		slog.String("code", e.Code),
		slog.Any("err", err))
	// A tile error may come after tileserve.Write set caching headers; an
	// exception must not be cached as if it were the tile.
	w.Header().Del("Vary")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	ows.WriteExceptionReport(w, e, Version)
}

// toOWSError turns any error into the exception to show. Domain sentinels
// are mapped here; anything unexpected becomes a NoApplicableCode 500
// whose message does not leak the cause.
func toOWSError(err error) *ows.Error {
	var e *ows.Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			c := *e
			c.Status = http.StatusBadRequest
			return &c
		}
		return e
	}
	switch {
	case errors.Is(err, tiling.ErrNotFound):
		return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusNotFound, Message: "tile not found", Err: err}
	case errors.Is(err, tiling.ErrOutOfRange):
		return &ows.Error{Code: ows.CodeTileOutOfRange, Status: http.StatusBadRequest, Message: "tile out of range", Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable,
			Message: "the request was cancelled or timed out", Err: err}
	case errors.Is(err, render.ErrBusy):
		return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable,
			Message: "the server is busy rendering; retry shortly", Err: err}
	}
	return ows.Internal(err)
}
