// Package catalog holds the published layers: for each its data, tile
// matrix sets, formats, caches and serving policy. A Catalog is an immutable
// snapshot built by the composition root; a configuration change builds a
// new one and swaps it in atomically through Live, so requests in flight
// keep the snapshot they started with.
package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
	"github.com/tuiles/tuiles/tiling"
)

// ErrUnknownLayer is returned when a request names no published layer.
var ErrUnknownLayer = errors.New("unknown layer")

// Service describes the server itself, for capabilities documents.
type Service struct {
	Title    string
	Abstract string
	Keywords []string
	// Provider is the organisation publishing the data.
	Provider    string
	ProviderURL string
	// ContactEmail is shown in capabilities when set.
	ContactEmail string
	// Fees and AccessConstraints default to "none" in documents when empty.
	Fees              string
	AccessConstraints string
}

// Catalog is one immutable snapshot of what the server publishes. Its
// fields must not be modified once it is published through Live.
type Catalog struct {
	Service Service
	// Built is when the catalog was made, to the second: documents
	// generated from it (capabilities) are as old as it is.
	Built   time.Time
	layers  []*Layer
	byName  map[string]*Layer
	sets    []*tiling.TileMatrixSet
	setByID map[string]*tiling.TileMatrixSet
	// groups are the WMS layer groups (see WithGroups).
	groups      []*Group
	groupByName map[string]*Group
	// views caches the catalogs Visible returns, by access key hash; nil
	// when no layer is restricted.
	views *sync.Map
}

// New builds a catalog from layers, in the order given (capabilities keep
// it). It checks that names are unique and that every tileset is usable.
func New(service Service, layers []*Layer) (*Catalog, error) {
	c := &Catalog{Service: service, Built: time.Now().Truncate(time.Second), byName: map[string]*Layer{}, setByID: map[string]*tiling.TileMatrixSet{}}
	for _, l := range layers {
		if l.Name == "" {
			return nil, errors.New("catalog: a layer has no name")
		}
		if _, dup := c.byName[l.Name]; dup {
			return nil, fmt.Errorf("catalog: layer %q is published twice", l.Name)
		}
		if len(l.Tilesets) == 0 && l.Features == nil && l.Raster == "" {
			return nil, fmt.Errorf("catalog: layer %q has neither tiles nor features", l.Name)
		}
		if len(l.Tilesets) > 0 && len(l.Formats) == 0 {
			return nil, fmt.Errorf("catalog: layer %q has no format", l.Name)
		}
		if l.Features != nil && (l.Features.Source == nil || l.Features.Table == "") {
			return nil, fmt.Errorf("catalog: layer %q has features without a store table", l.Name)
		}
		if len(l.Styles) == 0 {
			l.Styles = []Style{{Name: "default", Title: "Default"}}
		}
		for _, ts := range l.Tilesets {
			if err := ts.check(); err != nil {
				return nil, fmt.Errorf("catalog: layer %q: %w", l.Name, err)
			}
			if prev, ok := c.setByID[ts.Set.ID]; ok && prev != ts.Set {
				// Two layers may share a set only through the same value,
				// otherwise capabilities would list two different
				// definitions under one identifier.
				return nil, fmt.Errorf("catalog: layer %q: two different tile matrix sets are named %q", l.Name, ts.Set.ID)
			}
			if _, ok := c.setByID[ts.Set.ID]; !ok {
				c.setByID[ts.Set.ID] = ts.Set
				c.sets = append(c.sets, ts.Set)
			}
		}
		c.byName[l.Name] = l
		c.layers = append(c.layers, l)
	}
	c.withViews()
	return c, nil
}

// Layers returns the layers in publication order. The slice must not be
// modified.
func (c *Catalog) Layers() []*Layer { return c.layers }

// Layer finds a layer by name (names are case-sensitive, as in GeoServer).
func (c *Catalog) Layer(name string) (*Layer, bool) {
	l, ok := c.byName[name]
	return l, ok
}

// Protocol names a service a layer can be published through.
type Protocol string

// The protocols of layers.
const (
	WMTS Protocol = "wmts"
	TMS  Protocol = "tms"
	XYZ  Protocol = "xyz"
	WFS  Protocol = "wfs"
	WMS  Protocol = "wms"
)

// LayersFor returns the layers published through svc, in publication
// order.
func (c *Catalog) LayersFor(svc Protocol) []*Layer {
	var out []*Layer
	for _, l := range c.layers {
		if l.Publishes(svc) {
			out = append(out, l)
		}
	}
	return out
}

// LayerFor finds a layer published through svc; a layer that exists but
// is not published there is not found, so that services never leak it.
func (c *Catalog) LayerFor(svc Protocol, name string) (*Layer, bool) {
	l, ok := c.byName[name]
	if !ok || !l.Publishes(svc) {
		return nil, false
	}
	return l, true
}

// TileMatrixSets returns every set used by at least one layer, in first-use
// order.
func (c *Catalog) TileMatrixSets() []*tiling.TileMatrixSet { return c.sets }

// TileMatrixSet finds a set used by some layer.
func (c *Catalog) TileMatrixSet(id string) (*tiling.TileMatrixSet, bool) {
	s, ok := c.setByID[id]
	return s, ok
}

// Style is a named rendering of a layer. Prebuilt tile caches have one
// style, "default".
type Style struct {
	Name  string
	Title string
}

// MissingTile says what to answer for a tile inside the layer's limits that
// the cache does not hold.
type MissingTile int

const (
	// MissingEmpty answers a transparent image tile (or the layer's
	// background for opaque formats), and 204 No Content for vector tiles:
	// what web maps expect for empty sea or sparse caches.
	MissingEmpty MissingTile = iota
	// MissingNotFound answers 404 Not Found.
	MissingNotFound
)

// Layer is one published layer.
type Layer struct {
	Name        string
	Title       string
	Abstract    string
	Keywords    []string
	Attribution string
	// Bounds is the data extent in WGS84 longitude/latitude.
	Bounds crs.Bounds
	// Formats the layer's tiles are served in; the first is the default.
	Formats []tiling.Format
	// Styles; the first is the default.
	Styles   []Style
	Tilesets []*Tileset
	// MaxAge is the Cache-Control max-age of the layer's tiles.
	MaxAge time.Duration
	// Missing is the policy for tiles inside the limits but not stored.
	Missing MissingTile
	// Background is the colour of empty tiles in opaque formats (RGB).
	Background [3]uint8
	// VectorLayers is the TileJSON vector_layers array of vector layers.
	VectorLayers json.RawMessage
	// ModTime is when the layer's data last changed, for Last-Modified.
	ModTime time.Time
	// Features is the layer's vector data in the store, published over
	// WFS; nil for a tile-only layer.
	Features *Features
	// Services the layer is published through; nil means every service
	// its data can feed (tiles: WMTS, TMS, XYZ; features: WFS and WMS;
	// rasters: WMS).
	Services []Protocol
	// Raster is the path of a raster file (GeoTIFF, COG, anything GDAL
	// opens) rendered by WMS; "" for none.
	Raster string
	// MapStyles are the styles WMS renders the layer with; the first is
	// the default. Empty means the renderer's default style for the
	// geometry type.
	MapStyles []MapStyle
	// AccessKeyHash, when set, restricts the layer to requests carrying
	// the access key of this hash (see Catalog.Visible): without it the
	// layer does not exist on any protocol.
	AccessKeyHash string
}

// MapStyle is a named rendering style of a layer.
type MapStyle struct {
	Name, Title, Abstract string
	Style                 *styles.Style
}

// Publishes tells whether the layer is published through svc: svc must be
// listed (or Services be nil) and the layer must have the data svc needs.
func (l *Layer) Publishes(svc Protocol) bool {
	hasData := len(l.Tilesets) > 0
	switch svc {
	case WFS:
		hasData = l.Features != nil
	case WMS:
		hasData = l.Features != nil || l.Raster != ""
	}
	if !hasData {
		return false
	}
	if l.Services == nil {
		return true
	}
	return slices.Contains(l.Services, svc)
}

// Features locates a layer's features: one table of a store.
type Features struct {
	Source store.Source
	Table  string
}

// Tileset finds the layer's tileset in the set with the given identifier.
func (l *Layer) Tileset(setID string) (*Tileset, bool) {
	for _, ts := range l.Tilesets {
		if ts.Set.ID == setID {
			return ts, true
		}
	}
	return nil, false
}

// Format finds one of the layer's formats by name or extension.
func (l *Layer) Format(name string) (tiling.Format, bool) {
	f, ok := tiling.FormatByName(name)
	if !ok {
		return tiling.Format{}, false
	}
	for _, lf := range l.Formats {
		if lf.Name == f.Name {
			return f, true
		}
	}
	return tiling.Format{}, false
}

// FormatByMediaType finds one of the layer's formats by media type.
func (l *Layer) FormatByMediaType(mt string) (tiling.Format, bool) {
	f, ok := tiling.FormatByMediaType(mt)
	if !ok {
		return tiling.Format{}, false
	}
	for _, lf := range l.Formats {
		if lf.Name == f.Name {
			return f, true
		}
	}
	return tiling.Format{}, false
}

// Style finds one of the layer's styles; "" and "default" name the first.
func (l *Layer) Style(name string) (Style, bool) {
	if name == "" || name == "default" {
		return l.Styles[0], true
	}
	for _, s := range l.Styles {
		if s.Name == name {
			return s, true
		}
	}
	return Style{}, false
}

// Vector tells whether the layer serves vector tiles.
func (l *Layer) Vector() bool { return len(l.Formats) > 0 && l.Formats[0].Vector }

// Tileset is a layer's tiles in one tile matrix set.
type Tileset struct {
	Set *tiling.TileMatrixSet
	// MinZoom and MaxZoom are the zoom indexes with data, inclusive.
	MinZoom, MaxZoom int
	// Bounds is the data extent in the set's CRS.
	Bounds crs.Bounds
	// Limits[z-MinZoom] is the range of tiles at zoom z that intersect
	// Bounds: the WMTS TileMatrixSetLimits.
	Limits   []tiling.TileRange
	Provider tiling.Provider
}

// NewTileset computes the limits of a tileset from its bounds in the set's
// CRS.
func NewTileset(set *tiling.TileMatrixSet, minZoom, maxZoom int, bounds crs.Bounds, p tiling.Provider) (*Tileset, error) {
	ts := &Tileset{Set: set, MinZoom: minZoom, MaxZoom: maxZoom, Bounds: bounds, Provider: p}
	if minZoom < 0 || maxZoom >= len(set.Matrices) || minZoom > maxZoom {
		return nil, fmt.Errorf("tile matrix set %s: zoom range %d-%d is outside 0-%d", set.ID, minZoom, maxZoom, len(set.Matrices)-1)
	}
	for z := minZoom; z <= maxZoom; z++ {
		r := set.Matrices[z].TileRange(bounds)
		if r.Empty() {
			return nil, fmt.Errorf("tile matrix set %s: bounds %v do not meet zoom %d", set.ID, bounds, z)
		}
		ts.Limits = append(ts.Limits, r)
	}
	return ts, nil
}

func (ts *Tileset) check() error {
	if ts.Set == nil || ts.Provider == nil {
		return errors.New("tileset without a tile matrix set or a provider")
	}
	if len(ts.Limits) != ts.MaxZoom-ts.MinZoom+1 {
		return fmt.Errorf("tile matrix set %s: limits do not match the zoom range", ts.Set.ID)
	}
	return nil
}

// Limit returns the range of tiles with data at zoom z, and false when z is
// outside the tileset's zoom range.
func (ts *Tileset) Limit(z int) (tiling.TileRange, bool) {
	if z < ts.MinZoom || z > ts.MaxZoom {
		return tiling.TileRange{}, false
	}
	return ts.Limits[z-ts.MinZoom], true
}

// Contains tells whether k addresses a tile inside the tileset's limits.
func (ts *Tileset) Contains(k tiling.Key) bool {
	r, ok := ts.Limit(k.Z)
	return ok && r.Contains(k.Col, k.Row)
}
