package tms_test

import (
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
)

// FuzzPath feeds arbitrary request paths to the handler: whatever the path,
// it must neither panic nor answer a server error. The seed corpus is in
// testdata/fuzz/FuzzPath.
func FuzzPath(f *testing.F) {
	tiletest.FuzzPath(f, newFixture(f).handler(""))
}
