package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
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

// GDAL's WMS driver fetches a georeferenced image whose pixels are those
// tuiles renders for that box.
func TestGDALWMS(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "wms.tif")
	src := "WMS:" + demo.base + "/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=departements&SRS=EPSG:4326&BBOX=-5.5,41,10,51.5&FORMAT=image/png&TRANSPARENT=TRUE"
	tool(t, "gdal_translate", "-q", "-projwin", "-5.5", "51.5", "10", "41", "-outsize", "300", "200", src, out)
	info := readGDALInfo(t, out)
	gt := info.GeoTransform
	if d := gt[0] + 5.5; d*d > 1e-6 || (gt[3]-51.5)*(gt[3]-51.5) > 1e-6 {
		t.Errorf("geotransform %v, want origin -5.5, 51.5", gt)
	}
	if !strings.Contains(info.CoordinateSystem.WKT, `ID["EPSG",4326]`) {
		t.Errorf("CRS %s", info.CoordinateSystem.WKT)
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
    out[version] = {"layers": sorted(wms.contents), "png": img[:8] == b"\x89PNG\r\n\x1a\n", "bytes": len(img)}
print(json.dumps(out))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outBytes, err := exec.CommandContext(ctx, python(t), "-c", script, demo.base).CombinedOutput()
	if err != nil {
		t.Fatalf("OWSLib: %v\n%s", err, outBytes)
	}
	var got map[string]struct {
		Layers []string
		PNG    bool
		Bytes  int
	}
	if err := json.Unmarshal(outBytes, &got); err != nil {
		t.Fatalf("%v: %s", err, outBytes)
	}
	for _, v := range []string{"1.3.0", "1.1.1"} {
		g := got[v]
		if !strings.Contains(strings.Join(g.Layers, ","), "departements") || !g.PNG || g.Bytes < 1000 {
			t.Errorf("%s: %+v", v, g)
		}
	}
}
