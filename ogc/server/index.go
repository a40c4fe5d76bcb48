package server

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/catalog"
	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
	"github.com/tuiles/tuiles/ogc/wfs"
)

// indexTemplate is the home page: what a person opening the server's URL
// needs to add its layers to a client. html/template escapes every value,
// titles and abstracts included, which come from configuration and MBTiles
// metadata that the operator may not have written.
const indexTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
code { font-size: .9em; }
.muted { color: #666; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Abstract}}<p>{{.}}</p>{{end}}
<p>{{range $i, $s := .Services}}{{if $i}} · {{end}}<a href="{{$s.URL}}">{{$s.Name}}</a>{{end}}</p>
{{if not .Ready}}<p><strong>No catalog is loaded yet.</strong></p>
{{else if not .Layers}}<p>No layer is published.</p>
{{end}}
{{range .Layers}}
<h2 id="{{.Name}}">{{.Title}} <code class="muted">{{.Name}}</code></h2>
{{with .Abstract}}<p>{{.}}</p>{{end}}
<p>Bounds (WGS84 west, south, east, north): {{.Bounds}}<br>
{{with .Formats}}Tile formats: {{.}}<br>
{{end}}{{with .Attribution}}Attribution: {{.}}{{end}}{{with .Links}}<br>
{{range $i, $l := .}}{{if $i}} · {{end}}<a href="{{$l.URL}}">{{$l.Name}}</a>{{end}}{{end}}</p>
{{with .Sets}}<table>
<tr><th>Tile matrix set</th><th>Zoom levels</th><th>Links</th></tr>
{{range .}}<tr>
<td>{{.ID}}</td>
<td>{{.MinZoom}}–{{.MaxZoom}}</td>
<td>{{range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l.URL}}">{{$l.Name}}</a>{{end}}</td>
</tr>
{{end}}</table>
{{end}}{{end}}
</body>
</html>
`

type indexPage struct {
	Title, Abstract string
	Ready           bool
	Services        []indexLink
	Layers          []indexLayer
}

type indexLink struct {
	Name string
	URL  string
}

type indexLayer struct {
	Name, Title, Abstract, Attribution string
	Bounds                             string
	Formats                            string
	Links                              []indexLink
	Sets                               []indexSet
}

type indexSet struct {
	ID               string
	MinZoom, MaxZoom int
	Links            []indexLink
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	var cat *catalog.Catalog
	if s.opts.Catalog != nil {
		cat = s.opts.Catalog.For(r.Context())
	}
	page := s.indexPage(cat, ows.BaseURL(r, s.opts.PublicURL))
	// Rendered to memory first so that a failure is a clean 500 rather
	// than half a page.
	var buf bytes.Buffer
	if err := s.indexTmpl.Execute(&buf, page); err != nil {
		s.log.ErrorContext(r.Context(), "index page", "err", err, "request_id", RequestID(r.Context()))
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page follows the catalog, which a reload may change.
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (s *Server) indexPage(cat *catalog.Catalog, base string) indexPage {
	p := indexPage{Title: "tuiles", Ready: cat != nil}
	if s.opts.WMTS != nil {
		p.Services = append(p.Services, indexLink{"WMTS capabilities", base + "/wmts/1.0.0/WMTSCapabilities.xml"})
	}
	if s.opts.TMS != nil {
		p.Services = append(p.Services, indexLink{"TMS", base + "/tms/1.0.0/"})
	}
	if s.opts.WMS != nil {
		p.Services = append(p.Services, indexLink{"WMS capabilities", base + "/wms?SERVICE=WMS&REQUEST=GetCapabilities"})
	}
	if s.opts.WFS != nil {
		p.Services = append(p.Services, indexLink{"WFS capabilities", base + "/wfs?SERVICE=WFS&REQUEST=GetCapabilities"})
	}
	if cat == nil {
		return p
	}
	if cat.Service.Title != "" {
		p.Title = cat.Service.Title
	}
	p.Abstract = cat.Service.Abstract
	for _, l := range cat.Layers() {
		il := indexLayer{
			Name:        l.Name,
			Title:       l.Title,
			Abstract:    l.Abstract,
			Attribution: l.Attribution,
			Bounds:      fmt.Sprintf("%.4f, %.4f, %.4f, %.4f", l.Bounds.MinX, l.Bounds.MinY, l.Bounds.MaxX, l.Bounds.MaxY),
		}
		if il.Title == "" {
			il.Title = l.Name
		}
		var formats []string
		for _, f := range l.Formats {
			formats = append(formats, f.Name)
		}
		il.Formats = strings.Join(formats, ", ")
		if s.opts.Viewer != nil {
			il.Links = append(il.Links, indexLink{"map viewer", base + "/view/" + url.PathEscape(l.Name)})
		}
		if s.opts.WMTS != nil && l.Publishes(catalog.WMTS) {
			il.Links = append(il.Links, indexLink{"WMTS capabilities", base + "/wmts/1.0.0/WMTSCapabilities.xml"})
		}
		if s.opts.WMS != nil && l.Publishes(catalog.WMS) {
			b := l.Bounds
			il.Links = append(il.Links, indexLink{"WMS map (PNG)", fmt.Sprintf("%s/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=%s&STYLES=&CRS=CRS:84&BBOX=%g,%g,%g,%g&WIDTH=768&HEIGHT=%d&FORMAT=image/png",
				base, url.QueryEscape(l.Name), b.MinX, b.MinY, b.MaxX, b.MaxY, mapHeight(b, 768))})
		}
		if s.opts.WFS != nil && l.Publishes(catalog.WFS) {
			q := "/wfs?SERVICE=WFS&VERSION=2.0.0&TYPENAMES=" + url.QueryEscape(wfs.Prefix+":"+l.Name)
			il.Links = append(il.Links,
				indexLink{"WFS feature type", base + q + "&REQUEST=DescribeFeatureType"},
				indexLink{"first 10 features (GeoJSON)", base + q + "&REQUEST=GetFeature&COUNT=10&OUTPUTFORMAT=application%2Fjson"})
		}
		layerPath := url.PathEscape(l.Name)
		for _, ts := range l.Tilesets {
			is := indexSet{ID: ts.Set.ID, MinZoom: ts.MinZoom, MaxZoom: ts.MaxZoom}
			setPath := url.PathEscape(ts.Set.ID)
			if s.opts.TMS != nil && l.Publishes(catalog.TMS) {
				is.Links = append(is.Links, indexLink{"TMS TileMap", base + "/tms/1.0.0/" + layerPath + "/" + setPath})
			}
			if s.opts.XYZ != nil && l.Publishes(catalog.XYZ) {
				is.Links = append(is.Links, indexLink{"TileJSON", base + "/tiles/" + layerPath + "/" + setPath + "/tiles.json"})
				if len(l.Formats) > 0 && len(ts.Limits) > 0 {
					// A tile near the middle of the data at the coarsest
					// level, so the example shows something.
					lim := ts.Limits[0]
					col, row := (lim.MinCol+lim.MaxCol)/2, (lim.MinRow+lim.MaxRow)/2
					is.Links = append(is.Links, indexLink{"example tile", fmt.Sprintf("%s/tiles/%s/%s/%d/%d/%d.%s", base, layerPath, setPath, ts.MinZoom, col, row, l.Formats[0].Ext)})
				}
			}
			il.Sets = append(il.Sets, is)
		}
		p.Layers = append(p.Layers, il)
	}
	return p
}

func parseIndexTemplate() *template.Template {
	return template.Must(template.New("index").Parse(indexTemplate))
}

// mapHeight keeps an example map's pixels square in longitude/latitude.
func mapHeight(b crs.Bounds, width int) int {
	if b.Empty() {
		return width / 2
	}
	h := int(float64(width) * b.Height() / b.Width())
	return max(16, min(h, 4096))
}
