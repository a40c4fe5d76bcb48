package store

/*
#cgo LDFLAGS: -lproj
#include <stdlib.h>
#include <string.h>
#include <proj.h>

// tuiles_proj_wkt returns PROJ's WKT for a CRS definition, or NULL. The
// caller frees the result. A private context keeps it goroutine-safe.
static char *tuiles_proj_wkt(const char *def, int type) {
	PJ_CONTEXT *ctx = proj_context_create();
	if (!ctx) return NULL;
	proj_log_level(ctx, PJ_LOG_NONE);
	char *out = NULL;
	PJ *pj = proj_create(ctx, def);
	if (pj) {
		const char *opts[] = {"MULTILINE=NO", NULL};
		const char *w = proj_as_wkt(ctx, pj, (PJ_WKT_TYPE)type, opts);
		if (w) out = strdup(w);
		proj_destroy(pj);
	}
	proj_context_destroy(ctx);
	return out;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/tuiles/tuiles/internal/crs"
)

// go-proj exposes no WKT export, hence this one call to proj_as_wkt.

// wktType selects the WKT dialect: gpkg_spatial_ref_sys.definition holds
// WKT1 as GDAL writes it; definition_12_063 (the crs_wkt extension GDAL
// adds for some CRSs) holds ISO 19162:2015 WKT2.
type wktType int

const (
	wkt1GDAL wktType = C.PJ_WKT1_GDAL
	wkt2015  wktType = C.PJ_WKT2_2015
)

// projWKT asks PROJ for the WKT of c.
func projWKT(c crs.CRS, t wktType) (string, error) {
	def := C.CString(c.Authority + ":" + c.Code)
	defer C.free(unsafe.Pointer(def))
	w := C.tuiles_proj_wkt(def, C.int(t))
	if w == nil {
		return "", fmt.Errorf("%w: PROJ has no WKT for %s", crs.ErrUnknownCRS, c)
	}
	defer C.free(unsafe.Pointer(w))
	return C.GoString(w), nil
}
