package wmts_test

import (
	"net/http"
	"testing"

	"github.com/tuiles/tuiles/internal/tiletest"
)

// BenchmarkGetTileREST measures the handler's own cost on a RESTful tile
// request: path parsing, catalog lookups and the shared responder, with an
// in-memory provider so storage does not count.
func BenchmarkGetTileREST(b *testing.B) {
	tiletest.Bench(b, newFixture(b).handler(""), tiletest.NewRequest(http.MethodGet, "/wmts/1.0.0/world/default/WebMercatorQuad/2/1/3.png"))
}

// BenchmarkGetTileKVP is the same tile through the KVP encoding.
func BenchmarkGetTileKVP(b *testing.B) {
	tiletest.Bench(b, newFixture(b).handler(""), tiletest.NewRequest(http.MethodGet, tileQuery("TILEMATRIX", "2", "TILEROW", "1", "TILECOL", "3")))
}
