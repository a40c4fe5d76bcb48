// Package xyz serves "slippy map" tiles and their TileJSON 3.0.0
// descriptions, the form web maps (Leaflet, OpenLayers, MapLibre) consume
// without capabilities:
//
//	/tiles/{layer}/{set}/{z}/{x}/{y}.{ext}   a tile, y counted from the top
//	/tiles/{layer}/{set}/tiles.json          TileJSON 3.0.0
//
// z is the index of the tile matrix in the set, x its column and y its row,
// so the path maps onto tiling.Key without any flip. Any tile matrix set is
// served: web maps only understand WebMercatorQuad out of the box, but
// OpenLayers and MapLibre can be given the grid of another.
package xyz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/tiling"
)

// Options configures a Handler.
type Options struct {
	// Catalog gives the layers in force; it is read once per request.
	Catalog catalog.Source
	// PublicURL is the URL clients reach the server at. Empty means it is
	// derived from each request (see ows.BaseURL).
	PublicURL string
	// Tiles resolves and writes tiles; nil makes a private one.
	Tiles *tileserve.Server
	// Logger receives server-side failures; nil discards them.
	Logger *slog.Logger
}

// Handler answers XYZ tile and TileJSON requests. The server mounts it at
// "/tiles/"; it reads the full request path. It is safe for concurrent use.
type Handler struct {
	catalog   catalog.Source
	publicURL string
	tiles     *tileserve.Server
	log       *slog.Logger
}

// NewHandler makes a Handler.
func NewHandler(o Options) *Handler {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tiles := o.Tiles
	if tiles == nil {
		tiles = tileserve.New(log)
	}
	return &Handler{catalog: o.Catalog, publicURL: o.PublicURL, tiles: tiles, log: log}
}

// ServeHTTP routes the request and writes any error as a JSON error body;
// this is the one place errors become responses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.writeError(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return &ows.Error{Code: ows.CodeOperationNotSupported, Status: http.StatusMethodNotAllowed, Message: "only GET and HEAD are allowed"}
	}
	segs, err := splitPath(r.URL.EscapedPath())
	if err != nil {
		return err
	}
	if len(segs) == 0 || segs[0] != "tiles" {
		return notFound("no tile resource at this path")
	}
	segs = segs[1:]
	switch {
	case len(segs) == 3 && segs[2] == "tiles.json":
		cat, err := h.current()
		if err != nil {
			return err
		}
		l, ts, err := lookup(cat, segs[0], segs[1])
		if err != nil {
			return err
		}
		return h.serveTileJSON(w, r, l, ts)
	case len(segs) == 5:
		cat, err := h.current()
		if err != nil {
			return err
		}
		return h.serveTile(w, r, cat, segs)
	}
	return notFound("no tile resource at this path")
}

func (h *Handler) current() (*catalog.Catalog, error) {
	cat := h.catalog.Current()
	if cat == nil {
		return nil, &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable, Message: "no catalog is loaded"}
	}
	return cat, nil
}

// serveTile answers {layer}/{set}/{z}/{x}/{y}.{ext}.
func (h *Handler) serveTile(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, segs []string) error {
	l, ts, err := lookup(cat, segs[0], segs[1])
	if err != nil {
		return err
	}
	yText, ext, ok := cutExt(segs[4])
	if !ok {
		return badRequest("the tile %q has no file extension", clip(segs[4]))
	}
	z, err := parseIndex("z", segs[2])
	if err != nil {
		return err
	}
	x, err := parseIndex("x", segs[3])
	if err != nil {
		return err
	}
	y, err := parseIndex("y", yText)
	if err != nil {
		return err
	}
	f, ok := l.Format(ext)
	if !ok {
		return notFound("layer %s has no format %q", l.Name, clip(ext))
	}
	k := tiling.Key{
		Layer:         l.Name,
		TileMatrixSet: ts.Set.ID,
		Z:             z,
		Col:           x,
		Row:           y,
		Format:        f.Name,
		Style:         defaultStyle(l),
	}
	t, err := h.tiles.Fetch(r.Context(), l, ts, k, f)
	if err != nil {
		return err
	}
	return tileserve.Write(w, r, t, l.MaxAge)
}

func lookup(cat *catalog.Catalog, layer, set string) (*catalog.Layer, *catalog.Tileset, error) {
	l, ok := cat.Layer(layer)
	if !ok {
		return nil, nil, &ows.Error{Code: ows.CodeLayerNotDefined, Status: http.StatusNotFound,
			Message: fmt.Sprintf("unknown layer %q", clip(layer)), Err: catalog.ErrUnknownLayer}
	}
	ts, ok := l.Tileset(set)
	if !ok {
		return nil, nil, notFound("layer %s has no tiles in tile matrix set %q", l.Name, clip(set))
	}
	return l, ts, nil
}

func defaultStyle(l *catalog.Layer) string {
	if len(l.Styles) == 0 {
		return ""
	}
	return l.Styles[0].Name
}

// splitPath splits an escaped URL path into unescaped segments, without the
// leading empty one. Splitting before unescaping keeps %2F inside its
// segment, and rejecting dot segments after unescaping catches %2e%2e, so no
// spelling of a path walks out of its place.
func splitPath(escaped string) ([]string, error) {
	raw := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, badRequest("malformed path segment %q", clip(s))
		}
		if u == "" && i != len(raw)-1 {
			return nil, badRequest("empty path segment")
		}
		if u == "." || u == ".." || strings.ContainsAny(u, "/\\") || hasControl(u) {
			return nil, badRequest("invalid path segment %q", clip(u))
		}
		segs[i] = u
	}
	return segs, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// cutExt splits "12.png" at its last dot.
func cutExt(s string) (name, ext string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || i == len(s)-1 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// maxIndex bounds tile indexes well above any matrix (tiling caps sides at
// 2^30) and below int overflow.
const maxIndex = 1 << 40

// parseIndex reads a zoom level, column or row: plain decimal digits. A
// well-formed number too big for any matrix is out of range (404), not
// malformed (400).
func parseIndex(name, s string) (int, error) {
	if s == "" {
		return 0, badRequest("%s is empty", name)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, badRequest("%s %q is not a non-negative integer", name, clip(s))
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > maxIndex {
		return 0, &ows.Error{Code: ows.CodeTileOutOfRange, Locator: name, Status: http.StatusNotFound,
			Message: fmt.Sprintf("%s %s is out of range", name, clip(s)), Err: tiling.ErrOutOfRange}
	}
	return int(v), nil
}

// clip keeps echoed request text short.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

func badRequest(format string, args ...any) *ows.Error {
	return &ows.Error{Code: ows.CodeInvalidParameterValue, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *ows.Error {
	return &ows.Error{Code: ows.CodeNotFound, Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

// writeError maps err to a status and a JSON body {"error": "..."}, and
// logs it once: server failures as errors, client mistakes at debug level.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := classify(err)
	if status >= 500 {
		h.log.LogAttrs(r.Context(), slog.LevelError, "xyz request failed", slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
	} else {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "xyz request refused", slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
	}
	hd := w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "Content-Encoding", "Vary"} {
		hd.Del(k)
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		body, _ := json.Marshal(struct {
			Error string `json:"error"`
		}{msg})
		_, _ = w.Write(append(body, '\n'))
	}
}

// classify turns an error into an HTTP status and a message safe to show.
func classify(err error) (int, string) {
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
	}
	if e != nil && e.Status != 0 {
		return e.Status, e.Message
	}
	return http.StatusInternalServerError, "internal error"
}
