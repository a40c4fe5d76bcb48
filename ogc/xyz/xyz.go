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
	"log/slog"
	"net/http"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/tiling"
)

// Options configures a Handler; the tile protocols share its fields.
type Options = tileserve.HandlerOptions

// Handler answers XYZ tile and TileJSON requests. The server mounts it at
// "/tiles/"; it reads the full request path. It is safe for concurrent use.
type Handler struct {
	opts Options // with defaults filled in
}

// NewHandler makes a Handler.
func NewHandler(o Options) *Handler {
	return &Handler{opts: o.WithDefaults()}
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
	segs, err := tileserve.SplitPath(r.URL.EscapedPath())
	if err != nil {
		return tileserve.SlippyPathError(err)
	}
	if len(segs) == 0 || segs[0] != "tiles" {
		return tileserve.NotFound("no tile resource at this path")
	}
	segs = segs[1:]
	switch {
	case len(segs) == 3 && segs[2] == "tiles.json":
		cat, err := h.current(r.Context())
		if err != nil {
			return err
		}
		l, ts, err := tileserve.LookupTileset(cat, catalog.XYZ, segs[0], segs[1])
		if err != nil {
			return err
		}
		return h.serveTileJSON(w, r, l, ts)
	case len(segs) == 5:
		cat, err := h.current(r.Context())
		if err != nil {
			return err
		}
		return h.serveTile(w, r, cat, segs)
	}
	return tileserve.NotFound("no tile resource at this path")
}

func (h *Handler) current(ctx context.Context) (*catalog.Catalog, error) {
	cat := h.opts.Catalog.For(ctx)
	if cat == nil {
		return nil, &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable, Message: "no catalog is loaded"}
	}
	return cat, nil
}

// serveTile answers {layer}/{set}/{z}/{x}/{y}.{ext}.
func (h *Handler) serveTile(w http.ResponseWriter, r *http.Request, cat *catalog.Catalog, segs []string) error {
	l, ts, err := tileserve.LookupTileset(cat, catalog.XYZ, segs[0], segs[1])
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
	k := tiling.Key{
		Layer:         l.Name,
		TileMatrixSet: ts.Set.ID,
		Z:             p.Z,
		Col:           p.X,
		Row:           p.Y,
		Format:        f.Name,
		Style:         tileserve.DefaultStyle(l),
	}
	t, err := h.opts.Tiles.Fetch(r.Context(), l, ts, k, f)
	if err != nil {
		return err
	}
	return tileserve.Write(w, r, t, l.MaxAge)
}

// writeError maps err to a status and a JSON body {"error": "..."}, and
// logs it once: server failures as errors, client mistakes at debug level.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := tileserve.Classify(err)
	h.opts.Logger.LogAttrs(r.Context(), ows.LogLevel(r, status), "xyz request failed", slog.String("path", r.URL.Path), slog.Int("status", status), slog.Any("err", err))
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
