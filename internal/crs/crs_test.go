package crs

import (
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want CRS
		urn  string
	}{
		{"EPSG:4326", WGS84, "urn:ogc:def:crs:EPSG::4326"},
		{"epsg:2154", Lambert93, "urn:ogc:def:crs:EPSG::2154"},
		{"urn:ogc:def:crs:EPSG::4326", WGS84, "urn:ogc:def:crs:EPSG::4326"},
		{"urn:ogc:def:crs:EPSG:6.6:3857", WebMercator, "urn:ogc:def:crs:EPSG::3857"},
		{"urn:x-ogc:def:crs:EPSG:4326", WGS84, "urn:ogc:def:crs:EPSG::4326"},
		{"http://www.opengis.net/def/crs/EPSG/0/2154", Lambert93, "urn:ogc:def:crs:EPSG::2154"},
		{"https://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS84, "urn:ogc:def:crs:OGC:1.3:CRS84"},
		{"http://www.opengis.net/gml/srs/epsg.xml#4326", WGS84, "urn:ogc:def:crs:EPSG::4326"},
		{"CRS:84", CRS84, "urn:ogc:def:crs:OGC:1.3:CRS84"},
		{"OGC:CRS84", CRS84, "urn:ogc:def:crs:OGC:1.3:CRS84"},
		{"EPSG:900913", WebMercator, "urn:ogc:def:crs:EPSG::3857"},
		{"IGNF:LAMB93", CRS{"IGNF", "LAMB93"}, "urn:ogc:def:crs:IGNF::LAMB93"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if got.URN() != tt.urn {
				t.Errorf("URN = %q, want %q", got.URN(), tt.urn)
			}
		})
	}
	for _, bad := range []string{"", "4326", "EPSG:", ":4326", "EPSG:abc", "urn:ogc:def:crs:EPSG::", "http://www.opengis.net/def/crs/EPSG/4326", "EPSG:../../etc"} {
		if c, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want error", bad, c)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		c          CRS
		geographic bool
		northing   bool
		mpu        float64
	}{
		{WGS84, true, true, MetersPerDegree},
		{CRS84, true, false, MetersPerDegree},
		{WebMercator, false, false, 1},
		{Lambert93, false, false, 1},
		{CRS{"EPSG", "2056"}, false, false, 1},
		{CRS{"EPSG", "3035"}, false, true, 1}, // LAEA Europe is northing first
	}
	for _, tt := range tests {
		t.Run(tt.c.String(), func(t *testing.T) {
			info, err := Lookup(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if info.Geographic != tt.geographic || info.NorthingFirst != tt.northing || math.Abs(info.MetersPerUnit-tt.mpu) > 1e-9 {
				t.Errorf("Lookup(%v) = %+v", tt.c, info)
			}
			if info.Name == "" {
				t.Errorf("no name")
			}
		})
	}
	if _, err := Lookup(CRS{"EPSG", "999999"}); err == nil {
		t.Error("unknown code accepted")
	}
}

func TestTransform(t *testing.T) {
	tr, err := NewTransformer(WGS84, Lambert93)
	if err != nil {
		t.Fatal(err)
	}
	// Paris, Notre-Dame: published Lambert-93 coordinates ≈ 652 300, 6 861 300.
	x, y, err := tr.Point(2.35, 48.85)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(x-652301.56) > 1 || math.Abs(y-6861302.73) > 1 {
		t.Errorf("got %f %f", x, y)
	}
	b, err := tr.Bounds(Bounds{-5.14, 41.33, 9.56, 51.09})
	if err != nil {
		t.Fatal(err)
	}
	if b.MinX > 100000 || b.MaxX < 1240000 || b.MinY > 6050000 || b.MaxY < 7100000 {
		t.Errorf("France in Lambert-93: %v", b)
	}
}

func TestWellKnownMatchesPROJ(t *testing.T) {
	n := 0
	for _, c := range []CRS{WGS84, CRS84, WebMercator, Lambert93, {"EPSG", "4171"}, {"EPSG", "4258"}, {"EPSG", "3035"}, {"EPSG", "2056"}} {
		fast, ok := wellKnown(c)
		if !ok {
			continue
		}
		n++
		slow, err := lookupPROJ(c)
		if err != nil {
			t.Fatal(err)
		}
		if fast != slow {
			t.Errorf("%s: table says %+v, PROJ says %+v", c, fast, slow)
		}
	}
	if n != 7 {
		t.Errorf("%d well-known CRSs checked", n)
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, c := range []CRS{WGS84, {"EPSG", "2056"}} {
		b.Run(c.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := Lookup(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A Web Mercator view that reaches past 180° E on one side only has an
// image in longitude/latitude that crosses the antimeridian: it comes
// back as all longitudes, never as west > east.
func TestBoundsAcrossAntimeridian(t *testing.T) {
	tr, err := NewTransformer(WebMercator, WGS84)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Bounds(Bounds{MinX: 19000000, MinY: -1000000, MaxX: 21000000, MaxY: 1000000})
	if err != nil {
		t.Fatal(err)
	}
	if b.MinX != -180 || b.MaxX != 180 || !(b.MinY < -8 && b.MaxY > 8) {
		t.Errorf("bounds %v, want all longitudes", b)
	}
}
