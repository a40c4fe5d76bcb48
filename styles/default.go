package styles

import (
	"image/color"
	"strings"
)

func defaultFill() Fill {
	return Fill{Color: color.NRGBA{0x80, 0x80, 0x80, 0xff}, Opacity: 1}
}

func defaultStroke() Stroke {
	return Stroke{Color: color.NRGBA{A: 0xff}, Width: 1, Opacity: 1, LineCap: "butt", LineJoin: "miter"}
}

func defaultMark() Mark {
	f, s := defaultFill(), defaultStroke()
	return Mark{WellKnownName: "square", Fill: &f, Stroke: &s}
}

func defaultGraphic() Graphic {
	return Graphic{Marks: []Mark{defaultMark()}, Size: 6, Opacity: 1}
}

// Default returns the style used for a layer without one. geometryType is
// a geometry type name as OGC and GeoPackage spell it (POINT, LINESTRING,
// POLYGON and their MULTI forms, case-insensitive) or "raster"; any other
// type (GEOMETRY, GEOMETRYCOLLECTION, "") gets a style drawing polygons,
// lines and points alike.
func Default(geometryType string) Style {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(geometryType)), "MULTI")
	fill, stroke := defaultFill(), defaultStroke()
	var syms []Symbolizer
	switch t {
	case "POINT":
		syms = []Symbolizer{PointSymbolizer{Graphic: defaultGraphic()}}
	case "LINESTRING", "CURVE", "LINE":
		syms = []Symbolizer{LineSymbolizer{Stroke: stroke}}
	case "POLYGON", "SURFACE":
		syms = []Symbolizer{PolygonSymbolizer{Fill: &fill, Stroke: &stroke}}
	case "RASTER":
		syms = []Symbolizer{RasterSymbolizer{Opacity: 1}}
	default:
		line := defaultStroke()
		syms = []Symbolizer{
			PolygonSymbolizer{Fill: &fill, Stroke: &stroke},
			LineSymbolizer{Stroke: line},
			PointSymbolizer{Graphic: defaultGraphic()},
		}
	}
	return Style{
		Name:              "default",
		Title:             "Default style",
		FeatureTypeStyles: []FeatureTypeStyle{{Rules: []Rule{{Name: "default", Symbolizers: syms}}}},
	}
}
