package gdal

/*
#include <stdlib.h>
#include "tuiles_gdal.h"
*/
import "C"

import (
	"context"
	"fmt"
	"iter"
	"math"
	"sync/atomic"
	"time"
	"unsafe"
)

// Dim is a coordinate dimension to force on geometries.
type Dim int

// Dimensions. DimAsRead leaves each geometry as the source has it.
const (
	DimAsRead Dim = iota
	DimXY
	DimXYZ
	DimXYM
	DimXYZM
)

// ReadQuery says which features to read and how to convert their
// geometries. The zero value reads every feature as it is.
type ReadQuery struct {
	// Where is an OGR SQL attribute filter (the WHERE clause without the
	// keyword), such as "population > 1000 AND name LIKE 'A%'".
	Where string
	// SourceSRS, when set, replaces (or supplies, for sources without one)
	// the layer's CRS, as ogr2ogr -s_srs does. Anything
	// OSRSetFromUserInput reads: "EPSG:4326", WKT, PROJ strings.
	SourceSRS string
	// TargetSRS, when set, reprojects geometries into that CRS. Both CRSs
	// use the traditional GIS axis order: x is longitude or easting.
	TargetSRS string
	// Linear approximates curves by line strings and turns triangles,
	// TINs and polyhedral surfaces into (multi)polygons, so that every
	// geometry is one of the seven simple feature types.
	Linear bool
	// PromoteToMulti turns POINT, LINESTRING and POLYGON into their multi
	// types, as ogr2ogr -nlt PROMOTE_TO_MULTI does.
	PromoteToMulti bool
	// Dim, unless DimAsRead, gives every geometry that dimension: a
	// missing Z or M is added as 0, an extra one dropped.
	Dim Dim
	// Validate checks each geometry with OGR_G_IsValid (needs GEOS, see
	// HasGEOS), after conversion and reprojection: what is checked is
	// what the reader gets.
	Validate bool
}

// Validity is the outcome of a geometry validity check.
type Validity int8

const (
	// Unchecked: validity was not asked for (ReadQuery.Validate), cannot
	// be checked (no GEOS), or the geometry is NULL.
	Unchecked Validity = iota
	Valid
	Invalid
)

func (v Validity) String() string {
	switch v {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	}
	return "unchecked"
}

// Feature is one feature as read.
type Feature struct {
	// FID is the feature id from the source, or -1 (OGRNullFID) if it has
	// none.
	FID int64
	// WKB is the geometry as ISO WKB, little endian, keeping Z and M; nil
	// when the geometry is NULL.
	WKB []byte
	// Values are aligned with LayerInfo.Fields: nil for NULL or unset;
	// otherwise int64 (Integer, Integer64), bool (Boolean), float64,
	// string, time.Time (Date: midnight UTC; DateTime: in its time zone,
	// UTC when the source has none), string "15:04:05[.000]" (Time),
	// []byte, []int64, []float64, []string (lists).
	Values []any
	// Validity of WKB when ReadQuery.Validate is set.
	Validity Validity
}

// NullFID is the FID of features whose source gives them none.
const NullFID = -1

// Features streams the features of the named layer that match q, in the
// source's order. Iteration stops at the first error, which is yielded
// (read errors name the file and the feature); cancelling ctx stops it
// between features with ctx's error. The layer's read cursor is shared:
// do not iterate the same layer twice at once, nor call Layers during an
// iteration. Breaking out of the loop releases everything.
func (d *Dataset) Features(ctx context.Context, layer string, q ReadQuery) iter.Seq2[Feature, error] {
	return func(yield func(Feature, error) bool) {
		r, err := d.startRead(layer, q)
		if err != nil {
			yield(Feature{}, err)
			return
		}
		defer r.close()
		for {
			if err := ctx.Err(); err != nil {
				yield(Feature{}, fmt.Errorf("%s: %s: %w", d.path, r.op, err))
				return
			}
			f, ok, err := r.next()
			if err != nil {
				yield(Feature{}, err)
				return
			}
			if !ok || !yield(f, nil) {
				return
			}
		}
	}
}

// reader is one iteration over a layer.
type reader struct {
	d       *Dataset
	op      string
	layer   C.OGRLayerH
	types   []FieldType
	opts    C.tuiles_geom_opts
	src     C.OGRSpatialReferenceH // owned, or nil
	dst     C.OGRSpatialReferenceH // owned, or nil
	lastFID int64
	geoms   bool
	target  string
}

// startRead sets up the filter and the transformation, and resets the
// layer's cursor.
func (d *Dataset) startRead(name string, q ReadQuery) (*reader, error) {
	if d.h == nil {
		return nil, fmt.Errorf("%s: %w", d.path, ErrClosed)
	}
	r := &reader{d: d, op: fmt.Sprintf("layer %q", name), lastFID: NullFID, target: q.TargetSRS}
	d.errs.enter()
	defer d.leave()
	if err := r.setup(name, q); err != nil {
		r.release()
		return nil, err
	}
	return r, nil
}

func (r *reader) setup(name string, q ReadQuery) error {
	d := r.d
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	r.layer = C.GDALDatasetGetLayerByName(d.h, cname)
	if r.layer == nil {
		if err := d.errs.take(d.path, r.op); err != nil {
			return err
		}
		return fmt.Errorf("%s: %s: %w", d.path, r.op, ErrNoLayer)
	}
	defn := C.OGR_L_GetLayerDefn(r.layer)
	for _, f := range fieldInfos(defn) {
		r.types = append(r.types, f.Type)
	}
	r.geoms = C.OGR_FD_GetGeomFieldCount(defn) > 0

	if !setFilter(r.layer, q.Where) {
		return d.errs.must(d.path, fmt.Sprintf("%s: where %q", r.op, q.Where), "invalid attribute filter")
	}

	r.opts.dim = -1
	switch q.Dim {
	case DimXY:
		r.opts.dim = 0
	case DimXYZ:
		r.opts.dim = 1
	case DimXYM:
		r.opts.dim = 2
	case DimXYZM:
		r.opts.dim = 3
	}
	r.opts.linear = cBool(q.Linear)
	r.opts.promote = cBool(q.PromoteToMulti)
	r.opts.validate = cBool(q.Validate && HasGEOS())

	if q.TargetSRS == "" || !r.geoms {
		return nil
	}
	if q.SourceSRS != "" {
		if r.src = newSRS(q.SourceSRS); r.src == nil {
			return d.errs.must(d.path, fmt.Sprintf("%s: source CRS %q", r.op, q.SourceSRS), "not a CRS GDAL knows")
		}
	} else {
		layerSRS := C.OGR_GFld_GetSpatialRef(C.OGR_FD_GetGeomFieldDefn(defn, 0))
		if layerSRS == nil {
			return &Error{Path: d.path, Op: r.op, Msg: fmt.Sprintf("the layer has no CRS to reproject from to %s", q.TargetSRS)}
		}
		r.src = C.OSRClone(layerSRS)
		C.OSRSetAxisMappingStrategy(r.src, C.OAMS_TRADITIONAL_GIS_ORDER)
	}
	if r.dst = newSRS(q.TargetSRS); r.dst == nil {
		return d.errs.must(d.path, fmt.Sprintf("%s: target CRS %q", r.op, q.TargetSRS), "not a CRS GDAL knows")
	}
	r.opts.ct = C.OCTNewCoordinateTransformation(r.src, r.dst)
	if r.opts.ct == nil {
		return d.errs.must(d.path, fmt.Sprintf("%s: target CRS %q", r.op, q.TargetSRS), "no transformation from the source CRS")
	}
	// A failure may have been reported and recovered from: clear it so it
	// is not blamed on the first feature.
	d.errs.take(d.path, r.op)
	C.OGR_L_ResetReading(r.layer)
	return d.errs.take(d.path, r.op).orNil()
}

// orNil keeps a nil *Error from becoming a non-nil error interface.
func (e *Error) orNil() error {
	if e == nil {
		return nil
	}
	return e
}

// setFilter sets (or, with "", clears) the layer's attribute filter and
// reports whether OGR accepted it.
func setFilter(l C.OGRLayerH, where string) bool {
	var cwhere *C.char
	if where != "" {
		cwhere = C.CString(where)
		defer C.free(unsafe.Pointer(cwhere))
	}
	return C.OGR_L_SetAttributeFilter(l, cwhere) == C.OGRERR_NONE
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// close resets the layer so that the filter does not outlive the
// iteration, and frees the transformation.
func (r *reader) close() {
	if r.d.h == nil {
		// Closed under the iteration: the layer, and the error buffer, are
		// gone. GDALClose freed the layer's state; the transformation
		// and SRSs are ours and are freed without error handling.
		r.releaseOwned()
		return
	}
	r.d.errs.enter()
	defer r.d.leave()
	r.release()
}

// release runs inside a pinned call sequence.
func (r *reader) release() {
	if r.layer != nil && r.d.h != nil {
		setFilter(r.layer, "")
		C.OGR_L_ResetReading(r.layer)
	}
	r.releaseOwned()
	// Failures while cleaning up have nothing left to spoil.
	r.d.errs.take(r.d.path, r.op)
}

// releaseOwned frees what the reader created.
func (r *reader) releaseOwned() {
	if r.opts.ct != nil {
		C.OCTDestroyCoordinateTransformation(r.opts.ct)
		r.opts.ct = nil
	}
	if r.src != nil {
		C.OSRDestroySpatialReference(r.src)
		r.src = nil
	}
	if r.dst != nil {
		C.OSRDestroySpatialReference(r.dst)
		r.dst = nil
	}
}

// next reads one feature; ok is false at the end of the layer.
func (r *reader) next() (f Feature, ok bool, err error) {
	d := r.d
	if d.h == nil {
		return Feature{}, false, fmt.Errorf("%s: %w", d.path, ErrClosed)
	}
	d.errs.enter()
	defer d.leave()
	h := C.OGR_L_GetNextFeature(r.layer)
	if h == nil {
		// NULL is both the end and a failure: only GDAL's report tells.
		if e := d.errs.take(d.path, r.where()); e != nil {
			return Feature{}, false, e
		}
		return Feature{}, false, nil
	}
	defer C.OGR_F_Destroy(h)
	f = Feature{FID: int64(C.OGR_F_GetFID(h))}
	r.lastFID = f.FID
	// A driver that reports a failure and still returns a feature (a
	// damaged record, say) returned something incomplete: say so rather
	// than import it silently.
	if e := d.errs.take(d.path, r.where()); e != nil {
		return Feature{}, false, e
	}
	f.Values = make([]any, len(r.types))
	for i, t := range r.types {
		f.Values[i] = fieldValue(h, C.int(i), t)
	}
	if r.geoms {
		if err := r.geometry(h, &f); err != nil {
			return Feature{}, false, err
		}
	}
	if e := d.errs.take(d.path, r.where()); e != nil {
		return Feature{}, false, e
	}
	return f, true, nil
}

// where names the current position for error messages.
func (r *reader) where() string {
	if r.lastFID == NullFID {
		return r.op
	}
	return fmt.Sprintf("%s: feature %d", r.op, r.lastFID)
}

func (r *reader) geometry(h C.OGRFeatureH, f *Feature) error {
	g := C.OGR_F_StealGeometry(h)
	if g == nil {
		return nil
	}
	var buf *C.uchar
	var n C.size_t
	var valid C.int
	switch C.tuiles_geometry(g, &r.opts, &buf, &n, &valid) {
	case C.TUILES_GEOM_OK:
	case C.TUILES_GEOM_TRANSFORM:
		return r.d.errs.must(r.d.path, r.where(), "cannot reproject the geometry to "+r.target)
	default:
		return r.d.errs.must(r.d.path, r.where(), "cannot convert the geometry")
	}
	f.WKB = C.GoBytes(unsafe.Pointer(buf), C.int(n))
	C.CPLFree(unsafe.Pointer(buf))
	switch valid {
	case 1:
		f.Validity = Valid
	case 0:
		f.Validity = Invalid
	}
	return nil
}

// fieldValue converts field i of feature h to its Go value.
func fieldValue(h C.OGRFeatureH, i C.int, t FieldType) any {
	if C.OGR_F_IsFieldSetAndNotNull(h, i) == 0 {
		return nil
	}
	switch t {
	case FieldInteger, FieldInteger64:
		return int64(C.OGR_F_GetFieldAsInteger64(h, i))
	case FieldBoolean:
		return C.OGR_F_GetFieldAsInteger(h, i) != 0
	case FieldReal:
		return float64(C.OGR_F_GetFieldAsDouble(h, i))
	case FieldDate, FieldDateTime, FieldTime:
		return dateValue(h, i, t)
	case FieldBinary:
		var n C.int
		p := C.OGR_F_GetFieldAsBinary(h, i, &n)
		return C.GoBytes(unsafe.Pointer(p), n)
	case FieldIntegerList, FieldInteger64List:
		var n C.int
		p := C.OGR_F_GetFieldAsInteger64List(h, i, &n)
		out := make([]int64, int(n))
		for k, v := range unsafe.Slice(p, int(n)) {
			out[k] = int64(v)
		}
		return out
	case FieldRealList:
		var n C.int
		p := C.OGR_F_GetFieldAsDoubleList(h, i, &n)
		out := make([]float64, int(n))
		for k, v := range unsafe.Slice(p, int(n)) {
			out[k] = float64(v)
		}
		return out
	case FieldStringList:
		p := C.OGR_F_GetFieldAsStringList(h, i)
		n := int(C.CSLCount(p))
		out := make([]string, n)
		for k, v := range unsafe.Slice(p, n) {
			out[k] = C.GoString(v)
		}
		return out
	default:
		return C.GoString(C.OGR_F_GetFieldAsString(h, i))
	}
}

// dateValue reads a Date, DateTime or Time field. OGR's time zone flag is
// 0 (unknown), 1 (local time, zone unknown), 100 (UTC) or 100±n for
// offsets of n quarter hours.
func dateValue(h C.OGRFeatureH, i C.int, t FieldType) any {
	var y, mo, d, hh, mi, tz C.int
	var sec C.float
	if C.OGR_F_GetFieldAsDateTimeEx(h, i, &y, &mo, &d, &hh, &mi, &sec, &tz) == 0 {
		return C.GoString(C.OGR_F_GetFieldAsString(h, i))
	}
	whole := math.Floor(float64(sec))
	// OGR keeps milliseconds; the float32 seconds need rounding to them.
	ms := int(math.Round((float64(sec) - whole) * 1000))
	if t == FieldTime {
		s := fmt.Sprintf("%02d:%02d:%02d", int(hh), int(mi), int(whole))
		if ms != 0 {
			s += fmt.Sprintf(".%03d", ms)
		}
		return s
	}
	loc := time.UTC
	if tz > 100 || (tz > 1 && tz < 100) {
		off := (int(tz) - 100) * 15 * 60
		loc = time.FixedZone("", off)
	}
	if t == FieldDate {
		hh, mi, whole, ms, loc = 0, 0, 0, 0, time.UTC
	}
	return time.Date(int(y), time.Month(mo), int(d), int(hh), int(mi), int(whole), ms*int(time.Millisecond), loc)
}

// GeometryCount is how many features of a layer have one geometry type.
type GeometryCount struct {
	// Type is named as in LayerInfo.GeometryType; NONE counts features
	// whose geometry is NULL.
	Type       string
	HasZ, HasM bool
	Count      int64
}

// GeometryTypes reads the layer's features matching q.Where (the other
// fields of q are ignored) and counts their geometry types: what the
// features really are, where LayerInfo.GeometryType is what the source
// declares. The counts add up to the number of matching features. It reads
// the whole layer; cancelling ctx stops it.
func (d *Dataset) GeometryTypes(ctx context.Context, layer string, q ReadQuery) ([]GeometryCount, error) {
	r, err := d.startRead(layer, ReadQuery{Where: q.Where})
	if err != nil {
		return nil, err
	}
	if !r.geoms {
		// OGR_L_GetGeometryTypes wants a geometry field: count instead.
		r.close()
		var n int64
		for _, err := range d.Features(ctx, layer, ReadQuery{Where: q.Where}) {
			if err != nil {
				return nil, err
			}
			n++
		}
		if n == 0 {
			return nil, nil
		}
		return []GeometryCount{{Type: "NONE", Count: n}}, nil
	}
	defer r.close()

	// GDAL polls the flag between features; the cancel flag is Go memory
	// that C reads only during the call, as cgo allows.
	var cancel atomic.Int32
	stop := context.AfterFunc(ctx, func() { cancel.Store(1) })
	defer stop()

	d.errs.enter()
	defer d.leave()
	var n C.int
	counts := C.tuiles_geometry_types(r.layer, &n, (*C.int)(unsafe.Pointer(&cancel)))
	if counts == nil {
		if ctx.Err() != nil {
			d.errs.take(d.path, r.op)
			return nil, fmt.Errorf("%s: %s: %w", d.path, r.op, ctx.Err())
		}
		if e := d.errs.take(d.path, r.op); e != nil {
			return nil, e
		}
		// An empty layer: GDAL returns no array at all.
		return nil, nil
	}
	defer C.VSIFree(unsafe.Pointer(counts))
	out := make([]GeometryCount, 0, int(n))
	for _, c := range unsafe.Slice(counts, int(n)) {
		name, z, m := typeName(c.eGeomType)
		out = append(out, GeometryCount{Type: name, HasZ: z, HasM: m, Count: int64(c.nCount)})
	}
	if e := d.errs.take(d.path, r.op); e != nil {
		return nil, e
	}
	return out, nil
}
