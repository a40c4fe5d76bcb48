package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tuiles/tuiles/tiling"

	_ "golang.org/x/image/tiff"
)

// gdalInfo is the part of `gdalinfo -json` the tests read.
type gdalInfo struct {
	Size             []int     `json:"size"`
	GeoTransform     []float64 `json:"geoTransform"`
	CoordinateSystem struct {
		WKT string `json:"wkt"`
	} `json:"coordinateSystem"`
	Bands []struct {
		ColorInterpretation string `json:"colorInterpretation"`
	} `json:"bands"`
}

func readGDALInfo(t *testing.T, source string) gdalInfo {
	t.Helper()
	var info gdalInfo
	out := tool(t, "gdalinfo", "-json", source)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("gdalinfo -json %s: %v\n%s", source, err, out)
	}
	return info
}

// fetchWithGDAL has gdal_translate read exactly the ground area of tile
// (z, col, row) of set at that level's resolution, with nearest-neighbour
// sampling, and returns the image and its georeferencing. If GDAL
// georeferences the service correctly, the pixels are those of the tile.
func fetchWithGDAL(t *testing.T, source, setID string, z, col, row int, openOptions ...string) (image.Image, gdalInfo) {
	t.Helper()
	set, err := tiling.Builtin(setID)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Matrices[z]
	b := m.TileBounds(col, row)
	out := filepath.Join(t.TempDir(), "region.tif")
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	args := []string{"-q", "-r", "nearest",
		"-projwin", f(b.MinX), f(b.MaxY), f(b.MaxX), f(b.MinY),
		"-outsize", strconv.Itoa(m.TileWidth), strconv.Itoa(m.TileHeight)}
	for _, o := range openOptions {
		args = append(args, "-oo", o)
	}
	tool(t, "gdal_translate", append(args, source, out)...)
	info := readGDALInfo(t, out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	// The output's georeferencing is the requested window.
	gt := info.GeoTransform
	tol := m.CellSize / 100
	if math.Abs(gt[0]-b.MinX) > tol || math.Abs(gt[3]-b.MaxY) > tol || math.Abs(gt[1]-m.CellSize) > tol || math.Abs(gt[5]+m.CellSize) > tol {
		t.Errorf("geotransform %v, want origin %v,%v and cell %v", gt, b.MinX, b.MaxY, m.CellSize)
	}
	return img, info
}

// sameImage compares two images pixel by pixel; fully transparent pixels
// match whatever their colour.
func sameImage(t *testing.T, got, want image.Image) {
	t.Helper()
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	diff, opaque := 0, 0
	gb, wb := got.Bounds(), want.Bounds()
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y)).(color.NRGBA)
			if w.A != 0 {
				opaque++
			}
			if g.A == 0 && w.A == 0 {
				continue
			}
			if g != w {
				diff++
			}
		}
	}
	if opaque == 0 {
		t.Fatal("reference tile is empty: the check would prove nothing")
	}
	if diff > 0 {
		if os.Getenv("TUILES_DEBUG_DIR") != "" {
			var a, b bytes.Buffer
			_ = png.Encode(&a, got)
			_ = png.Encode(&b, want)
			_ = os.WriteFile(filepath.Join(os.Getenv("TUILES_DEBUG_DIR"), "got.png"), a.Bytes(), 0o644)
			_ = os.WriteFile(filepath.Join(os.Getenv("TUILES_DEBUG_DIR"), "want.png"), b.Bytes(), 0o644)
		}
		t.Errorf("%d of %d pixels differ from the served tile", diff, wb.Dx()*wb.Dy())
	}
}

func tileImage(t *testing.T, path string) image.Image {
	t.Helper()
	resp, body := get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func wmtsSource(layer, set string) string {
	return fmt.Sprintf("WMTS:%s/wmts?SERVICE=WMTS&REQUEST=GetCapabilities,layer=%s,tilematrixset=%s", demo.base, layer, set)
}

// GDAL lists every layer and tile matrix set of the capabilities.
func TestGDALListsWMTSLayers(t *testing.T) {
	out := tool(t, "gdalinfo", "WMTS:"+demo.base+"/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
	for _, want := range []string{"layer=france,tilematrixset=LAMB93", "layer=france,tilematrixset=WebMercatorQuad", "layer=countries", "layer=world", "layer=countries-vector"} {
		if !strings.Contains(out, want) {
			t.Errorf("gdalinfo does not list %q:\n%s", want, out)
		}
	}
	// The RESTful capabilities URL works too.
	out = tool(t, "gdalinfo", "WMTS:"+demo.base+"/wmts/1.0.0/WMTSCapabilities.xml")
	if !strings.Contains(out, "layer=france,tilematrixset=LAMB93") {
		t.Errorf("RESTful capabilities:\n%s", out)
	}
}

// GDAL georeferences the LAMB93, WorldCRS84Quad and WebMercatorQuad layers:
// a window read at a tile's place and resolution gives that tile's pixels.
func TestGDALGeoreferencesWMTSLayers(t *testing.T) {
	tests := []struct {
		layer, set    string
		z, col, row   int
		crsMarker     string
		boundsMinimum tiling.Bounds // the dataset must cover at least this
	}{
		{"france", "LAMB93", 8, 5, 50, `ID["EPSG",2154]`, tiling.Bounds{MinX: 100000, MinY: 6050000, MaxX: 1240000, MaxY: 7100000}},
		{"france", "WebMercatorQuad", 8, 129, 90, `ID["EPSG",3857]`, tiling.Bounds{MinX: -570000, MinY: 5070000, MaxX: 1060000, MaxY: 6630000}},
		{"countries", "WorldCRS84Quad", 2, 3, 1, `CRS84`, tiling.Bounds{MinX: -179.9, MinY: -85, MaxX: 179.9, MaxY: 83}},
	}
	for _, tt := range tests {
		t.Run(tt.layer+"/"+tt.set, func(t *testing.T) {
			src := wmtsSource(tt.layer, tt.set)
			info := readGDALInfo(t, src)
			if !strings.Contains(info.CoordinateSystem.WKT, tt.crsMarker) {
				t.Errorf("CRS is not %s:\n%s", tt.crsMarker, info.CoordinateSystem.WKT)
			}
			gt := info.GeoTransform
			ext := tiling.Bounds{MinX: gt[0], MaxY: gt[3], MaxX: gt[0] + gt[1]*float64(info.Size[0]), MinY: gt[3] + gt[5]*float64(info.Size[1])}
			if ext.MinX > tt.boundsMinimum.MinX || ext.MinY > tt.boundsMinimum.MinY || ext.MaxX < tt.boundsMinimum.MaxX || ext.MaxY < tt.boundsMinimum.MaxY {
				t.Errorf("GDAL extent %v does not cover the data %v", ext, tt.boundsMinimum)
			}
			// IGN's LAMB93 resolutions are not exact halves of each other, so
			// reading level 8 as an overview of level 21 resamples by a
			// fraction of a pixel; naming the level makes GDAL read the
			// tiles as they are, and the comparison exact.
			got, _ := fetchWithGDAL(t, src, tt.set, tt.z, tt.col, tt.row, "TILEMATRIX="+strconv.Itoa(tt.z))
			want := tileImage(t, fmt.Sprintf("/tiles/%s/%s/%d/%d/%d.png", tt.layer, tt.set, tt.z, tt.col, tt.row))
			sameImage(t, got, want)
		})
	}
}

// GDAL opens a TMS TileMap URL directly, and an XYZ template through its
// WMS driver's TMS minidriver with a top origin.
func TestGDALReadsTMSAndXYZ(t *testing.T) {
	const z, col, row = 8, 129, 90
	want := tileImage(t, fmt.Sprintf("/tiles/france/WebMercatorQuad/%d/%d/%d.png", z, col, row))
	t.Run("TMS", func(t *testing.T) {
		got, info := fetchWithGDAL(t, demo.base+"/tms/1.0.0/france/WebMercatorQuad", "WebMercatorQuad", z, col, row)
		if !strings.Contains(info.CoordinateSystem.WKT, `ID["EPSG",3857]`) {
			t.Errorf("CRS: %s", info.CoordinateSystem.WKT)
		}
		sameImage(t, got, want)
	})
	t.Run("XYZ", func(t *testing.T) {
		xml := `<GDAL_WMS><Service name="TMS"><ServerUrl>` + demo.base + `/tiles/france/WebMercatorQuad/${z}/${x}/${y}.png</ServerUrl></Service>` +
			`<DataWindow><UpperLeftX>-20037508.34</UpperLeftX><UpperLeftY>20037508.34</UpperLeftY><LowerRightX>20037508.34</LowerRightX><LowerRightY>-20037508.34</LowerRightY>` +
			`<TileLevel>8</TileLevel><TileCountX>1</TileCountX><TileCountY>1</TileCountY><YOrigin>top</YOrigin></DataWindow>` +
			`<Projection>EPSG:3857</Projection><BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY><BandsCount>4</BandsCount></GDAL_WMS>`
		path := filepath.Join(t.TempDir(), "xyz.xml")
		if err := os.WriteFile(path, []byte(xml), 0o644); err != nil {
			t.Fatal(err)
		}
		got, _ := fetchWithGDAL(t, path, "WebMercatorQuad", z, col, row)
		sameImage(t, got, want)
	})
}
