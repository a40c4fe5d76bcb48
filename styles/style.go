// Package styles is the style model of tuiles (named styles, feature type
// styles, rules with filters and scale ranges, symbolizers) and its reading
// from OGC Styled Layer Descriptor documents: SLD 1.0.0 and SLD 1.1.0 with
// Symbology Encoding 1.1.0. Both encodings give the same model, so the
// renderer never sees which one a style came from. Nothing here draws.
//
// Every value in the model is resolved: defaults from the specifications
// are filled in at parse time (grey fill, black 1-pixel stroke, square
// marks of size 6, ...), so a renderer reads fields without re-deriving
// defaults. Values are immutable after parsing and safe to share between
// goroutines.
package styles

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/tuiles/tuiles/store/filter"
)

// Sentinel errors wrapped by *Error.
var (
	// ErrInvalid marks a document that is not a valid style.
	ErrInvalid = errors.New("invalid style")
	// ErrUnsupported marks valid SLD/SE that tuiles does not implement.
	ErrUnsupported = errors.New("unsupported style feature")
)

// Error is a located problem in a style document.
type Error struct {
	File   string // name given to Parse
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Path   string // element path from the root, e.g. StyledLayerDescriptor/NamedLayer/...
	Msg    string
	Err    error // ErrInvalid or ErrUnsupported
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrInvalid or ErrUnsupported.
func (e *Error) Unwrap() error { return e.Err }

// StyledLayerDescriptor is a parsed SLD document.
type StyledLayerDescriptor struct {
	Version  string // "1.0.0" or "1.1.0"
	Name     string
	Title    string
	Abstract string
	Layers   []NamedLayer
}

// Lookup returns the style a WMS request names: the UserStyle called
// style of the layer called layer, or with style "" the layer's default
// style (the one flagged IsDefault, else its first). Names are compared
// exactly.
func (d *StyledLayerDescriptor) Lookup(layer, style string) (Style, bool) {
	for _, l := range d.Layers {
		if l.Name != layer {
			continue
		}
		if style == "" {
			return l.DefaultStyle()
		}
		for _, s := range l.Styles {
			if s.Name == style {
				return s.Style, true
			}
		}
	}
	return Style{}, false
}

// NamedLayer is a NamedLayer (or UserLayer) of an SLD with the styles it
// defines for that layer.
type NamedLayer struct {
	Name string
	// Styles are the UserStyles, in document order.
	Styles []NamedStyle
	// References are the names of NamedStyle elements: styles the server
	// is expected to know already.
	References []string
}

// NamedStyle is a UserStyle of a layer.
type NamedStyle struct {
	Style
	IsDefault bool
}

// DefaultStyle returns the layer's style flagged IsDefault, else its first
// one; ok is false when the layer has no UserStyle.
func (l NamedLayer) DefaultStyle() (s Style, ok bool) {
	for _, st := range l.Styles {
		if st.IsDefault {
			return st.Style, true
		}
	}
	if len(l.Styles) > 0 {
		return l.Styles[0].Style, true
	}
	return Style{}, false
}

// Style is a complete style: its feature type styles are drawn in order,
// each one over the previous.
type Style struct {
	Name              string
	Title             string
	Abstract          string
	FeatureTypeStyles []FeatureTypeStyle
}

// FeatureTypeStyle is one rendering pass over the features.
type FeatureTypeStyle struct {
	Name  string
	Rules []Rule
}

// Rule selects features by filter and scale and says how to draw them.
type Rule struct {
	Name     string
	Title    string
	Abstract string
	// Filter is nil when the rule applies to every feature (or is an
	// ElseFilter rule).
	Filter filter.Filter
	// ElseFilter rules apply to the features no other rule of the same
	// FeatureTypeStyle (at the current scale) selected.
	ElseFilter bool
	// MinScale and MaxScale are scale denominators; 0 is unbounded. The
	// rule applies when MinScale <= denominator < MaxScale.
	MinScale, MaxScale float64
	Symbolizers        []Symbolizer
}

// Applies reports whether the rule is active at the given scale
// denominator.
func (r Rule) Applies(scaleDenominator float64) bool {
	if r.MinScale > 0 && scaleDenominator < r.MinScale {
		return false
	}
	if r.MaxScale > 0 && scaleDenominator >= r.MaxScale {
		return false
	}
	return true
}

// Symbolizer is one of PolygonSymbolizer, LineSymbolizer, PointSymbolizer,
// TextSymbolizer and RasterSymbolizer.
type Symbolizer interface{ isSymbolizer() }

func (PolygonSymbolizer) isSymbolizer() {}
func (LineSymbolizer) isSymbolizer()    {}
func (PointSymbolizer) isSymbolizer()   {}
func (TextSymbolizer) isSymbolizer()    {}
func (RasterSymbolizer) isSymbolizer()  {}

// PolygonSymbolizer fills and outlines polygons.
type PolygonSymbolizer struct {
	Fill     *Fill   // nil: no fill
	Stroke   *Stroke // nil: no outline
	Geometry string  // geometry property to draw; "" is the default one
}

// LineSymbolizer strokes lines (and polygon outlines).
type LineSymbolizer struct {
	Stroke Stroke
	// PerpendicularOffset in pixels, positive to the left of the line
	// direction.
	PerpendicularOffset float64
	Geometry            string
}

// PointSymbolizer draws a graphic at points.
type PointSymbolizer struct {
	Graphic  Graphic
	Geometry string
}

// TextSymbolizer draws labels.
type TextSymbolizer struct {
	Label Expression
	Font  Font
	Fill  Fill  // default black
	Halo  *Halo // nil: no halo
	// At most one of PointPlacement and LinePlacement is set; with
	// neither, labels are placed at a point with anchor (0, 0.5).
	PointPlacement *PointPlacement
	LinePlacement  *LinePlacement
	// Priority orders labels in collisions (higher first); zero value when
	// absent.
	Priority Expression
	Geometry string
}

// RasterSymbolizer styles coverages.
type RasterSymbolizer struct {
	Opacity          float64 // default 1
	ColorMap         *ColorMap
	ChannelSelection *ChannelSelection
}

// Fill is a solid fill.
type Fill struct {
	Color   color.NRGBA // alpha always 255; see Opacity
	Opacity float64
}

// Stroke is a line style.
type Stroke struct {
	Color     color.NRGBA // alpha always 255; see Opacity
	Width     float64
	Opacity   float64
	DashArray []float64 // nil: solid
	LineCap   string    // butt, round or square
	LineJoin  string    // miter, round or bevel
}

// Graphic is a point symbol: the first ExternalGraphic the renderer can
// load, else the first Mark.
type Graphic struct {
	Marks            []Mark
	ExternalGraphics []ExternalGraphic
	// Size is the height in pixels; 0 with an external graphic means its
	// native size.
	Size     float64
	Rotation float64 // degrees clockwise
	Opacity  float64
}

// Mark is a well-known shape.
type Mark struct {
	WellKnownName string // circle, square, triangle, star, cross or x
	Fill          *Fill
	Stroke        *Stroke
}

// ExternalGraphic is an image referenced by URL.
type ExternalGraphic struct {
	Href   string
	Format string // MIME type, e.g. image/png
	// Line is where the element starts in the document, for errors.
	Line int
	// Image is the decoded graphic with the Graphic's opacity applied,
	// once LoadGraphics has read it; nil before.
	Image *image.NRGBA
}

// Font selects the label font.
type Font struct {
	Families []string // in order of preference; empty: the renderer's default
	Size     float64  // pixels, default 10
	Weight   string   // normal or bold
	Style    string   // normal, italic or oblique
}

// Halo is an outline around label glyphs.
type Halo struct {
	Radius float64 // default 1
	Fill   Fill    // default white
}

// PointPlacement places a label relative to a point.
type PointPlacement struct {
	AnchorX, AnchorY             float64 // 0..1 of the label box; default 0, 0.5
	DisplacementX, DisplacementY float64 // pixels
	Rotation                     float64 // degrees clockwise
}

// LinePlacement places labels along lines.
type LinePlacement struct {
	PerpendicularOffset float64
}

// ColorMapType says how ColorMap entries map values to colours.
type ColorMapType string

// Colour map types of SLD 1.0 (GeoServer's type attribute).
const (
	ColorMapRamp      ColorMapType = "ramp"      // linear interpolation between entries
	ColorMapIntervals ColorMapType = "intervals" // entry i colours [q(i-1), q(i))
	ColorMapValues    ColorMapType = "values"    // exact quantities only
)

// ColorMap maps single-band values to colours.
type ColorMap struct {
	Type    ColorMapType
	Entries []ColorMapEntry // sorted by Quantity
}

// ColorMapEntry is one stop of a ColorMap.
type ColorMapEntry struct {
	Color    color.NRGBA
	Opacity  float64
	Quantity float64
	Label    string
}

// ChannelSelection picks source bands by name (band numbers as text, "1"
// first). Either Gray or Red/Green/Blue are set.
type ChannelSelection struct {
	Red, Green, Blue, Gray string
}

// Part is one piece of an Expression: a property value, or literal text
// when Property is "".
type Part struct {
	Property string
	Literal  string
}

// Expression is the concatenation of its parts, as SLD labels are mixed
// content of text and ogc:PropertyName / ogc:Literal.
type Expression struct {
	Parts []Part
}

// IsZero reports whether the expression is empty.
func (e Expression) IsZero() bool { return len(e.Parts) == 0 }

// Eval concatenates the parts, reading properties through prop; a missing
// property contributes nothing.
func (e Expression) Eval(prop func(name string) (string, bool)) string {
	var b strings.Builder
	for _, p := range e.Parts {
		if p.Property == "" {
			b.WriteString(p.Literal)
			continue
		}
		if v, ok := prop(p.Property); ok {
			b.WriteString(v)
		}
	}
	return b.String()
}

// String renders the expression for messages, properties in brackets.
func (e Expression) String() string {
	return e.Eval(func(name string) (string, bool) { return "[" + name + "]", true })
}
