// C helpers for the raster side of package gdal.

#ifndef TUILES_RASTER_H
#define TUILES_RASTER_H

#include <stdint.h>
#include <gdal.h>
#include <gdal_utils.h>

// tuiles_warp_set_progress makes o's progress callback ask the Go side
// (tuilesProgress, with the cgo.Handle h) whether to go on.
void tuiles_warp_set_progress(GDALWarpAppOptions *o, uintptr_t h);

// tuiles_translate_set_progress does the same for gdal_translate options.
void tuiles_translate_set_progress(GDALTranslateOptions *o, uintptr_t h);

#endif
