package wms

import (
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/ogc/ows"
)

// GetMap is a parsed GetMap request.
type GetMap struct {
	Version string
	// Layers and Styles have the same length; an empty style is the
	// layer's default.
	Layers []string
	Styles []string
	CRS    crs.CRS
	// BBox is in easting/northing (longitude/latitude) order whatever the
	// version and the CRS's axis order.
	BBox          crs.Bounds
	Width, Height int
	Format        Format
	Transparent   bool
	// BGColor is opaque; the default is white.
	BGColor    color.RGBA
	Exceptions Exceptions
}

// GetFeatureInfo is a parsed GetFeatureInfo request: the map it is asked
// about, and the pixel.
type GetFeatureInfo struct {
	Map         GetMap
	QueryLayers []string
	// I and J are the pixel column and row from the top left (X and Y in
	// WMS 1.1.1).
	I, J         int
	InfoFormat   Format
	FeatureCount int
}

// GetLegendGraphic is a parsed GetLegendGraphic request (SLD 1.1.0
// profile of WMS). Zero Width/Height/Scale mean "choose".
type GetLegendGraphic struct {
	Version       string
	Layer         string
	Style         string
	Rule          string
	Format        Format
	Width, Height int
	Scale         float64
	Transparent   bool
}

// ParseGetMap parses a GetMap request with the default Options.
func ParseGetMap(kvp ows.KVP) (GetMap, error) { return Options{}.ParseGetMap(kvp) }

// ParseGetFeatureInfo parses a GetFeatureInfo request with the default Options.
func ParseGetFeatureInfo(kvp ows.KVP) (GetFeatureInfo, error) {
	return Options{}.ParseGetFeatureInfo(kvp)
}

// ParseGetLegendGraphic parses a GetLegendGraphic request with the default Options.
func ParseGetLegendGraphic(kvp ows.KVP) (GetLegendGraphic, error) {
	return Options{}.ParseGetLegendGraphic(kvp)
}

// ParseGetMap parses a GetMap request. Every error is an *ows.Error
// with the exception code of the request's version.
func (o Options) ParseGetMap(kvp ows.KVP) (GetMap, error) {
	return o.parseMap(kvp, true)
}

func (o Options) parseMap(kvp ows.KVP, formatRequired bool) (GetMap, error) {
	var m GetMap
	var err error
	if m.Version, err = parseVersion(kvp); err != nil {
		return m, err
	}
	// The exception mode is read first so that later errors can be
	// reported the way the client asked.
	if m.Exceptions, err = parseExceptions(kvp.Get("EXCEPTIONS")); err != nil {
		return m, err
	}
	if m.Layers, m.Styles, err = o.parseLayers(kvp); err != nil {
		return m, err
	}
	if m.CRS, err = o.parseCRS(kvp, m.Version); err != nil {
		return m, err
	}
	if m.BBox, err = parseBBox(kvp.Get("BBOX"), m.Version, m.CRS); err != nil {
		return m, err
	}
	if m.Width, err = parseSize(kvp, "WIDTH", o.maxWidth()); err != nil {
		return m, err
	}
	if m.Height, err = parseSize(kvp, "HEIGHT", o.maxHeight()); err != nil {
		return m, err
	}
	f := kvp.Get("FORMAT")
	switch {
	case f == "" && formatRequired:
		return m, ows.MissingParameter("FORMAT")
	case f == "":
		m.Format = FormatPNG
	default:
		if m.Format, err = parseImageFormat(f); err != nil {
			return m, err
		}
	}
	if m.Transparent, err = parseBool(kvp, "TRANSPARENT"); err != nil {
		return m, err
	}
	if m.BGColor, err = parseColor(kvp.Get("BGCOLOR")); err != nil {
		return m, err
	}
	return m, nil
}

// ParseGetFeatureInfo parses a GetFeatureInfo request: the map part as in
// GetMap (FORMAT optional), QUERY_LAYERS, I/J (1.3.0) or X/Y (1.1.1),
// INFO_FORMAT and FEATURE_COUNT.
func (o Options) ParseGetFeatureInfo(kvp ows.KVP) (GetFeatureInfo, error) {
	var g GetFeatureInfo
	var err error
	if g.Map, err = o.parseMap(kvp, false); err != nil {
		return g, err
	}
	ql, err := kvp.Required("QUERY_LAYERS")
	if err != nil {
		return g, err
	}
	if n := strings.Count(ql, ",") + 1; n > o.maxLayers() {
		return g, wmsError(ows.CodeInvalidParameterValue, "QUERY_LAYERS", "%d layers asked for; at most %d per request", n, o.maxLayers())
	}
	for name := range strings.SplitSeq(ql, ",") {
		name = strings.TrimSpace(name)
		if name == "" || !slices.Contains(g.Map.Layers, name) {
			return g, wmsError(ows.CodeLayerNotDefined, "QUERY_LAYERS", "layer %q is not among LAYERS", name)
		}
		if o.Layer != nil {
			if l, _ := o.Layer(name); !l.Queryable {
				return g, wmsError(CodeLayerNotQueryable, "QUERY_LAYERS", "layer %q is not queryable", name)
			}
		}
		g.QueryLayers = append(g.QueryLayers, name)
	}
	iName, jName := "I", "J"
	if g.Map.Version == Version111 {
		iName, jName = "X", "Y"
	}
	if g.I, err = parsePixel(kvp, iName, g.Map.Width); err != nil {
		return g, err
	}
	if g.J, err = parsePixel(kvp, jName, g.Map.Height); err != nil {
		return g, err
	}
	switch f := kvp.Get("INFO_FORMAT"); {
	case f == "" && g.Map.Version == Version130:
		return g, ows.MissingParameter("INFO_FORMAT")
	case f == "":
		g.InfoFormat = InfoText
	default:
		i := slices.IndexFunc(InfoFormats(), func(x Format) bool { return strings.EqualFold(string(x), f) })
		if i < 0 {
			return g, wmsError(ows.CodeInvalidFormat, "INFO_FORMAT", "info format %q is not offered", f)
		}
		g.InfoFormat = InfoFormats()[i]
	}
	g.FeatureCount = 1
	if s := kvp.Get("FEATURE_COUNT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return g, ows.InvalidParameter("FEATURE_COUNT", "FEATURE_COUNT %q is not a positive integer", s)
		}
		g.FeatureCount = min(n, o.maxFeatureCount())
	}
	return g, nil
}

// ParseGetLegendGraphic parses a GetLegendGraphic request: LAYER, STYLE,
// RULE, FORMAT, WIDTH, HEIGHT, SCALE, TRANSPARENT. VERSION is optional
// (the SLD profile's own version, SLD_VERSION, is not checked).
func (o Options) ParseGetLegendGraphic(kvp ows.KVP) (GetLegendGraphic, error) {
	var g GetLegendGraphic
	var err error
	g.Version = Version130
	if kvp.Get("VERSION") != "" {
		if g.Version, err = parseVersion(kvp); err != nil {
			return g, err
		}
	}
	if g.Layer, err = kvp.Required("LAYER"); err != nil {
		return g, err
	}
	g.Style = kvp.Get("STYLE")
	if o.Layer != nil {
		l, ok := o.Layer(g.Layer)
		if !ok {
			return g, wmsError(ows.CodeLayerNotDefined, "LAYER", "layer %q is not published", g.Layer)
		}
		if g.Style != "" && !hasStyle(l, g.Style) {
			return g, wmsError(ows.CodeStyleNotDefined, "STYLE", "layer %q has no style %q", g.Layer, g.Style)
		}
	}
	g.Rule = kvp.Get("RULE")
	f, err := kvp.Required("FORMAT")
	if err != nil {
		return g, err
	}
	if g.Format, err = parseImageFormat(f); err != nil {
		return g, err
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"WIDTH", &g.Width, o.maxWidth()}, {"HEIGHT", &g.Height, o.maxHeight()}} {
		if kvp.Get(p.name) == "" {
			continue
		}
		if *p.dst, err = parseSize(kvp, p.name, p.max); err != nil {
			return g, err
		}
	}
	if s := kvp.Get("SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return g, ows.InvalidParameter("SCALE", "SCALE %q is not a positive number", s)
		}
		g.Scale = v
	}
	if g.Transparent, err = parseBool(kvp, "TRANSPARENT"); err != nil {
		return g, err
	}
	return g, nil
}

func parseVersion(kvp ows.KVP) (string, error) {
	v := kvp.Get("VERSION")
	if v == "" {
		// WMS 1.0 spelling, still sent by a few old clients.
		v = kvp.Get("WMTVER")
	}
	switch v {
	case Version130, Version111:
		return v, nil
	case "":
		return "", ows.MissingParameter("VERSION")
	}
	return "", ows.InvalidParameter("VERSION", "version %q is not supported (1.3.0, 1.1.1)", v)
}

func (o Options) parseLayers(kvp ows.KVP) (layers, styles []string, err error) {
	ls, err := kvp.Required("LAYERS")
	if err != nil {
		return nil, nil, err
	}
	if n := strings.Count(ls, ",") + 1; n > o.maxLayers() {
		return nil, nil, wmsError(ows.CodeInvalidParameterValue, "LAYERS", "%d layers asked for; at most %d per request", n, o.maxLayers())
	}
	for name := range strings.SplitSeq(ls, ",") {
		layers = append(layers, strings.TrimSpace(name))
	}
	styles = make([]string, len(layers))
	if s := kvp.Get("STYLES"); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) != len(layers) {
			return nil, nil, wmsError(ows.CodeStyleNotDefined, "STYLES",
				"%d styles for %d layers: STYLES must be empty or name one style (possibly empty) per layer", len(parts), len(layers))
		}
		for i, p := range parts {
			styles[i] = strings.TrimSpace(p)
		}
	}
	for i, name := range layers {
		if name == "" {
			return nil, nil, wmsError(ows.CodeLayerNotDefined, "LAYERS", "empty layer name at position %d", i+1)
		}
		if o.Layer == nil {
			continue
		}
		l, ok := o.Layer(name)
		if !ok {
			return nil, nil, wmsError(ows.CodeLayerNotDefined, "LAYERS", "layer %q is not published", name)
		}
		// "default" is the style name several clients send for the default.
		if styles[i] != "" && !strings.EqualFold(styles[i], "default") && !hasStyle(l, styles[i]) {
			return nil, nil, wmsError(ows.CodeStyleNotDefined, "STYLES", "layer %q has no style %q", name, styles[i])
		}
	}
	return layers, styles, nil
}

func hasStyle(l Layer, name string) bool { return slices.Contains(l.Styles, name) }

func (o Options) parseCRS(kvp ows.KVP, version string) (crs.CRS, error) {
	param, code := "CRS", ows.CodeInvalidCRS
	if version == Version111 {
		param, code = "SRS", ows.CodeInvalidSRS
	}
	s, err := kvp.Required(param)
	if err != nil {
		return crs.CRS{}, err
	}
	c, err := crs.Parse(s)
	if err == nil && len(o.CRSs) > 0 && !slices.Contains(o.CRSs, c) {
		return crs.CRS{}, wmsError(code, param, "%s %q is not offered", param, s)
	}
	if err == nil {
		_, err = crs.Lookup(c)
	}
	if err != nil {
		e := wmsError(code, param, "%s %q is not supported", param, s)
		e.Err = err
		return crs.CRS{}, e
	}
	return c, nil
}

// parseBBox reads BBOX in the axis order of the version and CRS and
// returns it in easting/northing order: WMS 1.3.0 follows the CRS's axis
// order (latitude first for EPSG:4326), WMS 1.1.1 is always x,y.
func parseBBox(s, version string, c crs.CRS) (crs.Bounds, error) {
	if s == "" {
		return crs.Bounds{}, ows.MissingParameter("BBOX")
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return crs.Bounds{}, ows.InvalidParameter("BBOX", "BBOX %q must be four comma-separated numbers", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return crs.Bounds{}, ows.InvalidParameter("BBOX", "BBOX value %q is not a finite number", p)
		}
		v[i] = f
	}
	b := crs.Bounds{MinX: v[0], MinY: v[1], MaxX: v[2], MaxY: v[3]}
	if version == Version130 {
		// parseCRS has looked c up already.
		if info, err := crs.Lookup(c); err == nil && info.NorthingFirst {
			b = crs.Bounds{MinX: v[1], MinY: v[0], MaxX: v[3], MaxY: v[2]}
		}
	}
	if !(b.MaxX > b.MinX && b.MaxY > b.MinY) {
		return crs.Bounds{}, ows.InvalidParameter("BBOX", "BBOX %q has no area: minimum must be below maximum on both axes", s)
	}
	return b, nil
}

func parseSize(kvp ows.KVP, name string, limit int) (int, error) {
	s, err := kvp.Required(name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, ows.InvalidParameter(name, "%s %q is not a positive integer", name, s)
	}
	if n > limit {
		return 0, ows.InvalidParameter(name, "%s %d exceeds the limit of %d", name, n, limit)
	}
	return n, nil
}

func parsePixel(kvp ows.KVP, name string, size int) (int, error) {
	s, err := kvp.Required(name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= size {
		return 0, wmsError(CodeInvalidPoint, name, "%s %q is not a pixel inside the %d-pixel map", name, s, size)
	}
	return n, nil
}

func parseImageFormat(s string) (Format, error) {
	norm := strings.ToLower(strings.Join(strings.Fields(s), ""))
	switch norm {
	case "image/png", "png":
		return FormatPNG, nil
	case "image/png8", "image/png;mode=8bit", "png8":
		return FormatPNG8, nil
	case "image/jpeg", "image/jpg", "jpeg", "jpg":
		return FormatJPEG, nil
	}
	return "", wmsError(ows.CodeInvalidFormat, "FORMAT", "format %q is not offered (image/png, image/png; mode=8bit, image/jpeg)", s)
}

func parseBool(kvp ows.KVP, name string) (bool, error) {
	switch s := kvp.Get(name); {
	case s == "", strings.EqualFold(s, "FALSE"):
		return false, nil
	case strings.EqualFold(s, "TRUE"):
		return true, nil
	default:
		return false, ows.InvalidParameter(name, "%s %q must be TRUE or FALSE", name, s)
	}
}

func parseColor(s string) (color.RGBA, error) {
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	if s == "" {
		return white, nil
	}
	hex, ok := strings.CutPrefix(strings.ToLower(s), "0x")
	if !ok || len(hex) != 6 {
		return white, ows.InvalidParameter("BGCOLOR", "BGCOLOR %q must be 0xRRGGBB", s)
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return white, ows.InvalidParameter("BGCOLOR", "BGCOLOR %q must be 0xRRGGBB", s)
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}, nil
}

func parseExceptions(s string) (Exceptions, error) {
	switch strings.ToLower(s) {
	case "", "xml", "application/vnd.ogc.se_xml", "text/xml":
		return ExceptionsXML, nil
	case "inimage", "application/vnd.ogc.se_inimage":
		return ExceptionsInImage, nil
	case "blank", "application/vnd.ogc.se_blank":
		return ExceptionsBlank, nil
	}
	return ExceptionsXML, ows.InvalidParameter("EXCEPTIONS", "exception format %q is not offered", s)
}
