package gdal

/*
#include <stdlib.h>
#include "tuiles_gdal.h"
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"unsafe"
)

// OpenOptions tune OpenVector. The zero value opens any vector format
// GDAL knows with the drivers' defaults.
type OpenOptions struct {
	// Options are GDAL open options as KEY=VALUE, passed to the driver
	// that opens the file, e.g. for CSV: X_POSSIBLE_NAMES=lon,
	// Y_POSSIBLE_NAMES=lat, GEOM_POSSIBLE_NAMES=wkt, KEEP_GEOM_COLUMNS=NO,
	// AUTODETECT_TYPE=YES. Options a driver does not know draw a warning.
	Options []string
	// Drivers restricts the drivers tried (short names such as "GeoJSON",
	// "ESRI Shapefile"); nil tries them all.
	Drivers []string
	// Logger receives GDAL's warnings, at warn level; nil discards them.
	Logger *slog.Logger
}

// maxLoggedWarnings bounds the warnings logged per Dataset: some drivers
// warn once per feature, and an import of a million features must not
// write a million lines.
const maxLoggedWarnings = 50

// Dataset is an open GDAL dataset, read only. It must be used by one
// goroutine at a time (see the package comment), and closed.
type Dataset struct {
	h    C.GDALDatasetH
	path string // as the caller gave it, for messages
	errs errState
	log  *slog.Logger
	// warned counts the warnings logged, up to maxLoggedWarnings.
	warned int
}

// OpenVector opens a vector dataset read-only. A path ending in .zip is
// read through GDAL's /vsizip/ (a zipped shapefile, or an archive holding
// one dataset); other /vsi paths and connection strings pass unchanged.
// The context is checked before opening: GDAL's open itself cannot be
// interrupted.
func OpenVector(ctx context.Context, path string, opts OpenOptions) (*Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: open: %w", path, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dataset{path: path, errs: newErrState(), log: log}

	name := gdalName(path)
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	copts := cStrings(opts.Options)
	defer C.CSLDestroy(copts)
	cdrivers := cStrings(opts.Drivers)
	defer C.CSLDestroy(cdrivers)

	d.errs.enter()
	registerDrivers()
	flags := C.uint(C.GDAL_OF_VECTOR | C.GDAL_OF_READONLY | C.GDAL_OF_VERBOSE_ERROR)
	d.h = C.GDALOpenEx(cname, flags, cdrivers, copts, nil)
	var err error
	if d.h == nil {
		err = d.errs.must(path, "open", "GDAL cannot open it as vector data")
	} else if e := d.errs.take(path, "open"); e != nil {
		// Some drivers open and still report a failure (a broken
		// sidecar file, say): the data would be incomplete.
		C.GDALClose(d.h)
		d.h = nil
		err = e
	}
	d.leave()
	if err != nil {
		d.errs.free()
		return nil, err
	}
	return d, nil
}

// gdalName turns a path into the name GDAL opens.
func gdalName(path string) string {
	if strings.HasPrefix(path, "/vsi") || !strings.EqualFold(filepath.Ext(path), ".zip") {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return "/vsizip/" + path
}

// leave ends a call sequence and logs its warnings.
func (d *Dataset) leave() {
	for _, w := range d.errs.leave() {
		d.warned++
		switch {
		case d.warned <= maxLoggedWarnings:
			d.log.Warn("GDAL: "+w, "file", d.path)
		case d.warned == maxLoggedWarnings+1:
			d.log.Warn("GDAL: further warnings not logged", "file", d.path)
		}
	}
}

// Path is the path the Dataset was opened with.
func (d *Dataset) Path() string { return d.path }

// Close releases the dataset. Closing twice is harmless. Iterators from
// Features must be finished first.
func (d *Dataset) Close() error {
	if d.h == nil {
		return nil
	}
	d.errs.enter()
	C.GDALClose(d.h)
	d.h = nil
	err := d.errs.take(d.path, "close")
	d.leave()
	d.errs.free()
	d.errs.c = nil
	if err != nil {
		return err
	}
	return nil
}

// Driver is the short name of the driver that opened the dataset, such as
// "GeoJSON" or "ESRI Shapefile".
func (d *Dataset) Driver() string {
	if d.h == nil {
		return ""
	}
	return C.GoString(C.GDALGetDriverShortName(C.GDALGetDatasetDriver(d.h)))
}

// FieldType is the type of an attribute field.
type FieldType int

// Field types: OGR's, with Boolean for OFTInteger fields of subtype
// OFSTBoolean. The OGR subtypes Int16 and Float32 read as Integer and
// Real; JSON and UUID as String.
const (
	FieldInteger FieldType = iota
	FieldInteger64
	FieldReal
	FieldString
	FieldDate
	FieldDateTime
	FieldTime
	FieldBinary
	FieldBoolean
	FieldIntegerList
	FieldInteger64List
	FieldRealList
	FieldStringList
)

var fieldTypeNames = [...]string{
	FieldInteger:       "Integer",
	FieldInteger64:     "Integer64",
	FieldReal:          "Real",
	FieldString:        "String",
	FieldDate:          "Date",
	FieldDateTime:      "DateTime",
	FieldTime:          "Time",
	FieldBinary:        "Binary",
	FieldBoolean:       "Boolean",
	FieldIntegerList:   "IntegerList",
	FieldInteger64List: "Integer64List",
	FieldRealList:      "RealList",
	FieldStringList:    "StringList",
}

func (t FieldType) String() string {
	if t >= 0 && int(t) < len(fieldTypeNames) {
		return fieldTypeNames[t]
	}
	return fmt.Sprintf("FieldType(%d)", int(t))
}

// FieldInfo describes one attribute field.
type FieldInfo struct {
	Name     string
	Type     FieldType
	Nullable bool
}

// SRS is a layer's coordinate reference system.
type SRS struct {
	// Authority and Code identify the CRS ("EPSG", "2154") when GDAL can
	// tell, directly or by matching its definition against the EPSG
	// database; both are empty otherwise.
	Authority, Code string
	// WKT is the definition (WKT 1, as GeoPackage's gpkg_spatial_ref_sys
	// stores it).
	WKT string
	// Horizontal is the 2D CRS of the x and y coordinates when this one is
	// 3D (GDAL labels GeoJSON with heights EPSG:4979) or compound
	// (EPSG:2154 plus a vertical CRS); nil otherwise.
	Horizontal *SRS
}

// Identified reports whether the SRS has an authority code.
func (s SRS) Identified() bool { return s.Authority != "" && s.Code != "" }

func (s SRS) String() string {
	if s.Identified() {
		return s.Authority + ":" + s.Code
	}
	return s.WKT
}

// Extent is a bounding rectangle in the layer's CRS, in its
// easting/northing (longitude/latitude) order.
type Extent struct {
	MinX, MinY, MaxX, MaxY float64
}

// LayerInfo describes one layer.
type LayerInfo struct {
	Name string
	// GeometryType is the declared type of the (first) geometry field in
	// upper case: POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING,
	// MULTIPOLYGON, GEOMETRYCOLLECTION, the curve and surface types
	// (CIRCULARSTRING, COMPOUNDCURVE, CURVEPOLYGON, MULTICURVE,
	// MULTISURFACE, POLYHEDRALSURFACE, TIN, TRIANGLE), GEOMETRY when any
	// type may occur, or NONE for layers without geometry. Drivers that
	// cannot know better (Shapefile) declare POLYGON for layers that also
	// hold multipolygons: GeometryTypes tells what the features really are.
	GeometryType string
	HasZ, HasM   bool
	// FeatureCount is the number of features (counted if the driver
	// cannot tell otherwise), or -1 if unknown.
	FeatureCount int64
	Fields       []FieldInfo
	// FIDColumn and GeometryColumn name the columns in formats that have
	// them (GeoPackage: "fid", "geom"); empty otherwise.
	FIDColumn      string
	GeometryColumn string
	// SRS is nil when the layer has no CRS (a CSV file, say).
	SRS *SRS
	// Extent is nil when the layer has no geometries.
	Extent *Extent
}

// Layers describes every layer. Counting features and computing extents
// may read whole files; ctx is checked between layers.
func (d *Dataset) Layers(ctx context.Context) ([]LayerInfo, error) {
	if d.h == nil {
		return nil, fmt.Errorf("%s: %w", d.path, ErrClosed)
	}
	n := int(C.GDALDatasetGetLayerCount(d.h))
	out := make([]LayerInfo, 0, n)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		info, err := d.describe(func() C.OGRLayerH { return C.GDALDatasetGetLayer(d.h, C.int(i)) }, fmt.Sprintf("layer %d", i))
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Layer describes the layer called name, or returns an error wrapping
// ErrNoLayer.
func (d *Dataset) Layer(ctx context.Context, name string) (LayerInfo, error) {
	if d.h == nil {
		return LayerInfo{}, fmt.Errorf("%s: %w", d.path, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return LayerInfo{}, fmt.Errorf("%s: %w", d.path, err)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return d.describe(func() C.OGRLayerH { return C.GDALDatasetGetLayerByName(d.h, cname) }, fmt.Sprintf("layer %q", name))
}

// describe reads the description of the layer that get returns, within one
// pinned call sequence.
func (d *Dataset) describe(get func() C.OGRLayerH, what string) (LayerInfo, error) {
	d.errs.enter()
	defer d.leave()
	l := get()
	if l == nil {
		if err := d.errs.take(d.path, what); err != nil {
			return LayerInfo{}, err
		}
		return LayerInfo{}, fmt.Errorf("%s: %s: %w", d.path, what, ErrNoLayer)
	}
	info := LayerInfo{
		Name:           C.GoString(C.OGR_L_GetName(l)),
		GeometryType:   "NONE",
		FIDColumn:      C.GoString(C.OGR_L_GetFIDColumn(l)),
		GeometryColumn: C.GoString(C.OGR_L_GetGeometryColumn(l)),
		FeatureCount:   int64(C.OGR_L_GetFeatureCount(l, 1)),
	}
	op := fmt.Sprintf("layer %q", info.Name)
	defn := C.OGR_L_GetLayerDefn(l)
	info.Fields = fieldInfos(defn)
	if C.OGR_FD_GetGeomFieldCount(defn) > 0 {
		gfd := C.OGR_FD_GetGeomFieldDefn(defn, 0)
		info.GeometryType, info.HasZ, info.HasM = typeName(C.OGR_GFld_GetType(gfd))
		if srs := C.OGR_GFld_GetSpatialRef(gfd); srs != nil {
			s, err := describeSRS(srs)
			if err != nil {
				return LayerInfo{}, &Error{Path: d.path, Op: op, Msg: err.Error()}
			}
			info.SRS = &s
		}
		var env C.OGREnvelope
		if C.OGR_L_GetExtent(l, &env, 1) == C.OGRERR_NONE {
			info.Extent = &Extent{MinX: float64(env.MinX), MinY: float64(env.MinY), MaxX: float64(env.MaxX), MaxY: float64(env.MaxY)}
		}
	}
	if err := d.errs.take(d.path, op); err != nil {
		return LayerInfo{}, err
	}
	return info, nil
}

func fieldInfos(defn C.OGRFeatureDefnH) []FieldInfo {
	n := int(C.OGR_FD_GetFieldCount(defn))
	out := make([]FieldInfo, n)
	for i := range n {
		fd := C.OGR_FD_GetFieldDefn(defn, C.int(i))
		out[i] = FieldInfo{
			Name:     C.GoString(C.OGR_Fld_GetNameRef(fd)),
			Type:     fieldType(C.OGR_Fld_GetType(fd), C.OGR_Fld_GetSubType(fd)),
			Nullable: C.OGR_Fld_IsNullable(fd) != 0,
		}
	}
	return out
}

func fieldType(t C.OGRFieldType, sub C.OGRFieldSubType) FieldType {
	switch t {
	case C.OFTInteger:
		if sub == C.OFSTBoolean {
			return FieldBoolean
		}
		return FieldInteger
	case C.OFTInteger64:
		return FieldInteger64
	case C.OFTReal:
		return FieldReal
	case C.OFTDate:
		return FieldDate
	case C.OFTDateTime:
		return FieldDateTime
	case C.OFTTime:
		return FieldTime
	case C.OFTBinary:
		return FieldBinary
	case C.OFTIntegerList:
		return FieldIntegerList
	case C.OFTInteger64List:
		return FieldInteger64List
	case C.OFTRealList:
		return FieldRealList
	case C.OFTStringList, C.OFTWideStringList:
		return FieldStringList
	default:
		// OFTString, OFTWideString and any type added later read as text.
		return FieldString
	}
}

// typeName names an OGR geometry type as GeoPackage and WKT do.
func typeName(t C.OGRwkbGeometryType) (name string, z, m bool) {
	z = C.OGR_GT_HasZ(t) != 0
	m = C.OGR_GT_HasM(t) != 0
	switch C.OGR_GT_Flatten(t) {
	case C.wkbNone:
		return "NONE", false, false
	case C.wkbPoint:
		name = "POINT"
	case C.wkbLineString:
		name = "LINESTRING"
	case C.wkbPolygon:
		name = "POLYGON"
	case C.wkbMultiPoint:
		name = "MULTIPOINT"
	case C.wkbMultiLineString:
		name = "MULTILINESTRING"
	case C.wkbMultiPolygon:
		name = "MULTIPOLYGON"
	case C.wkbGeometryCollection:
		name = "GEOMETRYCOLLECTION"
	case C.wkbCircularString:
		name = "CIRCULARSTRING"
	case C.wkbCompoundCurve:
		name = "COMPOUNDCURVE"
	case C.wkbCurvePolygon:
		name = "CURVEPOLYGON"
	case C.wkbMultiCurve:
		name = "MULTICURVE"
	case C.wkbMultiSurface:
		name = "MULTISURFACE"
	case C.wkbCurve:
		name = "CURVE"
	case C.wkbSurface:
		name = "SURFACE"
	case C.wkbPolyhedralSurface:
		name = "POLYHEDRALSURFACE"
	case C.wkbTIN:
		name = "TIN"
	case C.wkbTriangle:
		name = "TRIANGLE"
	default:
		name = "GEOMETRY"
	}
	return name, z, m
}
