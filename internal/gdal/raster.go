package gdal

/*
#include <stdlib.h>
#include "tuiles_gdal.h"
#include "tuiles_raster.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"runtime/cgo"
	"strconv"
	"unsafe"
)

// MaxWarpSize is the largest Width or Height a WarpRequest may ask for.
const MaxWarpSize = 16384

// maxWarpBands is the most bands one Warp returns.
const maxWarpBands = 4

// ErrInvalidRequest is wrapped by the errors of Warp for requests it
// rejects before calling GDAL.
var ErrInvalidRequest = errors.New("invalid warp request")

// Raster is an open GDAL raster dataset, read only. Like Dataset, it must
// be used by one goroutine at a time (Warp included); for concurrency, open
// the file once per goroutine. Close it when done.
type Raster struct {
	h    C.GDALDatasetH
	path string
	errs errState
	info RasterInfo
}

// NoData is a band's nodata value; Set is false when the band has none.
type NoData struct {
	Value float64
	Set   bool
}

// RasterInfo describes a raster dataset.
type RasterInfo struct {
	Width, Height, Bands int
	// DataType is GDAL's name for the first band's type: "Byte",
	// "Int16", "Float32"...
	DataType string
	// SRS is the dataset's CRS; zero when it has none.
	SRS SRS
	// GeoTransform maps pixel/line to the CRS:
	// x = GT[0] + col*GT[1] + row*GT[2], y = GT[3] + col*GT[4] + row*GT[5].
	GeoTransform [6]float64
	// NoData has one entry per band.
	NoData []NoData
	// Overviews is the number of overviews of the first band.
	Overviews int
	// Bounds is the extent in the dataset's CRS: MinX, MinY, MaxX, MaxY.
	Bounds [4]float64
}

// OpenRaster opens a raster dataset read-only (anything GDAL reads as
// raster: GeoTIFF/COG, VRT, /vsicurl/ URLs...). Errors name the file. The
// context is checked before opening; GDAL's open cannot be interrupted.
func OpenRaster(ctx context.Context, path string) (*Raster, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: open: %w", path, err)
	}
	r := &Raster{path: path, errs: newErrState()}
	cname := C.CString(gdalName(path))
	defer C.free(unsafe.Pointer(cname))

	r.errs.enter()
	registerDrivers()
	flags := C.uint(C.GDAL_OF_RASTER | C.GDAL_OF_READONLY | C.GDAL_OF_VERBOSE_ERROR)
	r.h = C.GDALOpenEx(cname, flags, nil, nil, nil)
	var err error
	switch {
	case r.h == nil:
		err = r.errs.must(path, "open", "GDAL cannot open it as a raster")
	case C.GDALGetRasterCount(r.h) == 0:
		err = &Error{Path: path, Op: "open", Msg: "no raster band"}
	default:
		if e := r.errs.take(path, "open"); e != nil {
			err = e
		} else {
			err = r.readInfo()
		}
	}
	if err != nil && r.h != nil {
		C.GDALClose(r.h)
		r.h = nil
	}
	r.errs.leave()
	if err != nil {
		r.errs.free()
		return nil, err
	}
	return r, nil
}

// readInfo fills r.info; it runs inside a pinned call sequence.
func (r *Raster) readInfo() error {
	in := &r.info
	in.Width = int(C.GDALGetRasterXSize(r.h))
	in.Height = int(C.GDALGetRasterYSize(r.h))
	in.Bands = int(C.GDALGetRasterCount(r.h))
	b1 := C.GDALGetRasterBand(r.h, 1)
	in.DataType = C.GoString(C.GDALGetDataTypeName(C.GDALGetRasterDataType(b1)))
	in.Overviews = int(C.GDALGetOverviewCount(b1))
	var gt [6]C.double
	if C.GDALGetGeoTransform(r.h, &gt[0]) == C.CE_None {
		for i, v := range gt {
			in.GeoTransform[i] = float64(v)
		}
	} else {
		// GDAL's default: pixel coordinates, north up.
		in.GeoTransform = [6]float64{0, 1, 0, 0, 0, 1}
	}
	// A missing geotransform is not a failure of the open.
	r.errs.take(r.path, "")
	for i := 1; i <= in.Bands; i++ {
		var ok C.int
		v := C.GDALGetRasterNoDataValue(C.GDALGetRasterBand(r.h, C.int(i)), &ok)
		in.NoData = append(in.NoData, NoData{Value: float64(v), Set: ok != 0})
	}
	if srs := C.GDALGetSpatialRef(r.h); srs != nil {
		s, err := describeSRS(srs)
		if err != nil {
			return &Error{Path: r.path, Op: "open", Msg: err.Error()}
		}
		in.SRS = s
	}
	gtf := in.GeoTransform
	in.Bounds = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, c := range [][2]float64{{0, 0}, {float64(in.Width), 0}, {0, float64(in.Height)}, {float64(in.Width), float64(in.Height)}} {
		x := gtf[0] + c[0]*gtf[1] + c[1]*gtf[2]
		y := gtf[3] + c[0]*gtf[4] + c[1]*gtf[5]
		in.Bounds[0] = min(in.Bounds[0], x)
		in.Bounds[1] = min(in.Bounds[1], y)
		in.Bounds[2] = max(in.Bounds[2], x)
		in.Bounds[3] = max(in.Bounds[3], y)
	}
	return nil
}

// Path is the path the Raster was opened with.
func (r *Raster) Path() string { return r.path }

// Info describes the raster. The NoData slice is a copy.
func (r *Raster) Info() RasterInfo {
	in := r.info
	in.NoData = append([]NoData(nil), in.NoData...)
	return in
}

// Close releases the dataset. Closing twice is harmless.
func (r *Raster) Close() error {
	if r.h == nil {
		return nil
	}
	r.errs.enter()
	C.GDALClose(r.h)
	r.h = nil
	err := r.errs.take(r.path, "close")
	r.errs.leave()
	r.errs.free()
	r.errs.c = nil
	if err != nil {
		return err
	}
	return nil
}

// WarpRequest asks for a window of a raster in some CRS.
type WarpRequest struct {
	// DstSRS is the destination CRS, anything GDAL's SetFromUserInput
	// reads ("EPSG:3857", WKT, PROJ strings).
	DstSRS string
	// The window in DstSRS, easting/northing (longitude/latitude) order
	// whatever the CRS's official axis order.
	MinX, MinY, MaxX, MaxY float64
	// Width and Height in pixels, 1 to MaxWarpSize.
	Width, Height int
	// Resampling is "near" (the default when empty), "bilinear" or
	// "cubic".
	Resampling string
	// Bands are the 1-based source bands wanted, at most 4; nil means
	// all bands (at most 4).
	Bands []int
}

// WarpResult is a warped window.
type WarpResult struct {
	Width, Height int
	// Bands holds one row-major Width*Height slice per requested band.
	Bands [][]float32
	// Valid is false where the source has no data: source nodata, outside
	// the source, or a source alpha of 0 (from the warp's destination
	// alpha band; with bilinear or cubic resampling, a pixel is valid when
	// at least half its weight comes from valid source pixels).
	Valid []bool
}

var resamplings = map[string]bool{"near": true, "bilinear": true, "cubic": true}

func (req *WarpRequest) check(nbands int) ([]int, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, a...))
	}
	if req.Width < 1 || req.Height < 1 || req.Width > MaxWarpSize || req.Height > MaxWarpSize {
		return nil, bad("size %dx%d not within 1x1 to %dx%d", req.Width, req.Height, MaxWarpSize, MaxWarpSize)
	}
	for _, v := range []float64{req.MinX, req.MinY, req.MaxX, req.MaxY} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, bad("window has a non-finite coordinate")
		}
	}
	if !(req.MinX < req.MaxX && req.MinY < req.MaxY) {
		return nil, bad("empty window %g,%g,%g,%g", req.MinX, req.MinY, req.MaxX, req.MaxY)
	}
	if req.Resampling != "" && !resamplings[req.Resampling] {
		return nil, bad("unknown resampling %q", req.Resampling)
	}
	if req.DstSRS == "" {
		return nil, bad("no destination CRS")
	}
	bands := req.Bands
	if bands == nil {
		if nbands > maxWarpBands {
			return nil, bad("the raster has %d bands: choose at most %d", nbands, maxWarpBands)
		}
		for i := 1; i <= nbands; i++ {
			bands = append(bands, i)
		}
	}
	if len(bands) == 0 || len(bands) > maxWarpBands {
		return nil, bad("%d bands requested, want 1 to %d", len(bands), maxWarpBands)
	}
	for _, b := range bands {
		if b < 1 || b > nbands {
			return nil, bad("band %d not in 1..%d", b, nbands)
		}
	}
	return bands, nil
}

// warpJob is what the progress callback sees through its cgo.Handle.
type warpJob struct {
	ctx context.Context
}

//export tuilesProgress
func tuilesProgress(h C.uintptr_t) C.int {
	job := cgo.Handle(h).Value().(*warpJob)
	if job.ctx.Err() != nil {
		return 0
	}
	return 1
}

// Warp reprojects and resamples the window req asks for into memory,
// reading only the source blocks (and the overview level, as gdalwarp's
// OVERVIEW_LEVEL=AUTO picks it) that it needs. Cancelling ctx aborts the
// warp between chunks; the error then wraps ctx.Err().
func (r *Raster) Warp(ctx context.Context, req WarpRequest) (*WarpResult, error) {
	if r.h == nil {
		return nil, fmt.Errorf("%s: warp: %w", r.path, ErrClosed)
	}
	bands, err := req.check(r.info.Bands)
	if err != nil {
		return nil, fmt.Errorf("%s: warp: %w", r.path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: warp: %w", r.path, err)
	}
	res, err := r.warp(ctx, &req, bands)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%s: warp: %w", r.path, cerr)
		}
		return nil, err
	}
	return res, nil
}

func (r *Raster) warp(ctx context.Context, req *WarpRequest, bands []int) (*WarpResult, error) {
	r.errs.enter()
	defer r.errs.leave()

	// Check the CRS first, for a clear message.
	dst := newSRS(req.DstSRS)
	if dst == nil {
		r.errs.take("", "")
		return nil, fmt.Errorf("%s: warp: %w: unknown CRS %q", r.path, ErrInvalidRequest, req.DstSRS)
	}
	C.OSRDestroySpatialReference(dst)

	src := r.h
	all := len(bands) == r.info.Bands
	for i, b := range bands {
		all = all && b == i+1
	}
	if !all {
		// A virtual dataset of the chosen bands: the VRT keeps the
		// source's overviews as implicit ones.
		args := []string{"-of", "VRT"}
		for _, b := range bands {
			args = append(args, "-b", strconv.Itoa(b))
		}
		cargs := cStrings(args)
		topts := C.GDALTranslateOptionsNew(cargs, nil)
		C.CSLDestroy(cargs)
		if topts == nil {
			return nil, r.errs.must(r.path, "warp", "bad band selection")
		}
		empty := C.CString("")
		vrt := C.GDALTranslate(empty, r.h, topts, nil)
		C.free(unsafe.Pointer(empty))
		C.GDALTranslateOptionsFree(topts)
		if vrt == nil {
			return nil, r.errs.must(r.path, "warp", "cannot select bands")
		}
		defer C.GDALClose(vrt)
		src = vrt
	}

	resampling := req.Resampling
	if resampling == "" {
		resampling = "near"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	args := []string{
		"-of", "MEM",
		"-t_srs", req.DstSRS,
		"-te", f(req.MinX), f(req.MinY), f(req.MaxX), f(req.MaxY),
		"-ts", strconv.Itoa(req.Width), strconv.Itoa(req.Height),
		"-r", resampling,
		"-dstalpha",
		"-wo", "INIT_DEST=0",
	}
	cargs := cStrings(args)
	wopts := C.GDALWarpAppOptionsNew(cargs, nil)
	C.CSLDestroy(cargs)
	if wopts == nil {
		return nil, r.errs.must(r.path, "warp", "bad warp options")
	}
	defer C.GDALWarpAppOptionsFree(wopts)
	h := cgo.NewHandle(&warpJob{ctx: ctx})
	defer h.Delete()
	C.tuiles_warp_set_progress(wopts, C.uintptr_t(h))

	empty := C.CString("")
	defer C.free(unsafe.Pointer(empty))
	srcs := (*C.GDALDatasetH)(C.malloc(C.size_t(unsafe.Sizeof(src))))
	defer C.free(unsafe.Pointer(srcs))
	*srcs = src
	var usageErr C.int
	out := C.GDALWarp(empty, nil, 1, srcs, wopts, &usageErr)
	if out == nil {
		if ctx.Err() != nil {
			r.errs.take("", "")
			return nil, ctx.Err()
		}
		return nil, r.errs.must(r.path, "warp", "GDAL cannot warp it")
	}
	defer C.GDALClose(out)
	if e := r.errs.take(r.path, "warp"); e != nil {
		return nil, e
	}

	n := req.Width * req.Height
	res := &WarpResult{Width: req.Width, Height: req.Height, Valid: make([]bool, n)}
	count := int(C.GDALGetRasterCount(out))
	// The last band is the destination alpha. A source alpha band is
	// not warped as data but folded into it: it comes back as alpha.
	alpha := make([]byte, n)
	if err := r.readBand(out, count, C.GDT_Byte, unsafe.Pointer(&alpha[0]), req); err != nil {
		return nil, err
	}
	for i, a := range alpha {
		res.Valid[i] = a >= 128
	}
	for i := range bands {
		buf := make([]float32, n)
		if i+1 < count {
			if err := r.readBand(out, i+1, C.GDT_Float32, unsafe.Pointer(&buf[0]), req); err != nil {
				return nil, err
			}
		} else {
			for j, a := range alpha {
				buf[j] = float32(a)
			}
		}
		res.Bands = append(res.Bands, buf)
	}
	return res, nil
}

func (r *Raster) readBand(ds C.GDALDatasetH, band int, typ C.GDALDataType, buf unsafe.Pointer, req *WarpRequest) error {
	b := C.GDALGetRasterBand(ds, C.int(band))
	w, h := C.int(req.Width), C.int(req.Height)
	if C.GDALRasterIO(b, C.GF_Read, 0, 0, w, h, buf, w, h, typ, 0, 0) != C.CE_None {
		return r.errs.must(r.path, "warp: read band "+strconv.Itoa(band), "cannot read the warped band")
	}
	return nil
}

// RGBA renders a warped window of byte data: one band as grey, three as
// RGB, four as RGBA; invalid pixels are transparent. Values are rounded
// and clamped to 0..255. It returns nil for 2 bands or more than 4.
func (w *WarpResult) RGBA() *image.NRGBA {
	nb := len(w.Bands)
	if nb != 1 && nb != 3 && nb != 4 {
		return nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w.Width, w.Height))
	for i := range w.Width * w.Height {
		p := img.Pix[4*i : 4*i+4 : 4*i+4]
		if !w.Valid[i] {
			p[0], p[1], p[2], p[3] = 0, 0, 0, 0
			continue
		}
		switch nb {
		case 1:
			g := toByte(w.Bands[0][i])
			p[0], p[1], p[2], p[3] = g, g, g, 255
		case 3:
			p[0], p[1], p[2], p[3] = toByte(w.Bands[0][i]), toByte(w.Bands[1][i]), toByte(w.Bands[2][i]), 255
		case 4:
			p[0], p[1], p[2], p[3] = toByte(w.Bands[0][i]), toByte(w.Bands[1][i]), toByte(w.Bands[2][i]), toByte(w.Bands[3][i])
		}
	}
	return img
}

func toByte(v float32) uint8 {
	switch {
	case !(v > 0): // NaN too
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// WriteCOG writes the raster as a cloud-optimised GeoTIFF at dst, tiled,
// DEFLATE-compressed, with overviews, as gdal_translate -of COG does.
// Cancelling ctx aborts it; a failed or cancelled write removes dst.
func (r *Raster) WriteCOG(ctx context.Context, dst string) error {
	if r.h == nil {
		return fmt.Errorf("%s: write COG: %w", r.path, ErrClosed)
	}
	r.errs.enter()
	defer r.errs.leave()
	cargs := cStrings([]string{"-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "OVERVIEWS=AUTO", "-co", "BIGTIFF=IF_SAFER"})
	opts := C.GDALTranslateOptionsNew(cargs, nil)
	C.CSLDestroy(cargs)
	if opts == nil {
		return r.errs.must(r.path, "write COG", "bad translate options")
	}
	defer C.GDALTranslateOptionsFree(opts)
	h := cgo.NewHandle(&warpJob{ctx: ctx})
	defer h.Delete()
	C.tuiles_translate_set_progress(opts, C.uintptr_t(h))
	cdst := C.CString(dst)
	defer C.free(unsafe.Pointer(cdst))
	var usage C.int
	out := C.GDALTranslate(cdst, r.h, opts, &usage)
	var err error
	if out == nil {
		err = r.errs.must(r.path, "write COG", "GDAL could not write "+dst)
	} else if C.GDALClose(out); r.errs.failed() {
		err = r.errs.take(r.path, "write COG")
	}
	if cerr := ctx.Err(); cerr != nil {
		err = fmt.Errorf("%s: write COG: %w", r.path, cerr)
	}
	if err != nil {
		_ = os.Remove(dst)
		return err
	}
	return nil
}
