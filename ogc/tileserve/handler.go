package tileserve

import (
	"bytes"
	"log/slog"
	"net/http"
	"time"

	"github.com/tuiles/tuiles/catalog"
)

// HandlerOptions configures the HTTP handler of a tile protocol. ogc/wmts,
// ogc/tms and ogc/xyz each export it as their Options: the three handlers
// are built from the same parts, and cmd/tuiles hands them the same ones.
type HandlerOptions struct {
	// Catalog gives the layers in force; it is read once per request, so
	// a reload never mixes two snapshots in one answer.
	Catalog catalog.Source
	// PublicURL is the URL clients reach the server at, written into the
	// documents that link to tiles (capabilities, TileMap, TileJSON).
	// Empty means it is derived from each request (see ows.BaseURL).
	PublicURL string
	// Tiles resolves and writes tiles; nil makes a private one. Sharing
	// one between protocols shares its cache of empty tiles.
	Tiles *Server
	// Logger receives one record per failed request; nil discards them.
	Logger *slog.Logger
}

// WithDefaults returns o with a nil Logger replaced by one that discards,
// and a nil Tiles by a private Server logging to o's logger, so a handler
// never checks for nil on a request.
func (o HandlerOptions) WithDefaults() HandlerOptions {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tiles == nil {
		o.Tiles = New(o.Logger)
	}
	return o
}

// WriteDocument sends a document generated from the catalog (capabilities,
// TileMap, TileJSON) with a strong ETag, Cache-Control: no-cache, and, when
// the request has a pinned catalog, Last-Modified: the time that catalog
// was built. Such a document changes only when the catalog is reloaded or
// the request's base URL differs, so clients that poll it revalidate every
// time and get 304s until it does. HEAD and conditional requests
// (If-None-Match, If-Modified-Since) are handled by http.ServeContent.
func WriteDocument(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", ETag(body))
	var modified time.Time
	if c := catalog.Pinned(r.Context()); c != nil {
		modified = c.Built
	}
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
}
