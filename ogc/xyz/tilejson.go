package xyz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
)

// TileJSONVersion is the version of https://github.com/mapbox/tilejson-spec
// the documents follow.
const TileJSONVersion = "3.0.0"

// TileJSON is the TileJSON 3.0.0 document of one layer in one tile matrix
// set. Field order is the order of the encoded members.
type TileJSON struct {
	TileJSON    string   `json:"tilejson"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Attribution string   `json:"attribution,omitempty"`
	Version     string   `json:"version"`
	Scheme      string   `json:"scheme"`
	Tiles       []string `json:"tiles"`
	MinZoom     int      `json:"minzoom"`
	MaxZoom     int      `json:"maxzoom"`
	// Bounds is west, south, east, north in WGS84 degrees; omitted when the
	// layer's extent is unknown, so clients fall back to the whole world.
	Bounds []float64 `json:"bounds,omitempty"`
	// Center is longitude, latitude and zoom.
	Center []float64 `json:"center,omitempty"`
	// VectorLayers describes the layers inside vector tiles. TileJSON 3.0.0
	// requires it for vector tiles, but an invented description would
	// mislead style editors more than a missing one, so it is written only
	// when the layer knows it.
	VectorLayers json.RawMessage `json:"vector_layers,omitempty"`
	// Format is not part of TileJSON 3.0.0 but of the MBTiles metadata it
	// grew from; clients use it to tell raster from vector sources.
	Format string `json:"format"`
}

// maxMercatorLatitude is where the Web Mercator square ends.
const maxMercatorLatitude = 85.0511287798066

// NewTileJSON describes layer l in tileset ts, with tile URLs under base
// (the server's public URL, without a trailing slash).
func NewTileJSON(l *catalog.Layer, ts *catalog.Tileset, base string) TileJSON {
	f := l.Formats[0]
	name := l.Title
	if name == "" {
		name = l.Name
	}
	tj := TileJSON{
		TileJSON:    TileJSONVersion,
		Name:        name,
		Description: l.Abstract,
		Attribution: l.Attribution,
		Version:     "1.0.0",
		Scheme:      "xyz",
		Tiles:       []string{base + "/tiles/" + url.PathEscape(l.Name) + "/" + url.PathEscape(ts.Set.ID) + "/{z}/{x}/{y}." + f.Ext},
		MinZoom:     ts.MinZoom,
		MaxZoom:     ts.MaxZoom,
		Format:      f.Ext,
	}
	if b, ok := lonLatBounds(l.Bounds, ts.Set.CRSInfo.CRS == crs.WebMercator); ok {
		tj.Bounds = []float64{b.MinX, b.MinY, b.MaxX, b.MaxY}
		tj.Center = []float64{(b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2, float64(centerZoom(ts))}
	}
	if f.Vector && isJSONArray(l.VectorLayers) {
		tj.VectorLayers = l.VectorLayers
	}
	return tj
}

// lonLatBounds clamps b to the valid longitudes and latitudes (and to the
// Mercator square for Web Mercator sets, whose tiles stop there). Bounds
// holding NaN come out Empty, which matters because encoding/json refuses
// NaN and the whole document would fail.
func lonLatBounds(b crs.Bounds, mercator bool) (crs.Bounds, bool) {
	maxLat := 90.0
	if mercator {
		maxLat = maxMercatorLatitude
	}
	b = b.Intersect(crs.Bounds{MinX: -180, MinY: -maxLat, MaxX: 180, MaxY: maxLat})
	if b.Empty() {
		return crs.Bounds{}, false
	}
	return b, true
}

// centerZoom is the first zoom at which the data spans more than one tile:
// a view that shows all of it with some detail.
func centerZoom(ts *catalog.Tileset) int {
	for z := ts.MinZoom; z <= ts.MaxZoom; z++ {
		r, ok := ts.Limit(z)
		if ok && (r.MaxCol > r.MinCol || r.MaxRow > r.MinRow) {
			return z
		}
	}
	return ts.MaxZoom
}

func isJSONArray(raw json.RawMessage) bool {
	b := bytes.TrimSpace(raw)
	return len(b) > 0 && b[0] == '[' && json.Valid(b)
}

func (h *Handler) serveTileJSON(w http.ResponseWriter, r *http.Request, l *catalog.Layer, ts *catalog.Tileset) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Attributions hold HTML links; keep them readable.
	enc.SetEscapeHTML(false)
	tj := NewTileJSON(l, ts, ows.BaseURL(r, h.opts.PublicURL))
	if key := ows.KeyQuery(r.Context()); key != "" {
		for i := range tj.Tiles {
			tj.Tiles[i] = ows.WithQuery(tj.Tiles[i], key)
		}
	}
	if err := enc.Encode(tj); err != nil {
		return ows.Internal(fmt.Errorf("encoding TileJSON of layer %s: %w", l.Name, err))
	}
	tileserve.WriteDocument(w, r, "application/json", buf.Bytes())
	return nil
}
