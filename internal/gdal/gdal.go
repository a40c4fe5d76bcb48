// Package gdal is tuiles' own thin cgo binding to GDAL/OGR (libgdal from
// Debian, 3.6 or later): no Go GDAL binding module is available, so the
// project keeps the small part of the C API it uses here, and nothing
// GIS-specific beyond GDAL's own notions.
//
// It reads vector data (OpenVector, Dataset.Layers, Dataset.Features) for
// tuiles import, and raster data (OpenRaster, Raster.Warp: a window of any
// raster reprojected and resampled to a bbox, size and CRS, using its
// overviews) for the renderer.
//
// # Errors
//
// GDAL reports problems through CPLError, whose state is per OS thread.
// Every call sequence here pins its goroutine to its thread
// (runtime.LockOSThread) and installs a handler (CPLPushErrorHandlerEx)
// that collects the messages, so they come back as Go errors (*Error,
// naming the file) instead of being printed to stderr, and never leak to
// another goroutine. Warnings go to the Logger of OpenOptions.
//
// # Concurrency
//
// GDAL datasets are not safe for concurrent use: a Dataset, and every
// iterator it returns, must be used by one goroutine at a time. Distinct
// Datasets may be used concurrently, even on the same file.
package gdal

/*
#cgo pkg-config: gdal
#include <stdlib.h>
#include "tuiles_gdal.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Errors callers compare with errors.Is.
var (
	// ErrClosed: the Dataset was closed.
	ErrClosed = errors.New("dataset closed")
	// ErrNoLayer: the dataset has no layer of that name.
	ErrNoLayer = errors.New("no such layer")
)

// Error is a failure GDAL reported, or a call that failed without saying
// why.
type Error struct {
	// Path is the file (or GDAL connection string) being read.
	Path string
	// Op says what was being done, e.g. `open` or `layer "roads": feature 12`.
	Op string
	// Msg is GDAL's messages, one per line (the first few kilobytes of
	// them), or a description of the failed call when GDAL gave none.
	Msg string
	// Count is the number of failures GDAL reported (Msg may hold fewer).
	Count int
	// Num is GDAL's CPLErrorNum of the last failure (CPLE_OpenFailed...),
	// or 0.
	Num int
}

// maxErrorLines is how many of GDAL's messages Error shows: a damaged file
// can draw one per feature, and the first ones tell the story.
const maxErrorLines = 3

func (e *Error) Error() string {
	lines := strings.Split(e.Msg, "\n")
	more := max(e.Count, len(lines)) - maxErrorLines
	if more > 0 {
		lines = append(lines[:maxErrorLines], fmt.Sprintf("and %d more", more))
	}
	msg := strings.Join(lines, "; ")
	if e.Op == "" {
		return fmt.Sprintf("%s: %s", e.Path, msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Path, e.Op, msg)
}

// HasGEOS reports whether libgdal was built with GEOS, without which
// geometry validity cannot be checked.
func HasGEOS() bool {
	return bool(C.OGRGetGEOSVersion(nil, nil, nil))
}

// registerDrivers registers GDAL's drivers unless someone (this package, or
// another cgo user in the process) already did. It keeps no state of its
// own: GDALAllRegister is idempotent and its driver manager is locked, so a
// race between two first calls only repeats work.
func registerDrivers() {
	if C.GDALGetDriverCount() == 0 {
		C.GDALAllRegister()
	}
}

// errState collects the CPLError messages of one Dataset's calls. The
// buffer is C memory because GDAL keeps a pointer to it while the handler
// is installed, which Go memory must not be subject to.
type errState struct {
	c *C.tuiles_errors
}

func newErrState() errState {
	return errState{c: (*C.tuiles_errors)(C.calloc(1, C.sizeof_tuiles_errors))}
}

func (e errState) free() { C.free(unsafe.Pointer(e.c)) }

// enter pins the goroutine to its OS thread and installs the collecting
// handler; leave undoes both. Every sequence of GDAL calls whose errors
// matter runs between them, and nothing that may yield to user code does:
// the handler stack and the error state belong to the thread.
func (e errState) enter() {
	runtime.LockOSThread()
	C.tuiles_errors_reset(e.c)
	C.tuiles_push_errors(e.c)
}

// leave removes the handler and returns the warnings collected since
// enter (or the last take).
func (e errState) leave() []string {
	C.tuiles_pop_errors()
	runtime.UnlockOSThread()
	if e.c.warnings == 0 {
		return nil
	}
	return strings.Split(C.GoString(&e.c.warning[0]), "\n")
}

// failed reports whether GDAL reported a failure since enter or the last
// take.
func (e errState) failed() bool { return e.c.failures > 0 }

// take returns the failures reported since enter or the last take, as an
// *Error (nil if none), and forgets them; warnings are kept for leave.
func (e errState) take(path, op string) *Error {
	if e.c.failures == 0 {
		return nil
	}
	err := &Error{Path: path, Op: op, Msg: C.GoString(&e.c.failure[0]), Count: int(e.c.failures), Num: int(e.c.last_failure_no)}
	e.c.failures = 0
	e.c.failure_len = 0
	e.c.failure[0] = 0
	return err
}

// must returns the failures reported since the last take, or, when GDAL
// said nothing, an *Error with fallback as its message: a NULL or error
// return with no CPLError is still a failure.
func (e errState) must(path, op, fallback string) *Error {
	if err := e.take(path, op); err != nil {
		return err
	}
	return &Error{Path: path, Op: op, Msg: fallback}
}

// cStrings makes a GDAL string list (char **, NULL-terminated) owned by
// GDAL's allocator; free it with C.CSLDestroy. nil stays NULL.
func cStrings(list []string) **C.char {
	var out **C.char
	for _, s := range list {
		cs := C.CString(s)
		out = C.CSLAddString(out, cs)
		C.free(unsafe.Pointer(cs))
	}
	return out
}
