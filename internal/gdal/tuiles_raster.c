#include "tuiles_raster.h"
#include "_cgo_export.h"

static int CPL_STDCALL progress(double complete, const char *msg, void *arg) {
	(void)complete;
	(void)msg;
	return tuilesProgress((uintptr_t)arg);
}

void tuiles_warp_set_progress(GDALWarpAppOptions *o, uintptr_t h) {
	GDALWarpAppOptionsSetProgress(o, progress, (void *)h);
}

void tuiles_translate_set_progress(GDALTranslateOptions *o, uintptr_t h) {
	GDALTranslateOptionsSetProgress(o, progress, (void *)h);
}
