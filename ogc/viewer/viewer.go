// Package viewer serves a map page per published layer at /view/{layer}:
// OpenLayers (bundled from the npm package by esbuild into dist/, which is
// committed and embedded, so the binary stays self-contained) showing the
// layer through the server's own services, fitted to its bounds, with the
// attributes of what is clicked and the URLs that QGIS and GDAL users
// need. Rebuild the bundle with `make viewer`.
package viewer

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/tileserve"
)

//go:embed dist/viewer.js dist/ol.css
var assets embed.FS

// Options configure the viewer.
type Options struct {
	Catalog   catalog.Source
	PublicURL string
	Logger    *slog.Logger
}

// Handler serves /view/{layer} and /view/assets/.
type Handler struct {
	o    Options
	page *template.Template
	mux  *http.ServeMux
}

// NewHandler returns the viewer.
func NewHandler(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{o: o, page: template.Must(template.New("page").Parse(pageTemplate)), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /view/assets/{file}", h.asset)
	h.mux.HandleFunc("GET /view/{layer}", h.view)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// asset serves the embedded bundle, with an ETag: it changes only with
// the binary.
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	data, err := assets.ReadFile("dist/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	ct := "text/javascript; charset=utf-8"
	if strings.HasSuffix(name, ".css") {
		ct = "text/css; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("ETag", tileserve.ETag(data))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// layerConfig is what the page's script needs of a layer.
type layerConfig struct {
	Name      string     `json:"name"`
	Title     string     `json:"title"`
	Base      string     `json:"base"`
	Bounds    [4]float64 `json:"bounds"`
	WMTS      bool       `json:"wmts"`
	Vector    bool       `json:"vector"`
	Queryable bool       `json:"queryable"`
	MinZoom   int        `json:"minZoom"`
	MaxZoom   int        `json:"maxZoom"`
	APIKey    string     `json:"apikey,omitempty"`
	// Rules are the layer's own style for vector tiles.
	Rules []rule `json:"rules,omitempty"`
}

type link struct{ Name, URL string }

type pageData struct {
	Title, Abstract, Name string
	Config                template.JS
	Links                 []link
	Commands              []string
}

func (h *Handler) view(w http.ResponseWriter, r *http.Request) {
	cat := h.o.Catalog.For(r.Context())
	name := r.PathValue("layer")
	var l *catalog.Layer
	if cat != nil {
		l, _ = cat.Layer(name)
	}
	if l == nil {
		http.Error(w, "no published layer "+name, http.StatusNotFound)
		return
	}
	base := ows.BaseURL(r, h.o.PublicURL)
	cfg := layerConfig{Name: l.Name, Title: l.Title, Base: base, MaxZoom: 20,
		Bounds: [4]float64{l.Bounds.MinX, l.Bounds.MinY, l.Bounds.MaxX, l.Bounds.MaxY}}
	if cfg.Title == "" {
		cfg.Title = l.Name
	}
	if ts, ok := l.Tileset("WebMercatorQuad"); ok {
		cfg.MinZoom, cfg.MaxZoom = ts.MinZoom, ts.MaxZoom
		cfg.Vector = l.Vector() && l.Publishes(catalog.XYZ)
		cfg.WMTS = !l.Vector() && l.Publishes(catalog.WMTS)
	}
	if cfg.Vector {
		cfg.Rules = vectorRules(l)
	}
	cfg.Queryable = l.Publishes(catalog.WMS) && (l.Features != nil || l.Raster != "")
	if l.AccessKeyHash != "" {
		// The page was opened with the key (else the layer would not
		// exist): its requests carry it too.
		cfg.APIKey = r.URL.Query().Get("apikey")
		if cfg.APIKey == "" {
			cfg.APIKey = r.Header.Get("X-API-Key")
		}
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	key := ""
	if cfg.APIKey != "" {
		key = "apikey=KEY&"
	}
	d := pageData{Title: cfg.Title, Abstract: l.Abstract, Name: l.Name, Config: template.JS(js)}
	if l.Publishes(catalog.WMS) {
		d.Links = append(d.Links, link{"WMS capabilities", base + "/wms?" + key + "SERVICE=WMS&REQUEST=GetCapabilities"})
		d.Commands = append(d.Commands, `gdal_translate -outsize 1024 0 "WMS:`+base+"/wms?"+key+"SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS="+url.QueryEscape(l.Name)+`&CRS=EPSG:3857" map.tif`)
	}
	if l.Publishes(catalog.WMTS) && len(l.Tilesets) > 0 {
		d.Links = append(d.Links, link{"WMTS capabilities", base + "/wmts?" + key + "SERVICE=WMTS&REQUEST=GetCapabilities"})
		if !l.Vector() {
			d.Commands = append(d.Commands, `gdalinfo "WMTS:`+base+"/wmts?"+key+`SERVICE=WMTS&REQUEST=GetCapabilities,layer=`+l.Name+`"`)
		}
	}
	if l.Publishes(catalog.WFS) {
		d.Links = append(d.Links, link{"WFS capabilities", base + "/wfs?" + key + "SERVICE=WFS&REQUEST=GetCapabilities"})
		d.Commands = append(d.Commands, `ogr2ogr -f GPKG `+l.Name+`.gpkg "WFS:`+base+"/wfs?"+key+`" tuiles:`+l.Name)
	}
	if l.Publishes(catalog.XYZ) {
		for _, ts := range l.Tilesets {
			d.Links = append(d.Links, link{"TileJSON (" + ts.Set.ID + ")", base + "/tiles/" + url.PathEscape(l.Name) + "/" + url.PathEscape(ts.Set.ID) + "/tiles.json"})
		}
	}
	var b bytes.Buffer
	if err := h.page.Execute(&b, d); err != nil {
		h.o.Logger.Error("viewer page", "layer", l.Name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b.Bytes())
}

// pageTemplate escapes every value (titles come from producers); the
// layer's description is JSON in a script element.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — tuiles</title>
<link rel="stylesheet" href="/view/assets/ol.css">
<style>
body { margin: 0; font-family: system-ui, sans-serif; color: #222; display: grid; grid-template-columns: 1fr 22em; height: 100vh; }
#map { height: 100vh; }
aside { overflow: auto; padding: 0 1em; border-left: 1px solid #ccc; font-size: .9em; }
table { border-collapse: collapse; margin: .5em 0; width: 100%; }
td { border: 1px solid #ddd; padding: .2em .4em; vertical-align: top; word-break: break-word; }
code { font-size: .85em; word-break: break-all; }
</style>
</head>
<body>
<div id="map"></div>
<aside>
<h1>{{.Title}}</h1>
{{with .Abstract}}<p>{{.}}</p>{{end}}
<p><a href="/">All layers</a></p>
<h2>What is here</h2>
<div id="info">Click the map to see the attributes of what is there.</div>
<h2>In QGIS, GDAL and others</h2>
<ul>{{range .Links}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>
{{range .Commands}}<p><code>{{.}}</code></p>{{end}}
</aside>
<script type="application/json" id="layer">{{.Config}}</script>
<script src="/view/assets/viewer.js"></script>
</body>
</html>
`
