package render

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/store"
	"github.com/tuiles/tuiles/styles"
)

// hexView is the view of the hexagon fixture: -5..10°E, 41..51°N in
// EPSG:3857.
func hexView(b *testing.B) crs.Bounds {
	b.Helper()
	tr, err := crs.NewTransformer(crs.WGS84, crs.WebMercator)
	if err != nil {
		b.Fatal(err)
	}
	bbox, err := tr.Bounds(crs.Bounds{MinX: -5, MinY: 41, MaxX: 10, MaxY: 51})
	if err != nil {
		b.Fatal(err)
	}
	return bbox
}

// hexFixture stores 400 hexagons (in EPSG:4326) as table "hexes" and
// their centres as table "centres", each named "P<n>" (property kind).
func hexFixture(b *testing.B) *store.Store {
	b.Helper()
	s := newFixture(b)
	var hexes, centres []store.Feature
	for i := range 20 {
		for j := range 20 {
			cx, cy := -4.5+0.7*float64(i), 41.5+0.45*float64(j)
			var flat []float64
			for k := range 7 {
				a := float64(k%6) * math.Pi / 3
				flat = append(flat, cx+0.3*math.Cos(a), cy+0.2*math.Sin(a))
			}
			props := []any{fmt.Sprintf("P%d", i*20+j), int64(i*20 + j)}
			hexes = append(hexes, store.Feature{Geometry: geom.NewPolygonFlat(geom.XY, flat, []int{len(flat)}), Properties: props})
			centres = append(centres, store.Feature{Geometry: geom.NewPointFlat(geom.XY, []float64{cx, cy}), Properties: props})
		}
	}
	write(b, s, "hexes", "POLYGON", hexes)
	write(b, s, "centres", "POINT", centres)
	return s
}

func hexStyle() *styles.Style {
	return style(styles.Rule{Symbolizers: []styles.Symbolizer{styles.PolygonSymbolizer{
		Fill: fill(color.NRGBA{0x40, 0x80, 0xff, 0xff}), Stroke: stroke(black, 1),
	}}})
}

func benchRender(b *testing.B, size int, layers func(*store.Store) []Layer) {
	s := hexFixture(b)
	r := New(Options{})
	req := Request{CRS: crs.WebMercator, BBox: hexView(b), Width: size, Height: size, Transparent: true, Layers: layers(s)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func hexLayers(s *store.Store) []Layer {
	return []Layer{{Source: s, Table: "hexes", Style: hexStyle()}}
}

// BenchmarkRender256 draws 400 hexagons (stored in EPSG:4326) into a
// 256×256 EPSG:3857 image.
func BenchmarkRender256(b *testing.B) { benchRender(b, 256, hexLayers) }

// BenchmarkRender1024 draws the same 400 hexagons into a 1024×1024 image.
func BenchmarkRender1024(b *testing.B) { benchRender(b, 1024, hexLayers) }

// BenchmarkRenderLabels256 draws the hexagons, then a haloed label
// ("P<n>", 11 px) at each of the 400 centres; collisions drop most of them
// at this size.
func BenchmarkRenderLabels256(b *testing.B) { benchRender(b, 256, labelLayers) }

// BenchmarkRenderLabels1024 is BenchmarkRenderLabels256 at 1024×1024, where
// most labels fit.
func BenchmarkRenderLabels1024(b *testing.B) { benchRender(b, 1024, labelLayers) }

func labelLayers(s *store.Store) []Layer {
	text := style(styles.Rule{Symbolizers: []styles.Symbolizer{styles.TextSymbolizer{
		Label: styles.Expression{Parts: []styles.Part{{Property: "kind"}}},
		Font:  styles.Font{Size: 11, Weight: "normal", Style: "normal"},
		Fill:  styles.Fill{Color: color.NRGBA{0x22, 0x22, 0x22, 0xff}, Opacity: 1},
		Halo:  &styles.Halo{Radius: 1.5, Fill: styles.Fill{Color: white, Opacity: 1}},
	}}})
	return append(hexLayers(s), Layer{Source: s, Table: "centres", Style: text})
}

// benchImage renders the 400-hexagon fixture once, as the image to encode.
func benchImage(b *testing.B, size int) *image.NRGBA {
	b.Helper()
	s := hexFixture(b)
	img, err := New(Options{}).Render(context.Background(), Request{CRS: crs.WebMercator, BBox: hexView(b),
		Width: size, Height: size, Transparent: true, Layers: hexLayers(s)})
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func benchEncode(b *testing.B, size int, enc func(*bytes.Buffer, *image.NRGBA) error) {
	img := benchImage(b, size)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := enc(&buf, img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}

// BenchmarkEncodePNG256 encodes a rendered 256×256 map as 32-bit PNG.
func BenchmarkEncodePNG256(b *testing.B) {
	benchEncode(b, 256, func(w *bytes.Buffer, img *image.NRGBA) error { return EncodePNG(w, img) })
}

// BenchmarkEncodePNG8256 encodes it as 8-bit paletted PNG (quantisation
// included).
func BenchmarkEncodePNG8256(b *testing.B) {
	benchEncode(b, 256, func(w *bytes.Buffer, img *image.NRGBA) error { return EncodePNG8(w, img) })
}

// BenchmarkEncodePNG1024 encodes a rendered 1024×1024 map as 32-bit PNG.
func BenchmarkEncodePNG1024(b *testing.B) {
	benchEncode(b, 1024, func(w *bytes.Buffer, img *image.NRGBA) error { return EncodePNG(w, img) })
}

// BenchmarkDemoDepartements draws the demo départements (with their SLD)
// over France in EPSG:2154 at 256 and 1024 pixels, as the MapServer
// comparison does.
func BenchmarkDemoDepartements(b *testing.B) {
	ctx := context.Background()
	src, err := store.Open(ctx, demoSources, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { src.Close() })
	l := Layer{Source: src, Table: "departements", Style: demoStyle(b, "departements.sld", "departements", "")}
	r := New(Options{})
	for _, size := range []int{256, 1024} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			req := Request{CRS: crs.Lambert93, BBox: crs.Bounds{MinX: 50000, MinY: 6040000, MaxX: 1250000, MaxY: 7140000},
				Width: size, Height: size, Background: color.NRGBA{0xff, 0xff, 0xff, 0xff}, Layers: []Layer{l}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
