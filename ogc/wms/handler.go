package wms

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/fogleman/gg"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
	"github.com/tuiles/tuiles/render"
	"github.com/tuiles/tuiles/styles"
)

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	// Catalog gives the layers published through WMS.
	Catalog catalog.Source
	// PublicURL is the base URL clients reach the server at; empty
	// rebuilds it from each request (see ows.BaseURL).
	PublicURL string
	// Renderer draws GetMap requests.
	Renderer *render.Renderer
	// Limits bound requests (maximum size...). Its Layer function is
	// replaced by the catalog lookup.
	Limits Options
	// CRSs are the CRSs offered (such as "EPSG:3857"); empty means
	// Limits.CRSs, or DefaultCRSs. Unparsable entries are skipped.
	CRSs []string
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
}

// Handler serves WMS 1.3.0 and 1.1.1 KVP requests (GET and HEAD), mounted
// at /wms: GetCapabilities, GetMap, GetFeatureInfo and GetLegendGraphic.
type Handler struct {
	o    HandlerOptions
	log  *slog.Logger
	crss []crs.CRS
	png  render.PNGEncoder // reuses compression buffers across responses
}

// NewHandler returns the WMS handler.
func NewHandler(o HandlerOptions) *Handler {
	h := &Handler{o: o, log: o.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, s := range o.CRSs {
		c, err := crs.Parse(s)
		if err != nil {
			h.log.Warn("wms: unknown CRS skipped", "crs", s, "err", err)
			continue
		}
		h.crss = append(h.crss, c)
	}
	if len(h.crss) == 0 {
		h.crss = o.Limits.CRSs
	}
	if len(h.crss) == 0 {
		h.crss = DefaultCRSs()
	}
	return h
}

// negotiate picks the version of a request: VERSION (or the legacy
// WMTVER, which only 1.x clients send and which maps to 1.1.1), 1.3.0 by
// default. Unknown versions get the closest supported one, as WMS version
// negotiation asks for GetCapabilities.
func negotiate(kvp ows.KVP) string {
	v := kvp.Get("VERSION")
	if v == "" {
		if kvp.Get("WMTVER") != "" {
			return Version111
		}
		return Version130
	}
	if v == Version111 || v == Version130 {
		return v
	}
	if v < Version130 {
		return Version111
	}
	return Version130
}

// ServeHTTP answers one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kvp := ows.ParseKVP(r.URL.Query())
	version := negotiate(kvp)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		e := &ows.Error{Code: ows.CodeOperationNotSupported, Status: http.StatusMethodNotAllowed,
			Message: "only GET and HEAD (KVP) requests are supported"}
		h.writeException(w, r, e, version)
		return
	}
	req := kvp.Get("REQUEST")
	svc := kvp.Get("SERVICE")
	isCaps := strings.EqualFold(req, "GetCapabilities") || strings.EqualFold(req, "capabilities")
	if svc == "" && !isCaps {
		h.writeException(w, r, ows.MissingParameter("SERVICE"), version)
		return
	}
	if svc != "" && !strings.EqualFold(svc, "WMS") {
		h.writeException(w, r, ows.InvalidParameter("SERVICE", "service %q is not WMS", svc), version)
		return
	}
	switch {
	case req == "":
		h.writeException(w, r, ows.MissingParameter("REQUEST"), version)
	case isCaps:
		h.capabilities(w, r, version)
	case strings.EqualFold(req, "GetMap") || strings.EqualFold(req, "map"):
		h.getMap(w, r, kvp, version)
	case strings.EqualFold(req, "GetFeatureInfo") || strings.EqualFold(req, "feature_info"):
		h.getFeatureInfo(w, r, kvp, version)
	case strings.EqualFold(req, "GetLegendGraphic"):
		h.getLegendGraphic(w, r, kvp, version)
	default:
		// An unknown operation is the client's mistake: 400, not the
		// 501 of a server lacking a feature.
		e := ows.OperationNotSupported(req)
		e.Locator = "REQUEST"
		e.Status = http.StatusBadRequest
		h.writeException(w, r, e, version)
	}
}

func (h *Handler) catalog(ctx context.Context) *catalog.Catalog {
	if h.o.Catalog == nil {
		return nil
	}
	return h.o.Catalog.For(ctx)
}

func (h *Handler) capabilities(w http.ResponseWriter, r *http.Request, version string) {
	base := ows.WithQuery(ows.BaseURL(r, h.o.PublicURL)+"/wms", ows.KeyQuery(r.Context()))
	in := CapabilitiesInput{
		URL:        base,
		CRSs:       h.crss,
		LayerLimit: h.o.Limits.maxLayers(),
		MaxWidth:   h.o.Limits.maxWidth(),
		MaxHeight:  h.o.Limits.maxHeight(),
	}
	if c := h.catalog(r.Context()); c != nil {
		in.Service = c.Service
		in.Layers = h.layerTree(c, base)
	}
	body, ct := Capabilities130(in), CapabilitiesContentType130
	if version == Version111 {
		body, ct = Capabilities111(in), CapabilitiesContentType111
	}
	tileserve.WriteDocument(w, r, ct, body)
}

// layerTree lists the WMS layers under the root layer: groups with their
// members, in the order of their first member, and ungrouped layers.
func (h *Handler) layerTree(c *catalog.Catalog, base string) []CapabilitiesLayer {
	groupOf := map[string]*catalog.Group{}
	for _, g := range c.Groups() {
		for _, name := range g.Layers {
			groupOf[name] = g
		}
	}
	var out []CapabilitiesLayer
	done := map[*catalog.Group]bool{}
	for _, l := range c.LayersFor(catalog.WMS) {
		g, grouped := groupOf[l.Name]
		if !grouped {
			out = append(out, h.capabilitiesLayer(l, base))
			continue
		}
		if done[g] {
			continue
		}
		done[g] = true
		cg := CapabilitiesLayer{Name: g.Name, Title: g.Title, Abstract: g.Abstract, Keywords: g.Keywords}
		for _, name := range g.Layers {
			if m, ok := c.LayerFor(catalog.WMS, name); ok {
				cg.Children = append(cg.Children, h.capabilitiesLayer(m, base))
			}
		}
		out = append(out, cg)
	}
	return out
}

// capabilitiesLayer describes one layer: its styles with their legends,
// and the scale range its default style draws at.
func (h *Handler) capabilitiesLayer(l *catalog.Layer, base string) CapabilitiesLayer {
	cl := CapabilitiesLayer{Name: l.Name, Title: l.Title, Abstract: l.Abstract, Keywords: l.Keywords, Bounds: l.Bounds,
		Queryable: l.Features != nil || l.Raster != ""}
	type named struct {
		name, title string
		style       *styles.Style
	}
	list := []named{{name: "default", title: "Default"}}
	if len(l.MapStyles) > 0 {
		list = list[:0]
		for _, s := range l.MapStyles {
			list = append(list, named{s.Name, s.Title, s.Style})
		}
	}
	for i, s := range list {
		cs := CapabilitiesStyle{Name: s.name, Title: s.title}
		if h.o.Renderer != nil {
			req := legendRequest(l, render.Layer{Style: s.style})
			if wd, ht, err := h.o.Renderer.LegendSize(req); err == nil {
				cs.LegendURL, cs.LegendWidth, cs.LegendHeight = legendURL(base, l.Name, s.name), wd, ht
			}
		}
		cl.Styles = append(cl.Styles, cs)
		if i == 0 && s.style != nil {
			cl.MinScale, cl.MaxScale = scaleRange(s.style)
		}
	}
	return cl
}

// scaleRange is the range of scale denominators where a style draws
// something: from its smallest rule minimum to its largest rule maximum,
// 0 for an end some rule leaves open.
func scaleRange(st *styles.Style) (minScale, maxScale float64) {
	first := true
	for _, fts := range st.FeatureTypeStyles {
		for _, r := range fts.Rules {
			if first {
				minScale, maxScale, first = r.MinScale, r.MaxScale, false
				continue
			}
			if r.MinScale == 0 || minScale == 0 {
				minScale = 0
			} else {
				minScale = min(minScale, r.MinScale)
			}
			if r.MaxScale == 0 || maxScale == 0 {
				maxScale = 0
			} else {
				maxScale = max(maxScale, r.MaxScale)
			}
		}
	}
	return minScale, maxScale
}

func write(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// writeException answers with the exception report of version, logging
// internal causes.
func (h *Handler) writeException(w http.ResponseWriter, r *http.Request, e *ows.Error, version string) {
	h.log.Log(r.Context(), ows.LogLevel(r, e.Status), "wms: request failed", "url", r.URL.String(), "err", e)
	body, ct, status := ExceptionReport(e, version)
	// 405 and 503 keep their status even in 1.1.1 (which otherwise
	// answers exceptions with 200): clients and proxies act on them.
	if e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusServiceUnavailable {
		status = e.Status
	}
	w.Header().Set("Cache-Control", "no-store")
	write(w, r, status, ct, body)
}

// resolvedLayer is a layer of a map request, ready to draw.
type resolvedLayer struct {
	// name is the layer's; requested is the name in LAYERS (a group's for
	// its members).
	name, requested string
	layer           *catalog.Layer
	render          render.Layer
}

// mapLayers resolves the LAYERS and STYLES of a map request, a layer
// group standing for its members drawn with their default styles.
func mapLayers(c *catalog.Catalog, names, styleNames []string) ([]resolvedLayer, error) {
	var out []resolvedLayer
	for i, name := range names {
		if c != nil {
			if g, ok := c.Group(name); ok {
				if s := styleNames[i]; s != "" && !strings.EqualFold(s, "default") {
					return nil, wmsError(ows.CodeStyleNotDefined, "STYLES", "layer group %q has no style %q (only the default)", name, s)
				}
				for _, member := range g.Layers {
					rl, err := mapLayer(c, member, "")
					if err != nil {
						return nil, err
					}
					l, _ := c.LayerFor(catalog.WMS, member)
					out = append(out, resolvedLayer{name: member, requested: name, layer: l, render: rl})
				}
				continue
			}
		}
		rl, err := mapLayer(c, name, styleNames[i])
		if err != nil {
			return nil, err
		}
		l, _ := c.LayerFor(catalog.WMS, name)
		out = append(out, resolvedLayer{name: name, requested: name, layer: l, render: rl})
	}
	return out, nil
}

// mapLayer resolves a published layer and style for the renderer.
func mapLayer(c *catalog.Catalog, name, style string) (render.Layer, error) {
	var l *catalog.Layer
	ok := false
	if c != nil {
		l, ok = c.LayerFor(catalog.WMS, name)
	}
	if !ok {
		return render.Layer{}, wmsError(ows.CodeLayerNotDefined, "LAYERS", "layer %q is not published", name)
	}
	rl := render.Layer{Raster: l.Raster}
	if l.Features != nil {
		rl.Source, rl.Table = l.Features.Source, l.Features.Table
	}
	var st *styles.Style
	switch {
	case style == "" || strings.EqualFold(style, "default"):
		if len(l.MapStyles) > 0 {
			st = l.MapStyles[0].Style
		}
	default:
		found := false
		for _, s := range l.MapStyles {
			if s.Name == style {
				st, found = s.Style, true
				break
			}
		}
		if !found {
			return render.Layer{}, wmsError(ows.CodeStyleNotDefined, "STYLES", "layer %q has no style %q", name, style)
		}
	}
	rl.Style = st
	return rl, nil
}

func (h *Handler) getMap(w http.ResponseWriter, r *http.Request, kvp ows.KVP, version string) {
	c := h.catalog(r.Context())
	m, err := h.parseOptions().ParseGetMap(kvp)
	if err != nil {
		if m.Version != "" {
			version = m.Version
		}
		h.mapError(w, r, m, ows.AsError(err), version)
		return
	}
	version = m.Version
	req := render.Request{
		CRS: m.CRS, BBox: m.BBox, Width: m.Width, Height: m.Height,
		Background:  color.NRGBA{m.BGColor.R, m.BGColor.G, m.BGColor.B, 0xff},
		Transparent: m.Transparent,
	}
	layers, err := mapLayers(c, m.Layers, m.Styles)
	if err != nil {
		h.mapError(w, r, m, ows.AsError(err), version)
		return
	}
	for _, l := range layers {
		req.Layers = append(req.Layers, l.render)
	}
	if h.o.Renderer == nil {
		h.mapError(w, r, m, ows.Internal(errors.New("wms: no renderer configured")), version)
		return
	}
	img, err := h.o.Renderer.Render(r.Context(), req)
	if err != nil {
		h.mapError(w, r, m, renderError(err), version)
		return
	}
	body, err := h.encode(img, m.Format)
	if err != nil {
		h.mapError(w, r, m, ows.Internal(err), version)
		return
	}
	write(w, r, http.StatusOK, contentType(m.Format), body)
}

// parseOptions are the parsing options of map requests: the configured
// limits and CRSs; layers and styles are resolved from the catalog after
// parsing, by mapLayer.
func (h *Handler) parseOptions() Options {
	opts := h.o.Limits
	opts.CRSs = h.crss
	opts.Layer = nil
	return opts
}

// renderError maps a render failure to the exception answered.
func renderError(err error) *ows.Error {
	switch {
	case errors.Is(err, render.ErrLimit):
		e := ows.InvalidParameter("", "the request exceeds a rendering limit: %s", err.Error())
		e.Err = err
		return e
	case errors.Is(err, render.ErrInvalidRequest):
		e := ows.InvalidParameter("", "the map cannot be drawn as requested")
		e.Err = err
		return e
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable,
			Message: "the map could not be drawn in time; try a smaller area or size", Err: err}
	case errors.Is(err, render.ErrBusy):
		return &ows.Error{Code: ows.CodeNoApplicableCode, Status: http.StatusServiceUnavailable,
			Message: "the server is busy rendering; retry shortly", Err: err}
	}
	return ows.Internal(err)
}

// mapError reports a GetMap error the way EXCEPTIONS asked: XML, the
// message drawn in an image, or a blank image. Images need a valid size
// and format; without them the XML report is sent.
func (h *Handler) mapError(w http.ResponseWriter, r *http.Request, m GetMap, e *ows.Error, version string) {
	if m.Exceptions == ExceptionsXML || m.Width <= 0 || m.Height <= 0 || m.Format == "" {
		h.writeException(w, r, e, version)
		return
	}
	h.log.Log(r.Context(), ows.LogLevel(r, e.Status), "wms: request failed", "url", r.URL.String(), "err", e)
	img := image.NewNRGBA(image.Rect(0, 0, m.Width, m.Height))
	bg := color.NRGBA{m.BGColor.R, m.BGColor.G, m.BGColor.B, 0xff}
	if m.Transparent {
		bg = color.NRGBA{}
	}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R, bg.G, bg.B, bg.A
	}
	if m.Exceptions == ExceptionsInImage {
		dc := gg.NewContextForImage(img)
		dc.SetRGB(0.8, 0, 0)
		text := e.Code + ": " + message(e)
		dc.DrawStringWrapped(text, 4, 4, 0, 0, float64(m.Width)-8, 1.3, gg.AlignLeft)
		if out, ok := dc.Image().(*image.RGBA); ok {
			img = toNRGBA(out)
		}
	}
	body, err := h.encode(img, m.Format)
	if err != nil {
		h.writeException(w, r, ows.Internal(err), version)
		return
	}
	write(w, r, http.StatusOK, contentType(m.Format), body)
}

func toNRGBA(src *image.RGBA) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(x, y, src.At(x, y))
		}
	}
	return dst
}

func (h *Handler) encode(img *image.NRGBA, f Format) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch f {
	case FormatPNG8:
		err = render.EncodePNG8(&b, img)
	case FormatJPEG:
		err = render.EncodeJPEG(&b, img, 85)
	default:
		err = h.png.Encode(&b, img)
	}
	return b.Bytes(), err
}

func contentType(f Format) string {
	switch f {
	case FormatJPEG:
		return "image/jpeg"
	case FormatPNG8:
		// Clients match image/png; the 8-bit mode is a detail of the data.
		return "image/png"
	}
	return "image/png"
}
