package styles

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/tuiles/tuiles/store/filter"
)

const (
	nsFES20 = "http://www.opengis.net/fes/2.0"
)

// ParseFile reads and parses an SLD file; errors name the file's base
// name.
func ParseFile(path string) (*StyledLayerDescriptor, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxInputSize {
		return nil, &Error{File: filepath.Base(path), Msg: fmt.Sprintf("document larger than %d bytes", MaxInputSize), Err: ErrInvalid}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Base(path), data)
}

// Parse decodes an SLD 1.0.0 or SLD 1.1.0 / SE 1.1.0 document. name is
// used in error messages only. Errors are *Error wrapping ErrInvalid or
// ErrUnsupported. Element names are matched by local name, so documents
// that mix the sld and se namespaces as GeoServer and QGIS write them are
// read; GeoServer VendorOption elements are ignored.
func Parse(name string, data []byte) (*StyledLayerDescriptor, error) {
	root, err := decodeTree(name, data)
	if err != nil {
		return nil, err
	}
	p := &parser{file: name, data: data}
	return p.sld(root)
}

type parser struct {
	file string
	data []byte
}

func (p *parser) errf(n *node, format string, args ...any) *Error {
	return p.errAt(n, "", ErrInvalid, format, args...)
}

func (p *parser) unsupported(n *node, format string, args ...any) *Error {
	return p.errAt(n, "", ErrUnsupported, format, args...)
}

func (p *parser) errAt(n *node, suffix string, kind error, format string, args ...any) *Error {
	return &Error{File: p.file, Line: n.line, Column: n.col, Path: path(n) + suffix, Msg: fmt.Sprintf(format, args...), Err: kind}
}

// ignored are known SLD/SE elements that do not change the model.
func ignoredElement(local string) bool {
	switch local {
	case "VendorOption", "LegendGraphic", "Description", "FeatureTypeName",
		"SemanticTypeIdentifier", "Version", "LayerFeatureConstraints",
		"OnlineResource", "IsDefault":
		return true
	}
	return false
}

func (p *parser) unexpected(n *node) error {
	return p.errf(n, "unexpected element %s", n.name.Local)
}

func (p *parser) sld(root *node) (*StyledLayerDescriptor, error) {
	if root.name.Local != "StyledLayerDescriptor" {
		return nil, p.errf(root, "root element is %s, want StyledLayerDescriptor", root.name.Local)
	}
	out := &StyledLayerDescriptor{}
	v, _ := root.attr("version")
	switch v {
	case "1.0.0", "1.1.0":
		out.Version = v
	case "":
		out.Version = "1.0.0"
	default:
		return nil, p.unsupported(root, "version %q (want 1.0.0 or 1.1.0)", v)
	}
	if err := p.noText(root); err != nil {
		return nil, err
	}
	for _, k := range root.elements() {
		switch k.name.Local {
		case "Name":
			out.Name = strings.TrimSpace(k.textContent())
		case "Title":
			out.Title = strings.TrimSpace(k.textContent())
		case "Abstract":
			out.Abstract = strings.TrimSpace(k.textContent())
		case "Description":
			out.Title, out.Abstract = p.description(k)
		case "NamedLayer", "UserLayer":
			l, err := p.layer(k)
			if err != nil {
				return nil, err
			}
			out.Layers = append(out.Layers, l)
		default:
			if !ignoredElement(k.name.Local) {
				return nil, p.unexpected(k)
			}
		}
	}
	if len(out.Layers) == 0 {
		return nil, p.errf(root, "no NamedLayer or UserLayer")
	}
	return out, nil
}

func (p *parser) noText(n *node) error {
	for _, k := range n.kids {
		if k.isText() && len(bytes.TrimSpace(k.text)) != 0 {
			return p.errf(n, "unexpected text %q", clip(string(bytes.TrimSpace(k.text))))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (p *parser) description(n *node) (title, abstract string) {
	for _, k := range n.elements() {
		switch k.name.Local {
		case "Title":
			title = strings.TrimSpace(k.textContent())
		case "Abstract":
			abstract = strings.TrimSpace(k.textContent())
		}
	}
	return title, abstract
}

func (p *parser) layer(n *node) (NamedLayer, error) {
	var l NamedLayer
	if err := p.noText(n); err != nil {
		return l, err
	}
	for _, k := range n.elements() {
		switch k.name.Local {
		case "Name":
			l.Name = strings.TrimSpace(k.textContent())
		case "UserStyle":
			s, err := p.userStyle(k)
			if err != nil {
				return l, err
			}
			l.Styles = append(l.Styles, s)
		case "NamedStyle":
			for _, c := range k.elements() {
				if c.name.Local == "Name" {
					l.References = append(l.References, strings.TrimSpace(c.textContent()))
				}
			}
		case "InlineFeature", "RemoteOWS", "InlineContent":
			return l, p.unsupported(k, "%s is not supported", k.name.Local)
		default:
			if !ignoredElement(k.name.Local) {
				return l, p.unexpected(k)
			}
		}
	}
	if n.name.Local == "NamedLayer" && l.Name == "" {
		return l, p.errf(n, "NamedLayer without Name")
	}
	return l, nil
}

func (p *parser) userStyle(n *node) (NamedStyle, error) {
	var s NamedStyle
	if err := p.noText(n); err != nil {
		return s, err
	}
	for _, k := range n.elements() {
		switch k.name.Local {
		case "Name":
			s.Name = strings.TrimSpace(k.textContent())
		case "Title":
			s.Title = strings.TrimSpace(k.textContent())
		case "Abstract":
			s.Abstract = strings.TrimSpace(k.textContent())
		case "Description":
			s.Title, s.Abstract = p.description(k)
		case "IsDefault":
			switch strings.TrimSpace(k.textContent()) {
			case "1", "true":
				s.IsDefault = true
			case "0", "false":
			default:
				return s, p.errf(k, "%q is not a boolean", clip(strings.TrimSpace(k.textContent())))
			}
		case "FeatureTypeStyle", "CoverageStyle":
			f, err := p.featureTypeStyle(k)
			if err != nil {
				return s, err
			}
			s.FeatureTypeStyles = append(s.FeatureTypeStyles, f)
		default:
			if !ignoredElement(k.name.Local) {
				return s, p.unexpected(k)
			}
		}
	}
	if len(s.FeatureTypeStyles) == 0 {
		return s, p.errf(n, "UserStyle without FeatureTypeStyle")
	}
	return s, nil
}

func (p *parser) featureTypeStyle(n *node) (FeatureTypeStyle, error) {
	var f FeatureTypeStyle
	if err := p.noText(n); err != nil {
		return f, err
	}
	for _, k := range n.elements() {
		switch k.name.Local {
		case "Name":
			f.Name = strings.TrimSpace(k.textContent())
		case "Title", "Abstract", "CoverageName":
		case "Rule":
			r, err := p.rule(k)
			if err != nil {
				return f, err
			}
			f.Rules = append(f.Rules, r)
		case "Transformation":
			return f, p.unsupported(k, "rendering transformations are not supported")
		default:
			if !ignoredElement(k.name.Local) {
				return f, p.unexpected(k)
			}
		}
	}
	if len(f.Rules) == 0 {
		return f, p.errf(n, "%s without Rule", n.name.Local)
	}
	return f, nil
}

func (p *parser) rule(n *node) (Rule, error) {
	var r Rule
	if err := p.noText(n); err != nil {
		return r, err
	}
	var filterNode *node
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Name":
			r.Name = strings.TrimSpace(k.textContent())
		case "Title":
			r.Title = strings.TrimSpace(k.textContent())
		case "Abstract":
			r.Abstract = strings.TrimSpace(k.textContent())
		case "Description":
			r.Title, r.Abstract = p.description(k)
		case "Filter":
			if filterNode != nil {
				return r, p.errf(k, "more than one Filter")
			}
			filterNode = k
			raw := standalone(p.data, k)
			if k.name.Space == nsFES20 {
				r.Filter, err = filter.ParseFES20(raw)
			} else {
				r.Filter, err = filter.ParseFilter11(raw)
			}
			if err != nil {
				return r, p.errf(k, "%v", err)
			}
		case "ElseFilter":
			r.ElseFilter = true
		case "MinScaleDenominator":
			r.MinScale, err = p.number(k, "")
		case "MaxScaleDenominator":
			r.MaxScale, err = p.number(k, "")
		case "PolygonSymbolizer", "LineSymbolizer", "PointSymbolizer", "TextSymbolizer", "RasterSymbolizer":
			var s Symbolizer
			s, err = p.symbolizer(k)
			if err == nil {
				r.Symbolizers = append(r.Symbolizers, s)
			}
		default:
			if !ignoredElement(k.name.Local) {
				return r, p.unexpected(k)
			}
		}
		if err != nil {
			return r, err
		}
	}
	if r.ElseFilter && filterNode != nil {
		return r, p.errf(filterNode, "a Rule cannot have both Filter and ElseFilter")
	}
	if r.MinScale < 0 || r.MaxScale < 0 {
		return r, p.errf(n, "negative scale denominator")
	}
	if r.MinScale > 0 && r.MaxScale > 0 && r.MinScale >= r.MaxScale {
		return r, p.errf(n, "MinScaleDenominator %g is not below MaxScaleDenominator %g", r.MinScale, r.MaxScale)
	}
	if len(r.Symbolizers) == 0 {
		return r, p.errf(n, "Rule without symbolizer")
	}
	return r, nil
}

func (p *parser) symbolizer(n *node) (Symbolizer, error) {
	if err := p.noText(n); err != nil {
		return nil, err
	}
	switch n.name.Local {
	case "PolygonSymbolizer":
		return p.polygon(n)
	case "LineSymbolizer":
		return p.line(n)
	case "PointSymbolizer":
		return p.point(n)
	case "TextSymbolizer":
		return p.text(n)
	default:
		return p.raster(n)
	}
}

// geometry reads <Geometry><ogc:PropertyName>g</ogc:PropertyName></Geometry>.
func (p *parser) geometry(n *node) (string, error) {
	els := n.elements()
	if len(els) == 0 {
		return "", p.errf(n, "Geometry without PropertyName")
	}
	k := els[0]
	if len(els) > 1 || k.name.Local != "PropertyName" && k.name.Local != "ValueReference" {
		return "", p.unsupported(k, "only a property name is supported as Geometry")
	}
	s := strings.TrimSpace(k.textContent())
	if s == "" {
		return "", p.errf(k, "empty property name")
	}
	return s, nil
}

func (p *parser) polygon(n *node) (Symbolizer, error) {
	var s PolygonSymbolizer
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Geometry":
			s.Geometry, err = p.geometry(k)
		case "Fill":
			var f Fill
			f, err = p.fill(k, defaultFill())
			s.Fill = &f
		case "Stroke":
			var st Stroke
			st, err = p.stroke(k)
			s.Stroke = &st
		case "Displacement", "PerpendicularOffset":
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) line(n *node) (Symbolizer, error) {
	s := LineSymbolizer{Stroke: defaultStroke()}
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Geometry":
			s.Geometry, err = p.geometry(k)
		case "Stroke":
			s.Stroke, err = p.stroke(k)
		case "PerpendicularOffset":
			s.PerpendicularOffset, err = p.signed(k, "")
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) point(n *node) (Symbolizer, error) {
	s := PointSymbolizer{Graphic: defaultGraphic()}
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Geometry":
			s.Geometry, err = p.geometry(k)
		case "Graphic":
			s.Graphic, err = p.graphic(k)
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) graphic(n *node) (Graphic, error) {
	g := Graphic{Opacity: 1}
	sizeSet := false
	if err := p.noText(n); err != nil {
		return g, err
	}
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Mark":
			var m Mark
			m, err = p.mark(k)
			g.Marks = append(g.Marks, m)
		case "ExternalGraphic":
			var e ExternalGraphic
			e, err = p.externalGraphic(k)
			g.ExternalGraphics = append(g.ExternalGraphics, e)
		case "Size":
			g.Size, err = p.number(k, "")
			sizeSet = true
		case "Rotation":
			g.Rotation, err = p.signed(k, "")
		case "Opacity":
			g.Opacity, err = p.unit(k, "")
		case "AnchorPoint", "Displacement":
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return g, err
		}
	}
	if len(g.Marks) == 0 && len(g.ExternalGraphics) == 0 {
		g.Marks = []Mark{defaultMark()}
	}
	if !sizeSet && len(g.ExternalGraphics) == 0 {
		g.Size = 6
	}
	return g, nil
}

func wellKnown(name string) bool {
	switch name {
	case "circle", "square", "triangle", "star", "cross", "x":
		return true
	}
	return false
}

func (p *parser) mark(n *node) (Mark, error) {
	m := Mark{WellKnownName: "square"}
	if err := p.noText(n); err != nil {
		return m, err
	}
	hasPaint := false
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "WellKnownName":
			name := strings.ToLower(strings.TrimSpace(k.textContent()))
			if !wellKnown(name) {
				return m, p.unsupported(k, "well-known name %q (supported: circle, square, triangle, star, cross, x)", clip(name))
			}
			m.WellKnownName = name
		case "Fill":
			var f Fill
			f, err = p.fill(k, defaultFill())
			m.Fill = &f
			hasPaint = true
		case "Stroke":
			var st Stroke
			st, err = p.stroke(k)
			m.Stroke = &st
			hasPaint = true
		case "OnlineResource", "InlineContent", "Format", "MarkIndex":
			return m, p.unsupported(k, "marks from external resources are not supported")
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return m, err
		}
	}
	if !hasPaint {
		d := defaultMark()
		m.Fill, m.Stroke = d.Fill, d.Stroke
	}
	return m, nil
}

func (p *parser) externalGraphic(n *node) (ExternalGraphic, error) {
	e := ExternalGraphic{Line: n.line}
	for _, k := range n.elements() {
		switch k.name.Local {
		case "OnlineResource":
			for _, a := range k.attrs {
				if a.Name.Local == "href" {
					e.Href = strings.TrimSpace(a.Value)
				}
			}
			if e.Href == "" {
				return e, p.errf(k, "OnlineResource without xlink:href")
			}
		case "Format":
			e.Format = strings.TrimSpace(k.textContent())
		case "InlineContent":
			return e, p.unsupported(k, "inline graphics are not supported")
		default:
			if !ignoredElement(k.name.Local) {
				return e, p.unexpected(k)
			}
		}
	}
	if e.Href == "" {
		return e, p.errf(n, "ExternalGraphic without OnlineResource")
	}
	if e.Format == "" {
		return e, p.errf(n, "ExternalGraphic without Format")
	}
	return e, nil
}

func (p *parser) text(n *node) (Symbolizer, error) {
	s := TextSymbolizer{
		Font: Font{Size: 10, Weight: "normal", Style: "normal"},
		Fill: Fill{Color: color.NRGBA{A: 255}, Opacity: 1},
	}
	hasLabel := false
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Geometry":
			s.Geometry, err = p.geometry(k)
		case "Label":
			s.Label, err = p.expression(k)
			hasLabel = true
		case "Font":
			s.Font, err = p.font(k)
		case "Fill":
			s.Fill, err = p.fill(k, Fill{Color: color.NRGBA{A: 255}, Opacity: 1})
		case "Halo":
			var h Halo
			h, err = p.halo(k)
			s.Halo = &h
		case "LabelPlacement":
			err = p.labelPlacement(k, &s)
		case "Priority":
			s.Priority, err = p.expression(k)
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !hasLabel || s.Label.IsZero() {
		return nil, p.errf(n, "TextSymbolizer without Label")
	}
	return s, nil
}

// expression reads mixed content: text, ogc:PropertyName, ogc:Literal.
func (p *parser) expression(n *node) (Expression, error) {
	var e Expression
	add := func(part Part) {
		if k := len(e.Parts); part.Property == "" && k > 0 && e.Parts[k-1].Property == "" {
			e.Parts[k-1].Literal += part.Literal
			return
		}
		e.Parts = append(e.Parts, part)
	}
	for _, k := range n.kids {
		if k.isText() {
			// Indentation between elements is layout, not label text.
			if len(bytes.TrimSpace(k.text)) == 0 && bytes.ContainsAny(k.text, "\r\n") {
				continue
			}
			add(Part{Literal: string(k.text)})
			continue
		}
		switch k.name.Local {
		case "PropertyName", "ValueReference":
			name := strings.TrimSpace(k.textContent())
			if name == "" {
				return e, p.errf(k, "empty property name")
			}
			add(Part{Property: name})
		case "Literal":
			if len(k.elements()) > 0 {
				return e, p.unsupported(k, "only text literals are supported")
			}
			add(Part{Literal: k.textContent()})
		default:
			return e, p.unsupported(k, "%s is not supported in expressions (only PropertyName and Literal)", k.name.Local)
		}
	}
	return e, nil
}

func (p *parser) font(n *node) (Font, error) {
	f := Font{Size: 10, Weight: "normal", Style: "normal"}
	err := p.params(n, func(k *node, name, v, sfx string) error {
		switch name {
		case "font-family":
			for _, fam := range strings.Split(v, ",") {
				if fam = strings.Trim(strings.TrimSpace(fam), `"'`); fam != "" {
					f.Families = append(f.Families, fam)
				}
			}
		case "font-size":
			x, err := p.parseNumber(k, sfx, strings.TrimSuffix(v, "px"))
			if err != nil {
				return err
			}
			f.Size = x
		case "font-weight":
			switch strings.ToLower(v) {
			case "normal", "bold":
				f.Weight = strings.ToLower(v)
			default:
				return p.errAt(k, sfx, ErrInvalid, "%q is not normal or bold", clip(v))
			}
		case "font-style":
			switch strings.ToLower(v) {
			case "normal", "italic", "oblique":
				f.Style = strings.ToLower(v)
			default:
				return p.errAt(k, sfx, ErrInvalid, "%q is not normal, italic or oblique", clip(v))
			}
		default:
			return p.errAt(k, sfx, ErrInvalid, "unknown font parameter %q", clip(name))
		}
		return nil
	})
	return f, err
}

func (p *parser) halo(n *node) (Halo, error) {
	h := Halo{Radius: 1, Fill: Fill{Color: color.NRGBA{255, 255, 255, 255}, Opacity: 1}}
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Radius":
			h.Radius, err = p.number(k, "")
		case "Fill":
			h.Fill, err = p.fill(k, h.Fill)
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return h, err
		}
	}
	return h, nil
}

func (p *parser) labelPlacement(n *node, s *TextSymbolizer) error {
	for _, k := range n.elements() {
		switch k.name.Local {
		case "PointPlacement":
			pp := PointPlacement{AnchorX: 0, AnchorY: 0.5}
			for _, c := range k.elements() {
				var err error
				switch c.name.Local {
				case "AnchorPoint":
					pp.AnchorX, pp.AnchorY, err = p.pair(c, "AnchorPointX", "AnchorPointY", pp.AnchorX, pp.AnchorY)
				case "Displacement":
					pp.DisplacementX, pp.DisplacementY, err = p.pair(c, "DisplacementX", "DisplacementY", 0, 0)
				case "Rotation":
					pp.Rotation, err = p.signed(c, "")
				default:
					if !ignoredElement(c.name.Local) {
						err = p.unexpected(c)
					}
				}
				if err != nil {
					return err
				}
			}
			s.PointPlacement, s.LinePlacement = &pp, nil
		case "LinePlacement":
			var lp LinePlacement
			for _, c := range k.elements() {
				var err error
				switch c.name.Local {
				case "PerpendicularOffset":
					lp.PerpendicularOffset, err = p.signed(c, "")
				case "IsRepeated", "InitialGap", "Gap", "IsAligned", "GeneralizeLine":
				default:
					if !ignoredElement(c.name.Local) {
						err = p.unexpected(c)
					}
				}
				if err != nil {
					return err
				}
			}
			s.LinePlacement, s.PointPlacement = &lp, nil
		default:
			if !ignoredElement(k.name.Local) {
				return p.unexpected(k)
			}
		}
	}
	return nil
}

func (p *parser) pair(n *node, xName, yName string, x, y float64) (float64, float64, error) {
	for _, c := range n.elements() {
		var err error
		switch c.name.Local {
		case xName:
			x, err = p.signed(c, "")
		case yName:
			y, err = p.signed(c, "")
		default:
			err = p.unexpected(c)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return x, y, nil
}

func (p *parser) raster(n *node) (Symbolizer, error) {
	s := RasterSymbolizer{Opacity: 1}
	for _, k := range n.elements() {
		var err error
		switch k.name.Local {
		case "Geometry":
			_, err = p.geometry(k)
		case "Opacity":
			s.Opacity, err = p.unit(k, "")
		case "ColorMap":
			var cm ColorMap
			cm, err = p.colorMap(k)
			s.ColorMap = &cm
		case "ChannelSelection":
			var cs ChannelSelection
			cs, err = p.channels(k)
			s.ChannelSelection = &cs
		case "OverlapBehavior", "ContrastEnhancement", "ShadedRelief", "ImageOutline":
		default:
			if !ignoredElement(k.name.Local) {
				err = p.unexpected(k)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) colorMap(n *node) (ColorMap, error) {
	cm := ColorMap{Type: ColorMapRamp}
	if t, ok := n.attr("type"); ok {
		switch ColorMapType(t) {
		case ColorMapRamp, ColorMapIntervals, ColorMapValues:
			cm.Type = ColorMapType(t)
		default:
			return cm, p.errf(n, "type %q is not ramp, intervals or values", clip(t))
		}
	}
	for _, k := range n.elements() {
		switch k.name.Local {
		case "ColorMapEntry":
			e := ColorMapEntry{Opacity: 1}
			c, ok := k.attr("color")
			if !ok {
				return cm, p.errf(k, "ColorMapEntry without color")
			}
			col, err := parseColor(c)
			if err != nil {
				return cm, p.errAt(k, "[color]", ErrInvalid, "%v", err)
			}
			e.Color = col
			if v, ok := k.attr("opacity"); ok {
				if e.Opacity, err = p.parseUnit(k, "[opacity]", v); err != nil {
					return cm, err
				}
			}
			q, ok := k.attr("quantity")
			if !ok {
				return cm, p.errf(k, "ColorMapEntry without quantity")
			}
			if e.Quantity, err = p.parseSigned(k, "[quantity]", q); err != nil {
				return cm, err
			}
			e.Label, _ = k.attr("label")
			cm.Entries = append(cm.Entries, e)
		case "Categorize":
			if len(cm.Entries) > 0 {
				return cm, p.errf(k, "more than one colour map function")
			}
			entries, err := p.categorize(k)
			if err != nil {
				return cm, err
			}
			cm.Type, cm.Entries = ColorMapIntervals, entries
		case "Interpolate":
			if len(cm.Entries) > 0 {
				return cm, p.errf(k, "more than one colour map function")
			}
			entries, err := p.interpolate(k)
			if err != nil {
				return cm, err
			}
			cm.Type, cm.Entries = ColorMapRamp, entries
		default:
			if !ignoredElement(k.name.Local) {
				return cm, p.unexpected(k)
			}
		}
	}
	if len(cm.Entries) == 0 {
		return cm, p.errf(n, "ColorMap without ColorMapEntry")
	}
	if !sort.SliceIsSorted(cm.Entries, func(i, j int) bool { return cm.Entries[i].Quantity < cm.Entries[j].Quantity }) {
		return cm, p.errf(n, "ColorMapEntry quantities are not in increasing order")
	}
	return cm, nil
}

func (p *parser) channels(n *node) (ChannelSelection, error) {
	var cs ChannelSelection
	for _, k := range n.elements() {
		var name string
		for _, c := range k.elements() {
			if c.name.Local == "SourceChannelName" {
				name = strings.TrimSpace(c.textContent())
			}
		}
		if name == "" {
			return cs, p.errf(k, "%s without SourceChannelName", k.name.Local)
		}
		switch k.name.Local {
		case "RedChannel":
			cs.Red = name
		case "GreenChannel":
			cs.Green = name
		case "BlueChannel":
			cs.Blue = name
		case "GrayChannel":
			cs.Gray = name
		default:
			return cs, p.unexpected(k)
		}
	}
	rgb := cs.Red != "" || cs.Green != "" || cs.Blue != ""
	if cs.Gray != "" && rgb {
		return cs, p.errf(n, "GrayChannel together with colour channels")
	}
	if rgb && (cs.Red == "" || cs.Green == "" || cs.Blue == "") {
		return cs, p.errf(n, "RedChannel, GreenChannel and BlueChannel must all be given")
	}
	if !rgb && cs.Gray == "" {
		return cs, p.errf(n, "empty ChannelSelection")
	}
	return cs, nil
}

// params walks CssParameter/SvgParameter children, calling fn with the
// parameter name, its trimmed value and the path suffix "[name]".
func (p *parser) params(n *node, fn func(k *node, name, value, sfx string) error) error {
	if err := p.noText(n); err != nil {
		return err
	}
	for _, k := range n.elements() {
		switch k.name.Local {
		case "CssParameter", "SvgParameter":
			name, ok := k.attr("name")
			if !ok {
				return p.errf(k, "%s without name", k.name.Local)
			}
			sfx := "[" + name + "]"
			v, err := p.paramValue(k, sfx)
			if err != nil {
				return err
			}
			if err := fn(k, name, v, sfx); err != nil {
				return err
			}
		case "GraphicFill", "GraphicStroke":
			return p.unsupported(k, "%s is not supported", k.name.Local)
		default:
			if !ignoredElement(k.name.Local) {
				return p.unexpected(k)
			}
		}
	}
	return nil
}

// paramValue is the text of a parameter, accepting an ogc:Literal child.
func (p *parser) paramValue(k *node, sfx string) (string, error) {
	var b strings.Builder
	for _, c := range k.kids {
		if c.isText() {
			b.Write(c.text)
			continue
		}
		if c.name.Local != "Literal" {
			return "", p.errAt(c, "", ErrUnsupported, "%s in a parameter is not supported (only literal values)", c.name.Local)
		}
		b.WriteString(c.textContent())
	}
	v := strings.TrimSpace(b.String())
	if v == "" {
		return "", p.errAt(k, sfx, ErrInvalid, "empty value")
	}
	return v, nil
}

func (p *parser) fill(n *node, f Fill) (Fill, error) {
	err := p.params(n, func(k *node, name, v, sfx string) error {
		var err error
		switch name {
		case "fill":
			f.Color, err = parseColor(v)
			if err != nil {
				return p.errAt(k, sfx, ErrInvalid, "%v", err)
			}
		case "fill-opacity":
			f.Opacity, err = p.parseUnit(k, sfx, v)
		default:
			return p.errAt(k, sfx, ErrInvalid, "unknown fill parameter %q", clip(name))
		}
		return err
	})
	return f, err
}

func (p *parser) stroke(n *node) (Stroke, error) {
	s := defaultStroke()
	err := p.params(n, func(k *node, name, v, sfx string) error {
		var err error
		switch name {
		case "stroke":
			s.Color, err = parseColor(v)
			if err != nil {
				return p.errAt(k, sfx, ErrInvalid, "%v", err)
			}
		case "stroke-width":
			s.Width, err = p.parseNumber(k, sfx, v)
		case "stroke-opacity":
			s.Opacity, err = p.parseUnit(k, sfx, v)
		case "stroke-dasharray":
			s.DashArray = nil
			sum := 0.0
			for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' }) {
				x, err := p.parseNumber(k, sfx, f)
				if err != nil {
					return err
				}
				sum += x
				s.DashArray = append(s.DashArray, x)
			}
			if sum == 0 {
				return p.errAt(k, sfx, ErrInvalid, "dash array %q has no positive length", clip(v))
			}
		case "stroke-dashoffset":
			_, err = p.parseSigned(k, sfx, v)
		case "stroke-linecap":
			switch v {
			case "butt", "round", "square":
				s.LineCap = v
			default:
				return p.errAt(k, sfx, ErrInvalid, "%q is not butt, round or square", clip(v))
			}
		case "stroke-linejoin":
			switch v {
			case "mitre", "miter":
				s.LineJoin = "miter"
			case "round", "bevel":
				s.LineJoin = v
			default:
				return p.errAt(k, sfx, ErrInvalid, "%q is not mitre, round or bevel", clip(v))
			}
		default:
			return p.errAt(k, sfx, ErrInvalid, "unknown stroke parameter %q", clip(name))
		}
		return err
	})
	return s, err
}

// number reads a finite non-negative number from an element's text
// (possibly an ogc:Literal).
func (p *parser) number(n *node, sfx string) (float64, error) {
	v, err := p.paramValue(n, sfx)
	if err != nil {
		return 0, err
	}
	return p.parseNumber(n, sfx, v)
}

func (p *parser) signed(n *node, sfx string) (float64, error) {
	v, err := p.paramValue(n, sfx)
	if err != nil {
		return 0, err
	}
	return p.parseSigned(n, sfx, v)
}

func (p *parser) unit(n *node, sfx string) (float64, error) {
	v, err := p.paramValue(n, sfx)
	if err != nil {
		return 0, err
	}
	return p.parseUnit(n, sfx, v)
}

func (p *parser) parseSigned(n *node, sfx, v string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, p.errAt(n, sfx, ErrInvalid, "%q is not a number", clip(v))
	}
	return x, nil
}

func (p *parser) parseNumber(n *node, sfx, v string) (float64, error) {
	x, err := p.parseSigned(n, sfx, v)
	if err != nil {
		return 0, err
	}
	if x < 0 {
		return 0, p.errAt(n, sfx, ErrInvalid, "%q is negative", clip(v))
	}
	return x, nil
}

func (p *parser) parseUnit(n *node, sfx, v string) (float64, error) {
	x, err := p.parseSigned(n, sfx, v)
	if err != nil {
		return 0, err
	}
	if x < 0 || x > 1 {
		return 0, p.errAt(n, sfx, ErrInvalid, "opacity %q is not between 0 and 1", clip(v))
	}
	return x, nil
}

// parseColor reads #RRGGBB or #RGB.
func parseColor(s string) (color.NRGBA, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a colour (#RRGGBB or #RGB)", clip(s))
	if len(s) != 7 && len(s) != 4 || s[0] != '#' {
		return color.NRGBA{}, bad
	}
	h := s[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.NRGBA{}, bad
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}

// categorize reads an SE 1.1 Categorize function as intervals: the value
// before the first threshold colours everything below it, the last one
// everything from the last threshold up (quantity +Inf).
func (p *parser) categorize(n *node) ([]ColorMapEntry, error) {
	var out []ColorMapEntry
	var pending *ColorMapEntry
	for _, k := range n.elements() {
		switch k.name.Local {
		case "LookupValue":
		case "Value":
			if pending != nil {
				return nil, p.errf(k, "two Values without a Threshold between them")
			}
			v, err := p.paramValue(k, "")
			if err != nil {
				return nil, err
			}
			c, err := parseColor(v)
			if err != nil {
				return nil, p.errf(k, "%v", err)
			}
			pending = &ColorMapEntry{Color: c, Opacity: 1}
		case "Threshold":
			if pending == nil {
				return nil, p.errf(k, "Threshold without a Value before it")
			}
			q, err := p.signed(k, "")
			if err != nil {
				return nil, err
			}
			pending.Quantity = q
			out = append(out, *pending)
			pending = nil
		default:
			return nil, p.unexpected(k)
		}
	}
	if pending == nil {
		return nil, p.errf(n, "Categorize must end with a Value")
	}
	pending.Quantity = math.Inf(1)
	return append(out, *pending), nil
}

// interpolate reads an SE 1.1 linear colour Interpolate function as a ramp.
func (p *parser) interpolate(n *node) ([]ColorMapEntry, error) {
	if m, ok := n.attr("mode"); ok && m != "linear" {
		return nil, p.unsupported(n, "interpolation mode %q (only linear)", clip(m))
	}
	if m, ok := n.attr("method"); ok && m != "color" {
		return nil, p.unsupported(n, "interpolation method %q (only color)", clip(m))
	}
	var out []ColorMapEntry
	for _, k := range n.elements() {
		switch k.name.Local {
		case "LookupValue":
		case "InterpolationPoint":
			e := ColorMapEntry{Opacity: 1}
			var hasData, hasValue bool
			for _, c := range k.elements() {
				switch c.name.Local {
				case "Data":
					q, err := p.signed(c, "")
					if err != nil {
						return nil, err
					}
					e.Quantity, hasData = q, true
				case "Value":
					v, err := p.paramValue(c, "")
					if err != nil {
						return nil, err
					}
					if e.Color, err = parseColor(v); err != nil {
						return nil, p.errf(c, "%v", err)
					}
					hasValue = true
				default:
					return nil, p.unexpected(c)
				}
			}
			if !hasData || !hasValue {
				return nil, p.errf(k, "InterpolationPoint needs Data and Value")
			}
			out = append(out, e)
		default:
			return nil, p.unexpected(k)
		}
	}
	if len(out) == 0 {
		return nil, p.errf(n, "Interpolate without InterpolationPoint")
	}
	return out, nil
}
