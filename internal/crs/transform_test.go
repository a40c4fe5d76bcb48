package crs

import (
	"math"
	"sync"
	"testing"
)

// Pairs gives what Point gives, point by point, and marks points without
// an image as infinite.
func TestPairsMatchesPoint(t *testing.T) {
	tr, err := NewTransformer(CRS{Authority: "EPSG", Code: "2154"}, CRS{Authority: "EPSG", Code: "3857"})
	if err != nil {
		t.Fatal(err)
	}
	ps := [][2]float64{{700000, 6600000}, {100000, 6000000}, {1200000, 7100000}}
	want := make([][2]float64, len(ps))
	for i, p := range ps {
		x, y, err := tr.Point(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = [2]float64{x, y}
	}
	if err := Pairs(tr, ps); err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		if math.Abs(ps[i][0]-want[i][0]) > 1e-6 || math.Abs(ps[i][1]-want[i][1]) > 1e-6 {
			t.Errorf("pair %d: %v, Point gives %v", i, ps[i], want[i])
		}
	}
	merc, err := NewTransformer(CRS{Authority: "EPSG", Code: "4326"}, CRS{Authority: "EPSG", Code: "3857"})
	if err != nil {
		t.Fatal(err)
	}
	poles := [][2]float64{{2, 48}, {0, 100}}
	if err := Pairs(merc, poles); err != nil {
		t.Fatal(err)
	}
	if math.IsInf(poles[0][0], 0) || !math.IsInf(poles[1][1], 0) && !math.IsInf(poles[1][0], 0) {
		t.Errorf("Paris and the pole in Web Mercator: %v", poles)
	}
}

// Concurrent callers each get a PROJ object of their own.
func TestTransformerConcurrent(t *testing.T) {
	tr, err := NewTransformer(CRS{Authority: "EPSG", Code: "2154"}, CRS{Authority: "EPSG", Code: "4326"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				ps := [][2]float64{{700000, 6600000}}
				if err := Pairs(tr, ps); err != nil || math.Abs(ps[0][0]-3) > 0.01 {
					t.Errorf("%v %v", ps, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Transformers makes one transformer per pair and hands it out again.
func TestTransformersCache(t *testing.T) {
	var c Transformers
	a, err := c.Get(WGS84, CRS{Authority: "EPSG", Code: "3857"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Get(WGS84, CRS{Authority: "EPSG", Code: "3857"})
	inv, _ := c.Get(CRS{Authority: "EPSG", Code: "3857"}, WGS84)
	if a != b || a == inv {
		t.Error("one transformer per ordered pair")
	}
	if _, err := c.Get(WGS84, CRS{Authority: "EPSG", Code: "999999"}); err == nil {
		t.Error("an unknown CRS made a transformer")
	}
}
