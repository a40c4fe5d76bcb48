package crs

/*
#cgo LDFLAGS: -lproj
#include <stdlib.h>
#include <proj.h>

// axis_facts asks PROJ for the facts tuiles needs about a CRS. It returns 0 on
// success. Its own context keeps it safe to call from any goroutine.
static int axis_facts(const char *def, int *geographic, int *northing_first,
                      double *unit_factor, double *area, char *name, int name_len) {
	PJ_CONTEXT *ctx = proj_context_create();
	if (!ctx) return -1;
	proj_log_level(ctx, PJ_LOG_NONE);
	PJ *crs = proj_create(ctx, def);
	if (!crs) { proj_context_destroy(ctx); return -2; }
	PJ_TYPE t = proj_get_type(crs);
	PJ *base = crs;
	if (t == PJ_TYPE_COMPOUND_CRS) {
		base = proj_crs_get_sub_crs(ctx, crs, 0);
		if (!base) { proj_destroy(crs); proj_context_destroy(ctx); return -3; }
		t = proj_get_type(base);
	}
	*geographic = (t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS);
	PJ *cs = proj_crs_get_coordinate_system(ctx, base);
	int rc = -4;
	if (cs) {
		const char *dir = NULL;
		double factor = 0;
		if (proj_cs_get_axis_info(ctx, cs, 0, NULL, NULL, &dir, &factor, NULL, NULL, NULL)) {
			*northing_first = dir && (dir[0] == 'n' || dir[0] == 'N' || dir[0] == 's' || dir[0] == 'S');
			*unit_factor = factor;
			rc = 0;
		}
		proj_destroy(cs);
	}
	double w = 0, s = 0, e = 0, n = 0;
	if (proj_get_area_of_use(ctx, crs, &w, &s, &e, &n, NULL)) {
		area[0] = w; area[1] = s; area[2] = e; area[3] = n;
	} else {
		area[0] = -180; area[1] = -90; area[2] = 180; area[3] = 90;
	}
	const char *nm = proj_get_name(crs);
	if (nm && name_len > 0) {
		int i = 0;
		for (; nm[i] && i < name_len - 1; i++) name[i] = nm[i];
		name[i] = 0;
	}
	if (base != crs) proj_destroy(base);
	proj_destroy(crs);
	proj_context_destroy(ctx);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Info holds the facts about a CRS that protocol code depends on.
type Info struct {
	CRS  CRS
	Name string
	// Geographic is true for latitude/longitude CRSs.
	Geographic bool
	// NorthingFirst is true when the CRS's first axis points north or south
	// (EPSG:4326 latitude, some national grids' northing): the order WMS
	// 1.3.0, WFS 2.0 and WMTS use for that CRS.
	NorthingFirst bool
	// MetersPerUnit converts CRS units to meters for scale denominators;
	// degrees use the OGC convention of one equatorial degree.
	MetersPerUnit float64
	// AreaOfUse is the CRS's domain in WGS84 longitude/latitude.
	AreaOfUse Bounds
}

// Lookup asks PROJ's database about c. It is safe for concurrent use; it is
// slow enough (a database read) that callers keep the answer.
func lookupPROJ(c CRS) (Info, error) {
	def := C.CString(c.projName())
	defer C.free(unsafe.Pointer(def))
	var geographic, northing C.int
	var factor C.double
	var area [4]C.double
	var name [256]C.char
	rc := C.axis_facts(def, &geographic, &northing, &factor, &area[0], &name[0], C.int(len(name)))
	if rc != 0 {
		return Info{}, fmt.Errorf("%w: PROJ does not know %s", ErrUnknownCRS, c)
	}
	info := Info{
		CRS:           c,
		Name:          C.GoString(&name[0]),
		Geographic:    geographic != 0,
		NorthingFirst: northing != 0,
		MetersPerUnit: float64(factor),
		AreaOfUse:     Bounds{MinX: float64(area[0]), MinY: float64(area[1]), MaxX: float64(area[2]), MaxY: float64(area[3])},
	}
	if info.Geographic {
		info.MetersPerUnit = MetersPerDegree
	}
	return info, nil
}

// Lookup answers from the table of well-known CRSs when it can, and asks
// PROJ's database otherwise. PROJ takes about 0.6 ms per question (it opens
// its database), which a WFS BBOX request pays on every call; the common
// CRSs of this server need no database.
func Lookup(c CRS) (Info, error) {
	if info, ok := wellKnown(c); ok {
		return info, nil
	}
	return lookupPROJ(c)
}
