package render

import (
	"context"
	"image"
	"math"
	"strconv"

	"github.com/tuiles/tuiles/internal/crs"
	"github.com/tuiles/tuiles/internal/gdal"
	"github.com/tuiles/tuiles/styles"
)

// drawRaster warps the window of the view out of a raster and composes it
// over the canvas.
func (r *Renderer) drawRaster(ctx context.Context, c *canvas, v *view, reqCRS crs.CRS, l Layer) error {
	style := styles.Default("raster")
	if l.Style != nil {
		style = *l.Style
	}
	sym, ok := rasterSymbolizer(style, v.scale)
	if !ok {
		return nil
	}
	ras, err := gdal.OpenRaster(ctx, l.Raster)
	if err != nil {
		return err
	}
	defer ras.Close()
	info := ras.Info()

	req := gdal.WarpRequest{
		DstSRS: reqCRS.String(),
		MinX:   v.bbox.MinX, MinY: v.bbox.MinY, MaxX: v.bbox.MaxX, MaxY: v.bbox.MaxY,
		Width: v.w, Height: v.h,
		Resampling: "near",
	}
	colorMap := sym.ColorMap != nil && len(sym.ColorMap.Entries) > 0
	switch cs := sym.ChannelSelection; {
	case cs != nil && cs.Gray != "":
		req.Bands = []int{band(cs.Gray)}
	case cs != nil && cs.Red != "":
		req.Bands = []int{band(cs.Red), band(cs.Green), band(cs.Blue)}
	case colorMap || info.Bands == 2:
		req.Bands = []int{1}
	case info.Bands > 4:
		req.Bands = []int{1, 2, 3}
	}
	if !colorMap {
		// Photographs and shaded reliefs look better interpolated; value
		// rasters under a colour map must keep exact values.
		req.Resampling = "bilinear"
	}
	res, err := ras.Warp(ctx, req)
	if err != nil {
		return err
	}
	var img *image.NRGBA
	if colorMap && len(res.Bands) == 1 {
		img = applyColorMap(sym.ColorMap, res)
	} else {
		img = res.RGBA()
	}
	if img == nil {
		return nil
	}
	if sym.Opacity < 1 {
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = uint8(math.Round(float64(img.Pix[i]) * max(0, sym.Opacity)))
		}
	}
	c.dc.DrawImage(img, 0, 0)
	return nil
}

// band reads a SLD channel name (a 1-based band number); anything else
// selects band 1.
func band(name string) int {
	if n, err := strconv.Atoi(name); err == nil && n > 0 {
		return n
	}
	return 1
}

func rasterSymbolizer(s styles.Style, scale float64) (styles.RasterSymbolizer, bool) {
	for _, fts := range s.FeatureTypeStyles {
		for _, rule := range fts.Rules {
			if !rule.Applies(scale) {
				continue
			}
			for _, sym := range rule.Symbolizers {
				switch sym := sym.(type) {
				case styles.RasterSymbolizer:
					return sym, true
				case *styles.RasterSymbolizer:
					return *sym, true
				}
			}
		}
	}
	return styles.RasterSymbolizer{}, false
}

// applyColorMap colours a single-band window: ramp interpolates between
// entries (clamping outside them), intervals colours [q(i-1), q(i)) with
// entry i (values past the last quantity are transparent), values colours
// exact quantities only.
func applyColorMap(cm *styles.ColorMap, res *gdal.WarpResult) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, res.Width, res.Height))
	es := cm.Entries
	for i, val := range res.Bands[0] {
		if !res.Valid[i] || math.IsNaN(float64(val)) {
			continue
		}
		x := float64(val)
		var c [4]float64
		found := false
		switch cm.Type {
		case styles.ColorMapIntervals:
			for _, e := range es {
				if x < e.Quantity {
					c, found = entryColour(e), true
					break
				}
			}
		case styles.ColorMapValues:
			for _, e := range es {
				if math.Abs(x-e.Quantity) <= 1e-9*math.Max(1, math.Abs(e.Quantity)) {
					c, found = entryColour(e), true
					break
				}
			}
		default: // ramp
			found = true
			switch {
			case x <= es[0].Quantity:
				c = entryColour(es[0])
			case x >= es[len(es)-1].Quantity:
				c = entryColour(es[len(es)-1])
			default:
				for j := 1; j < len(es); j++ {
					if x <= es[j].Quantity {
						a, b := entryColour(es[j-1]), entryColour(es[j])
						t := 0.0
						if d := es[j].Quantity - es[j-1].Quantity; d > 0 {
							t = (x - es[j-1].Quantity) / d
						}
						for k := range c {
							c[k] = a[k] + t*(b[k]-a[k])
						}
						break
					}
				}
			}
		}
		if !found {
			continue
		}
		p := img.Pix[4*i : 4*i+4 : 4*i+4]
		for k := range p {
			p[k] = uint8(math.Round(max(0, min(255, c[k]))))
		}
	}
	return img
}

func entryColour(e styles.ColorMapEntry) [4]float64 {
	return [4]float64{float64(e.Color.R), float64(e.Color.G), float64(e.Color.B), 255 * max(0, min(1, e.Opacity))}
}
