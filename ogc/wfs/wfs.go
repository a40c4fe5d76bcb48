// Package wfs serves the OGC Web Feature Service at /wfs, in versions 2.0.0
// (OGC 09-025r2 / ISO 19142, the default; 2.0.2 requests are answered as
// 2.0.0) and 1.1.0 (OGC 04-094), over KVP (GET) and XML (POST):
//
//	/wfs?SERVICE=WFS&REQUEST=GetCapabilities
//	/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=tuiles:countries
//	/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=tuiles:countries&COUNT=10
//	/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetPropertyValue&TYPENAMES=countries&VALUEREFERENCE=name
//	/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById&ID=countries.12
//
// Feature types live in the namespace Namespace, written with the prefix
// Prefix ("tuiles:countries"); requests may name them with or without a
// prefix. Features are read from a store.Source and streamed to the client
// as the source yields them, in GML 3.2, GML 3.1.1 or GeoJSON, so a whole
// layer of any size is sent in constant memory. The numbers a response
// announces before its features (numberMatched, numberReturned) come from
// Source.Count, asked first.
//
// Axis order follows what GDAL, QGIS, OWSLib and GeoServer agree on: a CRS
// named by URN or http URI (urn:ogc:def:crs:EPSG::4326) has its authority's
// axis order (latitude first for EPSG:4326), a short EPSG:n or CRS:84 code is
// easting first, and GML output labels every geometry with a srsName whose
// axis order matches its coordinates, so a client never has to guess.
//
// Handlers return errors; ServeHTTP turns them into OWS exception reports
// (OWS 1.1 for WFS 2.0, OWS 1.0 for WFS 1.1) and logs them, in one place.
// An error met after a response has started streaming cannot become an
// exception: it is logged and the connection is cut, so that a truncated
// document never passes for a complete one.
package wfs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/store/filter"
)

// Namespace is the XML namespace of every feature type tuiles publishes,
// and Prefix the prefix it is written with. The URI identifies tuiles'
// application schema; it is not meant to resolve (the schema itself is
// served by DescribeFeatureType). It must never change: clients store
// qualified type names.
const (
	Namespace = "http://tuiles.example/ns"
	Prefix    = "tuiles"
)

// DefaultMaxFeatures is the page size used when Options.MaxFeatures is 0.
const DefaultMaxFeatures = 10000

// DefaultMaxBodyBytes bounds an XML POST request. Filters with detailed polygons
// are the largest legitimate bodies; 8 MiB leaves room for them.
const DefaultMaxBodyBytes = 8 << 20

// Options configures a Handler.
type Options struct {
	// Catalog returns the feature types published by the catalog snapshot
	// a request sees, and the service description of its capabilities. It
	// is called once per request, so a reload never mixes two snapshots
	// in one answer.
	Catalog func(ctx context.Context) ([]FeatureType, catalog.Service)
	// PublicURL is the URL clients reach the server at; empty means it is
	// derived from each request (see ows.BaseURL). /wfs is appended.
	PublicURL string
	// MaxFeatures caps the number of features of one response (the
	// CountDefault constraint); 0 means DefaultMaxFeatures.
	MaxFeatures int
	// MaxBodyBytes bounds a POST body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Timeout bounds the store work of one request; 0 means none beyond the
	// request's own context.
	Timeout time.Duration
	// Logger receives one record per failed request; nil discards them.
	Logger *slog.Logger
}

// FeatureType is one published feature type: a table of a store.
type FeatureType struct {
	// Name is the type name without prefix; it must be an XML NCName
	// (types whose name is not are not published).
	Name     string
	Title    string
	Abstract string
	Keywords []string
	// Source and Table locate the features.
	Source store.Source
	Table  string
}

// Handler answers WFS requests. It is safe for concurrent use.
type Handler struct {
	opts Options

	// PROJ transformers and CRS facts are costly to build and asked for
	// with few distinct keys (layer CRSs times the offered output CRSs),
	// so they are kept for the handler's life.
	mu           sync.Mutex
	transformers map[[2]crs.CRS]*crs.Transformer
	infos        map[crs.CRS]crs.Info
	// warned records the misconfigured types already logged.
	warned sync.Map
}

// NewHandler makes a Handler.
func NewHandler(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxFeatures <= 0 {
		o.MaxFeatures = DefaultMaxFeatures
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Catalog == nil {
		o.Catalog = func(context.Context) ([]FeatureType, catalog.Service) { return nil, catalog.Service{} }
	}
	return &Handler{opts: o, transformers: map[[2]crs.CRS]*crs.Transformer{}, infos: map[crs.CRS]crs.Info{}}
}

// call is one request in progress: what ServeHTTP needs to word an error
// in the right version, and whether the response has started.
type call struct {
	w http.ResponseWriter
	r *http.Request
	// v is the version the request was found to speak, as soon as known:
	// it decides the exception report's schema.
	v version
	// started is set once bytes have gone to the client; an error after
	// that aborts the connection instead of becoming an exception.
	started bool
}

// ServeHTTP reads the request, answers it and writes any error as an
// exception report; this is the one place errors become responses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, v: v200}
	err := h.serve(c)
	if err == nil {
		return
	}
	if c.started {
		// A client that went away is routine; a failure of the store or
		// the encoder mid-stream is not.
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelDebug
		}
		h.opts.Logger.LogAttrs(r.Context(), level, "wfs response aborted after it started",
			slog.String("method", r.Method),
			slog.String("query", clip(r.URL.RawQuery)),
			slog.Any("err", err))
		// The status and part of the body are out; cutting the connection
		// is the only way left to tell the client the document is not
		// whole.
		panic(http.ErrAbortHandler)
	}
	h.writeError(c, err)
}

func (h *Handler) serve(c *call) error {
	switch c.r.Method {
	case http.MethodGet, http.MethodHead:
		kvp, err := parseQuery(c.r.URL.RawQuery)
		if err != nil {
			return err
		}
		return h.serveKVP(c, kvp)
	case http.MethodPost:
		ct := strings.ToLower(c.r.Header.Get("Content-Type"))
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			// Some clients post KVP as a form; it is the KVP encoding.
			c.r.Body = http.MaxBytesReader(c.w, c.r.Body, h.opts.MaxBodyBytes)
			if err := c.r.ParseForm(); err != nil {
				return &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest,
					Message: "the form body is malformed or too large", Err: err}
			}
			return h.serveKVP(c, ows.ParseKVP(c.r.PostForm))
		}
		return h.servePOST(c)
	}
	c.w.Header().Set("Allow", "GET, HEAD, POST")
	return &ows.Error{Code: ows.CodeOperationNotSupported, Status: http.StatusMethodNotAllowed,
		Message: "only GET, HEAD and POST are allowed"}
}

// serveKVP answers the KVP encoding: the operation is named by REQUEST.
func (h *Handler) serveKVP(c *call, kvp ows.KVP) error {
	// The version is looked at first, only to word errors in the schema
	// the client expects.
	if v, ok := parseVersion(kvp.Get("VERSION")); ok {
		c.v = v
	}
	service, err := single(kvp, "SERVICE")
	if err != nil {
		return err
	}
	request, err := single(kvp, "REQUEST")
	if err != nil {
		return err
	}
	if service == "" {
		return ows.MissingParameter("service")
	}
	// OGC values are case-sensitive, but refusing "wfs" helps nobody.
	if !strings.EqualFold(service, "WFS") {
		return ows.InvalidParameter("service", "SERVICE must be WFS, not %q", clip(service))
	}
	if request == "" {
		return ows.MissingParameter("request")
	}
	op, ok := operationNamed(request)
	if !ok {
		return ows.OperationNotSupported(clip(request))
	}
	if op == opGetCapabilities {
		v, err := negotiateKVP(kvp)
		if err != nil {
			return err
		}
		c.v = v
		sections, err := parseSections(kvp.Get("SECTIONS"))
		if err != nil {
			return err
		}
		return h.serveCapabilities(c, sections)
	}
	v, err := requireVersion(kvp)
	if err != nil {
		return err
	}
	c.v = v
	if !op.offeredIn(v) {
		return &ows.Error{Code: ows.CodeOperationNotSupported, Locator: clip(request), Status: http.StatusNotImplemented,
			Message: fmt.Sprintf("operation %s does not exist in WFS %s", clip(request), v)}
	}
	vw := h.view(c.r.Context())
	switch op {
	case opDescribeFeatureType:
		req, err := parseDescribeKVP(kvp, v, vw)
		if err != nil {
			return err
		}
		return h.serveDescribe(c, req)
	case opGetFeature, opGetPropertyValue:
		req, err := h.parseGetFeatureKVP(kvp, v, vw, op == opGetPropertyValue)
		if err != nil {
			return err
		}
		return h.serveGetFeature(c, vw, req)
	case opListStoredQueries:
		return h.serveListStoredQueries(c, vw)
	case opDescribeStoredQueries:
		if err := checkStoredQueryIDs(splitList(kvp.Get("STOREDQUERY_ID"))); err != nil {
			return err
		}
		return h.serveDescribeStoredQueries(c, vw)
	}
	return ows.OperationNotSupported(clip(request))
}

// operation is a WFS operation tuiles implements.
type operation int

const (
	opGetCapabilities operation = iota
	opDescribeFeatureType
	opGetFeature
	opGetPropertyValue
	opListStoredQueries
	opDescribeStoredQueries
)

func operationNamed(s string) (operation, bool) {
	switch strings.ToLower(s) {
	case "getcapabilities":
		return opGetCapabilities, true
	case "describefeaturetype":
		return opDescribeFeatureType, true
	case "getfeature":
		return opGetFeature, true
	case "getpropertyvalue":
		return opGetPropertyValue, true
	case "liststoredqueries":
		return opListStoredQueries, true
	case "describestoredqueries":
		return opDescribeStoredQueries, true
	}
	return 0, false
}

// offeredIn tells whether the operation exists in version v: WFS 1.1.0
// has neither GetPropertyValue nor stored queries.
func (op operation) offeredIn(v version) bool {
	switch op {
	case opGetPropertyValue, opListStoredQueries, opDescribeStoredQueries:
		return v == v200
	}
	return true
}

// requestContext bounds the store work of a request by Options.Timeout.
func (h *Handler) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	if h.opts.Timeout > 0 {
		return context.WithTimeout(r.Context(), h.opts.Timeout)
	}
	return context.WithCancel(r.Context())
}

// transformer returns the cached transformation between two CRSs.
func (h *Handler) transformer(from, to crs.CRS) (*crs.Transformer, error) {
	key := [2]crs.CRS{from, to}
	h.mu.Lock()
	t, ok := h.transformers[key]
	h.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := crs.NewTransformer(from, to)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.transformers[key]; ok {
		return prev, nil
	}
	h.transformers[key] = t
	return t, nil
}

// crsInfo returns the cached PROJ facts about c.
func (h *Handler) crsInfo(c crs.CRS) (crs.Info, error) {
	h.mu.Lock()
	info, ok := h.infos[c]
	h.mu.Unlock()
	if ok {
		return info, nil
	}
	info, err := crs.Lookup(c)
	if err != nil {
		return crs.Info{}, err
	}
	h.mu.Lock()
	h.infos[c] = info
	h.mu.Unlock()
	return info, nil
}

// writeError maps err to an exception report and logs it once: server
// failures as errors with their cause, client mistakes at debug level.
func (h *Handler) writeError(c *call, err error) {
	e := toOWSError(err, c.v)
	h.opts.Logger.LogAttrs(c.r.Context(), ows.LogLevel(c.r, e.Status), "wfs request failed",
		slog.String("method", c.r.Method),
		slog.String("query", clip(c.r.URL.RawQuery)),
		slog.Int("status", e.Status),
		slog.String("code", e.Code),
		slog.String("locator", e.Locator),
		slog.Any("err", err))
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	if c.v == v110 {
		writeExceptionReport10(c.w, e)
		return
	}
	ows.WriteExceptionReport(c.w, e, "2.0.0")
}

// toOWSError turns any error into the exception to show. Domain sentinels
// are mapped here; anything unexpected becomes a 500 whose message does not
// leak the cause.
func toOWSError(err error, v version) *ows.Error {
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
	case errors.Is(err, context.DeadlineExceeded):
		return &ows.Error{Code: codeOperationProcessingFailed, Status: http.StatusServiceUnavailable,
			Message: "the request took longer than the server allows; ask for fewer features", Err: err}
	case errors.Is(err, context.Canceled):
		return &ows.Error{Code: codeOperationProcessingFailed, Status: http.StatusServiceUnavailable,
			Message: "the request was cancelled", Err: err}
	case errors.Is(err, filter.ErrUnknownProperty):
		return &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest,
			Message: "the filter names an unknown property", Err: err}
	case errors.Is(err, filter.ErrUnsupported):
		return unsupportedFilter(err)
	case errors.Is(err, filter.ErrInvalid):
		return filterParseError(v, "filter", err)
	}
	e = ows.Internal(err)
	e.Code = codeOperationProcessingFailed
	return e
}
