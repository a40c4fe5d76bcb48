// Package tms serves tiles and documents of the OSGeo Tile Map Service
// Specification 1.0.0 (https://wiki.osgeo.org/wiki/Tile_Map_Service_Specification):
//
//	/tms/                                        Services (the root resource)
//	/tms/1.0.0/                                  TileMapService: one TileMap per layer and tile matrix set
//	/tms/1.0.0/{layer}/{set}                     TileMap
//	/tms/1.0.0/{layer}/{set}/{z}/{x}/{y}.{ext}   a tile
//
// TMS counts tile rows from the bottom of the matrix, while tiling.Key counts
// them from the top, so a tile's row is MatrixHeight(z)-1-y. That flip
// happens here and in tiling/mbtiles only.
//
// The documents follow what GDAL's WMS driver reads, since GDAL and QGIS are
// the main TMS clients: the root elements start with their version attribute
// (GDAL recognises them by the bytes `<TileMap version="1.0.0"` and
// `<TileMapService version="1.0.0"`), and the TileMap's BoundingBox is the
// whole extent of the tile matrix set rather than the data extent, because
// GDAL ignores Origin and numbers tiles from the BoundingBox corners.
package tms

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/tiling"
)

// Version is the only TMS version there is.
const Version = "1.0.0"

// Options configures a Handler; the tile protocols share its fields.
type Options = tileserve.HandlerOptions

// Handler answers TMS requests. The server mounts it at "/tms/"; it reads
// the full request path. It is safe for concurrent use.
type Handler struct {
	opts Options // with defaults filled in
}

// NewHandler makes a Handler.
func NewHandler(o Options) *Handler {
	return &Handler{opts: o.WithDefaults()}
}

// ServeHTTP routes the request and writes any error as a TMS error
// document; this is the one place errors become responses.
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
	segs, err := tileserve.SplitPath(r.URL.EscapedPath())
	if err != nil {
		return tileserve.SlippyPathError(err)
	}
	if len(segs) == 0 || segs[0] != "tms" {
		return tileserve.NotFound("no TMS resource at this path")
	}
	segs = segs[1:]
	// A trailing slash is allowed on documents, which are directories in
	// the TMS model, but not on tiles.
	dir := len(segs) > 0 && segs[len(segs)-1] == ""
	if dir {
		segs = segs[:len(segs)-1]
	}
	if len(segs) > 0 && segs[0] != Version {
		return tileserve.NotFound("TMS version %q is not served; use %s", tileserve.Clip(segs[0]), Version)
	}
	cat := h.opts.Catalog.For(r.Context())
	if cat == nil {
		return errNoCatalog()
	}
	base := ows.BaseURL(r, h.opts.PublicURL)
	switch len(segs) {
	case 0:
		return writeXML(w, r, servicesDocument(cat, base))
	case 1:
		return writeXML(w, r, tileMapServiceDocument(cat, base))
	case 3:
		l, ts, err := tileserve.LookupTileset(cat, catalog.TMS, segs[1], segs[2])
		if err != nil {
			return err
		}
		return writeXML(w, r, tileMapDocument(l, ts, base))
	case 6:
		if dir {
			return tileserve.NotFound("no TMS resource at this path")
		}
		return h.serveTile(w, r, cat, segs[1:])
	}
	return tileserve.NotFound("no TMS resource at this path")
}

// serveTile answers {layer}/{set}/{z}/{x}/{y}.{ext}.
func (h *Handler) serveTile(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, segs []string) error {
	l, ts, err := tileserve.LookupTileset(cat, catalog.TMS, segs[0], segs[1])
	if err != nil {
		return err
	}
	p, err := tileserve.ParseTilePath(segs[2], segs[3], segs[4])
	if err != nil {
		return tileserve.SlippyPathError(err)
	}
	f, ok := l.Format(p.Ext)
	if !ok {
		return tileserve.NotFound("layer %s has no format %q", l.Name, tileserve.Clip(p.Ext))
	}
	m, ok := ts.Set.Level(p.Z)
	if !ok || p.Y >= m.MatrixHeight || p.X >= m.MatrixWidth {
		return outOfRange(p)
	}
	k := tiling.Key{
		Layer:         l.Name,
		TileMatrixSet: ts.Set.ID,
		Z:             p.Z,
		Col:           p.X,
		Row:           m.MatrixHeight - 1 - p.Y,
		Format:        f.Name,
		Style:         tileserve.DefaultStyle(l),
	}
	t, err := h.opts.Tiles.Fetch(r.Context(), l, ts, k, f)
	if err != nil {
		if errors.Is(err, tiling.ErrOutOfRange) {
			// The wrapped message counts rows from the top, which would
			// confuse a TMS client.
			return outOfRange(p)
		}
		return err
	}
	return tileserve.Write(w, r, t, l.MaxAge)
}

func errNoCatalog() *ows.Error {
	return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable, Message: "no catalog is loaded"}
}

// outOfRange names the tile as the client wrote it, y from the bottom.
func outOfRange(p tileserve.TilePath) *ows.Error {
	return &ows.Error{Code: ows.CodeTileOutOfRange, Status: http.StatusNotFound,
		Message: fmt.Sprintf("tile %d/%d/%d is outside the tile map", p.Z, p.X, p.Y), Err: tiling.ErrOutOfRange}
}

// writeError maps err to a status and a TMS error document, and logs it
// once: server failures as errors, client mistakes at debug level.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := tileserve.Classify(err)
	h.opts.Logger.LogAttrs(r.Context(), ows.LogLevel(r, status), "tms request failed", slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
	hd := w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "Content-Encoding", "Vary"} {
		hd.Del(k)
	}
	hd.Set("Content-Type", "application/xml; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(errorDocument(msg))
	}
}
