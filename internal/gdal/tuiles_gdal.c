#include <string.h>

#include "tuiles_gdal.h"

void tuiles_errors_reset(tuiles_errors *e) {
	e->failures = 0;
	e->warnings = 0;
	e->last_failure_no = 0;
	e->failure_len = 0;
	e->warning_len = 0;
	e->failure[0] = 0;
	e->warning[0] = 0;
}

// append adds msg as one line to buf, cutting it when the buffer is full:
// the first messages are usually the telling ones.
static void append(char *buf, size_t *len, const char *msg) {
	size_t room = TUILES_MSG_SIZE - 1 - *len;
	if (room < 2) return;
	if (*len > 0) {
		buf[(*len)++] = '\n';
		room--;
	}
	size_t n = strlen(msg);
	if (n > room) n = room;
	memcpy(buf + *len, msg, n);
	*len += n;
	buf[*len] = 0;
}

static void CPL_STDCALL collect(CPLErr cls, CPLErrorNum no, const char *msg) {
	tuiles_errors *e = (tuiles_errors *)CPLGetErrorHandlerUserData();
	if (e == NULL || msg == NULL) return;
	switch (cls) {
	case CE_Failure:
	case CE_Fatal:
		e->failures++;
		e->last_failure_no = no;
		append(e->failure, &e->failure_len, msg);
		break;
	case CE_Warning:
		e->warnings++;
		append(e->warning, &e->warning_len, msg);
		break;
	default:
		// CE_Debug and CE_None: only with CPL_DEBUG, for developers.
		break;
	}
}

void tuiles_push_errors(tuiles_errors *e) { CPLPushErrorHandlerEx(collect, e); }

void tuiles_pop_errors(void) { CPLPopErrorHandler(); }

static int CPL_STDCALL cancel_progress(double complete, const char *msg, void *arg) {
	(void)complete;
	(void)msg;
	return __atomic_load_n((int *)arg, __ATOMIC_RELAXED) == 0;
}

OGRGeometryTypeCounter *tuiles_geometry_types(OGRLayerH layer, int *count, int *cancel) {
	return OGR_L_GetGeometryTypes(layer, 0, 0, count, cancel_progress, cancel);
}

int tuiles_geometry(OGRGeometryH g, const tuiles_geom_opts *o, unsigned char **wkb,
                    size_t *len, int *valid) {
	*wkb = NULL;
	*len = 0;
	*valid = -1;
	if (o->linear) {
		if (OGR_GT_IsNonLinear(OGR_G_GetGeometryType(g))) {
			OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
			OGR_G_DestroyGeometry(g);
			if (lin == NULL) return TUILES_GEOM_CONVERT;
			g = lin;
		}
		switch (OGR_GT_Flatten(OGR_G_GetGeometryType(g))) {
		case wkbTriangle:
			g = OGR_G_ForceTo(g, wkbPolygon, NULL);
			break;
		case wkbTIN:
		case wkbPolyhedralSurface:
			g = OGR_G_ForceTo(g, wkbMultiPolygon, NULL);
			break;
		default:
			break;
		}
		if (g == NULL) return TUILES_GEOM_CONVERT;
	}
	if (o->promote) {
		switch (OGR_GT_Flatten(OGR_G_GetGeometryType(g))) {
		case wkbPoint:
			g = OGR_G_ForceToMultiPoint(g);
			break;
		case wkbLineString:
			g = OGR_G_ForceToMultiLineString(g);
			break;
		case wkbPolygon:
			g = OGR_G_ForceToMultiPolygon(g);
			break;
		default:
			break;
		}
		if (g == NULL) return TUILES_GEOM_CONVERT;
	}
	if (o->dim >= 0) {
		OGR_G_Set3D(g, (o->dim & 1) != 0);
		OGR_G_SetMeasured(g, (o->dim & 2) != 0);
	}
	if (o->ct != NULL && !OGR_G_IsEmpty(g) && OGR_G_Transform(g, o->ct) != OGRERR_NONE) {
		OGR_G_DestroyGeometry(g);
		return TUILES_GEOM_TRANSFORM;
	}
	if (o->validate) {
		// GEOS reports why a geometry is invalid through CPLError (for
		// example a ring of three points): that is the answer sought, not
		// a failure of the read.
		CPLPushErrorHandler(CPLQuietErrorHandler);
		*valid = OGR_G_IsValid(g) ? 1 : 0;
		CPLPopErrorHandler();
	}
	size_t n = OGR_G_WkbSizeEx(g);
	unsigned char *buf = (unsigned char *)VSI_MALLOC_VERBOSE(n > 0 ? n : 1);
	if (buf == NULL) {
		OGR_G_DestroyGeometry(g);
		return TUILES_GEOM_EXPORT;
	}
	if (OGR_G_ExportToIsoWkb(g, wkbNDR, buf) != OGRERR_NONE) {
		CPLFree(buf);
		OGR_G_DestroyGeometry(g);
		return TUILES_GEOM_EXPORT;
	}
	OGR_G_DestroyGeometry(g);
	*wkb = buf;
	*len = n;
	return TUILES_GEOM_OK;
}
