package wms

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/render"
)

// legendRequest builds the render request of a layer's legend; the
// layer's geometry type picks the default style of layers without one.
func legendRequest(l *catalog.Layer, rl render.Layer) render.LegendRequest {
	req := render.LegendRequest{Style: rl.Style, GeometryType: "raster"}
	if l.Features != nil {
		if info, err := l.Features.Source.Layer(l.Features.Table); err == nil {
			req.GeometryType = info.GeometryType
		}
	}
	return req
}

func (h *Handler) getLegendGraphic(w http.ResponseWriter, r *http.Request, kvp ows.KVP, version string) {
	c := h.catalog(r.Context())
	g, err := h.parseOptions().ParseGetLegendGraphic(kvp)
	if err != nil {
		h.writeException(w, r, ows.AsError(err), version)
		return
	}
	version = g.Version
	rl, err := mapLayer(c, g.Layer, g.Style)
	if err != nil {
		e := ows.AsError(err)
		// GetLegendGraphic names its parameters in the singular.
		e.Locator = strings.TrimSuffix(e.Locator, "S")
		h.writeException(w, r, e, version)
		return
	}
	l, _ := c.LayerFor(catalog.WMS, g.Layer)
	req := legendRequest(l, rl)
	req.Rule, req.Scale = g.Rule, g.Scale
	req.Width, req.Height = g.Width, g.Height
	req.Transparent = g.Transparent
	if h.o.Renderer == nil {
		h.writeException(w, r, ows.Internal(errors.New("wms: no renderer configured")), version)
		return
	}
	img, err := h.o.Renderer.Legend(r.Context(), req)
	if err != nil {
		if errors.Is(err, render.ErrNoRule) {
			e := ows.InvalidParameter("RULE", "layer %q style %q has no rule %q at this scale", g.Layer, g.Style, g.Rule)
			h.writeException(w, r, e, version)
			return
		}
		h.writeException(w, r, renderError(err), version)
		return
	}
	body, err := h.encode(img, g.Format)
	if err != nil {
		h.writeException(w, r, ows.Internal(err), version)
		return
	}
	write(w, r, http.StatusOK, contentType(g.Format), body)
}

// legendURL is the GetLegendGraphic request of a layer's style, as
// capabilities advertise it.
func legendURL(base, layer, style string) string {
	q := url.Values{}
	q.Set("SERVICE", "WMS")
	q.Set("VERSION", Version130)
	q.Set("REQUEST", "GetLegendGraphic")
	q.Set("FORMAT", string(FormatPNG))
	q.Set("LAYER", layer)
	q.Set("STYLE", style)
	return ows.WithQuery(base, q.Encode())
}
