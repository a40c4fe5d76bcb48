package render

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestOffsetLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []orb.Point
		d    float64
		want []orb.Point
	}{
		// Pixel y points down: left of an eastward line is up.
		{"east, left", []orb.Point{{0, 10}, {10, 10}}, 2, []orb.Point{{0, 8}, {10, 8}}},
		{"east, right", []orb.Point{{0, 10}, {10, 10}}, -2, []orb.Point{{0, 12}, {10, 12}}},
		{"corner", []orb.Point{{0, 10}, {10, 10}, {10, 0}}, 1, []orb.Point{{0, 9}, {9, 9}, {9, 0}}},
		{"duplicate points", []orb.Point{{0, 10}, {0, 10}, {10, 10}}, 1, []orb.Point{{0, 9}, {10, 9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := offsetLine(tc.in, tc.d)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i][0]-tc.want[i][0]) > 1e-9 || math.Abs(got[i][1]-tc.want[i][1]) > 1e-9 {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestMarkShapes(t *testing.T) {
	for _, name := range markNames {
		pts, circle := markShape(name, 10)
		if circle != (name == "circle") {
			t.Errorf("%s: circle = %v", name, circle)
		}
		for _, p := range pts {
			if math.Abs(p[0]) > 5.8 || math.Abs(p[1]) > 5.01 {
				t.Errorf("%s: point %v outside the size box", name, p)
			}
		}
	}
}
