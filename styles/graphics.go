package styles

import (
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // ExternalGraphic formats
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// MaxGraphicSize bounds the file of an external graphic: point symbols
// are icons, and a style must not make the server hold a photograph per
// symbol.
const MaxGraphicSize = 1 << 20

// MaxGraphicPixels bounds the decoded size of an external graphic.
const MaxGraphicPixels = 1024 * 1024

// LoadGraphics reads the external graphics of every PointSymbolizer of
// st: local files (a relative path or a file: URL, resolved against dir,
// the SLD's directory) in PNG, JPEG or GIF. Remote URLs are refused: a
// map server fetching arbitrary URLs named in styles is a liability, and
// an icon belongs next to its SLD. file names the SLD in errors, which
// carry the element's line. Call it once, before the style is shared.
func LoadGraphics(st *Style, file, dir string) error {
	for _, fts := range st.FeatureTypeStyles {
		for _, rule := range fts.Rules {
			for _, sym := range rule.Symbolizers {
				var g *Graphic
				switch s := sym.(type) {
				case PointSymbolizer:
					// The value shares its ExternalGraphics array with
					// the style, so images land in the style.
					g = &s.Graphic
				case *PointSymbolizer:
					g = &s.Graphic
				default:
					continue
				}
				for i := range g.ExternalGraphics {
					e := &g.ExternalGraphics[i]
					img, err := loadGraphic(e.Href, dir)
					if err != nil {
						return &Error{File: file, Line: e.Line, Path: "ExternalGraphic", Msg: fmt.Sprintf("%s: %v", e.Href, err), Err: ErrInvalid}
					}
					e.Image = withOpacity(img, g.Opacity)
				}
			}
		}
	}
	return nil
}

func loadGraphic(href, dir string) (*image.NRGBA, error) {
	u, err := url.Parse(href)
	if err != nil {
		return nil, err
	}
	path := href
	switch strings.ToLower(u.Scheme) {
	case "":
	case "file":
		path = u.Path
		if u.Opaque != "" {
			path = u.Opaque // file:icons/x.png
		}
	default:
		return nil, fmt.Errorf("remote graphics are not fetched; copy the image next to the SLD and name it by a relative path")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(io.LimitReader(f, MaxGraphicSize))
	if err != nil {
		return nil, fmt.Errorf("not a PNG, JPEG or GIF image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxGraphicPixels {
		return nil, fmt.Errorf("%dx%d pixels is over the %d pixels a graphic may have", cfg.Width, cfg.Height, MaxGraphicPixels)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxGraphicSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxGraphicSize {
		return nil, fmt.Errorf("file larger than %d bytes", MaxGraphicSize)
	}
	img, _, err := image.Decode(strings.NewReader(string(data)))
	if err != nil {
		return nil, fmt.Errorf("not a PNG, JPEG or GIF image: %v", err)
	}
	out := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out, nil
}

// withOpacity scales the alpha of img by opacity (in place).
func withOpacity(img *image.NRGBA, opacity float64) *image.NRGBA {
	if opacity >= 1 {
		return img
	}
	o := math.Max(0, opacity)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = uint8(math.Round(float64(img.Pix[i]) * o))
	}
	return img
}
