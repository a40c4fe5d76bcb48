// Package render is the rendering core of tuiles: it turns a map request
// (layers with styles, CRS, bounding box, size, DPI, background) into an
// image, and encodes images as PNG, PNG8 and JPEG.
//
// It speaks bbox + size + CRS only and knows nothing of tiles or protocols:
// WMS and the tilers build a Request and call Renderer.Render. Vector
// features are queried from a store.Source by bounding box, filtered by
// each rule's filter, reprojected to the request CRS, clipped and
// simplified in pixel space and drawn anti-aliased with fogleman/gg, layer
// after layer, feature type style after feature type style (painter's
// algorithm). Labels are collected while drawing and placed after all
// layers, highest priority first, dropping those that would overlap.
// Raster layers are warped by GDAL (internal/gdal) straight into the
// request's grid and styled by their RasterSymbolizer.
package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

// Errors callers compare with errors.Is.
var (
	// ErrInvalidRequest marks a request that cannot be rendered as given
	// (empty bbox, non-positive size, missing source).
	ErrInvalidRequest = errors.New("invalid render request")
	// ErrLimit marks a request over one of the Options limits.
	ErrLimit = errors.New("render limit exceeded")
	// ErrBusy marks a render refused because MaxConcurrent renders are
	// running and MaxQueue more are waiting: answering "retry later" at
	// once beats queueing without bound under a flood.
	ErrBusy = errors.New("renderer busy")
)

// DefaultQueuePerSlot sizes the default queue: at the 20–50 ms a typical
// map takes, 64 waiting renders per slot are served within a second or
// two, far inside the timeout, so a burst of hundreds of clients waits
// instead of being refused, while a flood past it still gets ErrBusy
// at once.
const DefaultQueuePerSlot = 64

// DefaultDPI is the resolution of the OGC standardised rendering pixel
// (0.28 mm × 0.28 mm).
const DefaultDPI = 0.0254 / 0.00028

// Default limits used when Options leaves them at zero.
const (
	DefaultMaxPixels   = 4096 * 4096
	DefaultMaxFeatures = 1_000_000
)

// Request is one map to draw.
type Request struct {
	CRS crs.CRS
	// BBox is in CRS units, easting/northing order whatever the CRS's
	// official axis order (callers swap axes at the protocol edge).
	BBox          crs.Bounds
	Width, Height int
	// DPI scales symbol sizes (stroke widths, marks) by DPI/DefaultDPI and
	// enters the scale denominator; 0 means DefaultDPI.
	DPI float64
	// Background is painted, with its alpha forced to 255, unless
	// Transparent is set; then the image starts fully transparent.
	Background  color.NRGBA
	Transparent bool
	// Layers are drawn in order, each over the previous.
	Layers []Layer
	// LabelArea, when not empty, is the pixel rectangle every label must
	// lie in entirely; others are dropped. A metatile render sets it to
	// the metatile without its buffer, so that no label crosses into the
	// neighbouring metatile, which could not draw the rest of it: labels
	// are then never cut or doubled at metatile borders.
	LabelArea image.Rectangle
}

// Layer is a layer of a request: a vector table of a store, or a raster
// file.
type Layer struct {
	Source store.Source
	Table  string
	// Raster, when set, is the path of a raster GDAL opens (GeoTIFF/COG,
	// VRT...); Source and Table are then ignored. The raster is warped
	// to the request CRS and styled by the first RasterSymbolizer of the
	// rules that apply at the request scale (filters do not apply).
	Raster string
	// Style draws the layer; nil uses styles.Default for the table's
	// geometry type (or "raster").
	Style *styles.Style
}

// Options configures a Renderer. Zero values pick the defaults.
type Options struct {
	Logger *slog.Logger
	// MaxPixels bounds Width*Height (default DefaultMaxPixels).
	MaxPixels int
	// MaxFeatures bounds the features read for one request, all layers
	// together (default DefaultMaxFeatures).
	MaxFeatures int
	// Timeout bounds each Render call (0: only the caller's context);
	// past it Render fails with an error wrapping
	// context.DeadlineExceeded.
	Timeout time.Duration
	// MaxConcurrent bounds the renders running at once (default twice the
	// CPUs) and MaxQueue those waiting for a slot (default
	// DefaultQueuePerSlot times MaxConcurrent; negative: none); beyond,
	// Render fails with ErrBusy. Waiting counts in Timeout.
	MaxConcurrent, MaxQueue int
	// Observe, when set, is told about every map drawn (or failed) by
	// Render, for metrics.
	Observe func(Stats)
}

// Stats describe one Render call.
type Stats struct {
	// Wait is the time spent waiting for a render slot, Draw the time
	// spent drawing once it had one.
	Wait, Draw time.Duration
	// Features counts the features read and drawn, all layers together.
	Features int
	Err      error
}

// Renderer draws requests. It is safe for concurrent use; it holds no
// per-request state.
type Renderer struct {
	log         *slog.Logger
	observe     func(Stats)
	maxPixels   int
	maxFeatures int
	timeout     time.Duration
	trs         crs.Transformers
	fonts       *fonts // nil when the embedded fonts failed to load: no labels
	slots       chan struct{}
	waiting     atomic.Int64
	maxQueue    int64
}

// New returns a Renderer with opts.
func New(opts Options) *Renderer {
	r := &Renderer{log: opts.Logger, observe: opts.Observe, maxPixels: opts.MaxPixels, maxFeatures: opts.MaxFeatures, timeout: opts.Timeout}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.maxPixels <= 0 {
		r.maxPixels = DefaultMaxPixels
	}
	if r.maxFeatures <= 0 {
		r.maxFeatures = DefaultMaxFeatures
	}
	slots := opts.MaxConcurrent
	if slots <= 0 {
		slots = 2 * runtime.GOMAXPROCS(0)
	}
	r.slots = make(chan struct{}, slots)
	switch {
	case opts.MaxQueue < 0:
		r.maxQueue = 0
	case opts.MaxQueue == 0:
		r.maxQueue = int64(DefaultQueuePerSlot * slots)
	default:
		r.maxQueue = int64(opts.MaxQueue)
	}
	f, err := loadFonts()
	if err != nil {
		r.log.Error("render: labels disabled", "err", err)
	} else {
		r.fonts = f
	}
	return r
}

// view is the geometry of the output image in the request CRS.
type view struct {
	bbox       crs.Bounds
	resX, resY float64 // CRS units per pixel
	w, h       int
	scale      float64 // scale denominator
	symScale   float64 // DPI / DefaultDPI
}

func (v *view) toPixel(x, y float64) (float64, float64) {
	return (x - v.bbox.MinX) / v.resX, (v.bbox.MaxY - y) / v.resY
}

// ScaleDenominator returns the OGC scale denominator of a request: the
// bbox width in meters over the image width in meters at the request DPI.
// Geographic CRSs count crs.MetersPerDegree per degree.
func ScaleDenominator(c crs.CRS, bbox crs.Bounds, width int, dpi float64) (float64, error) {
	if dpi <= 0 {
		dpi = DefaultDPI
	}
	info, err := crs.Lookup(c)
	if err != nil {
		return 0, err
	}
	mpu := info.MetersPerUnit
	if info.Geographic || mpu <= 0 {
		mpu = crs.MetersPerDegree
	}
	return bbox.Width() * mpu / (float64(width) * 0.0254 / dpi), nil
}

func (r *Renderer) validate(req *Request) (*view, error) {
	if req.Width <= 0 || req.Height <= 0 {
		return nil, fmt.Errorf("%w: size %dx%d", ErrInvalidRequest, req.Width, req.Height)
	}
	if req.Width > r.maxPixels || req.Height > r.maxPixels || req.Width*req.Height > r.maxPixels {
		return nil, fmt.Errorf("%w: %dx%d is over %d pixels", ErrLimit, req.Width, req.Height, r.maxPixels)
	}
	b := req.BBox
	for _, v := range []float64{b.MinX, b.MinY, b.MaxX, b.MaxY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: bbox %s", ErrInvalidRequest, b)
		}
	}
	if b.Empty() {
		return nil, fmt.Errorf("%w: empty bbox %s", ErrInvalidRequest, b)
	}
	dpi := req.DPI
	if dpi <= 0 || math.IsNaN(dpi) || math.IsInf(dpi, 0) {
		dpi = DefaultDPI
	}
	for i, l := range req.Layers {
		if l.Source == nil && l.Raster == "" {
			return nil, fmt.Errorf("%w: layer %d (%q) has no source", ErrInvalidRequest, i, l.Table)
		}
	}
	scale, err := ScaleDenominator(req.CRS, b, req.Width, dpi)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return &view{
		bbox:     b,
		resX:     b.Width() / float64(req.Width),
		resY:     b.Height() / float64(req.Height),
		w:        req.Width,
		h:        req.Height,
		scale:    scale,
		symScale: dpi / DefaultDPI,
	}, nil
}

// acquire takes a render slot, waiting in the bounded queue; release
// gives it back.
func (r *Renderer) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-r.slots }
	select {
	case r.slots <- struct{}{}:
		return release, nil
	default:
	}
	if r.waiting.Add(1) > r.maxQueue {
		r.waiting.Add(-1)
		return nil, fmt.Errorf("%w: %d renders running and %d waiting", ErrBusy, cap(r.slots), r.maxQueue)
	}
	defer r.waiting.Add(-1)
	select {
	case r.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// withTimeout bounds ctx by the renderer's timeout, if it has one.
func (r *Renderer) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.timeout > 0 {
		return context.WithTimeout(ctx, r.timeout)
	}
	return context.WithCancel(ctx)
}

// Render draws req. The image is in non-premultiplied colours, with
// transparent pixels where nothing was drawn when req.Transparent is set.
// It stops with ctx.Err() when ctx is cancelled.
func (r *Renderer) Render(ctx context.Context, req Request) (img *image.NRGBA, err error) {
	v, err := r.validate(&req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	start := time.Now()
	release, err := r.acquire(ctx)
	if err != nil {
		if r.observe != nil {
			r.observe(Stats{Wait: time.Since(start), Err: err})
		}
		return nil, err
	}
	defer release()
	budget := r.maxFeatures
	if r.observe != nil {
		drawing := time.Now()
		defer func() {
			r.observe(Stats{Wait: drawing.Sub(start), Draw: time.Since(drawing), Features: r.maxFeatures - budget, Err: err})
		}()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := newCanvas(v.w, v.h)
	if !req.Transparent {
		bg := req.Background
		bg.A = 255
		c.fillBackground(bg)
	}
	var lab *labeler
	if r.fonts != nil {
		lab = &labeler{fonts: r.fonts, k: v.symScale, w: v.w, h: v.h, area: req.LabelArea}
	}
	for i, l := range req.Layers {
		if l.Raster != "" {
			if err := r.drawRaster(ctx, c, v, req.CRS, l); err != nil {
				return nil, fmt.Errorf("layer %d (%s): %w", i, l.Raster, err)
			}
			continue
		}
		if err := r.drawLayer(ctx, c, lab, v, req.CRS, l, &budget); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Table, err)
		}
	}
	// Labels go over all geometry, placed across layers together.
	if lab != nil {
		if err := lab.draw(c, ctx.Err); err != nil {
			return nil, err
		}
	}
	return c.image(), nil
}
