package gdal

/*
#include <stdlib.h>
#include "tuiles_gdal.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// minMatchConfidence is the confidence (percent) from OSRFindMatches at
// which a CRS without an authority code is taken to be the EPSG CRS it
// matches: 90 is what GDAL's shapefile driver accepts for .prj files, whose
// ESRI names differ from EPSG's while the definitions agree.
const minMatchConfidence = 90

// describeSRS identifies srs (not owned) by authority code when it can,
// exports its WKT, and describes its horizontal part if it has a vertical
// one. It runs inside a pinned call sequence.
func describeSRS(srs C.OGRSpatialReferenceH) (SRS, error) {
	out, err := identifySRS(srs)
	if err != nil {
		return SRS{}, err
	}
	if C.OSRIsCompound(srs) != 0 || C.OSRGetAxesCount(srs) > 2 {
		h := C.OSRClone(srs)
		defer C.OSRDestroySpatialReference(h)
		if C.OSRStripVertical(h) == C.OGRERR_NONE && C.OSRDemoteTo2D(h, nil) == C.OGRERR_NONE {
			if hs, err := identifySRS(h); err == nil {
				out.Horizontal = &hs
			}
		}
	}
	return out, nil
}

// identifySRS is describeSRS without the horizontal part.
func identifySRS(srs C.OGRSpatialReferenceH) (SRS, error) {
	var out SRS
	var wkt *C.char
	if C.OSRExportToWkt(srs, &wkt) != C.OGRERR_NONE {
		C.CPLFree(unsafe.Pointer(wkt))
		return SRS{}, errors.New("cannot export its CRS as WKT")
	}
	out.WKT = C.GoString(wkt)
	C.CPLFree(unsafe.Pointer(wkt))

	if auth, code := authority(srs); auth != "" {
		out.Authority, out.Code = auth, code
		return out, nil
	}
	// Identification may change the object: work on a copy.
	clone := C.OSRClone(srs)
	defer C.OSRDestroySpatialReference(clone)
	// OSRAutoIdentifyEPSG fails quietly for CRSs it does not recognise;
	// that is an answer, not an error.
	if C.OSRAutoIdentifyEPSG(clone) == C.OGRERR_NONE {
		if auth, code := authority(clone); auth != "" {
			out.Authority, out.Code = auth, code
			return out, nil
		}
	}
	var n C.int
	var confidence *C.int
	matches := C.OSRFindMatches(clone, nil, &n, &confidence)
	if matches == nil {
		return out, nil
	}
	defer C.OSRFreeSRSArray(matches)
	defer C.CPLFree(unsafe.Pointer(confidence))
	ms := unsafe.Slice(matches, int(n))
	cs := unsafe.Slice(confidence, int(n))
	// A match whose definition is equivalent is the CRS, whatever the
	// names say (an ESRI .prj calls EPSG:4979 "WGS_1984_3D", which lowers
	// the confidence). EPSG codes come first: OGC:CRS84 is equivalent to
	// EPSG:4326 up to the axis order, which the data's x,y order hides.
	equiv := cStrings([]string{"CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS"})
	defer C.CSLDestroy(equiv)
	same := func(m C.OGRSpatialReferenceH) bool { return C.OSRIsSameEx(clone, m, equiv) != 0 }
	for _, m := range ms {
		if auth, code := authority(m); auth == "EPSG" && same(m) {
			out.Authority, out.Code = auth, code
			return out, nil
		}
	}
	// Otherwise the best match, if clearly the best (matches come best
	// first; two equally good ones are ambiguous).
	if n > 0 && cs[0] >= minMatchConfidence && (n == 1 || cs[1] < cs[0]) {
		if auth, code := authority(ms[0]); auth != "" {
			out.Authority, out.Code = auth, code
			return out, nil
		}
	}
	for _, m := range ms {
		if auth, code := authority(m); auth != "" && same(m) {
			out.Authority, out.Code = auth, code
			return out, nil
		}
	}
	return out, nil
}

// authority returns the authority name and code of the CRS as a whole.
func authority(srs C.OGRSpatialReferenceH) (string, string) {
	auth := C.OSRGetAuthorityName(srs, nil)
	code := C.OSRGetAuthorityCode(srs, nil)
	if auth == nil || code == nil {
		return "", ""
	}
	return C.GoString(auth), C.GoString(code)
}

// newSRS makes a spatial reference from anything OSRSetFromUserInput reads
// ("EPSG:2154", WKT, PROJ strings), with the traditional GIS axis order
// (longitude/easting first) so coordinates never swap. The caller destroys
// it. It runs inside a pinned call sequence.
func newSRS(def string) C.OGRSpatialReferenceH {
	srs := C.OSRNewSpatialReference(nil)
	cdef := C.CString(def)
	defer C.free(unsafe.Pointer(cdef))
	if C.OSRSetFromUserInput(srs, cdef) != C.OGRERR_NONE {
		C.OSRDestroySpatialReference(srs)
		return nil
	}
	C.OSRSetAxisMappingStrategy(srs, C.OAMS_TRADITIONAL_GIS_ORDER)
	return srs
}
