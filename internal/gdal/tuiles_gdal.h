// C helpers for package gdal. They exist where doing the work in C saves
// many cgo crossings per feature, or where GDAL wants a C callback.

#ifndef TUILES_GDAL_H
#define TUILES_GDAL_H

#include <stddef.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>

// Sizes of the message buffers; longer message lists are cut.
#define TUILES_MSG_SIZE 4096

// tuiles_errors collects the messages GDAL reports on one thread while
// tuiles_push_errors is in force, instead of GDAL printing them to stderr.
typedef struct {
	int failures;
	int warnings;
	int last_failure_no;
	size_t failure_len;
	size_t warning_len;
	char failure[TUILES_MSG_SIZE];
	char warning[TUILES_MSG_SIZE];
} tuiles_errors;

void tuiles_errors_reset(tuiles_errors *e);
void tuiles_push_errors(tuiles_errors *e);
void tuiles_pop_errors(void);

// tuiles_geometry_types runs OGR_L_GetGeometryTypes, stopping early when
// *cancel becomes non-zero (set from another thread).
OGRGeometryTypeCounter *tuiles_geometry_types(OGRLayerH layer, int *count, int *cancel);

// Options of tuiles_geometry.
typedef struct {
	OGRCoordinateTransformationH ct; // may be NULL
	int linear;                      // approximate curves, make TIN/polyhedral surfaces multipolygons
	int promote;                     // single types to multi types
	int dim;                         // -1: as read; else bit 0 Z, bit 1 M
	int validate;                    // run OGR_G_IsValid (GEOS)
} tuiles_geom_opts;

// Results of tuiles_geometry.
enum {
	TUILES_GEOM_OK = 0,
	TUILES_GEOM_TRANSFORM = 1,
	TUILES_GEOM_EXPORT = 2,
	TUILES_GEOM_CONVERT = 3,
};

// tuiles_geometry takes ownership of g, converts it as o says, and exports
// it as little-endian ISO WKB into a CPLMalloc'ed buffer (*wkb, *len), which
// the caller frees with CPLFree. *valid is 1 or 0 when o->validate is set,
// -1 otherwise. g is destroyed in every case.
int tuiles_geometry(OGRGeometryH g, const tuiles_geom_opts *o, unsigned char **wkb,
                    size_t *len, int *valid);

#endif
