package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuiles/tuiles/internal/xmlvalid"
)

func wmsImage(t *testing.T, query string) image.Image {
	t.Helper()
	resp, body := get(t, "/wms?SERVICE=WMS&REQUEST=GetMap&FORMAT=image/png&STYLES=&"+query)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("%s: %d %s: %.300s", query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// WMS 1.3.0 EPSG:4326 (lat/lon) and 1.1.1 EPSG:4326 (lon/lat) for the same
// area give the same image, and it shows France where France is.
func TestWMSAxisOrder(t *testing.T) {
	a := wmsImage(t, "VERSION=1.3.0&LAYERS=departements&CRS=EPSG:4326&BBOX=41,-5.5,51.5,10&WIDTH=300&HEIGHT=200")
	b := wmsImage(t, "VERSION=1.1.1&LAYERS=departements&SRS=EPSG:4326&BBOX=-5.5,41,10,51.5&WIDTH=300&HEIGHT=200")
	c := wmsImage(t, "VERSION=1.3.0&LAYERS=departements&CRS=CRS:84&BBOX=-5.5,41,10,51.5&WIDTH=300&HEIGHT=200")
	sameImage(t, a, b)
	sameImage(t, a, c)
	// Paris (2.35 E, 48.85 N) is in Île-de-France, filled orange by the
	// demo style; the Bay of Biscay (-4 E, 45 N) is empty.
	px := func(lon, lat float64) color.NRGBA {
		x := int((lon + 5.5) / 15.5 * 300)
		y := int((51.5 - lat) / 10.5 * 200)
		return color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA)
	}
	// Île-de-France is a few pixels wide here, so its outline blends in:
	// check the hue (orange: red over green over blue) rather than the
	// exact fill; the other départements are green (#bcd4a6).
	if p := px(2.1, 48.7); !(p.R > p.G+30 && p.G > p.B+20) {
		t.Errorf("Île-de-France pixel %v, want the orange fill #f4a259", p)
	}
	if p := px(2.5, 46.5); !(p.G > p.R && p.G > p.B) {
		t.Errorf("central France pixel %v, want the green fill #bcd4a6", p)
	}
	if p := px(-4, 45); p.A != 255 || p.R != 255 || p.G != 255 || p.B != 255 {
		t.Errorf("sea pixel %v, want the white background", p)
	}
}

func TestWMSCapabilitiesValidate(t *testing.T) {
	_, caps13 := get(t, "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
	xmlvalid.Validate(t, caps13, "wms/1.3.0/capabilities_1_3_0.xsd", "sld/1.1.0/sld_capabilities.xsd")
	_, caps11 := get(t, "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.1.1")
	xmlvalid.ValidateDTD(t, caps11)
	for _, layer := range []string{"departements", "countries", "world-raster", "departement_points"} {
		if !bytes.Contains(caps13, []byte("<Name>"+layer+"</Name>")) {
			t.Errorf("1.3.0 capabilities lack layer %s", layer)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden images in testdata/golden")

// goldenWMS is the map the WMS golden image holds: the départements (demo
// style) over France in EPSG:4326.
const goldenWMS = "VERSION=1.1.1&LAYERS=departements&SRS=EPSG:4326&BBOX=-5.5,41,10,51.5&WIDTH=300&HEIGHT=200&TRANSPARENT=TRUE"

// closeImages reports how many pixels of a and b differ by more than tol
// in some channel (fully transparent pixels are equal whatever their
// colour), and fails when more than maxShare of them do.
func closeImages(t *testing.T, what string, a, b image.Image, tol int, maxShare float64) {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("%s: size %v, want %v", what, a.Bounds().Size(), b.Bounds().Size())
	}
	w, h := b.Bounds().Dx(), b.Bounds().Dy()
	diff, drawn := 0, 0
	for y := range h {
		for x := range w {
			p := color.NRGBAModel.Convert(a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y)).(color.NRGBA)
			q := color.NRGBAModel.Convert(b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)).(color.NRGBA)
			if q.A != 0 {
				drawn++
			}
			if p.A == 0 && q.A == 0 {
				continue
			}
			d := func(u, v uint8) bool { return int(u)-int(v) > tol || int(v)-int(u) > tol }
			if d(p.R, q.R) || d(p.G, q.G) || d(p.B, q.B) || d(p.A, q.A) {
				diff++
			}
		}
	}
	if drawn < w*h/10 {
		t.Fatalf("%s: the golden image is nearly empty: the check would prove nothing", what)
	}
	if float64(diff) > maxShare*float64(w*h) {
		t.Errorf("%s: %d of %d pixels differ by more than %d", what, diff, w*h, tol)
	}
}

// The served map matches the committed golden image (regenerate on
// purpose with go test ./integration -run TestGDALWMS -update), and
// GDAL's WMS driver fetches a georeferenced image with the same content.
func TestGDALWMS(t *testing.T) {
	served := wmsImage(t, goldenWMS)
	golden := filepath.Join("testdata", "golden", "wms-departements-epsg4326.png")
	if *update {
		var b bytes.Buffer
		if err := png.Encode(&b, served); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readPNG(t, golden)
	// Labels and anti-aliasing may move by a pixel between font or
	// library versions; the map itself may not.
	closeImages(t, "served map vs golden", served, want, 16, 0.01)

	dir := t.TempDir()
	out := filepath.Join(dir, "wms.png")
	src := "WMS:" + demo.base + "/wms?SERVICE=WMS&REQUEST=GetMap&FORMAT=image/png&STYLES=&" + goldenWMS
	tool(t, "gdal_translate", "-q", "-of", "PNG", "-projwin", "-5.5", "51.5", "10", "41", "-outsize", "300", "200", src, out)
	info := readGDALInfo(t, out)
	gt := info.GeoTransform
	if d := gt[0] + 5.5; d*d > 1e-6 || (gt[3]-51.5)*(gt[3]-51.5) > 1e-6 {
		t.Errorf("geotransform %v, want origin -5.5, 51.5", gt)
	}
	if !strings.Contains(info.CoordinateSystem.WKT, `ID["EPSG",4326]`) {
		t.Errorf("CRS %s", info.CoordinateSystem.WKT)
	}
	// The same map through a service description whose block is the
	// whole map: GDAL asks for exactly the golden's request and must get
	// its pixels.
	xmlPath := filepath.Join(dir, "wms.xml")
	desc := `<GDAL_WMS><Service name="WMS"><Version>1.1.1</Version><ServerUrl>` + demo.base + `/wms?</ServerUrl>` +
		`<SRS>EPSG:4326</SRS><ImageFormat>image/png</ImageFormat><Layers>departements</Layers><Transparent>TRUE</Transparent></Service>` +
		`<DataWindow><UpperLeftX>-5.5</UpperLeftX><UpperLeftY>51.5</UpperLeftY><LowerRightX>10</LowerRightX><LowerRightY>41</LowerRightY>` +
		`<SizeX>300</SizeX><SizeY>200</SizeY></DataWindow><BandsCount>4</BandsCount><BlockSizeX>300</BlockSizeX><BlockSizeY>200</BlockSizeY></GDAL_WMS>`
	if err := os.WriteFile(xmlPath, []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	exact := filepath.Join(dir, "exact.png")
	tool(t, "gdal_translate", "-q", "-of", "PNG", xmlPath, exact)
	closeImages(t, "GDAL WMS vs golden", readPNG(t, exact), want, 16, 0.01)
	// GDAL's own choice of request size (1024 pixels, resampled to 300)
	// blurs edges but keeps the map.
	closeImages(t, "GDAL WMS resampled vs golden", readPNG(t, out), want, 64, 0.1)
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// GetFeatureInfo at a pixel inside France returns France, in JSON and in
// text, with the countries layer drawn in EPSG:4326 (1.3.0: lat/lon).
func TestWMSGetFeatureInfo(t *testing.T) {
	// 360×180 of the whole world: 1 pixel per degree; Bourges (2.4 E,
	// 47.1 N) is pixel (182, 42).
	const q = "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=countries&QUERY_LAYERS=countries&STYLES=&CRS=EPSG:4326&BBOX=-90,-180,90,180&WIDTH=360&HEIGHT=180&I=182&J=42"
	resp, body := get(t, q+"&INFO_FORMAT=application/json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d: %s", resp.StatusCode, body)
	}
	var fc struct {
		Features []struct {
			ID         string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(fc.Features) != 1 || fc.Features[0].Properties["name"] != "France" || !strings.HasPrefix(fc.Features[0].ID, "countries.") {
		t.Errorf("features %+v, want France", fc.Features)
	}
	_, body = get(t, q+"&INFO_FORMAT=text/plain")
	if !strings.Contains(string(body), "name = France") {
		t.Errorf("text answer: %s", body)
	}
	// The middle of the Atlantic answers nothing.
	_, body = get(t, strings.Replace(q, "I=182", "I=140", 1)+"&INFO_FORMAT=text/plain")
	if !strings.Contains(string(body), "no features were found") {
		t.Errorf("ocean answer: %s", body)
	}
}

// OWSLib reads the capabilities and a map in WMS 1.3.0 and 1.1.1.
func TestOWSLibWMS(t *testing.T) {
	script := `
import json, sys
from owslib.wms import WebMapService
out = {}
for version in ("1.3.0", "1.1.1"):
    wms = WebMapService(sys.argv[1] + "/wms", version=version)
    img = wms.getmap(layers=["departements"], styles=[""], srs="EPSG:2154", bbox=(100000, 6050000, 1250000, 7110000), size=(256, 236), format="image/png").read()
    info = wms.getfeatureinfo(layers=["countries"], styles=[""], srs="EPSG:4326", bbox=(-180, -90, 180, 90), size=(360, 180),
        format="image/png", query_layers=["countries"], info_format="text/plain", xy=(182, 42)).read().decode()
    legend = wms["departements"].styles["regions"]["legend"]
    out[version] = {"layers": sorted(wms.contents), "png": img[:8] == b"\x89PNG\r\n\x1a\n", "bytes": len(img),
        "info": info, "legend": legend, "group": [l.name for l in wms["france-admin"].layers],
        "queryable": wms["countries"].queryable}
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outBytes, err := exec.CommandContext(ctx, python(t), "-c", script, demo.base).CombinedOutput()
	if err != nil {
		t.Fatalf("OWSLib: %v\n%s", err, outBytes)
	}
	var got map[string]struct {
		Layers    []string
		PNG       bool
		Bytes     int
		Info      string
		Legend    string
		Group     []string
		Queryable int
	}
	if err := json.Unmarshal(outBytes, &got); err != nil {
		t.Fatalf("%v: %s", err, outBytes)
	}
	for _, v := range []string{"1.3.0", "1.1.1"} {
		g := got[v]
		if !strings.Contains(strings.Join(g.Layers, ","), "departements") || !g.PNG || g.Bytes < 1000 {
			t.Errorf("%s: %+v", v, g)
		}
		// OWSLib sends 1.1.1's X/Y or 1.3.0's I/J with the axis order of
		// each version; the pixel is in France either way.
		if !strings.Contains(g.Info, "name = France") {
			t.Errorf("%s: GetFeatureInfo answered %q", v, g.Info)
		}
		if !strings.Contains(g.Legend, "REQUEST=GetLegendGraphic") || strings.Join(g.Group, ",") != "departements,region_outlines,departement_points" || g.Queryable != 1 {
			t.Errorf("%s: legend %q, group members %v, queryable %d", v, g.Legend, g.Group, g.Queryable)
		}
		resp, body := get(t, strings.TrimPrefix(g.Legend, demo.base))
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("\x89PNG")) {
			t.Errorf("%s: legend %s: %d %.200s", v, g.Legend, resp.StatusCode, body)
		}
	}
}
