package xyz_test

import (
	"net/http"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
	"github.com/tuiles/tuiles/ogc/xyz"
)

// fixture is the catalog the TMS and XYZ tests share.
type fixture struct{ *tiletest.Fixture }

func newFixture(t testing.TB) fixture { return fixture{tiletest.NewFixture(t)} }

func (fx fixture) handler(publicURL string) http.Handler {
	return xyz.NewHandler(xyz.Options{Catalog: fx.Live, PublicURL: publicURL})
}
