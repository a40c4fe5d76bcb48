package gdal

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// The fixture grid: 100x100 cells of 100 m in UTM 31N (EPSG:32631), top
// left corner at 500000, 5010000, with a one-cell nodata border.
const (
	fxSize    = 100
	fxCell    = 100.0
	fxMinX    = 500000.0
	fxMaxY    = 5010000.0
	fxNoData  = -9999
	fxByteNoD = 0
)

// demValue is the float fixture's value of a cell inside the border.
func demValue(row, col int) float32 { return float32(1000+row*100+col) + 0.25 }

// byteValue is the byte fixture's value of a cell inside the border.
func byteValue(row, col int) float32 { return float32((row+col)%200 + 20) }

func gdalTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s (gdal-bin) is not installed", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// makeRaster writes an ASCII grid with value(row, col) inside a nodata
// border and converts it to a GeoTIFF of type typ with gdal_translate.
func makeRaster(t testing.TB, typ string, nodata int, value func(row, col int) float32) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "ncols %d\nnrows %d\nxllcorner %g\nyllcorner %g\ncellsize %g\nNODATA_value %d\n",
		fxSize, fxSize, fxMinX, fxMaxY-fxSize*fxCell, fxCell, nodata)
	for r := range fxSize {
		for c := range fxSize {
			if c > 0 {
				b.WriteByte(' ')
			}
			if r == 0 || c == 0 || r == fxSize-1 || c == fxSize-1 {
				b.WriteString(strconv.Itoa(nodata))
			} else {
				b.WriteString(strconv.FormatFloat(float64(value(r, c)), 'g', -1, 32))
			}
		}
		b.WriteByte('\n')
	}
	asc := filepath.Join(dir, "grid.asc")
	if err := os.WriteFile(asc, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tif := filepath.Join(dir, "grid.tif")
	gdalTool(t, "gdal_translate", "-q", "-a_srs", "EPSG:32631", "-ot", typ, asc, tif)
	return tif
}

func openRaster(t testing.TB, path string) *Raster {
	t.Helper()
	r, err := OpenRaster(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenRaster(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// transform converts x, y between CRSs with gdaltransform, independently
// of the code under test.
func transform(t testing.TB, from, to string, x, y float64) (float64, float64) {
	t.Helper()
	if _, err := exec.LookPath("gdaltransform"); err != nil {
		t.Skip("gdaltransform (gdal-bin) is not installed")
	}
	cmd := exec.Command("gdaltransform", "-s_srs", from, "-t_srs", to, "-output_xy")
	cmd.Stdin = strings.NewReader(fmt.Sprintf("%.6f %.6f\n", x, y))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdaltransform: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("gdaltransform: %q", out)
	}
	tx, err1 := strconv.ParseFloat(f[0], 64)
	ty, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("gdaltransform: %q", out)
	}
	return tx, ty
}

func TestRasterInfo(t *testing.T) {
	path := makeRaster(t, "Float32", fxNoData, demValue)
	gdalTool(t, "gdaladdo", "-q", path, "2", "4")
	r := openRaster(t, path)
	in := r.Info()
	if in.Width != 100 || in.Height != 100 || in.Bands != 1 || in.DataType != "Float32" {
		t.Errorf("size/type = %dx%d %d bands %s", in.Width, in.Height, in.Bands, in.DataType)
	}
	if in.SRS.String() != "EPSG:32631" || !strings.Contains(in.SRS.WKT, "UTM zone 31N") {
		t.Errorf("SRS = %s", in.SRS)
	}
	if want := [6]float64{500000, 100, 0, 5010000, 0, -100}; in.GeoTransform != want {
		t.Errorf("GeoTransform = %v, want %v", in.GeoTransform, want)
	}
	if len(in.NoData) != 1 || in.NoData[0] != (NoData{Value: fxNoData, Set: true}) {
		t.Errorf("NoData = %v", in.NoData)
	}
	if in.Overviews != 2 {
		t.Errorf("Overviews = %d, want 2", in.Overviews)
	}
	if want := [4]float64{500000, 5000000, 510000, 5010000}; in.Bounds != want {
		t.Errorf("Bounds = %v, want %v", in.Bounds, want)
	}
	if r.Path() != path {
		t.Errorf("Path = %s", r.Path())
	}

	// No nodata, no CRS.
	plain := filepath.Join(t.TempDir(), "plain.tif")
	gdalTool(t, "gdal_create", "-q", "-of", "GTiff", "-outsize", "3", "2", "-bands", "3", "-burn", "1", plain)
	in = openRaster(t, plain).Info()
	if in.Bands != 3 || in.DataType != "Byte" || in.SRS != (SRS{}) || len(in.NoData) != 3 || in.NoData[2].Set {
		t.Errorf("plain: %+v", in)
	}
}

func TestWarpPixel(t *testing.T) {
	r := openRaster(t, makeRaster(t, "Float32", fxNoData, demValue))
	const row, col = 40, 60
	// The cell's centre.
	cx, cy := fxMinX+(col+0.5)*fxCell, fxMaxY-(row+0.5)*fxCell
	for _, tc := range []struct {
		srs string
		res float64 // about 10 m
	}{
		{"EPSG:3857", 10},
		{"EPSG:4326", 1e-4},
		{"EPSG:2154", 10},
	} {
		t.Run(tc.srs, func(t *testing.T) {
			x, y := transform(t, "EPSG:32631", tc.srs, cx, cy)
			const size, at = 64, 32
			// The cell's centre at the centre of pixel (at, at).
			req := WarpRequest{
				DstSRS: tc.srs,
				MinX:   x - (at+0.5)*tc.res, MaxX: x + (size-at-0.5)*tc.res,
				MinY: y - (size-at-0.5)*tc.res, MaxY: y + (at+0.5)*tc.res,
				Width: size, Height: size,
			}
			for _, rs := range []string{"", "near", "bilinear", "cubic"} {
				req.Resampling = rs
				res, err := r.Warp(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if res.Width != size || res.Height != size || len(res.Bands) != 1 || len(res.Bands[0]) != size*size || len(res.Valid) != size*size {
					t.Fatalf("result shape %dx%d, %d bands", res.Width, res.Height, len(res.Bands))
				}
				i := at*size + at
				got, want := res.Bands[0][i], demValue(row, col)
				tol := float32(0)
				if rs == "bilinear" || rs == "cubic" {
					// Interpolated between neighbours (±1 per column,
					// ±100 per row) less than a tenth of a cell away.
					tol = 12
				}
				if !res.Valid[i] || math.Abs(float64(got-want)) > float64(tol) {
					t.Errorf("%s: pixel (%d,%d) = %v valid %v, want %v", rs, at, at, got, res.Valid[i], want)
				}
				for j, v := range res.Valid {
					if !v {
						t.Fatalf("%s: pixel %d invalid inside the source", rs, j)
					}
				}
			}
		})
	}
}

// utmReq is a request in the source CRS aligned on its grid: cells
// [col0, col0+w) x [row0, row0+h), which may reach outside the source.
func utmReq(col0, row0, w, h int) WarpRequest {
	return WarpRequest{
		DstSRS: "EPSG:32631",
		MinX:   fxMinX + float64(col0)*fxCell, MaxX: fxMinX + float64(col0+w)*fxCell,
		MinY: fxMaxY - float64(row0+h)*fxCell, MaxY: fxMaxY - float64(row0)*fxCell,
		Width: w, Height: h,
	}
}

func TestWarpDEMValues(t *testing.T) {
	r := openRaster(t, makeRaster(t, "Float32", fxNoData, demValue))
	// Columns -2..5, rows -1..4: outside, nodata border, then data.
	const w, h = 8, 6
	res, err := r.Warp(context.Background(), utmReq(-2, -1, w, h))
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			row, col := y-1, x-2
			i := y*w + x
			inside := row >= 1 && col >= 1
			if res.Valid[i] != inside {
				t.Errorf("cell %d,%d: valid %v, want %v", row, col, res.Valid[i], inside)
			}
			if inside && res.Bands[0][i] != demValue(row, col) {
				t.Errorf("cell %d,%d = %v, want %v", row, col, res.Bands[0][i], demValue(row, col))
			}
		}
	}
}

func TestWarpNoDataRGBA(t *testing.T) {
	r := openRaster(t, makeRaster(t, "Byte", fxByteNoD, byteValue))
	const w, h = 4, 4
	// Columns 97..100, rows 10..13: data, data, nodata border, outside.
	res, err := r.Warp(context.Background(), utmReq(97, 10, w, h))
	if err != nil {
		t.Fatal(err)
	}
	img := res.RGBA()
	if img == nil || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("RGBA = %v", img)
	}
	for y := range h {
		for x := range w {
			c := img.NRGBAAt(x, y)
			row, col := 10+y, 97+x
			if col >= 99 {
				if c.A != 0 || res.Valid[y*w+x] {
					t.Errorf("cell %d,%d = %v, want transparent", row, col, c)
				}
				continue
			}
			g := uint8(byteValue(row, col))
			if c.R != g || c.G != g || c.B != g || c.A != 255 {
				t.Errorf("cell %d,%d = %v, want grey %d", row, col, c, g)
			}
		}
	}
}

func TestWarpOutside(t *testing.T) {
	r := openRaster(t, makeRaster(t, "Float32", fxNoData, demValue))
	for _, req := range []WarpRequest{
		// Far from the source, in the source's CRS and in Web Mercator.
		utmReq(300, 300, 16, 16),
		{DstSRS: "EPSG:3857", MinX: -8e6, MinY: 4e6, MaxX: -7.9e6, MaxY: 4.1e6, Width: 32, Height: 32},
	} {
		res, err := r.Warp(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range res.Valid {
			if v {
				t.Fatalf("%s: pixel %d valid outside the source", req.DstSRS, i)
			}
		}
		pix := res.RGBA().Pix
		for i := 3; i < len(pix); i += 4 {
			if pix[i] != 0 {
				t.Fatalf("%s: opaque pixel outside the source", req.DstSRS)
			}
		}
	}
}

func TestWarpBands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rgb.tif")
	gdalTool(t, "gdal_create", "-q", "-of", "GTiff", "-outsize", "20", "20", "-bands", "3",
		"-burn", "10", "-burn", "20", "-burn", "30", "-a_srs", "EPSG:32631",
		"-a_ullr", "500000", "5002000", "502000", "5000000", path)
	r := openRaster(t, path)
	req := WarpRequest{DstSRS: "EPSG:32631", MinX: 500500, MinY: 5000500, MaxX: 501500, MaxY: 5001500, Width: 10, Height: 10}
	res, err := r.Warp(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.RGBA().NRGBAAt(5, 5); c.R != 10 || c.G != 20 || c.B != 30 || c.A != 255 {
		t.Errorf("RGB pixel = %v", c)
	}
	req.Bands = []int{3, 1}
	res, err = r.Warp(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bands) != 2 || res.Bands[0][55] != 30 || res.Bands[1][55] != 10 || !res.Valid[55] {
		t.Errorf("bands 3,1: %d bands, %v %v", len(res.Bands), res.Bands[0][55], res.Bands[len(res.Bands)-1][55])
	}
	if res.RGBA() != nil {
		t.Error("RGBA of 2 bands should be nil")
	}

	// RGBA with an alpha band: alpha comes back as band 4.
	rgba := filepath.Join(t.TempDir(), "rgba.tif")
	gdalTool(t, "gdal_translate", "-q", "-b", "1", "-b", "2", "-b", "3", "-b", "mask", "-colorinterp_4", "alpha", path, rgba)
	ra := openRaster(t, rgba)
	req.Bands = nil
	res, err = ra.Warp(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bands) != 4 {
		t.Fatalf("RGBA source: %d bands", len(res.Bands))
	}
	if c := res.RGBA().NRGBAAt(5, 5); c != (color.NRGBA{10, 20, 30, 255}) {
		t.Errorf("RGBA pixel = %v", c)
	}
}

func TestWarpInvalid(t *testing.T) {
	r := openRaster(t, makeRaster(t, "Float32", fxNoData, demValue))
	ok := utmReq(10, 10, 8, 8)
	for name, mod := range map[string]func(*WarpRequest){
		"zero width":    func(q *WarpRequest) { q.Width = 0 },
		"zero height":   func(q *WarpRequest) { q.Height = 0 },
		"too wide":      func(q *WarpRequest) { q.Width = MaxWarpSize + 1 },
		"too high":      func(q *WarpRequest) { q.Height = MaxWarpSize + 1 },
		"empty window":  func(q *WarpRequest) { q.MaxX = q.MinX },
		"NaN":           func(q *WarpRequest) { q.MinY = math.NaN() },
		"resampling":    func(q *WarpRequest) { q.Resampling = "lanczos3" },
		"no CRS":        func(q *WarpRequest) { q.DstSRS = "" },
		"bad CRS":       func(q *WarpRequest) { q.DstSRS = "EPSG:999999" },
		"band 0":        func(q *WarpRequest) { q.Bands = []int{0} },
		"band 2":        func(q *WarpRequest) { q.Bands = []int{2} },
		"no band":       func(q *WarpRequest) { q.Bands = []int{} },
		"too many band": func(q *WarpRequest) { q.Bands = []int{1, 1, 1, 1, 1} },
	} {
		req := ok
		mod(&req)
		_, err := r.Warp(context.Background(), req)
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), r.Path()) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest naming the file", name, err)
		}
	}
	if _, err := r.Warp(context.Background(), ok); err != nil {
		t.Errorf("valid request: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Warp(context.Background(), ok); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// cancelAfter is a context whose Err turns to Canceled after n calls, to
// cancel a warp from inside GDAL's progress callback deterministically.
type cancelAfter struct {
	context.Context
	n, calls atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) > c.n.Load() {
		return context.Canceled
	}
	return nil
}

func TestWarpCancel(t *testing.T) {
	r := openRaster(t, makeRaster(t, "Float32", fxNoData, demValue))
	req := WarpRequest{DstSRS: "EPSG:3857", MinX: 334000, MinY: 5645000, MaxX: 336000, MaxY: 5647000, Width: 512, Height: 512}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Warp(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: err = %v", err)
	}
	if _, err := OpenRaster(ctx, r.Path()); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenRaster cancelled: err = %v", err)
	}

	// Cancelled once GDAL runs: the progress callback stops it.
	c := &cancelAfter{Context: context.Background()}
	c.n.Store(1)
	if _, err := r.Warp(c, req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during: err = %v", err)
	}
	// An uncancelled warp of this size asks about 500 times: a few calls
	// mean the callback asked and GDAL stopped.
	if n := c.calls.Load(); n < 3 || n > 50 {
		t.Errorf("Err called %d times: the progress callback did not stop GDAL", n)
	}
	// The Raster still works.
	if _, err := r.Warp(context.Background(), req); err != nil {
		t.Errorf("after a cancelled warp: %v", err)
	}
}

func TestOpenRasterErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.tif")
	if err := os.WriteFile(corrupt, append([]byte("II*\x00\x08\x00\x00\x00"), make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.tif")
	if err := os.WriteFile(text, []byte("not a raster\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.tif")
	for _, p := range []string{corrupt, text, missing} {
		r, err := OpenRaster(context.Background(), p)
		if err == nil {
			r.Close()
			t.Errorf("%s: opened", p)
			continue
		}
		var ge *Error
		if !errors.As(err, &ge) || ge.Path != p || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want an *Error naming the file", p, err)
		}
	}
}

func TestConcurrentRasters(t *testing.T) {
	path := makeRaster(t, "Float32", fxNoData, demValue)
	req := utmReq(5, 5, 32, 32)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			r, err := OpenRaster(context.Background(), path)
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			for range 10 {
				res, err := r.Warp(context.Background(), req)
				if err != nil {
					errs <- err
					return
				}
				if res.Bands[0][0] != demValue(5, 5) {
					errs <- fmt.Errorf("value %v", res.Bands[0][0])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkWarp256(b *testing.B) {
	path := makeRaster(b, "Byte", fxByteNoD, byteValue)
	r := openRaster(b, path)
	x, y := transform(b, "EPSG:32631", "EPSG:3857", 505000, 5005000)
	req := WarpRequest{DstSRS: "EPSG:3857", MinX: x - 5000, MinY: y - 5000, MaxX: x + 5000, MaxY: y + 5000,
		Width: 256, Height: 256, Resampling: "bilinear"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Warp(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		_ = res.RGBA()
	}
}

// TestWarpOverviews checks that a coarse warp reads an overview: the
// external overviews (.ovr) hold 50 while the full resolution holds 200.
func TestWarpOverviews(t *testing.T) {
	dir := t.TempDir()
	path, other := filepath.Join(dir, "ov.tif"), filepath.Join(dir, "other.tif")
	create := func(out, burn string) {
		gdalTool(t, "gdal_create", "-q", "-of", "GTiff", "-outsize", "400", "400", "-bands", "1", "-burn", burn,
			"-a_srs", "EPSG:32631", "-a_ullr", "500000", "5040000", "540000", "5000000", out)
	}
	create(path, "50")
	gdalTool(t, "gdaladdo", "-q", "-ro", path, "2", "4")
	create(other, "200")
	data, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := openRaster(t, path)
	if n := r.Info().Overviews; n != 2 {
		t.Fatalf("Overviews = %d", n)
	}
	for _, tc := range []struct {
		size int
		want float32
	}{{100, 50}, {400, 200}} {
		req := WarpRequest{DstSRS: "EPSG:32631", MinX: 500000, MinY: 5000000, MaxX: 540000, MaxY: 5040000, Width: tc.size, Height: tc.size}
		res, err := r.Warp(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Bands[0][tc.size*tc.size/2+tc.size/2]; got != tc.want {
			t.Errorf("%dx%d: value %v, want %v", tc.size, tc.size, got, tc.want)
		}
	}
}

func TestWarpSourceAlpha(t *testing.T) {
	dir := t.TempDir()
	rgba0, rgba := filepath.Join(dir, "rgba0.tif"), filepath.Join(dir, "rgba.tif")
	gdalTool(t, "gdal_create", "-q", "-of", "GTiff", "-outsize", "20", "20", "-bands", "4",
		"-burn", "10", "-burn", "20", "-burn", "30", "-burn", "0", "-a_srs", "EPSG:32631",
		"-a_ullr", "500000", "5002000", "502000", "5000000", rgba0)
	gdalTool(t, "gdal_translate", "-q", "-colorinterp_4", "alpha", rgba0, rgba)
	r := openRaster(t, rgba)
	x, y := transform(t, "EPSG:32631", "EPSG:3857", 501000, 5001000)
	req := WarpRequest{DstSRS: "EPSG:3857", MinX: x - 200, MinY: y - 200, MaxX: x + 200, MaxY: y + 200, Width: 16, Height: 16}
	res, err := r.Warp(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range res.Valid {
		if v {
			t.Fatalf("pixel %d valid where the source alpha is 0", i)
		}
	}
}

// WriteCOG makes a tiled GeoTIFF with overviews that reads back with the
// same size and georeferencing.
func TestWriteCOG(t *testing.T) {
	src, err := OpenRaster(context.Background(), "../../testdata/raster/dem_lv95.tif")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(t.TempDir(), "dem.cog.tif")
	if err := src.WriteCOG(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
	out, err := OpenRaster(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in, got := src.Info(), out.Info()
	if got.Width != in.Width || got.Height != in.Height || got.Bounds != in.Bounds || got.Overviews == 0 {
		t.Errorf("COG %+v from %+v", got, in)
	}
	// A cancelled write leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dst2 := filepath.Join(t.TempDir(), "cancelled.tif")
	if err := src.WriteCOG(ctx, dst2); err == nil {
		t.Error("a cancelled write succeeded")
	}
	if _, err := os.Stat(dst2); err == nil {
		t.Error("a cancelled write left its file")
	}
}
